"""The new-keyword sensor: a keyword a user adds is backfilled from the raw archive."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from tweektrend_dagster.defs.trends.jobs import ROLLUP_JOBS, keyword_backfill_job
from tweektrend_dagster.defs.trends.partitions import partition_bounds
from tweektrend_dagster.defs.trends.run_plan import plan_keyword_backfill
from tweektrend_dagster.ingest.progress import archived_days
from tweektrend_dagster.keywords import KeywordRegistry
from tweektrend_dagster.resources import CassandraResource, MongoResource


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
