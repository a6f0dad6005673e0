"""Faults mid-stream: a worker killed with SIGKILL, Cassandra stopped and restarted.

Marked `faults`: restarting Cassandra interrupts whatever else uses the test stack, so
tests/conftest.py runs these after every other test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.ingest_helpers import WorkerThread, isolated, wait_until_drained
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.ingest.sources.simulator import generate
from tweektrend_dagster.stack.launcher import Stack
from tweektrend_dagster.tweets import parse_payload

pytestmark = pytest.mark.faults


def _in_month(rows, month: int) -> list:
    # the tests of this module share a keyspace; each writes its own month
    return [r for r in rows if r.created_at.month == month]


def _ids(session, keyspace: str, month: int) -> list[int]:
    rows = session.execute(f"SELECT id, created_at FROM {keyspace}.raw_posts_by_day", timeout=60)
    return [r.id for r in _in_month(rows, month)]


def _keyword_rows(session, keyspace: str, month: int) -> int:
    rows = session.execute(f"SELECT created_at FROM {keyspace}.posts_by_keyword", timeout=60)
    return len(_in_month(rows, month))


def _produce(settings, n: int, seed: int, start: datetime) -> tuple[TweetProducer, set[int], int]:
    payloads = generate(n, seed=seed, start=start, span=timedelta(hours=3))
    producer = TweetProducer(settings, KeywordWatch(None, fixed=["bts", "코로나", "covid"]))
    producer.run(payloads)
    tweets = [parse_payload(p) for p in payloads]
    keyword_rows = sum(len(producer.keywords.matcher().match(t)) for t in tweets)
    return producer, {t.id for t in tweets}, keyword_rows


def test_worker_killed_with_sigkill_loses_nothing_and_duplicates_nothing(
    keyspace_settings, cassandra
):
    settings = isolated(keyspace_settings)
    producer, ids, keyword_rows = _produce(
        settings, 20_000, seed=5, start=datetime(2026, 4, 1, tzinfo=UTC)
    )
    cmd = [sys.executable, "-m", "tweektrend_dagster.cli", "ingest", "--workers", "1"]
    env = {**os.environ, **settings.as_env()}
    victim = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(_ids(cassandra, settings.keyspace, 4)) < 2000:
            time.sleep(0.2)
        written_before_kill = len(_ids(cassandra, settings.keyspace, 4))
        os.killpg(victim.pid, signal.SIGKILL)  # the pool and its worker, no goodbye
        victim.wait(30)
    finally:
        if victim.poll() is None:
            os.killpg(victim.pid, signal.SIGKILL)
    assert 0 < written_before_kill < len(ids), "the kill must land mid-stream"

    with WorkerThread(settings, name="successor"):
        wait_until_drained(settings, producer.messages, timeout=180)
    stored = _ids(cassandra, settings.keyspace, 4)
    assert len(stored) == len(set(stored)) == len(ids)
    assert set(stored) == ids
    assert _keyword_rows(cassandra, settings.keyspace, 4) == keyword_rows


def test_a_new_owner_records_offsets_its_killed_predecessor_committed(keyspace_settings, cassandra):
    """A worker killed between its Kafka commit and its progress row leaves the row behind. When
    nothing is left in that partition, no batch corrects it: the next owner writes what Kafka has
    committed when it gets the partition, so the lag the sensor reads comes back to zero."""
    settings = isolated(keyspace_settings)
    producer, *_ = _produce(settings, 2000, seed=6, start=datetime(2026, 4, 20, tzinfo=UTC))
    with WorkerThread(settings, name="first"):
        wait_until_drained(settings, producer.messages)
    # as the kill would leave it: every partition's progress row one batch behind Kafka
    cassandra.execute(
        f"UPDATE {settings.keyspace}.ingestion_progress SET committed_offset = 0"
        " WHERE consumer_group=%s AND topic=%s AND partition IN (0, 1, 2, 3)",
        (settings.consumer_group, settings.topic))
    with WorkerThread(settings, name="next-owner"):
        wait_until_drained(settings, producer.messages, timeout=60)
    from tweektrend_dagster.ingest.progress import read_progress

    progress = read_progress(cassandra, settings.kafka_bootstrap, settings.topic,
                             settings.consumer_group)
    # every row holds what Kafka committed: the end of each partition, none left at 0
    assert {p: c for p, c in progress.committed.items() if c} == {
        p: end for p, end in progress.end.items() if end}
    assert progress.lag == 0


def test_cassandra_stopped_and_restarted_mid_stream_loses_nothing(keyspace_settings, cassandra):
    settings = isolated(keyspace_settings)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    first, ids_a, rows_a = _produce(settings, 3000, seed=8, start=start)
    cassandra_only = Stack(settings, echo=lambda line: None, only=["cassandra"])
    with WorkerThread(settings, name="survivor") as worker:
        wait_until_drained(settings, first.messages)
        cassandra_only.down()  # the worker now fails its writes and backs off
        second, ids_b, rows_b = _produce(settings, 3000, seed=9, start=start + timedelta(days=1))
        time.sleep(3)
        # nothing of the second half may be committed while Cassandra is away
        committed = worker.consumer.committed(worker.consumer.assignment(), timeout=5)
        assert sum(max(0, tp.offset) for tp in committed) == first.messages
        cassandra_only.up()
        wait_until_drained(settings, first.messages + second.messages, timeout=240)
    from tweektrend_dagster.clients import cassandra_session

    session, cluster = cassandra_session(settings)  # the fixture's session predates the restart
    try:
        stored = _ids(session, settings.keyspace, 5)
        assert len(stored) == len(set(stored)) == len(ids_a | ids_b)
        assert _keyword_rows(session, settings.keyspace, 5) == rows_a + rows_b
    finally:
        cluster.shutdown()
