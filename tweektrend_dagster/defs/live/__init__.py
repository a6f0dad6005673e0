"""Live counts in Dagster: today's counts from the stream (`tweektrend live`, a Spark Structured
Streaming query that runs beside Dagster, not in it) as an external asset, and the sensor that
reports how fresh they are."""

import dagster as dg

from tweektrend_dagster.config import Settings


def build(settings: Settings) -> dg.Definitions:
    from tweektrend_dagster.defs.live.assets import live_counts
    from tweektrend_dagster.defs.live.sensors import live_counts_sensor

    return dg.Definitions(assets=[live_counts], sensors=[live_counts_sensor])
