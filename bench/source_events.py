"""Other-network sources: how many stream events per second one source process turns into Kafka
messages. Prints numbers, never asserts them.

    .venv/bin/python bench/source_events.py                  # 60,000 events per network
    .venv/bin/python bench/source_events.py --events 5000    # a smoke check

For Bluesky (Jetstream) and Mastodon (streaming API), each on one core:
1. parse + match: `TweetProducer.send` on every event (decode, parse into a post, deletion or
   reaction, match 100 followed rules, hand each message to the Kafka client) with a Kafka client
   that only counts, so the broker is not what is timed;
2. whole source: the same, with the events arriving over a WebSocket from a local Jetstream- or
   Mastodon-style server (tests/fakes), through the source's reader thread and queue.
The event mixes are those of the real streams: Jetstream with posts, likes and reposts wanted is
about 10 % posts, 80 % likes, 8 % reposts, 2 % deletions; a Mastodon public stream about 90 %
statuses and 10 % deletions. Post texts are the simulator's Korean and English posts. Reference
rates (SPEC §5: far below what one process takes): Bluesky's whole network posts tens of posts per
second on average and hundreds at peaks (likes: about ten times that); a large Mastodon instance's
federated timeline a few statuses per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.fakes, tests.support

from bench.rule_matching import thousand_rules  # noqa: E402
from tests.fakes.jetstream import FakeJetstream  # noqa: E402
from tests.fakes.mastodon import FakeMastodon  # noqa: E402
from tests.support.post_ids import bluesky_id, mastodon_id  # noqa: E402
from tweektrend_dagster.config import Settings  # noqa: E402
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch  # noqa: E402
from tweektrend_dagster.ingest.producer import TweetProducer  # noqa: E402
from tweektrend_dagster.ingest.sources.bluesky import JetstreamSource  # noqa: E402
from tweektrend_dagster.ingest.sources.mastodon import MastodonSource  # noqa: E402
from tweektrend_dagster.ingest.sources.simulator import generate  # noqa: E402
from tweektrend_dagster.keywords.rules import RuleSet  # noqa: E402
from tweektrend_dagster.tweets import parse_payload  # noqa: E402

START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
POST = "app.bsky.feed.post"


class CountingKafka:
    """The Kafka client's surface the producer uses; counts instead of sending."""

    def __init__(self) -> None:
        self.messages = 0

    def produce(self, topic, value=None, key=None, headers=None, on_delivery=None):  # noqa: ANN001
        self.messages += 1

    def poll(self, timeout: float = 0) -> int:
        return 0

    def flush(self, timeout: float = 0) -> int:
        return 0

    def __len__(self) -> int:
        return 0


def simulated_texts(n: int) -> list[tuple[str, str]]:
    """(text, language) of n simulated posts."""
    return [(t.text, t.lang or "ko") for t in map(parse_payload, generate(
        n, seed=16, start=START, span=timedelta(hours=1)))]


