"""What crosses layers is defined once (tweektrend_dagster/contracts/): the pieces derived from it
or built beside it must agree with it."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime

from tweektrend_dagster.analytics.documents import build_documents
from tweektrend_dagster.analytics.rollup import KeywordStats, PeriodStats
from tweektrend_dagster.analytics.source import TWEET_SCHEMA, spark_schema
from tweektrend_dagster.contracts.periods import Period
from tweektrend_dagster.contracts.tables import (
    LIVE_COLUMNS,
    RAW_TWEETS,
    TABLES,
    TWEETS_BY_KEYWORD,
)
from tweektrend_dagster.contracts.trend_document import (
    TREND_FIELDS,
    Correlation,
    OriginalPoint,
    Originals,
    SeriesPoint,
    TopPost,
)
from tweektrend_dagster.ingest import rows
from tweektrend_dagster.ingest.schema import table_statements
from tweektrend_dagster.tweets import Tweet
from tweektrend_dagster.tweets.model import Author

AT = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
# columns of posts_by_keyword that are not a field of the tweet itself
ROW_ONLY = {"keyword", "day", "hour", "ingested_at"}


def _tweet() -> Tweet:
    # a distinct value in every field, so a column bound to the wrong value shows
    return Tweet(
        id=1234, created_at=AT, text="hello", lang="en", relation="quote", related_id=99,
        author=Author(id="a1", username="alice", name="Alice", followers=42, location="Seoul"),
        retweets=1, likes=2, replies=3, quotes=4, hashtags=["h"], mentions=["m"], urls=["u"],
        source="web", place="Gangnam", country="KR", keywords=["bts", "army"],
    )


def _tweet_value(tweet: Tweet, column: str) -> object:
    if column.startswith("author_"):
        return getattr(tweet.author, column.removeprefix("author_"))
    return getattr(tweet, column)


def test_the_keyword_row_binds_every_column_to_the_tweet_field_of_its_name():
    tweet, now = _tweet(), datetime(2026, 3, 5, 15, tzinfo=UTC)
    row = dict(zip(TWEETS_BY_KEYWORD.column_names, rows.keyword_row("bts", tweet, now),
                   strict=True))
    assert (row["keyword"], row["day"], row["hour"], row["ingested_at"]) == (
        "bts", date(2026, 3, 5), 14, now)
    for column in set(TWEETS_BY_KEYWORD.column_names) - ROW_ONLY:
        assert row[column] == _tweet_value(tweet, column), column


def test_the_raw_row_and_every_insert_follow_the_column_lists():
    tweet = _tweet()
    row = dict(zip(RAW_TWEETS.column_names, rows.raw_row(tweet, tweet.to_json()), strict=True))
    assert row["id"] == 1234 and row["keywords"] == {"bts", "army"}
    assert Tweet.from_json(row["tweet"]).text == "hello"
    assert rows.INSERT_BY_KEYWORD.count("?") == len(TWEETS_BY_KEYWORD.columns)
    statements = table_statements(raw_ttl_days=2)
    assert len(statements) == len(TABLES)
    for table, ddl in zip(TABLES, statements, strict=True):
        for name, cql in table.columns:
            assert f"{name} {cql}" in ddl, (table.name, name)
    assert "default_time_to_live = 172800" in statements[0]


def test_spark_reads_and_writes_the_same_columns_the_workers_write():
    assert spark_schema(TWEETS_BY_KEYWORD).fieldNames() == list(TWEETS_BY_KEYWORD.column_names)
    assert spark_schema(RAW_TWEETS).fieldNames() == list(RAW_TWEETS.column_names)
    assert set(LIVE_COLUMNS) <= set(TWEETS_BY_KEYWORD.column_names)


def test_the_spark_schema_of_the_tweet_json_names_only_fields_the_tweet_has():
    tweet_fields = {f.name for f in fields(Tweet)}
    author_fields = {f.name for f in fields(Author)}
    for field in TWEET_SCHEMA.fields:
        assert field.name in tweet_fields, field.name
        if field.name in ("author", "original"):
            for inner in field.dataType.fields:
                known = author_fields if field.name == "author" else tweet_fields
                assert inner.name in known, (field.name, inner.name)
    # every tweet field the keyword backfill writes is read from the JSON
    read = {f.name for f in TWEET_SCHEMA.fields}
    # created_at, network and id come from the archive row's own columns
    for column in set(TWEETS_BY_KEYWORD.column_names) - ROW_ONLY - {"created_at", "network", "id"}:
        top = "author" if column.startswith("author_") else column
        assert top in read, column


def test_built_trend_documents_have_the_contracts_shape():
    period = Period("day", date(2026, 3, 5))
    stats = KeywordStats(
        "bts", mentions=3, unique_users=2,
        buckets={datetime(2026, 3, 5, 9, tzinfo=UTC): (3, 2)},
        top_posts=[{"network": "x", "native_id": "7", "text": "hi", "author_username": "alice",
                    "retweets": 1}],
        top_users=[{"author_id": "a1", "username": "alice", "name": None, "posts": 3,
                    "followers": 0}],
    )
    docs = build_documents(PeriodStats(period, 10, [period.start], [], {"bts": stats}),
                           now=datetime(2026, 3, 6, 12, tzinfo=UTC))
    (doc,) = docs
    assert tuple(doc) == TREND_FIELDS
    assert doc["_id"] == period.doc_id("bts") == "bts|day|2026-03-05"
    assert set(doc["series"][0]) == set(SeriesPoint.__annotations__)
    assert set(doc["top_posts"][0]) == set(TopPost.__annotations__)
    assert set(doc["correlation"]) == set(Correlation.__annotations__)
    assert set(doc["originals"]) == set(Originals.__annotations__)
    assert set(doc["originals"]["series"][0]) == set(OriginalPoint.__annotations__)
