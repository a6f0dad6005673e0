"""A day's aggregates kept per hour as well, so a refresh of the day costs its changed hours.

The current day is refreshed every few minutes while its tweets keep coming: recomputing the
whole day each time makes every run cost the day so far (a 4-million-tweet day at 50 tweets/s).
So a single day's run computes the aggregate tables per hour ("slices", the tables of
`analytics/daily.py` with the keys (day, slice)) under `{base}/_slices/{table}/day=D/slice=H`,
only for the hours that changed, and merges the day's slices into its tables by the tables' own
rules (sums, distinct unions, the posts' best observations): the same tables a whole-day pass
computes, from a read of the changed hours and of small parquet files.

Which hours changed: the ingestion workers mark each (day, hour) in `ingested_hours` once
Cassandra has acknowledged its rows, with the time of marking. An hour is recomputed when it has
no slice, or its mark is newer than its slice's `as_of_ms` (taken before the slice's raw rows
were read) minus SLACK (clocks of other machines). A day without any slice computes all 24
hours. Whatever else rewrites raw rows (the keyword backfill) drops the day's slices. A day whose
slices were written before the tables counted original posts (`daily.ORIGINAL_COLUMNS`) counts
as a day without slices: all its hours are computed again, once, and its figures are whole.
The `totals` slice of an hour is removed first and put in place last, so an hour that has one
has every other table's slice too; an interrupted run leaves hours without it, recomputed next.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tweektrend_dagster.analytics.daily import ORIGINAL_COLUMNS, TABLES, top_posts
from tweektrend_dagster.analytics.store import AggregateStore

SLICE = "slice"  # the slice column: the hour of the day
KEYS = ("day", SLICE)
HOURS = tuple(range(24))
SLACK_MS = 30_000
# totals last in, first out: an hour with a totals slice is complete
ORDER = tuple(t for t in TABLES if t != "totals") + ("totals",)


def hours_to_compute(computed: dict[int, int], marks: dict[int, datetime],
                     slack_ms: int = SLACK_MS) -> list[int]:
    """The hours a refresh must recompute: all of them when the day has no slice; otherwise the
    marked hours without a slice or marked since their slice was computed."""
    if not computed:
        return list(HOURS)
    stale = []
    for hour, marked in marks.items():
        as_of = computed.get(hour)
        if as_of is None or marked.timestamp() * 1000 > as_of - slack_ms:
            stale.append(hour)
    return sorted(stale)


class DaySlices:
    """The hour slices of the aggregate tables, beside the store's day tables."""

    def __init__(self, store: AggregateStore) -> None:
        self.store = store
        self.spark = store.spark
        self.files = store.files
        self.root = f"{store.base}/_slices"

    def path(self, table: str, day: date) -> str:
        return f"{self.root}/{table}/day={day.isoformat()}"

    def hours(self, table: str, day: date) -> list[int]:
        return sorted(int(n.removeprefix(f"{SLICE}=")) for n in
                      self.files.subfolders(self.path(table, day)) if n.startswith(f"{SLICE}="))

    def computed(self, day: date) -> dict[int, int]:
        """Hour → the `as_of_ms` of its slices, for the hours that have complete slices; none
        when any slice predates the original-post columns (the whole day is computed again)."""
        df = self.read("totals", day)
        if df is None:
            return {}
        rows = df.select(F.col(SLICE).cast("int").alias("h"), "as_of_ms")
        for table, columns in ORIGINAL_COLUMNS.items():
            part = self.read(table, day)
            if part is None:
                continue
            if any(c not in part.columns for c in columns):
                return {}
            # an hour written before the columns reads them as null: a -1 row says so
            old = part.where(F.col(columns[0]).isNull()).limit(1)
            rows = rows.unionByName(old.select(F.lit(-1).alias("h"),
                                               F.lit(None).cast("long").alias("as_of_ms")))
        found = rows.collect()
        if any(r.h < 0 for r in found):
            return {}
        return {int(r.h): int(r.as_of_ms) for r in found}

    def read(self, table: str, day: date) -> DataFrame | None:
        hours = self.hours(table, day)
        if not hours:
            return None
        path = self.path(table, day)
        # merged schema: hours written before a column was added read it as null
        return self.spark.read.option("basePath", path).option("mergeSchema", "true").parquet(
            *[f"{path}/{SLICE}={h}" for h in hours])

    def stage(self, staging: str, tables: dict[str, DataFrame], hours: int) -> None:
        """Write the recomputed hours' slices under the run's staging folder: one file per
        slice (one hour, the usual refresh: no shuffle for it)."""
        for name in ORDER:
            df = tables[name]
            df = df.coalesce(1) if hours == 1 else df.repartition(SLICE)
            df.write.partitionBy(SLICE).parquet(f"{staging}/_slices/{name}")

    def publish(self, staging: str, day: date, hours: Iterable[int]) -> None:
        """Replace the slices of `hours` with the staged ones (an hour staged without rows in a
        table loses its old slice there)."""
        hours = sorted(set(hours))
        for hour in hours:  # first out
            self.files.delete(f"{self.path('totals', day)}/{SLICE}={hour}")
        for name in ORDER:
            src, dst = f"{staging}/_slices/{name}", self.path(name, day)
            staged = {int(n.removeprefix(f"{SLICE}=")) for n in self.files.subfolders(src)
                      if n.startswith(f"{SLICE}=")}
            self.files.mkdirs(dst)
            for hour in hours:
                self.files.delete(f"{dst}/{SLICE}={hour}")
                if hour in staged:
                    self.files.move(f"{src}/{SLICE}={hour}", f"{dst}/{SLICE}={hour}")

    def drop(self, days: Iterable[date]) -> None:
        """Forget the slices of `days`: their next single-day run computes every hour."""
        for day in days:
            for name in ORDER:
                self.files.delete(self.path(name, day))

    def merged(self, day: date, as_of_ms: int) -> dict[str, DataFrame] | None:
        """The day's tables from all its slices (None when it has none)."""
        parts = {name: self.read(name, day) for name in TABLES}
        if parts["totals"] is None:
            return None
        return merge_slices(parts, as_of_ms)


