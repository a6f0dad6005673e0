"""What each running source reports about itself, for the dashboard's settings page.

A producer process upserts one document per source name into the `source_status` collection
every few seconds: its kind and network, how many posts, events, skipped and dead-lettered
payloads it handled, when the last payload arrived and how old the newest post was then (the
lag behind the network). The page (`streamlit_app/queries.fetch_source_status`) calls a source
live while its reports keep coming.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from tweektrend_dagster.contracts import names

log = logging.getLogger(__name__)

REPORT_EVERY = 5.0  # seconds


@dataclass
class SourceReport:
    name: str  # the process's name for it: "bluesky", "mastodon", "simulator", "x-api", …
    kind: str
    network: str | None  # "x" | "bluesky" | "mastodon" | None (a replay of many)
    posts: int
    events: int
    skipped: int
    dead: int
    last_payload_at: datetime | None
    newest_post_at: datetime | None  # created_at of the newest post seen
    lag_seconds: float | None  # last_payload_at − newest_post_at: how far behind the network
    updated_at: datetime


class SourceStatusWriter:
    """Upserts a source's report into Mongo at most every REPORT_EVERY seconds; a Mongo
    outage costs a report, never the stream."""

    def __init__(self, db, name: str, kind: str) -> None:  # noqa: ANN001
        self.collection = db[names.SOURCE_STATUS]
        self.name, self.kind = name, kind
        self._last = 0.0

    def maybe_report(self, producer, force: bool = False) -> None:  # noqa: ANN001
        now = time.monotonic()
        if not force and now - self._last < REPORT_EVERY:
            return
        self._last = now
        newest, seen = producer.newest_post_at, producer.last_payload_at
        seen = datetime.fromtimestamp(seen, UTC) if seen else None
        report = SourceReport(
            name=self.name, kind=self.kind, network=producer.network,
            posts=producer.sent, events=producer.events, skipped=producer.skipped,
            dead=producer.dead, last_payload_at=seen, newest_post_at=newest,
            lag_seconds=(seen - newest).total_seconds() if seen and newest else None,
            updated_at=datetime.now(UTC),
        )
        try:
            self.collection.replace_one({"_id": self.name}, asdict(report), upsert=True)
        except Exception as exc:  # the dashboard's view is not worth stopping the stream
            log.warning("source status not written: %s", exc)
