"""One log format for every process of the project (workers, producers, launcher)."""

import logging

from tweektrend_dagster.config import Settings


def setup_logging() -> None:
    logging.basicConfig(
        level=Settings.from_env().log_level,
        format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s",
    )
    # the Cassandra driver is chatty about reconnects; our own messages say what matters
    logging.getLogger("cassandra").setLevel(logging.CRITICAL)
    # py4j logs every call between Python and the JVM of a local Spark (the live counts)
    logging.getLogger("py4j").setLevel(logging.WARNING)
