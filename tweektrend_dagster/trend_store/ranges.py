"""A small per-keyword index of where its trend data is: the first and last day with posts and
the busiest periods of each kind, one document per keyword in `keyword_ranges`.

It is maintained whenever trend documents are published (`update_keyword_ranges`) and read by
the dashboard with one `_id` lookup: FerretDB serves no other filter on `trends` from an index,
and since periods without tweets publish no document, which periods hold data can only be
known from here. Document (see docs/DASHBOARD.md):

    {_id: keyword, first_day: "YYYY-MM-DD", last_day: "YYYY-MM-DD",
     kinds: {day|week|month|quarter: {first: start, last: start}},
     busiest: {day|week|month|quarter: [{start, end, mentions}, ...]},   # most mentions first
     version: int, updated_at: datetime}

Writes are read-merge-write per keyword, batched. So that two runs publishing at once (an
import and the current day's refresh) never lose each other's update, writers hold a short lock
(a document insert: the one write FerretDB 1.24 makes atomic, its updates being a read then a
write by `_id`) and each update is guarded by `version` (atomic on MongoDB). The merge is
idempotent, so a chunk that lost a race is simply merged again.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pymongo
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from tweektrend_dagster.clients import MAX_UPDATES_PER_COMMAND
from tweektrend_dagster.contracts.names import KEYWORD_RANGES, TRENDS
from tweektrend_dagster.contracts.periods import PERIOD_KINDS, Period

log = logging.getLogger(__name__)

LOCKS = "keyword_ranges_lock"
LOCK_STALE_S = 60.0  # a holder that died leaves its lock; after this long it is broken
LOCK_WAIT_S = 300.0
BUSIEST_KEPT = 5  # runners-up kept so that a busiest period a re-run lowers has a successor
MAX_ATTEMPTS = 10
_DUPLICATE_KEY = 11000


@dataclass
class _KindSummary:
    """What one run's documents of one keyword and period kind say."""

    first: str | None = None  # earliest start with mentions > 0
    last: str | None = None  # latest start with mentions > 0
    mentions: dict[str, tuple[str, int]] = field(default_factory=dict)  # start -> (end, mentions)


def update_keyword_ranges(db: Database, docs: Sequence[dict[str, Any]],
                          batch: int = MAX_UPDATES_PER_COMMAND) -> None:
    """Merge the trend documents one run just published into the keyword index. Only documents
    with mentions > 0 widen a range or enter the busiest lists; a document now at zero takes its
    period out of the busiest list. A document without a usable keyword, period kind or start
    is skipped with a warning (it cannot be placed; the trend document itself is unaffected)."""
    summaries = _summarize(docs)
    keywords = sorted(summaries)
    collection = db[KEYWORD_RANGES]
    for i in range(0, len(keywords), batch):
        with _locked(db):
            _apply(collection, {k: summaries[k] for k in keywords[i : i + batch]})


def rebuild_keyword_ranges(db: Database, batch: int = 5000) -> int:
    """Build the index from the `trends` already in the database (once, for data published
    before the index existed). Returns how many trend documents were read."""
    fields = {"keyword": 1, "period": 1, "start": 1, "end": 1, "mentions": 1}
    seen, chunk = 0, []
    for doc in db[TRENDS].find({}, fields, batch_size=batch):
        chunk.append(doc)
        if len(chunk) >= batch:
            update_keyword_ranges(db, chunk)
            seen, chunk = seen + len(chunk), []
    update_keyword_ranges(db, chunk)
    return seen + len(chunk)


@contextmanager
def _locked(db: Database) -> Iterator[None]:
    """Hold the index's write lock: one document whose insert only one writer can win."""
    locks, token = db[LOCKS], uuid.uuid4().hex
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            locks.insert_one({"_id": KEYWORD_RANGES, "token": token, "at": time.time()})
            break
        except DuplicateKeyError:
            held = locks.find_one({"_id": KEYWORD_RANGES})
            if held and time.time() - float(held.get("at") or 0) > LOCK_STALE_S:
                log.warning("keyword index: breaking a lock held since %s", held.get("at"))
                locks.delete_one({"_id": KEYWORD_RANGES, "token": held.get("token")})
                continue
            if time.monotonic() > deadline:
                msg = f"keyword index: lock still held after {LOCK_WAIT_S:.0f} s"
                raise TimeoutError(msg) from None
            time.sleep(random.uniform(0.005, 0.03))
    try:
        yield
    finally:
        locks.delete_one({"_id": KEYWORD_RANGES, "token": token})


def _summarize(docs: Iterable[dict[str, Any]]) -> dict[str, dict[str, _KindSummary]]:
    out: dict[str, dict[str, _KindSummary]] = {}
    for doc in docs:
        placed = _place(doc)
        if placed is None:
            continue
        keyword, kind, start, end, mentions = placed
        summary = out.setdefault(keyword, {}).setdefault(kind, _KindSummary())
        summary.mentions[start] = (end, mentions)
        if mentions > 0:
            summary.first = min(summary.first or start, start)
            summary.last = max(summary.last or start, start)
    return out


