"""Trend statistics in Spark against answers derived independently in plain Python.

No servers: the raw archive rows are built in memory (the same columns `raw_posts_by_day`
has) and the aggregate tables live in a temporary folder. One SparkSession for the module, and
each data set is aggregated once per module (`hand_store`, `sim_store`): the tests that only
read a store share it; a test that rewrites a day builds its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

pyspark = pytest.importorskip("pyspark")

from tweektrend_dagster.analytics.documents import build_documents  # noqa: E402
from tweektrend_dagster.analytics.pipeline import aggregate_day, period_documents  # noqa: E402
from tweektrend_dagster.analytics.source import RAW_SCHEMA  # noqa: E402
from tweektrend_dagster.analytics.store import AggregateStore  # noqa: E402
from tweektrend_dagster.contracts.periods import Period  # noqa: E402
from tweektrend_dagster.keywords import KeywordMatcher  # noqa: E402
from tweektrend_dagster.text.association import rank_related  # noqa: E402
from tweektrend_dagster.text.tokenize import tokenize  # noqa: E402
from tweektrend_dagster.tweets.model import Author, Tweet  # noqa: E402

MON = date(2024, 3, 4)  # a Monday
LATER = datetime(2024, 6, 1, tzinfo=UTC)  # "now" for documents: every test period is final


@pytest.fixture(scope="module")
def spark():
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.resources.spark import create_session, spark_config

    conf = spark_config(Settings.from_env(), master="local[2]", shuffle_partitions=4,
                        driver_memory="2g")
    session = create_session(conf)
    yield session
    session.stop()  # no local Spark left for the tests that check runs start none


def tweet(i: int, at: datetime, text: str, user: str, kws: list[str], **kw) -> Tweet:
    return Tweet(id=str(i), created_at=at, text=text, author=Author(id=f"u{user}", username=user,
                 name=user.upper(), followers=10), keywords=kws, **kw)


def raw_rows(tweets: list[Tweet]) -> list[tuple]:
    return [(t.created_at.date(), t.created_at.hour, t.network, t.id, t.created_at,
             t.to_json().decode(),
             list(t.keywords)) for t in tweets]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def compute(spark, tmp_path, tweets: list[Tweet], days: list[date]) -> AggregateStore:
    store = AggregateStore(spark, str(tmp_path / "store"))
    raw = spark.createDataFrame(raw_rows(tweets), RAW_SCHEMA)
    for d in days:
        aggregate_day(store, raw.where(raw.day == d), d)
    return store


def docs_by_keyword(store, period):
    return {d["keyword"]: d for d in period_documents(store, period, now=LATER)}


# ---------------------------------------------------------------- a hand-countable day
def hand_set() -> list[Tweet]:
    d = MON
    return [
        tweet(1, at(d, 9, 1), "BTS concert tickets sold out", "ann", ["bts"], likes=5, retweets=2),
        tweet(2, at(d, 9, 30), "bts concert tonight with army", "bob", ["bts"], likes=1),
        tweet(3, at(d, 10, 5), "BTS album drops friday, concert next", "ann", ["bts"], likes=20),
        tweet(4, at(d, 10, 6), "RT @ann: BTS album drops friday, concert next", "cat", ["bts"],
              relation="retweet", related_id=3,
              original=tweet(3, at(d, 10, 5), "BTS album drops friday, concert next", "ann",
                             [], likes=30, retweets=4)),
        tweet(5, at(d, 11, 0), "weather is nice, concert in the park", "dan", [],
              source="Twitter for iPhone"),
        tweet(6, at(d, 23, 59), "bts army concert forever", "bob", ["bts"], place="Seoul"),
        tweet(7, at(d, 12, 0), "covid cases rising again", "eve", ["covid"]),
    ]


@pytest.fixture(scope="module")
def hand_store(spark, tmp_path_factory):
    """The hand-countable day, aggregated once for the tests that only read it."""
    return compute(spark, tmp_path_factory.mktemp("hand"), hand_set(), [MON])


def test_hand_counted_day(hand_store):
    store = hand_store
    docs = docs_by_keyword(store, Period("day", MON))
    bts = docs["bts"]
    assert bts["_id"] == "bts|day|2024-03-04" and bts["end"] == "2024-03-05" and bts["final"]
    assert bts["mentions"] == 5
    assert bts["unique_users"] == 3  # ann, bob, cat
    hours = {int(s["t"][11:13]): (s["mentions"], s["users"]) for s in bts["series"]}
    assert len(bts["series"]) == 24
    assert hours[9] == (2, 2) and hours[10] == (2, 2) and hours[23] == (1, 1) and hours[0] == (0, 0)
    # the retweet promotes its original, with the highest engagement observed (30+4 > 20)
    assert [p["id"] for p in bts["top_posts"]] == ["3", "1", "2", "6"]
    assert bts["top_posts"][0]["engagement"] == 34
    assert bts["top_posts"][0]["url"] == "https://x.com/ann/status/3"
    assert [(u["username"], u["posts"]) for u in bts["top_users"]] == [
        ("ann", 2), ("bob", 2), ("cat", 1)]
    # co-occurrence: tweets of bts containing the word (the keyword's own token is excluded)
    words = {w["word"]: w["count"] for w in bts["related_words"]}
    assert words == {"concert": 5}  # ranked words need >= 3 co-occurrences
    table = store.read("words", [MON]).where("keyword = 'bts'").collect()
    counts = {r.word: r["count"] for r in table}
    assert counts["concert"] == 5 and counts["army"] == 2 and counts["album"] == 2
    assert counts["bts"] == 5 and counts["tickets"] == 1
    assert bts["locations"] == [{"name": "Seoul", "count": 1}]
    assert sum(bts["sentiment"].values()) == 5
    # only keywords with tweets in the period get a document (a missing one reads as zero)
    assert set(docs) == {"bts", "covid"} and docs["covid"]["mentions"] == 1


def test_related_words_rank_by_npmi_against_the_background(hand_store):
    store = hand_store
    bts = docs_by_keyword(store, Period("day", MON))["bts"]
    # independent: tokens of every archived tweet of the day (retweets count as tweets too)
    tweets = hand_set()
    bg: Counter[str] = Counter()
    co: Counter[str] = Counter()
    for t in tweets:
        toks = set(tokenize(t.text))
        bg.update(toks)
        if "bts" in t.keywords:
            co.update(toks)
    del co["bts"]
    expected = rank_related({w: c for w, c in co.items() if c >= 3}, 5, bg, len(tweets),
                            min_count=3)
    assert bts["related_words"] == [dict(r) for r in expected]
    # "concert" also occurs outside bts (tweet 5), so it is less specific than a perfect 1.0
    assert 0 < bts["related_words"][0]["score"] < 1


def test_late_tweet_and_week_equals_sum_of_days(spark, tmp_path):
    tue = MON + timedelta(days=1)
    base = hand_set() + [tweet(20, at(tue, 8), "bts concert day two", "fay", ["bts"])]
    store = compute(spark, tmp_path, base, [MON, tue])
    week = Period("week", MON)
    before = docs_by_keyword(store, week)["bts"]
    assert before["mentions"] == 6 and before["unique_users"] == 4
    # a late tweet for Monday arrives after Monday was computed: recompute Monday only
    late = base + [tweet(21, at(MON, 13), "late bts concert news", "gus", ["bts"])]
    raw = spark.createDataFrame(raw_rows(late), RAW_SCHEMA)
    result = aggregate_day(store, raw.where(raw.day == MON), MON)
    assert result.new_texts == 1  # every other text came from the day's token table
    days = [docs_by_keyword(store, Period("day", d))["bts"] for d in (MON, tue)]
    week_doc = docs_by_keyword(store, week)["bts"]
    assert week_doc["mentions"] == sum(d["mentions"] for d in days) == 7
    assert [s["mentions"] for s in week_doc["series"][:2]] == [d["mentions"] for d in days]
    assert [s["users"] for s in week_doc["series"][:2]] == [d["unique_users"] for d in days]
    assert week_doc["unique_users"] == 5  # ann bob cat fay gus: distinct over the week, exact
    assert week_doc["series"][2]["mentions"] == 0  # an empty day inside the week
    assert len(week_doc["series"]) == 7
    assert days[1]["prev_mentions"] == 6 and days[1]["change_mentions_pct"] == pytest.approx(
        (1 - 6) / 6 * 100, abs=0.01)


def test_refreshes_tokenise_only_new_texts_and_keep_the_token_table_compact(
    spark, tmp_path, monkeypatch
):
    from tweektrend_dagster.analytics import pipeline
    from tweektrend_dagster.analytics.store import TOKENS

    monkeypatch.setattr(pipeline, "MAX_TOKEN_FILES", 3)
    store = AggregateStore(spark, str(tmp_path / "store"))
    arrived: list[Tweet] = []
    new_texts = []
    for hour in range(5):  # the current day refreshed five times as its tweets arrive
        arrived.append(tweet(100 + hour, at(MON, hour), f"bts news number {hour}", "ann", ["bts"]))
        arrived.append(tweet(200 + hour, at(MON, hour, 30), "bts news number 0", "bob", ["bts"]))
        raw = spark.createDataFrame(raw_rows(arrived), RAW_SCHEMA)
        new_texts.append(aggregate_day(store, raw, MON).new_texts)
        assert store.file_count(TOKENS, MON) <= 3
    assert new_texts == [1, 1, 1, 1, 1]  # the repeated text was tokenised once, in the first run
    tokens = {r.tkey: list(r.tokens) for r in store.read(TOKENS, [MON]).collect()}
    assert len(tokens) == 5  # compaction kept every distinct text exactly once
    assert sorted(tokens.values()) == sorted(tokenize(f"bts news number {h}") for h in range(5))
    day = docs_by_keyword(store, Period("day", MON))["bts"]
    assert day["mentions"] == 10 and day["unique_users"] == 2


def test_empty_periods_publish_nothing(hand_store):
    store = hand_store
    # the day and the week after: no tweets, so no document (not even for last week's keywords)
    assert period_documents(store, Period("week", MON + timedelta(days=7)), now=LATER) == []
    assert period_documents(store, Period("day", MON + timedelta(days=1)), now=LATER) == []
    assert period_documents(store, Period("month", date(2024, 5, 1)), now=LATER) == []
    # the week of the tweets: documents, with no previous week of data
    week = docs_by_keyword(store, Period("week", MON))
    assert {k: (d["mentions"], d["prev_mentions"]) for k, d in week.items()} == {
        "bts": (5, None), "covid": (1, None)}


# ---------------------------------------------------------------- simulated tweets vs plain Python
KEYWORDS = ["코로나", "bts", "넷플릭스", "covid", "netflix", "아이폰", "bitcoin"]


@pytest.fixture(scope="module")
def simulated():
    from tweektrend_dagster.ingest.sources.simulator import generate
    from tweektrend_dagster.tweets.parsers import parse_payload

    matcher = KeywordMatcher(KEYWORDS)
    tweets = []
    for payload in generate(3000, seed=7, start=at(MON, 0), span=timedelta(days=2)):
        t = parse_payload(payload)
        t.keywords = matcher.match(t)
        tweets.append(t)
    return tweets


def plain_python(tweets: list[Tweet], days: set[date]):
    """Per keyword: mentions, users, hourly/daily counts, top users, word counts, background."""
    sel = [t for t in tweets if t.created_at.date() in days]
    out: dict[str, dict] = defaultdict(lambda: {"n": 0, "users": set(), "buckets": Counter(),
                                                 "posts": Counter(), "words": Counter()})
    bg: Counter[str] = Counter()
    hourly = len(days) == 1
    for t in sel:
        toks = set(tokenize(t.text))
        bg.update(toks)
        for k in t.keywords:
            s = out[k]
            s["n"] += 1
            s["users"].add(t.author.id)
            s["buckets"][t.created_at.hour if hourly else t.created_at.date()] += 1
            s["posts"][t.author.id] += 1
            s["words"].update(toks)
    return out, bg, len(sel)


@pytest.fixture(scope="module")
def sim_store(spark, tmp_path_factory, simulated):
    """The simulated tweets (two days), aggregated once for the tests that only read them."""
    days = [MON, MON + timedelta(days=1)]
    return compute(spark, tmp_path_factory.mktemp("sim"), simulated, days)


@pytest.mark.parametrize("kind", ["day", "week"])
def test_simulated_tweets_match_plain_python(sim_store, simulated, kind):
    store = sim_store
    period = Period(kind, MON)
    docs = docs_by_keyword(store, period)
    ref, bg, n = plain_python(simulated, set(period.days))
    assert set(docs) == set(ref)
    for k, r in ref.items():
        d = docs[k]
        assert d["mentions"] == r["n"], k
        assert d["unique_users"] == len(r["users"]), k
        if kind == "day":
            assert [s["mentions"] for s in d["series"]] == [r["buckets"][h] for h in range(24)]
        else:
            assert [s["mentions"] for s in d["series"]] == [r["buckets"][x] for x in period.days]
        top = sorted(r["posts"].items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        assert [(u["author_id"], u["posts"]) for u in d["top_users"]] == top, k
        exclude = set(tokenize(k)) | {"#" + k}
        counts = {w: c for w, c in r["words"].items() if w not in exclude}
        expected = rank_related(counts, r["n"], bg, n, min_count=3, top=50)
        got = d["related_words"]
        assert [(w["word"], w["count"]) for w in got] == [(w["word"], w["count"]) for w in expected]
        assert [w["score"] for w in got] == pytest.approx([w["score"] for w in expected], abs=1e-4)


def test_documents_are_mongo_safe(sim_store):
    store = sim_store  # Monday's document reads Monday (and the Sunday before) only
    for doc in period_documents(store, Period("day", MON), now=LATER):
        _assert_safe(doc, top=True)


def _assert_safe(value, top=False, in_list=False):
    if isinstance(value, dict):
        for key, v in value.items():
            assert "." not in key and not key.startswith("$")
            _assert_safe(v)
    elif isinstance(value, list):
        assert not in_list, "nested array"
        for v in value:
            _assert_safe(v, in_list=True)


def test_build_documents_cut_future_buckets_of_an_open_day():
    from tweektrend_dagster.analytics.rollup import PeriodStats

    stats = PeriodStats(Period("day", MON), 0, [], [], {})
    docs = build_documents(stats, ["bts"], now=at(MON, 5, 30))
    assert len(docs[0]["series"]) == 6 and docs[0]["final"] is False


def test_documents_say_up_to_when_the_archive_was_read(spark, tmp_path):
    """`as_of`: when the day's raw rows were read (every tweet ingested before it is counted);
    a week carries its newest day's; a day aggregated before `as_of` existed reads as None."""
    from tweektrend_dagster.analytics.pipeline import aggregate_days

    tue = MON + timedelta(days=1)
    tweets = hand_set() + [tweet(50, at(tue, 8), "bts comeback", "fay", ["bts"])]
    store = AggregateStore(spark, str(tmp_path / "store"))
    raw = spark.createDataFrame(raw_rows(tweets), RAW_SCHEMA)
    read_mon, read_tue = at(tue, 0, 5), at(tue, 8, 30)
    aggregate_days(store, raw, [MON], as_of=read_mon)
    aggregate_days(store, raw, [tue], as_of=read_tue)
    assert docs_by_keyword(store, Period("day", MON))["bts"]["as_of"] == read_mon
    assert docs_by_keyword(store, Period("day", tue))["bts"]["as_of"] == read_tue
    assert docs_by_keyword(store, Period("week", MON))["bts"]["as_of"] == read_tue

    # an older day folder of totals, without the column
    path = store.path("totals", MON)
    spark.read.parquet(path).drop("as_of_ms").write.mode("overwrite").parquet(path + ".old")
    store.files.delete(path)
    store.files.move(path + ".old", path)
    store.files.touch(path + "/_SUCCESS")
    assert docs_by_keyword(store, Period("day", MON))["bts"]["as_of"] is None
    assert docs_by_keyword(store, Period("week", MON))["bts"]["as_of"] == read_tue
