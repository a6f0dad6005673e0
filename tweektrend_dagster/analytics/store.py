"""Aggregate tables as parquet, one folder per (table, day): `{base}/{table}/day=YYYY-MM-DD`.

A day is rewritten as a whole (overwrite of its folder), so re-running a partition is idempotent.
A day folder is complete when it holds `_SUCCESS`. Many days are written in one Spark job per
table (`stage_days` + `publish_days`): partitioned by day into a folder of the run's own (so runs
that overlap never share Spark's `_temporary`), then each day folder is moved into place.
A day without a row in a table has no folder in it (reads as zero).
The base is a local folder by default and any Hadoop URI (s3a://, hdfs://) on a cluster.
Which days exist is one listing per table, not one filesystem call per day, and a period's days
are read as one list of paths (listed on the driver: see `spark_config`). Folders are listed,
moved and deleted by the run itself (`files.TableFiles`), not through Spark's JVM.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Literal

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tweektrend_dagster.analytics.files import TableFiles
from tweektrend_dagster.analytics.frames import parallelism, union_all

TOKENS = "tokens"


def _days(names: Iterable[str]) -> set[date]:
    """The dates of `day=YYYY-MM-DD` folder names (anything else is skipped)."""
    days = set()
    for name in names:
        if name.startswith("day="):
            try:
                days.add(date.fromisoformat(name.removeprefix("day=")))
            except ValueError:
                continue
    return days


class AggregateStore:
    def __init__(self, spark: SparkSession, base: str) -> None:
        self.spark = spark
        self.base = base.rstrip("/")
        self.files = TableFiles(self.base)

    def path(self, table: str, day: date) -> str:
        return f"{self.base}/{table}/day={day.isoformat()}"

    def exists(self, table: str, day: date) -> bool:
        return self.files.exists(self.path(table, day) + "/_SUCCESS")

    def write(self, table: str, day: date, df: DataFrame, mode: str = "overwrite",
              files: int | None = 2) -> None:
        # Aggregates are small: a few files per day keep roll-up listing cheap. `files=None`
        # keeps the partitioning (the token table: coalescing would merge tokenisation tasks).
        if files:
            df = df.coalesce(files)
        df.write.mode(mode).parquet(self.path(table, day))

    def file_count(self, table: str, day: date) -> int:
        """Data files in a day folder (0 when it does not exist)."""
        return sum(1 for name in self.files.files(self.path(table, day))
                   if name.endswith(".parquet"))

    def compact(self, table: str, day: date, files: int) -> None:
        """Rewrite a day folder into `files` files: written beside it, then swapped in.

        A crash between the delete and the rename loses the folder; only the token table is
        compacted, and it is a cache (the next run tokenises the day again)."""
        path = self.path(table, day)
        tmp = f"{path}.compacting"  # not `day=YYYY-MM-DD`: invisible to all_days()
        self.spark.read.parquet(path).coalesce(files).write.mode("overwrite").parquet(tmp)
        self.files.delete(path)
        self.files.move(tmp, path)

    def all_days(self, table: str) -> set[date]:
        """Every day of `table` with a complete write (one listing, whatever the number of days)."""
        return _days(self.files.folders_holding(f"{self.base}/{table}", "_SUCCESS"))

    def days_present(self, table: str, days: Iterable[date]) -> list[date]:
        wanted = set(days)
        if len(wanted) <= 2:
            return [d for d in sorted(wanted) if self.exists(table, d)]
        return sorted(wanted & self.all_days(table))

    def days_lacking(self, table: str, columns: Iterable[str], days: Iterable[date]
                     ) -> list[date]:
        """The days of `days` whose `table` folder was written without some of `columns` (by an
        earlier version): one footer read per day. Days without the folder are not listed."""
        wanted = set(columns)
        lacking = []
        for day in self.days_present(table, days):
            found = self.files.parquet_columns(self.path(table, day))
            if found is not None and not wanted <= found:
                lacking.append(day)
        return lacking

    def days_without_originals(self, days: Iterable[date]) -> list[date]:
        """Days aggregated before the tables counted original posts: their documents say
        `originals: null` until the days are aggregated again (the run plan's to schedule)."""
        from tweektrend_dagster.analytics.daily import ORIGINAL_COLUMNS

        days = list(days)
        return sorted({d for table, columns in ORIGINAL_COLUMNS.items()
                       for d in self.days_lacking(table, columns, days)})

    def read(self, table: str, days: Iterable[date], schema: T.StructType | None = None,
             present: Iterable[date] | None = None, merge_schema: bool = False
             ) -> DataFrame | None:
        """The table over the given days (those that exist) with a `day` column; None if none.
        `present`: the days known to exist (skips the filesystem check); `merge_schema`: the
        union of every day's columns (days written by an older version may lack or name some
        differently)."""
        present = sorted(set(days) & set(present)) if present is not None else (
            self.days_present(table, days))
        if not present:
            return None
        paths = [self.path(table, d) for d in present]
        reader = self.spark.read.option("basePath", f"{self.base}/{table}")
        if schema is not None:
            reader = reader.schema(schema)
        elif merge_schema:
            reader = reader.option("mergeSchema", "true")
        return reader.parquet(*paths)

    # ------------------------------------------------------------ many days in one write
    def new_staging(self) -> str:
        """A folder of this run's own for staged writes (not `{table}/day=…`: invisible)."""
        return f"{self.base}/_staging/{uuid.uuid4().hex}"

    def stage_days(self, staging: str, table: str, df: DataFrame, files: int | None = None
                   ) -> None:
        """Write `df` (a `day` column and the table's columns) as `{staging}/{table}/day=…`.
        files=None: one file per day (a shuffle by day, spread over days); files=k: the rows
        coalesced into k tasks (a single day: k files, no shuffle); files=0: written by the
        tasks that made them."""
        if files is None:  # an explicit count: AQE would coalesce small data into one writer
            df = df.repartition(2 * parallelism(self.spark), "day")
        elif files:
            df = df.coalesce(files)
        df.write.partitionBy("day").parquet(f"{staging}/{table}")

    def staged_days(self, staging: str, table: str) -> set[date]:
        return self._day_folders(f"{staging}/{table}")

    def _day_folders(self, folder: str) -> set[date]:
        return _days(self.files.subfolders(folder))

    def publish_days(self, staging: str, table: str, days: Iterable[date],
                     mode: Literal["overwrite", "append"] = "overwrite") -> None:
        """Move the staged day folders of `table` into place, for each of `days`.
        overwrite: the day's folder is replaced (removed when nothing was staged for the day);
        append: the staged files join the day's folder. Spark's `.crc` side files move with
        their folder/file."""
        self.files.mkdirs(f"{self.base}/{table}")
        staged = self.staged_days(staging, table)
        for day in sorted(set(days)):
            name = f"day={day.isoformat()}"
            src, dst = f"{staging}/{table}/{name}", f"{self.base}/{table}/{name}"
            if mode == "overwrite":
                self.files.delete(dst)
                if day in staged:
                    self.files.touch(f"{src}/_SUCCESS")
                    self.files.move(src, dst)
                continue
            if day not in staged:
                continue
            self.files.mkdirs(dst)
            for f in self.files.files(src):
                self.files.move(f"{src}/{f}", f"{dst}/{f}")
            self.files.touch(f"{dst}/_SUCCESS")

    def drop_staging(self, staging: str) -> None:
        self.files.delete(staging)

    def delete_days(self, tables: Iterable[str], days: Iterable[date]) -> list[tuple[str, date]]:
        """Remove the folders of `days` from `tables` (one listing per table); returns what
        was removed."""
        wanted = set(days)
        removed = []
        for table in tables:
            for day in sorted(self._day_folders(f"{self.base}/{table}") & wanted):
                self.files.delete(self.path(table, day))
                removed.append((table, day))
        return removed

    def row_counts(self, tables: list[str], day: date, sums: dict[str, str] | None = None
                   ) -> dict[str, int]:
        """Row counts of some tables of a day in ONE Spark job (plus `table.column` sums)."""
        parts = [
            self.spark.read.parquet(self.path(t, day)).select(
                F.lit(t).alias("t"), F.lit(1).cast("long").alias("n"))
            for t in tables
        ]
        for t, column in (sums or {}).items():
            parts.append(self.spark.read.parquet(self.path(t, day)).select(
                F.lit(f"{t}.{column}").alias("t"), F.col(column).cast("long").alias("n")))
        counts = {t: 0 for t in tables}
        rows = union_all(parts).groupBy("t").agg(F.sum("n")).collect()
        counts.update({r[0]: int(r[1] or 0) for r in rows})
        return counts
