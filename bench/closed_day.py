"""A closed day of 1,000,000 tweets as a Dagster run, on the running default stack.

    .venv/bin/python bench/closed_day.py [--tweets 1000000]

The day (2024-03-04, simulated like bench/batch.py: 7 keywords, Korean and English) is loaded
into a keyspace of its own (`tt_bench_day`: raw archive, keyword rows and the ingested day;
setup, not timed). Then `daily_trends_job` of that day is launched on the stack's `dagster dev`
twice, as the sensors launch it, with run config pointing its resources at the bench keyspace,
Mongo database and aggregate folder:
1. the day's first run: every text tokenised, every hour read (an import, a restored archive);
2. the whole day again with the token table complete (its hour slices dropped: every hour read);
3. the day's close after a day of refreshes: two hours (22:00, 23:00) marked as having received
   late tweets, so the run reads those two hours and merges them with the other slices.
Printed: each run's wall time from start to end as Dagster reports it (the run's process start
and the attach to the warm Spark included). [close ≤ 60 s]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.batch import DAY, session, simulate  # noqa: E402
from bench.dagster_runs import launch_run, run_status  # noqa: E402

KEYSPACE = "tt_bench_day"
WORK = Path("/tmp/tweektrend-bench-batch")


def load(tweets: int) -> int:
    """The day in the bench keyspace, once; returns its tweets."""
    from tweektrend_dagster.analytics.source import keyword_rows, parse_raw, write_cassandra
    from tweektrend_dagster.clients import cassandra_session
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.contracts.names import KEYWORD_TABLE, RAW_TABLE
    from tweektrend_dagster.ingest.rows import INSERT_DAY
    from tweektrend_dagster.ingest.schema import create_schema

    raw_path = WORK / f"raw-{tweets}"
    if not (raw_path / "_SUCCESS").exists():
        t = time.perf_counter()
        simulate(tweets, raw_path)
        print(f"setup: simulated {tweets:,} tweets in {time.perf_counter() - t:.0f} s")
    settings = dataclasses.replace(Settings.from_env(), keyspace=KEYSPACE)
    s, cluster = cassandra_session(settings, keyspace=None)
    try:
        create_schema(s, settings)
        loaded = s.execute("SELECT count(*) FROM raw_posts_by_day WHERE day=%s AND hour=12",
                           (DAY,)).one()[0]
        if loaded == 0:
            t = time.perf_counter()
            spark = session()
            raw = spark.read.parquet(str(raw_path))
            write_cassandra(raw, KEYSPACE, RAW_TABLE)
            write_cassandra(keyword_rows(parse_raw(raw)), KEYSPACE, KEYWORD_TABLE)
            spark.stop()
            s.execute(s.prepare(INSERT_DAY), (DAY, datetime.now(UTC)))
            print(f"setup: loaded the day into Cassandra in {time.perf_counter() - t:.0f} s")
    finally:
        cluster.shutdown()
    return tweets


def mark_late_hours(settings, hours: list[int]) -> None:
    """As the workers mark the hours they write: these hours received tweets just now."""
    from tweektrend_dagster.clients import cassandra_session
    from tweektrend_dagster.ingest.rows import INSERT_HOUR

    s, cluster = cassandra_session(dataclasses.replace(settings, keyspace=KEYSPACE))
    try:
        insert = s.prepare(INSERT_HOUR)
        for hour in hours:
            s.execute(insert, (DAY, hour, datetime.now(UTC)))
    finally:
        cluster.shutdown()


def timed_run(url: str, label: str, run_config: dict) -> float:
    run_id = launch_run(url, "daily_trends_job", run_config,
                        {"dagster/partition": DAY.isoformat(), "tweektrend/trigger": "bench"})
    while True:
        status = run_status(url, run_id)
        if status["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    wall = status["endTime"] - status["startTime"]
    print(f"  {label:55s} {wall:6.1f} s  ({status['status']}, run {run_id[:8]})", flush=True)
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tweets", type=int, default=1_000_000)
    args = ap.parse_args()

    from tweektrend_dagster.clients import connect_mongo
    from tweektrend_dagster.config import Settings

    settings = Settings.from_env()
    load(args.tweets)
    analytics = WORK / "dagster-analytics"
    hosts = ",".join(settings.cassandra_hosts)
    run_config = {"resources": {  # a resource's run config names every field
        "cassandra": {"config": {"hosts": hosts, "port": settings.cassandra_port,
                                 "keyspace": KEYSPACE}},
        "spark": {"config": {"remote": settings.spark_remote, "master": settings.spark_master,
                             "cassandra_hosts": hosts, "cassandra_port": settings.cassandra_port,
                             "keyspace": KEYSPACE, "analytics_path": str(analytics)}},
        "mongo": {"config": {"uri": settings.mongo_uri, "database": KEYSPACE}},
    }}
    url = f"http://{settings.host}:{settings.dagster_port}"
    print(f"{args.tweets:,} tweets on {DAY}; runs launched on {url} (load "
          f"{Path('/proc/loadavg').read_text().split()[:3]})")
    import shutil

    shutil.rmtree(analytics, ignore_errors=True)  # the first run starts without a token table
    timed_run(url, "first run of the day (every text tokenised)", run_config)
    shutil.rmtree(analytics / "_slices", ignore_errors=True)
    timed_run(url, "the whole day, token table complete (every hour read)", run_config)
    mark_late_hours(settings, [22, 23])
    timed_run(url, "the day's close: 2 hours with late tweets, 22 from slices", run_config)
    db = connect_mongo(settings.mongo_uri, KEYSPACE)
    docs = list(db["trends"].find({"period": "day", "start": DAY.isoformat()},
                                  {"keyword": 1, "mentions": 1}))
    print(f"  published: {sorted((d['keyword'], d['mentions']) for d in docs)}")
    db.client.drop_database(KEYSPACE)
    db.client.close()


if __name__ == "__main__":
    main()
