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

No message can stop a partition. A message that is not a tweet, whose rows cannot be bound
(found when a whole batch fails to bind, then row by row), or whose rows Cassandra refuses for
good (found when a statement fails permanently, then row by row) goes alone to the dead-letter
topic with its reason; the rest of the batch is written. Transient errors (timeouts, a node
down) are retried with back-off as before. Dead letters are confirmed delivered before the
offsets that produced them are committed. Rows of a refused message that Cassandra had already
accepted (e.g. its raw row when only its keyword row was refused) stay: they are valid rows.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from cassandra.query import BatchStatement, BatchType
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from tweektrend_dagster.clients import cassandra_session, kafka_client_config
from tweektrend_dagster.config import Settings
from tweektrend_dagster.ingest import rows as R
from tweektrend_dagster.ingest.dlq import (
    TRUNCATED_BYTES,
    dead_letter_headers,
    fit_dead_letter,
)
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.write_errors import is_permanent, reason
from tweektrend_dagster.tweets import InvalidTweet, parse_payload

log = logging.getLogger(__name__)

ROWS_PER_BATCH = 50  # rows of one Cassandra partition (or one replica) sent together
# Values per unlogged batch: far below Cassandra's max_mutation_size (half the 32 MiB commit log
# segment) and near its batch warning threshold; a larger row is sent alone.
BATCH_BYTES = 256 * 1024
# consume() waits this long for a full batch: when the stream is slower than the workers, this
# wait is part of every tweet's produce-to-feed latency; when they lag, batches are full at once
POLL_TIMEOUT = 0.1
NO_OWNER = -1  # a row no single message is responsible for (ingested_days, progress)


