"""Trends in Dagster: the daily Spark aggregates, the day/week/month/quarter trend documents,
their checks, jobs and schedules, the run planning (live and import lanes) and the sensor that
backfills new keywords."""

import dagster as dg

from tweektrend_dagster.config import Settings


def build(settings: Settings) -> dg.Definitions:
    from tweektrend_dagster.defs.trends.assets import TREND_ASSETS
    from tweektrend_dagster.defs.trends.jobs import TREND_JOBS
    from tweektrend_dagster.defs.trends.schedules import build_trend_schedules
    from tweektrend_dagster.defs.trends.sensors import build_keyword_sensor

    return dg.Definitions(
        assets=TREND_ASSETS,
        jobs=TREND_JOBS,
        schedules=build_trend_schedules(settings.late_grace),
        sensors=[build_keyword_sensor(settings.late_grace)],
    )
