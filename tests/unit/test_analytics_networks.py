"""Posts of several networks in the trend analytics (local Spark, no servers): a post is
(network, id), the stream's likes and reposts count in a post's engagement, top posts link to
their network, and the posts tables of before networks still roll up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

pyspark = pytest.importorskip("pyspark")

from tweektrend_dagster.analytics.pipeline import aggregate_days, period_documents  # noqa: E402
from tweektrend_dagster.analytics.source import (  # noqa: E402
    RAW_SCHEMA,
    join_reactions,
    parse_raw,
)
from tweektrend_dagster.analytics.store import AggregateStore  # noqa: E402
from tweektrend_dagster.contracts.periods import Period  # noqa: E402
from tweektrend_dagster.tweets.model import Author, Tweet  # noqa: E402

MON = date(2026, 3, 2)
TUE = date(2026, 3, 3)
LATER = datetime(2026, 6, 1, tzinfo=UTC)
SKEET = "at://did:plc:abc/app.bsky.feed.post/3l3qo2vuowo2b"
REACTIONS = "network string, day date, post_id string, kind string, id string, " \
            "actor_id string, reacted_at timestamp"


@pytest.fixture(scope="module")
def spark():
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.resources.spark import create_session, spark_config

    conf = spark_config(Settings.from_env(), master="local[2]", shuffle_partitions=4,
                        driver_memory="2g")
    session = create_session(conf)
    yield session
    session.stop()


def post(network: str, post_id: str, user: str, hour: int, likes: int = 0,
         day: date = MON) -> Tweet:
    return Tweet(network=network, id=post_id, text=f"bts news from {user}",
                 created_at=datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
                 author=Author(id=f"{network}-{user}", username=user), likes=likes,
                 keywords=["bts"])


def raw_rows(tweets: list[Tweet]) -> list[tuple]:
    return [(t.created_at.date(), t.created_at.hour, t.network, t.id, t.created_at,
             t.to_json().decode(), list(t.keywords)) for t in tweets]


def reaction(kind: str, n: int, post_id: str = SKEET) -> tuple:
    return ("bluesky", MON, post_id, kind, f"at://did:plc:fan{n}/app.bsky.feed.{kind}/{n}",
            f"did:plc:fan{n}", datetime(2026, 3, 2, 12, tzinfo=UTC))


POSTS = [
    post("x", "1000", "jack", 9, likes=3),
    post("mastodon", "mastodon.social/1000", "army@mastodon.social", 10, likes=1),
    post("bluesky", SKEET, "did:plc:abc", 11),  # its record carries no counts
]


def test_the_streams_reactions_join_their_posts_on_network_and_id(spark):
    raw = spark.createDataFrame(raw_rows(POSTS), RAW_SCHEMA)
    reactions = spark.createDataFrame(
        [reaction("like", n) for n in range(5)] + [reaction("repost", 9)]
        # the same number on another network is another post: no reaction of its own
        + [("bluesky", MON, "1000", "like", "l", "a", datetime(2026, 3, 2, tzinfo=UTC))],
        REACTIONS)
    parsed = {(r.network, r.id): r for r in parse_raw(join_reactions(raw, reactions)).collect()}
    assert len(parsed) == 3
    assert (parsed[("bluesky", SKEET)].likes, parsed[("bluesky", SKEET)].retweets) == (5, 1)
    assert parsed[("x", "1000")].likes == 3  # its own payload's count stands
    assert parsed[("mastodon", "mastodon.social/1000")].likes == 1


def test_top_posts_rank_reactions_and_link_each_post_to_its_network(spark, tmp_path):
    store = AggregateStore(spark, str(tmp_path))
    raw = spark.createDataFrame(raw_rows(POSTS), RAW_SCHEMA)
    reactions = spark.createDataFrame([reaction("like", n) for n in range(5)], REACTIONS)
    aggregate_days(store, join_reactions(raw, reactions), [MON])
    (doc,) = period_documents(store, Period("day", MON), now=LATER)
    assert doc["mentions"] == 3 and doc["unique_users"] == 3
    top = [(p["network"], p["id"], p["likes"], p["url"]) for p in doc["top_posts"]]
    assert top == [
        ("bluesky", SKEET, 5, "https://bsky.app/profile/did:plc:abc/post/3l3qo2vuowo2b"),
        ("x", "1000", 3, "https://x.com/jack/status/1000"),
        ("mastodon", "mastodon.social/1000", 1,
         "https://mastodon.social/@army@mastodon.social/1000"),
    ]


def test_a_day_aggregated_before_networks_rolls_up_with_a_day_after(spark, tmp_path):
    store = AggregateStore(spark, str(tmp_path))
    aggregate_days(store, spark.createDataFrame(raw_rows(
        [post("x", "1000", "jack", 9, likes=9), post("x", "2000", "ann", 9, likes=7, day=TUE)]),
        RAW_SCHEMA), [MON, TUE])
    # Monday's posts table as it was written before posts had a network: a number `post_id`
    old = spark.createDataFrame(
        [("bts", 1000, "old post", "jack", "Jack", "2026-03-02T09:00:00Z", 0, 9, 0, 0, 9)],
        "keyword string, post_id long, text string, author_username string, author_name "
        "string, created_at string, retweets long, likes long, replies long, quotes long, "
        "engagement long")
    store.write("posts", MON, old)
    (week,) = period_documents(store, Period("week", MON), now=LATER)
    assert [(p["network"], p["id"], p["likes"], p["text"]) for p in week["top_posts"]] == [
        ("x", "1000", 9, "old post"), ("x", "2000", 7, "bts news from ann")]
    assert week["top_posts"][0]["url"] == "https://x.com/jack/status/1000"
