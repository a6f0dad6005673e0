"""Schedules of the trend assets (all UTC).

Closing: a period is computed once more after its end plus the late-tweet grace (default 6 h,
TWEEKTREND_LATE_GRACE_HOURS), which marks its documents `final`. Tweets arriving even later still
update the archive; the ingestion sensor then re-requests that day and the roll-up's next close
or refresh picks it up.
Refreshing: the current day is refreshed by the ingestion sensor (runs of `daily_trends_job`
for days whose data changed); the current week, month and quarter by the schedules below.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from tweektrend_dagster.contracts.periods import Period, PeriodKind
from tweektrend_dagster.defs.tags import LANE, LIVE, TRIGGER
from tweektrend_dagster.defs.trends.jobs import PERIOD_JOBS

# minutes past the grace at which each kind closes, so the close runs do not start together
CLOSE_MINUTES: dict[PeriodKind, int] = {"day": 15, "week": 30, "month": 45, "quarter": 50}
CLOSE_DAYS: dict[PeriodKind, str] = {  # cron day-of-month, month, day-of-week of a new period
    "day": "* * *", "week": "* * 1", "month": "1 * *", "quarter": "1 1,4,7,10 *",
}
REFRESH_CRONS: dict[PeriodKind, str] = {
    "week": "*/10 * * * *",
    "month": "3-59/15 * * * *",
    "quarter": "7-59/30 * * * *",
}
MAX_GRACE = timedelta(hours=23)  # a close must fall on the period's first day (cron hours)


def close_cron(kind: PeriodKind, grace: timedelta) -> str:
    """When `kind` closes: its first day, at the grace plus the kind's minutes (a fractional
    grace such as 6.5 h is kept to the minute)."""
    if not timedelta(0) <= grace <= MAX_GRACE:
        raise ValueError(f"TWEEKTREND_LATE_GRACE_HOURS must be between 0 and 23, got {grace}")
    minutes = int(grace.total_seconds() // 60) + CLOSE_MINUTES[kind]
    hour, minute = divmod(min(minutes, 23 * 60 + 59), 60)
    return f"{minute} {hour} {CLOSE_DAYS[kind]}"


def closed_period(kind: PeriodKind, at: datetime, grace: timedelta) -> Period:
    """The period that closed most recently before `at` (minus the grace already waited)."""
    day = (at - grace).date()
    return Period.containing(kind, day).previous


def current_period(kind: PeriodKind, at: datetime) -> Period:
    return Period.containing(kind, at.date())


def _close_schedule(kind: PeriodKind, grace: timedelta) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{kind}_close_schedule" if kind != "day" else "daily_close_schedule",
        cron_schedule=close_cron(kind, grace),
        job=PERIOD_JOBS[kind],
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Final {kind} documents after the late-tweet grace.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        period = closed_period(kind, context.scheduled_execution_time, grace)
        key = period.start.isoformat()
        return dg.RunRequest(run_key=f"close-{kind}-{key}", partition_key=key,
                             tags={TRIGGER: "close", LANE: LIVE})

    return _schedule


def _refresh_schedule(kind: PeriodKind) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"current_{kind}_refresh_schedule",
        cron_schedule=REFRESH_CRONS[kind],
        job=PERIOD_JOBS[kind],
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Refresh the in-progress {kind}'s documents from the daily aggregates.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        key = current_period(kind, context.scheduled_execution_time).start.isoformat()
        return dg.RunRequest(partition_key=key, tags={TRIGGER: "refresh", LANE: LIVE})

    return _schedule


def build_trend_schedules(grace: timedelta) -> list[dg.ScheduleDefinition]:
    return [
        *[_close_schedule(k, grace) for k in ("day", "week", "month", "quarter")],
        *[_refresh_schedule(k) for k in ("week", "month", "quarter")],
    ]
