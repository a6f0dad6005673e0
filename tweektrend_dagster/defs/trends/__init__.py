"""Trends in Dagster: the daily Spark aggregates, the day/week/month/quarter trend documents,
their checks, jobs and schedules, the run planning (live and import lanes), the ingestion sensor
that turns the stream's progress into runs and the sensor that backfills new keywords."""

from datetime import timedelta

import dagster as dg

from tweektrend_dagster.config import Settings


def build(settings: Settings) -> dg.Definitions:
    from tweektrend_dagster.defs.trends.assets import TREND_ASSETS
    from tweektrend_dagster.defs.trends.jobs import TREND_JOBS
    from tweektrend_dagster.defs.trends.schedules import build_trend_schedules
    from tweektrend_dagster.defs.trends.sensors import (
        build_ingestion_sensor,
        build_keyword_sensor,
        build_originals_upgrade_sensor,
    )

    return dg.Definitions(
        assets=TREND_ASSETS,
        jobs=TREND_JOBS,
        schedules=build_trend_schedules(settings.late_grace),
        sensors=[
            build_ingestion_sensor(refresh=timedelta(minutes=settings.refresh_minutes),
                                   grace=settings.late_grace),
            build_keyword_sensor(settings.late_grace),
            build_originals_upgrade_sensor(settings.late_grace, settings.raw_ttl_days),
        ],
    )
