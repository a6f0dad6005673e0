"""The ingestion sensor on real progress: observations, live and ranged run requests, cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from tests.integration.ingest_helpers import WorkerThread, isolated, wait_until_drained
from tweektrend_dagster.defs.tags import IMPORT, LANE, LIVE, RANGE_END, RANGE_START
from tweektrend_dagster.defs.trends.sensors import build_ingestion_sensor
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.ingest.sources.simulator import generate
from tweektrend_dagster.resources import CassandraResource, KafkaResource

NO_SETTLE = timedelta(0)


def _sensor(refresh: timedelta, settle: timedelta = NO_SETTLE):
    return build_ingestion_sensor(refresh=refresh, grace=timedelta(hours=6), settle=settle)


def _daily_ranges(result) -> list[tuple[str, str]]:
    """(first, last) of the ranged daily runs (import lane) a tick requested."""
    return [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in result.run_requests
            if r.job_name == "daily_trends_job" and r.tags[LANE] == IMPORT]


def _ingest(settings, start: datetime, n: int, seed: int) -> int:
    producer = TweetProducer(settings, KeywordWatch(None, fixed=["bts"]))
    producer.run(generate(n, seed=seed, start=start, span=timedelta(hours=2)))
    return producer.messages


def _evaluate(sensor, settings, cursor):
    context = dg.build_sensor_context(
        cursor=cursor,
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "cassandra": CassandraResource.from_settings(settings),
            "kafka": KafkaResource.from_settings(settings),
        },
    )
    return sensor(context)


def test_sensor_reports_progress_and_requests_changed_days(keyspace_settings):
    settings = isolated(keyspace_settings)
    day1, day2, day3 = (datetime(2026, 6, d, 10, tzinfo=UTC) for d in (1, 2, 3))
    messages = _ingest(settings, day1, 300, 1) + _ingest(settings, day2, 300, 2)
    sensor = _sensor(timedelta(minutes=5))
    with WorkerThread(settings):
        wait_until_drained(settings, messages)

        # still settling (the days changed moments ago): nothing requested yet, nothing lost
        settling = _evaluate(_sensor(timedelta(minutes=5), timedelta(hours=1)), settings, None)
        assert settling.run_requests == []
        assert settling.asset_events[0].metadata["days_importing_next"].value == 2

        # past days: one ranged run over both, then the roll-ups of their week, month, quarter
        first = _evaluate(sensor, settings, settling.cursor)
        assert _daily_ranges(first) == [("2026-06-01", "2026-06-02")]
        assert [r.job_name for r in first.run_requests] == [
            "daily_trends_job", "weekly_trends_job", "monthly_trends_job", "quarterly_trends_job"]
        [obs] = first.asset_events
        assert obs.asset_key == dg.AssetKey("raw_tweets")
        assert obs.metadata["committed_messages"].value == messages
        assert obs.metadata["lag_messages"].value == 0
        assert obs.metadata["watermark"].value.startswith("2026-06-02T1")
        cursor = json.loads(first.cursor)
        assert cursor["committed"] == messages

        # nothing new: no runs, and the cursor keeps its place
        second = _evaluate(sensor, settings, first.cursor)
        assert second.run_requests == []

        # a new day and late tweets for day 1 arrive
        more = _ingest(settings, day3, 200, 3) + _ingest(settings, day1, 50, 4)
        wait_until_drained(settings, messages + more)
        third = _evaluate(sensor, settings, second.cursor)
        # day 1 was requested moments ago: it waits for the refresh interval, day 3 goes now
        assert _daily_ranges(third) == [("2026-06-03", "2026-06-03")]
        assert third.asset_events[0].metadata["messages_per_second"].value > 0

        # once the refresh interval has passed, the late day 1 is recomputed
        eager = _sensor(timedelta(0))
        fourth = _evaluate(eager, settings, third.cursor)
        assert _daily_ranges(fourth) == [("2026-06-01", "2026-06-01")]
        assert _evaluate(eager, settings, fourth.cursor).run_requests == []


def test_days_changed_in_one_batch_are_tracked_each_on_its_own(keyspace_settings, cassandra):
    # late tweets for an old day and tweets for a new day often arrive in the same worker batch,
    # with the same updated_at: the recently requested old day waits, the new one does not
    # come back once it was requested
    settings = isolated(keyspace_settings)
    ks = settings.keyspace
    insert = f"INSERT INTO {ks}.ingested_days (scope, day, updated_at) VALUES ('all', %s, %s)"
    t0 = datetime.now(UTC) - timedelta(minutes=10)  # workers stamp rows with their clock
    cassandra.execute(insert, (datetime(2026, 7, 1).date(), t0))
    lazy, eager = _sensor(timedelta(minutes=5)), _sensor(timedelta(0))
    first = _evaluate(lazy, settings, None)  # the module's keyspace may hold other days too
    assert any(a <= "2026-07-01" <= b for a, b in _daily_ranges(first))

    same_batch = t0 + timedelta(minutes=1)
    for day in (datetime(2026, 7, 1).date(), datetime(2026, 7, 3).date()):
        cassandra.execute(insert, (day, same_batch))
    second = _evaluate(lazy, settings, first.cursor)
    assert _daily_ranges(second) == [("2026-07-03", "2026-07-03")]
    third = _evaluate(eager, settings, second.cursor)
    assert _daily_ranges(third) == [("2026-07-01", "2026-07-01")]
    assert _evaluate(eager, settings, third.cursor).run_requests == []


def test_no_tweet_date_fails_a_tick(keyspace_settings, cassandra):
    # an archive from 2009 and 2020, today's stream, a clock a day ahead, and one far ahead
    settings = isolated(keyspace_settings)
    insert = (f"INSERT INTO {settings.keyspace}.ingested_days (scope, day, updated_at)"
              " VALUES ('all', %s, %s)")
    now = datetime.now(UTC)
    today = now.date()
    tomorrow, far = today + timedelta(days=1), today + timedelta(days=400)
    old = [datetime(2009, 5, 1).date(), datetime(2020, 12, 12).date()]
    for day in (*old, today, tomorrow, far):
        cassandra.execute(insert, (day, now - timedelta(minutes=1)))
    result = _evaluate(_sensor(timedelta(minutes=5)), settings, None)

    live = sorted(r.partition_key for r in result.run_requests if r.tags[LANE] == LIVE)
    assert live == [today.isoformat(), tomorrow.isoformat()]
    ranges = _daily_ranges(result)
    for day in old:
        assert any(a <= day.isoformat() <= b for a, b in ranges), day
    metadata = result.asset_events[0].metadata
    assert metadata["days_waiting_for_partition"].value == far.isoformat()
    # the far day stays pending (not seen), so it is requested once its partition exists
    cursor = json.loads(result.cursor)
    assert far.isoformat() not in cursor["seen"]
    again = _evaluate(_sensor(timedelta(minutes=5)), settings, result.cursor)
    assert again.run_requests == []
    assert again.asset_events[0].metadata["days_waiting_for_partition"].value == far.isoformat()


def test_a_day_whose_run_is_still_queued_is_not_requested_again(keyspace_settings, cassandra):
    # behind a long import, a refresh of today waits in the queue; another request for the
    # same day would only pile up runs that all read the same newest tweets
    settings = isolated(keyspace_settings)
    today = datetime.now(UTC).date()
    cassandra.execute(
        f"INSERT INTO {settings.keyspace}.ingested_days (scope, day, updated_at) "
        "VALUES ('all', %s, %s)", (today, datetime.now(UTC)))
    sensor = _sensor(timedelta(0))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_run(dg.DagsterRun(
        job_name="daily_trends_job", run_id="0" * 36, status=dg.DagsterRunStatus.NOT_STARTED,
        tags={"dagster/partition": today.isoformat()}))

    def live_runs(instance_):
        context = dg.build_sensor_context(
            cursor=None, instance=instance_,
            resources={"cassandra": CassandraResource.from_settings(settings),
                       "kafka": KafkaResource.from_settings(settings)})
        return [r for r in sensor(context).run_requests
                if r.job_name == "daily_trends_job" and r.partition_key == today.isoformat()]

    assert live_runs(instance) == []
    assert len(live_runs(dg.DagsterInstance.ephemeral())) == 1  # nothing queued: requested
