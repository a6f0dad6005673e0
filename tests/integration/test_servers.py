"""The three real servers answer real requests: produce/consume, CQL, Mongo insert/find."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic


def test_kafka_produce_and_consume(stack_settings):
    topic = "roundtrip-" + uuid.uuid4().hex[:8]
    admin = AdminClient({"bootstrap.servers": stack_settings.kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result()
    producer = Producer(
        {
            "bootstrap.servers": stack_settings.kafka_bootstrap,
            "enable.idempotence": True,
            "acks": "all",
        }
    )
    for i in range(10):
        producer.produce(topic, key="코로나".encode(), value=f"tweet {i}".encode())
    assert producer.flush(10) == 0

    consumer = Consumer(
        {
            "bootstrap.servers": stack_settings.kafka_bootstrap,
            "group.id": "g-" + topic,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    seen = []
    for _ in range(60):
        msg = consumer.poll(1.0)
        if msg is not None and not msg.error():
            seen.append((msg.key().decode(), msg.value().decode()))
        if len(seen) == 10:
            break
    consumer.close()
    assert sorted(v for _, v in seen) == sorted(f"tweet {i}" for i in range(10))
    # one key → one partition, so the keyword's tweets stay in order
    assert [v for _, v in seen] == [f"tweet {i}" for i in range(10)]
    assert {k for k, _ in seen} == {"코로나"}


def test_cassandra_write_and_read(cassandra):
    created = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    insert = cassandra.prepare(
        "INSERT INTO posts_by_keyword (keyword, day, hour, created_at, network, id, text, "
        "author_username) VALUES (?, ?, ?, ?, 'x', ?, ?, ?)"
    )
    cassandra.execute(insert, ("bts", date(2026, 11, 25), 9, created, "1", "BTS 콘서트 🎤", "army"))
    cassandra.execute(insert, ("bts", date(2026, 11, 25), 9, created, "1", "BTS 콘서트 🎤", "army"))
    rows = list(
        cassandra.execute(
            "SELECT id, text, author_username FROM posts_by_keyword"
            " WHERE keyword='bts' AND day='2026-11-25' AND hour=9"
        )
    )
    assert [(r.id, r.text, r.author_username) for r in rows] == [("1", "BTS 콘서트 🎤", "army")]
    version = cassandra.execute("SELECT release_version FROM system.local").one().release_version
    assert version.startswith("5.0")


def test_mongo_insert_and_find(mongo_db):
    mongo_db.trends.create_index([("keyword", 1), ("period", 1), ("start", -1)])
    mongo_db.trends.insert_one(
        {
            "_id": "넷플릭스|day|2026-11-25",
            "keyword": "넷플릭스",
            "period": "day",
            "start": "2026-11-25",
            "mentions": 42,
            "series": [{"t": "2026-11-25T00:00:00Z", "mentions": 42}],
        }
    )
    mongo_db.trends.update_one(
        {"_id": "넷플릭스|day|2026-11-25"}, {"$set": {"mentions": 43}}, upsert=True
    )
    doc = mongo_db.trends.find_one({"keyword": "넷플릭스", "period": "day"})
    assert doc["mentions"] == 43
    assert doc["series"][0]["mentions"] == 42
    assert mongo_db.client.admin.command("ping")["ok"] == 1.0


def test_spark_round_trip_through_the_cassandra_connector(keyspace_settings, cassandra):
    """Through the stack's Spark Connect server, as every Dagster run goes."""
    from tweektrend_dagster.resources.spark import SparkResource

    ks = keyspace_settings.keyspace
    insert = cassandra.prepare(
        f"INSERT INTO {ks}.posts_by_keyword (keyword, day, hour, created_at, network, id, "
        "author_id) VALUES (?, ?, ?, ?, 'x', ?, ?)"
    )
    day = date(2026, 11, 24)
    for i in range(30):
        created = datetime(2026, 11, 24, i % 3, i, tzinfo=UTC)
        cassandra.execute(insert, ("넷플릭스", day, i % 3, created, str(1000 + i), f"u{i % 7}"))

    # created before Spark reads: the connector caches the schema it first sees
    cassandra.execute(
        f"CREATE TABLE IF NOT EXISTS {ks}.hourly_counts "
        "(day date, hour tinyint, n bigint, PRIMARY KEY (day, hour))"
    )
    # The connector caches its Cassandra session (and the schema it saw) JVM-wide per
    # connection config; a short keep-alive makes this test's one distinct and short-lived, so
    # later tests that create keyspaces do not reuse a session that has never heard of them.
    resource = SparkResource.from_settings(
        keyspace_settings, keyspace=ks,
        extra_config={"spark.cassandra.connection.keepAliveMS": "50"})
    assert resource.is_remote
    spark = resource.spark_session
    try:
        per_hour, written = _round_trip(spark, ks, cassandra, day)
    finally:
        spark.stop()
    assert per_hour == [(0, 10, 7), (1, 10, 7), (2, 10, 7)]
    assert written == [(0, 10), (1, 10), (2, 10)]


def _round_trip(spark, ks, cassandra, day) -> tuple[list, list]:
    """Count per hour in Spark, write the counts back through the connector, read them in CQL."""
    from pyspark.sql import functions as F

    tweets = (
        spark.read.format("org.apache.spark.sql.cassandra")
        .options(keyspace=ks, table="posts_by_keyword")
        .load()
    )
    per_hour = (
        tweets.where(F.col("keyword") == "넷플릭스")
        .groupBy("day", "hour")
        .agg(F.count("*").alias("n"), F.countDistinct("author_id").alias("users"))
    )
    counted = sorted((r.hour, r.n, r.users) for r in per_hour.collect())

    # and back: the connector writes what Spark computed into a Cassandra table
    (
        per_hour.select("day", "hour", "n")
        .write.format("org.apache.spark.sql.cassandra")
        .options(keyspace=ks, table="hourly_counts")
        .mode("append")
        .save()
    )
    rows = cassandra.execute(f"SELECT hour, n FROM {ks}.hourly_counts WHERE day=%s", (day,))
    return counted, sorted((r.hour, r.n) for r in rows)


def _non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (None when it has none)."""
    import subprocess

    out = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if "inet" in parts:
            return parts[parts.index("inet") + 1].split("/")[0]
    return None


def test_spark_connect_serves_only_this_machine(stack_settings):
    """Spark 3.5's Connect server listens on every interface and runs any client's code; the
    stack's interceptor refuses every call that does not come from loopback."""
    from pyspark.errors.exceptions.connect import SparkConnectGrpcException
    from pyspark.sql import SparkSession

    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to call from")
    port = stack_settings.spark_connect_port
    outsider = SparkSession.builder.remote(f"sc://{address}:{port}").create()
    outsider.client._retry_policy.update(max_retries=0)
    try:
        with pytest.raises(SparkConnectGrpcException, match="accepts local clients only"):
            outsider.range(3).count()
    finally:
        outsider.stop()
    local = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").create()
    try:
        assert local.range(3).count() == 3
    finally:
        local.stop()
