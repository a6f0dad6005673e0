"""Ingestion benchmark on the running local stack: prints numbers, never asserts them.

    .venv/bin/python bench/ingest.py            # full sizes (about 10 minutes on 2 cores)
    .venv/bin/python bench/ingest.py --quick    # small sizes, a smoke check
    .venv/bin/python bench/ingest.py --only profile   # where one worker's time goes

Sections (SPEC §5 targets in brackets):
1. throughput: N simulated tweets are produced to a fresh 12-partition topic first (the producer's
   own rate is measured there), then `tweektrend ingest --workers W` is started as a subprocess
   and timed until its consumer group's committed offsets reach the end of the topic.
   "End to end" = Kafka fetch → parse the normalised JSON → build rows → every Cassandra write
   acknowledged (posts_by_keyword per matched keyword, raw_posts_by_day once, post_engagement,
   ingested_days) → offsets committed. [≥ 6,000 tweets/s]
2. raw: the same posts_by_keyword + raw_posts_by_day rows, built beforehand, written by plain
   Python processes (prepared statements, the workers' unlogged per-partition batches,
   execute_concurrent with many in flight): no Kafka, no parsing. [ingestion / raw ≥ 0.5]
3. live: background load from `tweektrend produce --rate R`, workers running; probe tweets with
   created_at = now for a dedicated keyword at 20/s; the feed query is polled every 20 ms.
   [p95 produce → visible ≤ 1 s]
   With --live the tweets are today's (the last 6 hours) and each run is made twice: workers
   alone, then workers with `tweektrend live` (the Structured Streaming live counts) reading the
   same topic; printed: the ingest rate beside it, and when the live counts held every post.
4. burst: 150,000 tweets produced as fast as one producer can, workers running; loss
   (produced ids missing from raw_posts_by_day) and time until the group's lag is zero.
   [produced in 10 s, 0 lost, lag 0 within 2 min]

Every run uses its own topic, consumer group, keyspace and Mongo database, all removed at the end.
Only loopback servers of the running stack are used; nothing is started or stopped but our workers.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import logging
import multiprocessing as mp
import os
import platform
import pstats
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from procstat import children, proc_cpu

from tweektrend_dagster.clients import cassandra_session, connect_mongo
from tweektrend_dagster.config import Settings
from tweektrend_dagster.ingest import rows as R
from tweektrend_dagster.ingest.kafka_topics import ensure_topics
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.ingest.schema import create_schema
from tweektrend_dagster.ingest.sources.simulator import DEFAULT_KEYWORDS, generate
from tweektrend_dagster.ingest.worker import ROWS_PER_BATCH, batches
from tweektrend_dagster.keywords import KeywordMatcher, normalize_keyword
from tweektrend_dagster.tweets import Author, Tweet, parse_payload

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = sorted({normalize_keyword(k) for k in DEFAULT_KEYWORDS})
PROBE_KEYWORD = "benchprobe"
START = datetime(2026, 2, 2, tzinfo=UTC)  # simulated tweets: a fixed past day, 6 hours of it
SPAN = timedelta(hours=6)
FEED_QUERY = "SELECT id FROM posts_by_keyword WHERE keyword=? AND day=? AND hour=? LIMIT 50"


@dataclass(frozen=True)
class Sizes:
    tweets: int
    workers: tuple[int, ...]
    raw_procs: tuple[int, ...]
    raw_concurrency: int
    raw_repeats: int
    probes: int
    background_rate: int
    burst: int
    live_workers: int = 2
    burst_workers: int = 2


# raw writers: 2 processes x 48 in flight, like 2 workers. 4 x 64 made the 1 GiB-heap dev node
# run out of heap once (with other load on it), so the script stays at the workers' own level.
FULL = Sizes(200_000, (1, 2, 4), (2,), 48, 3, 240, 1000, 150_000)
QUICK = Sizes(10_000, (1, 2), (2,), 48, 1, 40, 300, 10_000)


# ---- machine and CPU accounting ------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "cpu": model,
        "python": platform.python_version(),
    }


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def machine_busy() -> tuple[float, float]:
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


class CpuMeter:
    """CPU seconds of the servers and of given processes, and machine busy %, over a window."""

    def __init__(self, servers: dict[str, int]):
        self.servers = servers
        self.start()

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.s0 = {n: proc_cpu(p) for n, p in self.servers.items()}
        self.m0 = machine_busy()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        out = {n: proc_cpu(p) - self.s0[n] for n, p in self.servers.items()}
        busy, total = machine_busy()
        out["machine_busy_pct"] = 100.0 * (busy - self.m0[0]) / max(1, total - self.m0[1])
        out["wall"] = wall
        return out


def server_pids(settings: Settings) -> dict[str, int]:
    from tweektrend_dagster.stack.launcher import Stack

    pids = {}
    for status in Stack(settings, echo=lambda _: None).status():
        # the cluster profile's nodes are kafka-1, cassandra-2, …
        if status.name.split("-")[0] in ("kafka", "cassandra", "ferretdb") and status.pid:
            pids[status.name] = status.pid
    return pids


# ---- isolated pipelines --------------------------------------------------------------------------


class Bench:
    """Creates isolated topics/keyspaces and removes every one of them in `close()`."""

    def __init__(self, base: Settings, log_dir: Path, worker_root: Path = ROOT):
        self.base = base
        self.worker_root = worker_root
        self.tag = uuid.uuid4().hex[:6]
        self.log_dir = log_dir
        self.topics: list[str] = []
        self.keyspaces: list[str] = []
        self.procs: list[subprocess.Popen] = []
        self.session, self.cluster = cassandra_session(base, keyspace=None)
        self.mongo_db = f"bench{self.tag}"

    def fresh(self, label: str) -> Settings:
        name = f"bench-{self.tag}-{label}"
        s = replace(
            self.base,
            topic=name,
            dlq_topic=name + ".dlq",
            consumer_group=name,
            keyspace=f"bench_{self.tag}_{label}",
            mongo_db=self.mongo_db,
            topic_partitions=12,
        )
        self.topics += [s.topic, s.dlq_topic]
        ensure_topics(s)
        self.keyspaces.append(s.keyspace)
        create_schema(self.session, s)
        return s

    def spawn(self, argv: list[str], settings: Settings, name: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "tweektrend_dagster.cli", *argv],
            env={
                **os.environ,
                **settings.as_env(),
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": str(self.worker_root),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.worker_root,  # `python -m` puts the working directory first on sys.path
            start_new_session=True,  # its own process group: stopped as one, by its id
        )
        log.close()
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 90) -> None:
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the group we created for it
                proc.wait(10)
        if proc in self.procs:
            self.procs.remove(proc)

    def close(self) -> None:
        for proc in list(self.procs):
            with contextlib.suppress(Exception):
                self.stop(proc)
        if self.topics:
            admin = AdminClient({"bootstrap.servers": self.base.kafka_bootstrap})
            for future in admin.delete_topics(self.topics, operation_timeout=30).values():
                with contextlib.suppress(Exception):
                    future.result()
        for ks in self.keyspaces:
            with contextlib.suppress(Exception):
                self.session.execute(f"DROP KEYSPACE IF EXISTS {ks}", timeout=120)
        with contextlib.suppress(Exception):
            db = connect_mongo(self.base.mongo_uri, self.mongo_db)
            db.client.drop_database(self.mongo_db)
            db.client.close()
        self.cluster.shutdown()


class GroupWatch:
    """Committed offsets of a consumer group and the end of its topic, read from Kafka."""

    def __init__(self, settings: Settings):
        self.consumer = Consumer(
            {
                "bootstrap.servers": settings.kafka_bootstrap,
                "group.id": settings.consumer_group,  # only reads offsets; never joins
                "enable.auto.commit": False,
            }
        )
        meta = self.consumer.list_topics(settings.topic, timeout=10).topics[settings.topic]
        self.tps = [TopicPartition(settings.topic, p) for p in sorted(meta.partitions)]

    def end(self) -> int:
        return sum(self.consumer.get_watermark_offsets(tp, timeout=5)[1] for tp in self.tps)

    def committed(self) -> int:
        return sum(max(0, tp.offset) for tp in self.consumer.committed(self.tps, timeout=10))

    def wait(self, target: int, timeout: float, every: float = 0.25) -> list[tuple[float, int]]:
        """Samples (monotonic time, committed) until committed >= target or the timeout."""
        samples = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            c = self.committed()
            samples.append((time.monotonic(), c))
            if c >= target:
                break
            time.sleep(every)
        return samples

    def close(self) -> None:
        self.consumer.close()


def worker_cpu(pool: subprocess.Popen) -> float:
    return proc_cpu(pool.pid) + sum(proc_cpu(p) for p in children(pool.pid))


def produce(settings: Settings, payloads: list[bytes]) -> tuple[TweetProducer, float]:
    producer = TweetProducer(settings, KeywordWatch(None, fixed=KEYWORDS))
    t0 = time.monotonic()
    producer.run(payloads, report_every=1e9)
    return producer, time.monotonic() - t0


def raw_ids(session, keyspace: str, tweets: list[Tweet]) -> set[int]:
    """Ids present in raw_posts_by_day, read partition by partition."""
    stmt = session.prepare(f"SELECT id FROM {keyspace}.raw_posts_by_day WHERE day=? AND hour=?")
    stmt.fetch_size = 10_000
    parts = {(t.created_at.date(), t.created_at.hour) for t in tweets}
    found: set[int] = set()
    for day, hour in sorted(parts):
        found.update(r.id for r in session.execute(stmt, (day, hour), timeout=120))
    return found


# ---- 1. throughput -------------------------------------------------------------------------------


def live_counted(settings: Settings) -> int:
    """Posts the live counts hold, over every keyword and day of the bench's database."""
    db = connect_mongo(settings.mongo_uri, settings.mongo_db)
    try:
        return sum(d.get("mentions", 0) for d in db["live_counts"].find({}, {"mentions": 1}))
    finally:
        db.client.close()


