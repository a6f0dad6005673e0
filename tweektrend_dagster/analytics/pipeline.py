"""The two Spark steps the assets run: days' aggregates, and periods' documents (any number of
each in a constant number of Spark jobs)."""

from __future__ import annotations

from collections.abc import Callable
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
from tweektrend_dagster.analytics.slices import (
    KEYS,
    SLACK_MS,
    SLICE,
    DaySlices,
    hours_to_compute,
)
from tweektrend_dagster.analytics.source import parse_raw, read_raw_days, read_raw_hours
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
    hours: int = 24  # hours read and aggregated (a refresh from slices: the changed ones)


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
    as_of_ms = _as_of_ms(as_of)
    in_days = F.col("day") == days[0] if len(days) == 1 else F.col("day").isin(days)
    staging = store.new_staging()
    try:
        tweets = _parsed(store, raw.where(in_days), staging)
        n_tweets, n_new = _tokenise(store, tweets, days)
        with_tweets = sorted(n_tweets)
        # a day that had aggregates and now has no tweet must not keep them
        store.delete_days((*TABLES, TOKENS), set(days) - set(with_tweets))
        if not with_tweets:
            tweets.unpersist()
            return []
        # ---- jobs 3-9: every aggregate table of every day, one write per table
        toks = _tokens_of(store, tweets, with_tweets, ("day",))
        tables = daily_tables(tweets, toks, as_of_ms).as_dict()
        rows_by_day, preview, _ = _publish_tables(store, staging, tables, with_tweets)
        toks.unpersist()
        tweets.unpersist()
    finally:
        store.drop_staging(staging)
    return [
        DayResult(day, n_tweets[day], n_new.get(day, 0),
                  {t: rows_by_day.get((t, day), 0) for t in TABLES}, preview.get(day, []))
        for day in with_tweets
    ]


def refresh_day(store: AggregateStore, read_hours: Callable[[list[int]], DataFrame], day: date,
                marks: dict[int, datetime], as_of: datetime | None = None,
                slack_ms: int = SLACK_MS) -> DayResult | None:
    """ONE day from its hour slices (`analytics/slices.py`): only the hours marked since their
    slices were computed are read (`read_hours(hours)`: their raw rows), tokenised and
    aggregated; then every slice of the day is merged into its tables. None when the day has
    no tweets (its tables are removed)."""
    as_of_ms = _as_of_ms(as_of)
    slices = DaySlices(store)
    hours = hours_to_compute(slices.computed(day), marks, slack_ms)
    staging = store.new_staging()
    n_new: dict[date, int] = {}
    try:
        if hours:
            parsed = _parsed(store, read_hours(hours), staging)
            tweets = parsed.withColumn(SLICE, F.col("hour"))
            n_tweets, n_new = _tokenise(store, tweets, [day])
            toks = _tokens_of(store, tweets, [day], KEYS) if n_tweets else None
            if toks is not None:
                slices.stage(staging, daily_tables(tweets, toks, as_of_ms, KEYS).as_dict(),
                             len(hours))
                toks.unpersist()
            slices.publish(staging, day, hours)
            parsed.unpersist()
        tables = slices.merged(day, as_of_ms)
        if tables is None:
            store.delete_days((*TABLES, TOKENS), [day])
            return None
        rows_by_day, preview, tweets_by_day = _publish_tables(store, staging, tables, [day])
    finally:
        store.drop_staging(staging)
    return DayResult(day, tweets_by_day.get(day, 0), n_new.get(day, 0),
                     {t: rows_by_day.get((t, day), 0) for t in TABLES}, preview.get(day, []),
                     hours=len(hours))


def _as_of_ms(as_of: datetime | None) -> int:
    return int((as_of or datetime.now(UTC)).timestamp() * 1000)


def _parsed(store: AggregateStore, raw: DataFrame, staging: str) -> DataFrame:
    """The raw rows parsed once, into the run's staging folder, and read from there (cached).
    Only the columns the tables use are parsed (from_json is pruned to them); the text key
    (hash of the text without "RT @user:") is computed once, with them.
    Written rather than only persisted: a Spark Connect server rebuilds the Cassandra scan of
    every request, never equal to the cached one, so a persisted Cassandra read was read and
    parsed again by each of the run's ten jobs (measured: 11 s for one hour's 150,000 tweets,
    then 0.2 s per job from the written copy instead of 3 s)."""
    path = f"{staging}/_parsed"
    parse_raw(raw).select(*DAY_COLUMNS).withColumn("tkey", token_key()[1]).write.parquet(path)
    return store.spark.read.parquet(path).persist(StorageLevel.MEMORY_AND_DISK)


