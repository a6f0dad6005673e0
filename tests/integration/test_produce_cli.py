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
