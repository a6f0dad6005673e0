"""X API v2 sources against a local server that answers like X (recorded v2 wire format).

The server (tests/fake_http.py: http.server on 127.0.0.1, ephemeral port) serves the rules
endpoints with X's response shapes and the stream endpoints as chunked, newline-delimited bodies
with keep-alives (tests/fixtures/x_api/*.jsonl, one recorded body each); tweepy is pointed at it
through `api_base`, so the real tweepy code paths (threaded stream, reconnects, rules calls) run.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import orjson
import pytest

from tests.fake_http import Recorder, RecordingHandler, serve
from tests.support.rule_cases import POSTS
from tweektrend_dagster.ingest.sources import make_source
from tweektrend_dagster.ingest.sources.x_api import (
    XFilteredStream,
    XSampleStream,
    make_client,
    rule_value,
    sync_rules,
)
from tweektrend_dagster.keywords.rules import RuleSet, legacy_rule, parse_rule
from tweektrend_dagster.tweets import Tweet
from tweektrend_dagster.tweets.parsers import parse_payload
from tweektrend_dagster.x.http import (
    BEARER_TOKEN_ENV,
    MissingBearerToken,
    XApiError,
    bearer_token_from_env,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x_api"
FILTER_PATH = "/2/tweets/search/stream"
SAMPLE_PATH = "/2/tweets/sample/stream"
RULES_PATH = "/2/tweets/search/stream/rules"


def _body(name: str) -> list[bytes]:
    """A recorded stream body: one payload a line, empty lines are keep-alives."""
    return [line.rstrip(b"\n") for line in (FIXTURES / name).read_bytes().splitlines(True)]


def _ids(lines: list[bytes]) -> list[str]:
    return [orjson.loads(x)["data"]["id"] for x in lines if x and b'"data"' in x]


class FakeX(Recorder):
    """State of the fake X API: rules, recorded stream bodies, and every request received."""

    def __init__(self) -> None:
        super().__init__()
        initial = json.loads((FIXTURES / "rules_initial.json").read_text())
        self.rules: dict[str, dict] = {r["id"]: r for r in initial["data"]}
        self.bodies: dict[str, list[list[bytes]]] = {}  # path -> one body per connection
        self.connections: dict[str, int] = {}
        self.status: dict[str, int] = {}
        self.reject_values: set[str] = set()
        self.next_rule_id = 1605900000000001000

    # -- rules, as X answers them --
    def get_rules(self) -> dict:
        meta = {"sent": "2022-12-22T08:14:00.000Z", "result_count": len(self.rules)}
        if not self.rules:
            return {"meta": meta}
        return {"data": list(self.rules.values()), "meta": meta}

    def post_rules(self, body: dict) -> dict:
        sent = "2022-12-22T08:14:01.000Z"
        if "delete" in body:
            ids = body["delete"]["ids"]
            errors = []
            for rid in ids:
                if self.rules.pop(rid, None) is None:
                    errors.append(
                        {
                            "value": rid,
                            "details": ["Rule does not exist"],
                            "title": "Invalid Rule",
                            "type": "https://api.twitter.com/2/problems/invalid-rules",
                        }
                    )
            out: dict = {
                "meta": {
                    "sent": sent,
                    "summary": {"deleted": len(ids) - len(errors), "not_deleted": len(errors)},
                }
            }
            if errors:
                out["errors"] = errors
            return out
        created, errors = [], []
        values = {r["value"]: r["id"] for r in self.rules.values()}
        for rule in body["add"]:
            if rule["value"] in self.reject_values:
                errors.append(
                    {
                        "value": rule["value"],
                        "details": ["Rule is invalid"],
                        "title": "UnprocessableEntity",
                        "type": "https://api.twitter.com/2/problems/invalid-rules",
                    }
                )
            elif rule["value"] in values:
                errors.append(
                    {
                        "value": rule["value"],
                        "id": values[rule["value"]],
                        "title": "DuplicateRule",
                        "type": "https://api.twitter.com/2/problems/duplicate-rules",
                    }
                )
            else:
                self.next_rule_id += 1
                new = {"value": rule["value"], "tag": rule.get("tag"), "id": str(self.next_rule_id)}
                if new["tag"] is None:
                    del new["tag"]
                self.rules[new["id"]] = new
                created.append(new)
        out = {
            "meta": {
                "sent": sent,
                "summary": {
                    "created": len(created),
                    "not_created": len(errors),
                    "valid": len(created),
                    "invalid": len(errors),
                },
            }
        }
        if created:
            out["data"] = created
        if errors:
            out["errors"] = errors
        return out


class FakeXHandler(RecordingHandler):
    recorder: FakeX

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.record(None)
        if path in self.recorder.status:
            self.send_json(
                self.recorder.status[path],
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": self.recorder.status[path],
                    "detail": "Unauthorized",
                },
            )
        elif path == RULES_PATH:
            self.send_json(200, self.recorder.get_rules())
        elif path in (FILTER_PATH, SAMPLE_PATH):
            self._stream(path)
        else:
            self.send_json(404, {"title": "Not Found Error"})

    def do_POST(self) -> None:  # noqa: N802
        body = self.read_body()
        path = self.record(body)
        if path != RULES_PATH:
            self.send_json(404, {"title": "Not Found Error"})
            return
        with self.recorder.lock:
            self.send_json(200, self.recorder.post_rules(json.loads(body)))

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _stream(self, path: str) -> None:
        with self.recorder.lock:
            n = self.recorder.connections.get(path, 0)
            self.recorder.connections[path] = n + 1
        bodies = self.recorder.bodies.get(path, [])
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if n < len(bodies):
                for line in bodies[n]:
                    self._chunk(line + b"\r\n")  # X ends each payload with \r\n
                if n < len(bodies) - 1 or bodies[n][-1].startswith(b'{"errors"'):
                    self.wfile.write(b"0\r\n\r\n")  # X closes: the client reconnects
                    self.close_connection = True
                    return
            deadline = time.monotonic() + 20
            while not self.recorder.stopping.is_set() and time.monotonic() < deadline:
                self._chunk(b"\r\n")  # keep-alive (X sends one every 20 s)
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


@pytest.fixture
def fake_x():
    with serve(FakeX(), FakeXHandler) as fake:
        yield fake


def _take(source, n: int, timeout: float = 10.0) -> list[bytes]:
    """The first n payloads, failing instead of hanging if they do not come."""
    out: list[bytes] = []
    done = threading.Event()

    def run() -> None:
        for p in source.payloads():
            out.append(p)
            if len(out) >= n:
                break
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(timeout), f"got {len(out)} of {n} payloads"
    return out


# ---- configuration ------------------------------------------------------------------------------


def test_missing_token_names_the_variable(monkeypatch):
    monkeypatch.delenv(BEARER_TOKEN_ENV, raising=False)
    with pytest.raises(MissingBearerToken, match=BEARER_TOKEN_ENV):
        bearer_token_from_env()
    with pytest.raises(MissingBearerToken, match=BEARER_TOKEN_ENV):
        make_source("x-api", keywords=["bts"])
    monkeypatch.setenv(BEARER_TOKEN_ENV, "  ")
    with pytest.raises(MissingBearerToken):
        XSampleStream()


def test_rule_values():
    assert rule_value("bts") == "bts"
    assert rule_value("코로나") == "코로나"
    assert rule_value("covid19") == "covid19"
    assert rule_value("squid  game") == '"squid game"'
    assert rule_value('say "hi"') == '"say \\"hi\\""'
    assert rule_value("-is:retweet") == '"-is:retweet"'  # never an operator
    assert rule_value("OR") == '"OR"'
    assert rule_value("c++") == '"c++"'


# ---- rules ---------------------------------------------------------------------------------------


def test_sync_rules_adds_and_deletes(fake_x):
    client = make_client("test-token", api_base=fake_x.url)
    added, deleted, inexact = sync_rules(client, ["코로나", "bts", "squid game", "넷플릭스", "bts"])
    assert inexact == {}
    # 코로나 was right already; bitcoin is no longer wanted; "squid game" had an unquoted value;
    # the untagged rule is not ours to keep.
    assert added == ["bts", "squid game", "넷플릭스"]
    assert deleted == ["bitcoin", "squid game", "cat has:images"]
    rules = sorted((r["tag"], r["value"]) for r in fake_x.rules.values())
    assert rules == [
        ("bts", "bts"),
        ("squid game", '"squid game"'),
        ("넷플릭스", "넷플릭스"),
        ("코로나", "코로나"),
    ]
    posts = [r for r in fake_x.requests if r["method"] == "POST"]
    assert posts[0]["body"] == {
        "delete": {"ids": ["1605900000000000010", "1605900000000000011", "1605900000000000012"]}
    }
    assert posts[1]["body"] == {
        "add": [
            {"value": "bts", "tag": "bts"},
            {"value": '"squid game"', "tag": "squid game"},
            {"value": "넷플릭스", "tag": "넷플릭스"},
        ]
    }
    assert all(r["auth"] == "Bearer test-token" for r in fake_x.requests)

    # Nothing changed: one GET, no POST.
    before = len(fake_x.requests)
    assert sync_rules(client, ["bts", "코로나", "넷플릭스", "squid game"]) == ([], [], {})
    assert [r["method"] for r in fake_x.requests[before:]] == ["GET"]

    # Everything removed.
    added, deleted, _ = sync_rules(client, [])
    assert added == [] and sorted(deleted) == ["bts", "squid game", "넷플릭스", "코로나"]
    assert fake_x.rules == {}


def test_sync_rules_batches_within_limits(fake_x):
    client = make_client("t", api_base=fake_x.url)
    keywords = [f"kw{i}" for i in range(250)]
    added, deleted, _ = sync_rules(client, keywords, batch_size=100)
    assert added == keywords
    assert len(deleted) == 4
    adds = [r["body"]["add"] for r in fake_x.requests if r["body"] and "add" in r["body"]]
    assert [len(b) for b in adds] == [100, 100, 50]
    added, deleted, _ = sync_rules(client, keywords[:10], batch_size=100)
    deletes = [
        r["body"]["delete"]["ids"] for r in fake_x.requests if r["body"] and "delete" in r["body"]
    ]
    assert [len(d) for d in deletes[1:]] == [100, 100, 40]
    assert added == [] and deleted == keywords[10:]


def test_sync_rules_reports_rejected_and_invalid_keywords(fake_x, caplog):
    client = make_client("t", api_base=fake_x.url)
    fake_x.reject_values.add("badword")
    long_kw = "x" * 600  # not a keyword: too long
    added, _, _ = sync_rules(client, ["bts", "badword", long_kw])
    assert added == ["bts"]
    assert sorted(r.get("tag") for r in fake_x.rules.values()) == ["bts"]
    sent = [
        a["value"]
        for r in fake_x.requests
        if r["body"] and "add" in r["body"]
        for a in r["body"]["add"]
    ]
    assert long_kw not in sent and "badword" in sent
    assert "badword" in caplog.text and "keyword too long" in caplog.text


def _stored(client) -> dict[str, str]:
    """The stream rules as the rules endpoint returns them: {tag: value}."""
    response = client.get_rules()
    return {r.tag: r.value for r in response.data or []}


def test_a_topics_rule_round_trips_through_the_rule_endpoints(fake_x):
    client = make_client("t", api_base=fake_x.url)
    topic = parse_rule("(코로나 OR covid OR #COVID19) -(게임 OR 주식) lang:ko -is:retweet")
    bare = legacy_rule("squid game")
    followed = {topic.key: topic, bare.key: bare.canonical}
    result = sync_rules(client, followed)
    assert sorted(result.added) == sorted([topic.key, "squid game"]) and result.inexact == {}
    stored = _stored(client)
    assert stored == {
        topic.key: "(코로나 OR covid OR #covid19) -게임 -주식 lang:ko -is:retweet",
        "squid game": '"squid game"',
    }
    # What X holds reads back as a rule of the same meaning: the same posts of the rule table.
    tweets = [Tweet.from_json(orjson.dumps(post)) for post in POSTS.values()]
    back = RuleSet({"x": parse_rule(stored[topic.key])})
    mine = RuleSet({"x": topic})
    assert [back.match(t) for t in tweets] == [mine.match(t) for t in tweets]
    assert any(mine.match(t) for t in tweets)
    # Nothing changed: nothing sent.
    before = len(fake_x.requests)
    assert sync_rules(client, followed) == ([], [], {})
    assert [r["method"] for r in fake_x.requests[before:]] == ["GET"]


def test_a_long_rule_is_split_under_tags_and_shrinks_back(fake_x):
    client = make_client("t", api_base=fake_x.url)
    long_rule = parse_rule("(" + " OR ".join(f"word{i}" for i in range(150)) + ") -is:retweet")
    result = sync_rules(client, {long_rule.key: long_rule})
    parts = sorted(result.added)
    assert len(parts) >= 3 and result.inexact == {}
    assert parts[0] == long_rule.key and parts[1:] == [
        f"{long_rule.key}#{n}" for n in range(2, len(parts) + 1)
    ]
    stored = _stored(client)
    assert all(len(v) <= 512 and v.endswith(") -is:retweet") for v in stored.values())
    words = {w for v in stored.values() for w in v[1 : v.index(")")].split(" OR ")}
    assert words == {f"word{i}" for i in range(150)}
    # Edited to a short rule: the extra parts go.
    short = parse_rule("word1 -is:retweet")
    result = sync_rules(client, {short.key: short})
    assert sorted(result.deleted) == parts and _stored(client) == {short.key: "word1 -is:retweet"}


def test_what_x_cannot_receive_exactly_is_returned_and_logged(fake_x, caplog):
    caplog.set_level(logging.INFO, logger="tweektrend_dagster.ingest.sources.x_api")
    client = make_client("t", api_base=fake_x.url)
    brand = parse_rule("apple -(pie crust) lang:en")
    result = sync_rules(client, {brand.key: brand, "apple": legacy_rule("apple")})
    assert list(result.inexact) == [brand.key]
    assert "-(pie crust)" in result.inexact[brand.key]
    assert brand.key in caplog.text and "not sent to X exactly" in caplog.text
    assert _stored(client) == {brand.key: "apple lang:en", "apple": "apple"}
    # Two rules whose X values coincide: X gets the value once (it refuses duplicates).
    loose = parse_rule("apple -(pie crust)")
    result = sync_rules(client, {"apple": legacy_rule("apple"), loose.key: loose})
    assert _stored(client) == {"apple": "apple"} and list(result.inexact) == [loose.key]


def test_rules_provider_resyncs_changed_rules(fake_x):
    fake_x.bodies[FILTER_PATH] = []  # only keep-alives
    first = parse_rule("코로나 -게임")
    wanted = {first.key: first.canonical}
    src = XFilteredStream(
        rules_provider=lambda: dict(wanted),
        rules_interval=0.1,
        max_rule_length=1024,
        bearer_token="tok",
        api_base=fake_x.url,
    )
    it = src.payloads()
    threading.Thread(target=lambda: next(it, None), daemon=True).start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and set(_stored(src.rules_client)) != {first.key}:
        time.sleep(0.05)
    assert _stored(src.rules_client) == {first.key: "코로나 -게임"}
    edited = parse_rule("코로나 -게임 -주식")
    wanted.clear()
    wanted[edited.key] = edited.canonical
    while time.monotonic() < deadline and set(_stored(src.rules_client)) != {edited.key}:
        time.sleep(0.05)
    assert _stored(src.rules_client) == {edited.key: "코로나 -게임 -주식"}
    # The plan's rule length is used: a 600-character rule fits in one rule on 1024.
    long_rule = parse_rule(" OR ".join(f"word{i}" for i in range(80)))
    assert 512 < len(long_rule.canonical) <= 1024
    wanted[long_rule.key] = long_rule.canonical
    while time.monotonic() < deadline + 5 and long_rule.key not in _stored(src.rules_client):
        time.sleep(0.05)
    assert _stored(src.rules_client)[long_rule.key] == long_rule.canonical
    assert src.inexact == {}
    src.close()


# ---- streams -------------------------------------------------------------------------------------


def test_filtered_stream_yields_v2_payloads(fake_x):
    body = _body("filtered_stream.jsonl")
    fake_x.bodies[FILTER_PATH] = [body]
    src = XFilteredStream(
        ["코로나", "bts", "넷플릭스", "netflix", "squid game"],
        bearer_token="tok",
        api_base=fake_x.url,
    )
    got = _take(src, 5)
    src.close()
    assert _ids(got) == _ids(body)
    assert got == [x for x in body if x and b'"data"' in x]  # raw bytes, untouched
    first = orjson.loads(got[0])
    assert first["matching_rules"] == [{"id": "1605900000000000001", "tag": "코로나"}]
    assert first["includes"]["places"][0]["full_name"] == "Seoul, Republic of Korea"
    tweets = [parse_payload(p) for p in got]
    assert [t.relation for t in tweets] == [None, "retweet", "reply", "quote", None]
    assert tweets[1].original is not None and tweets[1].original.retweets == 3120
    assert tweets[3].place == "Busan, Republic of Korea"

    # Rules were synced before the stream connected, and the stream asked for every field.
    paths = [(r["method"], r["path"]) for r in fake_x.requests]
    assert paths.index(("POST", RULES_PATH)) < paths.index(("GET", FILTER_PATH))
    stream_req = next(r for r in fake_x.requests if r["path"] == FILTER_PATH)
    assert stream_req["auth"] == "Bearer tok"
    q = {k: set(v[0].split(",")) for k, v in stream_req["query"].items()}
    assert {
        "created_at",
        "public_metrics",
        "referenced_tweets",
        "entities",
        "geo",
        "lang",
        "author_id",
        "source",
    } <= q["tweet.fields"]
    assert {
        "author_id",
        "referenced_tweets.id",
        "referenced_tweets.id.author_id",
        "geo.place_id",
    } <= q["expansions"]
    assert {"location", "public_metrics", "username", "name"} <= q["user.fields"]
    assert {"full_name", "country", "country_code", "place_type"} <= q["place.fields"]
    assert sorted(r["tag"] for r in fake_x.rules.values()) == [
        "bts",
        "netflix",
        "squid game",
        "넷플릭스",
        "코로나",
    ]


def test_stream_reconnects_after_x_closes_it(fake_x):
    body = [x for x in _body("filtered_stream.jsonl") if not x.startswith(b'{"errors"')]
    fake_x.bodies[FILTER_PATH] = [body[:3], body[3:]]  # X drops the connection after 2 posts
    src = XFilteredStream(bearer_token="tok", api_base=fake_x.url)
    got = _take(src, 5)
    src.close()
    assert _ids(got) == _ids(body)
    assert src.connections == 2
    # No keywords given: rules were left alone.
    assert not any(r["method"] == "POST" for r in fake_x.requests)


def test_sample_stream(fake_x):
    body = _body("sample_stream.jsonl")
    fake_x.bodies[SAMPLE_PATH] = [body]
    src = make_source("x-sample", bearer_token="tok", api_base=fake_x.url)
    got = _take(src, 3)
    src.close()
    assert _ids(got) == _ids(body)
    assert [parse_payload(p).lang for p in got] == ["en", "ko", "ko"]
    assert [r["path"] for r in fake_x.requests] == [SAMPLE_PATH]
    assert "tweet.fields" in fake_x.requests[0]["query"]


def test_bounded_queue_blocks_instead_of_dropping(fake_x):
    body = _body("filtered_stream.jsonl")
    fake_x.bodies[FILTER_PATH] = [body]
    src = XFilteredStream(bearer_token="tok", api_base=fake_x.url, queue_size=1)
    it = src.payloads()
    first = next(it)
    time.sleep(0.5)  # the stream thread is now blocked on the full queue
    rest = [next(it) for _ in range(4)]
    src.close()
    assert _ids([first, *rest]) == _ids(body)


def test_unauthorized_stream_raises_clear_error(fake_x):
    fake_x.status[SAMPLE_PATH] = 401
    src = XSampleStream(bearer_token="wrong", api_base=fake_x.url)
    started = time.monotonic()
    with pytest.raises(XApiError, match=f"HTTP 401.*{BEARER_TOKEN_ENV}"):
        next(src.payloads())
    assert time.monotonic() - started < 5  # no back-off retries on a bad token
    src.close()


def test_keywords_provider_resyncs_rules_while_streaming(fake_x):
    fake_x.bodies[FILTER_PATH] = []  # only keep-alives
    wanted = ["bts"]
    src = XFilteredStream(
        keywords_provider=lambda: list(wanted),
        rules_interval=0.1,
        bearer_token="tok",
        api_base=fake_x.url,
    )
    it = src.payloads()
    box: list = []
    threading.Thread(target=lambda: box.append(next(it, None)), daemon=True).start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and {r.get("tag") for r in fake_x.rules.values()} != {"bts"}:
        time.sleep(0.05)
    assert {r.get("tag") for r in fake_x.rules.values()} == {"bts"}
    wanted.append("코로나")
    while time.monotonic() < deadline and len(fake_x.rules) != 2:
        time.sleep(0.05)
    assert sorted(r["tag"] for r in fake_x.rules.values()) == ["bts", "코로나"]
    src.close()


def test_refused_or_unreachable_rules_api_raises_clear_error(fake_x):
    fake_x.status[RULES_PATH] = 401
    src = XFilteredStream(["bts"], bearer_token="wrong", api_base=fake_x.url)
    with pytest.raises(XApiError, match=f"401.*{BEARER_TOKEN_ENV}"):
        next(src.payloads())
    src = XFilteredStream(["bts"], bearer_token="t", api_base="http://127.0.0.1:9")
    with pytest.raises(XApiError, match="cannot reach the X API at http://127.0.0.1:9"):
        next(src.payloads())
