"""Time partitions of the trend assets (UTC): day, ISO week (Monday), month and quarter.

Every definition includes the in-progress period (end_offset=1), because current periods are
refreshed every few minutes. TWEEKTREND_PARTITIONS_START (a Monday that starts a quarter is
safest, default 2024-01-01) sets the first partition of each.
"""

from __future__ import annotations

import os
from datetime import date

import dagster as dg

from tweektrend_dagster.analytics.periods import Period, PeriodKind

PARTITIONS_START = os.environ.get("TWEEKTREND_PARTITIONS_START", "2024-01-01")

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)
weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=PARTITIONS_START, day_offset=1, end_offset=1  # weeks start on Monday
)
monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)
quarterly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *",  # calendar quarters: Jan, Apr, Jul, Oct
    start=PARTITIONS_START,
    fmt="%Y-%m-%d",
    end_offset=1,
)

PARTITIONS: dict[PeriodKind, dg.TimeWindowPartitionsDefinition] = {
    "day": daily_partitions,
    "week": weekly_partitions,
    "month": monthly_partitions,
    "quarter": quarterly_partitions,
}


def period_of(kind: PeriodKind, partition_key: str) -> Period:
    """The period a partition key names (keys are the period's first day, YYYY-MM-DD)."""
    return Period(kind, date.fromisoformat(partition_key))


def periods_in_range(kind: PeriodKind, keys: list[str]) -> list[Period]:
    return [period_of(kind, k) for k in keys]
