"""No message can stop ingestion, on the real servers.

Fifty good tweets mixed with every poison we know of (counts beyond `int`, 3e9 followers, `lang`
as a list, `place.full_name` as an object, a 2 MB text, a tweet whose normalised JSON is over
Kafka's message size, invalid UTF-8, 100,000-character texts with a big original) are sent by
the producer and, separately, raw onto the topic. Each good tweet is stored exactly once, each
poison is in the dead-letter topic with its reason, the group's lag returns to zero and the
worker never stops. Where the parser repairs a value (it clamps counts and drops wrongly typed
fields), the expectation follows the code: a line is "good" when the parser accepts it and its
rows bind, which the test checks with the same prepared statements the worker uses.

Poisons that no parser lets through are put in front of the worker's binding directly (a
worker whose parser checks nothing), and rows Cassandra itself refuses (a keyword key over
64 KiB) are sent with a raw key.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource

from tests.integration.ingest_helpers import WorkerThread, isolated, read_all, wait_until_drained
from tweektrend_dagster.ingest import rows as R
from tweektrend_dagster.ingest.dlq import TRUNCATED_BYTES, header_dict
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import HEADROOM, MESSAGE_MAX_BYTES, TweetProducer
from tweektrend_dagster.ingest.sources.base import make_source
from tweektrend_dagster.ingest.sources.simulator import generate
from tweektrend_dagster.tweets import InvalidTweet, parse_payload

FIXTURE = "tests/fixtures/tweets/v1_1.jsonl"
INT_MAX = 2**31 - 1
KEYWORD = "bts"


def _base_v1() -> dict:
    with open(FIXTURE, "rb") as f:
        return orjson.loads(f.readline())


def _v1(tweet_id: int, created: datetime, text: str = "BTS poison test", **changes) -> dict:
    obj = _base_v1()
    obj.update(id=tweet_id, id_str=str(tweet_id), text=text)
    obj["created_at"] = created.strftime("%a %b %d %H:%M:%S +0000 %Y")
    obj["user"] = dict(obj["user"])
    for key, value in changes.items():
        obj[key] = value
    return obj


def poison_lines(start: datetime, base: int) -> dict[str, bytes]:
    """One line per poison kind, all in the hour after `start`, all about the keyword."""
    t = start + timedelta(minutes=30)
    lines: dict[str, bytes] = {}
    lines["retweets 5e9"] = orjson.dumps(_v1(base + 1, t, retweet_count=5_000_000_000))
    followers = orjson.dumps(_v1(base + 2, t))
    # JSON's 3e9 literal (a float once decoded), as some exporters write large numbers
    lines["followers 3e9"] = followers.replace(b'"followers_count":523', b'"followers_count":3e9')
    assert lines["followers 3e9"] != followers
    lines["lang as a list"] = orjson.dumps(_v1(base + 3, t, lang=["en", "ko"]))
    place = dict(_base_v1()["place"], full_name={"name": "Seoul", "country": "KR"})
    lines["place.full_name as an object"] = orjson.dumps(_v1(base + 4, t, place=place))
    lines["2 MB text"] = orjson.dumps(_v1(base + 5, t, text="BTS " + "a" * 2_000_000))
    tags = [{"text": f"bts{i:012d}", "indices": [0, 1]} for i in range(70_000)]
    big = _v1(base + 6, t, entities={"hashtags": tags, "urls": [], "user_mentions": []})
    lines["too large for Kafka"] = orjson.dumps(big)
    utf8 = orjson.dumps(_v1(base + 7, t, text="BTS XX invalid"))
    lines["invalid UTF-8"] = utf8.replace(b"BTS XX", b"BTS \xff\xfe")
    huge = "BTS " + "콘" * 99_996  # exactly 100,000 characters, 300 KB of UTF-8
    for i in range(3):
        lines[f"100,000-character text {i}"] = orjson.dumps(
            _v1(base + 10 + i, t + timedelta(seconds=i), text=huge)
        )
    original = _v1(base + 20, t - timedelta(hours=2), text=huge, retweet_count=7)
    retweet = _v1(base + 21, t, text="RT @minji_kim: " + huge[:100], retweeted_status=original)
    lines["retweet of a 100,000-character original"] = orjson.dumps(retweet)
    return lines


def parse_id(line: bytes) -> int:
    """The id of a poison line, read without the parser (some are not UTF-8)."""
    start = line.index(b'"id":') + 5
    return int(line[start : line.index(b",", start)])


def good_lines(start: datetime) -> list[bytes]:
    return generate(50, seed=21, start=start, span=timedelta(hours=1), keywords=["BTS"])


class Expect:
    """What the code makes of a line: stored (with its tweet) or dead-lettered (with a reason)."""

    def __init__(self, session, keyspace: str):
        self.kw = session.prepare(R.INSERT_BY_KEYWORD.replace("INTO ", f"INTO {keyspace}.", 1))
        self.raw = session.prepare(R.INSERT_RAW.replace("INTO ", f"INTO {keyspace}.", 1))

    def outcome(self, line: bytes, kafka_limit: int | None) -> tuple[str, object]:
        try:
            tweet = parse_payload(line)
        except InvalidTweet as exc:
            return "dead", exc.reason
        tweet.keywords = KeywordWatch(None, fixed=[KEYWORD]).matcher().match(tweet)
        value = tweet.to_json()
        if kafka_limit is not None and len(value) > kafka_limit:
            return "dead", "too large for Kafka"
        now = datetime.now(UTC)
        try:
            self.raw.bind(R.raw_row(tweet, value))
            for keyword in tweet.keywords:
                self.kw.bind(R.keyword_row(keyword, tweet, now))
        except Exception:
            return "dead", "row cannot be bound"
        return "stored", tweet


def _stored(session, keyspace: str, ids: set[int]) -> dict[int, object]:
    rows = session.execute(
        f"SELECT id, keyword, retweets, author_followers, lang, place, text"
        f" FROM {keyspace}.posts_by_keyword",
        timeout=60,
    )
    # ids are text now (a post is network + id); these tests' X ids are compared as numbers
    return {int(r.id): r for r in rows if int(r.id) in ids}


def _raw_ids(session, keyspace: str) -> list[int]:
    return [
        int(r.id)
        for r in session.execute(f"SELECT id FROM {keyspace}.raw_posts_by_day", timeout=60)
    ]


@pytest.fixture
def expect(cassandra, keyspace_settings):
    return Expect(cassandra, keyspace_settings.keyspace)


def test_the_producer_replays_a_poisoned_file_and_only_the_good_tweets_are_stored(
    keyspace_settings, cassandra, expect, tmp_path
):
    settings = isolated(keyspace_settings)
    start = datetime(2025, 1, 1, 10, tzinfo=UTC)
    good = good_lines(start)
    poisons = poison_lines(start, 9_100_000_000_000_000_000)
    lines = good[:25] + list(poisons.values()) + good[25:]
    path = tmp_path / "poisoned.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    outcomes = {
        name: expect.outcome(line, MESSAGE_MAX_BYTES - HEADROOM) for name, line in poisons.items()
    }
    assert all(expect.outcome(line, None)[0] == "stored" for line in good)
    # what no parser can accept, whatever it repairs
    for name in ("2 MB text", "invalid UTF-8", "too large for Kafka"):
        assert outcomes[name][0] == "dead", name

    producer = TweetProducer(settings, KeywordWatch(None, fixed=[KEYWORD]))
    source = make_source("replay", path=path)
    try:
        producer.run(source.payloads())
    finally:
        source.close()
    dead_names = [n for n, (kind, _) in outcomes.items() if kind == "dead"]
    assert producer.failed_deliveries == 0
    assert producer.dead == len(dead_names)

    running = WorkerThread(settings, KeywordWatch(None, fixed=[KEYWORD]))
    with running as worker:
        wait_until_drained(settings, producer.messages)
        assert running.thread.is_alive() and worker.dead == 0  # the producer sorted them out
    good_tweets = [expect.outcome(line, None)[1] for line in good] + [
        tweet for kind, tweet in outcomes.values() if kind == "stored"
    ]
    _check_stored(cassandra, settings.keyspace, good_tweets, outcomes, poisons)

    letters = read_all(settings, settings.dlq_topic, expected=len(dead_names))
    assert len(letters) == len(dead_names)
    reasons = {header_dict(m.headers())["error"]: m for m in letters}
    assert any("huge text" in r for r in reasons)
    assert any("UTF-8" in r or "utf-8" in r for r in reasons)
    too_large = [m for r, m in reasons.items() if "too large for Kafka" in r]
    assert len(too_large) == 1
    for message in letters:
        info = header_dict(message.headers())
        assert info["stage"] == "producer"
        if len(poisons["2 MB text"]) == int(info.get("original_size", 0)):
            assert message.value() == poisons["2 MB text"][:TRUNCATED_BYTES]
    sizes = {int(header_dict(m.headers()).get("original_size", 0)) for m in letters}
    assert {len(poisons["2 MB text"]), len(poisons["too large for Kafka"])} <= sizes


def _check_stored(session, keyspace: str, good_tweets: list, outcomes: dict, poisons: dict) -> None:
    """Exactly the good tweets, once each, in the archive and under the keyword."""
    ids = {int(t.id) for t in good_tweets}
    assert len(ids) == len(good_tweets) >= 50
    with_keyword = {int(t.id) for t in good_tweets if t.keywords}
    raw = _raw_ids(session, keyspace)
    in_this_test = ids | {parse_id(line) for line in poisons.values()}
    assert sorted(i for i in raw if i in in_this_test) == sorted(ids)
    stored = _stored(session, keyspace, in_this_test)
    assert set(stored) == with_keyword
    _check_repairs(stored, outcomes)


def _check_repairs(stored: dict, outcomes: dict) -> None:
    """The clamped counts are stored at the column's maximum, the dropped fields as null."""
    for name, column in (("retweets 5e9", "retweets"), ("followers 3e9", "author_followers")):
        kind, tweet = outcomes[name]
        if kind == "stored":
            assert getattr(stored[int(tweet.id)], column) == INT_MAX, name
    for name, column in (("lang as a list", "lang"), ("place.full_name as an object", "place")):
        kind, tweet = outcomes[name]
        if kind == "stored":
            assert isinstance(getattr(stored[int(tweet.id)], column), str | None), name
    kind, tweet = outcomes["100,000-character text 0"]
    assert kind == "stored" and len(stored[int(tweet.id)].text) == 100_000


