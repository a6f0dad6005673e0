"""Many periods of one kind (160 days, 23 weeks, …) from the daily aggregates in two Spark jobs.

The statistics of every period at once (`compute_period` is this with one period): each
daily row is tagged with the start of its period (`period_start`: the day, its Monday, the 1st of
its month or of its quarter) and grouped by (period, keyword, …). A period's
previous period is a period of the same kind, so the previous figures are the figures of the
previous period (exact distinct authors over its days). Job 1 collects the small daily volumes
(the hourly rows for day periods, daily sums otherwise) and N; job 2 is one union collect of
everything else, for all periods.

Original posts (not retweets) are counted beside the totals by the same rules, from the same
rows (`original_*` columns of `hourly` and `authors`); a keyword whose rows on a day of the
period predate those columns gets `originals.counted = False` rather than a partial count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tweektrend_dagster.analytics.daily import (
    AUTHORS_SCHEMA,
    HOURLY_SCHEMA,
    POST_KEY,
    post_identity,
)
from tweektrend_dagster.analytics.frames import union_all
from tweektrend_dagster.analytics.rollup import (
    MIN_WORD_COUNT,
    RELATED_CANDIDATES,
    TOP_FACETS,
    TOP_POSTS,
    TOP_USERS,
    KeywordStats,
    PeriodStats,
    _top,
    npmi_expr,
)
from tweektrend_dagster.analytics.store import AggregateStore
from tweektrend_dagster.contracts.periods import Period, PeriodKind, trailing_days

TABLES = ("totals", "hourly", "authors", "posts", "words", "background", "facets")


def period_start(kind: PeriodKind, day: Column | None = None) -> Column:
    """The start of the period of `kind` holding `day` (a date column), as `Period.containing`."""
    d = F.col("day") if day is None else day
    if kind == "day":
        return d
    if kind == "week":  # dayofweek: Sunday 1 … Saturday 7; weeks start on Monday
        return F.date_sub(d, (F.dayofweek(d) + 5) % 7)
    return F.trunc(d, "month" if kind == "month" else "quarter")


# the totals table as read (folders written before `as_of_ms` existed read it as null)
TOTALS_SCHEMA = T.StructType([
    T.StructField("tweets", T.LongType()),
    T.StructField("matched", T.LongType()),
    T.StructField("as_of_ms", T.LongType()),
])


def _no_time() -> Column:
    return F.lit(None).cast("long").alias("as_of_ms")


def _payload(part: str, df: DataFrame, *cols: str | Column) -> DataFrame:
    """Rows of one statistic as (part, period start or null, keyword, JSON payload)."""
    start = F.col("pstart") if "pstart" in df.columns else F.lit(None).cast("date")
    # a nested field keeps its own name ("u.username" → "username"): named explicitly, since
    # Spark Connect would name the struct field after the whole path
    named = [F.col(c).alias(c.rsplit(".", 1)[-1]) if isinstance(c, str) else c for c in cols]
    return df.select(F.lit(part).alias("part"), start.alias("pstart"), F.col("keyword"),
                     F.to_json(F.struct(*named)).alias("v"))


def _all_or_null(column: str) -> Column:
    """The sum of `column`, or null when any row lacks it (written before it existed)."""
    return F.when(F.count(column) == F.count(F.lit(1)), F.sum(F.col(column).cast("long")))


def _in(days: Iterable[date]) -> Column:
    return F.col("day").isin(sorted(set(days)))


def compute_periods(
    store: AggregateStore,
    periods: Iterable[Period],
    exclusions: dict[str, list[str]] | None = None,
    min_count: int = MIN_WORD_COUNT,
    exclude: Callable[[str], list[str]] | None = None,
) -> dict[Period, PeriodStats]:
    """`compute_period` of each of `periods` (all of one kind), in two Spark jobs."""
    periods = sorted(set(periods), key=lambda p: p.start)
    if not periods:
        return {}
    kind = periods[0].kind
    if any(p.kind != kind for p in periods):
        raise ValueError("compute_periods takes periods of one kind")
    spark = store.spark
    hourly_kind = periods[0].hourly
    by_start = {p.start: p for p in periods}
    # roles of each day: cur of P, prev of P (a day of P.previous), series of P (cur or trailing)
    cur_of: dict[date, Period] = {}
    prev_of: dict[date, Period] = {}
    series_of: dict[date, list[Period]] = {}
    for p in periods:
        for d in p.days:
            cur_of[d] = p
            series_of.setdefault(d, []).append(p)
        for d in p.previous.days:
            prev_of[d] = p
        for d in trailing_days(p):
            series_of.setdefault(d, []).append(p)
    cur_days, prev_days = set(cur_of), set(prev_of)
    series_days = set(series_of)
    all_days = sorted(cur_days | prev_days | series_days)
    have = {t: store.days_present(t, all_days) for t in TABLES}
    stats: dict[Period, dict[str, KeywordStats]] = {p: {} for p in periods}

    def ks(p: Period, keyword: str) -> KeywordStats:
        found = stats[p]
        if keyword not in found:
            found[keyword] = KeywordStats(keyword)
        return found[keyword]

    # ---- job 1: volumes per day (hourly rows for a day period) and N per day, as one union
    n_bg: dict[Period, int] = {p: 0 for p in periods}
    as_of: dict[Period, int] = {}  # epoch ms of the newest raw read among the period's days
    day_mentions: dict[tuple[Period, str, date], int] = {}
    day_originals: dict[tuple[Period, str, date], int] = {}
    hourly = store.read("hourly", all_days, HOURLY_SCHEMA, present=have["hourly"])
    totals = store.read("totals", sorted(cur_days), TOTALS_SCHEMA, present=have["totals"])
    first = []
    no_count = F.lit(None).cast("long")
    if hourly is not None:
        if hourly_kind:
            first.append(hourly.select("keyword", "day", F.col("hour").cast("int").alias("hour"),
                                       F.col("mentions").cast("long").alias("mentions"),
                                       F.col("users").cast("long").alias("users"),
                                       "original_mentions", "original_users", _no_time()))
        else:  # buckets are days: the hourly rows summed per (keyword, day) in Spark
            first.append(hourly.groupBy("keyword", "day").agg(
                F.sum(F.col("mentions").cast("long")).alias("mentions"),
                _all_or_null("original_mentions").alias("original_mentions")).select(
                "keyword", "day", F.lit(0).alias("hour"), "mentions",
                F.lit(0).cast("long").alias("users"), "original_mentions",
                F.lit(0).cast("long").alias("original_users"), _no_time()))
    if totals is not None:
        first.append(totals.select(F.lit(None).cast("string").alias("keyword"), "day",
                                   F.lit(-1).alias("hour"),
                                   F.col("tweets").cast("long").alias("mentions"),
                                   F.lit(0).cast("long").alias("users"),
                                   no_count.alias("original_mentions"),
                                   no_count.alias("original_users"), "as_of_ms"))
    for r in union_all(first).collect() if first else []:
        m = int(r.mentions or 0)
        om = r.original_mentions  # None: the day's rows predate the original-post columns
        if r.keyword is None:
            if r.day in cur_of:
                n_bg[cur_of[r.day]] += m
                if r.as_of_ms is not None:
                    as_of[cur_of[r.day]] = max(as_of.get(cur_of[r.day], 0), int(r.as_of_ms))
            continue
        if r.day in cur_of:
            s = ks(cur_of[r.day], r.keyword)
            s.mentions += m
            s.originals.mentions += int(om or 0)
            s.originals.counted &= om is not None
        if r.day in prev_of:
            s = ks(prev_of[r.day], r.keyword)
            s.prev_mentions = (s.prev_mentions or 0) + m
            s.originals.prev_mentions = (s.originals.prev_mentions or 0) + int(om or 0)
            s.originals.prev_counted &= om is not None
        for p in series_of.get(r.day, []):
            s = ks(p, r.keyword)
            if hourly_kind:
                t = datetime(r.day.year, r.day.month, r.day.day, r.hour, tzinfo=UTC)
                s.buckets[t] = (m, int(r.users))
                s.originals.buckets[t] = (int(om or 0), int(r.original_users or 0))
            else:
                key = (p, r.keyword, r.day)
                day_mentions[key] = day_mentions.get(key, 0) + m
                day_originals[key] = day_originals.get(key, 0) + int(om or 0)
    keywords = {k for found in stats.values() for k in found}
    if exclude is not None:
        exclusions = {**{k: exclude(k) for k in keywords}, **(exclusions or {})}
    requested = [p.start for p in periods]
    cur_list = sorted(cur_days)

    # ---- job 2: every other statistic of every period, as (part, period, keyword, json) rows
    parts: list[DataFrame] = []
    authors = store.read("authors", all_days, AUTHORS_SCHEMA, present=have["authors"])
    if authors is not None:
        # exact unique users per (period, keyword) over the requested periods and their previous
        # ones (a previous period is a period of the same kind: its count is the prev figure);
        # the original users are the authors with an original post in the period
        wrote = F.col("original_posts") > 0
        per_user = authors.where(_in(cur_days | prev_days)).withColumn(
            "pstart", period_start(kind)).groupBy("pstart", "keyword", "author_id").agg(
            F.sum("posts").alias("posts"),
            F.sum("original_posts").alias("original_posts"),
            F.count(F.when(F.col("original_posts").isNull(), 1)).alias("uncounted"),
            F.max_by(F.struct("username", "name", "followers"), F.col("day")).alias("u"),
        )
        counts = per_user.groupBy("pstart", "keyword").agg(
            F.count(F.lit(1)).alias("users"), F.count(F.when(wrote, 1)).alias("original_users"),
            F.sum("uncounted").alias("uncounted"))
        parts.append(_payload("users", counts, "users", "original_users", "uncounted"))
        mine = per_user.where(F.col("pstart").isin(requested))
        top = _top(mine, ["pstart", "keyword"], [F.desc("posts"), F.asc("author_id")], TOP_USERS)
        parts.append(_payload("top_user", top, "author_id", "posts", "u.username", "u.name",
                              "u.followers"))
        top_originals = _top(mine.where(wrote), ["pstart", "keyword"],
                             [F.desc("original_posts"), F.asc("author_id")], TOP_USERS)
        parts.append(_payload("top_original_user", top_originals, "author_id",
                              F.col("original_posts").alias("posts"), "u.username", "u.name",
                              "u.followers"))
        if not hourly_kind:
            # users of a day bucket: the day's author set has one row per author
            per_day = authors.where(_in(series_days)).groupBy("keyword", "day").agg(
                F.count(F.lit(1)).alias("users"), F.count(F.when(wrote, 1)).alias("original_users"))
            parts.append(_payload("day_users", per_day, "day", "users", "original_users"))

    # merged schema: days written before posts had a network hold `post_id` instead
    posts = store.read("posts", cur_list, present=have["posts"], merge_schema=True)
    if posts is not None:
        cols = ["text", "author_username", "author_name", "created_at",
                "retweets", "likes", "replies", "quotes", "engagement"]
        best = post_identity(posts).withColumn("pstart", period_start(kind)).groupBy(
            "pstart", "keyword", *POST_KEY).agg(
            F.max_by(F.struct(*cols), "engagement").alias("p")).select(
            "pstart", "keyword", *POST_KEY, "p.*")
        top_posts = _top(best, ["pstart", "keyword"],
                         [F.desc("engagement"), *[F.asc(c) for c in POST_KEY]], TOP_POSTS)
        parts.append(_payload("post", top_posts, *POST_KEY, *cols))

    words = store.read("words", cur_list, present=have["words"])
    background = store.read("background", cur_list, present=have["background"])
    n_rows = [(p.start, k, s.mentions, float(max(n_bg[p], 1)))
              for p in periods for k, s in stats[p].items() if s.mentions > 0]
    if words is not None and background is not None and n_rows:
        counts_w = words.withColumn("pstart", period_start(kind)).groupBy(
            "pstart", "keyword", "word").agg(F.sum("count").alias("count")).where(
            F.col("count") >= min_count)
        pairs = [(k, w) for k, ws in (exclusions or {}).items() for w in ws]
        if pairs:
            excl = spark.createDataFrame(pairs, "keyword string, word string")
            counts_w = counts_w.join(F.broadcast(excl), ["keyword", "word"], "left_anti")
        bg = background.withColumn("pstart", period_start(kind)).groupBy("pstart", "word").agg(
            F.sum("count").alias("c_w"))
        n_kw = spark.createDataFrame(n_rows, "pstart date, keyword string, n_kw long, n double")
        scored = counts_w.join(bg, ["pstart", "word"], "left").join(
            F.broadcast(n_kw), ["pstart", "keyword"]).withColumn(
            "c_w", F.coalesce("c_w", "count")).withColumn(
            "score", F.round(npmi_expr(F.col("count").cast("double"), F.col("n_kw").cast("double"),
                                       F.col("c_w").cast("double"), F.col("n")), 4))
        order = [F.desc("score"), F.desc("count"), F.asc("word")]
        parts.append(_payload("word", _top(scored, ["pstart", "keyword"], order,
                                           RELATED_CANDIDATES), "word", "count", "c_w"))

    facets = store.read("facets", cur_list, present=have["facets"])
    if facets is not None:
        summed = facets.withColumn("pstart", period_start(kind)).groupBy(
            "pstart", "keyword", "facet", "name").agg(F.sum("count").alias("count"))
        parts.append(_payload("facet", _top(summed, ["pstart", "keyword", "facet"],
                                            [F.desc("count"), F.asc("name")], TOP_FACETS),
                              "facet", "name", "count"))

    day_users: dict[tuple[str, date], tuple[int, int]] = {}
    for part, pstart, keyword, v in union_all(parts).collect() if parts \
            else []:
        d = json.loads(v)
        if part == "users":
            counted = not d.get("uncounted")
            p = by_start.get(pstart)
            if p is not None:
                s = ks(p, keyword)
                s.unique_users = int(d["users"])
                s.originals.unique_users = int(d["original_users"])
                s.originals.counted &= counted
            after = by_start.get(Period(kind, pstart).end)  # the period this one precedes
            if after is not None and d["users"]:
                s = ks(after, keyword)
                s.prev_unique_users = int(d["users"])
                s.originals.prev_unique_users = int(d["original_users"])
                s.originals.prev_counted &= counted
            continue
        if part == "day_users":
            day_users[(keyword, date.fromisoformat(d["day"]))] = (
                int(d["users"]), int(d["original_users"]))
            continue
        s = ks(by_start[pstart], keyword)
        if part in ("top_user", "top_original_user"):
            user = {
                "author_id": d["author_id"], "username": d.get("username"),
                "name": d.get("name"), "posts": int(d["posts"]),
                "followers": int(d.get("followers") or 0),
            }
            (s.top_users if part == "top_user" else s.originals.top_users).append(user)
        elif part == "post":
            s.top_posts.append(d)
        elif part == "word":
            s.words.append((d["word"], int(d["count"]), int(d["c_w"])))
        elif part == "facet":
            s.facets.setdefault(d["facet"], []).append((d.get("name"), int(d["count"])))

    present_totals = set(have["totals"])
    out: dict[Period, PeriodStats] = {}
    for (p, keyword, day), m in day_mentions.items():
        t = datetime(day.year, day.month, day.day, tzinfo=UTC)
        users, original_users = day_users.get((keyword, day), (0, 0))
        s = stats[p][keyword]
        s.buckets[t] = (m, users)
        s.originals.buckets[t] = (day_originals.get((p, keyword, day), 0), original_users)
    for p in periods:
        for s in stats[p].values():
            s.top_users.sort(key=lambda u: (-u["posts"], u["author_id"]))
            s.originals.top_users.sort(key=lambda u: (-u["posts"], u["author_id"]))
            s.top_posts.sort(key=lambda x: (-int(x.get("engagement") or 0), x["network"],
                                            x["native_id"]))
            for values in s.facets.values():
                values.sort(key=lambda nc: (-nc[1], nc[0]))
        present = [d for d in p.days if d in present_totals]
        prev_present = [d for d in p.previous.days if d in present_totals]
        if prev_present:
            for s in stats[p].values():
                s.prev_mentions = s.prev_mentions or 0
                s.prev_unique_users = s.prev_unique_users or 0
                s.originals.prev_mentions = s.originals.prev_mentions or 0
                s.originals.prev_unique_users = s.originals.prev_unique_users or 0
        read = as_of.get(p)
        out[p] = PeriodStats(p, n_bg[p], present, prev_present, stats[p],
                             datetime.fromtimestamp(read / 1000, UTC) if read else None)
    return out


def compute_period(
    store: AggregateStore,
    period: Period,
    exclusions: dict[str, list[str]] | None = None,
    min_count: int = MIN_WORD_COUNT,
    exclude: Callable[[str], list[str]] | None = None,
) -> PeriodStats:
    """Statistics of every keyword with data in `period`: `compute_periods` of one period
    (two Spark jobs). `exclusions`: keyword → its own tokens, left out of its related
    words; `exclude`: the same as a function, applied to every keyword found in the period."""
    return compute_periods(store, [period], exclusions, min_count, exclude)[period]