def chunk_bounds(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """[start, end) ranges over rows of these sizes: at most ROWS_PER_BATCH rows and BATCH_BYTES
    each; a row larger than BATCH_BYTES gets a range of its own."""
    n = len(sizes)
    if n <= ROWS_PER_BATCH and sum(sizes) <= BATCH_BYTES:
        return [(0, n)] if n else []
    out: list[tuple[int, int]] = []
    start, total = 0, 0
    for i, size in enumerate(sizes):
        if i > start and (i - start >= ROWS_PER_BATCH or total + size > BATCH_BYTES):
            out.append((start, i))
            start, total = i, 0
        total += size
    out.append((start, n))
    return out


def batches(stmt, rows: list[tuple], sizes: Sequence[int] | None = None) -> list[tuple]:
    """(statement, values) pairs writing `rows`: unlogged batches bounded as `chunk_bounds` says
    (rows only when no sizes are given)."""
    out: list[tuple] = []
    for start, end in chunk_bounds(sizes if sizes is not None else [0] * len(rows)):
        if end - start == 1:
            out.append((stmt, rows[start]))
            continue
        batch = BatchStatement(batch_type=BatchType.UNLOGGED)
        for row in rows[start:end]:
            batch.add(stmt, row)
        out.append((batch, None))
    return out


def _add(partitions: dict, key: tuple, row: tuple, owner: int) -> None:
    group = partitions.get(key)
    if group is None:
        group = partitions[key] = ([], [])
    group[0].append(row)
    group[1].append(owner)


@dataclass(slots=True)
class Write:
    """One request to Cassandra, its rows, and per row the message(s) it came from."""

    statement: object  # a BatchStatement or a BoundStatement, bound already
    prepared: object
    rows: list[tuple]
    owners: list  # per row: a message index, a tuple of them, or NO_OWNER

    def split(self) -> list[Write]:
        """The rows one statement each, to find which of them Cassandra refuses."""
        return [
            Write(self.prepared.bind(row), self.prepared, [row], [owner])
            for row, owner in zip(self.rows, self.owners, strict=True)
        ]

    def messages(self) -> tuple[int, ...]:
        out: list[int] = []
        for owner in self.owners:
            out.extend(owner if type(owner) is tuple else (owner,))
        return tuple(i for i in dict.fromkeys(out) if i != NO_OWNER)


@dataclass(slots=True)
class Plan:
    """A polled batch ready to write: its statements, offsets and dead letters found so far."""

    messages: list
    writes: list[Write]
    offsets: dict
    dead: list[tuple]  # (value, headers)
    hours: set  # the (day, hour)s of its raw rows: marked once they are written


def consumer_config(settings: Settings, name: str) -> dict:
    return kafka_client_config(settings, **{
        "group.id": settings.consumer_group,
        "client.id": name,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "max.poll.interval.ms": 600_000,  # a Cassandra outage is waited out inside one batch
        "fetch.min.bytes": 64 * 1024,
        "fetch.wait.max.ms": 100,
    })


def dlq_config(settings: Settings) -> dict:
    return kafka_client_config(settings, **{
        "enable.idempotence": True,
        "acks": "all",
        "message.timeout.ms": 30_000,  # reported as a failure; the batch then waits and retries
    })


class IngestWorker:
    def __init__(
        self,
        settings: Settings,
        name: str,
        keywords: KeywordWatch,
        batch_size: int = 5000,
        concurrency: int = 48,
        parse: Callable | None = None,
    ):
        self.settings = settings
        self.name = name
        self.keywords = keywords
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.parse = parse or parse_payload  # read at construction: the bench times the global
        self.stop_event = threading.Event()
        self.consumer = Consumer(consumer_config(settings, name))
        self.dlq = Producer(dlq_config(settings))
        self.session, self.cluster = cassandra_session(settings)

        def prepare(cql: str):
            # plain upserts of whole values: sent twice, they write the same row (so a slow
            # coordinator's request may be tried on another replica: clients.py)
            statement = self.session.prepare(cql)
            statement.is_idempotent = True
            return statement

        self.stmt = {
            "raw": prepare(R.INSERT_RAW),
            "kw": prepare(R.INSERT_BY_KEYWORD),
            "eng": prepare(R.INSERT_ENGAGEMENT),
            "day": prepare(R.INSERT_DAY),
            "hour": prepare(R.INSERT_HOUR),
            "progress": prepare(R.INSERT_PROGRESS),
            "progress_offset": prepare(R.INSERT_PROGRESS_OFFSET),
        }
        self.tweets = 0
        self.dead = 0
        # the batch the writer thread is writing, and the offsets to commit when it is done
        self._in_flight: tuple[Future, dict] | None = None

    # -- one batch: build ------------------------------------------------------------------------
    def _statements(self, messages) -> Plan:
        """Cassandra statements for a batch of messages, the offsets to commit, dead letters."""
        now = datetime.now(UTC)
        parse = self.parse
        # (table, partition key) -> (rows, the index of the message of each row)
        partitions: dict[tuple, tuple[list, list]] = {}
        engagement: dict[tuple, int | tuple] = {}  # row -> its message(s)
        days: set = set()
        hours: set = set()
        sizes: list[int] = []  # per message: its normalised JSON's length, its rows' estimate
        offsets: dict[tuple[str, int], tuple[int, datetime | None]] = {}
        dead: list = []
        for index, msg in enumerate(messages):
            topic, part, offset = msg.topic(), msg.partition(), msg.offset()
            prev = offsets.get((topic, part), (offset, None))
            offsets[(topic, part)] = (max(prev[0], offset), prev[1])
            sizes.append(0)
            try:
                tweet = parse(msg.value())
                key = msg.key().decode("utf-8", "replace") if msg.key() else None
                if key is None and not tweet.keywords:
                    # a raw payload on the topic, or a tweet no keyword matched when produced
                    tweet.keywords = self.keywords.matcher().match(tweet)
                value = tweet.to_json()
                # the raw archive gets each tweet once: from the message of its first keyword
                raw = None
                if (
                    key is None
                    or not tweet.keywords
                    or key == tweet.keywords[0]
                    or key not in tweet.keywords
                ):
                    raw = R.raw_row(tweet, value)
                store_under = [key] if key else tweet.keywords
                keyword_rows = [R.keyword_row(k, tweet, now) for k in store_under]
                engagement_rows = R.engagement_rows(tweet)
                created = tweet.created_at
                day = created.date()
            except InvalidTweet as exc:
                dead.append(self._dead_letter(msg, exc.reason))
                continue
            except Exception as exc:  # a value no check foresaw: this message only, never the loop
                dead.append(self._dead_letter(msg, f"no rows: {type(exc).__name__}: {exc}"))
                continue
            sizes[index] = len(value)
            if raw is not None:
                _add(partitions, ("raw", raw[0], raw[1]), raw, index)
                hours.add((raw[0], raw[1]))
            for row in keyword_rows:
                _add(partitions, ("kw", row[0], row[1], row[2]), row, index)
            for row in engagement_rows:  # a tweet matching k keywords arrives in k messages
                seen = engagement.get(row)
                if seen is None:
                    engagement[row] = index
                else:
                    engagement[row] = (*(seen if type(seen) is tuple else (seen,)), index)
            days.add(day)
            wm = offsets[(topic, part)][1]
            offsets[(topic, part)] = (
                offsets[(topic, part)][0],
                created if wm is None else max(wm, created),
            )
            self.tweets += 1  # messages: a tweet with k keywords arrives k times
        poisoned: dict[int, str] = {}
        writes = self._bind(partitions, engagement, sizes, poisoned)
        if poisoned:
            writes = self._without(partitions, engagement, sizes, poisoned)
            for index, why in poisoned.items():
                dead.append(self._dead_letter(messages[index], why))
            self.tweets -= len(poisoned)
        day_stmt = self.stmt["day"]
        writes.extend(
            Write(day_stmt.bind((d, now)), day_stmt, [(d, now)], [NO_OWNER]) for d in days
        )
        return Plan(messages, writes, offsets, dead, hours)

    def _without(self, partitions, engagement, sizes, poisoned: dict[int, str]) -> list[Write]:
        """The writes again without the rows of poisoned messages (until none fails to bind)."""
        while True:
            for key, (rows, owners) in list(partitions.items()):
                keep = [i for i, owner in enumerate(owners) if owner not in poisoned]
                partitions[key] = ([rows[i] for i in keep], [owners[i] for i in keep])
            for row, owner in list(engagement.items()):
                owned = owner if type(owner) is tuple else (owner,)
                alive = tuple(o for o in owned if o not in poisoned)
                if not alive:
                    del engagement[row]
                else:
                    engagement[row] = alive if len(alive) > 1 else alive[0]
            known = len(poisoned)
            writes = self._bind(partitions, engagement, sizes, poisoned)
            if len(poisoned) == known:
                return writes

    def _bind(self, partitions, engagement, sizes, poisoned: dict[int, str]) -> list[Write]:
        """Bound writes for every row; the messages of rows that fail to bind land in `poisoned`
        (and those rows are left out)."""
        writes: list[Write] = []
        for (table, *_), (rows, owners) in partitions.items():
            if rows:
                row_sizes = [sizes[o] for o in owners]
                writes.extend(self._chunks(self.stmt[table], rows, owners, row_sizes, poisoned))
        if engagement:
            writes.extend(self._engagement_writes(engagement, poisoned))
        return writes

    def _chunks(self, stmt, rows, owners, row_sizes, poisoned) -> list[Write]:
        out: list[Write] = []
        for start, end in chunk_bounds(row_sizes):
            chunk, chunk_owners = rows[start:end], owners[start:end]
            try:  # one guard per batch: the rows are bound in bulk, and nearly always bind
                if end - start == 1:
                    statement = stmt.bind(chunk[0])
                else:
                    statement = BatchStatement(batch_type=BatchType.UNLOGGED)
                    statement.is_idempotent = stmt.is_idempotent  # as its rows' upserts are
                    for row in chunk:
                        statement.add(stmt, row)
                out.append(Write(statement, stmt, chunk, chunk_owners))
            except Exception:
                out.extend(self._isolate(stmt, chunk, chunk_owners, poisoned))
        return out

    def _isolate(self, stmt, rows, owners, poisoned: dict[int, str]) -> list[Write]:
        """A batch failed to bind: bind its rows one at a time; a failing row poisons its
        message(s)."""
        out: list[Write] = []
        for row, owner in zip(rows, owners, strict=True):
            try:
                out.append(Write(stmt.bind(row), stmt, [row], [owner]))
            except Exception as exc:
                why = f"row cannot be bound ({type(exc).__name__}: {exc})"[:500]
                for index in owner if type(owner) is tuple else (owner,):
                    poisoned.setdefault(index, why)
        return out

    def _engagement_writes(self, engagement: dict, poisoned: dict[int, str]) -> list[Write]:
        """tweet_engagement has one partition per tweet, so its rows are batched by replica
        (all together on a single node) instead of costing one request each."""
        stmt = self.stmt["eng"]
        rows, owners = list(engagement), list(engagement.values())
        metadata = self.cluster.metadata
        if len(metadata.all_hosts()) <= 1:
            return self._chunks(stmt, rows, owners, [64] * len(rows), poisoned)
        by_replica: dict = {}
        for row, owner in zip(rows, owners, strict=True):
            try:
                key = stmt.bind(row).routing_key
                replicas = metadata.get_replicas(self.settings.keyspace, key)
            except Exception:
                replicas = None  # bound again in its chunk, which then isolates it
            group = by_replica.setdefault(replicas[0] if replicas else None, ([], []))
            group[0].append(row)
            group[1].append(owner)
        out: list[Write] = []
        for group_rows, group_owners in by_replica.values():
            out.extend(
                self._chunks(stmt, group_rows, group_owners, [64] * len(group_rows), poisoned)
            )
        return out

    def _dead_letter(self, msg, why: str) -> tuple:
        headers = dead_letter_headers(why, "worker", msg.topic(), msg.partition(), msg.offset())
        return msg.value(), headers

    # -- one batch: write ------------------------------------------------------------------------
    def _execute(self, writes: list[Write]) -> list[tuple[Write, Exception]]:
        """Run writes with up to `concurrency` in flight; returns (write, error) pairs.

        Hand-rolled instead of cassandra.concurrent: with the node down, the driver's helper
        recurses through its error callbacks and fails with RecursionError.
        """
        errors: list[tuple] = []
        window: deque = deque()

        def settle(item: tuple) -> None:
            write, future = item
            try:
                future.result()
            except Exception as exc:
                errors.append((write, exc))

        execute = self.session.execute_async
        for write in writes:
            if len(window) >= self.concurrency:
                settle(window.popleft())
            try:
                window.append((write, execute(write.statement)))
            except Exception as exc:  # e.g. a routing key too long to serialise
                errors.append((write, exc))
        while window:
            settle(window.popleft())
        return errors

    def _write(self, writes: list[Write]) -> dict[int, str] | None:
        """Write until Cassandra acknowledged or refused for good every row. Returns the messages
        whose rows were refused, with the reason; None if asked to stop first."""
        refused: dict[int, str] = {}
        delay = 0.5
        while writes:
            retry: list[Write] = []
            split: list[Write] = []
            first: Exception | None = None
            for write, exc in self._execute(writes):
                if not is_permanent(exc):
                    retry.append(write)
                    first = first or exc
                elif len(write.rows) > 1:
                    split.extend(write.split())  # which of its rows is the poison?
                else:
                    self._refuse(write, exc, refused)
            writes = split + retry
            if not retry:
                continue  # split rows are tried at once: a refusal is not an outage
            if self.stop_event.is_set():
                return None
            log.warning(
                "%s: Cassandra write failed (%s: %s); %d statements retried in %.1fs",
                self.name,
                type(first).__name__,
                str(first)[:200],
                len(retry),
                delay,
            )
            self.stop_event.wait(delay)
            delay = min(delay * 2, 15.0)
        return refused

    def _refuse(self, write: Write, exc: Exception, refused: dict[int, str]) -> None:
        owners = write.messages()
        why = reason(exc)
        if not owners:
            log.error("%s: dropped a bookkeeping row Cassandra refused: %s", self.name, why)
        for index in owners:
            refused.setdefault(index, why)

    def _write_batch(self, plan: Plan) -> bool:
        """Rows to Cassandra, bad messages to the DLQ; False if the batch must not be committed."""
        refused = self._write(plan.writes)
        if refused is None:
            return False
        # Marked after the rows are acknowledged, at the time of marking: a refresh that read
        # the hour before these rows landed sees a mark newer than its read (analytics/slices).
        stmt, now = self.stmt["hour"], datetime.now(UTC)
        marks = [Write(stmt.bind((d, h, now)), stmt, [(d, h, now)], [NO_OWNER])
                 for d, h in sorted(plan.hours)]
        if marks and self._write(marks) is None:
            return False
        letters = list(plan.dead)
        for index, why in refused.items():
            msg = plan.messages[index]
            log.warning(
                "%s: %s[%d]@%d dead-lettered: %s",
                self.name,
                msg.topic(),
                msg.partition(),
                msg.offset(),
                why,
            )
            letters.append(self._dead_letter(msg, why))
        if not letters:
            return True
        self.dead += len(letters)
        return self._deliver(letters)

    def _deliver(self, letters: list[tuple]) -> bool:
        """Dead letters to the DLQ, each confirmed by its delivery report, retried with back-off;
        False only when asked to stop first (the batch is then consumed again)."""
        pending = [fit_dead_letter(value, headers) for value, headers in letters]
        delay = 0.5
        while True:
            pending, error = self._send(pending)
            if not pending:
                return True
            if self.stop_event.is_set():
                log.error("%s: %d dead letters undelivered at stop", self.name, len(pending))
                return False
            log.warning(
                "%s: %d dead letters not delivered (%s); batch uncommitted, retry in %.1fs",
                self.name,
                len(pending),
                error,
                delay,
            )
            self.stop_event.wait(delay)
            delay = min(delay * 2, 15.0)

    def _send(self, letters: list[tuple]) -> tuple[list[tuple], object]:
        """Produce and flush; returns the letters not confirmed and the last error."""
        reports: list = [None] * len(letters)
        last_error: object = None

        def reporter(i: int):
            def report(err, _msg) -> None:
                reports[i] = err or True

            return report

        for i, (value, headers) in enumerate(letters):
            while True:
                try:
                    self.dlq.produce(
                        self.settings.dlq_topic,
                        value=value,
                        headers=headers,
                        on_delivery=reporter(i),
                    )
                    break
                except BufferError:
                    self.dlq.poll(0.1)
                except KafkaException as exc:
                    reports[i] = exc.args[0]
                    break
        self.dlq.flush(60)
        failed: list[tuple] = []
        for report, (value, headers) in zip(reports, letters, strict=True):
            if report is True:
                continue
            last_error = report or "no delivery report"
            if isinstance(report, KafkaError):
                if report.code() == KafkaError.MSG_SIZE_TOO_LARGE:
                    # the topic's limit is below the default: keep only the head
                    value, headers = fit_dead_letter(value, headers, limit=TRUNCATED_BYTES)
                if report.fatal():
                    self.dlq = Producer(dlq_config(self.settings))  # a fatal one is unusable
            failed.append((value, headers))
        return failed, last_error

    def _commit(self, offsets: dict) -> bool:
        commit = [TopicPartition(t, p, o + 1) for (t, p), (o, _) in offsets.items()]
        try:
            self.consumer.commit(offsets=commit, asynchronous=False)
        except Exception as exc:  # e.g. partitions moved in a rebalance: they will be re-consumed
            log.warning("%s: commit failed (%s); the batch may be consumed again", self.name, exc)
            return True
        now = datetime.now(UTC)
        stmt = self.stmt["progress"]
        progress = []
        for (t, p), (o, wm) in offsets.items():
            values = (self.settings.consumer_group, t, p, o + 1, wm, now)
            progress.append(Write(stmt.bind(values), stmt, [values], [NO_OWNER]))
        self._execute(progress)  # informational: a failure here loses nothing
        return True

    # -- the loop --------------------------------------------------------------------------------
    def run(self) -> None:
        self.consumer.subscribe(
            [self.settings.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
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
                    self._in_flight = (writer.submit(self._write_batch, batch), batch.offsets)
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

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # A previous owner killed between its Kafka commit and its progress row left the row
        # behind Kafka. With nothing left to consume in that partition, no batch would ever
        # correct it and the lag the sensor and `stack status` read would never reach zero: the
        # new owner records what Kafka has committed as soon as it gets the partition.
        try:
            committed = consumer.committed(partitions, timeout=5)
        except Exception as exc:
            log.warning("%s: committed offsets unavailable (%s)", self.name, exc)
            return
        now = datetime.now(UTC)
        stmt = self.stmt["progress_offset"]
        rows = [(self.settings.consumer_group, tp.topic, tp.partition, tp.offset, now)
                for tp in committed if tp.offset >= 0]
        self._execute([Write(stmt.bind(v), stmt, [v], [NO_OWNER]) for v in rows])

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
    from tweektrend_dagster.clients import mongo_database
    from tweektrend_dagster.keywords import KeywordRegistry

    registry = None
    try:
        registry = KeywordRegistry(mongo_database(settings))
    except Exception as exc:
        log.warning("%s: keyword registry unavailable (%s); raw payloads stay unmatched", name, exc)
    worker = IngestWorker(settings, name, KeywordWatch(registry))
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()
