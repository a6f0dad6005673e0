"""A local HTTP server for tests that answers like a remote API (the fake X API of
tests/unit/test_x_api_source.py and test_x_actions.py) and records every request it receives.

Subclass `RecordingHandler` with `do_GET`/`do_POST` that call `record()` and `send_json()`, keep the
fake's state on a `Recorder` (subclass it for more), and run both with `serve()`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit


class Recorder:
    """The fake server's state: every request received, and its base URL once serving."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.stopping = threading.Event()  # set at shutdown, for handlers that keep streaming
        self.lock = threading.Lock()
        self.url = ""


R = TypeVar("R", bound=Recorder)


class RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    recorder: Recorder  # set by serve()

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def record(self, body: bytes | None) -> str:
        """Append {method, path, query, auth, body} to the recorder; returns the path."""
        parts = urlsplit(self.path)
        with self.recorder.lock:
            self.recorder.requests.append(
                {
                    "method": self.command,
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "auth": self.headers.get("Authorization"),
                    "body": json.loads(body) if body else None,
                }
            )
        return parts.path

    def send_json(self, status: int, obj: dict) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def serve(recorder: R, handler: type[RecordingHandler]) -> Iterator[R]:
    """Serve `handler` on 127.0.0.1 (ephemeral port) with `recorder.url` set, until exit."""
    bound = type(handler.__name__, (handler,), {"recorder": recorder})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recorder
    finally:
        recorder.stopping.set()
        server.shutdown()
        server.server_close()
