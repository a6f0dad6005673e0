"""Ingestion in Dagster: the tables the workers fill (external assets) and the sensor that
watches their progress and requests the trend runs of the days that changed."""

from datetime import timedelta

import dagster as dg

from tweektrend_dagster.config import Settings


def build(settings: Settings) -> dg.Definitions:
    from tweektrend_dagster.defs.ingestion.assets import INGESTION_ASSETS
    from tweektrend_dagster.defs.ingestion.sensors import build_ingestion_sensor

    return dg.Definitions(
        assets=INGESTION_ASSETS,
        sensors=[build_ingestion_sensor(refresh=timedelta(minutes=settings.refresh_minutes),
                                        grace=settings.late_grace)],
    )
