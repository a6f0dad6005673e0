"""Matching archived tweets against keywords added later (the archive keeps unmatched tweets).

For each archived tweet, the new keywords are those the matcher finds minus those already in its
`keywords` set, so a re-run writes nothing new (idempotent) and ingestion's own matches are never
touched. Two writes per hit, both upserts: the tweet's `tweets_by_keyword` row and the archive
row's `keywords` set (so the daily aggregates, which read the archive, see the keyword too).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tweektrend_dagster.analytics.source import keyword_rows, parse_raw, write_cassandra
from tweektrend_dagster.contracts.names import KEYWORD_TABLE, RAW_TABLE

if TYPE_CHECKING:
    import pyarrow as pa

_NEW = T.StructType(
    [
        T.StructField("day", T.DateType()),
        T.StructField("hour", T.ByteType()),
        T.StructField("id", T.LongType()),
        T.StructField("new_keywords", T.ArrayType(T.StringType())),
    ]
)


def _matcher_batches(keywords: list[str]):  # noqa: ANN202 - a mapInArrow function
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        from tweektrend_dagster.keywords import KeywordMatcher
        from tweektrend_dagster.tweets.model import InvalidTweet, Tweet

        matcher = KeywordMatcher(keywords)
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
            rows = batch.select(["day", "hour", "id"]).take(pa.array(hits, pa.int32()))
            yield pa.RecordBatch.from_arrays(
                [*rows.columns, pa.array(found, pa.list_(pa.string()))],
                names=["day", "hour", "id", "new_keywords"],
            )

    return run


def match_new_keywords(raw: DataFrame, keywords: list[str]) -> DataFrame:
    """(day, hour, id, new_keywords) for archived tweets that match keywords they lack.
    Arrow batches in and out: a Connect session has no RDDs, and no per-row pickling."""
    return raw.select("day", "hour", "id", "tweet", "keywords").mapInArrow(
        _matcher_batches(sorted(set(keywords))), _NEW)


def backfill_keywords(raw: DataFrame, keywords: list[str], keyspace: str) -> dict[str, int]:
    """Write the missing rows for `keywords` over the archive rows in `raw`; returns rows written
    per keyword."""
    if not keywords:
        return {}
    new = match_new_keywords(raw, keywords).cache()
    joined = raw.join(new, ["day", "hour", "id"]).cache()
    counts = {
        r.keyword: int(r["count"])
        for r in new.select(F.explode("new_keywords").alias("keyword")).groupBy("keyword")
        .count().collect()
    }
    if counts:
        only_new = joined.withColumn("keywords", F.col("new_keywords")).drop("new_keywords")
        write_cassandra(keyword_rows(parse_raw(only_new)), keyspace, KEYWORD_TABLE)
        merged = joined.select(
            "day", "hour", "id",
            F.array_sort(F.array_union(
                F.coalesce("keywords", F.array().cast("array<string>")), "new_keywords"
            )).alias("keywords"),
        )
        write_cassandra(merged, keyspace, RAW_TABLE)
    joined.unpersist()
    new.unpersist()
    return counts