def test_the_same_poisons_raw_on_the_topic_never_stop_the_worker(
    keyspace_settings, cassandra, expect
):
    settings = isolated(keyspace_settings)
    # this topic takes 5 MB messages, so the 2 MB lines reach the worker itself
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    resource = ConfigResource("topic", settings.topic, set_config={"max.message.bytes": "5000000"})
    for future in admin.alter_configs([resource]).values():
        future.result(30)
    start = datetime(2025, 1, 2, 10, tzinfo=UTC)
    good = good_lines(start)
    poisons = poison_lines(start, 9_200_000_000_000_000_000)
    outcomes = {name: expect.outcome(line, None) for name, line in poisons.items()}
    raw = Producer({"bootstrap.servers": settings.kafka_bootstrap, "message.max.bytes": 5_000_000})
    lines = good[:25] + list(poisons.values()) + good[25:]
    for line in lines:
        raw.produce(settings.topic, value=line)
    assert raw.flush(30) == 0

    running = WorkerThread(settings, KeywordWatch(None, fixed=[KEYWORD]))
    with running:
        wait_until_drained(settings, len(lines))
        assert running.thread.is_alive()  # never stopped by a message
    dead_names = [n for n, (kind, _) in outcomes.items() if kind == "dead"]
    good_tweets = [expect.outcome(line, None)[1] for line in good] + [
        t for kind, t in outcomes.values() if kind == "stored"
    ]
    _check_stored(cassandra, settings.keyspace, good_tweets, outcomes, poisons)

    letters = read_all(settings, settings.dlq_topic, expected=len(dead_names))
    assert len(letters) == len(dead_names) >= 2  # the 2 MB text and the invalid UTF-8 at least
    for message in letters:
        info = header_dict(message.headers())
        assert info["stage"] == "worker" and info["source_topic"] == settings.topic
        assert int(info["source_offset"]) >= 0 and info["error"]
    two_mb = [m for m in letters if "huge text" in header_dict(m.headers())["error"]]
    assert len(two_mb) == 1
    info = header_dict(two_mb[0].headers())
    assert int(info["original_size"]) == len(poisons["2 MB text"])
    assert two_mb[0].value() == poisons["2 MB text"][:TRUNCATED_BYTES]


