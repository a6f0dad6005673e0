"""Deterministic `trends` documents and `posts_by_keyword` rows shaped exactly like
docs/ARCHITECTURE.md, for the dashboard's tests, screenshots and benchmark (the Spark analytics
publish the real ones)."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tweektrend_dagster.contracts import names
from tweektrend_dagster.contracts.periods import PERIOD_KINDS, Period
from tweektrend_dagster.trend_store.ranges import update_keyword_ranges

_WORDS = {
    "코로나": [
        ("확진자", "ko"),
        ("백신", "ko"),
        ("방역", "ko"),
        ("마스크", "ko"),
        ("격리", "ko"),
        ("거리두기", "ko"),
        ("#코로나19", "hashtag"),
        ("vaccine", "en"),
        ("병원", "ko"),
        ("검사", "ko"),
        ("정부", "ko"),
        ("오미크론", "ko"),
    ],
    "default": [
        ("concert", "en"),
        ("album", "en"),
        ("#kpop", "hashtag"),
        ("무대", "ko"),
        ("팬", "ko"),
        ("new", "en"),
        ("tour", "en"),
        ("뮤직비디오", "ko"),
        ("release", "en"),
        ("live", "en"),
        ("방송", "ko"),
        ("love", "en"),
    ],
}
_PLACES = ["Seoul", "Busan", "Incheon", "Daegu", "New York", "Tokyo", "London"]
_DEVICES = ["Twitter for iPhone", "Twitter for Android", "Twitter Web App", "TweetDeck"]


def period_bounds(period: str, start: date) -> tuple[date, date]:
    """[start, end) of a period that begins at `start` (the analytics' calendar)."""
    p = Period(period, start)  # type: ignore[arg-type]
    return p.start, p.end


def period_start(period: str, day: date) -> date:
    return Period.containing(period, day).start  # type: ignore[arg-type]


def previous_start(period: str, start: date) -> date:
    return Period(period, start).previous.start  # type: ignore[arg-type]


def make_trend_doc(
    keyword: str,
    period: str,
    start: date,
    *,
    seed: int = 0,
    final: bool = True,
    scale: float = 1.0,
    extra_post: dict[str, Any] | None = None,
) -> dict[str, Any]:
    rnd = random.Random(f"{keyword}|{period}|{start}|{seed}")
    start, end = period_bounds(period, start)
    if period == "day":
        stamps = [datetime(start.year, start.month, start.day, h, tzinfo=UTC) for h in range(24)]
    else:
        days = (end - start).days
        stamps = [
            datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=d)
            for d in range(days)
        ]
    base = (40 if period == "day" else 600) * scale
    series = []
    spike_at = rnd.randrange(len(stamps))
    for i, t in enumerate(stamps):
        daily = 1 + 0.5 * math.sin(i / max(1, len(stamps)) * 2 * math.pi)
        mentions = int(base * daily * rnd.uniform(0.7, 1.3)) + (
            int(base * 4) if i == spike_at else 0
        )
        users = int(mentions * rnd.uniform(0.5, 0.8))
        spike = 4.2 if i == spike_at else round(rnd.uniform(-1, 1.5), 2)
        series.append(
            {
                "t": t.isoformat().replace("+00:00", "Z"),
                "mentions": mentions,
                "users": users,
                "spike": spike,
                "is_spike": i == spike_at,
            }
        )
    mentions = sum(p["mentions"] for p in series)
    unique = int(sum(p["users"] for p in series) * 0.6)
    prev_m = int(mentions * rnd.uniform(0.7, 1.2))
    prev_u = int(unique * rnd.uniform(0.7, 1.2))
    words = _WORDS.get(keyword, _WORDS["default"])
    related = [
        {
            "word": w,
            "count": int(mentions * 0.3 / (i + 1)),
            "score": round(0.9 - i * 0.06, 3),
            "kind": k,
        }
        for i, (w, k) in enumerate(words)
    ]
    posts = []
    for i in range(10):
        tid = str(1_800_000_000_000_000_000 + rnd.randrange(10**15))
        user = f"user{rnd.randrange(1000)}"
        rts, likes, reps = rnd.randrange(500), rnd.randrange(2000), rnd.randrange(100)
        posts.append(
            {
                "id": tid,
                "text": f"{keyword} 관련 인기 글 #{i + 1} — popular post",
                "author_username": user,
                "author_name": user.title(),
                "created_at": stamps[0].isoformat(),
                "retweets": rts,
                "likes": likes,
                "replies": reps,
                "quotes": 0,
                "engagement": rts + likes + reps,
                "url": f"https://x.com/{user}/status/{tid}",
            }
        )
    if extra_post:
        posts.insert(0, extra_post)
    posts.sort(key=lambda p: -p["engagement"])
    return {
        "_id": Period(period, start).doc_id(keyword),  # type: ignore[arg-type]
        "keyword": keyword,
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "final": final,
        "updated_at": datetime.now(UTC),
        "mentions": mentions,
        "unique_users": unique,
        "unique_users_method": "exact",
        "prev_mentions": prev_m,
        "prev_unique_users": prev_u,
        "change_mentions_pct": round((mentions - prev_m) / prev_m * 100, 1) if prev_m else None,
        "change_users_pct": round((unique - prev_u) / prev_u * 100, 1) if prev_u else None,
        "series": series,
        "top_posts": posts,
        "top_users": [
            {
                "author_id": str(1000 + i),
                "username": f"fan{i}",
                "name": f"Fan {i}",
                "posts": 50 - i * 3,
                "followers": rnd.randrange(10**5),
            }
            for i in range(10)
        ],
        "related_words": related,
        "locations": [
            {"name": p, "count": int(mentions * 0.2 / (i + 1))} for i, p in enumerate(_PLACES)
        ],
        "devices": [
            {"name": d, "count": int(mentions * 0.4 / (i + 1))} for i, d in enumerate(_DEVICES)
        ],
        "sentiment": {
            "positive": int(mentions * 0.35),
            "negative": int(mentions * 0.2),
            "neutral": int(mentions * 0.45),
        },
        "correlation": {
            "reference": "코로나",
            "r": round(rnd.uniform(-0.3, 0.9), 3),
            "lag": rnd.randrange(-2, 3),
            "n": len(series),
        },
    }


