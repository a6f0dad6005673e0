"""Everything the servers need before the first tweet: topics, Cassandra schema, Mongo indexes."""

from __future__ import annotations

from collections.abc import Iterator

from tweektrend_dagster.config import Settings

DEMO_USER = "demo"


def seed_demo_keywords(settings: Settings) -> str:
    """Follow a few keywords as the demo user, so a fresh local run has trends to show.

    TWEEKTREND_DEMO_KEYWORDS (comma-separated; empty to disable) chooses them.
    """
    from tweektrend_dagster.clients import mongo_database
    from tweektrend_dagster.keywords.registry import KeywordRegistry

    keywords = settings.demo_keywords
    if not keywords:
        return "no demo keywords (TWEEKTREND_DEMO_KEYWORDS is empty)"
    db = mongo_database(settings)
    try:
        registry = KeywordRegistry(db)
        added = [registry.add(DEMO_USER, k) for k in keywords]
    finally:
        db.client.close()
    return f"demo keywords followed: {', '.join(added)}"


def bootstrap(settings: Settings) -> Iterator[str]:
    from tweektrend_dagster.clients import cassandra_session, mongo_database
    from tweektrend_dagster.ingest.kafka_topics import ensure_topics
    from tweektrend_dagster.ingest.migrate import migrate_legacy_posts
    from tweektrend_dagster.ingest.schema import create_schema, replication_warning

    yield from ensure_topics(settings) or [
        f"Kafka topics {settings.topic}, {settings.dlq_topic}, {settings.events_topic} ready"
    ]
    session, cluster = cassandra_session(settings, keyspace=None)
    try:
        create_schema(session, settings)
        warning = replication_warning(session, settings)
        if warning:
            yield warning
        # once, on the first start after posts got a network: the X-only tables move over
        yield from migrate_legacy_posts(session, settings.keyspace)
    finally:
        cluster.shutdown()
    yield (f"Cassandra keyspace {settings.keyspace} ready (replication factor "
           f"{settings.replication_factor}, reads and writes at LOCAL_QUORUM)")
    db = mongo_database(settings)
    try:
        from tweektrend_dagster.keywords.registry import KeywordRegistry

        KeywordRegistry(db).ensure_indexes()
    finally:
        db.client.close()
    yield f"MongoDB database {settings.mongo_db} ready"