def _normalised(tweet_id: int, created: datetime, **fields) -> dict:
    """A tweet in the normalised ("tweektrend") JSON another producer could write."""
    return {
        "id": tweet_id,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "text": f"BTS normalised {tweet_id}",
        "author": {"id": str(tweet_id % 1000), "username": f"user{tweet_id % 1000}"},
        "format": "tweektrend",
        "keywords": [KEYWORD],
        **fields,
    }


def unchecked_parse(raw: bytes):
    """A parser that keeps what the payload says, as one missing a check would: the worker's
    own clamp and binding are all that stand between these values and Cassandra."""
    obj = orjson.loads(raw)
    tweet = parse_payload(raw)
    for field in ("retweets", "likes", "lang", "place", "hashtags"):
        if field in obj:
            setattr(tweet, field, obj[field])
    if "followers" in obj["author"]:
        tweet.author.followers = obj["author"]["followers"]
    return tweet


def test_rows_that_cannot_be_bound_go_alone_to_the_dlq_and_the_rest_of_their_batch_is_written(
    keyspace_settings, cassandra
):
    settings = isolated(keyspace_settings, partitions=1)  # one partition: one batch for all
    t = datetime(2025, 1, 3, 10, 15, tzinfo=UTC)
    base = 9_130_000_000_000_000_000
    good = [_normalised(base + i, t + timedelta(seconds=i), likes=i) for i in range(50)]
    clamped = {
        base + 100: _normalised(base + 100, t, retweets=5_000_000_000),
        base + 101: _normalised(
            base + 101, t, likes=1, author={"id": "9", "username": "big", "followers": 3e9}
        ),
    }
    unbindable = {
        base + 200: _normalised(base + 200, t, lang=["en", "ko"]),
        base + 201: _normalised(base + 201, t, place={"full_name": "Seoul"}),
        base + 202: _normalised(base + 202, t, hashtags="bts"),
        base + 203: _normalised(base + 203, t, likes="many"),
    }
    messages = good[:20] + list(clamped.values()) + list(unbindable.values()) + good[20:]
    raw = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    for obj in messages:
        raw.produce(settings.topic, value=orjson.dumps(obj), key=KEYWORD.encode())
    assert raw.flush(30) == 0

    running = WorkerThread(settings, KeywordWatch(None))
    running.worker.parse = unchecked_parse
    with running as worker:
        wait_until_drained(settings, len(messages))
        assert running.thread.is_alive() and worker.dead == len(unbindable)
    expected = {obj["id"] for obj in good} | set(clamped)
    in_test = expected | set(unbindable)
    stored = _stored(cassandra, settings.keyspace, in_test)
    assert set(stored) == expected
    assert sorted(i for i in _raw_ids(cassandra, settings.keyspace) if i in in_test) == sorted(
        expected
    )
    assert stored[base + 100].retweets == INT_MAX
    assert stored[base + 101].author_followers == INT_MAX

    letters = read_all(settings, settings.dlq_topic, expected=len(unbindable))
    assert len(letters) == len(unbindable)
    by_id = {orjson.loads(m.value())["id"]: header_dict(m.headers()) for m in letters}
    assert set(by_id) == set(unbindable)
    for info in by_id.values():
        assert info["error"].startswith("row cannot be bound"), info
        assert info["stage"] == "worker" and info["source_topic"] == settings.topic
    assert "lang" in by_id[base + 200]["error"] or "list" in by_id[base + 200]["error"]
    assert "likes" in by_id[base + 203]["error"]


