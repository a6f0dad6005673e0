"""A Jetstream-style WebSocket server on 127.0.0.1 for tests (github.com/bluesky-social/jetstream).

It serves `/subscribe` as Jetstream does: events go out as text frames in `time_us` order;
`wantedCollections` filters commits (identity and account events go to everyone, as Jetstream
sends them whatever the filter); a `cursor` replays the history from the first event with
`time_us >= cursor`, and no cursor starts at the live tail (only events published after the
connection opened; `live_tail=False` replays the whole history instead). `publish()` adds
events, which every open connection then streams.

For failure tests it can drop the connection abruptly (no close frame) after N messages, once,
and it records the query string of every connection it accepted.

    with FakeJetstream(history) as server:
        source = JetstreamSource(server.url, ...)
        server.publish(event)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

Event = bytes | str | dict


class FakeJetstream:
    def __init__(self, history: Iterable[Event] = (), *, drop_after: int | None = None,
                 live_tail: bool = True) -> None:
        # (time_us used for ordering and the cursor, collection or None, the bytes sent)
        self._events: list[tuple[int, str | None, bytes]] = []
        self._lock = threading.Condition()
        self.drop_after = drop_after  # drop the first connection that has sent this many
        # False: a connection without a cursor gets the whole history too (simpler set-ups)
        self.live_tail = live_tail
        self.dropped = 0
        self.queries: list[str] = []
        self.sent: list[list[bytes]] = []  # what each connection sent, by connection
        self._stopping = threading.Event()
        self._server = None
        self._thread: threading.Thread | None = None
        self.url = ""
        for event in sorted(_items(history), key=lambda item: item[0]):
            self._events.append(event)

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeJetstream:
        self._server = serve(self._handle, "127.0.0.1", 0, max_size=None)
        port = self._server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-jetstream")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeJetstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- state ---------------------------------------------------------------------------------

    def publish(self, *events: Event) -> None:
        """Append events (in time_us order) for every open connection to stream."""
        with self._lock:
            previous = self._events[-1][0] if self._events else 0
            for time_us, collection, raw in _items(events, previous):
                self._events.append((time_us, collection, raw))
            self._lock.notify_all()

    def wait_for_connections(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.queries) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.queries)} connections, expected {count}")
            time.sleep(0.01)

    def params(self, n: int) -> dict[str, list[str]]:
        """The query parameters of connection `n` (0 = the first)."""
        return parse_qs(self.queries[n])

    # ---- one connection ------------------------------------------------------------------------

    def _handle(self, ws: ServerConnection) -> None:
        query = urlsplit(ws.request.path).query
        params = parse_qs(query)
        wanted = set(params.get("wantedCollections", []))
        cursor = params.get("cursor")
        sent: list[bytes] = []
        with self._lock:
            self.queries.append(query)
            self.sent.append(sent)
            if cursor is None:
                position = len(self._events) if self.live_tail else 0
            else:
                start = int(cursor[0])
                position = next((i for i, e in enumerate(self._events) if e[0] >= start),
                                len(self._events))
        while not self._stopping.is_set():
            with self._lock:
                pending = self._events[position:]
                position = len(self._events)
            try:
                for _, collection, raw in pending:
                    if wanted and collection is not None and collection not in wanted:
                        continue
                    ws.send(_frame(raw))
                    sent.append(raw)
                    if self.drop_after is not None and not self.dropped \
                            and len(sent) >= self.drop_after:
                        self.dropped += 1
                        ws.close_socket()  # abrupt: no close frame, as a network failure
                        return
                if not pending:
                    # wait for new events; recv also notices the client leaving
                    ws.recv(timeout=0.05)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return


def _items(events: Iterable[Event], previous: int = 0) -> list[tuple[int, str | None, bytes]]:
    """Each event with its time_us (a message without one keeps the place of the one before)
    and its collection (None for identity/account events and anything unreadable)."""
    out = []
    for event in events:
        raw = orjson.dumps(event) if isinstance(event, dict) else event
        raw = raw.encode() if isinstance(raw, str) else raw
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            obj = None
        time_us = obj.get("time_us") if isinstance(obj, dict) else None
        if type(time_us) is not int:
            time_us = previous
        commit = obj.get("commit") if isinstance(obj, dict) else None
        collection = commit.get("collection") if isinstance(commit, dict) else None
        out.append((time_us, collection if type(collection) is str else None, raw))
        previous = time_us
    return out


def _frame(raw: bytes) -> str | bytes:
    # Jetstream sends text frames; bytes that are not UTF-8 can only go as a binary frame
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
