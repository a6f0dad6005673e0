"""Plain client factories shared by the Dagster resources, the workers and the dashboard.

Each one fails with a message that names the server and how to start it, never a bare traceback.
"""

from __future__ import annotations

from cassandra import ConsistencyLevel
from cassandra.cluster import (
    EXEC_PROFILE_DEFAULT,
    Cluster,
    ExecutionProfile,
    NoHostAvailable,
    Session,
)
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError

from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.errors import ServiceUnavailable

START_HINT = "Start the local stack with `tweektrend stack up` (or see README for Docker)."

# Update statements per Mongo write command. FerretDB 1.24 keeps each update statement's SQLite
# query open until the whole command ends, and its pool holds 100 connections: one command of
# ~100 updates of existing documents (a re-published period range) waits for a connection it
# holds itself, and FerretDB hangs for every client. 25 leaves room for a few writers at once.
MAX_UPDATES_PER_COMMAND = 25


def connect_cassandra(hosts: list[str], port: int, keyspace: str | None) -> tuple[Session, Cluster]:
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
        request_timeout=30,
    )
    cluster = Cluster(
        hosts,
        port=port,
        connect_timeout=5,
        protocol_version=5,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
    )
    try:
        session = cluster.connect(keyspace)
    except NoHostAvailable as exc:
        cluster.shutdown()
        raise ServiceUnavailable(
            f"Cassandra is not reachable at {','.join(hosts)}:{port}. {START_HINT}"
        ) from exc
    return session, cluster


def cassandra_session(
    settings: Settings, keyspace: str | None = "default"
) -> tuple[Session, Cluster]:
    ks = settings.keyspace if keyspace == "default" else keyspace
    return connect_cassandra(settings.cassandra_hosts, settings.cassandra_port, ks)


def connect_mongo(uri: str, database: str) -> Database:
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=5000, tz_aware=True)
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        client.close()
        raise ServiceUnavailable(
            f"MongoDB (FerretDB) is not reachable at {uri}. {START_HINT}") from exc
    return client[database]


def mongo_database(settings: Settings) -> Database:
    return connect_mongo(settings.mongo_uri, settings.mongo_db)
