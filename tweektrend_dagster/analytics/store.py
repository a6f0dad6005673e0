"""Aggregate tables as parquet, one folder per (table, day): `{base}/{table}/day=YYYY-MM-DD`.

A day is rewritten as a whole (overwrite of its folder), so re-running a partition is idempotent.
The base is a local folder by default and any Hadoop URI (s3a://, hdfs://) on a cluster.
Which days exist is one glob per table (`day=*/_SUCCESS`), not one filesystem call per day, and
a period's days are read as one list of paths (listed on the driver: see `spark_config`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

TOKENS = "tokens"


class AggregateStore:
    def __init__(self, spark: SparkSession, base: str) -> None:
        self.spark = spark
        self.base = base.rstrip("/")

    def path(self, table: str, day: date) -> str:
        return f"{self.base}/{table}/day={day.isoformat()}"

    def _fs(self, path: str):  # noqa: ANN202 - (Hadoop FileSystem, Path) through py4j
        jvm = self.spark.sparkContext._jvm
        conf = self.spark.sparkContext._jsc.hadoopConfiguration()
        p = jvm.org.apache.hadoop.fs.Path(path)
        return p.getFileSystem(conf), p

    def _fs_exists(self, path: str) -> bool:
        fs, p = self._fs(path)
        return bool(fs.exists(p))

    def exists(self, table: str, day: date) -> bool:
        return self._fs_exists(self.path(table, day) + "/_SUCCESS")

    def write(self, table: str, day: date, df: DataFrame, mode: str = "overwrite",
              files: int | None = 2) -> None:
        # Aggregates are small: a few files per day keep roll-up listing cheap. `files=None`
        # keeps the partitioning (the token table: coalescing would merge tokenisation tasks).
        if files:
            df = df.coalesce(files)
        df.write.mode(mode).parquet(self.path(table, day))

    def file_count(self, table: str, day: date) -> int:
        """Data files in a day folder (0 when it does not exist)."""
        fs, p = self._fs(self.path(table, day))
        if not fs.exists(p):
            return 0
        return sum(1 for st in fs.listStatus(p) if st.getPath().getName().endswith(".parquet"))

    def compact(self, table: str, day: date, files: int) -> None:
        """Rewrite a day folder into `files` files: written beside it, then swapped in.

        A crash between the delete and the rename loses the folder; only the token table is
        compacted, and it is a cache (the next run tokenises the day again)."""
        path = self.path(table, day)
        tmp = f"{path}.compacting"  # not `day=YYYY-MM-DD`: invisible to all_days()
        self.spark.read.parquet(path).coalesce(files).write.mode("overwrite").parquet(tmp)
        fs, p = self._fs(path)
        _, t = self._fs(tmp)
        fs.delete(p, True)
        if not fs.rename(t, p):
            raise OSError(f"could not move {tmp} to {path}")

    def all_days(self, table: str) -> set[date]:
        """Every day of `table` with a complete write (one glob, whatever the number of days)."""
        fs, pattern = self._fs(f"{self.base}/{table}/day=*/_SUCCESS")
        found = fs.globStatus(pattern)
        days: set[date] = set()
        for status in found or []:
            name = status.getPath().getParent().getName()
            try:
                days.add(date.fromisoformat(name.removeprefix("day=")))
            except ValueError:
                continue
        return days

    def days_present(self, table: str, days: Iterable[date]) -> list[date]:
        wanted = set(days)
        if len(wanted) <= 2:
            return [d for d in sorted(wanted) if self.exists(table, d)]
        return sorted(wanted & self.all_days(table))

    def read(self, table: str, days: Iterable[date], schema: T.StructType | None = None,
             present: Iterable[date] | None = None) -> DataFrame | None:
        """The table over the given days (those that exist) with a `day` column; None if none.
        `present`: the days known to exist (skips the filesystem check)."""
        present = sorted(set(days) & set(present)) if present is not None else (
            self.days_present(table, days))
        if not present:
            return None
        paths = [self.path(table, d) for d in present]
        reader = self.spark.read.option("basePath", f"{self.base}/{table}")
        if schema is not None:
            reader = reader.schema(schema)
        return reader.parquet(*paths)

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
        rows = reduce(DataFrame.unionByName, parts).groupBy("t").agg(F.sum("n")).collect()
        counts.update({r[0]: int(r[1] or 0) for r in rows})
        return counts
