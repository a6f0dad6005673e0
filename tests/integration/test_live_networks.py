"""Bluesky and Mastodon as live sources on the real servers, against local fakes that speak
their documented protocols: posts reach Cassandra and the live feed; a dropped connection, a
restart of the source and malformed events lose nothing and stop nothing (bad events go to the
dead-letter topic with their reason); a delete event removes the post everywhere it was shown."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from streamlit_app import queries
from tests.fakes.jetstream import FakeJetstream
from tests.fakes.mastodon import FakeMastodon
from tests.integration.ingest_helpers import (
    WorkerThread,
    applying_events,
    keyword_pipeline,
    read_all,
)
from tests.support.post_ids import bluesky_id, mastodon_id
from tweektrend_dagster.contracts import names
from tweektrend_dagster.ingest.dlq import header_dict
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.ingest.sources.bluesky import JetstreamSource
from tweektrend_dagster.ingest.sources.mastodon import MastodonSource

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
POST = "app.bsky.feed.post"


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Jetstream:
    """Jetstream events of a few authors, one second apart."""

    def __init__(self) -> None:
        self.n = 0

    def _next(self) -> tuple[datetime, int]:
        self.n += 1
        at = NOW + timedelta(seconds=self.n)
        return at, int(at.timestamp() * 1_000_000)

    def post(self, text: object, author: str = "did:plc:alice") -> tuple[dict, str]:
        at, us = self._next()
        uri = bluesky_id(author, at, self.n)
        record = {"$type": POST, "text": text, "createdAt": _iso(at), "langs": ["ko"]}
        event = {"did": author, "time_us": us, "kind": "commit", "commit": {
            "rev": f"rev{self.n}", "operation": "create", "collection": POST,
            "rkey": uri.rpartition("/")[2], "record": record, "cid": f"cid{self.n}"}}
        return event, uri

    def delete(self, uri: str) -> dict:
        _, us = self._next()
        did, _, rest = uri.removeprefix("at://").partition("/")
        return {"did": did, "time_us": us, "kind": "commit", "commit": {
            "rev": f"rev{self.n}", "operation": "delete", "collection": POST,
            "rkey": rest.rpartition("/")[2]}}

    def identity(self) -> dict:
        _, us = self._next()
        return {"did": "did:plc:alice", "time_us": us, "kind": "identity",
                "identity": {"did": "did:plc:alice", "handle": "alice.bsky.social", "seq": 1,
                             "time": _iso(NOW)}}


@pytest.fixture
def pipeline(keyspace_settings):
    with keyword_pipeline(keyspace_settings, "코로나") as (settings, registry, _):
        yield settings, registry


def _produce(settings, registry, source) -> tuple[TweetProducer, threading.Thread]:  # noqa: ANN001
    producer = TweetProducer(settings, KeywordWatch(registry), network=source.name)
    thread = threading.Thread(target=producer.run, args=(source.payloads(),), daemon=True)
    thread.start()
    return producer, thread


def _stop(source, thread: threading.Thread) -> None:  # noqa: ANN001
    source.close()
    thread.join(30)
    assert not thread.is_alive()


def _wait_for(check, timeout: float = 90.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.3)


def _stored(cassandra, keyspace: str, network: str) -> set[str]:  # noqa: ANN001
    rows = cassandra.execute(f"SELECT network, id FROM {keyspace}.{names.RAW_TABLE}", timeout=60)
    return {r.id for r in rows if r.network == network}


def _feed(cassandra, network: str) -> set[str]:  # noqa: ANN001
    rows = queries.fetch_live(cassandra, "코로나", limit=200, now=NOW + timedelta(minutes=10))
    return {r["id"] for r in rows if r["network"] == network}


def test_bluesky_through_a_drop_a_restart_bad_events_and_a_delete(pipeline, cassandra, tmp_path):
    settings, registry = pipeline
    js = Jetstream()
    first = [js.post(f"코로나 소식 {i}" if i % 2 else f"hello {i}") for i in range(16)]
    bad = [js.post(12345)[0], js.post("코로나 " + "가" * 1_000_000)[0], js.identity()]
    second = [js.post(f"코로나 두 번째 {i}") for i in range(6)]
    doomed = first[1][1]  # a post that matched 코로나
    history = [e for e, _ in first] + bad
    cursor = tmp_path / "cursor"

    with FakeJetstream(history, drop_after=7, live_tail=False) as server, \
            WorkerThread(settings, KeywordWatch(registry)):
        source = JetstreamSource(server.url, cursor_file=cursor, rewind_seconds=2,
                                 backoff_initial=0.1)
        producer, thread = _produce(settings, registry, source)
        _wait_for(lambda: _stored(cassandra, settings.keyspace, "bluesky") >= {u for _, u in first})
        assert server.dropped == 1 and len(server.queries) >= 2  # it reconnected
        _wait_for(lambda: producer.dead + producer.skipped >= 3)
        _stop(source, thread)
        stopped_at = int(cursor.read_text())
        assert stopped_at >= max(e["time_us"] for e in history[:-1])

        # a restart resumes from its cursor: the posts published meanwhile all arrive
        server.publish(*[e for e, _ in second], js.delete(doomed))
        source = JetstreamSource(server.url, cursor_file=cursor, rewind_seconds=2)
        producer, thread = _produce(settings, registry, source)
        wanted = {u for _, u in first + second}
        _wait_for(lambda: _stored(cassandra, settings.keyspace, "bluesky") >= wanted - {doomed})
        _wait_for(lambda: producer.events >= 1)
        _stop(source, thread)
        resumed = server.params(len(server.queries) - 1)["cursor"][0]
        assert int(resumed) == stopped_at - 2_000_000  # its cursor minus the rewind

    matched = {u for e, u in first + second if "코로나" in e["commit"]["record"]["text"]}
    assert _feed(cassandra, "bluesky") == matched
    letters = read_all(settings, settings.dlq_topic, 2)
    reasons = sorted(header_dict(m.headers())["error"] for m in letters)
    assert len(reasons) == 2 and "text is not a string" in reasons[1], reasons
    assert "huge text" in reasons[0], reasons

    with applying_events(settings):
        _wait_for(lambda: doomed not in _stored(cassandra, settings.keyspace, "bluesky"))
    assert _feed(cassandra, "bluesky") == matched - {doomed}
    assert _stored(cassandra, settings.keyspace, "bluesky") == wanted - {doomed}


def _status(local_id: str, text: str, at: datetime, acct: str = "gildong") -> dict:
    return {
        "id": local_id, "uri": f"https://mastodon.example/users/{acct}/statuses/{local_id}",
        "url": f"https://mastodon.example/@{acct}/{local_id}",
        "created_at": _iso(at), "content": f"<p>{text}</p>", "language": "ko",
        "visibility": "public", "sensitive": False, "spoiler_text": "",
        "account": {"id": "1", "username": acct, "acct": acct, "display_name": "홍길동",
                    "followers_count": 12},
        "reblogs_count": 1, "favourites_count": 2, "replies_count": 0,
        "media_attachments": [], "mentions": [], "tags": [], "emojis": [],
        "application": {"name": "Tusky"},
    }


def test_mastodon_statuses_a_dropped_stream_a_bad_event_and_a_delete(pipeline, cassandra):
    settings, registry = pipeline
    ids = [mastodon_id("h", NOW + timedelta(seconds=i), i).partition("/")[2] for i in range(8)]
    statuses = [("update", _status(i, f"코로나 툿 {n}", NOW + timedelta(seconds=n)))
                for n, i in enumerate(ids)]
    bad = [("update", {**_status("77", "no account", NOW), "account": None}),
           ("notification", {"id": "5", "type": "mention"})]
    with FakeMastodon([*statuses[:5], *bad, *statuses[5:]], token="secret",
                      drop_after=3) as server, WorkerThread(settings, KeywordWatch(registry)):
        source = MastodonSource(server.http_url, token="secret", backoff_initial=0.1)
        producer, thread = _produce(settings, registry, source)
        host = server.http_url.removeprefix("http://")  # what post ids carry
        wanted = {f"{host}/{i}" for i in ids}
        _wait_for(lambda: _stored(cassandra, settings.keyspace, "mastodon") >= wanted)
        assert server.dropped == 1
        server.publish(("delete", ids[2]))
        _wait_for(lambda: producer.events >= 1)
        _stop(source, thread)
    assert producer.dead == 1 and producer.skipped == 1
    assert all(c["authorization"] == "Bearer secret" for c in server.connections
               if c["path"].startswith("/api/v1/streaming"))
    (letter,) = read_all(settings, settings.dlq_topic, 1)
    assert "account" in header_dict(letter.headers())["error"]
    assert _feed(cassandra, "mastodon") == wanted

    with applying_events(settings):
        _wait_for(lambda: f"{host}/{ids[2]}" not in _stored(cassandra, settings.keyspace,
                                                            "mastodon"))
    assert _feed(cassandra, "mastodon") == wanted - {f"{host}/{ids[2]}"}
    links = {queries.post_url("mastodon", i, "gildong") for i in wanted}
    assert f"https://{host}/@gildong/{ids[0]}" in links