def publish_trends(
    db, keyword: str, today: date, *, periods_back: int = 3, seed: int = 0, **kw: Any
) -> int:
    """Upsert trend docs for the current and `periods_back` earlier periods of every kind, and
    index them in `keyword_ranges` as the analytics' publisher does."""
    docs = []
    for period in PERIOD_KINDS:
        start = period_start(period, today)
        for i in range(periods_back + 1):
            docs.append(make_trend_doc(keyword, period, start, seed=seed, final=i > 0, **kw))
            start = previous_start(period, start)
    return publish_docs(db, docs)


def archive_docs(keyword: str, days: dict[date, float], *, seed: int = 0) -> list[dict[str, Any]]:
    """The trend documents an imported archive publishes: one per day with posts (`days` maps
    each to a volume scale) and one per week, month and quarter holding such a day, the longer
    ones scaled by the sum of their days. Days without posts get no document, as published."""
    docs = []
    for period in PERIOD_KINDS:
        scales: dict[date, float] = {}
        for day, scale in days.items():
            start = period_start(period, day)
            scales[start] = scales.get(start, 0.0) + scale
        docs += [make_trend_doc(keyword, period, s, seed=seed, scale=v) for s, v in scales.items()]
    return docs


def publish_docs(db, docs: list[dict[str, Any]]) -> int:
    """Upsert trend documents by `_id` and update the keyword index with them."""
    for doc in docs:
        db[names.TRENDS].replace_one({"_id": doc["_id"]}, doc, upsert=True)
    update_keyword_ranges(db, docs)
    return len(docs)


def tweet_row(
    keyword: str, tweet_id: int | str, created_at: datetime, text: str,
    username: str = "someone", network: str = "x",
) -> dict[str, Any]:
    """One `posts_by_keyword` row (the columns the live feed reads)."""
    return {
        "keyword": keyword,
        "day": created_at.date(),
        "hour": created_at.hour,
        "created_at": created_at,
        "network": network,
        "id": str(tweet_id),
        "text": text,
        "lang": "ko",
        "author_id": str(abs(hash(username)) % 10**9),
        "author_username": username,
        "author_name": username.title(),
        "author_followers": 10,
        "author_location": "Seoul",
        "source": "Twitter for iPhone",
        "retweets": 0,
        "likes": 0,
        "replies": 0,
        "quotes": 0,
        "ingested_at": datetime.now(UTC),
    }


def insert_tweet_rows(session, rows: list[dict[str, Any]]) -> None:
    cols = list(rows[0])
    stmt = session.prepare(
        f"INSERT INTO {names.KEYWORD_TABLE} ({', '.join(cols)}) "
        f"VALUES ({', '.join('?' * len(cols))})"
    )
    for row in rows:
        session.execute(stmt, [row[c] for c in cols])
