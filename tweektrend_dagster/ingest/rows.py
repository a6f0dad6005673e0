"""Tweet → Cassandra rows: the prepared statements and the values for each table (pure mapping).

Counts are clamped to the `int` columns here too, whatever the parser did: a value that does not
fit its column would fail the binding of a whole batch. The hour comes from `datetime.hour`, so
it always fits its `tinyint`. Values of a wrong type are left as they are: binding them fails,
and the worker dead-letters that message alone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from tweektrend_dagster.contracts.tables import (
    INGESTED_DAYS,
    INGESTED_HOURS,
    INGESTION_PROGRESS,
    RAW_TWEETS,
    TWEET_ENGAGEMENT,
    TWEETS_BY_KEYWORD,
)
from tweektrend_dagster.tweets import Tweet

INT_MAX = 2**31 - 1  # Cassandra `int`

INSERT_RAW = RAW_TWEETS.insert_cql()
INSERT_BY_KEYWORD = TWEETS_BY_KEYWORD.insert_cql()  # values: keyword_row, in column order
# The write timestamp is the observation time, so the newest observation wins in any order.
INSERT_ENGAGEMENT = TWEET_ENGAGEMENT.insert_cql(using="TIMESTAMP ?")
INSERT_DAY = INGESTED_DAYS.insert_cql(("day", "updated_at"), constants={"scope": "'all'"})
INSERT_HOUR = INGESTED_HOURS.insert_cql(("day", "hour", "updated_at"),
                                        constants={"scope": "'all'"})
INSERT_PROGRESS = INGESTION_PROGRESS.insert_cql(
    ("consumer_group", "topic", "partition", "committed_offset", "watermark", "updated_at"))
# the offset alone (the watermark is left as it is): what a new owner finds committed
INSERT_PROGRESS_OFFSET = INGESTION_PROGRESS.insert_cql(
    ("consumer_group", "topic", "partition", "committed_offset", "updated_at"))


def day_hour(tweet: Tweet) -> tuple[date, int]:
    created = tweet.created_at.astimezone(UTC)
    return created.date(), created.hour


def raw_row(tweet: Tweet, value: bytes) -> tuple:
    day, hour = day_hour(tweet)
    return (day, hour, tweet.network, tweet.id, tweet.created_at, value.decode("utf-8"),
            set(tweet.keywords))


def keyword_row(keyword: str, tweet: Tweet, now: datetime) -> tuple:
    day, hour = day_hour(tweet)
    a = tweet.author
    return (
        keyword,
        day,
        hour,
        tweet.created_at,
        tweet.network,
        tweet.id,
        tweet.text,
        tweet.lang,
        a.id,
        a.username,
        a.name,
        a.followers if a.followers is None or _fits(a.followers) else clamp_count(a.followers),
        a.location,
        tweet.relation,
        tweet.related_id,
        tweet.hashtags,
        tweet.mentions,
        tweet.urls,
        tweet.source,
        tweet.place,
        tweet.country,
        *counts(tweet),
        now,
    )


def counts(tweet: Tweet) -> tuple:
    """(retweets, likes, replies, quotes), each fitting an `int` column."""
    values = (tweet.retweets, tweet.likes, tweet.replies, tweet.quotes)
    if _fits(values[0]) and _fits(values[1]) and _fits(values[2]) and _fits(values[3]):
        return values  # what the parser hands over: one cheap test each
    return tuple(clamp_count(v) for v in values)


def _fits(value: object) -> bool:
    return type(value) is int and 0 <= value <= INT_MAX


def clamp_count(value: object) -> object:
    """An integral count clamped into 0..INT_MAX; anything else unchanged (its bind fails)."""
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int:
        return value
    return min(max(value, 0), INT_MAX)


def engagement_rows(tweet: Tweet) -> list[tuple]:
    """The tweet's own metrics (not for retweets: they copy the original's) and the original's.

    An observation with every metric at zero is not written: a missing row already reads as
    zero, and most posts arrive from the stream at creation time, before anyone reacted. This
    skips about two thirds of the engagement rows, the most expensive ones for Cassandra (one
    partition each). Metrics only grow (an unlike aside), so the newest non-zero row stays right.
    """
    rows = []
    observed = tweet.created_at
    micros = int(observed.timestamp() * 1_000_000)
    if tweet.relation != "retweet" and _has_reactions(tweet):
        rows.append((tweet.network, tweet.id, *counts(tweet), observed, micros))
    original = tweet.original
    if original is not None and _has_reactions(original):
        rows.append((tweet.network, original.id, *counts(original), observed, micros))
    return rows


def _has_reactions(tweet: Tweet) -> bool:
    return bool(tweet.retweets or tweet.likes or tweet.replies or tweet.quotes)
