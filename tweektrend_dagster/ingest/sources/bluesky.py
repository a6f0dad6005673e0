"""Bluesky through Jetstream: every public post (and like and repost) as JSON over a WebSocket.

`JetstreamSource` connects to `<endpoint>/subscribe?wantedCollections=…&cursor=…` and yields each
event's bytes exactly as Jetstream sent them; `tweets.jetstream` parses them in the producer. No
account and no key are needed; the four public instances Bluesky runs are the default, tried in
turn when one fails.

Resuming: Jetstream's cursor is an event's `time_us` (microseconds since the epoch), and it
replays from any cursor inside its window. The source remembers the newest `time_us` the producer
has taken (an event counts once the producer asks for the next one) and writes it to
`cursor_file` (a temporary file renamed over the old one) at most every second and on close. A
(re)connection asks for `cursor = last time_us - rewind_seconds`: Jetstream stamps every record
of one commit with the same `time_us` and instances differ slightly, so the few seconds replayed
close any gap, and the duplicates are absorbed by the idempotent writes downstream. A message
that is not JSON or carries no usable `time_us` is yielded as it is (the producer dead-letters
it) and never moves the cursor.

A dropped or refused connection is logged at WARNING and retried with back-off (1 s doubling to
60 s, back to 1 s after a connection that stayed up a minute), on the next endpoint each time;
network errors never leave `payloads()`. `close()` ends it within about a second.
"""

from __future__ import annotations

import logging
import os
import queue
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import orjson
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

log = logging.getLogger(__name__)

# The public instances Bluesky operates (github.com/bluesky-social/jetstream README).
DEFAULT_ENDPOINTS = (
    "wss://jetstream2.us-east.bsky.network",
    "wss://jetstream1.us-east.bsky.network",
    "wss://jetstream1.us-west.bsky.network",
    "wss://jetstream2.us-west.bsky.network",
)
DEFAULT_COLLECTIONS = ("app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.feed.repost")
# Posts are at most a few KB; the limit only has to let through what the parser rejects with a
# reason (1 MB of text) instead of a connection failing on it again after every reconnect.
MAX_MESSAGE_BYTES = 16 * 2**20
# A time_us before 2001 or a day ahead of this clock is not one Jetstream would send.
_MIN_TIME_US = 10**15
_AHEAD_US = 86_400 * 10**6
_POLL = 0.2  # how often blocked loops look at the closed flag, in seconds