def _tokenise(store: AggregateStore, tweets: DataFrame, days: list[date]
              ) -> tuple[dict[date, int], dict[date, int]]:
    """Jobs 1-2: the tweets per day, and the texts of `tweets` missing from their days' token
    tables, tokenised and appended to them. Returns (tweets per day, new token rows per day)."""
    spark = store.spark
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
    if n_new:
        # ---- job 2: tokenise and append to the days' token tables. Written before use:
        # the token table is the cache of the next refresh, and reading it back cuts the
        # lineage so Kiwi never runs twice for one text.
        staging = store.new_staging()
        try:
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
        finally:
            store.drop_staging(staging)
        for day in sorted(n_new):
            if store.file_count(TOKENS, day) > MAX_TOKEN_FILES:
                store.compact(TOKENS, day, files=2 * parallelism(spark))
    texts.unpersist()
    missing.unpersist()
    return n_tweets, n_new


def _tokens_of(store: AggregateStore, tweets: DataFrame, days: list[date],
               keys: tuple[str, ...]) -> DataFrame:
    tokens = store.read(TOKENS, days)
    if tokens is None:
        tokens = store.spark.createDataFrame([], TOKEN_SCHEMA)
    return tokenised(tweets, tokens, keys).persist(StorageLevel.MEMORY_AND_DISK)


def _publish_tables(store: AggregateStore, staging: str, tables: dict[str, DataFrame],
                    days: list[date]
                    ) -> tuple[dict[tuple[str, date], int], dict[date, list[dict[str, Any]]],
                               dict[date, int]]:
    """Write the day tables (one write per table), then read back their row counts, preview
    and tweets per day (job 10) and move them into place."""
    for name in TABLES:
        # a single day: a few files as before, no shuffle; many days: one file per day
        store.stage_days(staging, name, tables[name], files=2 if len(days) == 1 else None)
    rows_by_day, preview, tweets = _staged_summary(store, staging)
    for name in TABLES:
        store.publish_days(staging, name, days, mode="overwrite")
    return rows_by_day, preview, tweets


def _staged_summary(store: AggregateStore, staging: str
                    ) -> tuple[dict[tuple[str, date], int], dict[date, list[dict[str, Any]]],
                               dict[date, int]]:
    """(table, day) → rows, day → the 10 keywords with most mentions, and day → tweets, in
    ONE Spark job."""
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
        if name == "totals":
            parts.append(df.groupBy("day").agg(F.sum("tweets").alias("n")).select(
                F.lit("tweets").alias("t"), "day", F.lit(None).cast("string").alias("keyword"),
                "n"))
    rows: dict[tuple[str, date], int] = {}
    mentions: dict[date, list[tuple[str, int]]] = {}
    tweets: dict[date, int] = {}
    for r in union_all(parts).collect() if parts else []:
        if r.t == "preview":
            mentions.setdefault(r.day, []).append((r.keyword, int(r.n)))
        elif r.t == "tweets":
            tweets[r.day] = int(r.n)
        else:
            rows[(r.t, r.day)] = int(r.n)
    preview = {
        day: [{"keyword": k, "mentions": m}
              for k, m in sorted(found, key=lambda kv: (-kv[1], kv[0]))[:10]]
        for day, found in mentions.items()
    }
    return rows, preview, tweets


def aggregate_day(store: AggregateStore, raw: DataFrame, day: date,
                  as_of: datetime | None = None) -> DayResult:
    """ONE day (the current day's refresh): `aggregate_days` with one day."""
    results = aggregate_days(store, raw, [day], as_of)
    return results[0] if results else DayResult(day, 0, 0, dict.fromkeys(TABLES, 0), [])


def refresh_day_from_cassandra(spark: SparkSession, store: AggregateStore, keyspace: str,
                               day: date, marks: dict[int, datetime],
                               slack_ms: int = SLACK_MS) -> DayResult | None:
    """`refresh_day` reading the changed hours' partitions from Cassandra."""
    return refresh_day(store, lambda hours: read_raw_hours(spark, keyspace, day, hours), day,
                       marks, slack_ms=slack_ms)


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
