"""Writing `trends` documents to MongoDB (FerretDB locally): plain upserts and indexes only.
The documents are built by `analytics/documents.py` (their shape: `contracts/trend_document.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pymongo
from pymongo.database import Database

from tweektrend_dagster.clients import MAX_UPDATES_PER_COMMAND
from tweektrend_dagster.contracts.names import TRENDS


def ensure_trend_indexes(db: Database) -> None:
    """The dashboard reads one keyword's periods newest first; the checks read a period's docs."""
    trends = db[TRENDS]
    trends.create_index(
        [("keyword", pymongo.ASCENDING), ("period", pymongo.ASCENDING),
         ("start", pymongo.DESCENDING)],
        name="keyword_period_start",
    )
    trends.create_index(
        [("period", pymongo.ASCENDING), ("start", pymongo.ASCENDING)], name="period_start"
    )


def publish_documents(db: Database, docs: Sequence[dict[str, Any]],
                      batch: int = MAX_UPDATES_PER_COMMAND) -> int:
    """Replace each document by `_id` (upsert): re-running a partition rewrites, no duplicates.
    In small commands: see `MAX_UPDATES_PER_COMMAND`."""
    trends = db[TRENDS]
    written = 0
    for i in range(0, len(docs), batch):
        chunk = docs[i : i + batch]
        ops = [pymongo.ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in chunk]
        if ops:
            trends.bulk_write(ops, ordered=False)
            written += len(ops)
    return written


def period_documents_in_db(db: Database, period: str, start: str) -> list[dict[str, Any]]:
    return list(db[TRENDS].find({"period": period, "start": start}))