def test_rows_cassandra_refuses_go_alone_to_the_dlq_and_the_partition_moves_on(
    keyspace_settings, cassandra
):
    settings = isolated(keyspace_settings, partitions=1)
    t = datetime(2025, 1, 4, 10, 15, tzinfo=UTC)
    base = 9_140_000_000_000_000_000
    good = [_normalised(base + i, t + timedelta(seconds=i)) for i in range(50)]
    # a keyword key of 65,530 bytes: the (keyword, day, hour) partition key is over Cassandra's
    # 65,535 (InvalidRequest; two in one batch, which is split to find them); one of 70,000
    # bytes cannot even be serialised as a routing key (struct.error)
    refused = {
        base + 100: b"k" * 65_530,
        base + 101: b"k" * 65_530,
        base + 102: b"k" * 70_000,
    }
    raw = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    for obj in good[:25]:
        raw.produce(settings.topic, value=orjson.dumps(obj), key=KEYWORD.encode())
    for tweet_id, key in refused.items():
        raw.produce(settings.topic, value=orjson.dumps(_normalised(tweet_id, t)), key=key)
    for obj in good[25:]:
        raw.produce(settings.topic, value=orjson.dumps(obj), key=KEYWORD.encode())
    assert raw.flush(30) == 0

    running = WorkerThread(settings, KeywordWatch(None))
    with running as worker:
        wait_until_drained(settings, len(good) + len(refused), timeout=120)
        assert running.thread.is_alive() and worker.dead == len(refused)
    expected = {obj["id"] for obj in good}
    stored = _stored(cassandra, settings.keyspace, expected | set(refused))
    assert set(stored) == expected
    letters = read_all(settings, settings.dlq_topic, expected=len(refused))
    by_id = {orjson.loads(m.value())["id"]: header_dict(m.headers()) for m in letters}
    assert set(by_id) == set(refused)
    assert "Key length of 65544 is longer than maximum of 65535" in by_id[base + 100]["error"]
    assert by_id[base + 102]["error"].startswith("Cassandra refused the row (error:")
    # the raw archive row of a refused message is a valid row Cassandra accepted: it stays
    raw_ids = set(_raw_ids(cassandra, settings.keyspace))
    assert expected | set(refused) <= raw_ids