def merge_slices(parts: dict[str, DataFrame | None], as_of_ms: int) -> dict[str, DataFrame]:
    """Slice tables → day tables, with the columns `daily_tables` gives a whole day."""
    spark = parts["totals"].sparkSession
    out: dict[str, DataFrame] = {}

    def each(name: str, merge) -> None:  # noqa: ANN001
        df = parts.get(name)
        out[name] = merge(df.drop(SLICE)) if df is not None else None

    each("hourly", lambda df: df.select("day", "keyword", "hour", "mentions", "users",
                                        "original_mentions", "original_users"))
    each("authors", lambda df: df.groupBy("day", "keyword", "author_id").agg(
        F.sum("posts").alias("posts"), F.sum("original_posts").alias("original_posts"),
        F.max_by(F.struct("username", "name", "followers"), "seen_at").alias("a"),
    ).select("day", "keyword", "author_id", "posts", "original_posts", "a.username", "a.name",
             "a.followers"))
    each("words", lambda df: df.groupBy("day", "keyword", "word").agg(
        F.sum("count").alias("count")))
    each("background", lambda df: df.groupBy("day", "word").agg(F.sum("count").alias("count")))
    each("totals", lambda df: df.groupBy("day").agg(
        F.sum("tweets").alias("tweets"), F.sum("matched").alias("matched"),
    ).withColumn("as_of_ms", F.lit(as_of_ms).cast("long")))
    each("posts", lambda df: top_posts(df, ("day",)))
    each("facets", lambda df: df.groupBy("day", "keyword", "facet", "name").agg(
        F.sum("count").alias("count")))
    empty = spark.createDataFrame([], "day date")
    return {name: df if df is not None else empty for name, df in out.items()}
