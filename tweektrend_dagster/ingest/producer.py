"""Source → Kafka: parse each payload, match keywords, send one message per matched keyword.

Delivery: idempotent producer with acks=all. A payload that cannot be parsed goes to the
dead-letter topic with its reason; the stream goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from confluent_kafka import KafkaException, Producer

from tweektrend_dagster.config import Settings
from tweektrend_dagster.ingest.dlq import dead_letter_headers
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.tweets import InvalidTweet, parse_payload

log = logging.getLogger(__name__)


def producer_config(settings: Settings) -> dict:
    return {
        "bootstrap.servers": settings.kafka_bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 20,
        "batch.size": 512 * 1024,
        "compression.type": "lz4",
        "queue.buffering.max.messages": 500_000,
        "message.timeout.ms": 300_000,  # a broker restart is waited for, not lost
    }


class TweetProducer:
    def __init__(
        self, settings: Settings, keywords: KeywordWatch, producer: Producer | None = None
    ):
        self.settings = settings
        self.keywords = keywords
        self.producer = producer or Producer(producer_config(settings))
        self.sent = 0  # tweets accepted
        self.messages = 0  # Kafka messages (a tweet matching k keywords is k messages)
        self.dead = 0
        self.failed_deliveries = 0

    def _delivered(self, err, msg) -> None:
        if err is not None:
            self.failed_deliveries += 1
            log.error("delivery to %s failed: %s", msg.topic(), err)

    def _produce(
        self, topic: str, value: bytes, key: bytes | None = None, headers: list | None = None
    ) -> None:
        while True:
            try:
                self.producer.produce(
                    topic, value=value, key=key, headers=headers, on_delivery=self._delivered
                )
                return
            except BufferError:  # local queue full: let deliveries drain, then retry
                self.producer.poll(0.1)

    def send(self, payload: bytes) -> int:
        """Send one raw payload; returns the number of messages written (0 = dead letter)."""
        try:
            tweet = parse_payload(payload)
        except InvalidTweet as exc:
            self._produce(
                self.settings.dlq_topic,
                payload if isinstance(payload, bytes) else str(payload).encode("utf-8", "replace"),
                headers=dead_letter_headers(exc.reason, "producer"),
            )
            self.dead += 1
            return 0
        tweet.keywords = self.keywords.matcher().match(tweet)
        value = tweet.to_json()
        topic = self.settings.topic
        if tweet.keywords:
            for keyword in tweet.keywords:
                self._produce(topic, value, key=keyword.encode())
        else:
            self._produce(topic, value)  # unmatched: archived only, spread over partitions
        self.producer.poll(0)
        self.sent += 1
        n = max(1, len(tweet.keywords))
        self.messages += n
        return n

    def run(
        self, payloads: Iterable[bytes], limit: int | None = None, report_every: float = 5.0
    ) -> None:
        started = last = time.monotonic()
        last_sent = 0
        for payload in payloads:
            self.send(payload)
            if limit is not None and self.sent + self.dead >= limit:
                break
            now = time.monotonic()
            if now - last >= report_every:
                rate = (self.sent - last_sent) / (now - last)
                log.info(
                    "produced %d tweets (%.0f/s), %d messages, %d dead letters",
                    self.sent,
                    rate,
                    self.messages,
                    self.dead,
                )
                last, last_sent = now, self.sent
        self.flush()
        elapsed = time.monotonic() - started
        log.info(
            "done: %d tweets, %d messages, %d dead letters in %.1fs",
            self.sent,
            self.messages,
            self.dead,
            elapsed,
        )

    def flush(self, timeout: float = 120.0) -> None:
        remaining = self.producer.flush(timeout)
        if remaining:
            raise KafkaException(
                f"{remaining} messages still undelivered after {timeout:.0f}s "
                f"(is Kafka up at {self.settings.kafka_bootstrap}?)"
            )
