"""Test fixtures: one real local stack for the whole test session, on ports of its own.

The test stack lives in .tweektrend-test/ with ports offset from the defaults, so a developer's
running stack is left alone. It is started on first use and left running, so that several test
runs can share it and the next run starts at once; `.ci/run` stops it with `tweektrend stack down`.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Set before any project module reads Settings.from_env() (the partitions read it at import).
TEST_ENV = {
    "TWEEKTREND_HOME": str(ROOT / ".tweektrend-test"),
    "TWEEKTREND_KAFKA_PORT": "19092",
    "TWEEKTREND_KAFKA_CONTROLLER_PORT": "19093",
    "TWEEKTREND_CASSANDRA_PORT": "19042",
    "TWEEKTREND_CASSANDRA_STORAGE_PORT": "17000",
    "TWEEKTREND_MONGO_PORT": "37017",
    "TWEEKTREND_SMTP_PORT": "18025",
    "TWEEKTREND_SPARK_CONNECT_PORT": "15102",
    "TWEEKTREND_DAGSTER_PORT": "13000",
    "TWEEKTREND_STREAMLIT_PORT": "18501",
    "TWEEKTREND_TOPIC_PARTITIONS": "6",
}
for _key, _value in TEST_ENV.items():
    os.environ.setdefault(_key, _value)
for _key in ("TWEEKTREND_KAFKA_BOOTSTRAP", "TWEEKTREND_CASSANDRA_HOSTS", "TWEEKTREND_MONGO_URI"):
    os.environ.pop(_key, None)


def pytest_collection_modifyitems(config, items):
    # anything under tests/integration or tests/e2e needs the servers
    for item in items:
        path = str(item.fspath)
        if "/integration/" in path:
            item.add_marker(pytest.mark.integration)
        if "/e2e/" in path:
            item.add_marker(pytest.mark.e2e)
        if "/cluster/" in path:
            item.add_marker(pytest.mark.cluster)
    # tests that kill or restart a server go last, whatever their file is called (stable
    # sort), and the cluster's after them: they need the test stack's reference run too
    items.sort(key=lambda item: (item.get_closest_marker("cluster") is not None,
                                 item.get_closest_marker("faults") is not None))


@pytest.fixture(scope="session")
def stack_settings():
    """Settings of the running test stack (Kafka, Cassandra, FerretDB), started on first use."""
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.local_stack import local_stack

    settings = Settings.from_env()
    settings.home.mkdir(parents=True, exist_ok=True)
    # concurrent test runs share one stack: the lock makes the second wait instead of racing
    with open(settings.home / ".up.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        local_stack(settings).up(servers_only=True)
    return settings


@pytest.fixture
def unique_name() -> str:
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture
def mongo_db(stack_settings, unique_name):
    """A fresh Mongo database on the test FerretDB, dropped afterwards."""
    from tweektrend_dagster.clients import connect_mongo

    db = connect_mongo(stack_settings.mongo_uri, unique_name)
    yield db
    db.client.drop_database(unique_name)
    db.client.close()


@pytest.fixture(scope="module")
def keyspace_settings(stack_settings):
    """Settings whose keyspace is fresh for this test module (schema created, dropped after)."""
    from dataclasses import replace

    from tweektrend_dagster.clients import cassandra_session
    from tweektrend_dagster.ingest.schema import create_schema

    settings = replace(stack_settings, keyspace="ks_" + uuid.uuid4().hex[:10])
    session, cluster = cassandra_session(settings, keyspace=None)
    create_schema(session, settings)
    cluster.shutdown()
    yield settings
    # a fresh connection: a test may have restarted Cassandra in between
    session, cluster = cassandra_session(settings, keyspace=None)
    session.execute(f"DROP KEYSPACE IF EXISTS {settings.keyspace}", timeout=60)
    cluster.shutdown()


@pytest.fixture(scope="module")
def cassandra(keyspace_settings):
    """A session on the module's fresh keyspace."""
    from tweektrend_dagster.clients import cassandra_session

    session, cluster = cassandra_session(keyspace_settings)
    yield session
    cluster.shutdown()


def wait_until_spark_sees(spark, keyspace: str, table: str, timeout: float = 20.0) -> None:
    """The Spark server's Cassandra connector learns of a new keyspace from a schema event about
    a second after it is created; a test that creates one and reads it at once waits for that."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            # resolving the schema asks the connector for the table's metadata
            schema = spark.read.format("org.apache.spark.sql.cassandra").options(
                keyspace=keyspace, table=table).load().schema
            assert schema.fields, f"{keyspace}.{table} has no columns"
            return
        except Exception as exc:
            if "Couldn't find" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
