"""Reading ingestion progress for the sensor: committed offsets, lag, rate and changed days."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cassandra.cluster import Session
from confluent_kafka import Consumer, TopicPartition

from tweektrend_dagster.clients import kafka_client_config
from tweektrend_dagster.config import Settings


@dataclass
class Progress:
    committed: dict[int, int]  # partition -> committed offset
    end: dict[int, int]  # partition -> log end offset
    watermark: datetime | None  # newest tweet time written

    @property
    def lag(self) -> int:
        return sum(max(0, self.end.get(p, 0) - self.committed.get(p, 0)) for p in self.end)

    @property
    def total_committed(self) -> int:
        return sum(self.committed.values())


def read_progress(
    session: Session, bootstrap: str | Mapping[str, Any], topic: str, group: str
) -> Progress:
    """`bootstrap`: a Kafka client config (`kafka_client_config`, `KafkaResource.client_config`)
    or the bootstrap servers alone, whose credentials then come from TWEEKTREND_KAFKA_*."""
    rows = session.execute(
        "SELECT partition, committed_offset, watermark FROM ingestion_progress"
        " WHERE consumer_group=%s AND topic=%s",
        (group, topic),
    )
    committed, watermarks = {}, []
    for r in rows:
        committed[r.partition] = r.committed_offset
        if r.watermark is not None:
            watermarks.append(r.watermark.replace(tzinfo=UTC))
    kafka = (bootstrap if isinstance(bootstrap, Mapping)
             else kafka_client_config(Settings.from_env(), **{"bootstrap.servers": bootstrap}))
    consumer = Consumer({**kafka, "group.id": group + "-observer"})
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        end = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
            for p in meta.partitions
        }
    finally:
        consumer.close()
    return Progress(committed, end, max(watermarks) if watermarks else None)


def changed_days(
    session: Session, seen: dict[str, str], since: datetime | None = None
) -> dict[date, datetime]:
    """Days that received tweets since the sensor last acted on them, with when they did.

    `seen` maps a day (ISO) to the `updated_at` the sensor last requested a run for; a day whose
    tweets arrived later (or that is new) is changed. Rows not newer than `since` were handled
    before (the sensor keeps `seen` only for recent rows, so its cursor stays small).
    """
    rows = session.execute("SELECT day, updated_at FROM ingested_days WHERE scope='all'")
    out = {}
    for r in rows:
        day = r.day.date() if hasattr(r.day, "date") else r.day
        updated = r.updated_at.replace(tzinfo=UTC)
        if since is not None and updated <= since:
            continue
        previous = seen.get(day.isoformat())
        if previous is None or updated > datetime.fromisoformat(previous):
            out[day] = updated
    return out


def marked_hours(session: Session, day: date) -> dict[int, datetime]:
    """The hours of `day` the workers wrote raw rows to, each with when they last did."""
    rows = session.execute(
        "SELECT hour, updated_at FROM ingested_hours WHERE scope='all' AND day = %s", (day,))
    return {int(r.hour): r.updated_at.replace(tzinfo=UTC) for r in rows}


def days_with_data(session: Session, first: date, last: date) -> list[date]:
    """The days in [first, last] the raw archive holds tweets for (one clustering-range read)."""
    rows = session.execute(
        "SELECT day FROM ingested_days WHERE scope='all' AND day >= %s AND day <= %s",
        (first, last),
    )
    return sorted(r.day.date() if hasattr(r.day, "date") else r.day for r in rows)


def days_to_refresh(
    changed: dict[date, datetime], last_requested: dict[str, str], now: datetime, refresh: timedelta
) -> list[date]:
    """Changed days whose partition is due: never requested, or requested over `refresh` ago.

    A closed day that receives late tweets is recomputed once per refresh interval too, so a
    burst of late data costs one run, not one run per tick.
    """
    due = []
    for day in sorted(changed):
        previous = last_requested.get(day.isoformat())
        if previous is None or now - datetime.fromisoformat(previous) >= refresh:
            due.append(day)
    return due


def archived_days(session: Session) -> list[date]:
    """Every day the raw archive holds tweets for (oldest first)."""
    rows = session.execute("SELECT day FROM ingested_days WHERE scope='all'")
    return sorted(r.day.date() if hasattr(r.day, "date") else r.day for r in rows)
