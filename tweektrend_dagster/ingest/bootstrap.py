"""Everything the servers need before the first tweet: topics, Cassandra schema, Mongo indexes."""

from __future__ import annotations

from collections.abc import Iterator

from tweektrend_dagster.config import Settings


def bootstrap(settings: Settings) -> Iterator[str]:
    from tweektrend_dagster.ingest.kafka_topics import ensure_topics
    from tweektrend_dagster.ingest.schema import create_schema
    from tweektrend_dagster.resources.clients import cassandra_session, mongo_database

    yield from ensure_topics(settings) or [
        f"Kafka topics {settings.topic}, {settings.dlq_topic} ready"
    ]
    session, cluster = cassandra_session(settings, keyspace=None)
    try:
        create_schema(session, settings)
    finally:
        cluster.shutdown()
    yield f"Cassandra keyspace {settings.keyspace} ready"
    db = mongo_database(settings)
    try:
        from tweektrend_dagster.keywords.registry import KeywordRegistry

        KeywordRegistry(db).ensure_indexes()
    finally:
        db.client.close()
    yield f"MongoDB database {settings.mongo_db} ready"
