"""The producer against a Kafka client that refuses: too-large messages are dead-lettered
(truncated, with their size) and the run goes on; failed deliveries are counted, and
`tweektrend produce` exits non-zero saying how many."""

from __future__ import annotations

from dataclasses import replace

import orjson
from confluent_kafka import KafkaError, KafkaException
from typer.testing import CliRunner

from tweektrend_dagster.cli import app
from tweektrend_dagster.config import Settings
from tweektrend_dagster.ingest import producer as P
from tweektrend_dagster.ingest.dlq import TRUNCATED_BYTES, header_dict
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer

V1 = "tests/fixtures/tweets/v1_1.jsonl"


class FakeKafka:
    """Takes messages up to `limit` bytes; the broker then refuses those over `broker_limit`
    and fails every delivery to `failing_topic`."""

    def __init__(self, limit=1_000_000, broker_limit=None, failing_topic=None):
        self.limit, self.broker_limit, self.failing_topic = limit, broker_limit, failing_topic
        self.queued: list = []
        self.delivered: list = []

    def produce(self, topic, value=None, key=None, headers=None, on_delivery=None):
        if len(value or b"") + len(key or b"") > self.limit:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        self.queued.append(Msg(topic, value, key, headers, on_delivery))

    def poll(self, timeout=0):
        return self.flush(timeout)

    def flush(self, timeout=0):
        queued, self.queued = self.queued, []
        for msg in queued:
            err = None
            if self.broker_limit and len(msg.value()) > self.broker_limit:
                err = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)
            elif msg.topic() == self.failing_topic:
                err = KafkaError(KafkaError._MSG_TIMED_OUT)
            else:
                self.delivered.append(msg)
            msg.callback(err, msg)
        return 0

    def __len__(self):
        return len(self.queued)

    def on(self, topic):
        return [m for m in self.delivered if m.topic() == topic]


class Msg:
    def __init__(self, topic, value, key, headers, callback):
        self._t, self._v, self._k, self._h, self.callback = topic, value, key, headers, callback

    def topic(self):
        return self._t

    def value(self):
        return self._v

    def headers(self):
        return self._h


def _lines(n: int) -> list[bytes]:
    with open(V1, "rb") as f:
        base = orjson.loads(f.readline())
    return [orjson.dumps({**base, "id": 10 + i, "id_str": str(10 + i)}) for i in range(n)]


def _huge_tweet() -> bytes:
    with open(V1, "rb") as f:
        base = orjson.loads(f.readline())
    tags = [{"text": f"tag{i:012d}", "indices": [0, 1]} for i in range(70_000)]
    return orjson.dumps({**base, "id": 99, "id_str": "99", "entities": {"hashtags": tags}})


SETTINGS = replace(Settings.from_env(), topic="t", dlq_topic="t.dlq")


def test_a_tweet_too_large_for_kafka_is_dead_lettered_truncated_and_the_run_goes_on():
    kafka = FakeKafka()
    producer = TweetProducer(SETTINGS, KeywordWatch(None, fixed=["코로나"]), producer=kafka)
    huge = _huge_tweet()
    good = _lines(3)
    producer.run([good[0], huge, good[1], good[2]])
    assert (producer.sent, producer.dead, producer.failed_deliveries) == (3, 1, 0)
    [letter] = kafka.on("t.dlq")
    info = header_dict(letter.headers())
    assert "too large for Kafka" in info["error"] and info["stage"] == "producer"
    assert int(info["original_size"]) == len(huge)
    assert letter.value() == huge[:TRUNCATED_BYTES]
    assert len(kafka.on("t")) == 3


def test_a_message_the_client_refuses_as_too_large_is_dead_lettered():
    kafka = FakeKafka(limit=2_000)  # a client configured below our own check
    producer = TweetProducer(SETTINGS, KeywordWatch(None, fixed=["코로나"]), producer=kafka)
    long_text = _lines(1)[0].replace(b"https://t.co/kdca1", b"https://t.co/" + b"x" * 3000, 1)
    producer.run([long_text, *_lines(2)])
    assert (producer.sent, producer.dead) == (2, 1)
    [letter] = kafka.on("t.dlq")
    assert "too large for Kafka" in header_dict(letter.headers())["error"]


def test_a_message_the_broker_refuses_as_too_large_is_dead_lettered_after_its_report():
    kafka = FakeKafka(broker_limit=1_500)
    producer = TweetProducer(SETTINGS, KeywordWatch(None, fixed=["코로나"]), producer=kafka)
    long_text = _lines(1)[0].replace(b"https://t.co/kdca1", b"https://t.co/" + b"x" * 3000, 1)
    producer.run([long_text, *_lines(2)])
    [letter] = kafka.on("t.dlq")
    info = header_dict(letter.headers())
    assert "refused by the broker" in info["error"]
    # the letter itself was over the broker's limit: its headers say what and how big
    assert letter.value() == b"" and info["truncated"] == "0"
    assert int(info["original_size"]) > kafka.broker_limit  # the refused normalised tweet
    assert producer.failed_deliveries == 0 and len(kafka.on("t")) == 2


def test_failed_deliveries_are_counted():
    kafka = FakeKafka(failing_topic="t")
    producer = TweetProducer(SETTINGS, KeywordWatch(None, fixed=["코로나"]), producer=kafka)
    producer.run(_lines(4))
    assert producer.failed_deliveries == 4


def test_produce_exits_non_zero_saying_how_many_messages_were_not_delivered(monkeypatch, tmp_path):
    import tweektrend_dagster.clients as clients
    import tweektrend_dagster.ingest.kafka_topics as topics
    import tweektrend_dagster.keywords as keywords

    kafka = FakeKafka(failing_topic=Settings.from_env().topic)
    monkeypatch.setattr(P, "Producer", lambda config: kafka)
    monkeypatch.setattr(topics, "ensure_topics", lambda settings: [])
    monkeypatch.setattr(clients, "mongo_database", lambda settings: None)
    monkeypatch.setattr(keywords, "KeywordRegistry", lambda db: None)
    path = tmp_path / "five.jsonl"
    path.write_bytes(b"\n".join(_lines(5)) + b"\n")
    result = CliRunner().invoke(
        app, ["produce", "--source", "replay", "--file", str(path), "--keyword", "코로나"]
    )
    assert result.exit_code == 1, result.output
    assert "5 messages were not delivered to Kafka" in result.stderr
    assert "Traceback" not in result.output
