"""The Bluesky Jetstream source (ingest/sources/bluesky.py) against a local Jetstream-style server
(tests/fakes/jetstream.py) replaying the recorded-format events of
tests/fixtures/bluesky/jetstream_events.jsonl: everything arrives as sent, a dropped connection
resumes from the cursor minus the rewind with nothing lost, a restart resumes from the cursor file,
close() is prompt and an unreachable instance is retried.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

import orjson
import pytest

from tests.fakes.jetstream import FakeJetstream
from tweektrend_dagster.ingest.sources.bluesky import DEFAULT_COLLECTIONS, JetstreamSource

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "bluesky" / "jetstream_events.jsonl"
LINES = FIXTURE.read_bytes().splitlines()
REWIND = 2.0  # fixture events are 0.4 s apart: a reconnect replays about five of them
FAST = {"backoff_initial": 0.05, "backoff_max": 0.2, "connect_timeout": 2.0}


def _time_us(raw: bytes) -> int | None:
    try:
        value = orjson.loads(raw).get("time_us")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return value if type(value) is int else None


def _wanted(raw: bytes) -> bool:
    """What Jetstream sends for the default collections: their commits, and identity and
    account events (sent to every subscriber)."""
    commit = orjson.loads(raw).get("commit")
    collection = commit.get("collection") if isinstance(commit, dict) else None
    return type(collection) is not str or collection in DEFAULT_COLLECTIONS


EXPECTED = [line for line in LINES if _wanted(line)]
EXPECTED_TIMES = {_time_us(line) for line in EXPECTED} - {None}


class Collector:
    """Iterates a source's payloads() in a thread, as the producer does."""

    def __init__(self, source: JetstreamSource) -> None:
        self.source = source
        self.items: list[bytes] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for raw in self.source.payloads():
            self.items.append(raw)

    def times(self) -> set[int]:
        return {_time_us(raw) for raw in list(self.items)} - {None}

    def wait_until(self, done, timeout: float = 20.0) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while not done():
            assert self.thread.is_alive(), "payloads() ended on its own"
            assert time.monotonic() < deadline, f"timed out with {len(self.items)} payloads"
            time.sleep(0.02)

    def close(self) -> float:
        """Close the source; how long payloads() took to end."""
        started = time.monotonic()
        self.source.close()
        self.thread.join(5)
        assert not self.thread.is_alive(), "payloads() still running after close()"
        return time.monotonic() - started


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server():
    with FakeJetstream() as fake:
        yield fake


def test_every_event_arrives_as_sent_in_order(server):
    source = JetstreamSource(server.url, rewind_seconds=REWIND, **FAST)
    got = Collector(source)
    server.wait_for_connections(1)
    server.publish(*LINES)
    got.wait_until(lambda: len(got.items) >= len(EXPECTED))
    assert got.close() < 1.5
    assert got.items == EXPECTED  # byte for byte, the 1 MB post included
    params = server.params(0)
    assert params["wantedCollections"] == list(DEFAULT_COLLECTIONS)
    assert "cursor" not in params  # no cursor file: start at the live tail
    assert source.cursor == max(EXPECTED_TIMES)


