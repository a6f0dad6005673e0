"""The ingestion sensor: watches the stream's progress and requests trend runs for changed days.

The workers run continuously outside Dagster. Every tick (well under Dagster's 60 s limit) this
sensor reads committed offsets and touched days from Cassandra and log-end offsets from Kafka,
reports watermark, lag and throughput as an observation of `raw_tweets`, and requests a run of
the daily trend partition of each day that received tweets since its cursor.
Below it: the new-keyword sensor (backfills) and the spike alert sensor (alert mails).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from tweektrend_dagster.alerts import alert_days
from tweektrend_dagster.alerts.store import has_opted_in_users
from tweektrend_dagster.ingest.progress import changed_days, days_to_refresh, read_progress
from tweektrend_dagster.jobs import ALERT_WINDOW_HOURS
from tweektrend_dagster.keywords import KeywordRegistry
from tweektrend_dagster.partitions import PARTITIONS_START
from tweektrend_dagster.resources import CassandraResource, KafkaResource, MongoResource
from tweektrend_dagster.schedules import period_start

REFRESH = timedelta(minutes=float(os.environ.get("TWEEKTREND_REFRESH_MINUTES", "5")))


def _load_cursor(raw: str | None) -> dict:
    cursor = json.loads(raw) if raw else {}
    cursor.setdefault("seen", {})  # day -> ingested_days.updated_at last requested
    cursor.setdefault("requested", {})  # day -> when its run was last requested
    return cursor


def build_ingestion_sensor(
    job: dg.UnresolvedAssetJobDefinition | dg.JobDefinition, refresh: timedelta = REFRESH
) -> dg.SensorDefinition:
    @dg.sensor(
        name="ingestion_sensor",
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Reports ingestion progress (watermark, lag, rate) and requests daily trend "
        "runs for the days that received tweets.",
    )
    def ingestion_sensor(
        context: dg.SensorEvaluationContext, cassandra: CassandraResource, kafka: KafkaResource
    ) -> dg.SensorResult:
        cursor = _load_cursor(context.cursor)
        now = datetime.now(UTC)
        with cassandra.session() as session:
            progress = read_progress(
                session, kafka.bootstrap_servers, kafka.topic, kafka.consumer_group
            )
            changed = changed_days(session, cursor["seen"])

        rate = None
        if "committed" in cursor and "at" in cursor:
            seconds = (now - datetime.fromisoformat(cursor["at"])).total_seconds()
            if seconds > 0:
                rate = round((progress.total_committed - cursor["committed"]) / seconds, 1)
        observation = dg.AssetObservation(
            asset_key="raw_tweets",
            metadata={
                "committed_messages": progress.total_committed,
                "lag_messages": progress.lag,
                "messages_per_second": rate if rate is not None else 0.0,
                "watermark": progress.watermark.isoformat() if progress.watermark else "none",
                "partitions": len(progress.end),
            },
        )

        due = days_to_refresh(changed, cursor["requested"], now, refresh)
        runs = [
            dg.RunRequest(
                partition_key=day.isoformat(),
                run_key=f"{day.isoformat()}@{now.isoformat(timespec='seconds')}",
                tags={"trigger": "ingestion_sensor"},
            )
            for day in due
        ]
        requested = {**cursor["requested"], **{d.isoformat(): now.isoformat() for d in due}}
        # forget days not refreshed for a week so the cursor stays small
        requested = {
            d: t
            for d, t in requested.items()
            if now - datetime.fromisoformat(t) < timedelta(days=7)
        }
        # a changed day not yet due is not marked seen, so it stays changed until it is due
        seen = {**cursor["seen"], **{d.isoformat(): changed[d].isoformat() for d in due}}
        new_cursor = {
            "seen": seen,
            "requested": requested,
            "committed": progress.total_committed,
            "at": now.isoformat(),
        }
        context.log.info(
            f"lag {progress.lag}, rate {rate}/s, days requested: {[d.isoformat() for d in due]}"
        )
        return dg.SensorResult(
            run_requests=runs, asset_events=[observation], cursor=json.dumps(new_cursor)
        )

    return ingestion_sensor


# -- new keywords ---------------------------------------------------------------------------------
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
ROLLUP_JOBS = {
    "week": "weekly_trends_job",
    "month": "monthly_trends_job",
    "quarter": "quarterly_trends_job",
}


def archived_days(session) -> list:
    """Every day the raw archive holds tweets for (oldest first)."""
    rows = session.execute("SELECT day FROM ingested_days WHERE scope='all'")
    return sorted(r.day.date() if hasattr(r.day, "date") else r.day for r in rows)


def plan_keyword_backfill(
    new_keywords: list[str], days: list, first_partition: str, period_start
) -> list[dg.RunRequest]:
    """One ranged run that matches the archive for the new keywords and recomputes those days,
    then one ranged run per roll-up so past weeks, months and quarters include them too.

    The run queue runs one run at a time in order, so the roll-ups read the backfilled days.
    """
    days = [d for d in days if d >= date.fromisoformat(first_partition)]
    if not new_keywords or not days:
        return []
    tag = ",".join(new_keywords)[:200]
    first, last = days[0].isoformat(), days[-1].isoformat()
    runs = [
        dg.RunRequest(
            job_name="keyword_backfill_job",
            run_key=f"backfill:{tag}:{first}:{last}",
            run_config={"ops": {"keyword_backfill": {"config": {"keywords": new_keywords}}}},
            tags={RANGE_START: first, RANGE_END: last, "tweektrend/keywords": tag},
        )
    ]
    for kind, job in ROLLUP_JOBS.items():
        start, end = period_start(kind, days[0]), period_start(kind, days[-1])
        runs.append(
            dg.RunRequest(
                job_name=job,
                run_key=f"rollup:{kind}:{tag}:{start}:{end}",
                tags={RANGE_START: start, RANGE_END: end, "tweektrend/keywords": tag},
            )
        )
    return runs


def build_keyword_sensor(jobs: list) -> dg.SensorDefinition:
    @dg.sensor(
        name="new_keyword_sensor",
        jobs=jobs,
        minimum_interval_seconds=15,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="When users add keywords, backfills them from the raw archive (one ranged "
        "run) and recomputes the past weeks, months and quarters.",
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
            with cassandra.session() as session:
                runs = plan_keyword_backfill(
                    new, archived_days(session), PARTITIONS_START, period_start
                )
            context.log.info(f"new keywords {new}: {len(runs)} runs requested")
        # removed keywords are dropped from the cursor, so re-adding one backfills it again
        return dg.SensorResult(run_requests=runs, cursor=json.dumps({"known": sorted(active)}))

    return new_keyword_sensor


# -- spike alerts ---------------------------------------------------------------------------------
def is_recent_day(partition: str | None, now: datetime, window: timedelta) -> bool:
    """Whether a daily_trends partition can hold a bucket recent enough to mail about."""
    return partition in {d.isoformat() for d in alert_days(now, window)}


def build_spike_alert_sensor(
    job: dg.JobDefinition, window: timedelta | None = None
) -> dg.SensorDefinition:
    window = window or timedelta(hours=ALERT_WINDOW_HOURS)

    @dg.asset_sensor(
        asset_key=dg.AssetKey("daily_trends"),
        name="spike_alert_sensor",
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="After daily_trends publishes a recent day, requests the spike alert mails "
        "(skipped while no user has alerts on).",
    )
    def spike_alert_sensor(
        context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry, mongo: MongoResource
    ):
        # the asset sensor's cursor moves past this event; only the newest one is looked at
        partition = asset_event.dagster_event.partition if asset_event.dagster_event else None
        if not is_recent_day(partition, datetime.now(UTC), window):
            return dg.SkipReason(f"daily_trends {partition} is not a recent day")
        with mongo.db() as db:
            if not has_opted_in_users(db):
                return dg.SkipReason("no user has spike alerts on")
        return dg.RunRequest(
            run_key=f"alerts:{partition}:{asset_event.run_id}:{asset_event.timestamp}",
            tags={"trigger": "spike_alert_sensor", "tweektrend/day": partition},
        )

    return spike_alert_sensor
