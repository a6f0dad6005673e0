"""One stream through a stack, with a fault on the way, and what it must have left behind.

A `Stream` has its own topic, consumer group, keyspace and Mongo database, so the fault tests
share one cluster (and one single-node reference) without seeing each other's tweets. Every
test streams the same 200,000 simulated tweets of one day: the single-node stack's trends of
that day are computed once and each cluster run must publish the same documents.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from cassandra import ConsistencyLevel
from cassandra.query import SimpleStatement

from tweektrend_dagster.clients import cassandra_session, kafka_client_config, mongo_database
from tweektrend_dagster.config import Settings
from tweektrend_dagster.ingest.kafka_topics import ensure_topics
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.ingest.progress import read_progress
from tweektrend_dagster.ingest.schema import create_schema
from tweektrend_dagster.stack.process import ManagedProcess

DAY = date(2026, 3, 10)
TWEETS = int(os.environ.get("TWEEKTREND_CLUSTER_TEST_TWEETS", "200000"))
KEYWORDS = ("bts", "코로나", "covid", "netflix")
# a document's fields that say when it was computed, not what it holds
VOLATILE = {"updated_at", "as_of"}


@cache
def day_payloads() -> tuple[bytes, ...]:
    """The day's simulated tweets (seeded: every test and the reference get the same ones)."""
    from tweektrend_dagster.ingest.sources.simulator import generate

    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    return tuple(generate(TWEETS, seed=17, start=start, span=timedelta(hours=23, minutes=59)))


