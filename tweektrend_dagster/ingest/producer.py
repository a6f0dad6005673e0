"""Source → Kafka: parse each payload, match keywords, send one message per matched keyword.

A live network also says things about posts already sent: a deletion goes to the events topic
keyed by the post (the deletion applier, `ingest/deletions.py`, removes the post everywhere);
a like or repost goes there too when it is about a post this producer sent under a keyword
(a bounded memory of recent ones: the rest of the network's reactions are not ours to keep).
Events that are no post at all (an account or identity change) are counted as skipped.

Delivery: idempotent producer with acks=all. A payload that cannot be parsed goes to the
dead-letter topic with its reason, and so does a tweet too large for a Kafka message (its
payload truncated, the original size in a header); the stream goes on. Every delivery report is
counted: `failed_deliveries` says how many messages Kafka did not take.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

from confluent_kafka import KafkaError, KafkaException, Producer

from tweektrend_dagster.clients import kafka_client_config
from tweektrend_dagster.config import Settings
from tweektrend_dagster.ingest.dlq import dead_letter_headers, fit_dead_letter
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.source_status import SourceStatusWriter
from tweektrend_dagster.tweets import InvalidTweet, Tweet
from tweektrend_dagster.tweets.events import Deletion, Reaction
from tweektrend_dagster.tweets.parsers import NOT_A_POST, parse_event

log = logging.getLogger(__name__)

# librdkafka's and the broker's default message.max.bytes; key and headers count too, hence
# the headroom in `send`.
MESSAGE_MAX_BYTES = 1_000_000
HEADROOM = 4096
# Posts sent under a keyword whose reactions are forwarded: about a day of a busy stream's
# matched posts (most reactions come in a post's first hours).
REMEMBERED_POSTS = 200_000


def producer_config(settings: Settings) -> dict:
    return kafka_client_config(settings, **{
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 20,
        "batch.size": 512 * 1024,
        "compression.type": "lz4",
        "queue.buffering.max.messages": 500_000,
        "message.timeout.ms": 300_000,  # a broker restart is waited for, not lost
        "message.max.bytes": MESSAGE_MAX_BYTES,
    })


class TweetProducer:
    def __init__(
        self, settings: Settings, keywords: KeywordWatch, producer: Producer | None = None,
        network: str | None = None, status: SourceStatusWriter | None = None,
    ):
        self.settings = settings
        self.network = network  # the source's network, for its status report (None: mixed)
        self.status = status
        self.last_payload_at: float | None = None  # epoch seconds
        self.newest_post_at: datetime | None = None
        self.keywords = keywords
        # not `producer or …`: a client with an empty queue has len() 0
        self.producer = producer if producer is not None else Producer(producer_config(settings))
        self.sent = 0  # tweets accepted
        self.messages = 0  # Kafka messages (a tweet matching k keywords is k messages)
        self.dead = 0
        self.events = 0  # deletions and reactions sent to the events topic
        self.skipped = 0  # stream events that are no post (identity, account, other records)
        self.failed_deliveries = 0
        self._matched: OrderedDict[tuple[str, str], None] = OrderedDict()
        # messages the broker refused as too large (its limit below ours): dead-lettered next
        self._refused: list[tuple[bytes, int]] = []
        self._refused_letters: list[tuple[list, int]] = []

    def _delivered(self, err, msg) -> None:
        if err is None:
            return
        if err.code() == KafkaError.MSG_SIZE_TOO_LARGE:
            if msg.topic() != self.settings.dlq_topic:
                self._refused.append((msg.value(), len(msg.value() or b"")))
                return
            if msg.value():  # a dead letter over the broker's limit: its headers alone
                self._refused_letters.append((msg.headers() or [], len(msg.value())))
                return
        self.failed_deliveries += 1
        log.error("delivery to %s failed: %s", msg.topic(), err)

    def _produce(
        self, topic: str, value: bytes, key: bytes | None = None, headers: list | None = None
    ) -> bool:
        """Queue one message; False if it is larger than Kafka takes."""
        while True:
            try:
                self.producer.produce(
                    topic, value=value, key=key, headers=headers, on_delivery=self._delivered
                )
                return True
            except BufferError:  # local queue full: let deliveries drain, then retry
                self.producer.poll(0.1)
            except KafkaException as exc:
                if exc.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE:
                    return False
                raise

    def _dead_letter(self, payload: bytes | str, reason: str) -> None:
        raw = payload if isinstance(payload, bytes) else str(payload).encode("utf-8", "replace")
        value, headers = fit_dead_letter(raw, dead_letter_headers(reason, "producer"))
        if not self._produce(self.settings.dlq_topic, value, headers=headers):
            # even the truncated letter is refused: keep the reason, drop the bytes
            self._produce(self.settings.dlq_topic, b"", headers=headers)
        self.dead += 1

    def send(self, payload: bytes) -> int:
        """Send one raw payload; returns the number of messages written (0 = dead letter,
        skipped or an event not kept)."""
        self.last_payload_at = time.time()
        try:
            event = parse_event(payload)
        except InvalidTweet as exc:
            if exc.reason.startswith(NOT_A_POST):
                self.skipped += 1
            else:
                self._dead_letter(payload, exc.reason)
            return 0
        if type(event) is not Tweet:
            return self._send_event(event)
        tweet = event
        if self.newest_post_at is None or tweet.created_at > self.newest_post_at:
            self.newest_post_at = tweet.created_at
        tweet.keywords = self.keywords.matcher().match(tweet)
        value = tweet.to_json()
        if len(value) > MESSAGE_MAX_BYTES - HEADROOM:
            self._dead_letter(payload, _too_large(len(value)))
            return 0
        topic = self.settings.topic
        # unmatched: archived only, one message without a key, spread over partitions
        for key in [k.encode() for k in tweet.keywords] or [None]:
            if not self._produce(topic, value, key=key):
                self._dead_letter(payload, _too_large(len(value)))
                return 0
            self.messages += 1  # counted as queued, so an interrupt never miscounts
        self.producer.poll(0)
        self._dead_letter_refused()
        self.sent += 1
        if tweet.keywords and tweet.network != "x":
            self._remember((tweet.network, tweet.id))
        return max(1, len(tweet.keywords))

    def _remember(self, post: tuple[str, str]) -> None:
        self._matched[post] = None
        if len(self._matched) > REMEMBERED_POSTS:
            self._matched.popitem(last=False)

    def _send_event(self, event: Deletion | Reaction) -> int:
        if type(event) is Reaction and (event.network, event.post_id) not in self._matched:
            return 0  # a reaction to a post no keyword follows
        post_id = event.id if type(event) is Deletion else event.post_id
        key = f"{event.network}:{post_id}".encode()
        value = event.to_json()
        if not self._produce(self.settings.events_topic, value, key=key):
            self._dead_letter(value, _too_large(len(value)))
            return 0
        self.events += 1
        self.producer.poll(0)
        return 1

    def _dead_letter_refused(self) -> None:
        while self._refused:
            value, size = self._refused.pop()
            self._dead_letter(value, f"{_too_large(size)}; refused by the broker")
        while self._refused_letters:
            headers, size = self._refused_letters.pop()
            headers = [h for h in headers if h[0] not in ("truncated", "original_size")]
            size_headers = [("original_size", str(size).encode()), ("truncated", b"0")]
            self._produce(self.settings.dlq_topic, b"", headers=headers + size_headers)

    def run(
        self, payloads: Iterable[bytes], limit: int | None = None, report_every: float = 5.0
    ) -> None:
        started = last = time.monotonic()
        last_sent = 0
        read = 0
        for payload in payloads:
            self.send(payload)
            read += 1
            if limit is not None and read >= limit:
                break
            if self.status is not None:
                self.status.maybe_report(self)
            now = time.monotonic()
            if now - last >= report_every:
                rate = (self.sent - last_sent) / (now - last)
                log.info(
                    "produced %d posts (%.0f/s), %d messages, %d events, %d skipped, "
                    "%d dead letters",
                    self.sent, rate, self.messages, self.events, self.skipped, self.dead,
                )
                last, last_sent = now, self.sent
        self.flush()
        if self.status is not None:
            self.status.maybe_report(self, force=True)
        elapsed = time.monotonic() - started
        log.info(
            "done: %d posts, %d messages, %d events, %d skipped, %d dead letters in %.1fs",
            self.sent, self.messages, self.events, self.skipped, self.dead, elapsed,
        )

    def queued(self) -> int:
        """Messages handed to the client and not yet reported delivered or failed."""
        return len(self.producer)

    def flush(self, timeout: float = 120.0) -> None:
        """Wait for every queued message's delivery report; raises if some are still pending."""
        remaining = self.producer.flush(timeout)
        for _ in range(2):  # refused as too large → a dead letter → maybe its headers alone
            if not (self._refused or self._refused_letters):
                break
            self._dead_letter_refused()
            remaining = self.producer.flush(timeout)
        if remaining:
            raise KafkaException(
                f"{remaining} messages still undelivered after {timeout:.0f}s "
                f"(is Kafka up at {self.settings.kafka_bootstrap}?)"
            )


def _too_large(size: int) -> str:
    return f"too large for Kafka: {size} bytes as a message (message.max.bytes {MESSAGE_MAX_BYTES})"
