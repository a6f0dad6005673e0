"""The one-off copy of the X-only tables of before posts had a network into the post tables.

Before Bluesky and Mastodon, a tweet was keyed by its X id alone, a Cassandra `bigint`; a post is
now keyed by (network, id) with a text id (`contracts/tables.py`). Cassandra cannot change a key,
so the archive moved to new tables: on the first start of this version, `bootstrap` copies every
row of the old tables into the new ones as an X post, then drops the old table. The copy keeps
each row's time-to-live (the raw archive may expire) and write time (the newest engagement
observation must stay the newest). It is idempotent: a copy cut short runs again in full on the
next start, and rewrites the same rows. The trend tables' Parquet files need no copy: their
readers take a number `post_id` as an X post (`analytics/daily.post_identity`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime

from cassandra.cluster import Session
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.query import SimpleStatement

from tweektrend_dagster.contracts.names import LEGACY_TABLES
from tweektrend_dagster.contracts.tables import (
    RAW_TWEETS,
    SCHEMA_MIGRATIONS,
    TWEET_ENGAGEMENT,
    TWEETS_BY_KEYWORD,
    Table,
)

PAGE = 5_000
CONCURRENCY = 64
PROGRESS_EVERY = 250_000  # a multiple of PAGE


def _as_x_post(columns: tuple[str, ...]) -> Callable[[tuple], dict]:
    """Old row (columns as named) → the new table's values: network "x", ids as text."""
    index = {name: i for i, name in enumerate(columns)}

    def convert(row: tuple) -> dict:
        values = {name: row[i] for name, i in index.items()}
        values["network"] = "x"
        values["id"] = str(values["id"])
        if values.get("related_id") is not None:
            values["related_id"] = str(values["related_id"])
        return values

    return convert


# legacy table → (its post table, the column whose TTL and write time the copy keeps)
_COPIES: dict[str, tuple[Table, str]] = {
    "raw_tweets_by_day": (RAW_TWEETS, "tweet"),
    "tweets_by_keyword": (TWEETS_BY_KEYWORD, "text"),
    "tweet_engagement": (TWEET_ENGAGEMENT, "retweets"),
}


def legacy_tables(session: Session, keyspace: str) -> list[str]:
    """The old X-only tables still in the keyspace."""
    meta = session.cluster.metadata.keyspaces.get(keyspace)
    return [name for name in LEGACY_TABLES if meta is not None and name in meta.tables]


def migrate_legacy_posts(session: Session, keyspace: str) -> Iterator[str]:
    """Copy each old table into its post table, then drop it; yields a line per table."""
    session.set_keyspace(keyspace)
    for legacy in legacy_tables(session, keyspace):
        target, kept = _COPIES[legacy]
        started = time.monotonic()
        yield (f"Cassandra: copying {legacy} to {target.name} (once, after the upgrade that gave "
               "posts a network; a large archive takes minutes)")
        rows = yield from copy_table(session, keyspace, legacy, target, kept)
        session.execute(session.prepare(SCHEMA_MIGRATIONS.insert_cql()),
                        (f"copy {legacy}", rows, datetime.now(UTC)))
        session.execute(f"DROP TABLE IF EXISTS {keyspace}.{legacy}", timeout=120)
        yield (f"Cassandra: {rows:,} rows of {legacy} copied to {target.name} as X posts "
               f"in {time.monotonic() - started:.0f} s (old table dropped)")


def copy_table(session: Session, keyspace: str, legacy: str, target: Table, kept: str
               ) -> Generator[str, None, int]:
    """Every row of `legacy` written to `target`, yielding a progress line every
    PROGRESS_EVERY rows; returns the rows copied. Raises on the first write that fails (the old
    table is then left as it is, for the next start)."""
    meta = session.cluster.metadata.keyspaces[keyspace].tables[legacy]
    old_columns = tuple(meta.columns)
    select = SimpleStatement(
        f"SELECT {', '.join(old_columns)}, TTL({kept}), WRITETIME({kept}) "
        f"FROM {keyspace}.{legacy}", fetch_size=PAGE)
    columns = tuple(c for c in target.column_names if c in (*old_columns, "network"))
    insert = session.prepare(target.insert_cql(columns, using="TTL ? AND TIMESTAMP ?"))
    convert = _as_x_post(old_columns)
    copied = 0
    batch: list[tuple] = []
    for row in session.execute(select, timeout=120):
        values = convert(row[:len(old_columns)])
        ttl, written = row[-2], row[-1]
        batch.append((*[values.get(c) for c in columns], ttl or 0,
                      written if written is not None else int(time.time() * 1e6)))
        if len(batch) >= PAGE:
            copied += _write(session, insert, batch)
            batch = []
            if copied % PROGRESS_EVERY == 0:
                yield f"    {copied:,} rows of {legacy} copied"
    if batch:
        copied += _write(session, insert, batch)
    return copied


def _write(session: Session, insert, batch: list[tuple]) -> int:  # noqa: ANN001
    execute_concurrent_with_args(session, insert, batch, concurrency=CONCURRENCY,
                                 raise_on_first_error=True)
    return len(batch)
