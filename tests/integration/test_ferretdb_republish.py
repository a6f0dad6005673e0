"""Re-publishing hundreds of existing trend documents at once on FerretDB (the local stack's
MongoDB). FerretDB 1.24 keeps each update statement's SQLite query open until its command ends,
with 100 connections in its pool: a command of ~100 updates of existing documents waits for a
connection it holds itself, and the server hangs for every client (seen when an archive was
imported a second time). `publish_documents` and the keyword index write in small commands."""

from __future__ import annotations

import threading

import pytest

from tweektrend_dagster.assets.keyword_ranges import KEYWORD_RANGES, update_keyword_ranges
from tweektrend_dagster.assets.publish import publish_documents

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
