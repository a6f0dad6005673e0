"""Small helpers that work the same on a local SparkSession and on a Spark Connect session."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import DataFrame, SparkSession


def union_all(frames: Sequence[DataFrame]) -> DataFrame:
    """The rows of all `frames` (matched by column name). Through the frames' own method:
    `DataFrame.unionByName` of the classic class does not take a Connect DataFrame."""
    return reduce(lambda a, b: a.unionByName(b), frames)


def parallelism(spark: SparkSession) -> int:
    """The cores Spark runs tasks on. A Connect server states it in `spark.default.parallelism`
    (the launcher sets it); a local session's SparkContext knows it."""
    stated = spark.conf.get("spark.default.parallelism", None)
    if stated:
        return int(stated)
    try:
        return spark.sparkContext.defaultParallelism
    except Exception:  # a Connect session without the setting: assume this machine's cores
        return os.cpu_count() or 2
