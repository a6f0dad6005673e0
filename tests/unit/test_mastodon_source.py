"""The Mastodon streaming source (ingest/sources/mastodon.py) against a local Mastodon-style
streaming server (tests/fakes/mastodon.py) sending the statuses of
tests/fixtures/mastodon/statuses.jsonl in Mastodon's wire format: every update and delete arrives
wrapped with its instance and parses as the fixture's own event does; a dropped connection
reconnects and later messages arrive; the token is sent; a refusal (401) is logged clearly and
retried without crashing; two instances and hashtag streams each get their own connection;
close() is prompt.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

import orjson
import pytest

from tests.fakes.mastodon import FakeMastodon
from tweektrend_dagster.ingest.sources.mastodon import MastodonSource, parse_instances, wrap
from tweektrend_dagster.tweets.checks import InvalidTweet
from tweektrend_dagster.tweets.events import Deletion
from tweektrend_dagster.tweets.mastodon import parse_mastodon
from tweektrend_dagster.tweets.model import Tweet

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon" / "statuses.jsonl"
EVENTS = [orjson.loads(line) for line in FIXTURE.read_bytes().splitlines()]
# the fixture's events of the main instance, as (event, payload) on the wire
MESSAGES = [(e["mastodon"]["event"], e["mastodon"]["payload"]) for e in EVENTS
            if isinstance(e["mastodon"], dict) and e["mastodon"].get("instance") ==
            "mastodon.social" and e["mastodon"].get("event") in ("update", "delete")
            and isinstance(e["mastodon"].get("payload"), dict | str)
            and len(orjson.dumps(e)) < 200_000]
FAST = {"backoff_initial": 0.05, "backoff_max": 0.2, "connect_timeout": 2.0,
        "refused_retry": 0.3}


def _status(n: int, content: str, acct: str = "alice", tags: tuple[str, ...] = ()) -> dict:
    return {"id": str(1000 + n), "created_at": "2025-12-04T12:00:00.000Z", "content": content,
            "account": {"id": "1", "acct": acct, "username": acct.split("@")[0],
                        "display_name": "", "followers_count": 1},
            "tags": [{"name": t, "url": f"https://x/tags/{t}"} for t in tags],
            "mentions": [], "media_attachments": [], "language": "en"}


class Collector:
    """Iterates a source's payloads() in a thread, as the producer does."""

    def __init__(self, source: MastodonSource) -> None:
        self.source = source
        self.items: list[dict] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for raw in self.source.payloads():
            self.items.append(orjson.loads(raw))

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.items) < count:
            assert self.thread.is_alive(), "payloads() ended on its own"
            assert time.monotonic() < deadline, f"timed out with {len(self.items)} payloads"
            time.sleep(0.02)
        return list(self.items)

    def close(self) -> float:
        started = time.monotonic()
        self.source.close()
        self.thread.join(5)
        assert not self.thread.is_alive(), "payloads() still running after close()"
        return time.monotonic() - started


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_updates_and_deletes_arrive_wrapped_with_their_instance_and_parse_like_the_fixture():
    assert len(MESSAGES) > 20
    with FakeMastodon(MESSAGES) as server:
        collector = Collector(MastodonSource(server.http_url, **FAST))
        items = collector.wait_for(len(MESSAGES))
        assert collector.close() < 1.5
    label = server.http_url.split("//")[1]
    assert [(i["mastodon"]["event"], i["mastodon"]["payload"]) for i in items] == MESSAGES
    assert {i["mastodon"]["instance"] for i in items} == {label}
    for item in items:
        assert item["mastodon"]["received_at"].endswith("Z")
    # each parses as the fixture line it came from, but under the instance it was read from
    deletions = 0
    for item, (event, payload) in zip(items, MESSAGES, strict=True):
        try:
            out = parse_mastodon(item)
        except InvalidTweet:
            continue
        status_id = payload if event == "delete" else payload["id"]
        assert out.id == f"{label}/{status_id}"
        if isinstance(out, Deletion):
            deletions += 1
        else:
            assert isinstance(out, Tweet) and out.network == "mastodon"
    assert deletions == 1
    # discovery asked the instance for its streaming host, then streamed the public timeline
    assert server.instance_requests == 1
    assert server.connections[0]["params"] == {"stream": ["public"]}
    assert server.connections[0]["authorization"] is None


def test_a_dropped_connection_reconnects_and_later_messages_arrive(caplog):
    caplog.set_level(logging.WARNING)
    first = [("update", _status(n, f"<p>before {n}</p>")) for n in range(5)]
    with FakeMastodon(first, drop_after=3) as server:
        collector = Collector(MastodonSource(server.url, **FAST))
        collector.wait_for(3)
        server.wait_for_connections(2, accepted=True)
        server.publish(*[("update", _status(n, f"<p>after {n}</p>")) for n in range(5, 8)],
                       ("delete", "1001"))
        items = collector.wait_for(9)
        collector.close()
    texts = [parse_mastodon(i) for i in items]
    ids = [t.id.rsplit("/", 1)[1] for t in texts]
    assert ids == [str(1000 + n) for n in range(8)] + ["1001"]
    assert isinstance(texts[-1], Deletion)
    assert server.dropped == 1
    assert any("connection to" in r.getMessage() and "lost" in r.getMessage()
               for r in caplog.records if r.levelno == logging.WARNING)


def test_the_token_travels_as_a_bearer_header():
    with FakeMastodon([("update", _status(1, "<p>hello</p>"))], token="s3cret") as server:
        source = MastodonSource(server.url, token="s3cret", **FAST)
        collector = Collector(source)
        items = collector.wait_for(1)
        collector.close()
    assert parse_mastodon(items[0]).text == "hello"
    assert server.connections[0]["authorization"] == "Bearer s3cret"
    assert "s3cret" not in " ".join(source.urls)  # never in a URL, where logs would keep it


