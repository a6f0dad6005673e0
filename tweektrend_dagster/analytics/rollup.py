"""Any period (day, week, month, quarter) from the daily aggregate tables, in Spark: the shapes
and helpers of the statistics (`rollup_many.compute_periods` computes them, `compute_period` for
one period).

Only mergeable operations: sums of counts, unions of daily top-post candidates, and an exact
distinct count of authors over the period's daily author sets. The outputs are small per keyword
(bounded lists), so they are collected to the driver where `documents` shapes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from tweektrend_dagster.contracts.periods import Period

TOP_POSTS = 10
TOP_USERS = 10
TOP_FACETS = 10
RELATED_CANDIDATES = 100  # pre-ranked in Spark; `rank_related` keeps the final 50
MIN_WORD_COUNT = 3


@dataclass
class OriginalStats:
    """A keyword's figures over its original posts (not retweets). `counted` is False when a
    day of the period has the keyword's rows from before original posts were counted (those
    figures are then unknown, not zero); `prev_counted` the same for the previous period."""

    mentions: int = 0
    unique_users: int = 0
    prev_mentions: int | None = None
    prev_unique_users: int | None = None
    buckets: dict[datetime, tuple[int, int]] = field(default_factory=dict)
    top_users: list[dict[str, Any]] = field(default_factory=list)
    counted: bool = True
    prev_counted: bool = True


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
    originals: OriginalStats = field(default_factory=OriginalStats)


@dataclass
class PeriodStats:
    period: Period
    background_tweets: int  # N: archived tweets in the period
    days_present: list[date]  # days whose aggregates exist
    prev_days_present: list[date]
    keywords: dict[str, KeywordStats]
    # the newest read of the raw archive among the period's days: every tweet ingested before
    # it is counted (None for aggregates written before this was recorded)
    as_of: datetime | None = None


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


def finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def day_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]
