"""Creating the tweet topic, its dead-letter topic and the post-events topic (deletions)."""

from __future__ import annotations

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

from tweektrend_dagster.clients import kafka_client_config
from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.errors import ServiceUnavailable

EVENT_PARTITIONS = 3


def ensure_topics(settings: Settings, admin: AdminClient | None = None) -> list[str]:
    """Create missing topics and grow the tweet topic to the configured partition count."""
    admin = admin or AdminClient(kafka_client_config(settings))
    try:
        meta = admin.list_topics(timeout=10)
    except KafkaException as exc:
        raise ServiceUnavailable(
            f"Kafka is not reachable at {settings.kafka_bootstrap} ({exc.args[0]}). "
            "Start the local stack with `tweektrend stack up`."
        ) from exc
    # events are few (deletions): keyed by post, so a post's events keep their order
    wanted = {settings.topic: settings.topic_partitions, settings.dlq_topic: 1,
              settings.events_topic: EVENT_PARTITIONS}
    replicas = settings.topic_replication_factor
    # with replicas, an acknowledged write (acks=all) is on min.insync.replicas brokers
    config = {"min.insync.replicas": str(min(replicas, settings.min_insync_replicas))}
    created = [
        NewTopic(name, num_partitions=n, replication_factor=replicas, config=config)
        for name, n in wanted.items()
        if name not in meta.topics
    ]
    done: list[str] = []
    for name in wanted:
        topic = meta.topics.get(name)
        have = len(topic.partitions[0].replicas) if topic and 0 in topic.partitions else replicas
        if have < replicas:
            # Kafka does not add replicas by itself: the partitions must be reassigned
            done.append(f"topic {name} has {have} replica(s), {replicas} wanted: reassign its "
                        "partitions with kafka-reassign-partitions")
    if created:
        for name, future in admin.create_topics(created).items():
            future.result()
            done.append(f"created topic {name}")
    current = meta.topics.get(settings.topic)
    if current is not None and len(current.partitions) < settings.topic_partitions:
        # more keywords → more partitions → more workers; Kafka can only grow a topic
        admin.create_partitions([NewPartitions(settings.topic, settings.topic_partitions)])[
            settings.topic
        ].result()
        done.append(f"grew {settings.topic} to {settings.topic_partitions} partitions")
    return done
