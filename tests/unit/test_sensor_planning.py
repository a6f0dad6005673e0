"""Which changed days the ingestion sensor asks to recompute (pure logic)."""

from datetime import UTC, date, datetime, timedelta

from tweektrend_dagster.ingest.progress import Progress, days_to_refresh

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_new_days_are_due_and_recent_ones_wait_for_the_refresh_interval():
    changed = {date(2026, 11, 24): NOW, date(2026, 11, 25): NOW, date(2026, 11, 20): NOW}
    requested = {
        "2026-11-25": (NOW - timedelta(minutes=2)).isoformat(),
        "2026-11-24": (NOW - timedelta(minutes=6)).isoformat(),
    }
    due = days_to_refresh(changed, requested, NOW, timedelta(minutes=5))
    assert due == [date(2026, 11, 20), date(2026, 11, 24)]


def test_lag_counts_uncommitted_messages_per_partition():
    progress = Progress(committed={0: 10, 1: 5}, end={0: 12, 1: 5, 2: 7}, watermark=None)
    assert progress.lag == 2 + 0 + 7
    assert progress.total_committed == 15


# ---- lanes and ranged runs (run_plan) -----------------------------------------------------------
from tweektrend_dagster.contracts.periods import Period  # noqa: E402
from tweektrend_dagster.defs.tags import IMPORT, LANE, LIVE, RANGE_END, RANGE_START  # noqa: E402
from tweektrend_dagster.defs.trends.partitions import PARTITIONS, partition_bounds  # noqa: E402
from tweektrend_dagster.defs.trends.run_plan import (  # noqa: E402
    day_ranges,
    plan_day_runs,
    plan_keyword_backfill,
    split_days,
)

TODAY = NOW.date()
GRACE = timedelta(hours=6)


def _days(first: date, n: int, step: int = 1) -> list[date]:
    return [first + timedelta(days=i * step) for i in range(n)]


def test_any_day_since_2006_and_tomorrow_have_partitions_of_every_kind():
    first, last = partition_bounds(NOW)
    assert first == date(2006, 1, 1) and last == TODAY + timedelta(days=1)
    keys = {kind: set(pdef.get_partition_keys(current_time=NOW))
            for kind, pdef in PARTITIONS.items()}
    for day in (date(2006, 3, 21), date(2009, 5, 1), date(2020, 12, 12), last):
        for kind in PARTITIONS:
            assert Period.containing(kind, day).start.isoformat() in keys[kind], (kind, day)
    assert (last + timedelta(days=1)).isoformat() not in keys["day"]


def test_days_split_into_live_past_waiting_and_outside():
    yesterday = TODAY - timedelta(days=1)
    future = TODAY + timedelta(days=30)
    split = split_days(
        [TODAY, yesterday, date(2020, 12, 12), future, date(2005, 6, 1)], NOW,
        partition_bounds(NOW), GRACE)
    # at 12:00 yesterday's 6 h grace is over: it is past, imported like an archive day
    assert split.live == [TODAY]
    assert split.past == [date(2020, 12, 12), yesterday]
    assert split.waiting == [future]
    assert split.outside == [date(2005, 6, 1)]
    early = NOW.replace(hour=3)
    assert split_days([yesterday], early, partition_bounds(early), GRACE).live == [yesterday]


def test_day_ranges_group_close_days_and_cap_the_number_of_runs():
    archive = _days(date(2020, 12, 12), 160)
    assert day_ranges(archive) == [(date(2020, 12, 12), date(2021, 5, 20))]
    # a sparse archive with gaps of a few weeks is still one range
    assert day_ranges(_days(date(2021, 1, 1), 10, step=20)) == [
        (date(2021, 1, 1), date(2021, 1, 1) + timedelta(days=180))]
    # far-apart late days: separate ranges, never more than four
    scattered = [date(2009 + i, 1, 1) for i in range(10)]
    ranges = day_ranges(scattered)
    assert len(ranges) == 4
    assert ranges[0][0] == date(2009, 1, 1) and ranges[-1][1] == date(2018, 1, 1)
    assert all(any(a <= d <= b for a, b in ranges) for d in scattered)


def test_a_160_day_replay_is_a_handful_of_runs_in_the_import_lane():
    runs = plan_day_runs([TODAY], _days(date(2020, 12, 12), 160), NOW, "ingestion_sensor")
    live = [r for r in runs if r.tags[LANE] == LIVE]
    imports = [r for r in runs if r.tags[LANE] == IMPORT]
    assert [r.partition_key for r in live] == [TODAY.isoformat()]
    assert [r.job_name for r in imports] == [
        "daily_trends_job", "weekly_trends_job", "monthly_trends_job", "quarterly_trends_job"]
    ranges = [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in imports]
    assert ranges == [("2020-12-12", "2021-05-20"), ("2020-12-07", "2021-05-17"),
                      ("2020-12-01", "2021-05-01"), ("2020-10-01", "2021-04-01")]
    assert len({r.run_key for r in runs}) == len(runs)


def test_keyword_backfill_imports_closed_days_and_refreshes_open_ones_live():
    archived = [date(2021, 3, 1), date(2021, 3, 2), TODAY]
    runs = plan_keyword_backfill(["bts"], archived, NOW, partition_bounds(NOW), GRACE)
    assert [(r.job_name, r.tags[LANE]) for r in runs] == [
        ("keyword_backfill_job", IMPORT), ("weekly_trends_job", IMPORT),
        ("monthly_trends_job", IMPORT), ("quarterly_trends_job", IMPORT),
        ("keyword_backfill_job", LIVE)]
    assert runs[0].tags[RANGE_START] == "2021-03-01" and runs[0].tags[RANGE_END] == "2021-03-02"
    assert runs[-1].partition_key == TODAY.isoformat()
    config = runs[0].run_config["ops"]["keyword_backfill"]["config"]
    assert config == {"keywords": ["bts"]} == runs[-1].run_config["ops"]["keyword_backfill"][
        "config"]
    assert plan_keyword_backfill(["bts"], [], NOW, partition_bounds(NOW), GRACE) == []
