"""Shared pieces of the ingestion tests: an isolated pipeline and ways to wait on it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from confluent_kafka import Consumer

from tweektrend_dagster.clients import cassandra_session
from tweektrend_dagster.config import Settings
from tweektrend_dagster.ingest.kafka_topics import ensure_topics
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.progress import read_progress
from tweektrend_dagster.ingest.worker import IngestWorker


def isolated(settings: Settings, partitions: int = 4) -> Settings:
    """Own topic, dead-letter topic, consumer group and Mongo database for one test."""
    tag = uuid.uuid4().hex[:8]
    isolated = replace(
        settings,
        topic=f"tweets-{tag}",
        dlq_topic=f"tweets-{tag}.dlq",
        events_topic=f"tweets-{tag}.events",
        consumer_group=f"ingest-{tag}",
        mongo_db=f"db{tag}",
        topic_partitions=partitions,
    )
    ensure_topics(isolated)
    return isolated


class WorkerThread:
    """An in-process worker, so a test can start, observe and stop it."""

    def __init__(self, settings: Settings, watch: KeywordWatch | None = None, name="worker-t"):
        self.worker = IngestWorker(settings, name, watch or KeywordWatch(None))
        self.thread = threading.Thread(target=self.worker.run, daemon=True)

    def __enter__(self) -> IngestWorker:
        self.thread.start()
        return self.worker

    def __exit__(self, *exc) -> None:
        self.worker.stop()
        self.thread.join(60)


def wait_until_drained(settings: Settings, expected_messages: int, timeout: float = 120) -> None:
    """Until the group has committed `expected_messages` and has no lag."""
    session, cluster = cassandra_session(settings)
    try:
        deadline = time.monotonic() + timeout
        progress = None
        while time.monotonic() < deadline:
            progress = read_progress(
                session, settings.kafka_bootstrap, settings.topic, settings.consumer_group
            )
            if progress.total_committed >= expected_messages and progress.lag == 0:
                return
            time.sleep(0.5)
        raise AssertionError(f"not drained after {timeout}s: {progress}")
    finally:
        cluster.shutdown()


def read_all(settings: Settings, topic: str, expected: int, timeout: float = 30) -> list:
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": "reader-" + uuid.uuid4().hex[:6],
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    messages = []
    deadline = time.monotonic() + timeout
    while len(messages) < expected and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            messages.append(msg)
    consumer.close()
    return messages


@contextmanager
def keyword_pipeline(settings: Settings, *keywords: str) -> Iterator[tuple]:
    """An isolated pipeline (own topics, group, Mongo database) whose registry follows
    `keywords`: (settings, registry, db); the database is dropped afterwards."""
    from tweektrend_dagster.clients import connect_mongo
    from tweektrend_dagster.keywords import KeywordRegistry

    settings = isolated(settings)
    db = connect_mongo(settings.mongo_uri, settings.mongo_db)
    registry = KeywordRegistry(db)
    registry.ensure_indexes()
    for keyword in keywords:
        registry.add("u1", keyword)
    try:
        yield settings, registry, db
    finally:
        db.client.drop_database(settings.mongo_db)
        db.client.close()


@contextmanager
def applying_events(settings: Settings) -> Iterator[list]:
    """The events applier (deletions, reactions) running in a thread; the list receives its
    EventApplier (with its counts) once it has stopped, at the end of the block."""
    from tweektrend_dagster.ingest.deletions import consume_deletions

    stop = threading.Event()
    result: list = []
    thread = threading.Thread(target=lambda: result.append(consume_deletions(settings, stop)))
    thread.start()
    try:
        yield result
    finally:
        time.sleep(1)  # the last batch's commit
        stop.set()
        thread.join(60)