@dataclass
class Stream:
    settings: Settings
    analytics: Path
    workers: subprocess.Popen | None = None
    producer: TweetProducer | None = None
    log: Path | None = None

    @classmethod
    def fresh(cls, base: Settings, tmp: Path) -> Stream:
        tag = uuid.uuid4().hex[:8]
        settings = replace(
            base, topic=f"tweets-{tag}", dlq_topic=f"tweets-{tag}.dlq",
            events_topic=f"tweets-{tag}.events", consumer_group=f"ingest-{tag}",
            keyspace=f"ks_{tag}", mongo_db=f"db{tag}", topic_partitions=6,
        )
        ensure_topics(settings)
        session, cluster = cassandra_session(settings, keyspace=None)
        try:
            create_schema(session, settings)
            # every node must hold the new tables before the workers write to them
            assert cluster.control_connection.wait_for_schema_agreement(wait_time=120), (
                "the Cassandra nodes do not agree on the schema")
        finally:
            cluster.shutdown()
        return cls(settings, tmp / f"analytics-{tag}")

    # -- the stream --------------------------------------------------------------------------
    def start_workers(self, count: int = 2) -> None:
        """`tweektrend ingest --workers N` as the stack runs it, in a process group of its own."""
        self.log = self.analytics.parent / f"{self.settings.consumer_group}.log"
        with self.log.open("wb") as out:
            self.workers = subprocess.Popen(
                [sys.executable, "-m", "tweektrend_dagster.cli", "ingest", "--workers",
                 str(count)],
                env={**os.environ, **self.settings.as_env(), "PYTHONUNBUFFERED": "1"},
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def produce(self, payloads: Iterable[bytes]) -> None:
        self.producer = TweetProducer(self.settings, KeywordWatch(None, fixed=list(KEYWORDS)))
        self.producer.run(payloads)

    def produce_in_background(self, payloads: Iterable[bytes]) -> threading.Thread:
        thread = threading.Thread(target=self.produce, args=(payloads,), daemon=True)
        thread.start()
        return thread

    def group_offsets(self, with_ends: bool = False) -> tuple[list[int], list[int]]:
        """Per partition: the group's committed offset and (`with_ends`) the topic's end, as
        Kafka has them (no Cassandra read: a node that does not answer must not hold up the
        measuring)."""
        from confluent_kafka import Consumer, TopicPartition

        consumer = Consumer(kafka_client_config(self.settings, **{
            "group.id": self.settings.consumer_group, "enable.auto.commit": False}))
        try:
            meta = consumer.list_topics(self.settings.topic, timeout=10)
            parts = [TopicPartition(self.settings.topic, p)
                     for p in meta.topics[self.settings.topic].partitions]
            committed = [tp.offset for tp in consumer.committed(parts, timeout=10)]
            ends = ([consumer.get_watermark_offsets(p, timeout=10)[1] for p in parts]
                    if with_ends else [])
            return committed, ends
        finally:
            consumer.close()

    def committed(self) -> int:
        """Messages the group has committed."""
        return sum(max(0, offset) for offset in self.group_offsets()[0])

    def wait_committed(self, at_least: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while self.committed() < at_least:
            assert self.workers is None or self.workers.poll() is None, self.worker_log()
            assert time.monotonic() < deadline, f"not {at_least} committed in {timeout}s"
            time.sleep(1)

    def wait_drained(self, timeout: float = 900) -> float:
        """Until every message produced is committed and no lag is left; the seconds it took."""
        assert self.producer is not None
        started = time.monotonic()
        session, cluster = cassandra_session(self.settings)
        try:
            while True:
                progress = read_progress(session, self.settings.kafka_bootstrap,
                                         self.settings.topic, self.settings.consumer_group)
                if progress.total_committed >= self.producer.messages and progress.lag == 0:
                    return time.monotonic() - started
                assert self.workers is None or self.workers.poll() is None, self.worker_log()
                assert time.monotonic() - started < timeout, (
                    f"not drained after {timeout}s: {progress}\n{self.worker_log()}")
                time.sleep(1)
        finally:
            cluster.shutdown()

    def stop_workers(self) -> None:
        if self.workers and self.workers.poll() is None:
            self.workers.send_signal(signal.SIGTERM)
            try:
                self.workers.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.workers.pid, signal.SIGKILL)
                self.workers.wait(10)

    def worker_log(self) -> str:
        text = self.log.read_text(errors="replace") if self.log and self.log.exists() else ""
        return "\n".join(text.splitlines()[-30:])

    # -- what it left behind ---------------------------------------------------------------
    def stored_ids(self) -> list[str]:
        """Every raw row of the day, read at QUORUM: a row on one replica only is not enough."""
        session, cluster = cassandra_session(self.settings)
        try:
            ids: list[str] = []
            for hour in range(24):
                statement = SimpleStatement(
                    f"SELECT id FROM {self.settings.keyspace}.raw_posts_by_day "
                    "WHERE day = %s AND hour = %s", consistency_level=ConsistencyLevel.QUORUM,
                    fetch_size=5000)
                ids += [row.id for row in session.execute(statement, (DAY, hour), timeout=60)]
            return ids
        finally:
            cluster.shutdown()

    def stored_keyword_rows(self) -> int:
        session, cluster = cassandra_session(self.settings)
        try:
            statement = SimpleStatement(
                f"SELECT count(*) FROM {self.settings.keyspace}.posts_by_keyword "
                "WHERE keyword = %s AND day = %s AND hour = %s",
                consistency_level=ConsistencyLevel.QUORUM)
            return sum(session.execute(statement, (keyword, DAY, hour), timeout=60).one()[0]
                       for keyword in KEYWORDS for hour in range(24))
        finally:
            cluster.shutdown()

    def expected(self) -> tuple[set[str], int]:
        """The ids produced and the keyword rows they make, from the payloads themselves."""
        from tweektrend_dagster.keywords.matcher import KeywordMatcher
        from tweektrend_dagster.tweets import parse_payload

        matcher = KeywordMatcher(list(KEYWORDS))
        tweets = [parse_payload(p) for p in day_payloads()]
        return {t.id for t in tweets}, sum(len(matcher.match(t)) for t in tweets)

    def committed_offsets_at_end(self) -> bool:
        """The group's committed offsets, read from Kafka itself, are the ends of the topic."""
        committed, ends = self.group_offsets(with_ends=True)
        return committed == ends

    def sensor_tick(self):
        """One tick of the ingestion sensor on this stack (its progress read from the replicas
        and the brokers, as Dagster's daemon would run it)."""
        import dagster as dg

        from tweektrend_dagster.defs.trends.sensors import build_ingestion_sensor
        from tweektrend_dagster.resources import CassandraResource, KafkaResource

        sensor = build_ingestion_sensor(refresh=timedelta(minutes=5), grace=timedelta(hours=6),
                                        settle=timedelta(0))
        return sensor(dg.build_sensor_context(
            cursor=None, instance=dg.DagsterInstance.ephemeral(),
            resources={"cassandra": CassandraResource.from_settings(self.settings),
                       "kafka": KafkaResource.from_settings(self.settings)}))

    # -- the day's trends --------------------------------------------------------------------
    def publish_day(self, before_finish: Callable[[], None] | None = None):
        """The day's Dagster run (daily_trends_job) on this stack's Spark; `before_finish`
        runs in a thread beside it (a fault during the run). The Dagster result."""
        import dagster as dg

        from tweektrend_dagster.definitions import build_definitions
        from tweektrend_dagster.resources import SparkResource

        defs = build_definitions(self.settings, spark=SparkResource.from_settings(
            self.settings, analytics_path=str(self.analytics), shuffle_partitions=4))
        fault = threading.Thread(target=before_finish, daemon=True) if before_finish else None
        if fault:
            fault.start()
        result = defs.resolve_job_def("daily_trends_job").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), partition_key=DAY.isoformat(),
            raise_on_error=False)
        if fault:
            fault.join(120)
        return result

    def documents(self) -> dict[str, dict]:
        db = mongo_database(self.settings)
        try:
            return {doc["_id"]: {k: v for k, v in doc.items() if k not in VOLATILE}
                    for doc in db.trends.find({"period": "day"})}
        finally:
            db.client.close()

    def drop(self) -> None:
        """The stream's database, topics and (on a single node) keyspace go. A cluster's
        keyspaces stay until the next session starts (`drop_test_keyspaces`): a DROP while a
        node just back replays its hints raced with them in Cassandra 5.0 and left that node
        with a schema it could not merge."""
        self.stop_workers()
        db = mongo_database(self.settings)
        db.client.drop_database(self.settings.mongo_db)
        db.client.close()
        if not self.settings.cluster:
            session, cluster = cassandra_session(self.settings, keyspace=None)
            try:
                session.execute(f"DROP KEYSPACE IF EXISTS {self.settings.keyspace}", timeout=120)
            finally:
                cluster.shutdown()
        from confluent_kafka.admin import AdminClient

        admin = AdminClient(kafka_client_config(self.settings))
        topics = [self.settings.topic, self.settings.dlq_topic, self.settings.events_topic]
        for future in admin.delete_topics(topics, operation_timeout=30).values():
            try:
                future.result()
            except Exception:  # a topic never created (events): nothing to remove
                pass


