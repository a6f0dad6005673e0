"""`tweektrend live`: the process that keeps today's counts from the stream.

It runs the Structured Streaming query of `analytics/live.py` on a Spark of its own (a small
local one: the query lives and dies with this process, and a restart resumes from the
checkpoint under TWEEKTREND_HOME) and adds each micro-batch's counts to the live documents
(`trend_store/live.py`). A query that fails is started again after a pause; Ctrl-C or SIGTERM
stops it between micro-batches.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from tweektrend_dagster.config import Settings

log = logging.getLogger("tweektrend.live")
RETRY_SECONDS = 15.0


def live_sink(settings: Settings):
    """(rows, batch_id) → the live documents: Spark's rows become `FactCount`s."""
    from tweektrend_dagster.clients import mongo_database
    from tweektrend_dagster.trend_store.live import (
        FactCount,
        apply_live_counts,
        ensure_live_indexes,
        purge_old_live,
    )

    db = mongo_database(settings)
    ensure_live_indexes(db)
    purged_on: list[date] = []  # the day of the last purge of old days' documents

    def sink(rows: Iterable[Any], batch_id: int) -> None:
        counts = [FactCount(r.kind, r.keyword, r.day, r.hour, r.n,
                            datetime.fromtimestamp(r.as_of_ms / 1000, UTC)) for r in rows]
        changed = apply_live_counts(db, counts, batch_id)
        log.info(f"batch {batch_id}: {sum(c.n for c in counts)} new facts, "
                 f"{changed} live documents updated")
        today = datetime.now(UTC).date()
        if purged_on[-1:] != [today]:
            if gone := purge_old_live(db, today):
                log.info(f"{gone} live documents of days past dropped")
            purged_on[:] = [today]

    return sink


def live_session(settings: Settings):
    from tweektrend_dagster.resources.spark import create_session, spark_config

    conf = spark_config(settings, master="local[2]", shuffle_partitions=2,
                        driver_memory=settings.live_memory,
                        extra={"spark.app.name": "tweektrend-live-counts"})
    return create_session(conf)


def run_live(settings: Settings, stop: threading.Event | None = None) -> None:
    """Run the query until `stop` is set (or SIGTERM/SIGINT), restarting it after failures."""
    from tweektrend_dagster.analytics.live import start_live_counts

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    spark = live_session(settings)
    sink = live_sink(settings)
    try:
        while not stop.is_set():
            query = start_live_counts(spark, settings.kafka_bootstrap, settings.topic,
                                      settings.live_checkpoint, sink,
                                      settings.live_trigger_seconds)
            log.info(f"live counts running: {settings.topic} → {settings.mongo_db}, "
                     f"checkpoint {settings.live_checkpoint}")
            while not stop.is_set() and query.isActive:
                query.awaitTermination(1.0)
            if query.isActive:
                query.stop()
                break
            error = query.exception()
            log.error(f"live counts stopped: {error}; starting again in {RETRY_SECONDS:g} s")
            stop.wait(RETRY_SECONDS)
    finally:
        spark.stop()
