"""Batch trend analytics benchmark: a day of N simulated tweets (all keywords) and a 3-month
roll-up, in Spark, beside a plain single-process Python computation of the core statistics.

    .venv/bin/python bench/batch.py --tweets 1000000            # raw rows from a parquet copy
    .venv/bin/python bench/batch.py --tweets 200000 --cassandra # read through the connector

Steps timed: (1) cold day: parse + tokenise every distinct text + all aggregate tables;
(2) warm refresh of the same day (token table reused: what the every-few-minutes refresh pays);
(3) the day's documents; (3b) the day as it runs in operation: its tweets arrive in --slices
equal time slices, the current-day refresh runs after each (tokenising only texts new since the
previous refresh), then the run that closes the day; (4) a quarter's documents from 92 days of
aggregates (the day's tables copied to each day of the quarter, the previous quarter and the
trailing week), run twice (the first read of ~190 day folders per table is colder); (5) plain
Python: the same counts and tokenisation in one process. Each step prints its seconds and its
Spark job count (with AQE every shuffle stage counts as a job). Setup (simulation, loading) is
reported but not part of the targets.

Archive mode: a ranged import (what a replayed archive asks of Spark), all from parquet:

    .venv/bin/python bench/batch.py --archive 160 --tweets 9000     # the 160-day vaccine archive
    .venv/bin/python bench/batch.py --archive 30 --tweets 200000    # a big 30-day archive

`--archive DAYS` spreads the tweets over DAYS days like a real collection (a Pareto weight per
day: most days a few dozen tweets, a few busy ones) and times, over the whole range: the daily
aggregates, the day documents, then the week, month and quarter documents. With the per-day API
(before `aggregate_days`/`periods_documents` existed) `--limit-days N` times the first N days
only and the report extrapolates per day.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

DAY = date(2024, 3, 4)
ARCHIVE_START = date(2020, 12, 12)  # the vaccine archive of issue 11 starts here
KEYWORDS = ["코로나", "bts", "넷플릭스", "covid", "netflix", "아이폰", "bitcoin"]


def simulate(n: int, out: Path) -> None:
    """Raw-archive rows of one day, written as parquet in chunks (setup, not timed)."""
    from tweektrend_dagster.analytics.source import RAW_SCHEMA
    from tweektrend_dagster.ingest.sources.simulator import Simulator
    from tweektrend_dagster.keywords import KeywordMatcher
    from tweektrend_dagster.tweets.parsers import parse_payload

    spark = session()
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    sim = Simulator(seed=11, rate=0, keywords=KEYWORDS, start=start, limit=n, diurnal=0.45)
    t0 = start.timestamp()
    sim._times = iter(sim.timeline(n, t0, t0 + 86400 - 1))
    matcher = KeywordMatcher(KEYWORDS)
    rows = []
    for payload in sim.payloads():
        t = parse_payload(payload)
        t.keywords = matcher.match(t)
        rows.append((t.created_at.date(), t.created_at.hour, t.network, t.id, t.created_at,
                     t.to_json().decode(), t.keywords))
        if len(rows) >= 100_000:
            spark.createDataFrame(rows, RAW_SCHEMA).write.mode("append").parquet(str(out))
            rows = []
    if rows:
        spark.createDataFrame(rows, RAW_SCHEMA).write.mode("append").parquet(str(out))


def simulate_archive(days: int, n: int, out: Path, seed: int = 11) -> list[int]:
    """Raw-archive rows of `n` tweets over `days` days from ARCHIVE_START (setup, not timed)."""
    import random

    from tweektrend_dagster.analytics.source import RAW_SCHEMA
    from tweektrend_dagster.ingest.sources.simulator import generate
    from tweektrend_dagster.keywords import KeywordMatcher
    from tweektrend_dagster.tweets.parsers import parse_payload

    spark = session()
    rng = random.Random(seed)
    weights = [rng.paretovariate(1.3) for _ in range(days)]
    counts = [max(1, round(n * w / sum(weights))) for w in weights]
    matcher = KeywordMatcher(KEYWORDS)
    rows: list[tuple] = []
    seen: set[int] = set()
    for i, k in enumerate(counts):
        start = datetime(ARCHIVE_START.year, ARCHIVE_START.month, ARCHIVE_START.day,
                         tzinfo=UTC) + timedelta(days=i)
        for payload in generate(k, seed=seed + i, start=start, span=timedelta(days=1),
                                keywords=KEYWORDS):
            t = parse_payload(payload)
            if t.id in seen:  # Cassandra keeps one row per tweet id
                continue
            seen.add(t.id)
            t.keywords = matcher.match(t)
            rows.append((t.created_at.date(), t.created_at.hour, t.network, t.id, t.created_at,
                         t.to_json().decode(), t.keywords))
        if len(rows) >= 100_000 or i == days - 1:
            spark.createDataFrame(rows, RAW_SCHEMA).write.mode("append").parquet(str(out))
            rows = []
    return counts


def archive(args) -> None:  # noqa: ANN001 - argparse namespace
    """Archive mode: the range's aggregates, then every period's documents, old or new API."""
    from tweektrend_dagster.analytics import pipeline
    from tweektrend_dagster.analytics.store import AggregateStore
    from tweektrend_dagster.contracts.periods import Period

    work = Path(args.work)
    raw_path = work / f"archive-{args.archive}d-{args.tweets}"
    if not (raw_path / "_SUCCESS").exists():
        shutil.rmtree(raw_path, ignore_errors=True)
        t = time.perf_counter()
        simulate_archive(args.archive, args.tweets, raw_path)
        print(f"setup: simulated the archive in {time.perf_counter() - t:.1f} s")
    spark = session()
    raw = spark.read.parquet(str(raw_path)).persist()
    per_day = {r.day: r["count"] for r in raw.groupBy("day").count().collect()}
    days = [ARCHIVE_START + timedelta(days=i) for i in range(args.archive)]
    sizes = sorted(per_day.values())
    print(f"archive: {sum(sizes)} tweets over {len(per_day)} days of {len(days)} "
          f"(busiest {sizes[-1]}, median {sizes[len(sizes) // 2]})")
    store_dir = work / "store-archive"
    shutil.rmtree(store_dir, ignore_errors=True)
    store = AggregateStore(spark, str(store_dir))
    now = datetime(2030, 1, 1, tzinfo=UTC)
    ranged = hasattr(pipeline, "aggregate_days") and not args.per_day
    limit = len(days) if ranged or not args.limit_days else min(args.limit_days, len(days))
    sc = spark.sparkContext
    results: list[tuple[str, float, int, str]] = []

    def timed(name: str, fn, note: str = ""):  # noqa: ANN001, ANN202
        group = f"archive-{len(results)}"
        sc.setJobGroup(group, name)
        t = time.perf_counter()
        out = fn()
        secs = time.perf_counter() - t
        jobs = len(sc.statusTracker().getJobIdsForGroup(group))
        results.append((name, secs, jobs, note))
        print(f"  {name}: {secs:.1f} s, {jobs} Spark jobs {note}", flush=True)
        return out

    if ranged:
        out = timed(f"aggregates, {len(days)} days in one pass",
                    lambda: pipeline.aggregate_days(store, raw, days))
        print(f"    {len(out)} days with tweets, {sum(r.tweets for r in out)} tweets, "
              f"{sum(r.new_texts for r in out)} token rows")
        timed("aggregates again (token tables reused)",
              lambda: pipeline.aggregate_days(store, raw, days))
    else:
        timed(f"aggregates, per day, first {limit} days",
              lambda: [pipeline.aggregate_day(store, raw.where(raw.day == d), d)
                       for d in days[:limit]],
              f"({len(days)} days extrapolated: x{len(days) / limit:.1f})")
    kinds = ("day", "week", "month", "quarter")
    docs_total = 0
    for kind in kinds:
        # per-day API: only the first `limit` days are extrapolated; longer periods all run
        span = days[:limit] if kind == "day" else days
        periods = sorted({Period.containing(kind, d) for d in span}, key=lambda p: p.start)
        if ranged:
            docs = timed(f"{kind} documents, {len(periods)} periods", lambda ps=periods:
                         pipeline.periods_documents(store, ps, now=now))
            docs_total += sum(len(v) for v in docs.values())
        else:
            note = f"(x{len(days) / limit:.1f} extrapolated)" if kind == "day" else ""
            timed(f"{kind} documents, {len(periods)} periods, one by one", lambda ps=periods: [
                pipeline.period_documents(store, p, now=now) for p in ps], note)
    scale = len(days) / limit
    # per-day API: the aggregates and the day documents of `limit` days, scaled to the range
    total = sum(secs * (scale if n.startswith(("aggregates, ", "day ")) else 1)
                for n, secs, _, _ in results if "again" not in n)
    print(f"\narchive {args.archive} days, {sum(per_day.values())} tweets, "
          f"{'ranged' if ranged else 'per-day'} API, master {sc.master}")
    for name, secs, jobs, note in results:
        print(f"  {name:50s} {secs:7.1f} s {jobs:5d} jobs {note}")
    print(f"  {'aggregates + every document' + (' (extrapolated)' if scale > 1 else ''):50s} "
          f"{total:7.1f} s" + (f"  ({docs_total} documents)" if ranged else ""))


def session():
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.resources.spark import create_session, spark_config

    return create_session(spark_config(Settings.from_env(), shuffle_partitions=8))


def plain_python(raw_path: Path) -> tuple[float, int]:
    """One process: tokenise each distinct text once and count what the Spark day computes."""
    import pyarrow.parquet as pq

    from tweektrend_dagster.text.tokenize import clear_cache, tokenize_many
    from tweektrend_dagster.tweets.model import Tweet

    clear_cache()
    table = pq.read_table(raw_path, columns=["tweet", "keywords"]).to_pylist()
    t0 = time.perf_counter()
    tweets = [(Tweet.from_json(r["tweet"]), r["keywords"] or []) for r in table]
    tokens = tokenize_many([t.text for t, _ in tweets])
    stats: dict = defaultdict(lambda: {"n": 0, "users": set(), "hours": Counter(),
                                       "posts": Counter(), "words": Counter()})
    background: Counter[str] = Counter()
    for (t, kws), toks in zip(tweets, tokens, strict=True):
        background.update(toks)
        for k in kws:
            s = stats[k]
            s["n"] += 1
            s["users"].add(t.author.id)
            s["hours"][t.created_at.hour] += 1
            s["posts"][t.author.id] += 1
            s["words"].update(toks)
    return time.perf_counter() - t0, sum(s["n"] for s in stats.values())


def incremental(spark, raw, store, slices: int, timed, results: dict, aggregate_day) -> None:
    """Step 3b: the day arrives in `slices` parts with a refresh after each, then the close."""
    from pyspark.sql import functions as F

    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    refreshes, texts = [], 0
    for i in range(1, slices + 1):
        until = start + timedelta(seconds=86400 * i / slices)
        arrived = raw.where(F.col("created_at") < F.lit(until))
        r = timed(f"refresh {i}/{slices} (tweets until {until:%H:%M})",
                  lambda arrived=arrived: aggregate_day(store, arrived, DAY))
        refreshes.append(results.pop(f"refresh {i}/{slices} (tweets until {until:%H:%M})"))
        texts += r.new_texts
        print(f"    {r.tweets} tweets so far, {r.new_texts} new texts tokenised")
    results[f"refreshes during the day: slowest of {slices}"] = max(refreshes)
    results[f"refreshes during the day: all {slices} together"] = sum(refreshes)
    timed("day close after refreshes (token table complete)",
          lambda: aggregate_day(store, raw, DAY))
    print(f"    texts tokenised over the day: {texts}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tweets", type=int, default=1_000_000)
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "tweektrend-bench-batch"))
    ap.add_argument("--cassandra", action="store_true", help="load into a bench keyspace and "
                    "read through the Spark Cassandra Connector")
    ap.add_argument("--skip-plain", action="store_true")
    ap.add_argument("--slices", type=int, default=12, help="refreshes over the arriving day "
                    "(step 3b; 0 skips it)")
    ap.add_argument("--archive", type=int, default=0, metavar="DAYS",
                    help="archive mode: --tweets spread over DAYS days, a ranged import")
    ap.add_argument("--limit-days", type=int, default=0,
                    help="archive mode, per-day API: time the first N days and extrapolate")
    ap.add_argument("--per-day", action="store_true",
                    help="archive mode: use the per-day API even when the ranged one exists")
    args = ap.parse_args()
    if args.archive:
        archive(args)
        return

    from pyspark.sql import functions as F

    from tweektrend_dagster.analytics.pipeline import aggregate_day, period_documents
    from tweektrend_dagster.analytics.source import read_raw_days, write_cassandra
    from tweektrend_dagster.analytics.store import TOKENS, AggregateStore
    from tweektrend_dagster.contracts.names import RAW_TABLE
    from tweektrend_dagster.contracts.periods import Period

    work = Path(args.work)
    steps: dict[str, tuple[float, int]] = {}
    raw_path = work / f"raw-{args.tweets}"
    t = time.perf_counter()
    if not (raw_path / "_SUCCESS").exists():
        shutil.rmtree(raw_path, ignore_errors=True)
        simulate(args.tweets, raw_path)
        print(f"setup: simulated {args.tweets} tweets in {time.perf_counter() - t:.1f} s")
    spark = session()
    raw = spark.read.parquet(str(raw_path))
    if args.cassandra:
        from tweektrend_dagster.clients import cassandra_session
        from tweektrend_dagster.config import Settings
        from tweektrend_dagster.ingest.schema import create_schema

        settings = dataclasses.replace(Settings.from_env(), keyspace="tt_bench_batch")
        s, cluster = cassandra_session(settings, keyspace=None)
        create_schema(s, settings)
        loaded = s.execute("SELECT count(*) FROM raw_posts_by_day WHERE day=%s AND hour=12",
                           (DAY,)).one()[0]
        if loaded == 0:
            t = time.perf_counter()
            write_cassandra(raw, settings.keyspace, RAW_TABLE)
            print(f"setup: loaded Cassandra in {time.perf_counter() - t:.1f} s")
        cluster.shutdown()
        raw = read_raw_days(spark, settings.keyspace, [DAY])
    n_distinct = raw.select(F.regexp_replace("tweet", "", "")).count()  # warms the JVM reader

    store_dir = work / "store"
    shutil.rmtree(store_dir, ignore_errors=True)
    store = AggregateStore(spark, str(store_dir))
    results = {}
    sc = spark.sparkContext

    def timed(name: str, fn):  # noqa: ANN001, ANN202 - (seconds, Spark jobs) of one step
        group = f"step{len(steps)}"
        sc.setJobGroup(group, name)
        t = time.perf_counter()
        out = fn()
        secs = time.perf_counter() - t
        steps[name] = (secs, len(sc.statusTracker().getJobIdsForGroup(group)))
        results[name] = secs
        print(f"  {name}: {secs:.1f} s, {steps[name][1]} Spark jobs", flush=True)
        return out

    day = timed("day, cold (tokenise all)", lambda: aggregate_day(store, raw, DAY))
    print(f"tweets {day.tweets}, texts tokenised {day.new_texts}, rows {day.rows}")
    timed("day, warm refresh (token table reused)", lambda: aggregate_day(store, raw, DAY))
    docs = timed("day documents", lambda: period_documents(
        store, Period("day", DAY), now=datetime(2024, 7, 1, tzinfo=UTC)))
    results["day total (cold + documents)"] = (
        results["day, cold (tokenise all)"] + results["day documents"])

    if args.slices:
        incremental(spark, raw, AggregateStore(spark, str(work / "store-incremental")),
                    args.slices, timed, results, aggregate_day)

    # a quarter of aggregates: the measured day's tables copied to every day of Q1 2024
    quarter = Period("quarter", date(2024, 1, 1))
    for table in ("hourly", "authors", "words", "background", "totals", "posts", "facets"):
        src = Path(store.path(table, DAY))
        for d in quarter.days + quarter.previous.days + [date(2023, 12, 25) + timedelta(i)
                                                         for i in range(7)]:
            dst = Path(store.path(table, d))
            if d != DAY and not dst.exists():
                shutil.copytree(src, dst)
    qdocs = timed("3-month roll-up documents (92 days)", lambda: period_documents(
        store, quarter, now=datetime(2024, 7, 1, tzinfo=UTC)))
    timed("3-month roll-up again (warm JVM, OS cache)", lambda: period_documents(
        store, quarter, now=datetime(2024, 7, 1, tzinfo=UTC)))
    assert qdocs and docs
    del TOKENS

    if not args.skip_plain:
        secs, mentions = plain_python(raw_path)
        results["plain Python, one process (counts + tokens only)"] = secs
    cores = spark.sparkContext.defaultParallelism
    print(f"\n{args.tweets} tweets, {len(docs)} keywords, master {spark.sparkContext.master} "
          f"({cores} cores), source {'cassandra' if args.cassandra else 'parquet'}")
    for name, secs in results.items():
        jobs = f"{steps[name][1]:4d} jobs" if name in steps else ""
        print(f"  {name:55s} {secs:7.1f} s {jobs}")
    sys.stdout.flush()
    del n_distinct


if __name__ == "__main__":
    main()
