"""A node killed or cut off while 200,000 tweets stream through the cluster with 2 workers.

After each fault: every tweet produced is in Cassandra exactly once, read at QUORUM; every
keyword row is there; the group's committed offsets are the ends of the topic; and the day's
trends, computed on the Spark cluster, are the documents a single-node run publishes for the
same tweets. After the broker's loss, the ingestion sensor's tick reads the progress through
the replicas and the new leaders and asks for the day's run.
"""

from __future__ import annotations

import math
import os
import signal
import time

import pytest

from tests.cluster.conftest import cluster_stack
from tests.cluster.harness import (
    DAY,
    TWEETS,
    Stream,
    day_payloads,
    kill_node,
    leading_broker,
    paced,
    pid_of,
)
from tweektrend_dagster.defs.tags import RANGE_END, RANGE_START

pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def reference_documents(stack_settings, tmp_path_factory) -> dict[str, dict]:
    """The day's trend documents from the single-node test stack, for the same tweets."""
    stream = Stream.fresh(stack_settings, tmp_path_factory.mktemp("single"))
    try:
        stream.start_workers(2)
        stream.produce(day_payloads())
        stream.wait_drained()
        result = stream.publish_day()
        assert result.success
        documents = stream.documents()
    finally:
        stream.drop()
    assert {d["keyword"] for d in documents.values()} >= {"bts", "코로나", "covid"}
    return documents


@pytest.fixture
def stream(cluster_settings, tmp_path):
    stream = Stream.fresh(cluster_settings, tmp_path)
    yield stream
    stream.drop()


@pytest.fixture
def restore(cluster_settings):
    """Names of nodes a test took down; they are started again (and awaited) afterwards."""
    taken: list[str] = []
    yield taken
    for name in taken:
        cluster_stack(cluster_settings, [name]).up()


def _same(a, b) -> bool:
    """Equal documents; floats (scores summed in another order on other executors) to 1e-9."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(
            a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def assert_whole(stream: Stream, reference: dict[str, dict], publish: bool = True) -> None:
    ids, keyword_rows = stream.expected()
    stored = stream.stored_ids()
    assert len(stored) == len(set(stored)), "a tweet stored twice"
    missing, extra = ids - set(stored), set(stored) - ids
    assert not missing and not extra, f"{len(missing)} missing, {len(extra)} not produced"
    assert stream.stored_keyword_rows() == keyword_rows
    assert stream.committed_offsets_at_end()
    if publish:
        result = stream.publish_day()
        assert result.success
    documents = stream.documents()
    assert documents.keys() == reference.keys()
    different = [k for k in reference if not _same(documents[k], reference[k])]
    assert not different, f"documents differ from the single-node run: {different}"


def test_the_partition_leaders_broker_killed_while_producing(
        cluster_settings, stream, restore, reference_documents):
    stream.start_workers(2)
    victim = f"kafka-{leading_broker(stream.settings)}"

    def kill_leader() -> None:
        kill_node(cluster_settings, victim)
        restore.append(victim)

    # a third of the day produced, then the broker leading most partitions dies: the producer
    # (acks=all, idempotent) and both workers must move to the new leaders
    stream.produce(paced(day_payloads(), TWEETS // 3, kill_leader))
    assert restore == [victim]
    drained_in = stream.wait_drained()
    print(f"\n{victim} killed at {TWEETS // 3:,} tweets produced; drained {drained_in:.0f}s "
          "after the producer finished")
    # the ingestion sensor reads the same progress through the replicas and the new leaders,
    # and asks for the day's run
    tick = stream.sensor_tick()
    [observed] = tick.asset_events
    assert observed.metadata["committed_messages"].value == stream.producer.messages
    assert observed.metadata["lag_messages"].value == 0
    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in tick.run_requests
            if r.job_name == "daily_trends_job"] == [(DAY.isoformat(), DAY.isoformat())]
    assert_whole(stream, reference_documents)


def test_a_cassandra_node_killed_and_brought_back(
        cluster_settings, stream, restore, reference_documents):
    stream.start_workers(2)
    producing = stream.produce_in_background(day_payloads())
    stream.wait_committed(TWEETS // 5)
    kill_node(cluster_settings, "cassandra-3")
    restore.append("cassandra-3")
    killed_at = stream.committed()
    # with one of three replicas gone, LOCAL_QUORUM writes go on
    stream.wait_committed(killed_at + TWEETS // 5, timeout=300)
    cluster_stack(cluster_settings, ["cassandra-3"]).up()
    restore.remove("cassandra-3")
    producing.join(600)
    stream.wait_drained()
    assert_whole(stream, reference_documents)


def test_a_cassandra_node_cut_off_for_30_seconds(
        cluster_settings, stream, reference_documents):
    stream.start_workers(2)
    producing = stream.produce_in_background(day_payloads())
    stream.wait_committed(TWEETS // 5)
    group = pid_of(cluster_settings, "cassandra-2")
    os.killpg(group, signal.SIGSTOP)  # alive, holding its connections, answering nothing
    try:
        before = stream.committed()
        time.sleep(30)
        during = stream.committed() - before
    finally:
        os.killpg(group, signal.SIGCONT)
    print(f"\n{during:,} messages committed while cassandra-2 was stopped for 30 s")
    # two replicas of three answer: a write waits a second for the silent one, then goes to
    # another (speculative execution), so ingestion does not stop with the node
    assert during > 0, "ingestion stopped while one of three Cassandra nodes was paused"
    producing.join(600)
    stream.wait_drained()
    assert_whole(stream, reference_documents)


def test_a_spark_worker_killed_during_the_days_run(
        cluster_settings, stream, restore, reference_documents):
    from tweektrend_dagster.stack.spark_standalone import master_state

    stream.start_workers(2)
    stream.produce(day_payloads())
    stream.wait_drained()
    killed: list[float] = []

    def kill_a_busy_worker() -> None:
        # once worker 1 runs a task of the run, it goes, with its executor and Python workers
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            workers = (master_state(cluster_settings) or {}).get("workers", [])
            if any(w["host"] == cluster_settings.cluster_hosts[1] and w["state"] == "ALIVE"
                   and w.get("coresused", 0) > 0 for w in workers):
                break
            time.sleep(0.2)
        started = time.monotonic()
        kill_node(cluster_settings, "spark-worker-1")
        restore.append("spark-worker-1")
        killed.append(started)

    result = stream.publish_day(before_finish=kill_a_busy_worker)
    assert killed, "the worker was never busy with the run"
    assert result.success, "the run that lost its worker did not finish"
    assert_whole(stream, reference_documents, publish=False)