def run_throughput(bench: Bench, workers: int, payloads, tweets, servers,
                   live: bool = False) -> dict:
    label = f"w{workers}" + ("_live" if live else "")
    s = bench.fresh(label)
    producer, produce_s = produce(s, payloads)
    watch = GroupWatch(s)
    end = watch.end()
    meter = CpuMeter(servers)
    live_proc = None
    if live:  # started first: it reads the whole topic while the workers do
        s = replace(s, live_checkpoint_override=str(bench.log_dir / f"{label}-checkpoint"))
        live_proc = bench.spawn(["live"], s, f"{label}-live")
    launched = time.monotonic()
    pool = bench.spawn(["ingest", "--workers", str(workers)], s, s.consumer_group)
    samples = watch.wait(end, timeout=max(180.0, len(payloads) / 300))
    wcpu = worker_cpu(pool)
    cpu = meter.stop()
    bench.stop(pool)
    watch.close()
    live_result: dict = {}
    if live_proc is not None:
        expected = sum(len(t.keywords) for t in tweets)
        deadline = time.monotonic() + 600
        counted = live_counted(s)
        while counted < expected and time.monotonic() < deadline:
            time.sleep(1)
            counted = live_counted(s)
        live_result = {"live_counted": counted, "live_expected": expected,
                       "live_done_s": time.monotonic() - launched,
                       "live_cpu_s": worker_cpu(live_proc)}
        bench.stop(live_proc)
    done = samples[-1][0] if samples and samples[-1][1] >= end else None
    first = next((t for t, c in samples if c > 0), None)
    per_msg = len(payloads) / max(1, producer.messages)  # tweets per message

    def at(fraction: float) -> tuple[float, int]:
        return next(((t, c) for t, c in samples if c >= fraction * end), samples[-1])

    (t10, c10), (t90, c90) = at(0.1), at(0.9)
    steady = (c90 - c10) / (t90 - t10) * per_msg if t90 > t10 else float("nan")
    stored = raw_ids(bench.session, s.keyspace, tweets)
    return {
        "workers": workers,
        "tweets": len(payloads),
        "messages": producer.messages,
        "produce_rate": len(payloads) / produce_s,
        "produce_s": produce_s,
        "drained": done is not None,
        "startup_s": (first - launched) if first else float("nan"),
        "e2e_rate": len(payloads) / (done - launched) if done else float("nan"),
        "steady_rate": steady,
        "from_first_rate": (
            len(payloads) * (1 - c10 / end) / (done - t10) if done and done > t10 else float("nan")
        ),
        "stored": len(stored & {t.id for t in tweets}),
        "worker_cpu_s": wcpu,
        "cpu": cpu,
        "elapsed_s": (done or time.monotonic()) - launched,
        "load": load(),
        **live_result,
    }


