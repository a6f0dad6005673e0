"""Time partitions of the trend assets (UTC): day, ISO week (Monday), month and quarter.

They reach back to 2006, X's first year, so an archive of any date becomes trends without
editing configuration (Dagster computes time partitions lazily: 7,000 days cost nothing until a
run asks for one). They reach one period past the current one (end_offset=2): a tweet stamped
a little in the future (clock skew) has a partition at once. A day past even that waits in the
ingestion sensor, reported, until its partition exists (see `partition_bounds`).
TWEEKTREND_PARTITIONS_START moves the first day (for a cluster that must never compute older
periods); the first week is the Monday on or before it, the first quarter the one holding it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.periods import Period, PeriodKind

# Partitions are part of the asset definitions, made when this module is imported: the one
# setting read at import (X's first tweet is from 2006-03-21; the default starts with that year).
FIRST_DAY = date.fromisoformat(Settings.from_env().partitions_start)
# the in-progress period and the next one, for tweets stamped slightly in the future
END_OFFSET = 2


def _start(kind: PeriodKind) -> str:
    return Period.containing(kind, FIRST_DAY).start.isoformat()


daily_partitions = dg.DailyPartitionsDefinition(start_date=_start("day"), end_offset=END_OFFSET)
weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=_start("week"), day_offset=1, end_offset=END_OFFSET  # weeks start on Monday
)
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=_start("month"), end_offset=END_OFFSET
)
quarterly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *",  # calendar quarters: Jan, Apr, Jul, Oct
    start=_start("quarter"),
    fmt="%Y-%m-%d",
    end_offset=END_OFFSET,
)

PARTITIONS: dict[PeriodKind, dg.TimeWindowPartitionsDefinition] = {
    "day": daily_partitions,
    "week": weekly_partitions,
    "month": monthly_partitions,
    "quarter": quarterly_partitions,
}


def partition_bounds(now: datetime) -> tuple[date, date]:
    """The first and last day that have a daily partition at `now` (both inclusive)."""
    today = now.astimezone(UTC).date()
    return FIRST_DAY, today + timedelta(days=END_OFFSET - 1)


def period_of(kind: PeriodKind, partition_key: str) -> Period:
    """The period a partition key names (keys are the period's first day, YYYY-MM-DD)."""
    return Period(kind, date.fromisoformat(partition_key))


def periods_in_range(kind: PeriodKind, keys: list[str]) -> list[Period]:
    return [period_of(kind, k) for k in keys]
