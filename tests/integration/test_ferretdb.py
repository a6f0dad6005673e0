"""FerretDB 1.24 (the local stack's MongoDB) under the product's writes and reads.

Re-publishing hundreds of existing trend documents: FerretDB keeps each update statement's
SQLite query open until its command ends, with 100 connections in its pool, so a command of ~100
updates of existing documents waits for a connection it holds itself and the server hangs for
every client (seen when an archive was imported a second time); `publish_documents` and the
keyword index write in small commands. Lookups by `_id` go through an index the stack adds."""

from __future__ import annotations

import threading

import pytest

from tweektrend_dagster.trend_store.publish import publish_documents
from tweektrend_dagster.trend_store.ranges import KEYWORD_RANGES, update_keyword_ranges

pytestmark = pytest.mark.integration


def _docs(n: int, mentions: int) -> list[dict]:
    return [{"_id": f"kw{i % 150}|day|2021-01-{1 + i // 150:02d}", "keyword": f"kw{i % 150}",
             "period": "day", "start": f"2021-01-{1 + i // 150:02d}",
             "end": f"2021-01-{2 + i // 150:02d}", "mentions": mentions} for i in range(n)]


def _within(seconds: float, work) -> None:
    """Run `work` in a thread; fail (instead of hanging the suite) if it does not finish."""
    error: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported below
            error.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still writing after {seconds} s: FerretDB is hung"
    if error:
        raise error[0]


def test_republishing_hundreds_of_documents_does_not_hang_ferretdb(mongo_db):
    first, again = _docs(450, 1), _docs(450, 2)
    _within(120, lambda: (publish_documents(mongo_db, first),
                          update_keyword_ranges(mongo_db, first)))
    # the second time every statement updates an existing document
    _within(120, lambda: (publish_documents(mongo_db, again),
                          update_keyword_ranges(mongo_db, again)))
    assert mongo_db["trends"].count_documents({"mentions": 2}) == 450
    assert mongo_db[KEYWORD_RANGES].find_one({"_id": "kw7"})["last_day"] == "2021-01-03"


def test_documents_are_found_by_id_through_an_index(stack_settings, mongo_db):
    """FerretDB 1.24 looks a document up by `_ferretdb_sjson->'$._id'` while its own unique
    index is on `_ferretdb_sjson->"_id"`, so SQLite scanned the table for every lookup; the
    stack's FerretDB adds an index on the queried expression to every collection table."""
    import sqlite3
    import time

    mongo_db["fresh_collection"].insert_one({"_id": "a|day|2021-01-01", "mentions": 1})
    path = stack_settings.home / "ferretdb" / "data" / f"{mongo_db.name}.sqlite"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        (table,) = db.execute("SELECT table_name FROM _ferretdb_collections WHERE name = ?",
                              ("fresh_collection",)).fetchone()
        deadline = time.monotonic() + 30  # the wrapper adds it within seconds
        while time.monotonic() < deadline and not db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                (f"{table}__id_path",)).fetchone():
            time.sleep(0.5)
        plan = db.execute(
            f"EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM \"{table}\""
            " WHERE _ferretdb_sjson->'$._id' = ?", ('"a|day|2021-01-01"',)).fetchall()
    assert any(f"USING INDEX {table}__id_path" in row[-1] for row in plan), plan
    assert mongo_db["fresh_collection"].find_one({"_id": "a|day|2021-01-01"})["mentions"] == 1
