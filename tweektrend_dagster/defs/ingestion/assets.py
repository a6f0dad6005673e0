"""The Cassandra tables the ingestion workers fill: external assets, observed by the sensor.

They are not materialised by Dagster (the workers write them continuously); declaring them puts
the stream at the root of the lineage graph, and the ingestion sensor reports their progress.
"""

import dagster as dg

from tweektrend_dagster.contracts.names import KEYWORD_TABLE, RAW_TABLE

raw_tweets = dg.AssetSpec(
    key="raw_tweets",
    description=(
        f"Every post once (X, Bluesky, Mastodon: keyed by network and id), by UTC day and hour "
        f"(Cassandra {RAW_TABLE}), written by the ingestion workers from the Kafka topic; the "
        "archive that keyword backfills read."
    ),
    group_name="ingestion",
    kinds={"cassandra", "kafka"},
    owners=["team:data-platform"],
    metadata={"table": RAW_TABLE, "written_by": "tweektrend ingest"},
)

tweets_by_keyword = dg.AssetSpec(
    key="tweets_by_keyword",
    description=(
        "One row per (keyword, post), newest first per keyword, day and hour (Cassandra "
        f"{KEYWORD_TABLE}): the live feed reads it and the daily trend assets aggregate it."
    ),
    group_name="ingestion",
    kinds={"cassandra"},
    owners=["team:data-platform"],
    deps=[raw_tweets],
    metadata={"table": KEYWORD_TABLE, "written_by": "tweektrend ingest"},
)

INGESTION_ASSETS = [raw_tweets, tweets_by_keyword]
