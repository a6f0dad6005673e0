"""Who follows which keyword, and the set of active keywords ingestion matches.

Collections (docs/ARCHITECTURE.md):
- `keywords`:      {_id: keyword, display, added_at, active, subscribers, updated_at}
- `user_keywords`: {user_id, keyword, display, added_at}, unique (user_id, keyword)

Only plain finds, upserts, counts and indexes, so it runs on FerretDB 1.24 and MongoDB alike
(no transactions). A keyword nobody follows any more stays in `keywords` with active=False: its
history remains queryable and re-adding it needs no backfill of what was already ingested.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
from pymongo.database import Database

from tweektrend_dagster.contracts.names import KEYWORDS, USER_KEYWORDS
from tweektrend_dagster.keywords.normalize import display_keyword, normalize_keyword

_clock_lock = threading.Lock()
_last_stamp = datetime.min.replace(tzinfo=UTC)


def _stamp() -> datetime:
    """Now in UTC at BSON (millisecond) precision, strictly increasing within this process, so
    two changes in the same millisecond still move `version()`."""
    global _last_stamp
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    with _clock_lock:
        if now <= _last_stamp:
            now = _last_stamp + timedelta(milliseconds=1)
        _last_stamp = now
    return now


def _utc(value: Any) -> Any:
    # pymongo returns naive datetimes (UTC) unless the client was made with tz_aware=True.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class KeywordRegistry:
    """The keyword registry over a pymongo Database (the `tweektrend` database by default)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._keywords = db[KEYWORDS]
        self._subscriptions = db[USER_KEYWORDS]

    def ensure_indexes(self) -> None:
        """Create the indexes; safe to call on every start-up."""
        self._subscriptions.create_index(
            [("user_id", pymongo.ASCENDING), ("keyword", pymongo.ASCENDING)],
            unique=True,
            name="user_keyword_unique",
        )
        self._subscriptions.create_index([("keyword", pymongo.ASCENDING)], name="keyword")
        self._keywords.create_index([("active", pymongo.ASCENDING)], name="active")
        self._keywords.create_index([("updated_at", pymongo.DESCENDING)], name="updated_at")

    def add(self, user_id: str, raw: str) -> str:
        """Follow `raw` for `user_id`; returns the normalised keyword. Raises InvalidKeyword.
        Adding a keyword the user already follows changes nothing but returns it."""
        keyword = normalize_keyword(raw)
        display = display_keyword(raw)
        now = _stamp()
        self._subscriptions.update_one(
            {"user_id": user_id, "keyword": keyword},
            {
                # user_id and keyword come from the filter on insert.
                "$setOnInsert": {"display": display, "added_at": now}
            },
            upsert=True,
        )
        self._refresh(keyword, display, now)
        return keyword

    def remove(self, user_id: str, keyword: str) -> bool:
        """Stop following; True when the user followed it. The registry row stays, inactive
        once nobody follows the keyword."""
        keyword = normalize_keyword(keyword)
        deleted = self._subscriptions.delete_one({"user_id": user_id, "keyword": keyword})
        if self._keywords.find_one({"_id": keyword}, {"_id": 1}) is not None:
            self._refresh(keyword, None, _stamp())
        return deleted.deleted_count > 0

    def _refresh(self, keyword: str, display: str | None, now: datetime) -> None:
        # Recounted rather than $inc-ed: without transactions a count is the only value that
        # converges when adds and removes race.
        subscribers = self._subscriptions.count_documents({"keyword": keyword})
        update: dict[str, Any] = {
            "$set": {"active": subscribers > 0, "subscribers": subscribers, "updated_at": now}
        }
        if display is not None:
            update["$setOnInsert"] = {"display": display, "added_at": now}
        self._keywords.update_one({"_id": keyword}, update, upsert=display is not None)

    def user_keywords(self, user_id: str) -> list[dict[str, Any]]:
        """The user's keywords, oldest first: [{keyword, display, added_at}]."""
        rows = self._subscriptions.find(
            {"user_id": user_id}, {"_id": 0, "keyword": 1, "display": 1, "added_at": 1}
        ).sort([("added_at", pymongo.ASCENDING), ("keyword", pymongo.ASCENDING)])
        return [
            {
                "keyword": row["keyword"],
                "display": row.get("display") or row["keyword"],
                "added_at": _utc(row.get("added_at")),
            }
            for row in rows
        ]

    def follows(self, user_id: str, keyword: str) -> bool:
        """Whether the user follows the keyword (any spelling)."""
        doc = {"user_id": user_id, "keyword": normalize_keyword(keyword)}
        return self._subscriptions.find_one(doc, {"_id": 1}) is not None

    def active_keywords(self) -> list[str]:
        """Every keyword at least one user follows, sorted."""
        return sorted(row["_id"] for row in self._keywords.find({"active": True}, {"_id": 1}))

    def all_keywords(self) -> list[dict[str, Any]]:
        """Every registry row, active or not: [{keyword, display, active, subscribers, ...}]."""
        out = []
        for row in self._keywords.find({}).sort("_id", pymongo.ASCENDING):
            row["keyword"] = row.pop("_id")
            row["added_at"] = _utc(row.get("added_at"))
            row["updated_at"] = _utc(row.get("updated_at"))
            out.append(row)
        return out

    def version(self) -> str:
        """A cheap token that changes whenever the set of active keywords may have changed:
        the newest `updated_at` and the active count. Poll it; rebuild the matcher on change."""
        newest = self._keywords.find_one({}, {"updated_at": 1}, sort=[("updated_at", -1)])
        stamp = _utc(newest.get("updated_at")) if newest else None
        active = self._keywords.count_documents({"active": True})
        return f"{active}:{stamp.isoformat() if isinstance(stamp, datetime) else '-'}"
