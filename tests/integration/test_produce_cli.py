"""`tweektrend produce` stopped by SIGTERM delivers what it queued and exits 0."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from confluent_kafka import Consumer, TopicPartition

from tests.integration.ingest_helpers import isolated


def _messages_on(settings, topic: str, partitions: int) -> int:
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": "count"})
    try:
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        )
    finally:
        consumer.close()


def test_sigterm_flushes_what_is_queued_and_exits_cleanly(stack_settings):
    settings = isolated(stack_settings, partitions=2)
    cmd = [
        sys.executable, "-m", "tweektrend_dagster.cli", "produce",
        "--source", "simulator", "--rate", "300", "--keyword", "bts",
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **settings.as_env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(8)  # start-up, then a few seconds of tweets
        assert proc.poll() is None, proc.stderr.read()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "interrupted: delivering" in err and "Traceback" not in err
    sent = re.search(r"stopped: (\d+) tweets as (\d+) messages, (\d+) dead letters", err)
    assert sent, err
    tweets, messages = int(sent.group(1)), int(sent.group(2))
    assert tweets > 100
    # every message counted as sent is on the topic: nothing queued was lost at the signal
    assert _messages_on(settings, settings.topic, 2) == messages


def test_the_x_stream_follows_the_registry_rules_and_counts_only_local_matches(stack_settings):
    """`produce --source x-api`: the registry's rule reaches X's rule endpoint; a post X delivers
    that the rule excludes locally (X's word matching is looser) is archived, never counted."""
    import orjson

    from tests.fake_http import serve
    from tests.unit.test_x_api_source import FILTER_PATH, FakeX, FakeXHandler
    from tweektrend_dagster.clients import mongo_database
    from tweektrend_dagster.keywords import KeywordRegistry

    settings = isolated(stack_settings, partitions=2)
    key = KeywordRegistry(mongo_database(settings)).add("u1", "(코로나 OR covid) -게임")

    def post(i: int, text: str) -> bytes:
        return orjson.dumps({
            "data": {"id": str(1_900_000_000_000_000_000 + i), "text": text, "author_id": "42",
                     "created_at": "2026-12-01T10:00:00.000Z", "lang": "ko"},
            "includes": {"users": [{"id": "42", "username": "minji", "name": "Minji"}]},
            "matching_rules": [{"id": "1", "tag": key}],
        })

    with serve(FakeX(), FakeXHandler) as fake:
        fake.bodies[FILTER_PATH] = [[post(1, "코로나 확진자 소식"), post(2, "코로나 게임 출시")]]
        env = {**os.environ, **settings.as_env(), "TWEEKTREND_X_API_BASE": fake.url,
               "TWEEKTREND_X_BEARER_TOKEN": "test-token"}
        done = subprocess.run(
            [sys.executable, "-m", "tweektrend_dagster.cli", "produce", "--source", "x-api",
             "--limit", "2"], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert [(r["tag"], r["value"]) for r in fake.rules.values()] == [
            (key, "(코로나 OR covid) -게임")]  # the fixture's old rules were replaced
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": "x-rules",
                         "auto.offset.reset": "earliest"})
    try:
        consumer.subscribe([settings.topic])
        got: list = []
        deadline = time.monotonic() + 30
        while len(got) < 2 and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is not None and not msg.error():
                got.append((msg.key(), orjson.loads(msg.value())["text"]))
    finally:
        consumer.close()
    assert sorted(got, key=lambda m: m[1]) == [
        (None, "코로나 게임 출시"),  # archived for later rules, counted under none
        (key.encode(), "코로나 확진자 소식"),
    ]
