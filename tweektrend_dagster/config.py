"""Every setting in one place, read from TWEEKTREND_* environment variables with local defaults."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TWEEKTREND_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"TWEEKTREND_{name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"TWEEKTREND_{name} must be a number, got {raw!r}") from exc


def _env_optional(name: str) -> str | None:
    """An address or secret that has no local default: None when unset or blank."""
    return os.environ.get(f"TWEEKTREND_{name}", "").strip() or None


def _env_list(name: str, default: str = "") -> tuple[str, ...]:
    return tuple(p.strip() for p in _env(name, default).split(",") if p.strip())


def is_set(name: str) -> bool:
    """Whether TWEEKTREND_{name} is set: the Dagster resources then show it as an EnvVar."""
    return bool(os.environ.get(f"TWEEKTREND_{name}"))


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. `Settings.from_env()` is the only constructor callers need; no
    other module reads the environment (tests/unit/test_settings.py greps for it)."""

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
    # what networks say about posts already sent: deletions (and reactions), keyed by post
    events_topic: str = "tweets.events"
    topic_partitions: int = 12
    keyspace: str = "tweektrend"
    # Cassandra's keyspace replication, Kafka's topic replication and the replicas a write
    # waits for (the cluster profile: 3, 3 and 2)
    replication_factor: int = 1
    topic_replication_factor: int = 1
    min_insync_replicas: int = 1
    raw_ttl_days: int = 0  # 0 keeps raw tweets forever
    mongo_db: str = "tweektrend"
    consumer_group: str = "tweektrend-ingest"
    kafka_heap: str = "512m"
    cassandra_heap: str = "1G"
    spark_memory: str = "4g"  # the Spark Connect server's driver (local mode: all of Spark)
    spark_master: str = "local[*]"  # where Spark runs its executors; spark://… on a cluster
    # the profile `stack up` runs: "single" (one node of each server) or "cluster" (3 Kafka
    # brokers and 3 Cassandra nodes on the loopback addresses below, a Spark master and workers)
    profile: str = "single"
    cluster_hosts: tuple[str, ...] = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
    spark_master_port: int = 7077
    spark_master_ui_port: int = 8080
    spark_workers: int = 2
    spark_worker_cores: int = 1
    spark_worker_memory: str = "2g"  # what each worker offers its executors
    spark_executor_memory: str = "1536m"  # one executor's JVM heap on a spark:// master
    # servers elsewhere (None: the local stack's address from host and port, see below)
    kafka_bootstrap_override: str | None = None
    cassandra_hosts_override: str | None = None
    mongo_uri_override: str | None = field(default=None, repr=False)  # may hold a password
    spark_remote_override: str | None = None
    public_url_override: str | None = None
    analytics_path_override: str | None = None
    # trends
    late_grace_hours: float = 6.0  # a period is final this long after its end
    refresh_minutes: float = 5.0  # the least time between two runs of one changed day
    reference_keyword: str = "코로나"  # the correlation's reference term
    partitions_start: str = "2006-01-01"  # X's first tweet is from 2006-03-21
    alert_window_hours: float = 3.0  # a spike older than this is not mailed
    token_cache_size: int = 50_000  # texts whose tokens each process remembers
    live_trigger_seconds: float = 5.0  # how often the live counts read the stream
    live_memory: str = "1g"  # the live counts' Spark
    live_checkpoint_override: str | None = None
    kiwi_threads: int = 1
    # the local run (stack up)
    workers: int = 2
    simulator_rate: float = 50.0
    # the sources `stack up` runs (comma-separated kinds); empty: the last `--source` choice
    sources: str = ""
    demo_keywords: tuple[str, ...] = ()
    python: str = sys.executable  # the interpreter every process of the stack runs
    java_home: str | None = None
    log_level: str = "INFO"
    # mail
    smtp_host: str | None = None  # None: `host` (the local mail catcher)
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "TweekTrend <no-reply@tweektrend.local>"
    smtp_security: str = "none"  # none | starttls | ssl
    # X API
    x_bearer_token: str | None = field(default=None, repr=False)
    x_api_base: str | None = None  # another base URL for api.twitter.com (tests, proxies)
    # the longest filtered-stream rule the X plan takes (512 Basic/Pro, 2048 Enterprise); longer
    # rules are split or loosened for X and still followed exactly here
    x_max_rule_length: int = 512
    # dashboard
    secret_key: str | None = field(default=None, repr=False)  # None: generated under home
    data_keys: tuple[str, ...] = field(default=(), repr=False)  # () : generated under home
    # client addresses are read from X-Forwarded-For hops these proxies added (IPs or CIDRs)
    trusted_proxies: tuple[str, ...] = ()
    session_idle_hours: float = 24.0  # a session unused this long ends
    # credentials of servers that require them (the compose stack; the local stack has none)
    cassandra_username: str | None = None
    cassandra_password: str | None = field(default=None, repr=False)
    kafka_security_protocol: str = "PLAINTEXT"  # PLAINTEXT | SASL_PLAINTEXT | SASL_SSL
    kafka_sasl_mechanism: str = "SCRAM-SHA-256"  # SCRAM-SHA-256 | SCRAM-SHA-512 | PLAIN
    kafka_username: str | None = None
    kafka_password: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(_env("HOME", str(Path.cwd() / ".tweektrend"))).expanduser().resolve()
        cache = Path(_env("CACHE", str(Path.home() / ".cache" / "tweektrend"))).expanduser()
        profile = _env("PROFILE", "") or saved_profile(home)
        if profile not in PROFILES:
            raise ValueError(f"TWEEKTREND_PROFILE={profile!r} is not one of {', '.join(PROFILES)}")
        cluster = profile == "cluster"
        cluster_hosts = _env_list("CLUSTER_HOSTS", "127.0.0.1,127.0.0.2,127.0.0.3")
        spark_master_port = _env_int("SPARK_MASTER_PORT", 7077)
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
            events_topic=_env("EVENTS_TOPIC", "tweets.events"),
            topic_partitions=_env_int("TOPIC_PARTITIONS", 12),
            keyspace=_env("KEYSPACE", "tweektrend"),
            replication_factor=_env_int("REPLICATION_FACTOR", 3 if cluster else 1),
            topic_replication_factor=_env_int("TOPIC_REPLICATION_FACTOR", 3 if cluster else 1),
            min_insync_replicas=_env_int("MIN_INSYNC_REPLICAS", 2 if cluster else 1),
            raw_ttl_days=_env_int("RAW_TTL_DAYS", 0),
            mongo_db=_env("MONGO_DB", "tweektrend"),
            consumer_group=_env("CONSUMER_GROUP", "tweektrend-ingest"),
            kafka_heap=_env("KAFKA_HEAP", "512m"),
            cassandra_heap=_env("CASSANDRA_HEAP", "1G"),
            spark_memory=_env("SPARK_MEMORY", "4g"),
            spark_master=_env("SPARK_MASTER", f"spark://{cluster_hosts[0]}:{spark_master_port}"
                              if cluster else "local[*]"),
            profile=profile,
            cluster_hosts=cluster_hosts,
            spark_master_port=spark_master_port,
            spark_master_ui_port=_env_int("SPARK_MASTER_UI_PORT", 8080),
            spark_workers=_env_int("SPARK_WORKERS", 2),
            spark_worker_cores=_env_int("SPARK_WORKER_CORES", 1),
            spark_worker_memory=_env("SPARK_WORKER_MEMORY", "2g"),
            spark_executor_memory=_env("SPARK_EXECUTOR_MEMORY", "1536m"),
            kafka_bootstrap_override=_env_optional("KAFKA_BOOTSTRAP"),
            cassandra_hosts_override=_env_optional("CASSANDRA_HOSTS"),
            mongo_uri_override=_env_optional("MONGO_URI"),
            spark_remote_override=_env_optional("SPARK_REMOTE"),
            public_url_override=_env_optional("PUBLIC_URL"),
            analytics_path_override=_env_optional("ANALYTICS_PATH"),
            late_grace_hours=_env_float("LATE_GRACE_HOURS", 6.0),
            refresh_minutes=_env_float("REFRESH_MINUTES", 5.0),
            reference_keyword=_env("REFERENCE_KEYWORD", "코로나"),
            partitions_start=_env("PARTITIONS_START", "2006-01-01"),
            alert_window_hours=_env_float("ALERT_WINDOW_HOURS", 3.0),
            token_cache_size=_env_int("TOKEN_CACHE_SIZE", 50_000),
            live_trigger_seconds=_env_float("LIVE_TRIGGER_SECONDS", 5.0),
            live_memory=_env("LIVE_MEMORY", "1g"),
            live_checkpoint_override=_env_optional("LIVE_CHECKPOINT"),
            kiwi_threads=max(0, _env_int("KIWI_THREADS", 1)),
            workers=_env_int("WORKERS", 2),
            simulator_rate=_env_float("SIMULATOR_RATE", 50.0),
            sources=_env("SOURCES", ""),
            demo_keywords=_env_list("DEMO_KEYWORDS", "코로나,BTS,넷플릭스,covid"),
            python=_env("PYTHON", sys.executable),
            java_home=os.environ.get("JAVA_HOME") or None,
            log_level=_env("LOG_LEVEL", "INFO"),
            smtp_host=_env_optional("SMTP_HOST"),
            smtp_user=_env_optional("SMTP_USER"),
            smtp_password=_env_optional("SMTP_PASSWORD"),
            smtp_from=_env("SMTP_FROM", "TweekTrend <no-reply@tweektrend.local>"),
            smtp_security=_env("SMTP_SECURITY", "none").strip().lower(),
            x_bearer_token=_env_optional("X_BEARER_TOKEN"),
            x_api_base=_env_optional("X_API_BASE"),
            x_max_rule_length=_env_int("X_MAX_RULE_LENGTH", 512),
            secret_key=_env_optional("SECRET_KEY"),
            data_keys=_env_list("DATA_KEY"),
            trusted_proxies=_env_list("TRUSTED_PROXIES"),
            session_idle_hours=_env_float("SESSION_IDLE_HOURS", 24.0),
            cassandra_username=_env_optional("CASSANDRA_USERNAME"),
            cassandra_password=_env_optional("CASSANDRA_PASSWORD"),
            kafka_security_protocol=_env("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").strip().upper(),
            kafka_sasl_mechanism=_env("KAFKA_SASL_MECHANISM", "SCRAM-SHA-256").strip().upper(),
            kafka_username=_env_optional("KAFKA_USERNAME"),
            kafka_password=_env_optional("KAFKA_PASSWORD"),
        )

    def as_env(self) -> dict[str, str]:
        """The TWEEKTREND_* variables that give a child process these settings' data directory,
        servers and names (its Settings.from_env() then reads the same stack and topics)."""
        env = {
            "HOME": str(self.home), "CACHE": str(self.cache), "HOST": self.host,
            "KAFKA_PORT": str(self.kafka_port), "CASSANDRA_PORT": str(self.cassandra_port),
            "MONGO_PORT": str(self.mongo_port), "SMTP_PORT": str(self.smtp_port),
            "SPARK_CONNECT_PORT": str(self.spark_connect_port),
            "TOPIC": self.topic, "DLQ_TOPIC": self.dlq_topic, "EVENTS_TOPIC": self.events_topic,
            "TOPIC_PARTITIONS": str(self.topic_partitions), "KEYSPACE": self.keyspace,
            "MONGO_DB": self.mongo_db, "CONSUMER_GROUP": self.consumer_group,
            "LIVE_CHECKPOINT": self.live_checkpoint, "PROFILE": self.profile,
        }
        return {f"TWEEKTREND_{name}": value for name, value in env.items()}

    # Addresses as clients want them; explicit variables win (production points them elsewhere).
    @property
    def public_url(self) -> str:
        """The dashboard's address in mails (verification links, alerts): TWEEKTREND_PUBLIC_URL
        behind a proxy, else the local Streamlit address."""
        url = self.public_url_override or f"http://{self.host}:{self.streamlit_port}"
        return url.rstrip("/")

    @property
    def cluster(self) -> bool:
        return self.profile == "cluster"

    @property
    def kafka_bootstrap(self) -> str:
        if self.kafka_bootstrap_override:
            return self.kafka_bootstrap_override
        hosts = self.cluster_hosts if self.cluster else (self.host,)
        return ",".join(f"{host}:{self.kafka_port}" for host in hosts)

    @property
    def cassandra_hosts(self) -> list[str]:
        if self.cassandra_hosts_override:
            return self.cassandra_hosts_override.split(",")
        return list(self.cluster_hosts) if self.cluster else [self.host]

    @property
    def mongo_uri(self) -> str:
        return self.mongo_uri_override or f"mongodb://{self.host}:{self.mongo_port}/"

    @property
    def spark_remote(self) -> str:
        """The Spark Connect server Dagster runs attach to (sc://host:port), so no run pays a
        Spark start; `local` runs a Spark inside each run's process instead."""
        return self.spark_remote_override or f"sc://{self.host}:{self.spark_connect_port}"

    @property
    def analytics_path(self) -> str:
        """Where the daily aggregate tables live (a folder, or any URI Spark can write)."""
        return self.analytics_path_override or str(self.home / "analytics")

    @property
    def live_checkpoint(self) -> str:
        """Where the live counts keep their Kafka offsets and dedupe state (a folder, or any
        URI Spark can write: shared storage on a cluster)."""
        return self.live_checkpoint_override or str(self.home / "spark" / "live-checkpoint")

    @property
    def late_grace(self) -> timedelta:
        return timedelta(hours=self.late_grace_hours)

    @property
    def logs(self) -> Path:
        return self.home / "logs"


