"""Which buckets of a day's `trends` document deserve an alert mail now (pure Python).

A bucket is alertable when the analytics flagged it (`is_spike`), it has mentions, and it started
within the alert window before now: a backfilled or late day keeps its old spikes on the chart,
but nobody should get mail about them hours later.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tweektrend_dagster.contracts.periods import SPIKE_WINDOW

DEFAULT_WINDOW = timedelta(hours=3)
BASELINE_BUCKETS = SPIKE_WINDOW["day"]  # the same 24 trailing hours the spike score uses


@dataclass(frozen=True)
class Spike:
    keyword: str
    t: datetime  # start of the hourly bucket (UTC)
    mentions: int
    score: float
    usual: float | None  # median mentions of the trailing hours; None without history

    @property
    def bucket(self) -> str:
        """The bucket as in the document's series, e.g. 2026-11-25T14:00:00Z."""
        return self.t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_bucket(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def alert_days(now: datetime, window: timedelta = DEFAULT_WINDOW) -> list[date]:
    """The days whose documents can hold a recent bucket: today, and yesterday shortly after
    midnight."""
    return sorted({(now - window).date(), now.date()})


def is_alertable(point: dict[str, Any], now: datetime, window: timedelta) -> bool:
    t = parse_bucket(point["t"])
    return bool(point.get("is_spike")) and point.get("mentions", 0) > 0 and now - window <= t <= now


def recent_spikes(
    doc: dict[str, Any],
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    previous: dict[str, Any] | None = None,
) -> list[Spike]:
    """The alertable buckets of a day document, oldest first. `previous` (the day before, if
    published) only extends the history the usual level is taken from."""
    history = list((previous or {}).get("series") or [])
    series = list(doc.get("series") or [])
    out = []
    for i, point in enumerate(series):
        if not is_alertable(point, now, window):
            continue
        trailing = (history + series[:i])[-BASELINE_BUCKETS:]
        out.append(
            Spike(
                keyword=doc["keyword"],
                t=parse_bucket(point["t"]),
                mentions=int(point["mentions"]),
                score=float(point.get("spike") or 0.0),
                usual=statistics.median(p["mentions"] for p in trailing) if trailing else None,
            )
        )
    return out
