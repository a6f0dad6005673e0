"""Writing `trends` documents to MongoDB (FerretDB locally): plain upserts and indexes only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pymongo
from pymongo.database import Database

from tweektrend_dagster.resources.clients import MAX_UPDATES_PER_COMMAND

TRENDS = "trends"


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


def preview_markdown(docs: Sequence[dict[str, Any]], limit: int = 10) -> str:
    """A small table for Dagit: the period's biggest keywords."""
    rows = sorted(docs, key=lambda d: (-d["mentions"], d["keyword"]))[:limit]
    lines = ["| keyword | start | mentions | users | change % | top word |",
             "|---|---|---|---|---|---|"]
    for d in rows:
        word = d["related_words"][0]["word"] if d["related_words"] else ""
        lines.append(
            f"| {_md(d['keyword'])} | {d['start']} | {d['mentions']} | {d['unique_users']} | "
            f"{d['change_mentions_pct'] if d['change_mentions_pct'] is not None else ''} | "
            f"{_md(word)} |"
        )
    return "\n".join(lines)


def _md(text: str) -> str:
    # Keywords and words are user/tweet text: keep them from breaking the Markdown table.
    return text.replace("|", "\\|").replace("\n", " ")