def jetstream_events(n: int) -> list[bytes]:
    rng = random.Random(16)
    texts = simulated_texts(max(1, n // 10))
    posts: list[str] = []
    out = []
    for i in range(n):
        at = START + timedelta(milliseconds=20 * i)
        us = int(at.timestamp() * 1_000_000)
        author = f"did:plc:{rng.randrange(50_000):024d}"
        roll = rng.random()
        if roll < 0.10 or not posts:
            text, lang = texts[len(posts) % len(texts)]
            uri = bluesky_id(author, at, i % 1024)
            posts.append(uri)
            commit = {"operation": "create", "collection": POST, "rkey": uri.rpartition("/")[2],
                      "record": {"$type": POST, "text": text, "langs": [lang],
                                 "createdAt": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}}
        elif roll < 0.98:
            kind = "app.bsky.feed.like" if roll < 0.90 else "app.bsky.feed.repost"
            subject = rng.choice(posts[-2000:])
            commit = {"operation": "create", "collection": kind, "rkey": f"3l{i:011d}",
                      "record": {"$type": kind, "subject": {"uri": subject, "cid": "bafy"},
                                 "createdAt": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}}
        else:
            victim = rng.choice(posts)
            commit = {"operation": "delete", "collection": POST,
                      "rkey": victim.rpartition("/")[2]}
        out.append(orjson.dumps({"did": author, "time_us": us, "kind": "commit",
                                 "commit": {"rev": f"r{i}", "cid": "bafy", **commit}}))
    return out


def mastodon_statuses(n: int, host: str) -> list[tuple[str, object]]:
    rng = random.Random(17)
    texts = simulated_texts(n)
    ids: list[str] = []
    out: list[tuple[str, object]] = []
    for i in range(n):
        at = START + timedelta(milliseconds=50 * i)
        if rng.random() < 0.9 or not ids:
            local = mastodon_id(host, at, i % 65536).partition("/")[2]
            ids.append(local)
            text, lang = texts[i % len(texts)]
            acct = f"user{rng.randrange(20_000)}" + ("" if rng.random() < 0.5 else "@other.social")
            out.append(("update", {
                "id": local, "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "content": f"<p>{text.replace('&', '&amp;').replace('<', '&lt;')}</p>",
                "language": lang, "visibility": "public", "spoiler_text": "",
                "account": {"id": str(i), "username": acct.split("@")[0], "acct": acct,
                            "display_name": acct, "followers_count": rng.randrange(5000)},
                "reblogs_count": rng.randrange(5), "favourites_count": rng.randrange(20),
                "replies_count": 0, "media_attachments": [], "mentions": [], "tags": [],
                "application": {"name": "Tusky"}}))
        else:
            out.append(("delete", rng.choice(ids)))
    return out


def wrapped(host: str, messages: list[tuple[str, object]]) -> list[bytes]:
    """The payloads the Mastodon source yields for these stream messages."""
    return [orjson.dumps({"mastodon": {"instance": host, "event": event, "payload": payload,
                                       "received_at": "2026-12-04T00:00:00Z"}})
            for event, payload in messages]


def producer(rules: dict) -> TweetProducer:
    watch = KeywordWatch(None)
    watch._matcher = RuleSet(rules)  # the followed rules, without a registry to poll
    return TweetProducer(Settings.from_env(), watch, producer=CountingKafka())


def parse_and_match(payloads: list[bytes], rules: dict) -> tuple[float, TweetProducer]:
    p = producer(rules)
    t0 = time.perf_counter()
    for payload in payloads:
        p.send(payload)
    return len(payloads) / (time.perf_counter() - t0), p


def through_source(source, count: int, rules: dict) -> float:  # noqa: ANN001
    """Events/s from the first event taken to the `count`-th, over the WebSocket."""
    p = producer(rules)
    taken = 0
    t0 = None
    for payload in source.payloads():
        if t0 is None:
            t0 = time.perf_counter()
        p.send(payload)
        taken += 1
        if taken >= count:
            break
    elapsed = time.perf_counter() - t0
    source.close()
    return (count - 1) / elapsed


def report(name: str, rate: float, p: TweetProducer, n: int) -> None:
    print(f"{name:<46}{rate:>9,.0f} events/s   ({p.sent:,} posts, {p.messages:,} post "
          f"messages, {p.events:,} events kept, {p.skipped:,} skipped, {p.dead:,} dead of {n:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--rules", type=int, default=100)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, "
          f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}")
    rules = thousand_rules(generate(5000, seed=15, start=START, span=timedelta(hours=6)),
                           args.rules)
    print(f"{args.rules} followed rules (the simulator's words); one process, one core each")

    events = jetstream_events(args.events)
    rate, p = parse_and_match(events, rules)
    report("Bluesky Jetstream, parse + match", rate, p, len(events))
    host = "mastodon.example"
    messages = mastodon_statuses(args.events, host)
    rate, p = parse_and_match(wrapped(host, messages), rules)
    report("Mastodon streaming, parse + match", rate, p, len(messages))

    with FakeJetstream(events, live_tail=False) as server:
        source = JetstreamSource(server.url, queue_size=50_000)
        rate = through_source(source, len(events), rules)
    print(f"{'Bluesky: WebSocket → source → parse + match':<46}{rate:>9,.0f} events/s")
    with FakeMastodon(messages) as server:
        source = MastodonSource(server.http_url, queue_size=50_000)
        rate = through_source(source, len(messages), rules)
    print(f"{'Mastodon: WebSocket → source → parse + match':<46}{rate:>9,.0f} events/s")
    # the sources' threads end with their close(); let the servers finish their frames
    threading.Event().wait(0.2)


if __name__ == "__main__":
    main()
