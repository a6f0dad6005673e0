"""Alert state in MongoDB: who wants alerts for which keyword, and the log that dedupes mails.

- `users.spike_alerts: bool` is the opt-in (set by the dashboard's settings; absent = off).
- `spike_alerts`: one document per mail, `_id = "{user_id}|{keyword}|{bucket}"`,
  {user_id, keyword, t, mentions, score, status: "sending"|"sent"|"failed", attempts,
  claimed_at, sent_at, error}.

Works on FerretDB 1.24, which serves only `_id` equality from an index: trend documents are read
by computed `_id`, and the subscriber lookup is a fixed number of passes per run (see
`alert_recipients`), never a query per keyword.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from tweektrend_dagster.alerts.spikes import Spike
from tweektrend_dagster.contracts.names import SPIKE_ALERTS, TRENDS, USER_KEYWORDS, USERS
from tweektrend_dagster.contracts.periods import Period

ALERTS = SPIKE_ALERTS
IN_BATCH = 500  # user ids per `$in` of the follow lookup


@dataclass(frozen=True)
class Recipient:
    user_id: str
    email: str
    display: str  # the keyword as this user typed it


def has_opted_in_users(db: Database) -> bool:
    """Whether anyone has alerts on (the sensor skips the run otherwise)."""
    query = {"spike_alerts": True, "verified": True}
    return db[USERS].find_one(query, {"_id": 1}) is not None


def alert_recipients(db: Database) -> dict[str, list[Recipient]]:
    """keyword → the opted-in users who follow it.

    One pass over `users` (filter evaluated during the scan on FerretDB), then one pass over
    `user_keywords` per IN_BATCH opted-in users (on MongoDB the user_keyword_unique index serves
    the `$in`). The cost does not grow with the number of keywords. Rejected: a per-keyword
    subscriber document keyed by `_id` — a second copy of the follow list that the registry and
    the settings page would have to keep in step without transactions, where a missed update
    would keep mailing someone about a keyword they unfollowed.
    """
    emails = {
        doc["_id"]: doc["email"]
        for doc in db[USERS].find({"spike_alerts": True, "verified": True}, {"email": 1})
    }
    ids = sorted(emails)
    out: dict[str, list[Recipient]] = defaultdict(list)
    for i in range(0, len(ids), IN_BATCH):
        rows = db[USER_KEYWORDS].find(
            {"user_id": {"$in": ids[i : i + IN_BATCH]}},
            {"_id": 0, "user_id": 1, "keyword": 1, "display": 1},
        )
        for row in rows:
            user_id, keyword = row["user_id"], row["keyword"]
            out[keyword].append(Recipient(user_id, emails[user_id], row.get("display") or keyword))
    return dict(out)


def day_document(db: Database, keyword: str, day: str) -> dict[str, Any] | None:
    _id = Period("day", date.fromisoformat(day)).doc_id(keyword)
    return db[TRENDS].find_one({"_id": _id}, {"keyword": 1, "series": 1})


def alert_id(user_id: str, spike: Spike) -> str:
    return f"{user_id}|{spike.keyword}|{spike.bucket}"


def claim(db: Database, user_id: str, spike: Spike, now: datetime) -> bool:
    """Reserve the mail of (user, keyword, bucket) before sending it; False when it was sent,
    is being sent, or was claimed by a run that died mid-send (never mailed twice)."""
    _id = alert_id(user_id, spike)
    try:
        db[ALERTS].insert_one(
            {
                "_id": _id,
                "user_id": user_id,
                "keyword": spike.keyword,
                "t": spike.bucket,
                "mentions": spike.mentions,
                "score": spike.score,
                "status": "sending",
                "attempts": 1,
                "claimed_at": now,
            }
        )
        return True
    except DuplicateKeyError:
        pass
    # A send that failed is retried; the status in the filter lets only one run take it over.
    taken = db[ALERTS].update_one(
        {"_id": _id, "status": "failed"},
        {"$set": {"status": "sending", "claimed_at": now}, "$inc": {"attempts": 1}},
    )
    return taken.modified_count == 1


def mark_sent(db: Database, user_id: str, spike: Spike, now: datetime) -> None:
    db[ALERTS].update_one(
        {"_id": alert_id(user_id, spike)},
        {"$set": {"status": "sent", "sent_at": now, "error": None}},
    )


def mark_failed(db: Database, user_id: str, spike: Spike, error: str) -> None:
    db[ALERTS].update_one(
        {"_id": alert_id(user_id, spike)}, {"$set": {"status": "failed", "error": error[:500]}}
    )
