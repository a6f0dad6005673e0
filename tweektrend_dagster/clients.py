"""Plain client factories shared by the Dagster resources, the workers and the dashboard.

Each one fails with a message that names the server and how to start it, never a bare traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cassandra import ConsistencyLevel
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import (
    EXEC_PROFILE_DEFAULT,
    Cluster,
    ExecutionProfile,
    NoHostAvailable,
    Session,
)
from cassandra.policies import (
    ConstantSpeculativeExecutionPolicy,
    DCAwareRoundRobinPolicy,
    TokenAwarePolicy,
)
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.errors import ServiceUnavailable

START_HINT = "Start the local stack with `tweektrend stack up` (or see README for Docker)."

# Update statements per Mongo write command. FerretDB 1.24 keeps each update statement's SQLite
# query open until the whole command ends, and its pool holds 100 connections: one command of
# ~100 updates of existing documents (a re-published period range) waits for a connection it
# holds itself, and FerretDB hangs for every client. 25 leaves room for a few writers at once.
MAX_UPDATES_PER_COMMAND = 25


SPECULATIVE_DELAY_S = 1.0

KAFKA_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN")
SECRET_KEYS = ("password", "jaas")  # a config key holding one of these is never printed


class ClientConfig(dict):
    """A client configuration (a plain dict to the client libraries) whose repr hides secrets,
    so a config that reaches a log line or a traceback does not carry a password."""

    def __repr__(self) -> str:
        shown = {k: "***" if any(w in k.lower() for w in SECRET_KEYS) else v
                 for k, v in self.items()}
        return f"{type(self).__name__}({shown!r})"

    __str__ = __repr__


def kafka_security(protocol: str, mechanism: str, username: str | None,
                   password: str | None) -> ClientConfig:
    """librdkafka's security settings: nothing for PLAINTEXT, else the protocol and (SASL)
    the mechanism and credentials. A half-set configuration is an error that says what to set,
    never a silent connection without the credentials."""
    protocol, mechanism = protocol.strip().upper(), mechanism.strip().upper()
    if protocol not in KAFKA_PROTOCOLS:
        raise ServiceUnavailable(
            f"TWEEKTREND_KAFKA_SECURITY_PROTOCOL={protocol} is not one of "
            f"{', '.join(KAFKA_PROTOCOLS)}.")
    sasl = protocol.startswith("SASL_")
    if not sasl:
        if username or password:
            raise ServiceUnavailable(
                "TWEEKTREND_KAFKA_USERNAME/_PASSWORD are set but TWEEKTREND_KAFKA_SECURITY_"
                f"PROTOCOL is {protocol}: set it to SASL_PLAINTEXT or SASL_SSL to use them.")
        return ClientConfig({} if protocol == "PLAINTEXT" else {"security.protocol": protocol})
    if mechanism not in KAFKA_SASL_MECHANISMS:
        raise ServiceUnavailable(
            f"TWEEKTREND_KAFKA_SASL_MECHANISM={mechanism} is not one of "
            f"{', '.join(KAFKA_SASL_MECHANISMS)}.")
    if not (username and password):
        raise ServiceUnavailable(
            f"Kafka over {protocol} needs TWEEKTREND_KAFKA_USERNAME and TWEEKTREND_KAFKA_PASSWORD.")
    return ClientConfig({"security.protocol": protocol, "sasl.mechanism": mechanism,
                         "sasl.username": username, "sasl.password": password})


def kafka_client_config(settings: Settings, **extra: Any) -> ClientConfig:
    """The configuration of every confluent-kafka client of the project: the bootstrap servers,
    the credentials when TWEEKTREND_KAFKA_* set them, then the caller's own keys. Keys are
    librdkafka's; pass dotted ones as `**{"group.id": ...}`."""
    return ClientConfig({
        "bootstrap.servers": settings.kafka_bootstrap,
        **kafka_security(settings.kafka_security_protocol, settings.kafka_sasl_mechanism,
                         settings.kafka_username, settings.kafka_password),
        **extra,
    })


