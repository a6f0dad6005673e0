"""How fresh the live counts are, reported to Dagster: each new micro-batch of `tweektrend live`
becomes an observation of `live_counts` with its `as_of` and how old it was when seen."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from tweektrend_dagster.defs.live.assets import live_counts
from tweektrend_dagster.resources import MongoResource
from tweektrend_dagster.trend_store.live import as_utc, newest_live


@dg.sensor(
    name="live_counts_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Reports the live counts' freshness (the newest micro-batch's as_of) as an "
    "observation of live_counts.",
)
def live_counts_sensor(context: dg.SensorEvaluationContext, mongo: MongoResource):
    with mongo.db() as db:
        newest = newest_live(db)
    if newest is None:
        return dg.SkipReason("no live counts yet: is `tweektrend live` running?")
    as_of = as_utc(newest["as_of"])
    if context.cursor == as_of.isoformat():
        return dg.SkipReason(f"no new micro-batch since {as_of.isoformat()}")
    age = (datetime.now(UTC) - as_of).total_seconds()
    observation = dg.AssetObservation(
        asset_key=live_counts.key,
        metadata={"as_of": dg.MetadataValue.timestamp(as_of), "as_of_age_s": round(age, 1),
                  "newest_document": newest["_id"]},
    )
    return dg.SensorResult(asset_events=[observation], cursor=as_of.isoformat())
