"""Typed Dagster resources for the servers; configuration comes from TWEEKTREND_* variables."""

from tweektrend_dagster.resources.servers import CassandraResource, KafkaResource, MongoResource

__all__ = ["CassandraResource", "KafkaResource", "MongoResource"]