class JetstreamSource:
    """Bluesky's Jetstream: event bytes as received, resumable from a persisted cursor.

    endpoint: an instance (`wss://host`, with or without `/subscribe`), a comma-separated list of
        them, or a sequence; rotated through on failure.
    collections: the `wantedCollections` (posts, likes and reposts by default).
    cursor_file: where the last taken `time_us` is kept across restarts (None: start live).
    rewind_seconds: how far before the last taken event a (re)connection resumes.
    """

    name = "bluesky"

    def __init__(
        self,
        endpoint: str | Sequence[str] = DEFAULT_ENDPOINTS,
        collections: Sequence[str] = DEFAULT_COLLECTIONS,
        cursor_file: Path | str | None = None,
        rewind_seconds: float = 5.0,
        connect_timeout: float = 10.0,
        *,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        healthy_after: float = 60.0,
        save_interval: float = 1.0,
        queue_size: int = 10_000,
    ) -> None:
        self.endpoints = _endpoints(endpoint)
        self.collections = tuple(collections)
        self.cursor_file = Path(cursor_file) if cursor_file is not None else None
        self.rewind_us = int(rewind_seconds * 1_000_000)
        self.connect_timeout = connect_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.healthy_after = healthy_after
        self.save_interval = save_interval
        self._queue: queue.Queue[tuple[bytes, int | None]] = queue.Queue(maxsize=queue_size)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failure: Exception | None = None
        self.connections = 0  # connections opened so far
        # the URLs of the latest connection attempts, newest last
        self.urls: deque[str] = deque(maxlen=100)
        start = self._read_cursor()
        self._taken = start  # newest time_us the producer has taken: what the file keeps
        self._saved = start
        self._received = start  # newest time_us read from the socket: where a reconnect resumes

    # ---- the Source interface ----------------------------------------------------------------

    def payloads(self) -> Iterator[bytes]:
        """Yield Jetstream events as they arrive; ends after `close()`."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._read_forever, name="jetstream-reader", daemon=True
            )
            self._thread.start()
        next_save = time.monotonic() + self.save_interval
        try:
            while not self._closed.is_set():
                try:
                    raw, time_us = self._queue.get(timeout=_POLL)
                except queue.Empty:
                    if self._failure is not None:
                        raise RuntimeError("the Jetstream reader failed") from self._failure
                    raw = time_us = None
                if raw is not None:
                    yield raw
                    # the producer asked for the next one: this event is handled
                    if time_us is not None:
                        with self._lock:
                            if self._taken is None or time_us > self._taken:
                                self._taken = time_us
                now = time.monotonic()
                if now >= next_save:
                    next_save = now + self.save_interval
                    self._save_cursor()
        finally:
            # also when the consumer stops iterating: stop reading, keep the cursor
            self.close()

    def close(self) -> None:
        """Stop reading, keep the cursor; safe to call twice, from any thread."""
        self._closed.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)
        self._save_cursor()

    @property
    def cursor(self) -> int | None:
        """The newest `time_us` the producer has taken (what the cursor file keeps)."""
        return self._taken

    @property
    def lag(self) -> float | None:
        """Seconds between now and when Jetstream saw the newest event taken (None before the
        first): how far behind the network the source runs."""
        taken = self._taken
        return None if taken is None else max(0.0, time.time() - taken / 1_000_000)

    # ---- the reader thread -------------------------------------------------------------------

    def _read_forever(self) -> None:
        try:
            self._connect_and_read()
        except Exception as exc:  # a bug, not the network: payloads() raises it, never stalls
            log.exception("Jetstream reader failed")
            self._failure = exc

    def _connect_and_read(self) -> None:
        delay = self.backoff_initial
        attempt = 0
        while not self._closed.is_set():
            url = self._url(self.endpoints[attempt % len(self.endpoints)])
            self.urls.append(url)
            opened = None
            try:
                with connect(url, open_timeout=self.connect_timeout, close_timeout=0.5,
                             max_size=MAX_MESSAGE_BYTES, user_agent_header="tweektrend") as ws:
                    opened = time.monotonic()
                    self.connections += 1
                    log.info("Jetstream connected: %s", url)
                    self._read(ws)
                return  # _read returns only once closed
            except (OSError, WebSocketException) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            if self._closed.is_set():
                return
            if opened is not None and time.monotonic() - opened >= self.healthy_after:
                delay = self.backoff_initial
            attempt += 1
            log.warning("Jetstream connection to %s %s (%s); retrying on %s in %.1f s",
                        _host(url), "lost" if opened else "failed", reason,
                        _host(self.endpoints[attempt % len(self.endpoints)]), delay)
            self._closed.wait(delay)
            delay = min(delay * 2, self.backoff_max)

    def _read(self, ws) -> None:  # noqa: ANN001
        while not self._closed.is_set():
            try:
                raw = ws.recv(timeout=_POLL, decode=False)
            except TimeoutError:
                continue
            if isinstance(raw, str):  # only when a text frame is decoded anyway
                raw = raw.encode()
            time_us = _time_us(raw)
            if time_us is not None and (self._received is None or time_us > self._received):
                self._received = time_us
            while not self._closed.is_set():
                try:
                    self._queue.put((raw, time_us), timeout=_POLL)
                    break
                except queue.Full:
                    continue  # back-pressure: read no more until the producer catches up

    def _url(self, endpoint: str) -> str:
        params: list[tuple[str, str | int]] = [("wantedCollections", c) for c in self.collections]
        if self._received is not None:
            params.append(("cursor", max(0, self._received - self.rewind_us)))
        base = endpoint if endpoint.endswith("/subscribe") else endpoint + "/subscribe"
        return f"{base}?{urlencode(params)}" if params else base

    # ---- the cursor file ---------------------------------------------------------------------

    def _read_cursor(self) -> int | None:
        if self.cursor_file is None or not self.cursor_file.exists():
            return None
        text = self.cursor_file.read_text(encoding="utf-8", errors="replace").strip()
        if text.isascii() and text.isdigit() and _plausible(int(text)):
            return int(text)
        log.warning("Jetstream cursor file %s holds no cursor (%r); starting live",
                    self.cursor_file, text[:40])
        return None

    def _save_cursor(self) -> None:
        with self._lock:
            taken = self._taken
            if self.cursor_file is None or taken is None or taken == self._saved:
                return
            self.cursor_file.parent.mkdir(parents=True, exist_ok=True)
            # a crash mid-write must leave the old cursor, never half a number
            fd, tmp = tempfile.mkstemp(prefix=".cursor-", dir=self.cursor_file.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(f"{taken}\n")
                os.replace(tmp, self.cursor_file)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._saved = taken


def _endpoints(endpoint: str | Sequence[str]) -> tuple[str, ...]:
    items = endpoint.split(",") if isinstance(endpoint, str) else list(endpoint)
    out = tuple(e.strip().rstrip("/") for e in items if e and e.strip())
    if not out:
        raise ValueError("no Jetstream endpoint given")
    for e in out:
        if urlsplit(e).scheme not in ("ws", "wss") or not urlsplit(e).netloc:
            raise ValueError(f"not a WebSocket URL (ws:// or wss://): {e!r}")
    return out


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _time_us(raw: bytes) -> int | None:
    """The event's `time_us`, or None when the message is not a JSON object carrying a
    plausible one (such a message must not move the cursor)."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    value = obj.get("time_us") if isinstance(obj, dict) else None
    return value if type(value) is int and _plausible(value) else None


def _plausible(time_us: int) -> bool:
    return _MIN_TIME_US <= time_us <= time.time_ns() // 1000 + _AHEAD_US
