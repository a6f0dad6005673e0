"""Kafka → Cassandra: the ingestion workers of one consumer group.

The loop is short and its guarantees are visible: poll a batch, write every row to Cassandra
(unlogged batches per partition, many in flight), and only after Cassandra acknowledged commit
the offsets. Rows are upserts keyed by tweet id, so anything re-consumed after a crash is
written again identically: at-least-once delivery, exactly-once rows.

Two batches are in hand at a time: while a writer thread writes batch N, the loop polls and
builds batch N+1 (parsing and binding are most of a worker's CPU, and waiting for Cassandra's
acknowledgements was idle time). The loop commits batch N's offsets itself once the writer
is done, before it hands over batch N+1, so offsets are committed in order and only from the
consumer's own thread; a rebalance waits for the batch in flight and commits it before giving
its partitions away.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

from cassandra.query import BatchStatement, BatchType
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from tweektrend_dagster.config import Settings
from tweektrend_dagster.ingest import rows as R
from tweektrend_dagster.ingest.dlq import dead_letter_headers
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.resources.clients import cassandra_session
from tweektrend_dagster.tweets import InvalidTweet, parse_payload

log = logging.getLogger(__name__)

ROWS_PER_BATCH = 50  # rows of one Cassandra partition (or one replica) sent together
# consume() waits this long for a full batch: when the stream is slower than the workers, this
# wait is part of every tweet's produce-to-feed latency; when they lag, batches are full at once
POLL_TIMEOUT = 0.1


def batches(stmt, rows: list[tuple]) -> list[tuple]:
    """(statement, values) pairs writing `rows`: unlogged batches of up to ROWS_PER_BATCH."""
    out: list[tuple] = []
    for i in range(0, len(rows), ROWS_PER_BATCH):
        chunk = rows[i : i + ROWS_PER_BATCH]
        if len(chunk) == 1:
            out.append((stmt, chunk[0]))
            continue
        batch = BatchStatement(batch_type=BatchType.UNLOGGED)
        for row in chunk:
            batch.add(stmt, row)
        out.append((batch, None))
    return out


def consumer_config(settings: Settings, name: str) -> dict:
    return {
        "bootstrap.servers": settings.kafka_bootstrap,
        "group.id": settings.consumer_group,
        "client.id": name,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "max.poll.interval.ms": 600_000,  # a Cassandra outage is waited out inside one batch
        "fetch.min.bytes": 64 * 1024,
        "fetch.wait.max.ms": 100,
    }


class IngestWorker:
    def __init__(
        self,
        settings: Settings,
        name: str,
        keywords: KeywordWatch,
        batch_size: int = 5000,
        concurrency: int = 48,
    ):
        self.settings = settings
        self.name = name
        self.keywords = keywords
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.stop_event = threading.Event()
        self.consumer = Consumer(consumer_config(settings, name))
        self.dlq = Producer(
            {
                "bootstrap.servers": settings.kafka_bootstrap,
                "enable.idempotence": True,
                "acks": "all",
            }
        )
        self.session, self.cluster = cassandra_session(settings)
        prepare = self.session.prepare
        self.stmt = {
            "raw": prepare(R.INSERT_RAW),
            "kw": prepare(R.INSERT_BY_KEYWORD),
            "eng": prepare(R.INSERT_ENGAGEMENT),
            "day": prepare(R.INSERT_DAY),
            "progress": prepare(R.INSERT_PROGRESS),
        }
        self.tweets = 0
        self.dead = 0
        # the batch the writer thread is writing, and the offsets to commit when it is done
        self._in_flight: tuple[Future, dict] | None = None

    # -- one batch -------------------------------------------------------------------------------
    def _statements(self, messages) -> tuple[list, dict, list]:
        """Cassandra statements for a batch of messages, the offsets to commit, dead letters."""
        now = datetime.now(UTC)
        partitions: dict[tuple, list] = defaultdict(list)  # (table, partition key) -> rows
        engagement: list = []
        days: set = set()
        offsets: dict[tuple[str, int], tuple[int, datetime | None]] = {}
        dead: list = []
        for msg in messages:
            topic, part, offset = msg.topic(), msg.partition(), msg.offset()
            prev = offsets.get((topic, part), (offset, None))
            offsets[(topic, part)] = (max(prev[0], offset), prev[1])
            try:
                tweet = parse_payload(msg.value())
            except InvalidTweet as exc:
                dead.append(
                    (msg.value(), dead_letter_headers(exc.reason, "worker", topic, part, offset))
                )
                continue
            key = msg.key().decode("utf-8", "replace") if msg.key() else None
            if key is None and not tweet.keywords:
                # a raw payload on the topic, or a tweet no keyword matched when it was produced
                tweet.keywords = self.keywords.matcher().match(tweet)
            value = tweet.to_json()
            store_under = [key] if key else tweet.keywords
            # the raw archive gets each tweet once: from the message of its first keyword
            if (
                key is None
                or not tweet.keywords
                or key == tweet.keywords[0]
                or key not in tweet.keywords
            ):
                raw = R.raw_row(tweet, value)
                partitions[("raw", raw[0], raw[1])].append(raw)
            for keyword in store_under:
                row = R.keyword_row(keyword, tweet, now)
                partitions[("kw", keyword, row[1], row[2])].append(row)
            engagement.extend(R.engagement_rows(tweet))
            days.add(tweet.created_at.date())
            wm = offsets[(topic, part)][1]
            offsets[(topic, part)] = (
                offsets[(topic, part)][0],
                tweet.created_at if wm is None else max(wm, tweet.created_at),
            )
            self.tweets += 1  # messages: a tweet with k keywords arrives k times
        statements = self._engagement_statements(engagement)
        for (table, *_), rows in partitions.items():
            statements.extend(batches(self.stmt[table], rows))
        statements.extend((self.stmt["day"], (d, now)) for d in days)
        return statements, offsets, dead

    def _engagement_statements(self, rows: list[tuple]) -> list:
        """tweet_engagement has one partition per tweet, so its rows are batched by replica
        (all together on a single node) instead of costing one request each."""
        rows = list(dict.fromkeys(rows))  # a tweet matching k keywords arrives in k messages
        stmt = self.stmt["eng"]
        metadata = self.cluster.metadata
        if len(metadata.all_hosts()) <= 1:
            return batches(stmt, rows)
        by_replica: dict = defaultdict(list)
        for row in rows:
            replicas = metadata.get_replicas(self.settings.keyspace, stmt.bind(row).routing_key)
            by_replica[replicas[0] if replicas else None].append(row)
        return [s for group in by_replica.values() for s in batches(stmt, group)]

    def _execute(self, statements: list) -> list[tuple]:
        """Run statements with up to `concurrency` in flight; returns (statement, error) pairs.

        Hand-rolled instead of cassandra.concurrent: with the node down, the driver's helper
        recurses through its error callbacks and fails with RecursionError.
        """
        errors: list[tuple] = []
        window: deque = deque()

        def settle(item: tuple) -> None:
            statement, future = item
            try:
                future.result()
            except Exception as exc:
                errors.append((statement, exc))

        for statement in statements:
            if len(window) >= self.concurrency:
                settle(window.popleft())
            try:
                window.append((statement, self.session.execute_async(*statement)))
            except Exception as exc:
                errors.append((statement, exc))
        while window:
            settle(window.popleft())
        return errors

    def _write(self, statements: list) -> bool:
        """Write until Cassandra acknowledges every statement; False if asked to stop first."""
        delay = 0.5
        while True:
            errors = self._execute(statements)
            if not errors:
                return True
            if self.stop_event.is_set():
                return False
            statements = [s for s, _ in errors]
            first = errors[0][1]
            log.warning(
                "%s: Cassandra write failed (%s: %s); %d statements retried in %.1fs",
                self.name,
                type(first).__name__,
                str(first)[:200],
                len(statements),
                delay,
            )
            self.stop_event.wait(delay)
            delay = min(delay * 2, 15.0)

    def _write_batch(self, statements: list, dead: list) -> bool:
        """Rows to Cassandra, bad messages to the DLQ; False if the batch must not be committed."""
        if not self._write(statements):
            return False
        for value, headers in dead:
            self.dlq.produce(self.settings.dlq_topic, value=value, headers=headers)
        if dead:
            self.dead += len(dead)
            if self.dlq.flush(60) > 0:
                log.error("%s: dead letters not delivered; batch will be re-consumed", self.name)
                return False
        return True

    def _commit(self, offsets: dict) -> bool:
        commit = [TopicPartition(t, p, o + 1) for (t, p), (o, _) in offsets.items()]
        try:
            self.consumer.commit(offsets=commit, asynchronous=False)
        except Exception as exc:  # e.g. partitions moved in a rebalance: they will be re-consumed
            log.warning("%s: commit failed (%s); the batch may be consumed again", self.name, exc)
            return True
        now = datetime.now(UTC)
        progress = [
            (self.stmt["progress"], (self.settings.consumer_group, t, p, o + 1, wm, now))
            for (t, p), (o, wm) in offsets.items()
        ]
        self._execute(progress)  # informational: a failure here loses nothing
        return True

    # -- the loop --------------------------------------------------------------------------------
    def run(self) -> None:
        self.consumer.subscribe([self.settings.topic], on_revoke=self._on_revoke)
        log.info(
            "%s: consuming %s as group %s",
            self.name,
            self.settings.topic,
            self.settings.consumer_group,
        )
        last_report, last_count = time.monotonic(), 0
        writer = ThreadPoolExecutor(1, thread_name_prefix=f"{self.name}-writer")
        try:
            while not self.stop_event.is_set():
                messages = self.consumer.consume(num_messages=self.batch_size, timeout=POLL_TIMEOUT)
                good = []
                for msg in messages:
                    err = msg.error()
                    if err is None:
                        good.append(msg)
                    elif err.code() != KafkaError._PARTITION_EOF:
                        log.warning("%s: Kafka: %s", self.name, err)
                # built while the previous batch is still being written
                batch = self._statements(good) if good else None
                if not self._settle():
                    break
                if batch is not None:
                    statements, offsets, dead = batch
                    self._in_flight = (writer.submit(self._write_batch, statements, dead), offsets)
                now = time.monotonic()
                if now - last_report >= 5:
                    rate = (self.tweets - last_count) / (now - last_report)
                    log.info(
                        "%s: %d messages processed (%.0f/s), %d dead letters, lag %s",
                        self.name,
                        self.tweets,
                        rate,
                        self.dead,
                        self.lag(),
                    )
                    last_report, last_count = now, self.tweets
            self._settle()  # on SIGTERM the batch in flight is finished (or left uncommitted)
        finally:
            writer.shutdown(wait=True)
            self.close()

    def _settle(self) -> bool:
        """Wait for the batch in flight and commit it: False if it could not be written."""
        if self._in_flight is None:
            return True
        (written, offsets), self._in_flight = self._in_flight, None
        return written.result() and self._commit(offsets)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Called inside consume() before partitions move: the batch in flight is committed
        # first, so the next owner starts after it instead of writing it a second time.
        self._settle()

    def lag(self) -> int | None:
        """Messages of this worker's partitions not yet committed."""
        try:
            committed = self.consumer.committed(self.consumer.assignment(), timeout=2)
            total = 0
            for tp in committed:
                # cached: the high watermark of the last fetch, so the consume loop does not
                # wait for one broker round trip per partition each time it reports
                low, high = self.consumer.get_watermark_offsets(tp, cached=True)
                if high < 0:
                    continue  # nothing fetched from this partition yet
                total += max(0, high - (tp.offset if tp.offset >= 0 else max(0, low)))
            return total
        except Exception:
            return None

    def stop(self, *_: object) -> None:
        self.stop_event.set()

    def close(self) -> None:
        try:
            self.consumer.close()  # leaves the group at once so partitions move without delay
        finally:
            self.dlq.flush(10)
            self.cluster.shutdown()
            log.info("%s: stopped after %d messages", self.name, self.tweets)


def run_worker(settings: Settings, name: str) -> None:
    """Entry point of one worker process: runs until SIGTERM/SIGINT."""
    from tweektrend_dagster.keywords import KeywordRegistry
    from tweektrend_dagster.resources.clients import mongo_database

    registry = None
    try:
        registry = KeywordRegistry(mongo_database(settings))
    except Exception as exc:
        log.warning("%s: keyword registry unavailable (%s); raw payloads stay unmatched", name, exc)
    worker = IngestWorker(settings, name, KeywordWatch(registry))
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()
