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
