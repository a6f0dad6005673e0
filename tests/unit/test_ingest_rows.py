"""Tweet → Cassandra rows: which engagement observations are worth a row."""

from __future__ import annotations

from datetime import UTC, datetime

from tweektrend_dagster.ingest.rows import engagement_rows, keyword_row, raw_row
from tweektrend_dagster.tweets import Author, Tweet

CREATED = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def tweet(id_: int, relation: str | None = None, original: Tweet | None = None, **metrics) -> Tweet:
    return Tweet(
        id=str(id_),
        created_at=CREATED,
        text="BTS 콘서트",
        author=Author(id="7", username="fan"),
        relation=relation,
        related_id=original.id if original else None,
        original=original,
        **metrics,
    )


def test_a_fresh_post_without_reactions_writes_no_engagement_row() -> None:
    assert engagement_rows(tweet(1)) == []


def test_a_post_with_reactions_records_them_at_its_creation_time() -> None:
    micros = int(CREATED.timestamp() * 1_000_000)
    rows = engagement_rows(tweet(1, likes=3, replies=1))
    assert rows == [("x", "1", 0, 3, 1, 0, CREATED, micros)]


def test_a_retweet_records_its_originals_metrics_not_its_own_copy() -> None:
    original = tweet(10, retweets=40, likes=90)
    rt = tweet(2, "retweet", original, retweets=40, likes=90)
    rows = engagement_rows(rt)
    assert [r[:6] for r in rows] == [("x", "10", 40, 90, 0, 0)]


def test_a_quote_records_itself_and_its_original_when_either_has_reactions() -> None:
    original = tweet(10, likes=5)
    assert [r[1] for r in engagement_rows(tweet(3, "quote", original, likes=1))] == ["3", "10"]
    assert [r[1] for r in engagement_rows(tweet(3, "quote", original))] == ["10"]
    assert engagement_rows(tweet(3, "quote", tweet(10))) == []


def test_the_raw_row_is_partitioned_by_utc_day_and_hour() -> None:
    t = tweet(1)
    t.keywords = ["bts", "bts"]
    day, hour, network, id_, created, value, keywords = raw_row(t, b'{"id":1}')
    assert (day.isoformat(), hour, network, id_, created) == ("2026-03-01", 12, "x", "1", CREATED)
    assert value == '{"id":1}' and keywords == {"bts"}


def test_counts_beyond_the_int_column_are_clamped_and_negatives_become_zero() -> None:
    t = tweet(1, retweets=5_000_000_000, likes=-3, replies=7)
    t.author.followers = 3e9  # JSON's 3e9 is a float
    row = keyword_row("bts", t, CREATED)
    assert row[11] == 2**31 - 1  # author_followers
    assert row[21:25] == (2**31 - 1, 0, 7, 0)
    assert engagement_rows(t)[0][2:6] == (2**31 - 1, 0, 7, 0)


def test_values_that_fit_are_passed_through_unchanged() -> None:
    t = tweet(1, retweets=2**31 - 1, likes=0)
    t.author.followers = None
    row = keyword_row("bts", t, CREATED)
    assert row[11] is None and row[21:25] == (2**31 - 1, 0, 0, 0)


def test_a_count_of_the_wrong_type_is_left_for_the_binding_to_refuse() -> None:
    t = tweet(1)
    t.likes = "many"
    assert keyword_row("bts", t, CREATED)[22] == "many"
