"""Typed Dagster resources for the servers and the run settings, built from `config.Settings`.

The plain clients (for workers and the dashboard) are `tweektrend_dagster/clients.py`.
"""

from tweektrend_dagster.resources.servers import (
    CassandraResource,
    KafkaResource,
    MailResource,
    MongoResource,
    RunSettingsResource,
)
from tweektrend_dagster.resources.spark import SparkResource

__all__ = [
    "CassandraResource", "KafkaResource", "MailResource", "MongoResource", "SparkResource",
    "RunSettingsResource",
]
