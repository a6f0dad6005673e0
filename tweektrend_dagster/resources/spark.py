"""Spark as a Dagster resource, with the Cassandra connector.

By default a run attaches to the stack's Spark Connect server (`tweektrend stack up` starts it):
one warm Spark driver for every run, so a run pays a gRPC connection (about a second), not a JVM
and Spark start, and the Python workers keep their Kiwi between runs. `TWEEKTREND_SPARK_REMOTE`
points elsewhere (`sc://host:port`), or is `local` for a Spark inside each run's process (built on
dagster-pyspark's `spark_session_from_config`). Either way the session is created lazily on
first use, so runs that only touch Mongo never touch Spark. The connector jars are the local
directory the launcher fetched from Maven Central (passed as `spark.jars`, never `--packages`,
so no network access happens at run time).
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dagster as dg
from dagster_pyspark.resources import spark_session_from_config
from pydantic import PrivateAttr
from pyspark.sql import SparkSession

from tweektrend_dagster.config import Settings, spark_conf
from tweektrend_dagster.contracts.errors import ServiceUnavailable


def connector_jars(settings: Settings) -> list[str]:
    from tweektrend_dagster.artifacts.build import maven_jars

    folder = maven_jars("spark", settings.cache)
    return sorted(str(p) for p in Path(folder).glob("*.jar"))


def spark_config(
    settings: Settings,
    master: str | None = None,
    shuffle_partitions: int = 8,
    driver_memory: str = "4g",
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The configuration of a Spark inside this process (`config.spark_conf` with the connector
    jars the launcher fetched)."""
    return spark_conf(settings, connector_jars(settings), master, shuffle_partitions,
                      driver_memory, extra)


def create_session(conf: dict[str, Any]) -> SparkSession:
    """getOrCreate a session with `conf` (an existing session in this process is reused)."""
    # PySpark reads the worker interpreter from the environment, not from the conf: workers must
    # run this interpreter (the venv with kiwipiepy), not whatever python3 is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # pyspark 3.5 decides between Spark Connect and a local Spark for the whole process from
    # this flag (set by the first Connect session, read by every `functions.*` call): a process
    # that attached to a Connect server before and now starts a local Spark must clear it.
    os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
    return spark_session_from_config(conf)


def _endpoint(remote: str) -> tuple[str, int]:
    """(host, port) of an sc://host:port[/;params] URL."""
    parsed = urlparse(remote)
    if parsed.scheme != "sc" or not parsed.hostname:
        raise ValueError(f"TWEEKTREND_SPARK_REMOTE must look like sc://host:port, got {remote!r}")
    return parsed.hostname, parsed.port or 15002


def connect_session(remote: str, conf: dict[str, str] | None = None) -> SparkSession:
    """A session on the Spark Connect server at `remote`, with session settings `conf`.

    The server is checked with a plain TCP connect first: the Connect client retries an
    unreachable server for minutes, while a user wants to hear at once what is down."""
    host, port = _endpoint(remote)
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        raise ServiceUnavailable(
            f"The Spark Connect server at {remote} is not answering ({exc.strerror or exc}). "
            "Start it with `tweektrend stack up` (it is one of the stack's servers), or point "
            "TWEEKTREND_SPARK_REMOTE at a running one (`local` runs Spark inside each run)."
        ) from exc
    builder = SparkSession.builder.remote(remote)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    # a session of its own (not the process-wide default): stopping it ends no one else's
    return builder.create()


# Settings a Connect session may change for itself (the rest is fixed when the server starts).
def session_config(resource: SparkResource) -> dict[str, str]:
    return {
        "spark.sql.shuffle.partitions": str(resource.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.cassandra.connection.host": resource.cassandra_hosts,
        "spark.cassandra.connection.port": str(resource.cassandra_port),
        **resource.extra_config,
    }


class SparkResource(dg.ConfigurableResource):
    """A SparkSession with the Spark Cassandra Connector, plus where aggregate tables are stored.

    By default the session is on the stack's Spark Connect server (`remote`), which stays warm
    between runs; `remote="local"` starts a Spark inside the run's process (`master`)."""

    remote: str
    master: str
    cassandra_hosts: str
    cassandra_port: int
    keyspace: str
    # where the daily aggregate tables live (parquet): TWEEKTREND_ANALYTICS_PATH, e.g. an s3a://
    # or hdfs:// URI when Spark runs on a cluster whose executors need shared storage
    analytics_path: str
    shuffle_partitions: int = 8
    driver_memory: str = "4g"
    extra_config: dict[str, str] = {}

    _session: SparkSession | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> SparkResource:
        return cls(**{
            "remote": settings.spark_remote, "master": settings.spark_master,
            "cassandra_hosts": ",".join(settings.cassandra_hosts),
            "cassandra_port": settings.cassandra_port, "keyspace": settings.keyspace,
            "analytics_path": settings.analytics_path, "driver_memory": settings.spark_memory,
            **overrides,
        })

    def settings(self) -> Settings:
        import dataclasses

        return dataclasses.replace(
            Settings.from_env(),
            host=self.cassandra_hosts.split(",")[0],
            cassandra_port=self.cassandra_port,
            keyspace=self.keyspace,
        )

    @property
    def is_remote(self) -> bool:
        return self.remote != "local"

    @property
    def spark_session(self) -> SparkSession:
        if self._session is None:
            if self.is_remote:
                self._session = connect_session(self.remote, session_config(self))
            else:
                conf = spark_config(
                    self.settings(),
                    self.master,
                    self.shuffle_partitions,
                    self.driver_memory,
                    {"spark.cassandra.connection.host": self.cassandra_hosts, **self.extra_config},
                )
                self._session = create_session(conf)
        return self._session

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        # A Connect session is the server's state for this run (settings, temporary views):
        # released when the run's step is done. A local session ends with its process.
        if self._session is not None and self.is_remote:
            self._session.stop()
            self._session = None
