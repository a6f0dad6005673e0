"""The two Spark steps the assets run: a day's aggregates, and a period's documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from tweektrend_dagster.analytics.daily import TABLES, daily_tables, with_tokens
from tweektrend_dagster.analytics.documents import DEFAULT_REFERENCE, GRACE, build_documents
from tweektrend_dagster.analytics.periods import Period
from tweektrend_dagster.analytics.rollup import MIN_WORD_COUNT, compute_period
from tweektrend_dagster.analytics.source import parse_raw, read_raw_days
from tweektrend_dagster.analytics.store import TOKENS, AggregateStore
from tweektrend_dagster.analytics.tokens import tokenize_texts


@dataclass
class DayResult:
    day: date
    tweets: int
    new_texts: int  # texts tokenised in this run (the rest came from the day's token table)
    rows: dict[str, int]
    preview: list[dict[str, Any]]  # keyword, mentions, users of the day (largest first)


def aggregate_day(store: AggregateStore, raw: DataFrame, day: date) -> DayResult:
    """Raw archive rows of ONE day → the day's aggregate tables in `store`."""
    tweets = parse_raw(raw).persist(StorageLevel.MEMORY_AND_DISK)
    n = tweets.count()
    cached = store.read(TOKENS, [day])
    new = tokenize_texts(tweets, cached)
    # Written before use: the token table is the cache for the next refresh of this day, and
    # reading it back cuts the lineage so Kiwi never runs twice for one text.
    store.write(TOKENS, day, new, mode="append")
    new_texts = store.spark.read.parquet(store.path(TOKENS, day)).count() - (
        0 if cached is None else cached.count())
    tokens = store.spark.read.parquet(store.path(TOKENS, day))
    enriched = with_tokens(tweets, tokens).persist(StorageLevel.MEMORY_AND_DISK)
    tables = daily_tables(enriched).as_dict()
    rows: dict[str, int] = {}
    for name in TABLES:
        store.write(name, day, tables[name])
        rows[name] = store.spark.read.parquet(store.path(name, day)).count()
    preview = [
        r.asDict() for r in store.spark.read.parquet(store.path("hourly", day))
        .groupBy("keyword").agg(F.sum("mentions").alias("mentions"))
        .orderBy(F.desc("mentions"), "keyword").limit(10).collect()
    ]
    enriched.unpersist()
    tweets.unpersist()
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

    names = set(keywords or [])
    stats = None
    # Exclusions need the keyword names first; they are cheap to read from the hourly table.
    hourly = store.read("hourly", period.days)
    if hourly is not None:
        names |= {r[0] for r in hourly.select("keyword").distinct().collect()}
    exclusions = {k: sorted(set(tokenize(k)) | {"#" + k.replace(" ", "")}) for k in names}
    stats = compute_period(store, period, exclusions, min_count=min_count)
    return build_documents(stats, sorted(names), reference=reference, now=now, grace=grace)
