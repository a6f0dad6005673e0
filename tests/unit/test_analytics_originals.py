"""Original posts (not retweets; replies and quotes are original writing) beside the totals, in
real Spark against a plain-Python count: a day, a week roll-up, and a day merged from its hour
slices; tables written before the original columns existed read as "not counted", never as 0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

pyspark = pytest.importorskip("pyspark")

from tweektrend_dagster.analytics.daily import TABLES  # noqa: E402
from tweektrend_dagster.analytics.pipeline import (  # noqa: E402
    aggregate_days,
    period_documents,
    refresh_day,
)
from tweektrend_dagster.analytics.slices import DaySlices  # noqa: E402
from tweektrend_dagster.analytics.source import RAW_SCHEMA  # noqa: E402
from tweektrend_dagster.analytics.store import AggregateStore  # noqa: E402
from tweektrend_dagster.contracts.periods import Period  # noqa: E402
from tweektrend_dagster.tweets.model import Author, Tweet  # noqa: E402

MON = date(2024, 3, 4)  # a Monday
TUE = MON + timedelta(days=1)
SUN = MON - timedelta(days=1)  # the previous week (and Monday's previous day)
LATER = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def spark():
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.resources.spark import create_session, spark_config

    conf = spark_config(Settings.from_env(), master="local[2]", shuffle_partitions=4,
                        driver_memory="2g")
    session = create_session(conf)
    yield session
    session.stop()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def post(i: int, when: datetime, user: str, kws: list[str], text: str = "", **kw) -> Tweet:
    return Tweet(id=str(i), created_at=when, text=text or f"{' '.join(kws)} post {i}", keywords=kws,
                 author=Author(id=f"u{user}", username=user, name=user.title(), followers=7),
                 **kw)


def retweet(i: int, when: datetime, user: str, kws: list[str], of: Tweet | None) -> Tweet:
    text = f"RT @{of.author.username}: {of.text}" if of else f"RT @someone: {' '.join(kws)}"
    return post(i, when, user, kws, text, relation="retweet",
                related_id=of.id if of else 999, original=of)


def posts() -> list[Tweet]:
    """Three days: retweets with and without their original, replies, quotes; `rita` only
    retweets, `max` retweets much more than he writes."""
    sun1 = post(1, at(SUN, 20), "ann", ["bts"])
    mon1 = post(10, at(MON, 9, 5), "ann", ["bts"])
    mon_quote = post(13, at(MON, 10, 0), "bob", ["bts"], relation="quote", related_id=10,
                     original=mon1)
    tue1 = post(30, at(TUE, 8, 0), "cat", ["bts", "covid"])
    return [
        sun1,
        retweet(2, at(SUN, 21), "rita", ["bts"], sun1),
        post(3, at(SUN, 22), "bob", ["bts"], relation="reply", related_id=1),
        mon1,
        retweet(11, at(MON, 9, 10), "rita", ["bts"], mon1),
        retweet(12, at(MON, 9, 20), "max", ["bts"], mon1),
        mon_quote,
        retweet(14, at(MON, 10, 30), "max", ["bts"], mon_quote),
        retweet(15, at(MON, 11, 0), "max", ["bts"], None),  # its original not embedded
        post(16, at(MON, 11, 15), "max", ["bts"], relation="reply", related_id=13),
        post(17, at(MON, 23, 59), "dan", ["bts"]),
        post(18, at(MON, 12, 0), "eve", ["netflix"]),
        tue1,
        retweet(31, at(TUE, 8, 30), "rita", ["bts", "covid"], tue1),
        post(32, at(TUE, 9, 0), "ann", ["covid"], relation="quote", related_id=30),
        retweet(33, at(TUE, 9, 10), "max", ["bts"], mon1),
    ]


def raw_rows(tweets: list[Tweet]) -> list[tuple]:
    return [(t.created_at.date(), t.created_at.hour, t.network, t.id, t.created_at,
             t.to_json().decode(),
             list(t.keywords)) for t in tweets]


def plain(tweets: list[Tweet], keyword: str, period: Period, originals: bool,
          prev_present: bool = True) -> dict:
    """The document's figures of `keyword` counted in plain Python (originals: not retweets;
    prev_present: the previous period has aggregates, else its figures are unknown)."""
    def mine(days) -> list[Tweet]:
        return [t for t in tweets if keyword in t.keywords and t.created_at.date() in days
                and not (originals and t.relation == "retweet")]

    cur, prev = mine(set(period.days)), mine(set(period.previous.days))
    counts: Counter = Counter()
    users: dict = defaultdict(set)
    for t in cur:
        bucket = t.created_at.replace(minute=0) if period.hourly else at(t.created_at.date(), 0)
        counts[bucket] += 1
        users[bucket].add(t.author.id)
    by_author = Counter(t.author.id for t in cur)
    return {
        "mentions": len(cur), "unique_users": len({t.author.id for t in cur}),
        "prev_mentions": len(prev) if prev_present else None,
        "prev_unique_users": len({t.author.id for t in prev}) if prev_present else None,
        "series": [(counts[t], len(users[t])) for t in period.bucket_starts()],
        "top_users": sorted(by_author.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
    }


def figures(doc: dict) -> dict:
    return {
        "mentions": doc["mentions"], "unique_users": doc["unique_users"],
        "prev_mentions": doc["prev_mentions"], "prev_unique_users": doc["prev_unique_users"],
        "series": [(p["mentions"], p["users"]) for p in doc["series"]],
        "top_users": [(u["author_id"], u["posts"]) for u in doc["top_users"]],
    }


def docs_of(store: AggregateStore, period: Period) -> dict[str, dict]:
    return {d["keyword"]: d for d in period_documents(store, period, now=LATER)}


@pytest.fixture(scope="module")
def store(spark, tmp_path_factory):
    """The three days aggregated in one pass."""
    store = AggregateStore(spark, str(tmp_path_factory.mktemp("originals")))
    raw = spark.createDataFrame(raw_rows(posts()), RAW_SCHEMA)
    aggregate_days(store, raw, [SUN, MON, TUE])
    return store


@pytest.mark.parametrize("period", [Period("day", MON), Period("day", TUE),
                                    Period("week", MON)], ids=str)
def test_originals_equal_a_plain_count_beside_unchanged_totals(store, period):
    docs = docs_of(store, period)
    for keyword, doc in docs.items():
        assert figures(doc) == plain(posts(), keyword, period, originals=False), keyword
        assert figures(doc["originals"]) == plain(posts(), keyword, period, originals=True), \
            keyword
        o = doc["originals"]
        assert set(o) == {"mentions", "unique_users", "prev_mentions", "prev_unique_users",
                          "change_mentions_pct", "change_users_pct", "series", "top_users"}
        assert [p["t"] for p in o["series"]] == [p["t"] for p in doc["series"]]
    # the figures really differ: retweets are a large part of bts
    bts = docs["bts"]
    assert bts["originals"]["mentions"] < bts["mentions"]


def test_a_retweeter_is_no_original_user_and_top_users_rank_on_originals(store):
    bts = docs_of(store, Period("day", MON))["bts"]
    assert [(u["username"], u["posts"]) for u in bts["top_users"]][:1] == [("max", 4)]
    top = [(u["username"], u["posts"]) for u in bts["originals"]["top_users"]]
    assert top == [("ann", 1), ("bob", 1), ("dan", 1), ("max", 1)]  # rita only retweets
    assert bts["originals"]["unique_users"] == 4 and bts["unique_users"] == 5
    # change against the previous day: originals 4 vs 2 (Sunday: ann's post and bob's reply)
    assert bts["originals"]["prev_mentions"] == 2
    assert bts["originals"]["change_mentions_pct"] == pytest.approx(100.0)


def test_a_day_merged_from_hour_slices_equals_the_whole_day(spark, tmp_path):
    """The current day refreshed hour by hour: its originals and tables equal a whole pass."""
    tweets = [t for t in posts() if t.created_at.date() == MON]
    early = [t for t in tweets if t.created_at.hour < 10]
    raw_all = spark.createDataFrame(raw_rows(tweets), RAW_SCHEMA)
    raw_early = spark.createDataFrame(raw_rows(early), RAW_SCHEMA)
    sliced = AggregateStore(spark, str(tmp_path / "sliced"))
    marked = at(MON, 12)

    def hours_of(raw):
        return lambda hours: raw.where(raw.day == MON).where(raw.hour.isin(hours))

    first = refresh_day(sliced, hours_of(raw_early), MON, {9: marked}, as_of=at(MON, 12, 1))
    assert first is not None and first.hours == 24
    marks = {h: at(MON, 23, 59) for h in (10, 11, 12, 23)}
    second = refresh_day(sliced, hours_of(raw_all), MON, marks, as_of=at(MON, 23, 59),
                         slack_ms=0)
    assert second is not None and second.hours == 4  # only the hours marked since
    day = Period("day", MON)
    docs = docs_of(sliced, day)
    for keyword, doc in docs.items():
        assert figures(doc["originals"]) == plain(tweets, keyword, day, originals=True,
                                                  prev_present=False), keyword

    whole = AggregateStore(spark, str(tmp_path / "whole"))
    aggregate_days(whole, raw_all, [MON])
    for name in TABLES:
        assert _rows(sliced, name) == _rows(whole, name), name


def _rows(store: AggregateStore, table: str) -> list[tuple]:
    df = store.read(table, [MON])
    columns = sorted(c for c in df.columns if c != "as_of_ms")
    return sorted(tuple(str(v) for v in r) for r in df.select(*columns).collect())


def _as_before_originals(spark, store: AggregateStore, table: str, day: date) -> None:
    """Rewrite a day folder as written before the original columns existed."""
    from tweektrend_dagster.analytics.daily import ORIGINAL_COLUMNS

    path = store.path(table, day)
    spark.read.parquet(path).drop(*ORIGINAL_COLUMNS[table]).write.parquet(path + ".old")
    store.files.delete(path)
    store.files.move(path + ".old", path)
    store.files.touch(path + "/_SUCCESS")


def test_days_aggregated_before_originals_read_as_not_counted(spark, tmp_path):
    store = AggregateStore(spark, str(tmp_path / "old"))
    raw = spark.createDataFrame(raw_rows(posts()), RAW_SCHEMA)
    aggregate_days(store, raw, [SUN, MON, TUE])
    assert store.days_without_originals([SUN, MON, TUE, TUE + timedelta(days=1)]) == []
    for table in ("hourly", "authors"):
        _as_before_originals(spark, store, table, MON)
    # what a run plan re-aggregates to fill them in
    assert store.days_without_originals([SUN, MON, TUE, TUE + timedelta(days=1)]) == [MON]
    mon = docs_of(store, Period("day", MON))
    assert mon["bts"]["originals"] is None and mon["bts"]["mentions"] == 8  # totals still read
    tue = docs_of(store, Period("day", TUE))["bts"]
    # Tuesday is counted; its previous day is not: no change is claimed
    assert tue["originals"]["mentions"] == 1
    assert tue["originals"]["prev_mentions"] is None
    assert tue["originals"]["change_mentions_pct"] is None
    week = docs_of(store, Period("week", MON))
    assert week["bts"]["originals"] is None and week["bts"]["mentions"] == 11
    # covid has no rows on the old day: its week is fully counted
    assert figures(week["covid"]["originals"]) == plain(posts(), "covid", Period("week", MON),
                                                        originals=True)


def test_slices_written_before_originals_make_the_refresh_compute_the_whole_day(spark, tmp_path):
    tweets = [t for t in posts() if t.created_at.date() == MON]
    raw = spark.createDataFrame(raw_rows(tweets), RAW_SCHEMA)
    store = AggregateStore(spark, str(tmp_path / "slices"))

    def read_hours(hours):
        return raw.where(raw.hour.isin(hours))

    assert refresh_day(store, read_hours, MON, {}).hours == 24
    slices = DaySlices(store)
    assert len(slices.computed(MON)) > 0
    # hour 9's hourly slice as an older version wrote it
    path = f"{slices.path('hourly', MON)}/slice=9"
    spark.read.parquet(path).drop("original_mentions", "original_users").write.parquet(
        path + ".old")
    store.files.delete(path)
    store.files.move(path + ".old", path)
    assert slices.computed(MON) == {}
    again = refresh_day(store, read_hours, MON, {9: at(MON, 9)})
    assert again.hours == 24
    docs = docs_of(store, Period("day", MON))
    assert figures(docs["bts"]["originals"]) == plain(tweets, "bts", Period("day", MON),
                                                      originals=True, prev_present=False)
