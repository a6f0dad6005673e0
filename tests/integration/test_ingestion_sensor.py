"""The ingestion sensor on real progress: observations, run requests per changed day, cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from tests.integration.ingest_helpers import WorkerThread, isolated, wait_until_drained
from tweektrend_dagster.assets.trends import daily_trends_job
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.ingest.sources.simulator import generate
from tweektrend_dagster.resources import CassandraResource, KafkaResource
from tweektrend_dagster.sensors import build_ingestion_sensor


def _ingest(settings, start: datetime, n: int, seed: int) -> int:
    producer = TweetProducer(settings, KeywordWatch(None, fixed=["bts"]))
    producer.run(generate(n, seed=seed, start=start, span=timedelta(hours=2)))
    return producer.messages


def _evaluate(sensor, settings, cursor):
    context = dg.build_sensor_context(
        cursor=cursor,
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "cassandra": CassandraResource(
                hosts=settings.host, port=settings.cassandra_port, keyspace=settings.keyspace
            ),
            "kafka": KafkaResource(
                bootstrap_servers=settings.kafka_bootstrap,
                topic=settings.topic,
                consumer_group=settings.consumer_group,
            ),
        },
    )
    return sensor(context)


def test_sensor_reports_progress_and_requests_changed_days(keyspace_settings):
    settings = isolated(keyspace_settings)
    day1, day2, day3 = (datetime(2026, 6, d, 10, tzinfo=UTC) for d in (1, 2, 3))
    messages = _ingest(settings, day1, 300, 1) + _ingest(settings, day2, 300, 2)
    sensor = build_ingestion_sensor(daily_trends_job, refresh=timedelta(minutes=5))
    with WorkerThread(settings):
        wait_until_drained(settings, messages)

        first = _evaluate(sensor, settings, None)
        assert sorted(r.partition_key for r in first.run_requests) == ["2026-06-01", "2026-06-02"]
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
        assert [r.partition_key for r in third.run_requests] == ["2026-06-03"]
        assert third.asset_events[0].metadata["messages_per_second"].value > 0

        # once the refresh interval has passed, the late day 1 is recomputed
        eager = build_ingestion_sensor(daily_trends_job, refresh=timedelta(0))
        fourth = _evaluate(eager, settings, third.cursor)
        assert [r.partition_key for r in fourth.run_requests] == ["2026-06-01"]
        assert _evaluate(eager, settings, fourth.cursor).run_requests == []


def test_days_changed_in_one_batch_are_tracked_each_on_its_own(keyspace_settings, cassandra):
    # late tweets for an old day and tweets for a new day often arrive in the same worker batch,
    # with the same updated_at: the recently requested old day waits, the new one does not
    # come back once it was requested
    settings = isolated(keyspace_settings)
    ks = settings.keyspace
    insert = f"INSERT INTO {ks}.ingested_days (scope, day, updated_at) VALUES ('all', %s, %s)"
    t0 = datetime(2026, 7, 1, 12, tzinfo=UTC)
    cassandra.execute(insert, (datetime(2026, 7, 1).date(), t0))
    lazy = build_ingestion_sensor(daily_trends_job, refresh=timedelta(minutes=5))
    eager = build_ingestion_sensor(daily_trends_job, refresh=timedelta(0))
    first = _evaluate(lazy, settings, None)  # the module's keyspace may hold other days too
    assert "2026-07-01" in [r.partition_key for r in first.run_requests]

    same_batch = t0 + timedelta(minutes=1)
    for day in (datetime(2026, 7, 1).date(), datetime(2026, 7, 3).date()):
        cassandra.execute(insert, (day, same_batch))
    second = _evaluate(lazy, settings, first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["2026-07-03"]
    third = _evaluate(eager, settings, second.cursor)
    assert [r.partition_key for r in third.run_requests] == ["2026-07-01"]
    assert _evaluate(eager, settings, third.cursor).run_requests == []
