"""The cluster test stack: `stack up --cluster` on ports of its own (3 Kafka brokers, 3 Cassandra
nodes on 127.0.0.1–3, FerretDB, a Spark master, 2 workers and the Connect server), started
once per test session under .tweektrend-cluster-test/ and stopped at its end.

Its tests kill and pause nodes, so they run after every other test (tests/conftest.py), each
leaving the cluster whole again.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import ROOT

CLUSTER_ENV = {
    "TWEEKTREND_HOME": str(ROOT / ".tweektrend-cluster-test"),
    "TWEEKTREND_PROFILE": "cluster",
    "TWEEKTREND_KAFKA_PORT": "29092",
    "TWEEKTREND_KAFKA_CONTROLLER_PORT": "29093",
    "TWEEKTREND_CASSANDRA_PORT": "29042",
    "TWEEKTREND_CASSANDRA_STORAGE_PORT": "27000",
    "TWEEKTREND_MONGO_PORT": "37117",
    "TWEEKTREND_SPARK_CONNECT_PORT": "25102",
    "TWEEKTREND_SPARK_MASTER_PORT": "27077",
    "TWEEKTREND_SPARK_MASTER_UI_PORT": "28080",
    "TWEEKTREND_SMTP_PORT": "28025",
    "TWEEKTREND_DAGSTER_PORT": "23000",
    "TWEEKTREND_STREAMLIT_PORT": "28501",
    "TWEEKTREND_TOPIC_PARTITIONS": "6",
    # the single test stack's Spark runs beside this one: a smaller driver each
    "TWEEKTREND_SPARK_MEMORY": "2g",
}


@contextmanager
def cluster_environment() -> Iterator[None]:
    """The cluster's variables for the block (Settings.from_env() reads them), then the test
    session's own again."""
    saved = {key: os.environ.get(key) for key in CLUSTER_ENV}
    os.environ.update(CLUSTER_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def cluster_stack(settings, names: list[str] | None = None):
    from tweektrend_dagster.local_stack import local_stack

    return local_stack(settings, echo=lambda line: None, only=names)


@pytest.fixture(scope="session")
def cluster_settings():
    """Settings of the running cluster test stack, started (servers only) on first use."""
    from tweektrend_dagster.config import Settings

    with cluster_environment():
        settings = Settings.from_env()
    assert settings.cluster and settings.replication_factor == 3
    settings.home.mkdir(parents=True, exist_ok=True)
    with open(settings.home / ".up.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with cluster_environment():
            from tweektrend_dagster.local_stack import local_stack

            local_stack(settings, echo=print).up(servers_only=True)
        from tests.cluster.harness import drop_test_keyspaces

        drop_test_keyspaces(settings)
    yield settings
    if os.environ.get("TWEEKTREND_TEST_KEEP_STACK") != "1":
        cluster_stack(settings).down()
