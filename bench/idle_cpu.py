"""CPU of each process of the running default stack, between runs and overall.

    .venv/bin/python bench/idle_cpu.py [--minutes 6] [--every 10]

Every `--every` seconds: the CPU each of the stack's processes (and its children) used since the
last sample, from /proc, and whether Dagster has a run in flight (GraphQL). Printed: every
sample, then the averages over the samples with no run in flight ("idle": what the stack costs
between refreshes) and over all samples. [the idle stack's CPU: "small"]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.procstat import stack_cpu  # noqa: E402

IN_FLIGHT = ('{"query":"{ runsOrError(filter:{statuses:[STARTED,STARTING]}) '
             '{ ... on Runs { results { jobName } } } }"}')


def runs_in_flight(url: str) -> list[str] | None:
    request = urllib.request.Request(f"{url}/graphql", IN_FLIGHT.encode(),
                                     {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return [r["jobName"] for r in json.load(reply)["data"]["runsOrError"]["results"]]
    except OSError:
        return None  # Dagster not answering: counted as not idle


def main() -> None:
    from tweektrend_dagster.config import Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=6.0)
    ap.add_argument("--every", type=float, default=10.0)
    args = ap.parse_args()
    settings = Settings.from_env()
    url = f"http://{settings.host}:{settings.dagster_port}"
    idle: dict[str, list[float]] = defaultdict(list)
    every: dict[str, list[float]] = defaultdict(list)
    before, at = stack_cpu(settings.home), time.monotonic()
    print(f"processes: {', '.join(before)}")
    for _ in range(max(1, int(args.minutes * 60 / args.every))):
        time.sleep(args.every)
        now, t = stack_cpu(settings.home), time.monotonic()
        # a child that ended (a run's process) takes its CPU with it: never below zero
        use = {k: max(0.0, 100 * (now[k] - before.get(k, now[k])) / (t - at)) for k in now}
        before, at = now, t
        runs = runs_in_flight(url)
        for k, v in use.items():
            every[k].append(v)
            if runs == []:
                idle[k].append(v)
        print(f"{time.strftime('%H:%M:%S')} total {sum(use.values()):5.0f} %  "
              + " ".join(f"{k} {v:.0f}" for k, v in use.items()) + f"  runs {runs}", flush=True)

    def averages(samples: dict[str, list[float]]) -> str:
        if not samples:
            return "no sample"
        means = {k: sum(v) / len(v) for k, v in samples.items()}
        return (f"{sum(means.values()):.0f} % of one core: " + ", ".join(
            f"{k} {v:.1f}" for k, v in sorted(means.items(), key=lambda kv: -kv[1])))

    n_idle = len(next(iter(idle.values()), []))
    print(f"between runs ({n_idle} samples): {averages(idle)}")
    print(f"all samples: {averages(every)}")


if __name__ == "__main__":
    main()
