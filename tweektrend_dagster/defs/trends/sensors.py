"""The sensors that request trend runs.

The ingestion sensor watches the stream's progress. The workers run continuously outside
Dagster. Every tick (well under Dagster's 60 s limit) it reads committed offsets and touched days
from Cassandra and log-end offsets from Kafka, reports watermark, lag and throughput as an
observation of `raw_tweets`, and requests runs for the days that received tweets since its
cursor: one run per open day in the live lane, ranged runs for past days (an imported archive,
late data) in the import lane (see `run_plan`). No tweet's date can fail a tick: days without a
partition are reported on the observation.

The new-keyword sensor backfills a keyword a user adds from the raw archive. The originals
upgrade sensor re-aggregates, once, the days written before original-post figures existed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from tweektrend_dagster.defs.ingestion.assets import raw_tweets
from tweektrend_dagster.defs.trends.jobs import PERIOD_JOBS, ROLLUP_JOBS, keyword_backfill_job
from tweektrend_dagster.defs.trends.partitions import partition_bounds
from tweektrend_dagster.defs.trends.run_plan import (
    plan_day_runs,
    plan_keyword_backfill,
    split_days,
)
from tweektrend_dagster.ingest.progress import (
    archived_days,
    changed_days,
    days_to_refresh,
    read_progress,
)
from tweektrend_dagster.keywords import KeywordRegistry
from tweektrend_dagster.resources import (
    CassandraResource,
    KafkaResource,
    MongoResource,
    SparkResource,
)

# past days are requested once their tweets stopped changing for this long: an archive being
# replayed becomes one ranged run when the replay is over, not one per tick
SETTLE = timedelta(seconds=20)
# `seen` keeps days whose last change is this recent; older rows are behind `since`
SEEN_WINDOW = timedelta(hours=1)


def _load_cursor(raw: str | None) -> dict:
    cursor = json.loads(raw) if raw else {}
    cursor.setdefault("seen", {})  # day -> ingested_days.updated_at last requested
    cursor.setdefault("requested", {})  # day -> when its run was last requested
    return cursor


def _days_text(days: list) -> str:
    if not days:
        return "none"
    shown = ", ".join(d.isoformat() for d in days[:10])
    return shown + (f" and {len(days) - 10} more" if len(days) > 10 else "")


def _queued_days(instance: dg.DagsterInstance) -> set[str]:
    """Days whose daily run is queued and not started yet."""
    records = instance.get_run_records(dg.RunsFilter(
        job_name=PERIOD_JOBS["day"].name,
        statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]), limit=200)
    return {r.dagster_run.tags.get("dagster/partition", "") for r in records}


def build_ingestion_sensor(
    refresh: timedelta, grace: timedelta, settle: timedelta = SETTLE
) -> dg.SensorDefinition:
    """`refresh`: the least time between two runs of one changed day; `grace`: how long a day
    stays open for late tweets (open days run in the live lane)."""

    @dg.sensor(
        name="ingestion_sensor",
        jobs=list(PERIOD_JOBS.values()),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Reports ingestion progress (watermark, lag, rate) and requests trend runs "
        "for the days that received tweets: per open day, and ranged runs for past days.",
    )
    def ingestion_sensor(
        context: dg.SensorEvaluationContext, cassandra: CassandraResource, kafka: KafkaResource
    ) -> dg.SensorResult:
        cursor = _load_cursor(context.cursor)
        now = datetime.now(UTC)
        since = datetime.fromisoformat(cursor["since"]) if cursor.get("since") else None
        with cassandra.session() as session:
            progress = read_progress(
                session, kafka.client_config(), kafka.topic, kafka.consumer_group
            )
            changed = changed_days(session, cursor["seen"], since)

        rate = None
        if "committed" in cursor and "at" in cursor:
            seconds = (now - datetime.fromisoformat(cursor["at"])).total_seconds()
            if seconds > 0:
                rate = round((progress.total_committed - cursor["committed"]) / seconds, 1)

        split = split_days(changed, now, partition_bounds(now), grace)
        live = days_to_refresh({d: changed[d] for d in split.live}, cursor["requested"], now,
                               refresh)
        # a run of the day still waiting in the queue will read the newest tweets when it starts
        waiting = _queued_days(context.instance)
        live = [d for d in live if d.isoformat() not in waiting]
        past_changes = {d: changed[d] for d in split.past}
        settled = all(now - t >= settle for t in past_changes.values())
        past = days_to_refresh(past_changes, cursor["requested"], now, refresh) if settled else []
        runs = plan_day_runs(live, past, now, "ingestion_sensor")

        observation = dg.AssetObservation(
            asset_key=raw_tweets.key,
            metadata={
                "committed_messages": progress.total_committed,
                "lag_messages": progress.lag,
                "messages_per_second": rate if rate is not None else 0.0,
                "watermark": progress.watermark.isoformat() if progress.watermark else "none",
                "partitions": len(progress.end),
                "days_requested": len(live) + len(past),
                "days_importing_next": len(past_changes) if not settled else 0,
                # tweets dated past the last partition (clock skew): kept until it exists
                "days_waiting_for_partition": _days_text(split.waiting),
                # tweets dated before the first partition (TWEEKTREND_PARTITIONS_START)
                "days_before_partitions": _days_text(split.outside),
            },
        )
        if split.waiting or split.outside:
            context.log.warning(
                f"days without a partition: waiting {_days_text(split.waiting)}; "
                f"before the first partition (not computed) {_days_text(split.outside)}"
            )

        due = [*live, *past]
        requested = {**cursor["requested"], **{d.isoformat(): now.isoformat() for d in due}}
        # forget days not refreshed for a week so the cursor stays small
        requested = {
            d: t
            for d, t in requested.items()
            if now - datetime.fromisoformat(t) < timedelta(days=7)
        }
        # a changed day not yet due is not marked seen, so it stays changed until it is due;
        # days before the partitions are marked seen: they can never be computed
        handled = {d: changed[d] for d in [*due, *split.outside]}
        seen = {**cursor["seen"], **{d.isoformat(): t.isoformat() for d, t in handled.items()}}
        newest = max([datetime.fromisoformat(t) for t in seen.values()], default=None)
        if newest is not None:
            # rows older than the window are behind `since`: their `seen` entries can go
            floor = newest - SEEN_WINDOW
            since = max(since, floor) if since else floor
            pending = [changed[d] for d in changed if d not in handled]
            if pending:
                since = min(since, min(pending) - timedelta(microseconds=1))
            seen = {d: t for d, t in seen.items() if datetime.fromisoformat(t) > since}
        new_cursor = {
            "seen": seen,
            "requested": requested,
            "since": since.isoformat() if since else None,
            "committed": progress.total_committed,
            "at": now.isoformat(),
        }
        context.log.info(
            f"lag {progress.lag}, rate {rate}/s, live days requested: "
            f"{[d.isoformat() for d in live]}, past days requested: {_days_text(past)}"
        )
        return dg.SensorResult(
            run_requests=runs, asset_events=[observation], cursor=json.dumps(new_cursor)
        )

    return ingestion_sensor


# -- new keywords ---------------------------------------------------------------------------------
def build_keyword_sensor(grace: timedelta) -> dg.SensorDefinition:
    @dg.sensor(
        name="new_keyword_sensor",
        jobs=[keyword_backfill_job, *ROLLUP_JOBS.values()],
        minimum_interval_seconds=15,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="When users add keywords, backfills them from the raw archive (ranged runs "
        "in the import lane) and recomputes the past weeks, months and quarters.",
    )
    def new_keyword_sensor(
        context: dg.SensorEvaluationContext, mongo: MongoResource, cassandra: CassandraResource
    ) -> dg.SensorResult:
        known = set(json.loads(context.cursor)["known"]) if context.cursor else None
        with mongo.db() as db:
            active = set(KeywordRegistry(db).active_keywords())
        if known is None:
            # first tick: today's keywords are matched at ingestion already; only later ones
            # need the archive
            return dg.SensorResult(cursor=json.dumps({"known": sorted(active)}))
        new = sorted(active - known)
        runs: list[dg.RunRequest] = []
        if new:
            now = datetime.now(UTC)
            with cassandra.session() as session:
                runs = plan_keyword_backfill(new, archived_days(session), now,
                                             partition_bounds(now), grace)
            context.log.info(f"new keywords {new}: {len(runs)} runs requested")
        # removed keywords are dropped from the cursor, so re-adding one backfills it again
        return dg.SensorResult(run_requests=runs, cursor=json.dumps({"known": sorted(active)}))

    return new_keyword_sensor


# -- days aggregated by an earlier version --------------------------------------------------------
def build_originals_upgrade_sensor(grace: timedelta, raw_ttl_days: int = 0
                                   ) -> dg.SensorDefinition:
    """After an upgrade, the archived days whose tables predate the original-post figures are
    aggregated again (ranged runs in the import lane, with their roll-ups), so every period's
    documents carry `originals`. Each day is requested once; a day whose raw tweets expired
    (TWEEKTREND_RAW_TTL_DAYS) is left as it is rather than emptied."""

    @dg.sensor(
        name="originals_upgrade_sensor",
        jobs=list(PERIOD_JOBS.values()),
        minimum_interval_seconds=600,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Re-aggregates, once, the archived days whose tables were written before "
        "original-post figures existed, so every period shows them.",
    )
    def originals_upgrade_sensor(
        context: dg.SensorEvaluationContext, cassandra: CassandraResource, spark: SparkResource
    ) -> dg.SensorResult:
        from tweektrend_dagster.analytics.store import AggregateStore

        requested = set(json.loads(context.cursor)["requested"]) if context.cursor else set()
        now = datetime.now(UTC)
        with cassandra.session() as session:
            days = archived_days(session)
        if raw_ttl_days > 0:
            days = [d for d in days if d > now.date() - timedelta(days=raw_ttl_days - 1)]
        # footers only: no Spark session is started for this
        store = AggregateStore(None, spark.analytics_path)  # type: ignore[arg-type]
        lacking = [d for d in store.days_without_originals(days) if d.isoformat() not in requested]
        if not lacking:
            return dg.SensorResult(cursor=json.dumps({"requested": sorted(requested)}))
        split = split_days(lacking, now, partition_bounds(now), grace)
        runs = plan_day_runs(split.live, split.past, now, "originals_upgrade_sensor")
        context.log.info(f"days aggregated before originals: {_days_text(lacking)}; "
                         f"{len(runs)} runs requested")
        requested |= {d.isoformat() for d in lacking}
        return dg.SensorResult(run_requests=runs,
                               cursor=json.dumps({"requested": sorted(requested)}))

    return originals_upgrade_sensor
