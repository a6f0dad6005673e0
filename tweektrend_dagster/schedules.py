"""Schedules of the trend assets (all UTC).

Closing: a period is computed once more after its end plus the late-tweet grace (default 6 h,
TWEEKTREND_LATE_GRACE_HOURS), which marks its documents `final`. Tweets arriving even later still
update the archive; the ingestion sensor then re-requests that day and the roll-up's next close
or refresh picks it up.
Refreshing: the current day is refreshed by the ingestion sensor (runs of `daily_trends_job`
for days whose data changed); the current week, month and quarter by the schedules below.
"""


import os
from datetime import date, datetime, timedelta

import dagster as dg

from tweektrend_dagster.contracts.periods import Period, PeriodKind
from tweektrend_dagster.run_plan import LANE, LIVE, TRIGGER

GRACE_HOURS = int(float(os.environ.get("TWEEKTREND_LATE_GRACE_HOURS", "6")))
JOBS: dict[PeriodKind, str] = {
    "day": "daily_trends_job", "week": "weekly_trends_job", "month": "monthly_trends_job",
    "quarter": "quarterly_trends_job",
}
CLOSE_CRONS: dict[PeriodKind, str] = {
    "day": f"15 {GRACE_HOURS} * * *",
    "week": f"30 {GRACE_HOURS} * * 1",
    "month": f"45 {GRACE_HOURS} 1 * *",
    "quarter": f"50 {GRACE_HOURS} 1 1,4,7,10 *",
}
REFRESH_CRONS: dict[PeriodKind, str] = {
    "week": "*/10 * * * *",
    "month": "3-59/15 * * * *",
    "quarter": "7-59/30 * * * *",
}


def closed_period(kind: PeriodKind, at: datetime) -> Period:
    """The period that closed most recently before `at` (minus the grace already waited)."""
    day = (at - timedelta(hours=GRACE_HOURS)).date()
    return Period.containing(kind, day).previous


def current_period(kind: PeriodKind, at: datetime) -> Period:
    return Period.containing(kind, at.date())


def _close_schedule(kind: PeriodKind) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{kind}_close_schedule" if kind != "day" else "daily_close_schedule",
        cron_schedule=CLOSE_CRONS[kind],
        job_name=JOBS[kind],
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Final {kind} documents after the late-tweet grace.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        period = closed_period(kind, context.scheduled_execution_time)
        key = period.start.isoformat()
        return dg.RunRequest(run_key=f"close-{kind}-{key}", partition_key=key,
                             tags={TRIGGER: "close", LANE: LIVE})

    return _schedule


def _refresh_schedule(kind: PeriodKind) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"current_{kind}_refresh_schedule",
        cron_schedule=REFRESH_CRONS[kind],
        job_name=JOBS[kind],
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Refresh the in-progress {kind}'s documents from the daily aggregates.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        key = current_period(kind, context.scheduled_execution_time).start.isoformat()
        return dg.RunRequest(partition_key=key, tags={TRIGGER: "refresh", LANE: LIVE})

    return _schedule


def period_start(kind: PeriodKind, day: date) -> str:
    return Period.containing(kind, day).start.isoformat()


TREND_SCHEDULES = [
    *[_close_schedule(k) for k in ("day", "week", "month", "quarter")],
    *[_refresh_schedule(k) for k in ("week", "month", "quarter")],
]
