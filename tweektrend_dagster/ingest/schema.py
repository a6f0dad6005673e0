"""The Cassandra schema, created and migrated by the project (idempotent: safe on every start)."""

from __future__ import annotations

from cassandra.cluster import Session

from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.tables import RAW_TWEETS, TABLES

# Each CREATE is idempotent (the tables' columns: contracts/tables.py); new columns are added
# with ALTER ... ADD in MIGRATIONS below.
MIGRATIONS: list[str] = []


def table_statements(raw_ttl_days: int = 0) -> list[str]:
    """CREATE TABLE of every table; the raw archive expires after `raw_ttl_days` (0: never)."""
    ttl = f"default_time_to_live = {raw_ttl_days * 86400}" if raw_ttl_days > 0 else ""
    return [t.create_cql(ttl if t is RAW_TWEETS else "") for t in TABLES]


def replication_warning(session: Session, settings: Settings) -> str | None:
    """A keyspace made with fewer replicas than wanted keeps them: raising it is an ALTER and a
    repair, which an operator starts, not a start-up."""
    row = session.execute(
        "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s",
        (settings.keyspace,)).one()
    have = int((row.replication if row else {}).get("replication_factor", 0) or 0)
    if not row or have >= settings.replication_factor:
        return None
    return (f"keyspace {settings.keyspace} has replication factor {have}, "
            f"{settings.replication_factor} wanted: ALTER KEYSPACE {settings.keyspace} WITH "
            f"replication = {{'class': 'SimpleStrategy', 'replication_factor': "
            f"{settings.replication_factor}}}, then `nodetool repair -full` on every node")


def create_schema(session: Session, settings: Settings) -> None:
    session.execute(
        f"CREATE KEYSPACE IF NOT EXISTS {settings.keyspace} WITH replication = "
        f"{{'class': 'SimpleStrategy', 'replication_factor': {settings.replication_factor}}}"
    )
    session.set_keyspace(settings.keyspace)
    for statement in table_statements(settings.raw_ttl_days):
        session.execute(statement, timeout=60)
    for statement in MIGRATIONS:
        try:
            session.execute(statement, timeout=60)
        except Exception as exc:  # a column that already exists is the expected case
            if "already exist" not in str(exc).lower() and "conflicts" not in str(exc).lower():
                raise
