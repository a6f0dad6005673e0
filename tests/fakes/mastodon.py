"""A Mastodon-style streaming server on 127.0.0.1 for tests (docs.joinmastodon.org, streaming).

It serves the WebSocket `/api/v1/streaming?stream=…&tag=…` as a Mastodon server does: each event
goes out as a text frame `{"stream": ["public"], "event": "update", "payload": "<Status as a JSON
string>"}` (a `delete` payload is the status id itself; `filters_changed` has none). The `stream`
parameter filters statuses: `public` gets them all, `public:local` those of local accounts (an
`acct` without a domain), `public:remote` the others, `hashtag` / `hashtag:local` those whose
`tags[].name` holds `tag` (case-insensitively); deletes go to every stream. An unknown stream is
answered HTTP 400, a missing or wrong token HTTP 401 when `token` is set (the header
`Authorization: Bearer <token>` or, as Mastodon still accepts, `access_token=`).
`/api/v2/instance` answers `configuration.urls.streaming` = this server (hostname discovery).

Each stream (stream and tag) resumes where its previous connection stopped, so "later messages
arrive" after a reconnect; `publish()` adds events for open connections. For failure tests it can
drop the connection abruptly (no close frame) after N messages, once; every connection's path
and Authorization header are recorded.

    with FakeMastodon([("update", status), ("delete", "1234")], token="secret") as server:
        source = MastodonSource(server.http_url, token="secret")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

STREAMS = ("public", "public:local", "public:remote", "public:media", "public:local:media",
           "public:remote:media", "hashtag", "hashtag:local")
# (event, payload): payload a Status dict, an id string, None (no payload); or a raw text frame
Message = tuple[str, object] | str


class FakeMastodon:
    def __init__(self, messages: Iterable[Message] = (), *, token: str | None = None,
                 drop_after: int | None = None, discoverable: bool = True) -> None:
        self._messages: list[Message] = list(messages)
        self._lock = threading.Condition()
        self.token = token
        self.drop_after = drop_after  # drop the first connection that has sent this many
        self.discoverable = discoverable  # answer /api/v2/instance
        self.dropped = 0
        self.instance_requests = 0  # hostname discovery requests answered
        self.connections: list[dict] = []  # {"path", "params", "authorization", "status"}
        self._positions: dict[tuple[str, str], int] = {}  # (stream, tag) -> next message
        self._stopping = threading.Event()
        self._server = None
        self._thread: threading.Thread | None = None
        self.url = ""  # ws://127.0.0.1:port
        self.http_url = ""  # http://127.0.0.1:port

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeMastodon:
        self._server = serve(self._handle, "127.0.0.1", 0, max_size=None,
                             process_request=self._process_request)
        port = self._server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        self.http_url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-mastodon")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeMastodon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- state ---------------------------------------------------------------------------------

    def publish(self, *messages: Message) -> None:
        with self._lock:
            self._messages.extend(messages)
            self._lock.notify_all()

    def wait_for_connections(self, count: int, timeout: float = 10.0, *,
                             accepted: bool = False) -> None:
        deadline = time.monotonic() + timeout
        while len(self._accepted() if accepted else self.connections) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.connections)} connections, expected {count}")
            time.sleep(0.01)

    def _accepted(self) -> list[dict]:
        return [c for c in self.connections if c["status"] == 101]

    # ---- the HTTP side -------------------------------------------------------------------------

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if parts.path == "/api/v2/instance":
            self.instance_requests += 1
            if not self.discoverable:
                return _json(HTTPStatus.NOT_FOUND, {"error": "Record not found"})
            return _json(HTTPStatus.OK, {"domain": "127.0.0.1", "configuration": {
                "urls": {"streaming": self.url}}})
        params = parse_qs(parts.query)
        record = {"path": request.path, "params": params,
                  "authorization": request.headers.get("Authorization"), "status": 101}
        self.connections.append(record)
        if parts.path != "/api/v1/streaming":
            record["status"] = 404
            return _json(HTTPStatus.NOT_FOUND, {"error": "Not found"})
        if self.token is not None:
            given = request.headers.get("Authorization") or ""
            query_token = params.get("access_token", [""])[0]
            if given != f"Bearer {self.token}" and query_token != self.token:
                record["status"] = 401
                return _json(HTTPStatus.UNAUTHORIZED, {"error": "Missing access token"})
        stream = params.get("stream", [""])[0]
        if stream not in STREAMS or (stream.startswith("hashtag") and not params.get("tag")):
            record["status"] = 400
            return _json(HTTPStatus.BAD_REQUEST, {"error": "Unknown stream type"})
        return None

    # ---- one connection ------------------------------------------------------------------------

    def _handle(self, ws: ServerConnection) -> None:
        params = parse_qs(urlsplit(ws.request.path).query)
        stream = params["stream"][0]
        tag = params.get("tag", [""])[0]
        key = (stream, tag.lower())
        sent = 0
        while not self._stopping.is_set():
            with self._lock:
                position = self._positions.get(key, 0)
                pending = self._messages[position:]
            try:
                for message in pending:
                    with self._lock:
                        self._positions[key] = self._positions.get(key, 0) + 1
                    frame = _frame(message, stream, tag)
                    if frame is None:
                        continue
                    ws.send(frame)
                    sent += 1
                    if self.drop_after is not None and not self.dropped \
                            and sent >= self.drop_after:
                        self.dropped += 1
                        ws.close_socket()  # abrupt: no close frame, as a network failure
                        return
                if not pending:
                    ws.recv(timeout=0.05)  # wait for news; also notices the client leaving
            except TimeoutError:
                continue
            except ConnectionClosed:
                return


def _json(status: HTTPStatus, body: dict) -> Response:
    raw = orjson.dumps(body)
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(raw)))])
    return Response(status.value, status.phrase, headers, raw)


def _frame(message: Message, stream: str, tag: str) -> str | None:
    """The text frame of one message on this stream, or None when the stream would not carry
    it."""
    if isinstance(message, str):
        return message  # raw frame, for malformed-message tests
    event, payload = message
    if isinstance(payload, dict) and event in ("update", "status.update") \
            and not _carries(payload, stream, tag):
        return None
    names = [stream, tag] if stream.startswith("hashtag") else [stream]
    frame: dict = {"stream": names, "event": event}
    if payload is not None:
        frame["payload"] = payload if isinstance(payload, str) else orjson.dumps(payload).decode()
    return orjson.dumps(frame).decode()


def _carries(status: dict, stream: str, tag: str) -> bool:
    account = status.get("account")
    acct = account.get("acct") if isinstance(account, dict) else None
    local = isinstance(acct, str) and "@" not in acct
    if ":local" in stream and not local:
        return False
    if ":remote" in stream and local:
        return False
    if stream.endswith(":media") and not status.get("media_attachments"):
        return False
    if stream.startswith("hashtag"):
        tags = status.get("tags")
        names = {t.get("name", "").lower() for t in tags if isinstance(t, dict)} \
            if isinstance(tags, list) else set()
        return tag.lower() in names
    return True
