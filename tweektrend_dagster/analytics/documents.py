"""`PeriodStats` → the Mongo `trends` documents of docs/ARCHITECTURE.md (pure Python).

FerretDB/MongoDB-safe by construction: arrays of objects, no nested arrays, keys are fixed field
names (never data such as words or place names, which could contain '.' or '$').

`originals` holds the same figures over original posts (not retweets), or None when a day of
the period was aggregated before original posts were counted (then they are unknown, not zero).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tweektrend_dagster.analytics.rollup import (
    KeywordStats,
    OriginalStats,
    PeriodStats,
    finite,
)
from tweektrend_dagster.contracts.periods import MAX_LAG, SPIKE_WINDOW, Period
from tweektrend_dagster.text.association import rank_related
from tweektrend_dagster.text.timeseries import best_lag, pct_change, spike_scores
from tweektrend_dagster.tweets.model import post_url

DEFAULT_REFERENCE = "코로나"
RELATED_WORDS = 50
GRACE = timedelta(hours=6)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bucket_starts(period: Period, now: datetime) -> list[datetime]:
    """The period's buckets up to now (an in-progress period has no future buckets)."""
    return [t for t in period.bucket_starts() if t <= now]


def _baseline_starts(period: Period) -> list[datetime]:
    first = period.bucket_starts()[0]
    step = timedelta(hours=1) if period.hourly else timedelta(days=1)
    n = SPIKE_WINDOW[period.kind]
    return [first - step * i for i in range(n, 0, -1)]


def _series(s: KeywordStats | None, starts: list[datetime]) -> list[tuple[int, int]]:
    buckets = s.buckets if s else {}
    return [buckets.get(t, (0, 0)) for t in starts]


def originals_document(o: OriginalStats, starts: list[datetime],
                       prev_present: bool) -> dict[str, Any] | None:
    """The `originals` field: figures of original posts, fixed keys (None: not counted)."""
    if not o.counted:
        return None
    prev_mentions, prev_users = o.prev_mentions, o.prev_unique_users
    if prev_present:
        prev_mentions, prev_users = prev_mentions or 0, prev_users or 0
    if not o.prev_counted:
        prev_mentions = prev_users = None
    return {
        "mentions": o.mentions,
        "unique_users": o.unique_users,
        "prev_mentions": prev_mentions,
        "prev_unique_users": prev_users,
        "change_mentions_pct": _round(pct_change(o.mentions, prev_mentions), 2),
        "change_users_pct": _round(pct_change(o.unique_users, prev_users), 2),
        "series": [{"t": _iso(t), "mentions": m, "users": u}
                   for t, (m, u) in zip(starts, [o.buckets.get(t, (0, 0)) for t in starts],
                                        strict=True)],
        "top_users": o.top_users,
    }


def build_documents(
    stats: PeriodStats,
    keywords: list[str] | None = None,
    reference: str = DEFAULT_REFERENCE,
    now: datetime | None = None,
    grace: timedelta = GRACE,
) -> list[dict[str, Any]]:
    """One document per keyword with data in the period, plus `keywords` (followed keywords get a
    zero document for an empty period rather than none)."""
    period = stats.period
    now = now or datetime.now(UTC)
    starts = bucket_starts(period, now)
    baseline = _baseline_starts(period)
    ref = _series(stats.keywords.get(reference), starts)
    ref_mentions = [float(m) for m, _ in ref]
    final = now >= period.closes_at(grace)
    names = sorted(set(stats.keywords) | set(keywords or []))
    docs = []
    for keyword in names:
        s = stats.keywords.get(keyword) or KeywordStats(keyword)
        if stats.prev_days_present:
            s.prev_mentions = s.prev_mentions or 0
            s.prev_unique_users = s.prev_unique_users or 0
        cur = _series(s, starts)
        history = [float(m) for m, _ in _series(s, baseline)]
        values = [float(m) for m, _ in cur]
        spikes = spike_scores(history + values, window=SPIKE_WINDOW[period.kind])[len(history):]
        max_lag = min(MAX_LAG[period.kind], len(values) // 4)
        r_lag, r = best_lag(values, ref_mentions, max_lag)
        background = {w: c_w for w, _, c_w in s.words}
        related = rank_related(
            {w: c for w, c, _ in s.words}, s.mentions, background, stats.background_tweets,
            min_count=1, top=RELATED_WORDS,
        )
        sentiment = dict(s.facets.get("sentiment", []))
        docs.append({
            "_id": period.doc_id(keyword),
            "keyword": keyword,
            "period": period.kind,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "final": final,
            "updated_at": now,
            # how fresh: every tweet ingested before this moment is counted (None: unknown)
            "as_of": stats.as_of,
            "mentions": s.mentions,
            "unique_users": s.unique_users,
            "unique_users_method": "exact",
            "prev_mentions": s.prev_mentions,
            "prev_unique_users": s.prev_unique_users,
            "change_mentions_pct": _round(pct_change(s.mentions, s.prev_mentions), 2),
            "change_users_pct": _round(pct_change(s.unique_users, s.prev_unique_users), 2),
            "series": [
                {"t": _iso(t), "mentions": m, "users": u, "spike": round(sc, 3), "is_spike": hit}
                for t, (m, u), (sc, hit) in zip(starts, cur, spikes, strict=True)
            ],
            "top_posts": [_post(p) for p in s.top_posts],
            "top_users": s.top_users,
            "related_words": [dict(r) for r in related],
            "locations": [{"name": n, "count": c} for n, c in s.facets.get("location", [])],
            "devices": [{"name": n, "count": c} for n, c in s.facets.get("device", [])],
            "sentiment": {k: int(sentiment.get(k, 0)) for k in ("positive", "negative", "neutral")},
            "correlation": {
                "reference": reference, "r": _round(finite(r), 4), "lag": r_lag, "n": len(values),
            },
            "originals": originals_document(s.originals, starts, bool(stats.prev_days_present)),
            # the rule the key stands for: filled from the registry when published
            "rule": None,
            "rule_version": None,
        })
    return docs


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _post(p: dict[str, Any]) -> dict[str, Any]:
    network, post_id = p.get("network") or "x", str(p["native_id"])
    username = p.get("author_username") or ""
    return {
        "network": network,
        "id": post_id,
        "text": p.get("text") or "",
        "author_username": username,
        "author_name": p.get("author_name"),
        "created_at": p.get("created_at"),
        **{m: int(p.get(m) or 0) for m in ("retweets", "likes", "replies", "quotes", "engagement")},
        "url": post_url(network, post_id, username),
    }
