"""Ranged runs: many days' aggregates in one pass, many periods' documents at once.

Checked against the one-day / one-period paths (`aggregate_day`, `compute_period` +
`build_documents`), which test_analytics_trends checks against plain Python. No servers: raw
rows in memory, aggregate tables in a temporary folder; the SparkSession of the process.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark")

from tests.unit.test_analytics_trends import (  # noqa: E402
    LATER,
    MON,
    at,
    hand_set,
    raw_rows,
    tweet,
)
from tweektrend_dagster.analytics.daily import TABLES  # noqa: E402
from tweektrend_dagster.analytics.documents import build_documents  # noqa: E402
from tweektrend_dagster.analytics.pipeline import (  # noqa: E402
    aggregate_day,
    aggregate_days,
    own_tokens,
    period_documents,
    periods_documents,
)
from tweektrend_dagster.analytics.rollup_many import compute_period  # noqa: E402
from tweektrend_dagster.analytics.source import RAW_SCHEMA  # noqa: E402
from tweektrend_dagster.analytics.store import TOKENS, AggregateStore  # noqa: E402
from tweektrend_dagster.contracts.periods import Period  # noqa: E402
from tweektrend_dagster.keywords import KeywordMatcher  # noqa: E402

KEYWORDS = ["코로나", "bts", "covid", "netflix"]
BUSY = date(2024, 3, 25)  # a Monday: 12 busy days over a month and a quarter boundary
FIRST, LAST = date(2024, 3, 1), date(2024, 4, 10)  # the range aggregated: most days empty
RANGE = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
READ = datetime(2024, 5, 1, tzinfo=UTC)  # when the runs read the raw rows (the same for both)


@pytest.fixture(scope="module")
def spark():
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.resources.spark import create_session, spark_config

    conf = spark_config(Settings.from_env(), master="local[2]", shuffle_partitions=4,
                        driver_memory="2g")
    session = create_session(conf)
    yield session
    session.stop()  # no local Spark left for the tests that check runs start none


@pytest.fixture(scope="module")
def range_tweets():
    from tweektrend_dagster.ingest.sources.simulator import generate
    from tweektrend_dagster.tweets.parsers import parse_payload

    matcher = KeywordMatcher(KEYWORDS)
    tweets = hand_set()  # Monday 4 March
    start = datetime(BUSY.year, BUSY.month, BUSY.day, tzinfo=UTC)
    for payload in generate(900, seed=5, start=start, span=timedelta(days=12),
                            keywords=KEYWORDS):
        t = parse_payload(payload)
        t.keywords = matcher.match(t)
        tweets.append(t)
    # a retweet of a Monday text two weeks later: cached on Monday, not tokenised again
    tweets.append(tweet(90, at(BUSY, 3), "RT @ann: BTS concert tickets sold out", "zed", ["bts"]))
    return tweets


@pytest.fixture(scope="module")
def ranged(spark, tmp_path_factory, range_tweets):
    """The whole range in ONE `aggregate_days` call (41 days, 13 of them with tweets)."""
    store = AggregateStore(spark, str(tmp_path_factory.mktemp("ranged") / "store"))
    raw = spark.createDataFrame(raw_rows(range_tweets), RAW_SCHEMA)
    return store, aggregate_days(store, raw, RANGE, as_of=READ)


def day_folders(store: AggregateStore, table: str) -> set[date]:
    folder = Path(store.base) / table
    return {date.fromisoformat(p.name[4:]) for p in folder.glob("day=*")} if folder.exists() \
        else set()


def rows_of(store: AggregateStore, table: str, day: date) -> list[tuple]:
    df = store.read(table, [day])
    if df is None:
        return []
    cols = sorted(c for c in df.columns if c != "day")
    return sorted((tuple(r) for r in df.select(*cols).collect()), key=repr)


def test_one_pass_equals_the_per_day_results(spark, tmp_path, ranged, range_tweets):
    store, results = ranged
    with_tweets = sorted({t.created_at.date() for t in range_tweets})
    assert [r.day for r in results] == with_tweets
    assert sum(r.tweets for r in results) == len(range_tweets)
    per_day = AggregateStore(spark, str(tmp_path / "per-day"))
    raw = spark.createDataFrame(raw_rows(range_tweets), RAW_SCHEMA)
    for day in (MON, date(2024, 3, 31), date(2024, 4, 1)):
        one = aggregate_day(per_day, raw.where(raw.day == day), day, as_of=READ)
        many = next(r for r in results if r.day == day)
        assert (many.tweets, many.rows, many.preview) == (one.tweets, one.rows, one.preview)
        assert many.rows["hourly"] > 0 and many.rows["words"] > 0
        for table in (*TABLES, TOKENS):
            assert rows_of(store, table, day) == rows_of(per_day, table, day), (table, day)


def test_days_without_tweets_write_nothing(ranged, range_tweets):
    store, results = ranged
    with_tweets = {t.created_at.date() for t in range_tweets}
    assert len(with_tweets) == 13 and len(results) == 13
    for table in (*TABLES, TOKENS):
        assert day_folders(store, table) <= with_tweets, table
    assert day_folders(store, "totals") == with_tweets
    assert not (Path(store.base) / "_staging").exists() or not any(
        (Path(store.base) / "_staging").iterdir())


def test_token_tables_are_per_day_caches(spark, ranged):
    store, results = ranged
    # the retweet of Monday's text on BUSY: the text is in both days' token tables
    monday_text = {r.tkey for r in store.read(TOKENS, [MON]).collect()}
    busy_text = {r.tkey for r in store.read(TOKENS, [BUSY]).collect()}
    assert len(monday_text & busy_text) == 1
    assert {r.day: r for r in results}[BUSY].new_texts == len(busy_text)
    # a re-run of a day finds every text in its token table
    again = aggregate_days(store, spark.createDataFrame(raw_rows(hand_set()), RAW_SCHEMA), [MON])
    assert again[0].new_texts == 0 and again[0].tweets == len(hand_set())


def test_a_day_that_lost_its_tweets_loses_its_aggregates(spark, tmp_path):
    tue = MON + timedelta(days=1)
    store = AggregateStore(spark, str(tmp_path / "store"))
    both = hand_set() + [tweet(20, at(tue, 8), "bts concert day two", "fay", ["bts"])]
    first = aggregate_days(store, spark.createDataFrame(raw_rows(both), RAW_SCHEMA), [MON, tue])
    assert [r.day for r in first] == [MON, tue]
    assert period_documents(store, Period("day", tue), now=LATER)[0]["mentions"] == 1
    # Tuesday's tweets are gone (deleted, or moved to another day): a re-run of the range
    left = aggregate_days(store, spark.createDataFrame(raw_rows(hand_set()), RAW_SCHEMA),
                          [MON, tue])
    assert [r.day for r in left] == [MON]
    for table in (*TABLES, TOKENS):
        assert tue not in day_folders(store, table), table
    assert store.all_days("totals") == {MON}
    assert period_documents(store, Period("day", tue), now=LATER) == []
    week = {d["keyword"]: d["mentions"] for d in
            period_documents(store, Period("week", MON), now=LATER)}
    assert week == {"bts": 5, "covid": 1}


def one_period_documents(store: AggregateStore, period: Period) -> list[dict]:
    """A period computed on its own (`compute_period` + `build_documents`): what a ranged run
    must give each of its periods, unaffected by the others."""
    return build_documents(compute_period(store, period, exclude=own_tokens), now=LATER)


PERIODS = {
    # Monday, the (empty) day after it, a busy month end and quarter start, an empty day after
    "day": [MON, MON + timedelta(days=1), date(2024, 3, 31), date(2024, 4, 1),
            date(2024, 4, 6), date(2024, 4, 7)],
    "week": [MON, MON + timedelta(days=7), BUSY, BUSY + timedelta(days=7),
             BUSY + timedelta(days=14)],
    "month": [date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)],
    "quarter": [date(2024, 1, 1), date(2024, 4, 1), date(2024, 7, 1)],
}


AFTER_DATA = {"day": date(2024, 4, 1), "week": BUSY + timedelta(days=7),
              "month": date(2024, 4, 1), "quarter": date(2024, 4, 1)}


@pytest.mark.parametrize("kind", list(PERIODS))
def test_many_periods_equal_one_period_at_a_time(ranged, kind):
    store, _ = ranged
    periods = [Period(kind, s) for s in PERIODS[kind]]
    many = periods_documents(store, periods, now=LATER)
    assert set(many) == set(periods)
    zero_before = 0
    for p in periods:
        before = one_period_documents(store, p)
        zero_before += sum(1 for d in before if d["mentions"] == 0)
        expected = [d for d in before if d["mentions"] > 0]
        assert many[p] == expected, p
    assert all(d["mentions"] > 0 for docs in many.values() for d in docs)
    assert sum(len(docs) for docs in many.values()) > len(periods)
    # periods after data used to publish zero documents for last period's keywords
    assert zero_before > 0
    # a period after one with data: previous figures (exact distinct users of the previous one)
    after = Period(kind, AFTER_DATA[kind])
    prev = {d["keyword"]: d for d in many[Period(kind, after.previous.start)]}
    for d in many[after]:
        assert d["prev_mentions"] == prev.get(d["keyword"], {}).get("mentions", 0)
        assert d["prev_unique_users"] == prev.get(d["keyword"], {}).get("unique_users", 0)


def test_the_number_of_spark_jobs_does_not_grow_with_the_periods(spark, ranged):
    store, _ = ranged
    sc = spark.sparkContext

    def jobs(periods: list[Period]) -> int:
        group = f"periods-{len(periods)}-{periods[0].start}"
        sc.setJobGroup(group, group)
        periods_documents(store, periods, now=LATER)
        sc.setJobGroup("", "")
        return len(sc.statusTracker().getJobIdsForGroup(group))

    one = jobs([Period("day", date(2024, 3, 27))])
    many = jobs([Period("day", BUSY + timedelta(days=i)) for i in range(12)])
    assert many <= one + 2, (one, many)
