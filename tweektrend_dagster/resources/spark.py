"""Spark as a Dagster resource: one SparkSession per run process, with the Cassandra connector.

Built on dagster-pyspark's `spark_session_from_config`; the session is created lazily on first
use, so runs that only touch Mongo never pay Spark's start-up. The connector jars are the local
directory the launcher fetched from Maven Central (passed as `spark.jars`, never `--packages`,
so no network access happens at run time).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_pyspark.resources import spark_session_from_config
from pydantic import PrivateAttr
from pyspark.sql import SparkSession

from tweektrend_dagster.config import Settings

_defaults = Settings.from_env()


def default_analytics_path(settings: Settings) -> str:
    """Where the daily aggregate tables live (parquet); TWEEKTREND_ANALYTICS_PATH overrides, e.g.
    an s3a:// or hdfs:// URI when Spark runs on a cluster whose executors need shared storage."""
    return os.environ.get("TWEEKTREND_ANALYTICS_PATH", str(settings.home / "analytics"))


def connector_jars(settings: Settings) -> list[str]:
    from tweektrend_dagster.stack.artifacts import maven_jars

    folder = maven_jars("spark", settings.cache)
    return sorted(str(p) for p in Path(folder).glob("*.jar"))


def spark_config(
    settings: Settings,
    master: str | None = None,
    shuffle_partitions: int = 8,
    driver_memory: str = "4g",
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The Spark configuration every TweekTrend session uses."""
    conf: dict[str, Any] = {
        "spark.master": master or settings.spark_master,
        "spark.app.name": "tweektrend-analytics",
        "spark.jars": ",".join(connector_jars(settings)),
        "spark.sql.extensions": "com.datastax.spark.connector.CassandraSparkExtensions",
        "spark.cassandra.connection.host": ",".join(settings.cassandra_hosts),
        "spark.cassandra.connection.port": str(settings.cassandra_port),
        # All times in the product are UTC; Spark must not shift them to the machine's zone.
        "spark.sql.session.timeZone": "UTC",
        # Small shuffles (per-keyword aggregates): the default 200 partitions is pure overhead.
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.sql.adaptive.enabled": "true",
        # A roll-up reads up to ~200 day folders per table: list them on the driver (a few ms)
        # rather than in a Spark job per read (the default above 32 paths).
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "4096",
        "spark.driver.memory": driver_memory,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # Python workers are reused, so each keeps its Kiwi instance and token cache.
        "spark.python.worker.reuse": "true",
    }
    conf.update(extra or {})
    return conf


def create_session(conf: dict[str, Any]) -> SparkSession:
    """getOrCreate a session with `conf` (an existing session in this process is reused)."""
    # PySpark reads the worker interpreter from the environment, not from the conf: workers must
    # run this interpreter (the venv with kiwipiepy), not whatever python3 is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return spark_session_from_config(conf)


class SparkResource(dg.ConfigurableResource):
    """A SparkSession with the Spark Cassandra Connector, plus where aggregate tables are stored."""

    master: str = _defaults.spark_master
    cassandra_hosts: str = ",".join(_defaults.cassandra_hosts)
    cassandra_port: int = _defaults.cassandra_port
    keyspace: str = _defaults.keyspace
    analytics_path: str = default_analytics_path(_defaults)
    shuffle_partitions: int = 8
    driver_memory: str = "4g"
    extra_config: dict[str, str] = {}

    _session: SparkSession | None = PrivateAttr(default=None)

    def settings(self) -> Settings:
        import dataclasses

        return dataclasses.replace(
            Settings.from_env(),
            host=self.cassandra_hosts.split(",")[0],
            cassandra_port=self.cassandra_port,
            keyspace=self.keyspace,
        )

    @property
    def spark_session(self) -> SparkSession:
        if self._session is None:
            settings = self.settings()
            conf = spark_config(
                settings,
                self.master,
                self.shuffle_partitions,
                self.driver_memory,
                {"spark.cassandra.connection.host": self.cassandra_hosts, **self.extra_config},
            )
            self._session = create_session(conf)
        return self._session
