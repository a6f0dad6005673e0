"""The local launcher: fetches, starts, checks and stops Kafka, Cassandra and FerretDB."""

from tweektrend_dagster.stack.errors import StackError

__all__ = ["StackError"]
