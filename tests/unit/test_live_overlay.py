"""How the dashboard lays today's counts from the stream over the periodic trend documents."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tweektrend_dagster.contracts.periods import Period
from tweektrend_dagster.trend_store.live import open_days, overlay_live

TODAY = date(2026, 12, 3)  # a Thursday
REFRESHED = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
STREAMED = datetime(2026, 12, 3, 10, 4, 30, tzinfo=UTC)


def _day_doc() -> dict:
    series = [{"t": f"2026-12-03T{h:02d}:00:00Z", "mentions": 2 if h < 10 else 0,
               "users": 1 if h < 10 else 0, "spike": 0.0, "is_spike": False}
              for h in range(11)]
    return {"_id": "bts|day|2026-12-03", "keyword": "bts", "period": "day",
            "start": "2026-12-03", "mentions": 20, "unique_users": 7, "prev_mentions": 10,
            "change_mentions_pct": 100.0, "series": series, "as_of": REFRESHED}


def _live(mentions: int, as_of: datetime = STREAMED) -> dict:
    return {"_id": "bts|day|2026-12-03", "mentions": mentions, "unique_users": 9,
            "m09": 2, "u09": 1, "m10": mentions - 18, "u10": 3, "as_of": as_of}


def test_a_newer_stream_count_replaces_the_days_numbers_and_series():
    out = overlay_live(_day_doc(), _live(25), TODAY)
    assert (out["mentions"], out["unique_users"], out["as_of"]) == (25, 9, STREAMED)
    by_hour = {p["t"][11:13]: (p["mentions"], p["users"]) for p in out["series"]}
    assert by_hour["10"] == (7, 3) and by_hour["09"] == (2, 1)
    assert by_hour["03"] == (0, 0)  # an hour the stream has no posts for
    assert out["change_mentions_pct"] == 150.0 and out["live"] is True


def test_an_older_or_smaller_stream_count_leaves_the_document_alone():
    doc = _day_doc()
    assert overlay_live(doc, _live(25, as_of=datetime(2026, 12, 3, 9, tzinfo=UTC)), TODAY) is doc
    assert overlay_live(doc, _live(19), TODAY) is doc  # a keyword added today: refresh knows more
    assert overlay_live(doc, None, TODAY) is doc and overlay_live(None, _live(25), TODAY) is None


def test_a_week_takes_the_days_bucket_and_mentions_but_keeps_its_unique_users():
    series = [{"t": f"2026-12-0{d}T00:00:00Z", "mentions": 30, "users": 9, "spike": 0.0,
               "is_spike": False} for d in (1, 2, 3)]
    week = {"_id": "bts|week|2026-11-30", "keyword": "bts", "period": "week",
            "start": "2026-11-30", "mentions": 90, "unique_users": 20, "prev_mentions": None,
            "series": series, "as_of": REFRESHED}
    out = overlay_live(week, _live(41), TODAY)
    assert out["mentions"] == 90 - 30 + 41 and out["unique_users"] == 20
    assert out["series"][2]["mentions"] == 41 and out["series"][2]["users"] == 9
    assert out["series"][1] == series[1] and out["change_mentions_pct"] is None


def test_only_today_and_yesterday_are_open():
    assert open_days(Period("week", date(2026, 11, 30)), TODAY) == [date(2026, 12, 2), TODAY]
    assert open_days(Period("day", date(2026, 12, 1)), TODAY) == []
    assert open_days(Period("month", date(2026, 12, 1)), date(2026, 12, 1)) == [date(2026, 12, 1)]


def test_a_keyword_not_refreshed_yet_gets_a_whole_document_from_the_stream():
    from tweektrend_dagster.contracts.trend_document import TREND_FIELDS
    from tweektrend_dagster.trend_store.live import live_document

    live = {**_live(25), "keyword": "bts"}
    doc = live_document(live, TODAY, datetime(2026, 12, 3, 10, 30, tzinfo=UTC))
    assert set(doc) == {*TREND_FIELDS, "live"}
    assert [p["t"][11:13] for p in doc["series"]][-1] == "10"  # no future hours
    assert doc["mentions"] == 25 and doc["series"][10]["mentions"] == 7


def _originals(mentions: int, users: int, hours: int) -> dict:
    return {"mentions": mentions, "unique_users": users, "prev_mentions": 4,
            "prev_unique_users": 2, "change_mentions_pct": None, "change_users_pct": None,
            "series": [{"t": f"2026-12-03T{h:02d}:00:00Z", "mentions": 1 if h < 10 else 0,
                        "users": 1 if h < 10 else 0} for h in range(hours)],
            "top_users": [{"author_id": "a", "username": "ann", "name": "Ann", "posts": 3,
                           "followers": 1}]}


def _live_originals(mentions: int, counts: bool = True, total: int = 25) -> dict:
    live = {**_live(total), "original_mentions": mentions, "original_unique_users": 6,
            "om09": 1, "ou09": 1, "om10": mentions - 9, "ou10": 2}
    return {**live, "counts_originals": True} if counts else live


def test_the_streams_original_counts_replace_the_days_originals_too():
    doc = {**_day_doc(), "originals": _originals(10, 5, 11)}
    out = overlay_live(doc, _live_originals(12), TODAY)
    o = out["originals"]
    assert (o["mentions"], o["unique_users"]) == (12, 6)
    by_hour = {p["t"][11:13]: (p["mentions"], p["users"]) for p in o["series"]}
    assert by_hour["10"] == (3, 2) and by_hour["09"] == (1, 1) and by_hour["03"] == (0, 0)
    assert o["change_mentions_pct"] == 200.0 and o["change_users_pct"] == 200.0
    assert o["top_users"] == doc["originals"]["top_users"]  # only the batch ranks authors
    assert out["mentions"] == 25 and doc["originals"]["mentions"] == 10  # the input is kept


def test_originals_stay_the_refreshs_when_the_stream_did_not_count_them_all_day():
    doc = {**_day_doc(), "originals": _originals(10, 5, 11)}
    # a live document begun before originals were counted: totals laid over, originals not
    out = overlay_live(doc, _live_originals(12, counts=False), TODAY)
    assert out["mentions"] == 25 and out["originals"] == doc["originals"]
    # fewer originals streamed than the refresh counted (a topic added today): the refresh's
    out = overlay_live(doc, _live_originals(9), TODAY)
    assert out["mentions"] == 25 and out["originals"] == doc["originals"]
    # a document without original figures keeps saying so
    out = overlay_live({**_day_doc(), "originals": None}, _live_originals(12), TODAY)
    assert out["originals"] is None and out["mentions"] == 25


def test_a_week_takes_the_days_original_bucket_and_mentions():
    series = [{"t": f"2026-12-0{d}T00:00:00Z", "mentions": 30, "users": 9, "spike": 0.0,
               "is_spike": False} for d in (1, 2, 3)]
    originals = {**_originals(30, 12, 0), "prev_mentions": None,
                 "series": [{"t": p["t"], "mentions": 10, "users": 4} for p in series]}
    week = {"_id": "bts|week|2026-11-30", "keyword": "bts", "period": "week",
            "start": "2026-11-30", "mentions": 90, "unique_users": 20, "prev_mentions": None,
            "series": series, "as_of": REFRESHED, "originals": originals}
    o = overlay_live(week, _live_originals(14, total=41), TODAY)["originals"]
    assert o["mentions"] == 30 - 10 + 14 and o["unique_users"] == 12
    assert o["series"][2] == {"t": "2026-12-03T00:00:00Z", "mentions": 14, "users": 6}
    assert o["series"][:2] == originals["series"][:2]


def test_a_keyword_not_refreshed_yet_gets_original_figures_when_the_stream_counted_them():
    from tweektrend_dagster.trend_store.live import live_document

    now = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
    doc = live_document({**_live_originals(12), "keyword": "bts"}, TODAY, now)
    o = doc["originals"]
    assert (o["mentions"], o["unique_users"]) == (12, 6)
    assert [p["t"] for p in o["series"]] == [p["t"] for p in doc["series"]]
    assert o["series"][10] == {"t": "2026-12-03T10:00:00Z", "mentions": 3, "users": 2}
    old = live_document({**_live_originals(12, counts=False), "keyword": "bts"}, TODAY, now)
    assert old["originals"] is None
