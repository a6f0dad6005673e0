"""Any period (day, week, month, quarter) from the daily aggregate tables, in Spark.

Only mergeable operations: sums of counts, unions of daily top-post candidates, and an exact
distinct count of authors over the period's daily author sets. The outputs are small per keyword
(bounded lists), so they are collected to the driver where `documents` shapes them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import reduce
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


def _payload(part: str, df: DataFrame, *cols: str | F.Column) -> DataFrame:
    """Rows of one statistic in the common shape (part, keyword, JSON payload), so every
    statistic of a period comes back in ONE collect (one Spark job whose independent stages run
    side by side) instead of one job per statistic."""
    return df.select(F.lit(part).alias("part"), F.col("keyword"),
                     F.to_json(F.struct(*cols)).alias("v"))


def compute_period(
    store: AggregateStore,
    period: Period,
    exclusions: dict[str, list[str]] | None = None,
    min_count: int = MIN_WORD_COUNT,
    exclude: Callable[[str], list[str]] | None = None,
) -> PeriodStats:
    """Statistics of every keyword with data in `period`. `exclusions`: keyword → its own tokens,
    left out of its related words; `exclude`: the same as a function, applied to every keyword
    found in the period (the names are only known after the first job).

    Two Spark jobs whatever the period: (1) the hourly table of the period, its previous period
    and the trailing days (small: keywords × 24 × days) is collected and summed in Python; it
    gives the keywords, mentions, previous mentions and the series; (2) everything else in one
    collect: N, exact unique users (current and previous) and top users from one aggregation of
    the daily author sets, per-day users of a week/month/quarter series, top posts, related
    words and facets, each reduced in Spark to a bounded list per keyword."""
    spark = store.spark
    days = period.days
    prev_days = period.previous.days
    trail = trailing_days(period)
    cur_set, prev_set = set(days), set(prev_days)
    series_days = sorted(cur_set | set(trail))
    all_days = sorted(cur_set | prev_set | set(trail))
    # One glob per table instead of one existence check per (table, day).
    have = {t: store.days_present(t, all_days) for t in
            ("totals", "hourly", "authors", "posts", "words", "background", "facets")}
    present = [d for d in have["totals"] if d in cur_set]
    prev_present = [d for d in have["totals"] if d in prev_set]
    stats: dict[str, KeywordStats] = {}

    def ks(keyword: str) -> KeywordStats:
        if keyword not in stats:
            stats[keyword] = KeywordStats(keyword)
        return stats[keyword]

    # ---- job 1: volumes, previous volumes and the mention series from the hourly table, and
    # N (the period's archived tweets) from the totals, as rows of one union
    n_bg = 0
    day_mentions: dict[tuple[str, date], int] = {}
    hourly = store.read("hourly", all_days, present=have["hourly"])
    totals = store.read("totals", days, present=have["totals"])
    first = []
    if hourly is not None:
        first.append(hourly.select("keyword", "day", F.col("hour").cast("int").alias("hour"),
                                   F.col("mentions").cast("long").alias("mentions"),
                                   F.col("users").cast("long").alias("users")))
    if totals is not None:
        first.append(totals.select(F.lit(None).cast("string").alias("keyword"), "day",
                                   F.lit(-1).alias("hour"),
                                   F.col("tweets").cast("long").alias("mentions"),
                                   F.lit(0).cast("long").alias("users")))
    series_set = set(series_days)
    for r in reduce(DataFrame.unionByName, first).collect() if first else []:
        m = int(r.mentions or 0)
        if r.keyword is None:
            n_bg += m
            continue
        s = ks(r.keyword)
        if r.day in cur_set:
            s.mentions += m
        if r.day in prev_set:
            s.prev_mentions = (s.prev_mentions or 0) + m
        if r.day in series_set:
            if period.hourly:
                t = datetime(r.day.year, r.day.month, r.day.day, r.hour, tzinfo=UTC)
                s.buckets[t] = (m, int(r.users))
            else:
                key = (r.keyword, r.day)
                day_mentions[key] = day_mentions.get(key, 0) + m
    if exclude is not None:
        exclusions = {**{k: exclude(k) for k in stats}, **(exclusions or {})}

    # ---- job 2: every other statistic, as (part, keyword, json) rows of one union
    parts: list[DataFrame] = []

    authors = store.read("authors", all_days, present=have["authors"])
    if authors is not None:
        # unique users (exact: distinct over the daily author sets), current and previous, and
        # the top users, from ONE aggregation per (keyword, author) over both periods
        in_cur = F.col("day").isin(days)
        per_user = authors.where(_in(cur_set | prev_set)).groupBy("keyword", "author_id").agg(
            F.sum(F.when(in_cur, F.col("posts"))).alias("posts"),
            F.max(in_cur.cast("int")).alias("cur"),
            F.max((~in_cur).cast("int")).alias("prev"),
            F.max_by(F.struct("username", "name", "followers"), F.when(in_cur, F.col("day")))
            .alias("u"),
        )
        counts = per_user.groupBy("keyword").agg(
            F.sum("cur").alias("cur"), F.sum("prev").alias("prev"))
        parts.append(_payload("users", counts, "cur", "prev"))
        top = _top(per_user.where(F.col("cur") == 1), ["keyword"],
                   [F.desc("posts"), F.asc("author_id")], TOP_USERS)
        parts.append(_payload("top_user", top, "author_id", "posts", "u.username", "u.name",
                              "u.followers"))
        if not period.hourly:
            # users of a day bucket: the day's author set has one row per author
            per_day = authors.where(_in(series_days)).groupBy("keyword", "day").agg(
                F.count(F.lit(1)).alias("users"))
            parts.append(_payload("day_users", per_day, "day", "users"))

    # top posts: the union of the daily candidates, highest observation per post
    posts = store.read("posts", days, present=have["posts"])
    if posts is not None:
        cols = ["text", "author_username", "author_name", "created_at",
                "retweets", "likes", "replies", "quotes", "engagement"]
        best = posts.groupBy("keyword", "post_id").agg(
            F.max_by(F.struct(*cols), "engagement").alias("p")).select("keyword", "post_id", "p.*")
        top_posts = _top(best, ["keyword"], [F.desc("engagement"), F.asc("post_id")], TOP_POSTS)
        parts.append(_payload("post", top_posts, "post_id", *cols))

    # related words: co-occurrence counts against the period's background
    words = store.read("words", days, present=have["words"])
    background = store.read("background", days, present=have["background"])
    if words is not None and background is not None and stats:
        counts_w = words.groupBy("keyword", "word").agg(F.sum("count").alias("count")).where(
            F.col("count") >= min_count)
        pairs = [(k, w) for k, ws in (exclusions or {}).items() for w in ws]
        if pairs:
            excl = spark.createDataFrame(pairs, "keyword string, word string")
            counts_w = counts_w.join(F.broadcast(excl), ["keyword", "word"], "left_anti")
        bg = background.groupBy("word").agg(F.sum("count").alias("c_w"))
        n_kw = spark.createDataFrame(
            [(k, s.mentions) for k, s in stats.items()], "keyword string, n_kw long")
        scored = counts_w.join(bg, "word", "left").join(F.broadcast(n_kw), "keyword").withColumn(
            "c_w", F.coalesce("c_w", "count")).withColumn(
            "score", F.round(npmi_expr(F.col("count").cast("double"), F.col("n_kw").cast("double"),
                                       F.col("c_w").cast("double"), F.lit(float(max(n_bg, 1)))), 4))
        order = [F.desc("score"), F.desc("count"), F.asc("word")]
        parts.append(_payload("word", _top(scored, ["keyword"], order, RELATED_CANDIDATES),
                              "word", "count", "c_w"))

    # locations, devices, sentiment
    facets = store.read("facets", days, present=have["facets"])
    if facets is not None:
        summed = facets.groupBy("keyword", "facet", "name").agg(F.sum("count").alias("count"))
        parts.append(_payload("facet", _top(summed, ["keyword", "facet"],
                                            [F.desc("count"), F.asc("name")], TOP_FACETS),
                              "facet", "name", "count"))

    day_users: dict[tuple[str, str], int] = {}
    rows = reduce(DataFrame.unionByName, parts).collect() if parts else []
    for part, keyword, v in rows:
        d = json.loads(v)
        if part == "users":
            s = ks(keyword)
            s.unique_users = int(d.get("cur") or 0)
            if d.get("prev"):
                s.prev_unique_users = int(d["prev"])
        elif part == "top_user":
            ks(keyword).top_users.append({
                "author_id": d["author_id"], "username": d.get("username"),
                "name": d.get("name"), "posts": int(d["posts"]),
                "followers": int(d.get("followers") or 0),
            })
        elif part == "day_users":
            day_users[(keyword, d["day"])] = int(d["users"])
        elif part == "post":
            ks(keyword).top_posts.append(d)
        elif part == "word":
            ks(keyword).words.append((d["word"], int(d["count"]), int(d["c_w"])))
        elif part == "facet":
            ks(keyword).facets.setdefault(d["facet"], []).append((d.get("name"), int(d["count"])))
    for (keyword, day), m in day_mentions.items():
        t = datetime(day.year, day.month, day.day, tzinfo=UTC)
        stats[keyword].buckets[t] = (m, day_users.get((keyword, day.isoformat()), 0))
    for s in stats.values():
        s.top_users.sort(key=lambda u: (-u["posts"], u["author_id"]))
        s.top_posts.sort(key=lambda p: (-int(p.get("engagement") or 0), int(p["post_id"])))
        for values in s.facets.values():
            values.sort(key=lambda nc: (-nc[1], nc[0]))
    if prev_present:
        for s in stats.values():
            s.prev_mentions = s.prev_mentions or 0
            s.prev_unique_users = s.prev_unique_users or 0

    return PeriodStats(period, n_bg, present, prev_present, stats)


def finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def day_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]
