"""Replay a file of real tweets at real or accelerated speed.

Files are read by `tweektrend_dagster.tweets.files`: JSONL, a JSON array, X API v2 pages (split
into one payload per tweet, plus one per `errors` entry), twarc2 flattened lines, CSV datasets
(`columns` maps other headers), each as it is or `.gz`/`.bz2`/`.xz`-compressed, or a `.zip` of
them. Each payload is yielded as bytes, one tweet each: JSONL lines untouched, decoded items
re-serialised. A line that is not JSON is still yielded so the producer can send it to the
dead-letter topic with the reason; input the reader could not read at all goes out as
`{"unreadable": reason}`, which the parser refuses with that reason.

Pacing follows the payloads' own timestamps (v1.1 `timestamp_ms`/`created_at`, v2
`data.created_at`, twarc2 `created_at`, activity streams `postedTime`, CSV date cells): with
`speed=60` a minute of tweets takes a second. Payloads without a readable timestamp, and those
older than one already sent (out of order), go out without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import orjson

from tweektrend_dagster.tweets import InvalidTweet
from tweektrend_dagster.tweets.csv_rows import csv_time, parse_columns
from tweektrend_dagster.tweets.files import iter_items
from tweektrend_dagster.tweets.parsers import UNREADABLE

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _v11_time(value: str) -> float | None:
    """'Wed Oct 10 20:19:24 +0000 2018' -> epoch seconds, without locale-dependent strptime."""
    parts = value.split()
    if len(parts) != 6 or parts[1] not in _MONTHS:
        return None
    try:
        hh, mm, ss = (int(x) for x in parts[3].split(":"))
        off = parts[4]
        offset = (1 if off[0] == "+" else -1) * (int(off[1:3]) * 3600 + int(off[3:5]) * 60)
        day = datetime(int(parts[5]), _MONTHS[parts[1]], int(parts[2]), hh, mm, ss)
    except (ValueError, IndexError):
        return None
    return (day - _EPOCH).total_seconds() - offset


_EPOCH = datetime(1970, 1, 1)


def _iso_time(value: str) -> float | None:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:  # naive timestamps in exports are UTC
        return (dt - _EPOCH).total_seconds()
    return dt.timestamp()


def payload_time(raw: bytes) -> float | None:
    """The post time of a v1.1, v2 or activity-streams payload in epoch seconds, or None."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    data = obj.get("data")
    if isinstance(data, dict):  # v2 envelope
        created = data.get("created_at")
        return _iso_time(created) if isinstance(created, str) else None
    row = obj.get("row")
    if obj.get("format") == "csv" and isinstance(row, dict):  # a CSV row
        try:
            return csv_time(row.get("created_at")).timestamp()
        except InvalidTweet:
            return None
    ms = obj.get("timestamp_ms")  # v1.1 streaming payloads carry both; this one is exact
    if isinstance(ms, str | int) and str(ms).isdigit():
        return int(ms) / 1000.0
    created = obj.get("created_at")
    if isinstance(created, str):
        return _v11_time(created) or _iso_time(created)
    posted = obj.get("postedTime")  # activity streams
    if isinstance(posted, str):
        return _iso_time(posted)
    return None


class Pacer:
    """Turns payload timestamps into waits: payload time advances `speed` times faster than wall.

    `max_gap` caps one wait (in wall seconds), so a dataset with a day-long hole does not stall.
    """

    def __init__(
        self,
        speed: float,
        clock: Callable[[], float],
        sleep: Callable[[float], object],
        max_gap: float | None = None,
    ) -> None:
        self.speed = speed
        self.clock = clock
        self.sleep = sleep
        self.max_gap = max_gap
        self.reset()

    def reset(self) -> None:
        """Forget the anchor: the next timestamped payload goes out at once."""
        self._prev_ts: float | None = None
        self._prev_target = 0.0

    def wait_for(self, ts: float | None) -> float:
        """Sleep until the payload stamped `ts` is due; returns the seconds slept."""
        if self.speed <= 0 or ts is None:
            return 0.0
        if self._prev_ts is None:
            self._prev_ts, self._prev_target = ts, self.clock()
            return 0.0
        delta = ts - self._prev_ts
        if delta <= 0:  # same instant or out of order: no wait, keep the schedule
            return 0.0
        step = delta / self.speed
        if self.max_gap is not None:
            step = min(step, self.max_gap)
        # Targets accumulate from the anchor so sleep overshoot does not add up over a file.
        self._prev_ts, self._prev_target = ts, self._prev_target + step
        wait = self._prev_target - self.clock()
        if wait > 0:
            self.sleep(wait)
            return wait
        return 0.0


class Replay:
    """Yield the payloads of a file of tweets (see the module docstring), paced by their
    timestamps.

    speed: 0 = as fast as possible, 1 = real time, 60 = sixty times faster.
    loop: start again at the end (the same tweet ids come again: upserts make that harmless).
    limit: stop after this many payloads (over all loops).
    columns: CSV field → header for headers the reader does not know ("id=tweet_id,text=content"
    or a dict); an unknown field raises ValueError here.
    clock/sleep: injectable for tests; the default sleep wakes up early on `close()`.
    """

    name = "replay"

    def __init__(
        self,
        path: str | Path,
        speed: float = 0,
        loop: bool = False,
        *,
        max_gap: float | None = None,
        limit: int | None = None,
        columns: str | dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"replay file not found: {self.path}")
        if speed < 0:
            raise ValueError(f"speed must be >= 0 (0 = as fast as possible), got {speed}")
        self.speed = float(speed)
        self.loop = loop
        self.limit = limit
        self.columns = parse_columns(columns)
        self._stop = threading.Event()
        self._pacer = Pacer(self.speed, clock, sleep or self._stop.wait, max_gap)
        self.sent = 0

    def _records(self) -> Iterator[bytes]:
        """One pass over the file: one payload per tweet, as bytes."""
        for item in iter_items(self.path, self.columns):
            payload = item.payload
            if isinstance(payload, bytes):
                yield payload
            elif isinstance(payload, InvalidTweet):
                yield orjson.dumps({UNREADABLE: payload.reason, "at": item.label})
            else:
                yield orjson.dumps(payload)

    def payloads(self) -> Iterator[bytes]:
        """Yield every payload (repeating if `loop`), waiting between them as `speed` asks."""
        pace = self.speed > 0
        while not self._stop.is_set():
            self._pacer.reset()
            empty = True
            for raw in self._records():
                if self._stop.is_set():
                    return
                empty = False
                if pace:
                    self._pacer.wait_for(payload_time(raw))
                    if self._stop.is_set():
                        return
                yield raw
                self.sent += 1
                if self.limit is not None and self.sent >= self.limit:
                    return
            if not self.loop or empty:
                return

    def close(self) -> None:
        self._stop.set()
