"""The Cassandra schema, created and migrated by the project (idempotent: safe on every start)."""

from __future__ import annotations

from cassandra.cluster import Session

from tweektrend_dagster.config import Settings

# Each statement is idempotent; new columns are added with ALTER ... ADD in MIGRATIONS below.
TABLES = [
    # the raw archive: every tweet once, by day and hour, so later keywords can be backfilled
    """CREATE TABLE IF NOT EXISTS raw_tweets_by_day (
        day date, hour tinyint, id bigint, created_at timestamp, tweet text, keywords set<text>,
        PRIMARY KEY ((day, hour), id)) {ttl}""",
    # the query-first table: one row per (keyword, tweet), newest first for the live feed
    """CREATE TABLE IF NOT EXISTS tweets_by_keyword (
        keyword text, day date, hour tinyint, created_at timestamp, id bigint,
        text text, lang text, author_id text, author_username text, author_name text,
        author_followers int, author_location text, relation text, related_id bigint,
        hashtags list<text>, mentions list<text>, urls list<text>, source text, place text,
        country text, retweets int, likes int, replies int, quotes int, ingested_at timestamp,
        PRIMARY KEY ((keyword, day, hour), created_at, id))
        WITH CLUSTERING ORDER BY (created_at DESC, id DESC)""",
    # latest public metrics observed for a tweet (from itself or from retweets that embed it)
    """CREATE TABLE IF NOT EXISTS tweet_engagement (
        id bigint PRIMARY KEY, retweets int, likes int, replies int, quotes int,
        observed_at timestamp)""",
    # committed position per partition, written by the workers after each committed batch
    """CREATE TABLE IF NOT EXISTS ingestion_progress (
        consumer_group text, topic text, partition int, committed_offset bigint,
        watermark timestamp, tweets bigint, updated_at timestamp,
        PRIMARY KEY ((consumer_group), topic, partition))""",
    # which days received tweets and when: the ingestion sensor turns these into partition runs
    """CREATE TABLE IF NOT EXISTS ingested_days (
        scope text, day date, updated_at timestamp, PRIMARY KEY ((scope), day))""",
]

MIGRATIONS: list[str] = []


def create_schema(session: Session, settings: Settings) -> None:
    session.execute(
        f"CREATE KEYSPACE IF NOT EXISTS {settings.keyspace} WITH replication = "
        f"{{'class': 'SimpleStrategy', 'replication_factor': {settings.replication_factor}}}"
    )
    session.set_keyspace(settings.keyspace)
    ttl = ""
    if settings.raw_ttl_days > 0:
        ttl = f"WITH default_time_to_live = {settings.raw_ttl_days * 86400}"
    for statement in TABLES:
        session.execute(statement.replace("{ttl}", ttl), timeout=60)
    for statement in MIGRATIONS:
        try:
            session.execute(statement, timeout=60)
        except Exception as exc:  # a column that already exists is the expected case
            if "already exist" not in str(exc).lower() and "conflicts" not in str(exc).lower():
                raise
