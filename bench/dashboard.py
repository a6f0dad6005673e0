"""Dashboard benchmark on the running local stack: server-side load time of a keyword page.
Prints numbers, never asserts them. [SPEC §5: a keyword page's data in ≤ 300 ms p95]

    .venv/bin/python bench/dashboard.py            # 300 page loads
    .venv/bin/python bench/dashboard.py --quick    # 50

What one "keyword page load" is, timed with nothing cached (the app caches these for 30 s):
  data    = the session lookup (sessions + users finds), the user's keyword list, the period list
            of the keyword, its trend document and the reference term's trend document (Mongo);
  charts  = data + building every plotly figure and CSV DataFrame of the page (no word cloud);
  cloud   = rendering the word cloud PNG (cached per period in the app, so timed on its own);
  live    = the live-feed query for one keyword (Cassandra, 30 rows over hour partitions).
Loads are spread over 20 keywords × 4 period kinds × 13 periods (1,040 trend documents), picking
the current or an earlier period at random, like users switching tabs and periods.
Uses its own Mongo database and Cassandra keyspace, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streamlit_app import charts  # noqa: E402
from streamlit_app.auth import Accounts  # noqa: E402
from streamlit_app.data import (  # noqa: E402
    PERIODS,
    ensure_indexes,
    fetch_keyword_page,
    fetch_live,
    period_choices,
)
from tests.support import sample_data as sd  # noqa: E402
from tweektrend_dagster.clients import cassandra_session, connect_mongo  # noqa: E402
from tweektrend_dagster.config import Settings  # noqa: E402
from tweektrend_dagster.ingest.schema import create_schema  # noqa: E402
from tweektrend_dagster.keywords import KeywordRegistry  # noqa: E402

KEYWORDS = [
    "코로나",
    "bts",
    "넷플릭스",
    "chatgpt",
    "손흥민",
    "아이유",
    "tesla",
    "삼성전자",
    "블랙핑크",
    "뉴진스",
    "bitcoin",
    "날씨",
    "지진",
    "올림픽",
    "apple",
    "google",
    "k-pop",
    "오징어게임",
    "kbo",
    "부동산",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(name: str, ms: list[float]) -> str:
    return (
        f"{name:<8} n={len(ms):<4} p50={statistics.median(ms):7.1f} ms  "
        f"p95={pct(ms, 0.95):7.1f} ms  max={max(ms):7.1f} ms"
    )


def build_charts(doc: dict, ref: dict | None) -> None:
    charts.mentions_chart(doc)
    charts.users_chart(doc)
    charts.related_frame(doc)
    charts.related_bar(doc)
    charts.bubble_chart(doc)
    charts.counts_chart(doc.get("locations"), "Locations")
    charts.counts_chart(doc.get("devices"), "Devices")
    charts.sentiment_chart(doc)
    charts.correlation_chart(doc, ref, "코로나")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loads", type=int, default=300)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    loads = 50 if args.quick else args.loads

    name = "benchdash" + uuid.uuid4().hex[:6]
    settings = replace(Settings.from_env(), mongo_db=name, keyspace=name)
    db = connect_mongo(settings.mongo_uri, name)
    session, cluster = cassandra_session(settings, keyspace=None)
    try:
        create_schema(session, settings)
        ensure_indexes(db)
        today = datetime.now(UTC).date()
        t0 = time.perf_counter()
        docs = [
            sd.make_trend_doc(
                kw, period, date.fromisoformat(p["start"]), seed=i, final=not p["current"]
            )
            for i, kw in enumerate(KEYWORDS)
            for period in PERIODS
            for p in period_choices(period, today)
        ]
        db["trends"].insert_many(docs)
        print(
            f"published {db['trends'].count_documents({})} trend documents "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        now = datetime.now(UTC)
        rows = [
            sd.tweet_row(
                kw,
                10**15 + i * 100 + j,
                now - timedelta(minutes=7 * j),
                f"{kw} post {j}",
                f"user{j}",
            )
            for i, kw in enumerate(KEYWORDS)
            for j in range(60)
        ]
        sd.insert_tweet_rows(session, rows)

        accounts = Accounts(db, "bench-secret")
        accounts.ensure_indexes()
        registry = KeywordRegistry(db)
        registry.ensure_indexes()
        user = accounts.sign_up("bench@example.com", "Tr3nd-watcher!")
        db["users"].update_one({"_id": user.id}, {"$set": {"verified": True}})
        for kw in KEYWORDS[:8]:
            registry.add(user.id, kw)
        token = accounts.open_session(user.id)

        rnd = random.Random(7)
        data_ms, charts_ms, cloud_ms, live_ms = [], [], [], []
        parts: dict[str, list[float]] = {"session": [], "keywords": [], "trend+ref": []}
        for n in range(loads + 10):  # the first 10 warm the connections and are dropped
            kw = rnd.choice(KEYWORDS)
            period = rnd.choice(list(PERIODS))
            start = rnd.choice(period_choices(period, today))["start"]  # current or earlier
            t = time.perf_counter()
            accounts.session_user(token)
            t_session = time.perf_counter()
            registry.user_keywords(user.id)
            t_keywords = time.perf_counter()
            page = fetch_keyword_page(db, kw, period, start)
            doc, ref = page["trend"], page["reference"]
            t_data = time.perf_counter()
            build_charts(doc, ref)
            t_charts = time.perf_counter()
            if n >= 10:
                data_ms.append((t_data - t) * 1000)
                parts["session"].append((t_session - t) * 1000)
                parts["keywords"].append((t_keywords - t_session) * 1000)
                parts["trend+ref"].append((t_data - t_keywords) * 1000)
                charts_ms.append((t_charts - t) * 1000)
            if n % 5 == 0:
                words = tuple((w["word"], w["count"]) for w in doc["related_words"])
                t = time.perf_counter()
                charts.wordcloud_png(words)
                cloud_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            fetch_live(session, kw, 30)
            if n >= 10:
                live_ms.append((time.perf_counter() - t) * 1000)

        print(
            f"host: {platform.node()} · {os.cpu_count()} CPUs · Python "
            f"{platform.python_version()} · Mongo {settings.mongo_uri} · "
            f"Cassandra {settings.cassandra_hosts[0]}:{settings.cassandra_port}"
        )
        for label, ms in (
            ("data", data_ms),
            ("charts", charts_ms),
            ("cloud", cloud_ms),
            ("live", live_ms),
        ):
            print(summary(label, ms))
        for label, ms in parts.items():
            print("  of data: " + summary(label, ms))
        print(
            f"target: keyword page data p95 ≤ 300 ms → data p95 {pct(data_ms, 0.95):.0f} ms, "
            f"with charts {pct(charts_ms, 0.95):.0f} ms"
        )
    finally:
        db.client.drop_database(name)
        db.client.close()
        session.execute(f"DROP KEYSPACE IF EXISTS {name}", timeout=60)
        cluster.shutdown()


if __name__ == "__main__":
    main()
