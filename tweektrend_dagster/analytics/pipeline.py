"""The two Spark steps the assets run: a day's aggregates, and a period's documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from tweektrend_dagster.analytics.daily import DAY_COLUMNS, TABLES, daily_tables, tokenised
from tweektrend_dagster.analytics.documents import DEFAULT_REFERENCE, GRACE, build_documents
from tweektrend_dagster.analytics.periods import Period
from tweektrend_dagster.analytics.rollup import MIN_WORD_COUNT, compute_period
from tweektrend_dagster.analytics.source import parse_raw, read_raw_days
from tweektrend_dagster.analytics.store import TOKENS, AggregateStore
from tweektrend_dagster.analytics.tokens import (
    TOKEN_SCHEMA,
    distinct_keys,
    token_key,
    tokenize_keys,
)

# A refresh of the current day appends one small token file; past this many the day's token
# table is rewritten as a few files (about every 4 hours at a 5-minute refresh interval).
MAX_TOKEN_FILES = 48


@dataclass
class DayResult:
    day: date
    tweets: int
    new_texts: int  # texts tokenised in this run (the rest came from the day's token table)
    rows: dict[str, int]
    preview: list[dict[str, Any]]  # keyword, mentions, users of the day (largest first)


def aggregate_day(store: AggregateStore, raw: DataFrame, day: date) -> DayResult:
    """Raw archive rows of ONE day → the day's aggregate tables in `store`.

    Spark jobs: one to parse the day and find the texts not yet tokenised, one to tokenise them
    (skipped when there are none), one per aggregate table written, and two to read back the
    row counts and the preview (from the small written files)."""
    spark = store.spark
    # Only the columns the day's tables use are parsed and cached (from_json is pruned to them).
    # The text key (hash of the text without "RT @user:") is computed once, into the cache.
    tweets = parse_raw(raw).select(*DAY_COLUMNS).withColumn("tkey", token_key()[1]).persist(
        StorageLevel.MEMORY_AND_DISK)
    cached = store.read(TOKENS, [day])
    keys = distinct_keys(tweets, cached).persist(StorageLevel.MEMORY_AND_DISK)
    new_texts = keys.count()
    if new_texts:
        # Written before use: the token table is the cache for the next refresh of this day, and
        # reading it back cuts the lineage so Kiwi never runs twice for one text.
        # A refresh with few new texts appends one file (not one per tokenisation task), so the
        # token table of a day refreshed every few minutes does not become thousands of files.
        store.write(TOKENS, day, tokenize_keys(keys, new_texts), mode="append",
                    files=None if new_texts >= 20_000 else 1)
        if store.file_count(TOKENS, day) > MAX_TOKEN_FILES:
            store.compact(TOKENS, day, files=2 * spark.sparkContext.defaultParallelism)
    keys.unpersist()
    tokens = store.read(TOKENS, [day])
    if tokens is None:  # a day without any parseable tweet
        tokens = spark.createDataFrame([], TOKEN_SCHEMA)
    toks = tokenised(tweets, tokens.drop("day")).persist(StorageLevel.MEMORY_AND_DISK)
    tables = daily_tables(tweets, toks).as_dict()
    for name in TABLES:
        store.write(name, day, tables[name])
    toks.unpersist()
    tweets.unpersist()
    # Read back from the written (small) files: the hourly table gives the preview; one more
    # job reads the other tables' row counts (parquet footers) and the day's tweets (`totals`).
    hourly = spark.read.parquet(store.path("hourly", day)).collect()
    rows = store.row_counts([t for t in TABLES if t != "hourly"], day, sums={"totals": "tweets"})
    n = rows.pop("totals.tweets", 0)
    rows["hourly"] = len(hourly)
    mentions: dict[str, int] = {}
    for r in hourly:
        mentions[r.keyword] = mentions.get(r.keyword, 0) + int(r.mentions)
    preview = [{"keyword": k, "mentions": m}
               for k, m in sorted(mentions.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    return DayResult(day, n, new_texts, rows, preview)


def aggregate_days_from_cassandra(
    spark: SparkSession, store: AggregateStore, keyspace: str, days: list[date]
) -> list[DayResult]:
    return [aggregate_day(store, read_raw_days(spark, keyspace, [d]), d) for d in days]


def period_documents(
    store: AggregateStore,
    period: Period,
    keywords: list[str] | None = None,
    reference: str = DEFAULT_REFERENCE,
    now: datetime | None = None,
    grace: timedelta = GRACE,
    min_count: int = MIN_WORD_COUNT,
) -> list[dict[str, Any]]:
    """The `trends` documents of a period: keywords with data, plus `keywords` (zero docs)."""
    from tweektrend_dagster.text.tokenize import tokenize

    def own_tokens(keyword: str) -> list[str]:
        return sorted(set(tokenize(keyword)) | {"#" + keyword.replace(" ", "")})

    names = sorted(set(keywords or []))
    stats = compute_period(store, period, min_count=min_count, exclude=own_tokens)
    return build_documents(stats, names, reference=reference, now=now, grace=grace)
