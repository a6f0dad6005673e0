"""The two Spark steps the assets run: days' aggregates, and periods' documents (any number of
each in a constant number of Spark jobs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from tweektrend_dagster.analytics.daily import DAY_COLUMNS, TABLES, daily_tables, tokenised
from tweektrend_dagster.analytics.documents import DEFAULT_REFERENCE, GRACE, build_documents
from tweektrend_dagster.analytics.frames import parallelism, union_all
from tweektrend_dagster.analytics.rollup import MIN_WORD_COUNT
from tweektrend_dagster.analytics.rollup_many import compute_periods
from tweektrend_dagster.analytics.source import parse_raw, read_raw_days
from tweektrend_dagster.analytics.store import TOKENS, AggregateStore
from tweektrend_dagster.analytics.tokens import (
    TOKEN_SCHEMA,
    distinct_keys,
    token_key,
    tokenize_keys,
)
from tweektrend_dagster.contracts.periods import Period

# A refresh of the current day appends one small token file; past this many the day's token
# table is rewritten as a few files (about every 4 hours at a 5-minute refresh interval).
MAX_TOKEN_FILES = 48


@dataclass
class DayResult:
    day: date
    tweets: int
    new_texts: int  # texts added to the day's token table in this run (the rest were cached)
    rows: dict[str, int]
    preview: list[dict[str, Any]]  # keyword, mentions, users of the day (largest first)


def aggregate_days(store: AggregateStore, raw: DataFrame, days: list[date],
                   as_of: datetime | None = None) -> list[DayResult]:
    """Raw archive rows → the aggregate tables of every day of `days`, in ONE pass.

    A constant number of Spark jobs whatever the number of days: (1) parse, count the tweets
    and find the texts missing from each day's token table; (2) tokenise them (each distinct
    text once over all days; skipped when none) and append them to their days' token tables;
    (3) one job per aggregate table, every table grouped by day and written per day; (4) the
    row counts and the preview of every day, read back from the written files. A day of `days`
    without any tweet costs nothing in Spark and is left without folders (a day that had
    aggregates before loses them: it now reads as zero everywhere). Results: the days with
    tweets, in order."""
    days = sorted(set(days))
    if not days:
        return []
    # taken before the raw rows are read (lazily, by the first job): every tweet ingested
    # before this moment is in the tables
    as_of_ms = int((as_of or datetime.now(UTC)).timestamp() * 1000)
    spark = store.spark
    in_days = F.col("day") == days[0] if len(days) == 1 else F.col("day").isin(days)
    # Only the columns the tables use are parsed and cached (from_json is pruned to them).
    # The text key (hash of the text without "RT @user:") is computed once, into the cache.
    tweets = parse_raw(raw.where(in_days)).select(*DAY_COLUMNS).withColumn(
        "tkey", token_key()[1]).persist(StorageLevel.MEMORY_AND_DISK)
    cached = store.read(TOKENS, days)
    missing = tweets.select("day", "tkey").distinct()
    if cached is not None:  # a refresh: the new keys are found on the 8-byte hashes
        missing = missing.join(cached.select("day", "tkey"), ["day", "tkey"], "left_anti")
    missing = missing.persist(StorageLevel.MEMORY_AND_DISK)
    reusable = None
    if cached is None:  # nothing cached: every distinct text of the run
        texts = distinct_keys(tweets)
    elif len(days) == 1:  # the current day's refresh: only the few new texts are shuffled
        texts = distinct_keys(tweets.join(missing.select("tkey"), "tkey", "left_semi"))
    else:  # the same, and a text cached on another day of the run is reused
        reusable = cached.select("tkey", "tokens", "sentiment").dropDuplicates(["tkey"])
        new_keys = missing.select("tkey").distinct().join(
            reusable.select("tkey"), "tkey", "left_anti")
        texts = distinct_keys(tweets.join(new_keys, "tkey", "left_semi"))
    texts = texts.persist(StorageLevel.MEMORY_AND_DISK)

    # ---- job 1: tweets and token rows missing per day, texts to tokenise, as one union
    counts = union_all([
        tweets.groupBy("day").count().select(F.lit("tweets").alias("what"), "day", "count"),
        missing.groupBy("day").count().select(F.lit("new").alias("what"), "day", "count"),
        texts.groupBy().count().select(F.lit("texts").alias("what"),
                                       F.lit(None).cast("date").alias("day"), "count"),
    ]).collect()
    n_tweets = {r.day: int(r["count"]) for r in counts if r.what == "tweets"}
    n_new = {r.day: int(r["count"]) for r in counts if r.what == "new"}
    n_texts = sum(int(r["count"]) for r in counts if r.what == "texts")
    with_tweets = sorted(n_tweets)
    # a day that had aggregates and now has no tweet must not keep them
    store.delete_days((*TABLES, TOKENS), set(days) - set(with_tweets))
    staging = store.new_staging()
    try:
        if n_new:
            # ---- job 2: tokenise and append to the days' token tables. Written before use:
            # the token table is the cache of the next refresh, and reading it back cuts the
            # lineage so Kiwi never runs twice for one text.
            source = tokenize_keys(texts, n_texts) if n_texts else None
            if reusable is not None:
                source = reusable if source is None else source.unionByName(reusable)
            if len(days) == 1:  # one day: no join; few new texts → one file, else one per task
                rows = source.select(F.lit(days[0]).alias("day"), "tkey", "tokens", "sentiment")
                store.stage_days(staging, TOKENS, rows, files=0 if n_texts >= 20_000 else 1)
            else:  # one file per day and run
                rows = missing.join(source, "tkey").select("day", "tkey", "tokens", "sentiment")
                store.stage_days(staging, TOKENS, rows)
            store.publish_days(staging, TOKENS, n_new, mode="append")
            for day in sorted(n_new):
                if store.file_count(TOKENS, day) > MAX_TOKEN_FILES:
                    store.compact(TOKENS, day, files=2 * parallelism(spark))
        texts.unpersist()
        missing.unpersist()
        if not with_tweets:
            tweets.unpersist()
            return []

        # ---- jobs 3-9: every aggregate table of every day, one write per table
        tokens = store.read(TOKENS, with_tweets)
        if tokens is None:
            tokens = spark.createDataFrame([], TOKEN_SCHEMA)
        toks = tokenised(tweets, tokens).persist(StorageLevel.MEMORY_AND_DISK)
        tables = daily_tables(tweets, toks, as_of_ms).as_dict()
        for name in TABLES:
            # a single day: a few files as before, no shuffle; many days: one file per day
            store.stage_days(staging, name, tables[name], files=2 if len(with_tweets) == 1
                             else None)
        toks.unpersist()
        tweets.unpersist()

        # ---- job 10: rows per table and day, and the preview, from the staged (small) files
        rows_by_day, preview = _staged_summary(store, staging)
        for name in TABLES:
            store.publish_days(staging, name, with_tweets, mode="overwrite")
    finally:
        store.drop_staging(staging)
    return [
        DayResult(day, n_tweets[day], n_new.get(day, 0),
                  {t: rows_by_day.get((t, day), 0) for t in TABLES}, preview.get(day, []))
        for day in with_tweets
    ]


def _staged_summary(store: AggregateStore, staging: str
                    ) -> tuple[dict[tuple[str, date], int], dict[date, list[dict[str, Any]]]]:
    """(table, day) → rows, and day → the 10 keywords with most mentions, in ONE Spark job."""
    parts = []
    for name in TABLES:
        if not store.staged_days(staging, name):
            continue  # no row on any day: nothing was written
        df = store.spark.read.parquet(f"{staging}/{name}")
        parts.append(df.groupBy("day").count().select(
            F.lit(name).alias("t"), "day", F.lit(None).cast("string").alias("keyword"),
            F.col("count").alias("n")))
        if name == "hourly":
            parts.append(df.groupBy("day", "keyword").agg(F.sum("mentions").alias("n")).select(
                F.lit("preview").alias("t"), "day", "keyword", "n"))
    rows: dict[tuple[str, date], int] = {}
    mentions: dict[date, list[tuple[str, int]]] = {}
    for r in union_all(parts).collect() if parts else []:
        if r.t == "preview":
            mentions.setdefault(r.day, []).append((r.keyword, int(r.n)))
        else:
            rows[(r.t, r.day)] = int(r.n)
    preview = {
        day: [{"keyword": k, "mentions": m}
              for k, m in sorted(found, key=lambda kv: (-kv[1], kv[0]))[:10]]
        for day, found in mentions.items()
    }
    return rows, preview


def aggregate_day(store: AggregateStore, raw: DataFrame, day: date,
                  as_of: datetime | None = None) -> DayResult:
    """ONE day (the current day's refresh): `aggregate_days` with one day."""
    results = aggregate_days(store, raw, [day], as_of)
    return results[0] if results else DayResult(day, 0, 0, dict.fromkeys(TABLES, 0), [])


def aggregate_days_from_cassandra(
    spark: SparkSession, store: AggregateStore, keyspace: str, days: list[date]
) -> list[DayResult]:
    """The days' raw rows read once (partitions pushed down to Cassandra), then one pass."""
    if not days:
        return []
    return aggregate_days(store, read_raw_days(spark, keyspace, days), days)


def own_tokens(keyword: str) -> list[str]:
    """A keyword's own tokens (and its hashtag), left out of its related words."""
    from tweektrend_dagster.text.tokenize import tokenize

    return sorted(set(tokenize(keyword)) | {"#" + keyword.replace(" ", "")})


def periods_documents(
    store: AggregateStore,
    periods: list[Period],
    reference: str = DEFAULT_REFERENCE,
    now: datetime | None = None,
    grace: timedelta = GRACE,
    min_count: int = MIN_WORD_COUNT,
) -> dict[Period, list[dict[str, Any]]]:
    """The `trends` documents of every period (two Spark jobs per kind of period, whatever the
    number of periods). Only keywords with tweets in a period get a document: a missing
    document reads as zero. Every period asked for is a key (an empty list when it has none)."""
    now = now or datetime.now(UTC)
    out: dict[Period, list[dict[str, Any]]] = {}
    kinds = sorted({p.kind for p in periods})
    for kind in kinds:
        stats = compute_periods(store, [p for p in periods if p.kind == kind],
                                min_count=min_count, exclude=own_tokens)
        for period, period_stats in stats.items():
            docs = build_documents(period_stats, reference=reference, now=now, grace=grace)
            out[period] = [d for d in docs if d["mentions"] > 0]
    return out


def period_documents(
    store: AggregateStore,
    period: Period,
    reference: str = DEFAULT_REFERENCE,
    now: datetime | None = None,
    grace: timedelta = GRACE,
    min_count: int = MIN_WORD_COUNT,
) -> list[dict[str, Any]]:
    """The `trends` documents of one period (keywords with tweets in it)."""
    return periods_documents(store, [period], reference=reference, now=now, grace=grace,
                             min_count=min_count)[period]
