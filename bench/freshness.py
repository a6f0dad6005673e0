"""How fresh the published numbers are, on the running default stack (`bash scripts/run.sh`).

    .venv/bin/python bench/freshness.py [--minutes 15] [--every 10]

A bench user follows a probe keyword of its own; every `--every` seconds one probe tweet (created
now) is produced through the product's producer. The probe keyword's current day is read every
second as the keyword page reads it (the trend document with the live counts of the stream laid
over it, `streamlit_app/queries.py`): a probe counts as published when the `mentions` shown
reach its number. Printed: p50/p95/max from a probe produced to its count in the published
document; the documents' `as_of` lag behind the wall clock when read; and the wall times (start to
end, as Dagster reports them) of the runs that ran meanwhile: the current day's refreshes, the
roll-ups of the current week, and any closed-day runs; and the CPU each process of the stack
used meanwhile (with its children: the Spark and Dagster run processes), on average and in the
quietest 30 s (between refreshes).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dagster_runs import dagster_runs  # noqa: E402
from bench.procstat import stack_cpu  # noqa: E402


def probe_payload(keyword: str, n: int, when: datetime) -> bytes:
    """An X API v2 tweet (`data` + `includes.users`) that mentions the probe keyword."""
    tweet_id = str(int(when.timestamp() * 1000) << 22 | n)  # snowflake-like: unique, ordered
    return json.dumps({
        "data": {"id": tweet_id, "text": f"{keyword} probe {n}", "author_id": "4242",
                 "created_at": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "lang": "en"},
        "includes": {"users": [{"id": "4242", "username": "freshness_bench",
                                "name": "Freshness bench"}]},
    }).encode()


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--every", type=float, default=10, help="seconds between probes")
    args = parser.parse_args()

    from streamlit_app.queries import fetch_keyword_page
    from tweektrend_dagster.clients import mongo_database
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
    from tweektrend_dagster.ingest.producer import TweetProducer
    from tweektrend_dagster.keywords import KeywordRegistry

    settings = Settings.from_env()
    db = mongo_database(settings)
    registry = KeywordRegistry(db)
    keyword = "probe" + uuid.uuid4().hex[:6]
    registry.add("bench-freshness", keyword)
    producer = TweetProducer(settings, KeywordWatch(registry))
    started = time.time()
    produced: list[float] = []  # wall time of probe n (1-based: index n - 1)
    published: dict[int, float] = {}
    as_of_lag: list[float] = []
    next_probe, last_seen = started, 0
    cpu_samples = [(time.time(), stack_cpu(settings.home))]
    end = started + args.minutes * 60
    print(f"probe keyword {keyword}: one probe every {args.every:.0f} s for {args.minutes:.0f} "
          "min", flush=True)
    while time.time() < end or (produced and last_seen < len(produced)
                                and time.time() < end + 900):
        now = time.time()
        if now >= next_probe and now < end:
            when = datetime.now(UTC)
            producer.send(probe_payload(keyword, len(produced) + 1, when))
            producer.flush(10)
            produced.append(when.timestamp())
            next_probe += args.every
        # what the keyword page shows: the current day's document with the stream's counts
        doc = fetch_keyword_page(db, keyword, "day", datetime.now(UTC).date().isoformat())["trend"]
        if doc:
            seen = min(int(doc["mentions"]), len(produced))
            for n in range(last_seen + 1, seen + 1):
                published[n] = time.time()
            if seen > last_seen and doc.get("as_of"):
                as_of_lag.append(time.time() - doc["as_of"].timestamp())
            last_seen = max(last_seen, seen)
        if time.time() - cpu_samples[-1][0] >= 10:
            cpu_samples.append((time.time(), stack_cpu(settings.home)))
        time.sleep(1)
    latencies = [published[n] - produced[n - 1] for n in sorted(published)]
    print(f"{len(produced)} probes, {len(latencies)} published")
    if latencies:
        print(f"produced → published: p50 {statistics.median(latencies):.0f} s, "
              f"p95 {quantile(latencies, 0.95):.0f} s, max {max(latencies):.0f} s")
    if as_of_lag:
        print(f"as_of behind the clock when a new count appeared: median "
              f"{statistics.median(as_of_lag):.0f} s, max {max(as_of_lag):.0f} s")
    today = datetime.now(UTC).date().isoformat()
    groups: dict[str, list[float]] = {}
    url = f"http://{settings.host}:{settings.dagster_port}"
    for r in (r for r in dagster_runs(url, started) if r["endTime"]):
        tags = {t["key"]: t["value"] for t in r["tags"]}
        part = tags.get("dagster/partition") or tags.get("dagster/asset_partition_range_start", "")
        if r["jobName"] == "daily_trends_job":
            name = "current-day refresh" if part == today else "closed-day run"
        else:
            name = r["jobName"]
        groups.setdefault(name, []).append(r["endTime"] - r["startTime"])
    for name, walls in sorted(groups.items()):
        print(f"  {name:26} {len(walls):3} runs, wall median {statistics.median(walls):.0f} s, "
              f"max {max(walls):.0f} s")
    report_cpu(cpu_samples)
    registry.remove("bench-freshness", keyword)


def report_cpu(samples: list[tuple[float, dict[str, float]]]) -> None:
    (t0, first), (t1, last) = samples[0], samples[-1]
    if t1 <= t0:
        return
    print(f"CPU of the stack over {t1 - t0:.0f} s (% of one core, with children):")
    for name in sorted(last, key=lambda n: -(last[n] - first.get(n, 0.0))):
        print(f"  {name:12} {100 * (last[name] - first.get(name, 0.0)) / (t1 - t0):5.1f} %")
    windows = []  # 30 s windows: the quietest is the stack between refreshes
    for i in range(len(samples)):
        j = next((k for k in range(i, len(samples)) if samples[k][0] - samples[i][0] >= 30), None)
        if j is None:
            break
        (a, ca), (b, cb) = samples[i], samples[j]
        windows.append((100 * sum(cb[n] - ca.get(n, 0.0) for n in cb) / (b - a), ca, cb, b - a))
    if windows:
        total, ca, cb, span = min(windows, key=lambda w: w[0])
        parts = ", ".join(f"{n} {100 * (cb[n] - ca.get(n, 0.0)) / span:.0f} %"
                          for n in sorted(cb, key=lambda n: -(cb[n] - ca.get(n, 0.0))))
        print(f"  quietest 30 s: {total:.0f} % of one core in all ({parts})")


if __name__ == "__main__":
    main()