def test_dead_letters_are_delivered_before_the_offsets_that_produced_them_are_committed(
    keyspace_settings, cassandra
):
    from dataclasses import replace

    from confluent_kafka.admin import NewTopic

    settings = isolated(keyspace_settings, partitions=1)
    # a dead-letter topic that does not exist yet (the broker does not create topics)
    settings = replace(settings, dlq_topic=settings.topic + ".later-dlq")
    t = datetime(2025, 1, 5, 10, 15, tzinfo=UTC)
    base = 9_150_000_000_000_000_000
    good = [_normalised(base + i, t + timedelta(seconds=i)) for i in range(10)]
    raw = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    for obj in good[:5]:
        raw.produce(settings.topic, value=orjson.dumps(obj), key=KEYWORD.encode())
    raw.produce(settings.topic, value=b"not a tweet", key=KEYWORD.encode())
    for obj in good[5:]:
        raw.produce(settings.topic, value=orjson.dumps(obj), key=KEYWORD.encode())
    assert raw.flush(30) == 0

    running = WorkerThread(settings, KeywordWatch(None))
    with running as worker:
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and len(_stored(cassandra, settings.keyspace, {o["id"] for o in good})) < 10
        ):
            time.sleep(0.2)
        time.sleep(3)
        # the rows are written, but the dead letter is not delivered: nothing is committed
        assert len(_stored(cassandra, settings.keyspace, {o["id"] for o in good})) == 10
        committed = worker.consumer.committed(worker.consumer.assignment(), timeout=5)
        assert all(tp.offset < 0 for tp in committed), committed
        admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
        admin.create_topics([NewTopic(settings.dlq_topic, 1, 1)])[settings.dlq_topic].result(30)
        wait_until_drained(settings, len(good) + 1, timeout=120)
        assert running.thread.is_alive()
    letters = read_all(settings, settings.dlq_topic, expected=1)
    assert [m.value() for m in letters] == [b"not a tweet"]
    assert header_dict(letters[0].headers())["source_offset"] == "5"
