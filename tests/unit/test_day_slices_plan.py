"""Which hours a day's refresh recomputes (analytics/slices.hours_to_compute)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tweektrend_dagster.analytics.slices import HOURS, SLACK_MS, hours_to_compute

T = datetime(2026, 12, 4, 12, tzinfo=UTC)
MS = int(T.timestamp() * 1000)  # the slices' as_of


def test_a_day_without_slices_computes_every_hour_even_unmarked_ones():
    assert hours_to_compute({}, {}) == list(HOURS)
    assert hours_to_compute({}, {3: T}) == list(HOURS)


def test_only_hours_marked_after_their_slice_or_without_one_are_recomputed():
    computed = {h: MS for h in range(12)}
    marks = {
        1: T - timedelta(hours=2),  # before the slice: settled
        2: T + timedelta(seconds=5),  # rows landed after the slice's read
        12: T - timedelta(hours=1),  # marked, but no slice yet (an interrupted run)
    }
    assert hours_to_compute(computed, marks) == [2, 12]


def test_marks_within_the_clock_slack_before_the_read_count_as_changed():
    computed = {5: MS}
    just_before = T - timedelta(milliseconds=SLACK_MS // 2)
    assert hours_to_compute(computed, {5: just_before}) == [5]
    assert hours_to_compute(computed, {5: just_before}, slack_ms=0) == []
    assert hours_to_compute(computed, {5: T - timedelta(milliseconds=SLACK_MS + 1)}) == []
