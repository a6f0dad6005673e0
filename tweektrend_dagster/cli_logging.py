"""One log format for every process of the project (workers, producers, launcher)."""

import logging
import os


def setup_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("TWEEKTREND_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s",
    )
    # the Cassandra driver is chatty about reconnects; our own messages say what matters
    logging.getLogger("cassandra").setLevel(logging.CRITICAL)