# ---- 2. raw write ceiling ------------------------------------------------------------------------


def build_groups(session, values: list[bytes], engagement: bool) -> list[tuple]:
    """The workers' rows for these normalised tweets, per 5,000-tweet batch (no Kafka), as
    (prepared statement, rows of one partition) groups; `statements` turns them into the
    workers' unlogged batches (engagement rows: per replica, i.e. together on one node)."""
    stmt = {"raw": session.prepare(R.INSERT_RAW), "kw": session.prepare(R.INSERT_BY_KEYWORD)}
    eng = session.prepare(R.INSERT_ENGAGEMENT)
    now = datetime.now(UTC)
    out = []
    for start in range(0, len(values), 5000):
        partitions: dict[tuple, list] = defaultdict(list)
        eng_rows: list[tuple] = []
        for value in values[start : start + 5000]:
            tweet = Tweet.from_json(value)
            raw = R.raw_row(tweet, value)
            partitions[("raw", raw[0], raw[1])].append(raw)
            for keyword in tweet.keywords:
                row = R.keyword_row(keyword, tweet, now)
                partitions[("kw", keyword, row[1], row[2])].append(row)
            if engagement:
                eng_rows.extend(R.engagement_rows(tweet))
        out.append((eng, list(dict.fromkeys(eng_rows))))
        out.extend((stmt[table], rows) for (table, *_), rows in partitions.items())
    return out


def statements(groups: list[tuple]) -> Iterator[tuple]:
    """Bind the rows into the workers' (statement, values) pairs, lazily."""
    for stmt, rows in groups:
        yield from batches(stmt, rows)


def execute_window(session, statements: Iterable[tuple], concurrency: int) -> tuple[int, str]:
    """Run statements with `concurrency` in flight; (errors, first error). Not the driver's
    execute_concurrent: with the node gone it fails with RecursionError instead of errors."""
    window: deque = deque()
    errors, first = 0, ""

    def settle(future) -> None:
        nonlocal errors, first
        try:
            future.result()
        except Exception as exc:
            errors += 1
            first = first or f"{type(exc).__name__}: {str(exc)[:120]}"

    for statement in statements:
        if len(window) >= concurrency:
            settle(window.popleft())
        try:
            window.append(session.execute_async(*statement))
        except Exception as exc:
            errors += 1
            first = first or f"{type(exc).__name__}: {str(exc)[:120]}"
    while window:
        settle(window.popleft())
    return errors, first


def _raw_child(settings, values, engagement, prebind, concurrency, ready, go, results) -> None:
    t0 = t1 = time.time()
    n, errors, first = 0, 0, ""
    try:
        session, cluster = cassandra_session(settings)
        try:
            groups = build_groups(session, values, engagement)
            todo: Iterable[tuple] = list(statements(groups)) if prebind else statements(groups)
            n = sum(len(range(0, len(rows), ROWS_PER_BATCH)) for _, rows in groups)
            ready.release()
            go.wait(300)
            cpu0 = proc_cpu(os.getpid())
            t0 = time.time()
            errors, first = execute_window(session, todo, concurrency)
            t1 = time.time()
            cpu = proc_cpu(os.getpid()) - cpu0
        finally:
            cluster.shutdown()
    except Exception as exc:  # always report, so the parent never waits for nothing
        errors, first = errors + 1, first or f"{type(exc).__name__}: {str(exc)[:120]}"
        cpu = 0.0
        ready.release()
    results.put((t0, t1, n, errors, cpu, first))


