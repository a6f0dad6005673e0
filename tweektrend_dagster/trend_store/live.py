"""Today's counts from the stream in MongoDB (`live_counts`), and how the dashboard lays them
over the periodic trend documents.

The streaming query (`analytics/live.py`) hands each micro-batch's new facts, counted per
(kind, keyword, day, hour), to `apply_live_counts`. One document per (keyword, day), `_id` the
day's trend `_id` (`Period.doc_id`):

    {_id, keyword, day: "YYYY-MM-DD", mentions, unique_users, m00..m23 (mentions per hour),
     u00..u23 (distinct authors per hour), original_mentions, original_unique_users,
     om00..om23, ou00..ou23 (the same over original posts: not retweets), counts_originals,
     as_of, updated_at, batch}

`counts_originals` is set when the document is created: a document the stream began before it
counted original posts has only part of them, so its original figures are never shown.

Counts only grow by `$inc`. A micro-batch that Spark runs again after a failure has the same
batch id: the filter `batch < id` makes the update a no-op for documents it already reached
(a single-document update, atomic on FerretDB and MongoDB), so every fact is added once.
Hour fields are flat (`m05`), not an array: FerretDB 1.24 updates no array element by path.
Only open days are laid over the trend documents, so a document is dropped KEEP_DAYS after its
day: by a TTL index on `updated_at` where the server honours one (MongoDB), and by
`purge_old_live`, which the stream's sink calls once a day (FerretDB 1.x keeps TTL indexes but
never expires anything).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from tweektrend_dagster.clients import ensure_ttl_index
from tweektrend_dagster.contracts.names import LIVE_COUNTS
from tweektrend_dagster.contracts.periods import Period
from tweektrend_dagster.text.timeseries import pct_change

POST, HOUR_USER, DAY_USER = "post", "hour_user", "day_user"  # the kinds of facts counted
# the live document's fields each kind of fact adds to ("{h}": the hour, two digits)
FIELDS = {
    POST: ("mentions", "m{h}"), HOUR_USER: ("u{h}",), DAY_USER: ("unique_users",),
    "original_post": ("original_mentions", "om{h}"), "original_hour_user": ("ou{h}",),
    "original_day_user": ("original_unique_users",),
}
KEEP_DAYS = 7  # a day's live document outlives its late grace by days; then the batch has it


@dataclass(frozen=True)
class FactCount:
    """New facts of one kind in one micro-batch: posts or authors new to (keyword, day, hour)
    or authors new to (keyword, day) (hour 0)."""

    kind: str
    keyword: str
    day: date
    hour: int
    n: int
    as_of: datetime  # the stream position the micro-batch read up to (its planning time)


def live_id(keyword: str, day: date) -> str:
    return Period("day", day).doc_id(keyword)


def apply_live_counts(db: Database, counts: Iterable[FactCount], batch_id: int,
                      now: datetime | None = None) -> int:
    """Add one micro-batch's counts to the live documents, once per batch id; returns how many
    documents it changed (0 when Spark replays a batch that was applied)."""
    now = now or datetime.now(UTC)
    by_doc: dict[tuple[str, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    as_of: dict[tuple[str, date], datetime] = {}
    for c in counts:
        inc = by_doc[(c.keyword, c.day)]
        for name in FIELDS.get(c.kind, ()):
            inc[name.format(h=f"{c.hour:02d}")] += c.n
        key = (c.keyword, c.day)
        as_of[key] = max(as_of.get(key, c.as_of), c.as_of)
    changed = 0
    collection = db[LIVE_COUNTS]
    for (keyword, day), inc in by_doc.items():
        update = {
            "$inc": dict(inc),
            "$set": {"keyword": keyword, "day": day.isoformat(), "batch": batch_id,
                     "as_of": as_of[(keyword, day)], "updated_at": now},
            "$setOnInsert": {"counts_originals": True},
        }
        try:
            result = collection.update_one(
                {"_id": live_id(keyword, day), "batch": {"$lt": batch_id}}, update, upsert=True)
        except DuplicateKeyError:
            continue  # the document exists with this batch applied: the upsert found no match
        changed += int(bool(result.modified_count or result.upserted_id))
    return changed


def ensure_live_indexes(db: Database) -> None:
    collection = db[LIVE_COUNTS]
    collection.create_index("as_of")  # newest_live
    # FerretDB 1.x has no TTL indexes: purge_old_live does their work there
    ensure_ttl_index(collection, "updated_at", after_seconds=KEEP_DAYS * 86_400)


def purge_old_live(db: Database, today: date, keep_days: int = KEEP_DAYS) -> int:
    """Delete the live documents of days more than `keep_days` before `today`; returns how
    many went."""
    cutoff = (today - timedelta(days=keep_days)).isoformat()
    return db[LIVE_COUNTS].delete_many({"day": {"$lt": cutoff}}).deleted_count


def read_live(db: Database, keyword: str, day: date) -> dict[str, Any] | None:
    return db[LIVE_COUNTS].find_one({"_id": live_id(keyword, day)})


def newest_live(db: Database) -> dict[str, Any] | None:
    """The live document the newest micro-batch changed (one document per keyword and day the
    stream counted; days past are kept, a few hundred per keyword a year)."""
    return db[LIVE_COUNTS].find_one({}, {"as_of": 1}, sort=[("as_of", -1)])


def _newer(live: dict[str, Any] | None, doc: dict[str, Any]) -> bool:
    if not live or not live.get("as_of"):
        return False
    return doc.get("as_of") is None or as_utc(live["as_of"]) > as_utc(doc["as_of"])


def as_utc(t: datetime) -> datetime:
    """A datetime read back from Mongo (pymongo returns naive UTC) as an aware one."""
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def open_days(period: Period, today: date) -> list[date]:
    """The days of `period` the stream still counts (today, and yesterday)."""
    return [d for d in (today - timedelta(days=1), today) if period.start <= d < period.end]


def overlay_live(doc: dict[str, Any] | None, live: dict[str, Any] | None,
                 day: date) -> dict[str, Any] | None:
    """The trend document of a period holding `day` (an open day), with that day's counts from
    the stream where they are newer than the document's. A day gets its mentions, unique users
    and hourly series; a week, month or quarter gets the day's bucket and its mentions (its
    unique users stay as the last refresh counted them: distinct authors over several days do
    not add up). Live counts lower than the document's for the day (a keyword added today: the
    refresh has its backfilled posts, the stream only what came after) are not used."""
    if doc is None or not _newer(live, doc):
        return doc
    assert live is not None
    is_day = doc["period"] == "day"
    out = _laid_over(doc, live, day, "", is_day)
    if out is None:
        return doc
    originals = doc.get("originals")
    if isinstance(originals, dict):
        # the stream's originals where it counted them all day, else the refresh's stay
        mine = None
        if live.get("counts_originals"):
            mine = _laid_over(originals, live, day, "original_", is_day)
        out["originals"] = mine or originals
    out["as_of"] = live["as_of"]
    out["live"] = True
    return out


def _laid_over(doc: dict[str, Any], live: dict[str, Any], day: date, prefix: str,
               is_day: bool) -> dict[str, Any] | None:
    """`doc`'s figures (a trend document, or its `originals` with prefix "original_") with the
    day's stream counts; None when the stream counted fewer than the document has."""
    short = "o" if prefix else ""  # om05 / ou05 beside m05 / u05
    mentions = live.get(f"{prefix}mentions", 0)
    users = live.get(f"{prefix}unique_users", 0)
    out = dict(doc)
    if is_day:
        if mentions < doc["mentions"]:
            return None
        series = []
        for point in doc.get("series", []):
            hour = datetime.fromisoformat(point["t"].replace("Z", "+00:00")).hour
            series.append({**point, "mentions": live.get(f"{short}m{hour:02d}", 0),
                           "users": live.get(f"{short}u{hour:02d}", 0)})
        out.update(series=series, mentions=mentions, unique_users=users)
    else:
        stamp = f"{day.isoformat()}T00:00:00Z"
        series = list(doc.get("series", []))
        at = next((i for i, p in enumerate(series) if p["t"] == stamp), None)
        counted = series[at]["mentions"] if at is not None else 0
        if mentions < counted:
            return None
        if at is not None:
            series[at] = {**series[at], "mentions": mentions, "users": users}
        out.update(series=series, mentions=doc["mentions"] - counted + mentions)
    change = pct_change(out["mentions"], out.get("prev_mentions"))
    out["change_mentions_pct"] = None if change is None else round(change, 2)
    if is_day:
        change = pct_change(out["unique_users"], out.get("prev_unique_users"))
        out["change_users_pct"] = None if change is None else round(change, 2)
    return out



