"""Every setting in one place, read from TWEEKTREND_* environment variables with local defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TWEEKTREND_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"TWEEKTREND_{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. `Settings.from_env()` is the only constructor callers need."""

    home: Path  # data and logs of every server live under here
    cache: Path  # downloaded jars and the FerretDB binary, shared between data dirs
    kafka_port: int
    kafka_controller_port: int
    cassandra_port: int
    cassandra_storage_port: int
    mongo_port: int
    dagster_port: int
    streamlit_port: int
    smtp_port: int
    spark_connect_port: int = 15002
    host: str = "127.0.0.1"
    topic: str = "tweets"
    dlq_topic: str = "tweets.dlq"
    topic_partitions: int = 12
    keyspace: str = "tweektrend"
    replication_factor: int = 1
    raw_ttl_days: int = 0  # 0 keeps raw tweets forever
    mongo_db: str = "tweektrend"
    consumer_group: str = "tweektrend-ingest"
    kafka_heap: str = "512m"
    cassandra_heap: str = "1G"
    spark_memory: str = "4g"  # the Spark Connect server's driver (local mode: all of Spark)

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(_env("HOME", str(Path.cwd() / ".tweektrend"))).expanduser().resolve()
        cache = Path(_env("CACHE", str(Path.home() / ".cache" / "tweektrend"))).expanduser()
        return cls(
            home=home,
            cache=cache.resolve(),
            kafka_port=_env_int("KAFKA_PORT", 9092),
            kafka_controller_port=_env_int("KAFKA_CONTROLLER_PORT", 9093),
            cassandra_port=_env_int("CASSANDRA_PORT", 9042),
            cassandra_storage_port=_env_int("CASSANDRA_STORAGE_PORT", 7000),
            mongo_port=_env_int("MONGO_PORT", 27017),
            dagster_port=_env_int("DAGSTER_PORT", 3000),
            streamlit_port=_env_int("STREAMLIT_PORT", 8501),
            smtp_port=_env_int("SMTP_PORT", 8025),
            spark_connect_port=_env_int("SPARK_CONNECT_PORT", 15002),
            host=_env("HOST", "127.0.0.1"),
            topic=_env("TOPIC", "tweets"),
            dlq_topic=_env("DLQ_TOPIC", "tweets.dlq"),
            topic_partitions=_env_int("TOPIC_PARTITIONS", 12),
            keyspace=_env("KEYSPACE", "tweektrend"),
            replication_factor=_env_int("REPLICATION_FACTOR", 1),
            raw_ttl_days=_env_int("RAW_TTL_DAYS", 0),
            mongo_db=_env("MONGO_DB", "tweektrend"),
            consumer_group=_env("CONSUMER_GROUP", "tweektrend-ingest"),
            kafka_heap=_env("KAFKA_HEAP", "512m"),
            cassandra_heap=_env("CASSANDRA_HEAP", "1G"),
            spark_memory=_env("SPARK_MEMORY", "4g"),
        )

    # Addresses as clients want them; explicit variables win (production points them elsewhere).
    @property
    def public_url(self) -> str:
        """The dashboard's address in mails (verification links, alerts): TWEEKTREND_PUBLIC_URL
        behind a proxy, else the local Streamlit address."""
        return _env("PUBLIC_URL", f"http://{self.host}:{self.streamlit_port}").rstrip("/")

    @property
    def kafka_bootstrap(self) -> str:
        return _env("KAFKA_BOOTSTRAP", f"{self.host}:{self.kafka_port}")

    @property
    def cassandra_hosts(self) -> list[str]:
        return _env("CASSANDRA_HOSTS", self.host).split(",")

    @property
    def mongo_uri(self) -> str:
        return _env("MONGO_URI", f"mongodb://{self.host}:{self.mongo_port}/")

    @property
    def spark_master(self) -> str:
        """Where the Spark Connect server (or a local session) runs its executors: local[*], or
        a cluster's spark:// master."""
        return _env("SPARK_MASTER", "local[*]")

    @property
    def spark_remote(self) -> str:
        """The Spark Connect server Dagster runs attach to (sc://host:port), so no run pays a
        Spark start; `local` runs a Spark inside each run's process instead."""
        return _env("SPARK_REMOTE", f"sc://{self.host}:{self.spark_connect_port}")

    @property
    def logs(self) -> Path:
        return self.home / "logs"


def spark_conf(
    settings: Settings,
    jars: list[str],
    master: str | None = None,
    shuffle_partitions: int = 8,
    driver_memory: str = "4g",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The Spark configuration every TweekTrend Spark starts with (the stack's Connect server,
    or a Spark inside a run's process); `jars`: the Cassandra connector and its libraries."""
    conf = {
        "spark.master": master or settings.spark_master,
        "spark.app.name": "tweektrend-analytics",
        "spark.jars": ",".join(jars),
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