def test_a_refusal_without_token_is_logged_clearly_and_retried(caplog):
    caplog.set_level(logging.WARNING)
    with FakeMastodon([("update", _status(1, "<p>hello</p>"))], token="s3cret") as server:
        collector = Collector(MastodonSource(server.url, **FAST))
        server.wait_for_connections(3)  # asked again, slowly, and never crashed
        assert collector.thread.is_alive()
        assert collector.items == []
        assert collector.close() < 1.5
    label = server.url.split("//")[1]
    refusals = [r.getMessage() for r in caplog.records if "HTTP 401" in r.getMessage()]
    assert refusals, [r.getMessage() for r in caplog.records]
    assert label in refusals[0] and "no token was given" in refusals[0]
    assert "token" in refusals[0].split("):", 1)[1]  # says what to configure
    assert all(c["status"] == 401 for c in server.connections)


def test_two_instances_each_stream_their_local_timeline():
    one = [("update", _status(1, "<p>from one</p>"))]
    two = [("update", _status(1, "<p>from two</p>")),
           ("update", _status(2, "<p>remote, not local</p>", acct="bob@elsewhere.social"))]
    with FakeMastodon(one) as first, FakeMastodon(two, discoverable=False) as second:
        source = MastodonSource(f"{first.url}, {second.http_url}", **FAST)
        assert source.stream == "public:local"
        collector = Collector(source)
        items = collector.wait_for(2)
        time.sleep(0.3)
        collector.close()
    posts = sorted((parse_mastodon(i) for i in collector.items), key=lambda t: t.text)
    assert [p.text for p in posts] == ["from one", "from two"]
    # the same status id on two servers stays two posts
    assert posts[0].id != posts[1].id
    assert posts[0].id.endswith("/1001") and posts[1].id.endswith("/1001")
    assert first.connections[0]["params"]["stream"] == ["public:local"]
    # an instance without discovery is streamed from its own host
    assert (first.instance_requests, second.instance_requests) == (0, 1)
    assert len(items) == 2


def test_hashtag_streams_follow_the_provided_keywords():
    statuses = [("update", _status(1, "<p>#BTS</p>", tags=("BTS",))),
                ("update", _status(2, "<p>#kpop</p>", tags=("kpop",))),
                ("update", _status(3, "<p>#other</p>", tags=("other",)))]
    followed = ["#BTS", "bts", " "]
    with FakeMastodon(statuses) as server:
        source = MastodonSource(server.url, stream="hashtag", hashtags_provider=lambda: followed,
                                hashtags_poll=0.1, **FAST)
        collector = Collector(source)
        collector.wait_for(1)
        followed.append("kpop")
        items = collector.wait_for(2)
        time.sleep(0.3)
        collector.close()
    assert sorted(parse_mastodon(i).text for i in items) == ["#BTS", "#kpop"]
    tags = sorted(c["params"]["tag"][0] for c in server.connections)
    assert tags == ["BTS", "kpop"]
    assert {c["params"]["stream"][0] for c in server.connections} == {"hashtag"}


def test_close_ends_payloads_promptly_even_while_reconnecting():
    source = MastodonSource(f"ws://127.0.0.1:{_closed_port()}", backoff_initial=30.0)
    collector = Collector(source)
    time.sleep(0.3)
    assert collector.close() < 1.5


def test_messages_that_are_not_statuses_still_reach_the_parser_with_a_reason():
    frames = ["not json at all", '{"stream":["public"],"event":"update","payload":"{broken"}',
              '{"stream":["public"],"event":"filters_changed"}',
              '{"error":"Unknown stream type","status":400}']
    with FakeMastodon(frames) as server:
        collector = Collector(MastodonSource(server.url, **FAST))
        items = collector.wait_for(3)
        time.sleep(0.2)
        collector.close()
    assert len(collector.items) == 3  # the server's error report is logged, not a post
    reasons = []
    for item in items:
        with pytest.raises(InvalidTweet) as caught:
            parse_mastodon(item)
        reasons.append(caught.value.reason)
    assert "without a name" in reasons[0]
    assert "payload is not JSON" in reasons[1]
    assert reasons[2] == "not a post: filters_changed event"


def test_wrap_keeps_a_delete_id_as_text_and_decodes_status_payloads():
    delete = orjson.loads(wrap("mastodon.social", '{"event":"delete","payload":"123"}'))
    assert delete["mastodon"]["payload"] == "123"
    update = orjson.loads(wrap("mastodon.social",
                               '{"event":"update","payload":"{\\"id\\":\\"5\\"}"}'))
    assert update["mastodon"]["payload"] == {"id": "5"}


def test_instances_are_hosts_or_urls():
    parsed = parse_instances("mastodon.social, https://Hachyderm.io/, ws://127.0.0.1:9/")
    assert [(i.label, i.web, i.streaming) for i in parsed] == [
        ("mastodon.social", "https://mastodon.social", None),
        ("hachyderm.io", "https://Hachyderm.io", None),
        ("127.0.0.1:9", None, "ws://127.0.0.1:9")]
    assert MastodonSource("mastodon.social").stream == "public"
    assert MastodonSource(["a.social", "b.social"], stream="").stream == "public:local"
    assert MastodonSource(["a.social", "b.social"], stream="public").stream == "public"
    for bad in ("", "ftp://x", "https://mastodon.social/@gargron"):
        with pytest.raises(ValueError):
            parse_instances(bad)
    with pytest.raises(ValueError, match="stream"):
        MastodonSource("mastodon.social", stream="user")
