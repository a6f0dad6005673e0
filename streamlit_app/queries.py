"""The dashboard's plain queries on explicit clients and the period picker's arithmetic: what
tests and bench/dashboard.py call directly. Streamlit-free; `data.py` makes the clients, caches
these queries for the pages and re-exports what the pages use, so no page imports this module.

Every trend lookup is one `_id` lookup (`Period.doc_id`): any other filter on `trends` scans
every document on FerretDB (see docs/DASHBOARD.md).
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pymongo
from cassandra import DriverException
from cassandra.cluster import Session
from pymongo.database import Database

from tweektrend_dagster.clients import START_HINT
from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts import names
from tweektrend_dagster.contracts.errors import ServiceUnavailable
from tweektrend_dagster.contracts.periods import Period
from tweektrend_dagster.contracts.tables import LIVE_COLUMNS
from tweektrend_dagster.keywords import normalize_keyword
from tweektrend_dagster.trend_store.live import (
    live_document,
    open_days,
    overlay_live,
    read_live,
)
from tweektrend_dagster.tweets import model

PERIODS = {"day": "Day", "week": "Week", "month": "Month", "quarter": "3 months"}
X_FIRST_DAY = date(2006, 3, 21)  # X's first post: nothing older can hold data
LIVE_MAX_HOURS = 48  # how far back the live feed walks hour partitions to fill itself


def ensure_indexes(db: Database) -> None:
    """The indexes the dashboard's queries rely on (idempotent). `trends` is written by the
    analytics; the period list query (keyword, period, newest start) needs this one."""
    db[names.TRENDS].create_index(
        [
            ("keyword", pymongo.ASCENDING),
            ("period", pymongo.ASCENDING),
            ("start", pymongo.DESCENDING),
        ],
        name="keyword_period_start",
    )
    db[names.SAVED_ANALYSES].create_index(
        [("user_id", pymongo.ASCENDING), ("created_at", pymongo.DESCENDING)], name="user_created"
    )


def period_choices(period: str, today: date, back: int = 12) -> list[dict]:
    """The current period and `back` earlier ones, newest first: [{start, end, current}]
    (the dashboard bench's sample of recent periods; pages pick any day with date_bounds).
    Computed with the analytics' own calendar (Monday weeks, Jan/Apr/Jul/Oct quarters) rather
    than queried: any filter on `trends` but `_id` scans every document on FerretDB (and on
    FerretDB 1.24's SQLite backend even an `_id` lookup does, see docs/DASHBOARD.md)."""
    p = Period.containing(period, today)  # type: ignore[arg-type]
    out = []
    for i in range(back + 1):
        out.append({"start": p.start.isoformat(), "end": p.end.isoformat(), "current": i == 0})
        p = p.previous
    return out


def fetch_keyword_range(db: Database, keyword: str) -> dict | None:
    """Where the keyword's data is (first and last day with posts, busiest periods of each
    kind): one `_id` lookup in the index the publisher keeps (see keyword_ranges.py)."""
    return db[names.KEYWORD_RANGES].find_one({"_id": keyword})


def date_bounds(rng: dict | None, today: date) -> tuple[date, date]:
    """The days a period picker offers: the keyword's first to last data day, today included.
    Without an index entry (nothing published yet, or data older than the index) every day
    since X began, so that nothing is out of reach."""
    first = _day((rng or {}).get("first_day")) or X_FIRST_DAY
    last = _day((rng or {}).get("last_day")) or today
    return min(first, today), max(last, today)


def default_start(rng: dict | None, period: str, today: date) -> date:
    """The period a keyword page opens on: the current one while the keyword has data in it or
    the period before (live keywords), else the latest period of this kind that holds data."""
    current = Period.containing(period, today)  # type: ignore[arg-type]
    kinds = (rng or {}).get("kinds") or {}
    last = _day((kinds.get(period) or {}).get("last"))
    if last is None:  # no document of this kind indexed: place the last data day instead
        last_day = _day((rng or {}).get("last_day"))
        last = step_period(period, last_day, 0) if last_day else None
    if last is None or last >= current.previous.start:
        return current.start
    return last


def busiest_period(rng: dict | None, period: str) -> dict | None:
    """The keyword's period of this kind with the most mentions: {start, end, mentions}."""
    top = ((rng or {}).get("busiest") or {}).get(period) or []
    return top[0] if top else None


def period_of(period: str, day: date, today: date) -> dict:
    """The period of this kind that holds `day`: {start, end, current} (ISO dates)."""
    p = Period.containing(period, day)  # type: ignore[arg-type]
    current = Period.containing(period, today)  # type: ignore[arg-type]
    return {"start": p.start.isoformat(), "end": p.end.isoformat(), "current": p == current}


def step_period(period: str, start: date, steps: int) -> date:
    """The start of the period `steps` periods after (negative: before) the one at `start`."""
    p = Period.containing(period, start)  # type: ignore[arg-type]
    for _ in range(abs(steps)):
        p = p.previous if steps < 0 else Period.containing(p.kind, p.end)
    return p.start


def has_posts(doc: dict | None) -> bool:
    """A missing document means the period had no posts (none is published for it)."""
    return doc is not None and int(doc.get("mentions") or 0) > 0


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def trend_id(keyword: str, period: str, start: str) -> str:
    """The `_id` of the keyword's trend document of the period starting at `start` (ISO)."""
    return Period(period, date.fromisoformat(start)).doc_id(keyword)  # type: ignore[arg-type]


def fetch_trend(db: Database, keyword: str, period: str, start: str) -> dict | None:
    return db[names.TRENDS].find_one({"_id": trend_id(keyword, period, start)})


def fetch_trends(db: Database, keywords: list[str], period: str, start: str,
                 today: date | None = None) -> dict[str, dict]:
    """The same period of several keywords (comparison, share of voice), one `_id` lookup each
    (an `$in` on `_id` is a full scan on FerretDB), with today's counts from the stream."""
    out = {}
    fields = {"keyword": 1, "period": 1, "start": 1, "series": 1, "mentions": 1, "as_of": 1,
              "prev_mentions": 1, "originals": 1}
    for keyword in keywords:
        doc = db[names.TRENDS].find_one({"_id": trend_id(keyword, period, start)}, fields)
        doc = with_live_counts(db, doc, today)
        if doc is not None:
            out[keyword] = doc
    return out


def live_only(db: Database, keyword: str, period: str, start: str) -> dict | None:
    """An open day the refresh has not published yet (a keyword added minutes ago): its
    document made of the stream's counts, when there are any."""
    day = date.fromisoformat(start)
    today = datetime.now(UTC).date()
    if period != "day" or day not in open_days(Period("day", day), today):
        return None
    live = read_live(db, keyword, day)
    return live_document(live, day, datetime.now(UTC)) if live else None


def with_live_counts(db: Database, doc: dict | None, today: date | None = None) -> dict | None:
    """A trend document of a period that holds today (or yesterday) with those days' counts
    from the stream, when they are newer (`trend_store/live.py`); other periods as they are."""
    if doc is None:
        return None
    today = today or datetime.now(UTC).date()
    period = Period(doc["period"], date.fromisoformat(doc["start"]))  # type: ignore[arg-type]
    for day in open_days(period, today):
        doc = overlay_live(doc, read_live(db, doc["keyword"], day), day)
    return doc


def reference_keyword() -> str:
    """The correlation's reference term, as the analytics read it (TrendsConfig)."""
    raw = Settings.from_env().reference_keyword
    try:
        return normalize_keyword(raw)
    except ValueError:
        return raw


_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="tt-mongo")


def fetch_keyword_page(
    db: Database, keyword: str, period: str, start: str | None = None, today: date | None = None
) -> dict:
    """Everything the keyword page needs from Mongo: the trend document of the period at
    `start` (without it, the period the page opens on, from the keyword's index entry) and the
    reference term's series for the correlation chart, the two lookups in parallel (each
    costs a round trip to FerretDB)."""
    if start is None:
        rng = fetch_keyword_range(db, keyword)
        start = default_start(rng, period, today or datetime.now(UTC).date()).isoformat()
    ref_kw = reference_keyword()
    ref = _POOL.submit(
        db[names.TRENDS].find_one,
        {"_id": trend_id(ref_kw, period, start)},
        {"series": 1, "keyword": 1},
    )
    doc = fetch_trend(db, keyword, period, start)
    doc = with_live_counts(db, doc, today) if doc else live_only(db, keyword, period, start)
    reference = ref.result()
    wanted = ((doc or {}).get("correlation") or {}).get("reference")
    if doc is not None and wanted and wanted != ref_kw:
        try:
            reference = fetch_trend(db, normalize_keyword(wanted), period, start)
        except ValueError:
            reference = None
    return {"start": start, "trend": doc, "reference": reference}


_LIVE_STMT: dict[int, Any] = {}


def _live_statement(session: Session):
    stmt = _LIVE_STMT.get(id(session))
    if stmt is None:
        stmt = session.prepare(
            f"SELECT {', '.join(LIVE_COLUMNS)} FROM {names.KEYWORD_TABLE} "
            "WHERE keyword = ? AND day = ? AND hour = ? LIMIT ?"
        )
        _LIVE_STMT[id(session)] = stmt
    return stmt


def fetch_live(
    session: Session,
    keyword: str,
    limit: int = 30,
    now: datetime | None = None,
    max_hours: int = LIVE_MAX_HOURS,
    batch: int = 6,
) -> list[dict]:
    """Newest rows of the keyword: the current hour partition, then earlier hours (a few in
    parallel) until `limit` rows or `max_hours` partitions."""
    now = now or datetime.now(UTC)
    stmt = _live_statement(session)
    rows: list[dict] = []
    try:
        for first in range(0, max_hours, batch):
            hours = [now - timedelta(hours=h) for h in range(first, min(first + batch, max_hours))]
            futures = [
                session.execute_async(stmt, (keyword, t.date(), t.hour, limit)) for t in hours
            ]
            for future in futures:  # in hour order, newest first
                for row in future.result():
                    rows.append(row if isinstance(row, dict) else row._asdict())
                if len(rows) >= limit:
                    return rows[:limit]
    except DriverException as exc:
        raise ServiceUnavailable(
            f"Cassandra did not answer the live-feed query ({exc}). {START_HINT}"
        ) from exc
    return rows


# a source whose last report is older than this is not live any more (it reports every 5 s)
SOURCE_LIVE_WITHIN = 60.0


def fetch_source_status(db: Database, now: datetime | None = None) -> list[dict]:
    """Every source's last report (`ingest/source_status.py`), live ones first, each with
    `live`: reported within SOURCE_LIVE_WITHIN seconds."""
    now = now or datetime.now(UTC)
    out = []
    for doc in db[names.SOURCE_STATUS].find({}):
        updated = doc.get("updated_at")
        if updated is not None and updated.tzinfo is None:
            updated = updated.replace(tzinfo=UTC)  # Mongo hands back naive UTC
        doc["live"] = (updated is not None
                       and (now - updated).total_seconds() <= SOURCE_LIVE_WITHIN)
        out.append(doc)
    return sorted(out, key=lambda d: (not d["live"], str(d["_id"])))


def post_url(network: str | None, post_id: Any, username: str | None = None) -> str:
    """The post on its own network (no network: an X post of before networks)."""
    return model.post_url(network or "x", str(post_id), username)


def profile_url(username: str | None) -> str:
    return model.profile_url(username)


# saved analyses: every query filters on user_id, so a user only ever sees their own
def fetch_saved(db: Database, user_id: str) -> list[dict]:
    return list(
        db[names.SAVED_ANALYSES].find({"user_id": user_id}).sort("created_at", pymongo.DESCENDING)
    )


def insert_saved(
    db: Database,
    user_id: str,
    name: str,
    keyword: str,
    period: str,
    start: str | None,
) -> str:
    sid = uuid.uuid4().hex
    db[names.SAVED_ANALYSES].insert_one(
        {
            "_id": sid,
            "user_id": user_id,
            "name": name.strip()[:100] or keyword,
            "keyword": keyword,
            "period": period,
            "start": start,
            "created_at": datetime.now(UTC),
        }
    )
    return sid


def find_saved(db: Database, user_id: str, saved_id: str) -> dict | None:
    return db[names.SAVED_ANALYSES].find_one({"_id": saved_id, "user_id": user_id})


def remove_saved(db: Database, user_id: str, saved_id: str) -> bool:
    return (
        db[names.SAVED_ANALYSES].delete_one({"_id": saved_id, "user_id": user_id}).deleted_count > 0
    )