def drop_test_keyspaces(settings: Settings) -> list[str]:
    """The keyspaces earlier test streams left (ks_…), dropped one at a time while the cluster
    is quiet, each agreed on by every node before the next."""
    session, cluster = cassandra_session(settings, keyspace=None)
    try:
        names = [r.keyspace_name for r in
                 session.execute("SELECT keyspace_name FROM system_schema.keyspaces")
                 if r.keyspace_name.startswith("ks_")]
        for name in names:
            session.execute(f"DROP KEYSPACE IF EXISTS {name}", timeout=120)
            assert cluster.control_connection.wait_for_schema_agreement(wait_time=120), (
                f"the Cassandra nodes do not agree on the schema after dropping {name}")
        return names
    finally:
        cluster.shutdown()


# -- faults ----------------------------------------------------------------------------------
def pid_of(settings: Settings, name: str) -> int:
    pid = ManagedProcess(name, settings.home).pid()
    assert pid, f"{name} is not running"
    return pid


def kill_node(settings: Settings, name: str) -> None:
    """SIGKILL to the node's whole process group (a Spark worker's executors die with it)."""
    os.killpg(pid_of(settings, name), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while ManagedProcess(name, settings.home).running():
        assert time.monotonic() < deadline, f"{name} survived SIGKILL"
        time.sleep(0.2)


def leading_broker(settings: Settings) -> int:
    """The broker that leads most partitions of the stream's topic."""
    from confluent_kafka.admin import AdminClient

    meta = AdminClient(kafka_client_config(settings)).list_topics(settings.topic, timeout=10)
    leaders = Counter(p.leader for p in meta.topics[settings.topic].partitions.values())
    return leaders.most_common(1)[0][0]


def paced(payloads: Iterable[bytes], at: int, fault: Callable[[], None]) -> Iterator[bytes]:
    """The payloads, with `fault()` called once `at` of them have been handed to the
    producer (so the fault lands while it is still producing)."""
    for i, payload in enumerate(payloads):
        if i == at:
            fault()
        yield payload