def _place(doc: dict[str, Any]) -> tuple[str, str, str, str, int] | None:
    """(keyword, kind, start, end, mentions) of a trend document, or None with a warning."""
    keyword, kind, start = doc.get("keyword"), doc.get("period"), doc.get("start")
    if not isinstance(keyword, str) or not keyword or kind not in PERIOD_KINDS:
        log.warning("keyword index: skipped a document without keyword/period: %r", doc.get("_id"))
        return None
    try:
        period = Period(kind, date.fromisoformat(str(start)))
    except ValueError:
        log.warning("keyword index: skipped %r, start %r is not a date", doc.get("_id"), start)
        return None
    if Period.containing(kind, period.start) != period:
        log.warning("keyword index: skipped %r, %s is not a %s start", doc.get("_id"), start, kind)
        return None
    try:
        mentions = int(doc.get("mentions") or 0)
    except (TypeError, ValueError):
        log.warning("keyword index: skipped %r, mentions %r", doc.get("_id"), doc.get("mentions"))
        return None
    return keyword, kind, period.start.isoformat(), period.end.isoformat(), mentions


def _apply(collection: Collection, summaries: dict[str, dict[str, _KindSummary]]) -> None:
    for attempt in range(MAX_ATTEMPTS):
        stored = {d["_id"]: d for d in collection.find({"_id": {"$in": list(summaries)}})}
        ops = []
        for keyword, kinds in summaries.items():
            old = stored.get(keyword)
            new = merge_range(old, kinds)
            if old is None and not new["kinds"]:
                continue  # only empty periods: nothing to index
            if old is not None and _content(old) == new:
                continue  # already there (a re-run, or merged by a previous attempt)
            now = datetime.now(UTC)
            if old is None:
                ops.append(
                    pymongo.InsertOne({"_id": keyword, **new, "version": 1, "updated_at": now})
                )
            else:
                version = old.get("version")
                ops.append(
                    pymongo.UpdateOne(
                        {"_id": keyword, "version": version},
                        {"$set": {**new, "version": (version or 0) + 1, "updated_at": now}},
                    )
                )
        if not ops:
            return
        try:
            result = collection.bulk_write(ops, ordered=False)
            done = result.inserted_count + result.matched_count
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != _DUPLICATE_KEY for e in errors):
                raise
            done = exc.details.get("nInserted", 0) + exc.details.get("nMatched", 0)
        if done == len(ops):
            return
        # another run wrote some of these keywords since we read them: read and merge again
        time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise RuntimeError(
        f"keyword index: {len(summaries)} keywords still changed by concurrent writers "
        f"after {MAX_ATTEMPTS} attempts"
    )


def merge_range(old: dict[str, Any] | None, kinds: dict[str, _KindSummary]) -> dict[str, Any]:
    """The index fields of one keyword after merging a run's summary into `old` (idempotent)."""
    old = old or {}
    old_kinds = old.get("kinds") or {}
    old_busiest = old.get("busiest") or {}
    new_kinds: dict[str, dict[str, str]] = {}
    new_busiest: dict[str, list[dict[str, Any]]] = {}
    for kind in PERIOD_KINDS:
        before = old_kinds.get(kind) or {}
        summary = kinds.get(kind) or _KindSummary()
        firsts = [s for s in (before.get("first"), summary.first) if s]
        lasts = [s for s in (before.get("last"), summary.last) if s]
        if firsts:
            new_kinds[kind] = {"first": min(firsts), "last": max(lasts)}
        entries = {e["start"]: e for e in old_busiest.get(kind) or []}
        for start, (end, mentions) in summary.mentions.items():
            if mentions > 0:
                entries[start] = {"start": start, "end": end, "mentions": mentions}
            else:
                entries.pop(start, None)  # that period has no posts any more
        top = sorted(entries.values(), key=lambda e: (-e["mentions"], e["start"]))
        if top:
            new_busiest[kind] = top[:BUSIEST_KEPT]
    first_day, last_day = _day_range(new_kinds)
    return {
        "first_day": first_day,
        "last_day": last_day,
        "kinds": new_kinds,
        "busiest": new_busiest,
    }


def _day_range(kinds: dict[str, dict[str, str]]) -> tuple[str | None, str | None]:
    """First and last day with posts: from the day documents when there are any (a week or a
    quarter starts before its first post), else the widest span of the longer periods."""
    if "day" in kinds:
        return kinds["day"]["first"], kinds["day"]["last"]
    if not kinds:
        return None, None
    first = min(k["first"] for k in kinds.values())
    last = max(
        Period(kind, date.fromisoformat(k["last"])).end - timedelta(days=1)  # type: ignore[arg-type]
        for kind, k in kinds.items()
    )
    return first, last.isoformat()


def _content(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("first_day", "last_day", "kinds", "busiest")}
