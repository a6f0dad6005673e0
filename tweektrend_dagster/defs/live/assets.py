"""The live counts as an external asset: written by `tweektrend live` from the stream, observed
by `live_counts_sensor`."""

import dagster as dg

from tweektrend_dagster.contracts.names import LIVE_COUNTS
from tweektrend_dagster.defs.ingestion.assets import raw_tweets

live_counts = dg.AssetSpec(
    key="live_counts",
    description=(
        "Today's (and yesterday's) mentions, unique users and hourly series per keyword, a few "
        "seconds behind the stream (Mongo live_counts), kept by a Spark Structured Streaming "
        "query on the Kafka topic; the dashboard lays them over the trend documents."
    ),
    group_name="live",
    kinds={"spark", "kafka", "mongodb"},
    owners=["team:analytics"],
    deps=[raw_tweets],  # the same stream the workers archive
    metadata={"collection": LIVE_COUNTS, "written_by": "tweektrend live"},
)
