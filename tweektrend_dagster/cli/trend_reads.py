"""What the research commands read from MongoDB: which key a TOPIC names, which period of it
holds data, its trend document, and how far its history has been computed.

Trend documents are found by `_id` (`Period.doc_id`), and where a key's data is by its
`keyword_ranges` entry: any other filter on `trends` scans every document on FerretDB
(docs/DASHBOARD.md); the one scan left is the fallback for data published before the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pymongo.database import Database

from tweektrend_dagster.contracts.names import KEYWORD_RANGES, KEYWORDS, TRENDS
from tweektrend_dagster.contracts.periods import Period
from tweektrend_dagster.keywords import InvalidKeyword, KeywordRegistry, parse_rule
from tweektrend_dagster.keywords.registry import CLI_USER


@dataclass(frozen=True)
class Target:
    """A TOPIC resolved: the key its data is stored under and the name to show."""

    key: str
    name: str
    topic: dict[str, Any] | None  # the command line's own topic, when it is one


def resolve_target(db: Database, text: str) -> Target | None:
    """The command line user's topic of that name (or key, or rule) first, then any key or
    keyword of the registry (followed by anyone, or once followed: its history stays), then a
    key that only has trend data."""
    topic = KeywordRegistry(db).find_topic(CLI_USER, text)
    if topic is not None:
        return Target(topic["keyword"], topic["display"], topic)
    candidates = [text]
    try:
        candidates.append(parse_rule(text).key)
    except InvalidKeyword:
        pass
    candidates = list(dict.fromkeys(candidates))
    for key in candidates:
        row = db[KEYWORDS].find_one({"_id": key}, {"display": 1})
        if row is not None:
            return Target(key, row.get("display") or key, None)
    for key in candidates:
        if db[KEYWORD_RANGES].find_one({"_id": key}, {"_id": 1}) is not None:
            return Target(key, key, None)
    return None


def keyword_range(db: Database, key: str) -> dict[str, Any] | None:
    return db[KEYWORD_RANGES].find_one({"_id": key})


def newest_start(db: Database, key: str, period: str) -> str | None:
    """The start of the key's newest period of this kind that holds posts."""
    kinds = (keyword_range(db, key) or {}).get("kinds") or {}
    last = (kinds.get(period) or {}).get("last")
    if last:
        return str(last)
    # published before the index existed: ask the documents themselves (a scan on FerretDB)
    doc = db[TRENDS].find_one({"keyword": key, "period": period, "mentions": {"$gt": 0}},
                              {"start": 1}, sort=[("start", -1)])
    return str(doc["start"]) if doc else None


def period_start(period: str, day: date) -> str:
    """The start of the period of this kind holding `day` (weeks start on Monday)."""
    return Period.containing(period, day).start.isoformat()  # type: ignore[arg-type]


def fetch_document(db: Database, key: str, period: str, start: str) -> dict[str, Any] | None:
    doc_id = Period(period, date.fromisoformat(start)).doc_id(key)  # type: ignore[arg-type]
    return db[TRENDS].find_one({"_id": doc_id})


def history_status(db: Database, key: str) -> str:
    """How far the key's trend history reaches, and whether its backfill looks finished: told
    from the trend documents' index, against how far every other key's documents reach."""
    own = keyword_range(db, key)
    if not own or not own.get("first_day"):
        return ("not computed yet: no trend document holds a post of this rule. The backfill "
                "from the raw archive starts when Dagster's new-keyword sensor sees the topic "
                "(every 15 s while Dagster runs); days come first, then weeks, months and "
                "quarters.")
    first, last = str(own["first_day"]), str(own.get("last_day") or own["first_day"])
    earliest = db[KEYWORD_RANGES].find_one(
        {"_id": {"$ne": key}, "first_day": {"$lt": first}}, {"first_day": 1},
        sort=[("first_day", 1)])
    span = f"trend documents with posts from {first} to {last}"
    if earliest is not None:
        return (f"{span}; other topics' documents reach back to {earliest['first_day']}, so "
                f"the backfill may still be running (or the rule matched no post before "
                f"{first}).")
    return f"{span}: as far back as any topic's documents reach (backfill done)."