def spark_kafka_options(settings: Settings) -> ClientConfig:
    """The same credentials as options of Spark's Kafka source (the Java client's names)."""
    security = kafka_security(settings.kafka_security_protocol, settings.kafka_sasl_mechanism,
                              settings.kafka_username, settings.kafka_password)
    if not security:
        return ClientConfig()
    options = {"kafka.security.protocol": security["security.protocol"]}
    if "sasl.mechanism" in security:
        mechanism = security["sasl.mechanism"]
        module = ("org.apache.kafka.common.security.plain.PlainLoginModule"
                  if mechanism == "PLAIN"
                  else "org.apache.kafka.common.security.scram.ScramLoginModule")
        options["kafka.sasl.mechanism"] = mechanism
        options["kafka.sasl.jaas.config"] = (
            f'{module} required username="{_jaas_quote(security["sasl.username"])}" '
            f'password="{_jaas_quote(security["sasl.password"])}";')
    return ClientConfig(options)


def _jaas_quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def cassandra_auth(username: str | None, password: str | None) -> PlainTextAuthProvider | None:
    """The driver's login when a username is set (PasswordAuthenticator); None: no login."""
    if not username:
        return None
    if password is None:
        raise ServiceUnavailable(
            "TWEEKTREND_CASSANDRA_USERNAME is set without TWEEKTREND_CASSANDRA_PASSWORD.")
    return PlainTextAuthProvider(username=username, password=password)


def connect_cassandra(
    hosts: list[str], port: int, keyspace: str | None,
    auth: PlainTextAuthProvider | None = None,
) -> tuple[Session, Cluster]:
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
        request_timeout=30,
        # a coordinator that stops answering (a paused or overloaded node) holds a request
        # until the timeout; a statement marked idempotent (the workers' upserts) is sent to
        # the next replica after a second instead, so writes go on at QUORUM meanwhile
        speculative_execution_policy=ConstantSpeculativeExecutionPolicy(
            delay=SPECULATIVE_DELAY_S, max_attempts=1),
    )
    cluster = Cluster(
        hosts,
        port=port,
        connect_timeout=5,
        protocol_version=5,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        auth_provider=auth,
    )
    try:
        session = cluster.connect(keyspace)
    except NoHostAvailable as exc:
        cluster.shutdown()
        if _login_refused(exc):
            raise ServiceUnavailable(
                f"Cassandra at {','.join(hosts)}:{port} refused the login: check "
                "TWEEKTREND_CASSANDRA_USERNAME and TWEEKTREND_CASSANDRA_PASSWORD."
            ) from exc
        raise ServiceUnavailable(
            f"Cassandra is not reachable at {','.join(hosts)}:{port}. {START_HINT}"
        ) from exc
    return session, cluster


def cassandra_session(
    settings: Settings, keyspace: str | None = "default"
) -> tuple[Session, Cluster]:
    ks = settings.keyspace if keyspace == "default" else keyspace
    return connect_cassandra(settings.cassandra_hosts, settings.cassandra_port, ks,
                             cassandra_auth(settings.cassandra_username,
                                            settings.cassandra_password))


def _login_refused(exc: NoHostAvailable) -> bool:
    from cassandra import AuthenticationFailed

    errors = exc.errors.values() if isinstance(exc.errors, dict) else []
    return any(isinstance(e, AuthenticationFailed) or "Bad credentials" in str(e)
               or "requires authentication" in str(e) for e in errors)


def redact_uri(uri: str) -> str:
    """A server URI fit for a message: its password replaced by `***`."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}:***@{parts.netloc.rsplit('@', 1)[1]}"
    return urlunsplit(parts._replace(netloc=netloc))


def connect_mongo(uri: str, database: str) -> Database:
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=5000, tz_aware=True)
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        client.close()
        raise ServiceUnavailable(
            f"MongoDB (FerretDB) is not reachable at {redact_uri(uri)}. {START_HINT}") from exc
    return client[database]


NOT_IMPLEMENTED = 238  # the server's error code for an option it does not have


def ensure_ttl_index(collection: Collection, field: str,
                     partial: Mapping[str, Any] | None = None, after_seconds: int = 0) -> bool:
    """A TTL index deleting documents `after_seconds` past their `field` (a date); False when
    the server has no TTL indexes (FerretDB 1.x refuses them with NotImplemented; they came in
    FerretDB 2.0), which leaves the deleting to the caller's purge."""
    options: dict[str, Any] = {"expireAfterSeconds": after_seconds, "name": f"{field}_ttl"}
    if partial:
        options["partialFilterExpression"] = dict(partial)
    try:
        collection.create_index(field, **options)
    except OperationFailure as error:
        if error.code != NOT_IMPLEMENTED:
            raise
        collection.create_index(field, name=f"{field}_purge")  # so a purge finds them fast
        return False
    return True


def mongo_database(settings: Settings) -> Database:
    return connect_mongo(settings.mongo_uri, settings.mongo_db)
