"""Source → Kafka → workers → Cassandra on the real servers: counts, dead letters, keywords."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka import Producer

from tests.integration.ingest_helpers import (
    WorkerThread,
    isolated,
    read_all,
    wait_until_drained,
)
from tweektrend_dagster.clients import connect_mongo
from tweektrend_dagster.ingest.dlq import header_dict
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.ingest.sources.simulator import Simulator, generate
from tweektrend_dagster.keywords import KeywordMatcher, KeywordRegistry
from tweektrend_dagster.tweets import parse_payload

FIXTURES = "tests/fixtures/tweets"
START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def pipeline(keyspace_settings):
    settings = isolated(keyspace_settings)
    db = connect_mongo(settings.mongo_uri, settings.mongo_db)
    registry = KeywordRegistry(db)
    registry.ensure_indexes()
    yield settings, registry
    db.client.drop_database(settings.mongo_db)
    db.client.close()


def _count(session, cql: str, *args) -> int:
    return session.execute(cql, args).one()[0]


def test_every_tweet_lands_once_and_bad_input_goes_to_the_dead_letter_topic(pipeline, cassandra):
    settings, registry = pipeline
    registry.add("u1", "BTS")
    registry.add("u1", "코로나")
    payloads = generate(1500, seed=7, start=START, span=timedelta(hours=6))
    # replaying a stream twice must not duplicate a row
    payloads = payloads + payloads[:300]
    bad = [
        b'{"id": 1, "text": "no author"}',
        b'{"truncated": ',
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'{"delete": {"status": {"id": 5}}}',
    ]
    producer = TweetProducer(settings, KeywordWatch(registry))
    producer.run(payloads[:700] + bad + payloads[700:])
    # a foreign producer writes raw X payloads and garbage straight onto the topic
    raw = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    with open(f"{FIXTURES}/v1_1.jsonl", "rb") as f:
        raw_v1 = [line for line in f.read().splitlines() if line.strip()]
    for line in raw_v1 + [b"not json at all"]:
        raw.produce(settings.topic, value=line)
    raw.flush(10)
    assert producer.dead == len(bad) and producer.failed_deliveries == 0

    with WorkerThread(settings, KeywordWatch(registry)):
        wait_until_drained(settings, producer.messages + len(raw_v1) + 1)

    tweets = {t.id: t for t in (parse_payload(p) for p in payloads + raw_v1)}
    matcher = KeywordMatcher(["bts", "코로나"])
    by_kw = {
        kw: {i for i, t in tweets.items() if kw in matcher.match(t)} for kw in ("bts", "코로나")
    }
    assert all(by_kw.values()), "the simulator talks about both keywords"

    ks = settings.keyspace
    raw_rows = list(cassandra.execute(f"SELECT id FROM {ks}.raw_posts_by_day"))
    assert len(raw_rows) == len({r.id for r in raw_rows}) == len(tweets)
    assert {r.id for r in raw_rows} == set(tweets)
    for kw, ids in by_kw.items():
        rows = [
            r.id
            for r in cassandra.execute(
                f"SELECT id, keyword FROM {ks}.posts_by_keyword", timeout=60
            )
            if r.keyword == kw
        ]
        assert sorted(rows) == sorted(ids), kw

    dead = read_all(settings, settings.dlq_topic, expected=len(bad) + 1)
    reasons = [header_dict(m.headers()) for m in dead]
    assert len(dead) == len(bad) + 1
    assert {r["stage"] for r in reasons} == {"producer", "worker"}
    assert all(r["error"] for r in reasons)
    from_worker = [r for r in reasons if r["stage"] == "worker"]
    assert from_worker[0]["source_topic"] == settings.topic and "JSON" in from_worker[0]["error"]
    assert b"not json at all" in [m.value() for m in dead]


def test_feed_rows_are_newest_first_with_the_tweet_fields(pipeline, cassandra):
    settings, registry = pipeline
    registry.add("u1", "BTS")
    start = START + timedelta(days=5)  # a day no other test of this keyspace writes
    payloads = generate(400, seed=3, start=start, span=timedelta(hours=1), keywords=["BTS"])
    producer = TweetProducer(settings, KeywordWatch(registry))
    producer.run(payloads)
    with WorkerThread(settings):
        wait_until_drained(settings, producer.messages)
    rows = list(
        cassandra.execute(
            f"SELECT created_at, id, text, author_username, source FROM {settings.keyspace}."
            "posts_by_keyword WHERE keyword='bts' AND day=%s AND hour=0 LIMIT 20",
            (start.date(),),
        )
    )
    assert len(rows) == 20
    assert [r.created_at for r in rows] == sorted((r.created_at for r in rows), reverse=True)
    expected = {t.id: t for t in map(parse_payload, payloads)}
    for r in rows:
        assert r.text == expected[r.id].text
        assert r.author_username == expected[r.id].author.username


def test_a_keyword_added_while_streaming_is_matched_within_seconds(pipeline, cassandra):
    settings, registry = pipeline
    registry.add("u1", "bitcoin")
    watch = KeywordWatch(registry, every=1.0)
    sim = Simulator(seed=11, rate=300, keywords=["bitcoin", "넷플릭스"])
    producer = TweetProducer(settings, watch)
    stop = threading.Event()

    def stream() -> None:
        for payload in sim.payloads():
            producer.send(payload)
            if stop.is_set():
                break
        producer.flush()

    thread = threading.Thread(target=stream, daemon=True)
    with WorkerThread(settings):
        thread.start()
        time.sleep(3)
        registry.add("u2", "넷플릭스")
        added = time.monotonic()
        seen_after = None
        while time.monotonic() - added < 30:
            n = _count(
                cassandra,
                f"SELECT count(*) FROM {settings.keyspace}.posts_by_keyword "
                "WHERE keyword=%s AND day=%s AND hour=%s ALLOW FILTERING",
                "넷플릭스",
                *_today_hour(),
            )
            if n:
                seen_after = time.monotonic() - added
                break
            time.sleep(0.25)
        stop.set()
        sim.close()
        thread.join(30)
    assert seen_after is not None and seen_after < 10, seen_after


def _today_hour():
    now = datetime.now(UTC)
    return now.date(), now.hour


def test_a_second_worker_joining_mid_stream_takes_over_partitions_without_loss(pipeline, cassandra):
    settings, _ = pipeline
    day = START + timedelta(days=10)
    payloads = generate(24_000, seed=12, start=day, span=timedelta(hours=3))
    producer = TweetProducer(settings, KeywordWatch(None, fixed=["bts", "코로나", "covid"]))

    def stream() -> None:  # about 8 s of stream, so the second worker joins while it flows
        for i in range(0, len(payloads), 1000):
            producer.run(payloads[i : i + 1000])
            time.sleep(0.33)

    ids = {parse_payload(p).id for p in payloads}
    thread = threading.Thread(target=stream, daemon=True)
    with WorkerThread(settings, name="first") as first:
        thread.start()
        time.sleep(2)
        # joins while the first worker has batches in flight: the rebalance commits them first
        with WorkerThread(settings, name="second") as second:
            thread.join(60)
            # well under max.poll.interval.ms (600 s): a rebalance that waited on it would fail
            wait_until_drained(settings, producer.messages, timeout=90)
    assert 0 < first.tweets < producer.messages
    assert second.tweets > 0
    # committed before the hand-over, so no message was consumed twice
    assert first.tweets + second.tweets == producer.messages
    stored = [
        r.id
        for r in cassandra.execute(
            f"SELECT id FROM {settings.keyspace}.raw_posts_by_day"
            " WHERE day = %s AND hour IN (0, 1, 2)",
            (day.date(),),
        )
    ]
    assert len(stored) == len(set(stored)) == len(ids) and set(stored) == ids