def run_raw(
    bench: Bench, procs: int, values, concurrency, servers, engagement, prebind, repeat=0
) -> dict:
    """`prebind` binds every value before the clock starts (a server-side ceiling no client
    reaches); otherwise values are bound while timed, as cassandra-stress's own client does."""
    s = bench.fresh(f"raw{procs}{'e' if engagement else ''}{'p' if prebind else ''}{repeat}")
    ctx = mp.get_context("spawn")
    ready, go, results = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    slices = [values[i::procs] for i in range(procs)]
    children_ = [
        ctx.Process(
            target=_raw_child,
            args=(s, part, engagement, prebind, concurrency, ready, go, results),
        )
        for part in slices
    ]
    for p in children_:
        p.start()
    for _ in children_:
        if not ready.acquire(timeout=600):
            raise RuntimeError("raw writer did not get ready")
    meter = CpuMeter(servers)
    go.set()
    out = []
    deadline = time.monotonic() + 900
    while len(out) < len(children_) and time.monotonic() < deadline:
        try:
            out.append(results.get(timeout=5))
        except queue.Empty:
            if not any(p.is_alive() for p in children_):
                break
    if len(out) < len(children_):
        for p in children_:
            if p.is_alive():
                p.terminate()  # our own writer processes
        raise RuntimeError(f"only {len(out)} of {len(children_)} raw writers reported")
    cpu = meter.stop()
    for p in children_:
        p.join(60)
    t0, t1 = min(o[0] for o in out), max(o[1] for o in out)
    return {
        "procs": procs,
        "engagement": engagement,
        "prebind": prebind,
        "tweets": len(values),
        "statements": sum(o[2] for o in out),
        "errors": sum(o[3] for o in out),
        "first_error": next((o[5] for o in out if o[5]), ""),
        "rate": len(values) / (t1 - t0),
        "seconds": t1 - t0,
        "writer_cpu_s": sum(o[4] for o in out),
        "cpu": cpu,
        "load": load(),
    }


def java_writer(settings: Settings, build_dir: Path) -> list[str] | None:
    """The command running bench/stress/RawWriter.java (compiled into `build_dir`) with the
    Cassandra jars the launcher fetched (they include the 3.x Java driver cassandra-stress
    uses); None when javac or the jars are missing."""
    jars = sorted(settings.cache.glob("jars/cassandra-*"))
    javac = shutil.which("javac")
    if not jars or javac is None:
        return None
    classpath = f"{jars[-1]}/*"
    source = ROOT / "bench" / "stress" / "RawWriter.java"
    subprocess.run(
        [javac, "-nowarn", "-d", str(build_dir), "-cp", classpath, str(source)],
        check=True,
        capture_output=True,
    )
    # without a configuration the driver logs at DEBUG to stdout, and at WARN it logs every
    # multi-partition batch (the engagement rows): errors only
    logback = build_dir / "logback.xml"
    logback.write_text(
        '<configuration><appender name="E" class="ch.qos.logback.core.ConsoleAppender">'
        "<target>System.err</target><encoder><pattern>%msg%n</pattern></encoder></appender>"
        '<root level="ERROR"><appender-ref ref="E"/></root></configuration>'
    )
    return [
        "java",
        "-Xmx1g",
        f"-Dlogback.configurationFile={logback}",
        "-cp",
        f"{classpath}:{build_dir}",
        "RawWriter",
    ]


def _java_value(value: object) -> object:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, set | frozenset):
        return sorted(value)
    return value