def test_a_dropped_connection_resumes_from_the_cursor_minus_the_rewind(server, tmp_path, caplog):
    caplog.set_level(logging.WARNING, "tweektrend_dagster.ingest.sources.bluesky")
    server.drop_after = 12
    cursor_file = tmp_path / "state" / "jetstream.cursor"
    source = JetstreamSource(server.url, cursor_file=cursor_file, rewind_seconds=REWIND, **FAST)
    got = Collector(source)
    server.wait_for_connections(1)
    server.publish(*LINES)
    got.wait_until(lambda: got.times() >= EXPECTED_TIMES)
    # the cursor file follows while running, not only at close
    got.wait_until(lambda: cursor_file.exists()
                   and int(cursor_file.read_text()) == max(EXPECTED_TIMES), timeout=5)
    got.close()

    assert server.dropped == 1 and len(server.queries) == 2
    before_drop = max(_time_us(raw) for raw in server.sent[0] if _time_us(raw))
    resumed_at = int(server.params(1)["cursor"][0])
    assert resumed_at == before_drop - int(REWIND * 1_000_000)
    assert server.params(1)["wantedCollections"] == list(DEFAULT_COLLECTIONS)
    # nothing lost; the rewound seconds arrive twice, for the idempotent writes to absorb
    assert got.times() == EXPECTED_TIMES
    replayed = [raw for raw in server.sent[1] if (_time_us(raw) or before_drop + 1) <= before_drop]
    assert replayed and all(raw in got.items[:12] for raw in replayed)
    assert len(got.items) == len(EXPECTED) + len(replayed)
    assert int(cursor_file.read_text()) == max(EXPECTED_TIMES)
    assert any("lost" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert [p.name for p in cursor_file.parent.iterdir()] == ["jetstream.cursor"]  # no temp left


def test_a_restart_resumes_from_the_cursor_file(server, tmp_path):
    cursor_file = tmp_path / "jetstream.cursor"
    half = len(LINES) // 2
    first_half = [line for line in LINES[:half] if _wanted(line)]
    source = JetstreamSource(server.url, cursor_file=cursor_file, rewind_seconds=REWIND, **FAST)
    got = Collector(source)
    server.wait_for_connections(1)
    server.publish(*LINES[:half])
    got.wait_until(lambda: len(got.items) >= len(first_half))
    got.close()
    stopped_at = int(cursor_file.read_text())
    assert stopped_at == max(_time_us(line) for line in first_half)

    server.publish(*LINES[half:])  # posted while the source was down
    restarted = JetstreamSource(server.url, cursor_file=cursor_file, rewind_seconds=REWIND,
                                **FAST)
    again = Collector(restarted)
    again.wait_until(lambda: got.times() | again.times() >= EXPECTED_TIMES)
    again.close()
    assert int(server.params(1)["cursor"][0]) == stopped_at - int(REWIND * 1_000_000)
    assert min(again.times()) >= stopped_at - int(REWIND * 1_000_000)
    assert int(cursor_file.read_text()) == max(EXPECTED_TIMES)


def test_unreadable_messages_are_yielded_and_never_move_the_cursor(server, tmp_path):
    cursor_file = tmp_path / "jetstream.cursor"
    posts = [line for line in LINES[:6] if _wanted(line)]
    junk = [
        b"not json at all",
        b'{"kind": "commit", "did": "did:plc:x"}',  # no time_us
        b'{"time_us": "1764849700000000", "kind": "commit"}',  # a string
        b'{"time_us": 4102444800000000, "kind": "commit"}',  # the year 2100
        b"\xff\xfe broken utf-8",
    ]
    source = JetstreamSource(server.url, cursor_file=cursor_file, rewind_seconds=REWIND, **FAST)
    got = Collector(source)
    server.wait_for_connections(1)
    server.publish(*posts, *junk)
    got.wait_until(lambda: len(got.items) >= len(posts) + len(junk))
    got.close()
    assert got.items == posts + junk
    assert int(cursor_file.read_text()) == max(_time_us(line) for line in posts)


def test_an_unreachable_instance_is_retried_on_the_next(server, caplog):
    caplog.set_level(logging.WARNING, "tweektrend_dagster.ingest.sources.bluesky")
    dead = f"ws://127.0.0.1:{_closed_port()}"
    source = JetstreamSource([dead, server.url], rewind_seconds=REWIND, **FAST)
    got = Collector(source)
    server.wait_for_connections(1)
    server.publish(*LINES[:5])
    got.wait_until(lambda: len(got.items) >= 5)
    got.close()
    assert got.items == [line for line in LINES[:5] if _wanted(line)]
    assert source.urls[0].startswith(dead) and source.urls[1].startswith(server.url)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(dead.removeprefix("ws://") in w for w in warnings)


def test_nothing_reachable_keeps_retrying_without_raising_and_closes_promptly():
    dead = f"ws://127.0.0.1:{_closed_port()}"
    source = JetstreamSource(dead, rewind_seconds=REWIND, **FAST)
    got = Collector(source)
    got.wait_until(lambda: len(source.urls) >= 4, timeout=10)
    assert got.close() < 1.5
    assert got.items == [] and source.connections == 0


def test_close_is_prompt_while_waiting_for_events(server):
    source = JetstreamSource(server.url, **FAST)
    got = Collector(source)
    server.wait_for_connections(1)
    time.sleep(0.3)
    assert got.close() < 1.5


def test_a_cursor_file_without_a_cursor_starts_live(server, tmp_path, caplog):
    caplog.set_level(logging.WARNING, "tweektrend_dagster.ingest.sources.bluesky")
    cursor_file = tmp_path / "jetstream.cursor"
    cursor_file.write_text("half-written")
    source = JetstreamSource(server.url, cursor_file=cursor_file, **FAST)
    got = Collector(source)
    server.wait_for_connections(1)
    got.close()
    assert "cursor" not in server.params(0)
    assert any("holds no cursor" in r.getMessage() for r in caplog.records)
    assert cursor_file.read_text() == "half-written"  # nothing taken: nothing to replace it


def test_endpoints_and_collections_shape_the_subscribe_url(tmp_path):
    cursor_file = tmp_path / "jetstream.cursor"
    cursor_file.write_text("1764849600400000\n")
    source = JetstreamSource(
        "wss://a.example/subscribe, wss://b.example/", collections=["app.bsky.feed.post"],
        cursor_file=cursor_file, rewind_seconds=5,
    )
    assert source.endpoints == ("wss://a.example/subscribe", "wss://b.example")
    assert source._url(source.endpoints[1]) == (
        "wss://b.example/subscribe?wantedCollections=app.bsky.feed.post&cursor=1764849595400000"
    )
    assert source.name == "bluesky" and source.cursor == 1764849600400000
    for bad in ("https://jetstream.example", "", "jetstream2.us-east.bsky.network"):
        with pytest.raises(ValueError):
            JetstreamSource(bad)


def test_a_consumer_that_stops_iterating_keeps_only_what_it_took(tmp_path):
    cursor_file = tmp_path / "jetstream.cursor"
    posts = [line for line in LINES if _wanted(line)][:5]
    with FakeJetstream(posts, live_tail=False) as server:
        source = JetstreamSource(server.url, cursor_file=cursor_file, **FAST)
        stream = source.payloads()
        got = [next(stream) for _ in range(5)]
        stream.close()  # the producer stopped after the fifth, maybe before handling it
    assert got == posts
    # an event counts as handled once the next is asked for: the fifth will come again
    assert int(cursor_file.read_text()) == _time_us(posts[3])
    assert source.cursor == _time_us(posts[3])
    assert source.lag == pytest.approx(time.time() - _time_us(posts[3]) / 1e6, abs=5)
    assert not source._thread.is_alive()



def test_a_failing_reader_is_raised_from_payloads_not_a_silent_stall(server, monkeypatch):
    def broken(raw: bytes) -> None:
        raise KeyError("a bug in the reader")

    monkeypatch.setattr("tweektrend_dagster.ingest.sources.bluesky._time_us", broken)
    source = JetstreamSource(server.url, **FAST)

    def publish_once_connected() -> None:
        server.wait_for_connections(1)
        server.publish(LINES[0])

    threading.Thread(target=publish_once_connected, daemon=True).start()
    with pytest.raises(RuntimeError, match="reader failed"):
        next(source.payloads())
