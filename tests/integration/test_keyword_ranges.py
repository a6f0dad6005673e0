"""The per-keyword index of where trend data is (`keyword_ranges`), on the test stack's FerretDB:
runs merge, the busiest period of each kind is kept, zero-mention documents never count, and
two runs publishing at once lose nothing."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest

from streamlit_app.data import fetch_keyword_range
from tests.support import sample_data as sd
from tweektrend_dagster.contracts.periods import PERIOD_KINDS
from tweektrend_dagster.trend_store.ranges import (
    BUSIEST_KEPT,
    KEYWORD_RANGES,
    LOCK_STALE_S,
    LOCKS,
    rebuild_keyword_ranges,
    update_keyword_ranges,
)

pytestmark = pytest.mark.integration

DEC = {date(2020, 12, 12) + timedelta(days=3 * i): 1.0 + (i % 4) for i in range(8)}
MAY = {date(2021, 5, 20) - timedelta(days=2 * i): 0.5 + (i % 3) for i in range(6)}


def busiest_of(docs: list[dict], kind: str) -> dict:
    top = min((d for d in docs if d["period"] == kind), key=lambda d: (-d["mentions"], d["start"]))
    return {"start": top["start"], "end": top["end"], "mentions": top["mentions"]}


def zero_doc(keyword: str, kind: str, start: date) -> dict:
    doc = sd.make_trend_doc(keyword, kind, start)
    return {**doc, "mentions": 0, "series": []}


def test_one_run_gives_the_day_range_and_the_busiest_period_of_each_kind(mongo_db):
    docs = sd.archive_docs("vaccine", DEC)
    update_keyword_ranges(mongo_db, docs)
    rng = fetch_keyword_range(mongo_db, "vaccine")
    assert rng["first_day"] == min(DEC).isoformat()
    assert rng["last_day"] == max(DEC).isoformat()
    for kind in PERIOD_KINDS:
        starts = sorted(d["start"] for d in docs if d["period"] == kind)
        assert rng["kinds"][kind] == {"first": starts[0], "last": starts[-1]}
        assert rng["busiest"][kind][0] == busiest_of(docs, kind)
        mentions = [e["mentions"] for e in rng["busiest"][kind]]
        assert mentions == sorted(mentions, reverse=True) and len(mentions) <= BUSIEST_KEPT
    assert fetch_keyword_range(mongo_db, "never-published") is None


def test_runs_merge_and_a_rerun_changes_nothing(mongo_db):
    december, may = sd.archive_docs("vaccine", DEC), sd.archive_docs("vaccine", MAY, seed=1)
    update_keyword_ranges(mongo_db, december)
    update_keyword_ranges(mongo_db, may)
    rng = fetch_keyword_range(mongo_db, "vaccine")
    assert (rng["first_day"], rng["last_day"]) == (min(DEC).isoformat(), max(MAY).isoformat())
    both = december + may
    for kind in PERIOD_KINDS:
        assert rng["busiest"][kind][0] == busiest_of(both, kind)
    # the same run again (a retried publish) leaves the document as it was
    update_keyword_ranges(mongo_db, may)
    assert fetch_keyword_range(mongo_db, "vaccine")["version"] == rng["version"]


def test_zero_mention_documents_never_widen_the_range_nor_enter_the_busiest(mongo_db):
    docs = sd.archive_docs("vaccine", DEC)
    zeros = [
        zero_doc("vaccine", "day", date(2019, 1, 1)),
        zero_doc("vaccine", "day", date(2022, 6, 1)),
        zero_doc("vaccine", "quarter", date(2023, 1, 1)),
        zero_doc("quiet", "day", date(2020, 12, 12)),
    ]
    update_keyword_ranges(mongo_db, docs + zeros)
    rng = fetch_keyword_range(mongo_db, "vaccine")
    assert (rng["first_day"], rng["last_day"]) == (min(DEC).isoformat(), max(DEC).isoformat())
    assert "2023-01-01" not in {e["start"] for e in rng["busiest"]["quarter"]}
    assert rng["kinds"]["quarter"]["last"] < "2023-01-01"
    assert fetch_keyword_range(mongo_db, "quiet") is None  # only empty periods: no entry


def test_a_period_that_lost_its_posts_gives_way_to_the_next_busiest(mongo_db):
    docs = sd.archive_docs("vaccine", DEC)
    update_keyword_ranges(mongo_db, docs)
    days = sorted((d for d in docs if d["period"] == "day"), key=lambda d: -d["mentions"])
    first, second = days[0], days[1]
    update_keyword_ranges(mongo_db, [{**first, "mentions": 1}])  # re-run: far fewer posts
    assert fetch_keyword_range(mongo_db, "vaccine")["busiest"]["day"][0]["start"] == second["start"]
    update_keyword_ranges(mongo_db, [{**second, "mentions": 0}])  # re-run: none left
    busiest = fetch_keyword_range(mongo_db, "vaccine")["busiest"]["day"]
    assert second["start"] not in {e["start"] for e in busiest}
    assert busiest[0]["start"] == days[2]["start"]


def test_documents_that_cannot_be_placed_are_skipped_and_the_rest_indexed(mongo_db):
    good = sd.archive_docs("vaccine", DEC)
    bad = [
        {**good[0], "_id": "x1", "start": "2020-13-01"},
        {**good[0], "_id": "x2", "period": "year"},
        {**good[0], "_id": "x3", "keyword": None},
        {**good[0], "_id": "x4", "period": "week", "start": "2020-12-16"},  # a Wednesday
        {**good[0], "_id": "x5", "mentions": "many"},
    ]
    update_keyword_ranges(mongo_db, bad + good)
    rng = fetch_keyword_range(mongo_db, "vaccine")
    assert rng["first_day"] == min(DEC).isoformat()
    assert "2020-12-16" not in {e["start"] for e in rng["busiest"]["week"]}
    assert mongo_db[KEYWORD_RANGES].count_documents({}) == 1


def test_two_runs_publishing_at_once_lose_nothing(mongo_db):
    """An import run and the current day's refresh index the same keywords concurrently."""
    old = sd.archive_docs("vaccine", DEC) + sd.archive_docs("bts", DEC)
    new = sd.archive_docs("vaccine", MAY) + sd.archive_docs("bts", MAY)
    errors: list[BaseException] = []

    def publish(docs: list[dict]) -> None:
        try:
            for doc in docs:  # one document per call: as many races as possible
                update_keyword_ranges(mongo_db, [doc])
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(d,)) for d in (old, new)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for keyword in ("vaccine", "bts"):
        rng = fetch_keyword_range(mongo_db, keyword)
        assert (rng["first_day"], rng["last_day"]) == (min(DEC).isoformat(), max(MAY).isoformat())
        mine = [d for d in old + new if d["keyword"] == keyword]
        for kind in PERIOD_KINDS:
            assert rng["busiest"][kind][0] == busiest_of(mine, kind)


def test_a_lock_left_by_a_dead_writer_is_broken_and_released_after_use(mongo_db):
    stale = {"_id": KEYWORD_RANGES, "token": "dead", "at": time.time() - LOCK_STALE_S - 5}
    mongo_db[LOCKS].insert_one(stale)
    update_keyword_ranges(mongo_db, sd.archive_docs("vaccine", DEC))
    assert fetch_keyword_range(mongo_db, "vaccine")["first_day"] == min(DEC).isoformat()
    assert mongo_db[LOCKS].count_documents({}) == 0


def test_rebuild_indexes_what_was_published_before_the_index(mongo_db):
    docs = sd.archive_docs("vaccine", DEC) + sd.archive_docs("vaccine", MAY, seed=2)
    mongo_db["trends"].insert_many(docs)
    assert rebuild_keyword_ranges(mongo_db, batch=7) == len(docs)
    rng = fetch_keyword_range(mongo_db, "vaccine")
    assert (rng["first_day"], rng["last_day"]) == (min(DEC).isoformat(), max(MAY).isoformat())
    assert rng["busiest"]["month"][0] == busiest_of(docs, "month")