def run_java_raw(bench: Bench, values, concurrency: int, servers, repeat: int) -> dict | None:
    """The raw write with the Java driver: one JVM, `concurrency` statements in flight."""
    cmd = java_writer(bench.base, bench.log_dir / "java")
    if cmd is None:
        return None
    s = bench.fresh(f"rawjava{repeat}")
    session, cluster = cassandra_session(s)
    try:
        groups = build_groups(session, values, engagement=True)
    finally:
        cluster.shutdown()
    names = {R.INSERT_RAW: "raw", R.INSERT_BY_KEYWORD: "kw", R.INSERT_ENGAGEMENT: "eng"}
    path = bench.log_dir / f"java-rows-{repeat}.jsonl"
    with path.open("wb") as f:
        f.write(orjson.dumps({"statements": {v: k for k, v in names.items()}}) + b"\n")
        for stmt, rows in groups:
            if rows:
                body = [[_java_value(v) for v in row] for row in rows]
                f.write(orjson.dumps({"s": names[stmt.query_string], "rows": body}) + b"\n")
    host, port = s.cassandra_hosts[0], str(s.cassandra_port)
    warmup = str(max(1, len(groups) // 10))
    meter = CpuMeter(servers)
    out = subprocess.run(
        [*cmd, host, port, s.keyspace, str(path), str(concurrency), warmup],
        capture_output=True,
        text=True,
        timeout=900,
    )
    cpu = meter.stop()
    if out.returncode != 0:
        raise RuntimeError(f"java raw writer failed: {out.stderr.strip()[-400:]}")
    result = orjson.loads(next(ln for ln in out.stdout.splitlines() if ln.startswith('{"')))
    return {
        "procs": 1,
        "engagement": True,
        "prebind": False,
        "client": "java",
        "tweets": len(values),
        "statements": result["statements"],
        "errors": result["errors"],
        "first_error": result["first_error"],
        "rate": len(values) / result["seconds"],
        "seconds": result["seconds"],
        "writer_cpu_s": float("nan"),
        "cpu": cpu,
        "load": load(),
    }


# ---- 3. live feed latency ------------------------------------------------------------------------


def probe_tweet(i: int) -> Tweet:
    now = datetime.now(UTC)
    # a snowflake-like id: unique, positive, increasing with time
    ms = int(now.timestamp() * 1000) - 1288834974657
    return Tweet(
        id=(ms << 22) | (os.getpid() % 1024 << 12) | (i % 4096),
        created_at=now,
        text=f"{PROBE_KEYWORD} live feed probe {i}",
        author=Author(id="42", username="bench_probe", name="Bench probe"),
        lang="en",
        format="tweektrend",
    )


def wait_visible(session, stmt, tweet: Tweet, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    key = (PROBE_KEYWORD, tweet.created_at.date(), tweet.created_at.hour)
    while time.monotonic() < deadline:
        if any(r.id == tweet.id for r in session.execute(stmt, key)):
            return True
        time.sleep(0.1)
    return False


def run_live(bench: Bench, sizes: Sizes, servers) -> dict:
    s = bench.fresh("live")
    session, cluster = cassandra_session(s)
    feed = session.prepare(FEED_QUERY)
    since = session.prepare(
        "SELECT id FROM posts_by_keyword WHERE keyword=? AND day=? AND hour=?"
        " AND created_at >= ? LIMIT 2000"
    )
    probe_producer = TweetProducer(s, KeywordWatch(None, fixed=[PROBE_KEYWORD]))
    pool = bench.spawn(["ingest", "--workers", str(sizes.live_workers)], s, "live-workers")
    background = None
    try:
        warm = probe_tweet(0)
        probe_producer.send(warm.to_json())
        probe_producer.flush()
        if not wait_visible(session, feed, warm, timeout=120):
            raise RuntimeError("workers did not write the warm-up probe within 120 s")
        argv = ["produce", "--rate", str(sizes.background_rate), "--seed", "5"]
        for k in DEFAULT_KEYWORDS:
            argv += ["--keyword", k]
        background = bench.spawn(argv, s, "live-background")
        watch = GroupWatch(s)
        time.sleep(5)  # let the background stream reach its rate
        end0, t_end0 = watch.end(), time.monotonic()
        meter = CpuMeter(servers)
        sent: dict[int, tuple[float, Tweet]] = {}
        seen: dict[int, float] = {}
        via_range = 0
        interval, poll_every = 1 / 20, 0.020
        next_send = next_poll = next_range = time.monotonic()
        n = 0
        deadline = time.monotonic() + sizes.probes / 20 + 60
        while time.monotonic() < deadline and (n < sizes.probes or len(seen) < len(sent)):
            now = time.monotonic()
            if n < sizes.probes and now >= next_send:
                n += 1
                tweet = probe_tweet(n)
                sent[tweet.id] = (time.time(), tweet)
                probe_producer.send(tweet.to_json())
                next_send += interval
            if now >= next_poll:
                pending = [sent[i][1] for i in sent if i not in seen]
                keys = {(t.created_at.date(), t.created_at.hour) for t in pending}
                for day, hour in keys:
                    rows = session.execute(feed, (PROBE_KEYWORD, day, hour))
                    t_seen = time.time()
                    for r in rows:
                        if r.id in sent and r.id not in seen:
                            seen[r.id] = t_seen
                # older probes can fall below LIMIT 50: look for them by time, less often
                old = [t for t in pending if t.id not in seen and time.time() - sent[t.id][0] > 2]
                if old and now >= next_range:
                    oldest = min(old, key=lambda t: t.created_at)
                    for day, hour in {(t.created_at.date(), t.created_at.hour) for t in old}:
                        rows = session.execute(since, (PROBE_KEYWORD, day, hour, oldest.created_at))
                        t_seen = time.time()
                        for r in rows:
                            if r.id in sent and r.id not in seen:
                                seen[r.id] = t_seen
                                via_range += 1
                    next_range = now + 0.2
                next_poll = now + poll_every
            probe_producer.producer.poll(0)
            pause = min(next_send if n < sizes.probes else next_poll, next_poll) - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        cpu = meter.stop()
        bg_rate = (watch.end() - end0) / (time.monotonic() - t_end0)
        lag_end = watch.end() - watch.committed()
        watch.close()
    finally:
        if background is not None:
            bench.stop(background, signal.SIGINT, wait=30)
        bench.stop(pool)
        cluster.shutdown()
    latencies = sorted(seen[i] - sent[i][0] for i in seen)
    return {
        "probes": len(sent),
        "visible": len(seen),
        "via_range": via_range,
        "p50": pct(latencies, 50),
        "p95": pct(latencies, 95),
        "max": latencies[-1] if latencies else float("nan"),
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
        "background_msgs_per_s": bg_rate,
        "lag_at_end": lag_end,
        "cpu": cpu,
        "load": load(),
    }


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


# ---- 4. burst ------------------------------------------------------------------------------------


def run_burst(bench: Bench, sizes: Sizes, payloads, tweets, servers) -> dict:
    s = bench.fresh("burst")
    pool = bench.spawn(["ingest", "--workers", str(sizes.burst_workers)], s, "burst-workers")
    try:
        warm = TweetProducer(s, KeywordWatch(None, fixed=[PROBE_KEYWORD]))
        warm.send(probe_tweet(0).to_json())
        warm.flush()
        watch = GroupWatch(s)
        if watch.wait(1, timeout=120)[-1][1] < 1:
            raise RuntimeError("workers did not commit the warm-up message within 120 s")
        meter = CpuMeter(servers)
        max_lag = 0
        stop_sampling = threading.Event()

        def sample_lag() -> None:
            nonlocal max_lag
            side = GroupWatch(s)
            while not stop_sampling.wait(0.5):
                with contextlib.suppress(Exception):
                    max_lag = max(max_lag, side.end() - side.committed())
            side.close()

        sampler = threading.Thread(target=sample_lag, daemon=True)
        sampler.start()
        t0 = time.monotonic()
        producer, produce_s = produce(s, payloads)
        t_produced = time.monotonic()
        end = watch.end()
        samples = watch.wait(end, timeout=300)
        stop_sampling.set()
        sampler.join(5)
        cpu = meter.stop()
        done = samples[-1][0] if samples[-1][1] >= end else None
        watch.close()
    finally:
        bench.stop(pool)
    ids = {t.id for t in tweets}
    stored = raw_ids(bench.session, s.keyspace, tweets)
    return {
        "tweets": len(payloads),
        "distinct_ids": len(ids),
        "messages": producer.messages,
        "failed_deliveries": producer.failed_deliveries,
        "produce_s": produce_s,
        "lost": len(ids - stored),
        "drained": done is not None,
        "lag_zero_after_start_s": (done - t0) if done else float("nan"),
        "lag_zero_after_produced_s": (done - t_produced) if done else float("nan"),
        "max_lag": max_lag,
        "cpu": cpu,
        "load": load(),
    }


# ---- profile one worker --------------------------------------------------------------------------


def _profile_child(settings: Settings, expected: int, out: str, with_cprofile: bool) -> None:
    from tweektrend_dagster.ingest import worker as W

    timers: dict[str, float] = defaultdict(float)

    def timed(name, fn):
        def inner(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                timers[name] += time.perf_counter() - t

        return inner

    if not with_cprofile:  # fine-grained timers distort cProfile, so only one of the two
        W.parse_payload = timed("parse", W.parse_payload)
        Tweet.to_json = timed("to_json", Tweet.to_json)
        for fn in ("raw_row", "keyword_row", "engagement_rows"):
            setattr(R, fn, timed("rows", getattr(R, fn)))
    worker = W.IngestWorker(settings, "bench-profile", KeywordWatch(None))
    # built on the loop's thread while the writer thread writes the previous batch: the two
    # totals overlap, so they add up to more than the wall time
    worker._statements = timed("build (loop thread)", worker._statements)
    worker._write = timed("cassandra write (writer)", worker._write)
    worker._write_batch = timed("write + DLQ (writer)", worker._write_batch)

    def stopper() -> None:
        while worker.tweets < expected and not worker.stop_event.is_set():
            time.sleep(0.05)
        worker.stop()

    threading.Thread(target=stopper, daemon=True).start()
    profiler = cProfile.Profile() if with_cprofile else None
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    worker.run()
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - t0
    lines = [
        f"one in-process worker: {worker.tweets} messages in {wall:.1f}s"
        f" = {worker.tweets / wall:.0f}/s; process CPU {time.process_time() - cpu0:.1f}s",
    ]
    for name, secs in sorted(timers.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {name:<22} {secs:7.2f}s  {1e6 * secs / max(1, worker.tweets):6.1f} µs/msg")
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(25)
        lines.append(buf.getvalue())
    Path(out).write_text("\n".join(lines))


def run_profile(bench: Bench, payloads, with_cprofile: bool) -> str:
    results = []
    for mode in [False, True] if with_cprofile else [False]:
        s = bench.fresh("prof" + ("c" if mode else "t"))
        producer, _ = produce(s, payloads)
        out = bench.log_dir / f"profile-{'cprofile' if mode else 'timers'}.txt"
        p = mp.get_context("spawn").Process(
            target=_profile_child, args=(s, producer.messages, str(out), mode)
        )
        p.start()
        p.join(900)
        if p.is_alive():
            p.terminate()
            p.join(30)
        results.append(out.read_text() if out.exists() else f"(no profile: exit {p.exitcode})")
    return "\n".join(results)


# ---- main ----------------------------------------------------------------------------------------


def fmt_cpu(cpu: dict) -> str:
    servers = ", ".join(
        f"{k} {v:.0f}s" for k, v in cpu.items() if k not in ("wall", "machine_busy_pct")
    )
    return f"machine busy {cpu['machine_busy_pct']:.0f}% over {cpu['wall']:.0f}s; CPU {servers}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke check")
    ap.add_argument(
        "--only",
        default="throughput,raw,live,burst",
        help="comma-separated sections: throughput, raw, live, burst, profile",
    )
    ap.add_argument("--tweets", type=int, help="override the number of tweets per run")
    ap.add_argument("--workers", help="override the worker counts, e.g. 1,2,4")
    ap.add_argument("--cprofile", action="store_true", help="profile: also run under cProfile")
    ap.add_argument("--live", action="store_true",
                    help="throughput: today's tweets, each run again with the live counts")
    ap.add_argument(
        "--worker-root",
        type=Path,
        default=ROOT,
        help="run the CLI subprocesses from this copy of the code (A/B comparisons)",
    )
    args = ap.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.tweets:
        sizes = replace(sizes, tweets=args.tweets, burst=min(sizes.burst, args.tweets))
    if args.workers:
        sizes = replace(sizes, workers=tuple(int(w) for w in args.workers.split(",")))
    sections = set(args.only.split(","))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("cassandra").setLevel(logging.ERROR)

    base = Settings.from_env()
    info = machine()
    print("# TweekTrend ingestion benchmark" + (" (--quick)" if args.quick else ""))
    for k, v in info.items():
        print(f"{k:>8}: {v}")
    print(f"    load: {load()} (1/5/15 min)")
    print(
        f" servers: Kafka {base.kafka_bootstrap}, Cassandra {base.cassandra_hosts[0]}:"
        f"{base.cassandra_port}, Mongo {base.mongo_uri}"
    )
    servers = server_pids(base)
    print(f"    pids: {servers}")
    print("cassandra-stress: " + cassandra_stress_note(base))
    log_dir = Path(tempfile.mkdtemp(prefix="tweektrend-bench-"))
    print(f"    logs: {log_dir}")

    n = sizes.tweets
    t = time.monotonic()
    start = datetime.now(UTC) - SPAN if args.live else START  # the live counts keep open days
    payloads = generate(n, seed=2026, start=start, span=SPAN)
    tweets = [parse_payload(p) for p in payloads]
    matcher = KeywordMatcher(KEYWORDS)
    for tweet in tweets:
        tweet.keywords = matcher.match(tweet)
    kw_rows = sum(len(tw.keywords) for tw in tweets)
    print(
        f"\ndata: {n:,} simulated v2 tweets over {SPAN} from {start:%Y-%m-%d %H:%M}"
        f" (generated in {time.monotonic() - t:.0f}s, not timed); keywords {KEYWORDS};"
        f" {kw_rows / n:.2f} keyword rows per tweet,"
        f" {sum(1 for tw in tweets if not tw.keywords) / n:.0%} match none"
    )

    if args.worker_root.resolve() != ROOT:
        print(f"workers: code from {args.worker_root}")
    bench = Bench(base, log_dir, args.worker_root.resolve())
    results: dict[str, object] = {}
    try:
        if "throughput" in sections:
            print("\n## 1. throughput (pre-produced topic, then workers until lag 0)")
            tp = []
            for w, live in [(w, live) for w in sizes.workers
                            for live in ((False, True) if args.live else (False,))]:
                r = run_throughput(bench, w, payloads, tweets, servers, live)
                tp.append(r)
                print(
                    f"workers={w}{' + live counts' if live else ''}: producer"
                    f" {r['produce_rate']:,.0f} tweets/s"
                    f" ({r['messages']:,} messages in {r['produce_s']:.1f}s) | ingest from launch"
                    f" {r['e2e_rate']:,.0f} tweets/s, steady (10→90%) {r['steady_rate']:,.0f}/s,"
                    f" startup {r['startup_s']:.1f}s, total {r['elapsed_s']:.1f}s |"
                    f" stored {r['stored']:,}/{r['tweets']:,} | worker CPU"
                    f" {r['worker_cpu_s']:.0f}s = {1000 * r['worker_cpu_s'] / n:.2f} ms/tweet"
                    f" | {fmt_cpu(r['cpu'])} | load {r['load']}"
                )
                if live:
                    print(f"  with the live counts: they held {r['live_counted']:,} of "
                          f"{r['live_expected']:,} posts {r['live_done_s']:.0f} s after launch "
                          f"(workers drained at {r['elapsed_s']:.0f} s); live CPU "
                          f"{r['live_cpu_s']:.0f} s")
            results["throughput"] = tp
        if "raw" in sections:
            print("\n## 2. raw write ceiling (same rows, no Kafka, no parsing)")
            values = [tw.to_json() for tw in tweets]
            eng_rows = sum(len(R.engagement_rows(tw)) for tw in tweets)
            raw = []
            # (tables incl. engagement?, values bound before the clock starts?)
            variants = [(True, False), (True, True), (False, True)]
            procs = max(sizes.raw_procs)
            for repeat in range(sizes.raw_repeats):
                for eng, prebind in variants:
                    r = run_raw(
                        bench, procs, values, sizes.raw_concurrency, servers, eng, prebind, repeat
                    )
                    raw.append(r)
                    errors = f"{r['errors']} ({r['first_error']})" if r["errors"] else "0"
                    print(
                        f"{procs} writer processes x {sizes.raw_concurrency} in flight"
                        f" ({raw_label(r)}): {r['rate']:,.0f} tweets/s"
                        f" ({n + kw_rows + (eng_rows if eng else 0):,} rows,"
                        f" {r['statements']:,} statements in {r['seconds']:.1f}s, errors"
                        f" {errors}) | writer CPU {r['writer_cpu_s']:.0f}s |"
                        f" {fmt_cpu(r['cpu'])} | load {r['load']}"
                    )
                java_in_flight = 2 * sizes.raw_concurrency  # as many as the 2 Python writers
                r = run_java_raw(bench, values, java_in_flight, servers, repeat)
                if r is None:
                    print("Java raw writer: skipped (no javac or no Cassandra jars)")
                    continue
                raw.append(r)
                print(
                    f"1 JVM x {java_in_flight} in flight ({raw_label(r)}): {r['rate']:,.0f}"
                    f" tweets/s ({r['statements']:,} statements in {r['seconds']:.1f}s, errors"
                    f" {r['errors']}) | {fmt_cpu(r['cpu'])} | load {r['load']}"
                )
            results["raw"] = raw
            best: dict[str, float] = {}
            for r in raw:
                best[raw_label(r)] = max(best.get(raw_label(r), 0.0), r["rate"])
            print(
                f"raw ceiling (best of {sizes.raw_repeats}): "
                + "; ".join(f"{label} {rate:,.0f} tweets/s" for label, rate in best.items())
            )
            if "throughput" in results:
                top = max(results["throughput"], key=lambda r: r["steady_rate"])
                print(
                    f"ratio ingestion/raw (workers={top['workers']}, steady; target >= 0.5): "
                    + "; ".join(
                        f"{top['steady_rate'] / rate:.2f} vs {label}"
                        for label, rate in best.items()
                    )
                )
        if "live" in sections:
            print(
                f"\n## 3. live feed: {sizes.probes} probes at 20/s, background"
                f" {sizes.background_rate} tweets/s, {sizes.live_workers} workers"
            )
            r = run_live(bench, sizes, servers)
            results["live"] = r
            print(
                f"produce→visible: p50 {r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms,"
                f" max {r['max'] * 1000:.0f} ms, mean {r['mean'] * 1000:.0f} ms"
                f" ({r['visible']}/{r['probes']} seen, {r['via_range']} only by the range query)"
                f" | background {r['background_msgs_per_s']:,.0f} msgs/s, lag at end"
                f" {r['lag_at_end']} | {fmt_cpu(r['cpu'])} | load {r['load']}"
            )
        if "burst" in sections:
            b = sizes.burst
            print(f"\n## 4. burst of {b:,} tweets, {sizes.burst_workers} workers running")
            r = run_burst(bench, sizes, payloads[:b], tweets[:b], servers)
            results["burst"] = r
            print(
                f"produced in {r['produce_s']:.1f}s ({b / r['produce_s']:,.0f} tweets/s,"
                f" {r['messages']:,} messages, {r['failed_deliveries']} failed deliveries) |"
                f" lag 0 after {r['lag_zero_after_start_s']:.1f}s from burst start"
                f" ({r['lag_zero_after_produced_s']:.1f}s after the last send), max lag"
                f" {r['max_lag']:,} | lost {r['lost']} of {r['distinct_ids']:,} |"
                f" {fmt_cpu(r['cpu'])} | load {r['load']}"
            )
        summary(results)
        if "profile" in sections:
            print("\n## profile: one worker in-process on a pre-produced topic")
            print(run_profile(bench, payloads, args.cprofile))
    finally:
        bench.close()
    print(f"\nload at end: {load()}; cleaned up topics, keyspaces and the Mongo database")
    return 0


def raw_label(r: dict) -> str:
    tables = "every table the worker writes" if r["engagement"] else "kw + raw tables"
    binding = "values bound before timing" if r["prebind"] else "values bound while timed"
    client = "Java driver" if r.get("client") == "java" else "Python driver"
    return f"{tables}, {client}, {binding}"


def summary(results: dict) -> None:
    """The results as a Markdown table (for docs/BENCHMARKS.md)."""
    rows = []
    for r in results.get("throughput", []):
        rows.append(
            (
                f"ingest, {r['workers']} worker process(es)"
                f"{' + live counts' if 'live_counted' in r else ''}, steady (10→90 %)",
                f"{r['steady_rate']:,.0f} tweets/s (from launch {r['e2e_rate']:,.0f})",
                r["load"],
            )
        )
    for r in results.get("throughput", [])[:1]:
        rows.append(("producer (parse v2, match, acks=all)", f"{r['produce_rate']:,.0f}/s", ""))
    best: dict[str, float] = {}
    for r in results.get("raw", []):
        best[raw_label(r)] = max(best.get(raw_label(r), 0.0), r["rate"])
    for label, rate in best.items():
        rows.append((f"raw writes, {label} (best)", f"{rate:,.0f} tweets/s", ""))
    if (live := results.get("live")) is not None:
        rows.append(
            (
                "live feed produce → visible",
                f"p50 {live['p50'] * 1000:.0f} ms, p95 {live['p95'] * 1000:.0f} ms,"
                f" max {live['max'] * 1000:.0f} ms",
                live["load"],
            )
        )
    if (b := results.get("burst")) is not None:
        rows.append(
            (
                f"burst of {b['tweets']:,}",
                f"produced in {b['produce_s']:.1f} s, lost {b['lost']}, lag 0 after"
                f" {b['lag_zero_after_start_s']:.0f} s",
                b["load"],
            )
        )
    if rows:
        print("\n| measure | result | load (1/5/15 min) |\n|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")


def cassandra_stress_note(settings: Settings) -> str:
    """Whether the jars the launcher fetched contain the cassandra-stress tool."""
    import zipfile

    jars = sorted(settings.cache.glob("jars/cassandra-*/*.jar"))
    for jar in jars:
        with contextlib.suppress(Exception), zipfile.ZipFile(jar) as z:
            if any(n.startswith("org/apache/cassandra/stress/") for n in z.namelist()):
                return f"found in {jar.name} (not used by this script)"
    return (
        f"not available: none of the {len(jars)} fetched Cassandra jars contains"
        " org.apache.cassandra.stress (it ships only in the binary tarball's tools/), so the"
        " raw test below is a Python equivalent"
    )


if __name__ == "__main__":
    sys.exit(main())
