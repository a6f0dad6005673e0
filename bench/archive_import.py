"""What a researcher waits for: an archive on disk → its trends published, on the running stack.

    .venv/bin/python bench/archive_import.py generate --days 160 --tweets 9000 --out archive.jsonl
    bash scripts/run.sh                        # the default stack, simulator running
    .venv/bin/python bench/archive_import.py run archive.jsonl

`generate` writes a seeded archive of X API v2 tweets (Korean and English, retweets, quotes)
spread like a real collection: most days hold a few dozen tweets, a few days are busy.
`run` follows the archive's keywords (a bench user), replays the file through the product's
producer as fast as Kafka takes it, then waits until every day, week, month and quarter document
the archive implies is published by this import with the right mentions (counted here in plain
Python over the same file; a period the stack already held other tweets of counts those too),
and prints: replay time, time from the replay's end to fully published, the Dagster runs of the
import lane with their wall times as Dagster reports them, and the live lane's runs meanwhile.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dagster_runs import dagster_runs  # noqa: E402
from tweektrend_dagster.defs.tags import IMPORT, LANE, LIVE  # noqa: E402

KEYWORDS = ["코로나", "vaccine", "bts", "netflix"]


def generate(days: int, tweets: int, start: date, out: Path, seed: int) -> None:
    from tweektrend_dagster.ingest.sources.simulator import generate as simulate

    rng = random.Random(seed)
    # a skewed spread: a Pareto weight per day, so a few days carry much of the archive
    weights = [rng.paretovariate(1.3) for _ in range(days)]
    total = sum(weights)
    counts = [max(1, round(tweets * w / total)) for w in weights]
    with out.open("wb") as fh:
        for i, n in enumerate(counts):
            day = datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=i)
            for payload in simulate(n, seed=seed + i, start=day, span=timedelta(days=1),
                                    keywords=KEYWORDS):
                fh.write(payload + b"\n")
    print(json.dumps({"file": str(out), "days": days, "tweets": sum(counts),
                      "busiest_day": max(counts), "median_day": sorted(counts)[days // 2]}))


def expected_mentions(path: Path, keywords: list[str]) -> dict[str, int]:
    """doc _id → mentions, from the file alone: the matcher the producer uses, counted here."""
    from tweektrend_dagster.contracts.periods import Period
    from tweektrend_dagster.keywords import KeywordMatcher
    from tweektrend_dagster.tweets import InvalidTweet, parse_payload
    from tweektrend_dagster.tweets.inspect import iter_payloads

    matcher = KeywordMatcher(keywords)
    seen: set[int] = set()
    out: Counter[str] = Counter()
    for _, payload in iter_payloads(path):
        try:
            tweet = parse_payload(payload)
        except (InvalidTweet, TypeError):
            continue
        if tweet.id in seen:
            continue
        seen.add(tweet.id)
        day = tweet.created_at.date()
        for kw in matcher.match(tweet):
            for kind in ("day", "week", "month", "quarter"):
                out[Period.containing(kind, day).doc_id(kw)] += 1
    return dict(out)


def run(path: Path, timeout: float) -> None:
    from tweektrend_dagster.clients import mongo_database
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
    from tweektrend_dagster.ingest.producer import TweetProducer
    from tweektrend_dagster.ingest.sources.replay import Replay
    from tweektrend_dagster.keywords import KeywordRegistry

    settings = Settings.from_env()
    db = mongo_database(settings)
    registry = KeywordRegistry(db)
    for kw in KEYWORDS:
        registry.add("bench-archive", kw)
    time.sleep(40)  # the keyword sensor (every 15 s) learns them before the archive arrives
    expected = expected_mentions(path, [k.lower() for k in KEYWORDS])
    started = time.time()
    producer = TweetProducer(settings, KeywordWatch(registry))
    producer.run(Replay(path).payloads())
    replayed = time.time()
    print(f"replayed {producer.sent} tweets ({producer.dead} dead letters) "
          f"in {replayed - started:.1f} s; waiting for {len(expected)} documents")
    ids = sorted(expected)
    published_at = None
    while time.time() - replayed < timeout:
        # published by this import: written after the replay began, with at least the file's
        # count (more where the stack already held tweets of that period, e.g. an earlier
        # import in the same quarter; equal otherwise)
        found = {d["_id"]: d["mentions"] for d in
                 db["trends"].find({"_id": {"$in": ids}}, {"mentions": 1, "updated_at": 1})
                 if d["updated_at"].timestamp() >= started}
        right = sum(1 for i in ids if found.get(i, -1) >= expected[i])
        print(f"  +{time.time() - replayed:6.0f} s: {right}/{len(ids)} documents published",
              flush=True)
        if right == len(ids):
            published_at = time.time()
            exact = sum(1 for i in ids if found[i] == expected[i])
            print(f"  {exact} of them equal to the file's own count, {len(ids) - exact} hold "
                  "earlier data of their period too")
            break
        time.sleep(15)
    url = f"http://{settings.host}:{settings.dagster_port}"
    imports = dagster_runs(url, started, {LANE: IMPORT})
    for r in sorted(imports, key=lambda r: r["startTime"] or 0):
        tags = {t["key"]: t["value"] for t in r["tags"]}
        wall = (r["endTime"] or time.time()) - r["startTime"] if r["startTime"] else None
        print(f"  {r['jobName']:24} {tags.get('dagster/asset_partition_range_start', '')}.."
              f"{tags.get('dagster/asset_partition_range_end', '')} {r['status']:8} "
              f"wall {wall:.0f} s" if wall is not None else f"  {r['jobName']} {r['status']}")
    live = [r for r in dagster_runs(url, started, {LANE: LIVE}) if r["endTime"]]
    walls = sorted(r["endTime"] - r["startTime"] for r in live)
    if walls:
        print(f"  live lane meanwhile: {len(walls)} runs, wall median "
              f"{walls[len(walls) // 2]:.0f} s, max {walls[-1]:.0f} s")
    if published_at is None:
        print(f"NOT fully published within {timeout:.0f} s of the replay's end")
        sys.exit(1)
    print(f"fully published {published_at - replayed:.0f} s after the replay's end "
          f"(replay {replayed - started:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--days", type=int, default=160)
    gen.add_argument("--tweets", type=int, default=9000)
    gen.add_argument("--start", type=date.fromisoformat, default=date(2020, 12, 12))
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--out", type=Path, default=Path("archive.jsonl"))
    go = sub.add_parser("run")
    go.add_argument("file", type=Path)
    go.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    if args.cmd == "generate":
        generate(args.days, args.tweets, args.start, args.out, args.seed)
    else:
        run(args.file, args.timeout)


if __name__ == "__main__":
    main()
