"""Aggregate tables as parquet, one folder per (table, day): `{base}/{table}/day=YYYY-MM-DD`.

A day is rewritten as a whole (overwrite of its folder), so re-running a partition is idempotent.
The base is a local folder by default and any Hadoop URI (s3a://, hdfs://) on a cluster.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

TOKENS = "tokens"


class AggregateStore:
    def __init__(self, spark: SparkSession, base: str) -> None:
        self.spark = spark
        self.base = base.rstrip("/")

    def path(self, table: str, day: date) -> str:
        return f"{self.base}/{table}/day={day.isoformat()}"

    def _fs_exists(self, path: str) -> bool:
        jvm = self.spark.sparkContext._jvm
        conf = self.spark.sparkContext._jsc.hadoopConfiguration()
        p = jvm.org.apache.hadoop.fs.Path(path)
        return bool(p.getFileSystem(conf).exists(p))

    def exists(self, table: str, day: date) -> bool:
        return self._fs_exists(self.path(table, day) + "/_SUCCESS")

    def write(self, table: str, day: date, df: DataFrame, mode: str = "overwrite") -> None:
        # Aggregates are small: a few files per day keep roll-up listing cheap.
        df.coalesce(2).write.mode(mode).parquet(self.path(table, day))

    def days_present(self, table: str, days: Iterable[date]) -> list[date]:
        return [d for d in sorted(set(days)) if self.exists(table, d)]

    def read(self, table: str, days: Iterable[date], schema: T.StructType | None = None
             ) -> DataFrame | None:
        """The table over the given days (those that exist) with a `day` column; None if none."""
        present = self.days_present(table, days)
        if not present:
            return None
        paths = [self.path(table, d) for d in present]
        df = self.spark.read.option("basePath", f"{self.base}/{table}").parquet(*paths)
        return df
