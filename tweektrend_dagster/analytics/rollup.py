"""Any period (day, week, month, quarter) from the daily aggregate tables, in Spark.

Only mergeable operations: sums of counts, unions of daily top-post candidates, and an exact
distinct count of authors over the period's daily author sets. The outputs are small per keyword
(bounded lists), so they are collected to the driver where `documents` shapes them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from tweektrend_dagster.analytics.periods import Period, trailing_days
from tweektrend_dagster.analytics.store import AggregateStore

TOP_POSTS = 10
TOP_USERS = 10
TOP_FACETS = 10
RELATED_CANDIDATES = 100  # pre-ranked in Spark; `rank_related` keeps the final 50
MIN_WORD_COUNT = 3


@dataclass
class KeywordStats:
    keyword: str
    mentions: int = 0
    unique_users: int = 0
    prev_mentions: int | None = None
    prev_unique_users: int | None = None
    # bucket start (UTC) → (mentions, users); includes the trailing baseline buckets
    buckets: dict[datetime, tuple[int, int]] = field(default_factory=dict)
    top_posts: list[dict[str, Any]] = field(default_factory=list)
    top_users: list[dict[str, Any]] = field(default_factory=list)
    words: list[tuple[str, int, int]] = field(default_factory=list)  # (word, count, background)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


@dataclass
class PeriodStats:
    period: Period
    background_tweets: int  # N: archived tweets in the period
    days_present: list[date]  # days whose aggregates exist
    prev_days_present: list[date]
    keywords: dict[str, KeywordStats]


def _in(days: Iterable[date]) -> F.Column:
    return F.col("day").isin(sorted(set(days)))


def npmi_expr(c: F.Column, n_kw: F.Column, c_w: F.Column, n: F.Column) -> F.Column:
    """`text.association.npmi` as a Spark expression (same clamping of inconsistent counts)."""
    n_kw = F.greatest(n_kw, c)
    c_w = F.greatest(c_w, c)
    n = F.greatest(n, n_kw + c_w - c)
    pmi = F.log(c * n / (n_kw * c_w))
    raw = pmi / -F.log(c / n)
    return F.when(c == n, F.lit(1.0)).otherwise(F.greatest(F.lit(-1.0), F.least(F.lit(1.0), raw)))


def _top(df: DataFrame, part: list[str], order: list[F.Column], n: int) -> DataFrame:
    w = Window.partitionBy(*part).orderBy(*order)
    return df.withColumn("_rank", F.row_number().over(w)).where(F.col("_rank") <= n).drop("_rank")


def _rows(df: DataFrame | None) -> list[Any]:
    return [] if df is None else df.collect()


def compute_period(
    store: AggregateStore,
    period: Period,
    exclusions: dict[str, list[str]] | None = None,
    min_count: int = MIN_WORD_COUNT,
) -> PeriodStats:
    """Statistics of every keyword with data in `period`. `exclusions`: keyword → its own tokens,
    left out of its related words."""
    spark = store.spark
    days = period.days
    prev_days = period.previous.days
    trail = trailing_days(period)
    present = store.days_present("totals", days)
    prev_present = store.days_present("totals", prev_days)
    all_days = sorted(set(days) | set(prev_days) | set(trail))
    stats: dict[str, KeywordStats] = {}

    def ks(keyword: str) -> KeywordStats:
        if keyword not in stats:
            stats[keyword] = KeywordStats(keyword)
        return stats[keyword]

    totals = store.read("totals", days)
    n_bg = 0 if totals is None else int(totals.agg(F.sum("tweets")).first()[0] or 0)

    # ---- volumes, series, previous period
    hourly = store.read("hourly", all_days)
    authors = store.read("authors", sorted(set(days) | set(prev_days) | set(trail)))
    if hourly is not None:
        hourly = hourly.cache()
        for r in hourly.where(_in(days)).groupBy("keyword").agg(F.sum("mentions")).collect():
            ks(r[0]).mentions = int(r[1])
        for r in hourly.where(_in(prev_days)).groupBy("keyword").agg(F.sum("mentions")).collect():
            ks(r[0]).prev_mentions = int(r[1])
        series_days = sorted(set(days) | set(trail))
        if period.hourly:
            rows = hourly.where(_in(series_days)).select(
                "keyword", "day", "hour", "mentions", "users").collect()
            for r in rows:
                t = datetime(r.day.year, r.day.month, r.day.day, r.hour, tzinfo=UTC)
                ks(r.keyword).buckets[t] = (int(r.mentions), int(r.users))
        else:
            mentions = hourly.where(_in(series_days)).groupBy("keyword", "day").agg(
                F.sum("mentions").alias("mentions"))
            users = authors.where(_in(series_days)).groupBy("keyword", "day").agg(
                F.count(F.lit(1)).alias("users"))
            for r in mentions.join(users, ["keyword", "day"], "left").collect():
                t = datetime(r.day.year, r.day.month, r.day.day, tzinfo=UTC)
                ks(r.keyword).buckets[t] = (int(r.mentions), int(r.users or 0))
        hourly.unpersist()

    # ---- unique users (exact: distinct over the daily author sets) and top users
    if authors is not None:
        cur = authors.where(_in(days))
        for r in cur.groupBy("keyword").agg(F.countDistinct("author_id")).collect():
            ks(r[0]).unique_users = int(r[1])
        for r in authors.where(_in(prev_days)).groupBy("keyword").agg(
            F.countDistinct("author_id")
        ).collect():
            ks(r[0]).prev_unique_users = int(r[1])
        latest = F.struct("username", "name", "followers")
        per_user = cur.groupBy("keyword", "author_id").agg(
            F.sum("posts").alias("posts"), F.max_by(latest, "day").alias("u"))
        top = _top(per_user, ["keyword"], [F.desc("posts"), F.asc("author_id")], TOP_USERS)
        for r in top.orderBy("keyword", F.desc("posts"), "author_id").collect():
            ks(r.keyword).top_users.append({
                "author_id": r.author_id, "username": r.u.username, "name": r.u.name,
                "posts": int(r.posts), "followers": int(r.u.followers or 0),
            })
    if prev_present:
        for s in stats.values():
            s.prev_mentions = s.prev_mentions or 0
            s.prev_unique_users = s.prev_unique_users or 0

    # ---- top posts: the union of the daily candidates, highest observation per post
    posts = store.read("posts", days)
    if posts is not None:
        cols = ["text", "author_username", "author_name", "created_at",
                "retweets", "likes", "replies", "quotes", "engagement"]
        best = posts.groupBy("keyword", "post_id").agg(
            F.max_by(F.struct(*cols), "engagement").alias("p")).select("keyword", "post_id", "p.*")
        order = [F.desc("engagement"), F.asc("post_id")]
        for r in _top(best, ["keyword"], order, TOP_POSTS).orderBy("keyword", *order).collect():
            d = r.asDict()
            ks(d.pop("keyword")).top_posts.append(d)

    # ---- related words: co-occurrence counts against the period's background
    words = store.read("words", days)
    background = store.read("background", days)
    if words is not None and background is not None and stats:
        counts = words.groupBy("keyword", "word").agg(F.sum("count").alias("count")).where(
            F.col("count") >= min_count)
        if exclusions:
            excl = spark.createDataFrame(
                [(k, w) for k, ws in exclusions.items() for w in ws], "keyword string, word string")
            counts = counts.join(excl, ["keyword", "word"], "left_anti")
        bg = background.groupBy("word").agg(F.sum("count").alias("c_w"))
        n_kw = spark.createDataFrame(
            [(k, s.mentions) for k, s in stats.items()], "keyword string, n_kw long")
        scored = counts.join(bg, "word", "left").join(n_kw, "keyword").withColumn(
            "c_w", F.coalesce("c_w", "count")).withColumn(
            "score", F.round(npmi_expr(F.col("count").cast("double"), F.col("n_kw").cast("double"),
                                       F.col("c_w").cast("double"), F.lit(float(max(n_bg, 1)))), 4))
        order = [F.desc("score"), F.desc("count"), F.asc("word")]
        for r in _top(scored, ["keyword"], order, RELATED_CANDIDATES).collect():
            ks(r.keyword).words.append((r.word, int(r["count"]), int(r.c_w)))

    # ---- locations, devices, sentiment
    facets = store.read("facets", days)
    if facets is not None:
        summed = facets.groupBy("keyword", "facet", "name").agg(F.sum("count").alias("count"))
        order = [F.desc("count"), F.asc("name")]
        for r in _top(summed, ["keyword", "facet"], order, TOP_FACETS).orderBy(
            "keyword", "facet", *order
        ).collect():
            ks(r.keyword).facets.setdefault(r.facet, []).append((r.name, int(r["count"])))

    return PeriodStats(period, n_bg, present, prev_present, stats)


def finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def day_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]