def live_document(live: dict[str, Any], day: date, now: datetime) -> dict[str, Any]:
    """A day's trend document made of its stream counts alone, for a keyword the periodic
    refresh has not published yet (added minutes ago): numbers and hourly series, empty lists
    for what only the batch computes (top posts, related words, ...)."""
    period = Period("day", day)
    hours = [t for t in period.bucket_starts() if t <= now]
    series = [{"t": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "mentions": live.get(f"m{t.hour:02d}", 0),
               "users": live.get(f"u{t.hour:02d}", 0), "spike": 0.0, "is_spike": False}
              for t in hours]
    originals = None
    if live.get("counts_originals"):
        originals = {
            "mentions": live.get("original_mentions", 0),
            "unique_users": live.get("original_unique_users", 0),
            "prev_mentions": None, "prev_unique_users": None,
            "change_mentions_pct": None, "change_users_pct": None,
            "series": [{"t": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "mentions": live.get(f"om{t.hour:02d}", 0),
                        "users": live.get(f"ou{t.hour:02d}", 0)} for t in hours],
            "top_users": [],
        }
    return {
        "_id": period.doc_id(live["keyword"]), "keyword": live["keyword"], "period": "day",
        "start": day.isoformat(), "end": period.end.isoformat(), "final": False,
        "updated_at": live.get("updated_at"), "as_of": live["as_of"],
        "mentions": live.get("mentions", 0), "unique_users": live.get("unique_users", 0),
        "unique_users_method": "exact", "prev_mentions": None, "prev_unique_users": None,
        "change_mentions_pct": None, "change_users_pct": None, "series": series,
        "top_posts": [], "top_users": [], "related_words": [], "locations": [], "devices": [],
        "sentiment": {"positive": 0, "negative": 0, "neutral": 0},
        "correlation": {"reference": "", "r": None, "lag": 0, "n": 0},
        "originals": originals, "rule": None, "rule_version": None, "live": True,
    }
