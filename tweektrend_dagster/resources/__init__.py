"""Typed Dagster resources for the servers; configuration comes from TWEEKTREND_* variables.

The resource classes are imported lazily: the ingestion workers use only `clients` and should
not pay Dagster's import time at every start.
"""

from typing import Any

__all__ = ["CassandraResource", "KafkaResource", "MailResource", "MongoResource"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from tweektrend_dagster.resources import servers

        return getattr(servers, name)
    raise AttributeError(name)