PROFILES = ("single", "cluster")


def profile_file(home: Path) -> Path:
    """Where `stack up --cluster|--single` keeps the choice for later starts."""
    return home / "profile"


def saved_profile(home: Path) -> str:
    try:
        return profile_file(home).read_text().strip() or "single"
    except FileNotFoundError:
        return "single"


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
        # A read of many days (days x 24 hour partitions past 2,500) becomes a join with up to
        # 512 partition reads in flight per task (the connector's default): two such runs at
        # once saturate the driver's connections to one node ("No connection was available to
        # Node", a new keyword's backfill of a 1M-tweet archive beside today's refresh).
        "spark.cassandra.concurrent.reads": "64",
        # with replicas, a read sees every acknowledged write only at a quorum (the connector
        # reads at LOCAL_ONE by default); the same as a single node's ONE at RF 1
        "spark.cassandra.input.consistency.level": "LOCAL_QUORUM",
        "spark.cassandra.output.consistency.level": "LOCAL_QUORUM",
    }
    if settings.cassandra_username:
        # the connector's login (PasswordAuthenticator); Spark redacts keys with "password"
        conf["spark.cassandra.auth.username"] = settings.cassandra_username
        conf["spark.cassandra.auth.password"] = settings.cassandra_password or ""
    conf.update(extra or {})
    return conf
