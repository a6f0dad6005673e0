"""Trend schedules, partitions and the definitions they form (no servers, no Spark run)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.periods import Period
from tweektrend_dagster.defs.trends.partitions import PARTITIONS
from tweektrend_dagster.defs.trends.schedules import close_cron


def _defs(grace_hours: float = 6.0) -> dg.Definitions:
    from tweektrend_dagster.definitions import build_definitions

    return build_definitions(replace(Settings.from_env(), late_grace_hours=grace_hours))


def test_definitions_load_and_graph():
    defs = _defs()
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    parents = {p.to_user_string() for p in graph.get(dg.AssetKey("weekly_trends")).parent_keys}
    assert "keyword_hourly_counts" in parents and "daily_background_words" in parents
    job = defs.resolve_job_def("daily_trends_job")
    assert job.partitions_def == PARTITIONS["day"]
    assert defs.resolve_job_def("keyword_backfill_job")


def _eval(name: str, when: datetime, grace_hours: float = 6.0) -> dg.RunRequest:
    defs = _defs(grace_hours)
    schedule = defs.resolve_schedule_def(name)
    # partition keys are validated against the job, which the context finds in the repository
    ctx = dg.build_schedule_context(scheduled_execution_time=when,
                                    repository_def=defs.get_repository_def())
    result = schedule.evaluate_tick(ctx)
    assert result.run_requests and len(result.run_requests) == 1
    return result.run_requests[0]


def test_close_schedules_request_the_closed_period():
    assert _eval("daily_close_schedule", datetime(2024, 3, 5, 6, 15, tzinfo=UTC)).partition_key \
        == "2024-03-04"
    assert _eval("week_close_schedule", datetime(2024, 3, 11, 6, 30, tzinfo=UTC)).partition_key \
        == "2024-03-04"
    assert _eval("month_close_schedule", datetime(2024, 4, 1, 6, 45, tzinfo=UTC)).partition_key \
        == "2024-03-01"
    assert _eval("quarter_close_schedule", datetime(2024, 4, 1, 6, 50, tzinfo=UTC)
                 ).partition_key == "2024-01-01"


def test_a_fractional_grace_closes_to_the_minute_and_a_grace_past_a_day_is_refused():
    half = timedelta(hours=6, minutes=30)
    assert close_cron("day", half) == "45 6 * * *"
    assert close_cron("quarter", half) == "20 7 1 1,4,7,10 *"
    # the schedules and the closed period they request agree on the same grace
    assert _eval("daily_close_schedule", datetime(2024, 3, 5, 6, 45, tzinfo=UTC), 6.5
                 ).partition_key == "2024-03-04"
    with pytest.raises(ValueError, match="TWEEKTREND_LATE_GRACE_HOURS"):
        close_cron("day", timedelta(hours=30))


def test_refresh_schedules_request_the_current_period():
    when = datetime(2024, 5, 15, 12, 10, tzinfo=UTC)
    assert _eval("current_week_refresh_schedule", when).partition_key == "2024-05-13"
    assert _eval("current_month_refresh_schedule", when).partition_key == "2024-05-01"
    assert _eval("current_quarter_refresh_schedule", when).partition_key == "2024-04-01"


def test_periods_match_partition_keys():
    for kind, pdef in PARTITIONS.items():
        keys = pdef.get_partition_keys(current_time=datetime(2024, 12, 31, tzinfo=UTC))
        for key in keys[:5]:
            period = Period(kind, date.fromisoformat(key))
            assert Period.containing(kind, period.start) == period
            window = pdef.time_window_for_partition_key(key)
            assert window.end.date() == period.end
