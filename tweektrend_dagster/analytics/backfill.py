"""Matching archived tweets against rules followed later (the archive keeps unmatched tweets).

The executors evaluate the same rules with the same code as the producer (`RuleSet`, built from
each key's canonical rule text). For each archived tweet, the new keys are those it matches minus
those already in its
`keywords` set, so a re-run writes nothing new (idempotent) and ingestion's own matches are never
touched. Two writes per hit, both upserts: the post's `posts_by_keyword` row and the archive
row's `keywords` set (so the daily aggregates, which read the archive, see the keyword too).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tweektrend_dagster.analytics.source import keyword_rows, parse_raw, write_cassandra
from tweektrend_dagster.contracts.names import KEYWORD_TABLE, RAW_TABLE

if TYPE_CHECKING:
    import pyarrow as pa

# the archive columns a matched row carries through the matching
_CARRIED = ["day", "hour", "network", "id", "created_at", "tweet", "keywords"]
_NEW = T.StructType(
    [
        T.StructField("day", T.DateType()),
        T.StructField("hour", T.ByteType()),
        T.StructField("network", T.StringType()),
        T.StructField("id", T.StringType()),
        T.StructField("created_at", T.TimestampType()),
        T.StructField("tweet", T.StringType()),
        T.StructField("keywords", T.ArrayType(T.StringType())),
        T.StructField("new_keywords", T.ArrayType(T.StringType())),
    ]
)


def _matcher_batches(rules: dict[str, str]):  # noqa: ANN202 - a mapInArrow function
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        from tweektrend_dagster.keywords.rules import RuleSet, rule_from_canonical
        from tweektrend_dagster.tweets.model import InvalidTweet, Tweet

        matcher = RuleSet({key: rule_from_canonical(text) for key, text in rules.items()})
        for batch in batches:
            hits, found = [], []
            raws = batch.column("tweet").to_pylist()
            existing = batch.column("keywords").to_pylist()
            for i, (raw, had) in enumerate(zip(raws, existing, strict=True)):
                try:
                    tweet = Tweet.from_json(raw)
                except InvalidTweet:
                    continue  # never written by the workers; nothing to match
                new = sorted(set(matcher.match(tweet)) - set(had or ()))
                if new:
                    hits.append(i)
                    found.append(new)
            rows = batch.select(_CARRIED).take(pa.array(hits, pa.int32()))
            yield pa.RecordBatch.from_arrays(
                [*rows.columns, pa.array(found, pa.list_(pa.string()))],
                names=[*_CARRIED, "new_keywords"],
            )

    return run


def match_new_keywords(raw: DataFrame, rules: Mapping[str, str]) -> DataFrame:
    """The archive rows (day, hour, network, id, created_at, tweet, keywords) of posts that match
    rules (key → canonical rule text) whose keys they lack, with those keys as `new_keywords`.
    Arrow batches in and out: a Connect session has no RDDs, and no per-row pickling."""
    return raw.select(*_CARRIED).mapInArrow(
        _matcher_batches(dict(sorted(rules.items()))), _NEW)


def backfill_keywords(raw: DataFrame, rules: Mapping[str, str], keyspace: str
                      ) -> dict[str, int]:
    """Write the missing rows for `rules` (key → canonical rule text) over the archive rows in
    `raw`; returns rows written per key."""
    if not rules:
        return {}
    # the matched rows carry what the writes need: no second read of the archive to join
    # (a join on the archive's partition key would also make the connector's direct join
    # collide with the days' filter)
    joined = match_new_keywords(raw, rules).cache()
    counts = {
        r.keyword: int(r["count"])
        for r in joined.select(F.explode("new_keywords").alias("keyword")).groupBy("keyword")
        .count().collect()
    }
    if counts:
        only_new = joined.withColumn("keywords", F.col("new_keywords")).drop("new_keywords")
        write_cassandra(keyword_rows(parse_raw(only_new)), keyspace, KEYWORD_TABLE)
        merged = joined.select(
            "day", "hour", "network", "id",
            F.array_sort(F.array_union(
                F.coalesce("keywords", F.array().cast("array<string>")), "new_keywords"
            )).alias("keywords"),
        )
        write_cassandra(merged, keyspace, RAW_TABLE)
    joined.unpersist()
    return counts
