"""Tokens and sentiment of each distinct text, computed once and cached per day.

Cost model: Kiwi analyses ~2,000-3,500 Korean tweets/s per core and dominates the whole batch.
So (1) retweets share their original's text: the key is the text without the leading "RT @user:"
(the same key `text.tokenize` caches on), hashed with xxhash64; (2) each distinct key is
tokenised once per day, and the result is kept in the day's token table, so the every-few-minutes
refresh of the current day only tokenises texts it has not seen (and starts no Python worker at
all when there is none); (3) tokenisation runs in `mapInArrow`: each Python worker builds one Kiwi
and receives Arrow batches of texts (no per-row pickling), the texts are spread round-robin over
2 × cores equal partitions so both cores stay busy to the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tweektrend_dagster.analytics.frames import parallelism

if TYPE_CHECKING:
    import pyarrow as pa

TOKEN_SCHEMA = T.StructType(
    [
        T.StructField("tkey", T.LongType(), False),
        T.StructField("tokens", T.ArrayType(T.StringType()), False),
        T.StructField("sentiment", T.StringType(), False),
    ]
)


def token_key(text_col: str = "text") -> tuple[F.Column, F.Column]:
    """(key text, its xxhash64): the tokenizer's own cache key, so retweets hit their original."""
    key_text = F.substring(F.regexp_replace(F.col(text_col), r"^RT @\w+:?\s*", ""), 1, 4000)
    return key_text, F.xxhash64(key_text)


def _tokenize_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    from tweektrend_dagster.text.sentiment import sentiment
    from tweektrend_dagster.text.tokenize import tokenize_many

    schema = pa.schema([
        pa.field("tkey", pa.int64(), False),
        pa.field("tokens", pa.list_(pa.string()), False),
        pa.field("sentiment", pa.string(), False),
    ])
    for batch in batches:
        keys = batch.column("tkey").to_pylist()
        texts = [t or "" for t in batch.column("ktext").to_pylist()]
        tokens = tokenize_many(texts)
        moods = [sentiment(toks, text) for toks, text in zip(tokens, texts, strict=True)]
        yield pa.RecordBatch.from_arrays(
            [pa.array(keys, pa.int64()), pa.array(tokens, pa.list_(pa.string())),
             pa.array(moods, pa.string())],
            schema=schema,
        )


def distinct_keys(tweets: DataFrame, cached: DataFrame | None = None) -> DataFrame:
    """(tkey, ktext) of the distinct texts of `tweets` not yet in the token table `cached`."""
    key_text, tkey = token_key()
    # `tkey` may already be a (cached) column of `tweets`: the hash is then computed once.
    tkey = F.col("tkey") if "tkey" in tweets.columns else tkey
    keyed = tweets.select(tkey.alias("tkey"), key_text.alias("ktext"))
    if cached is None:
        return keyed.dropDuplicates(["tkey"])
    # A refresh: find the new keys on the 8-byte hashes first, so only the few new texts are
    # shuffled (not every text of the day again).
    new = keyed.select("tkey").distinct().join(cached.select("tkey"), "tkey", "left_anti")
    return keyed.join(new, "tkey", "left_semi").dropDuplicates(["tkey"])


def tokenize_keys(keys: DataFrame, n: int | None = None) -> DataFrame:
    """Token rows (tkey, tokens, sentiment) of the (tkey, ktext) rows in `keys` (`n` of them)."""
    spark = keys.sparkSession
    cores = parallelism(spark)
    # Round-robin into equal partitions (2 per core, more for big days so that a slow task at
    # the end costs little); an explicit count is never coalesced away by AQE.
    parts = max(2, cores * 2, (n or 0) // 100_000 * cores)
    return keys.repartition(parts).mapInArrow(_tokenize_batches, TOKEN_SCHEMA)


def tokenize_texts(tweets: DataFrame, cached: DataFrame | None = None) -> DataFrame:
    """Token rows (tkey, tokens, sentiment) for the distinct texts of `tweets` not in `cached`."""
    return tokenize_keys(distinct_keys(tweets, cached))
