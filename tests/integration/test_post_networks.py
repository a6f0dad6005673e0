"""Posts of X, Bluesky and Mastodon side by side on the real servers: a post is (network, id),
links go to its own network, a deletion takes it out of the archive, the feed and the top
posts, and the X-only tables of before networks are moved over once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from streamlit_app import queries
from tests.integration.ingest_helpers import (
    WorkerThread,
    applying_events,
    keyword_pipeline,
    wait_until_drained,
)
from tests.support.post_ids import bluesky_id, mastodon_id, x_id
from tweektrend_dagster.contracts import names
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.migrate import migrate_legacy_posts
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.tweets import Author, Tweet
from tweektrend_dagster.tweets.events import Deletion, Reaction

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def post(network: str, post_id: str, text: str, user: str, at: datetime = NOW) -> Tweet:
    return Tweet(network=network, id=post_id, created_at=at, text=text,
                 author=Author(id=f"{network}-{user}", username=user))


@pytest.fixture
def pipeline(keyspace_settings):
    with keyword_pipeline(keyspace_settings, "코로나") as pipeline:
        yield pipeline


def _ingest(settings, registry, tweets: list[Tweet], messages: int) -> None:
    producer = TweetProducer(settings, KeywordWatch(registry))
    producer.run([t.to_json() for t in tweets])
    with WorkerThread(settings, KeywordWatch(registry)):
        wait_until_drained(settings, messages)


def _raw(cassandra, keyspace: str) -> set[tuple[str, str]]:
    rows = cassandra.execute(f"SELECT network, id FROM {keyspace}.{names.RAW_TABLE}", timeout=60)
    return {(r.network, r.id) for r in rows}


def test_the_same_number_on_two_networks_is_two_posts_each_linked_to_its_network(
        pipeline, cassandra):
    settings, registry, _ = pipeline
    tweets = [
        post("x", "1000", "코로나 소식 on X", "jack"),
        post("mastodon", "mastodon.social/1000", "코로나 소식 on Mastodon", "gargron"),
        post("bluesky", f"at://{DID}/app.bsky.feed.post/3l3qo2vuowo2b", "코로나 on Bluesky", DID),
    ]
    _ingest(settings, registry, tweets + tweets, messages=6)  # sent twice: stored once each

    assert _raw(cassandra, settings.keyspace) == {(t.network, t.id) for t in tweets}
    feed = queries.fetch_live(cassandra, "코로나", now=NOW + timedelta(minutes=5))
    assert sorted((r["network"], r["id"]) for r in feed) == sorted(
        (t.network, t.id) for t in tweets)
    links = {r["network"]: queries.post_url(r["network"], r["id"], r["author_username"])
             for r in feed}
    assert links == {
        "x": "https://x.com/jack/status/1000",
        "mastodon": "https://mastodon.social/@gargron/1000",
        "bluesky": f"https://bsky.app/profile/{DID}/post/3l3qo2vuowo2b",
    }


def test_a_deleted_post_leaves_the_archive_the_feed_and_the_top_posts(pipeline, cassandra):
    settings, registry, db = pipeline
    doomed = [
        post("x", x_id(NOW, 1), "코로나 삭제될 글", "a"),
        post("mastodon", mastodon_id("mastodon.social", NOW, 1), "코로나 deleted toot", "b"),
        post("bluesky", bluesky_id(DID, NOW, 1), "코로나 deleted skeet", DID),
    ]
    kept = [post("x", x_id(NOW, 2), "코로나 남는 글", "c"),
            post("bluesky", bluesky_id(DID, NOW, 2), "코로나 kept skeet", DID)]
    ours = {(t.network, t.id) for t in doomed + kept}
    kept_ids = {(t.network, t.id) for t in kept}
    _ingest(settings, registry, doomed + kept, messages=5)
    day_doc = {"keyword": "코로나", "period": "day", "start": NOW.date().isoformat(),
               "top_posts": [{"network": t.network, "id": t.id, "text": t.text}
                             for t in doomed + kept]}
    db[names.TRENDS].insert_one(day_doc)
    hours_before = {(r.day, r.hour, r.updated_at) for r in cassandra.execute(
        f"SELECT day, hour, updated_at FROM {settings.keyspace}.{names.HOURS_TABLE} "
        "WHERE scope = 'all' AND day = %s", (NOW.date(),))}

    # deletions as the producer sends them (a stream's delete events, `tweektrend forget`),
    # and one for a post never archived, which is looked for again later and changes nothing
    producer = TweetProducer(settings, KeywordWatch(registry))
    missing = Deletion(network="x", id=x_id(NOW, 9), deleted_at=NOW, origin="x-compliance")
    for event in [*(Deletion(network=t.network, id=t.id, deleted_at=NOW, origin="test")
                    for t in doomed), missing]:
        assert producer._send_event(event) == 1
    producer.flush()
    with applying_events(settings) as result:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _raw(cassandra, settings.keyspace) & ours != kept_ids:
            time.sleep(0.5)

    assert _raw(cassandra, settings.keyspace) & ours == kept_ids
    feed = queries.fetch_live(cassandra, "코로나", now=NOW + timedelta(minutes=5))
    assert {(r["network"], r["id"]) for r in feed} & ours == kept_ids
    top = db[names.TRENDS].find_one({"keyword": "코로나"})["top_posts"]
    assert [(p["network"], p["id"]) for p in top] == [(t.network, t.id) for t in kept]
    assert result[0].deleted == 3 and result[0].waiting == 1  # the missing one waits
    # the hour is marked changed, so the day's next refresh recounts it without them
    hours_after = {(r.day, r.hour, r.updated_at) for r in cassandra.execute(
        f"SELECT day, hour, updated_at FROM {settings.keyspace}.{names.HOURS_TABLE} "
        "WHERE scope = 'all' AND day = %s", (NOW.date(),))}
    assert hours_after - hours_before, "no hour marked after the deletions"


def test_reactions_to_a_followed_post_are_kept_under_its_day_and_mark_its_hour(
        pipeline, cassandra):
    settings, registry, _ = pipeline
    at = NOW - timedelta(hours=2)
    followed = post("bluesky", bluesky_id(DID, at, 5), "코로나 liked skeet", DID, at=at)
    other = post("bluesky", bluesky_id(DID, at, 6), "nothing followed here", DID, at=at)
    producer = TweetProducer(settings, KeywordWatch(registry))
    for t in (followed, other):
        producer.send(t.to_json())

    def react(kind: str, n: int, target: Tweet) -> int:
        return producer._send_event(Reaction(
            network="bluesky", post_id=target.id, kind=kind, actor_id=f"did:plc:fan{n}",
            id=f"at://did:plc:fan{n}/app.bsky.feed.{kind}/3l{n}", reacted_at=NOW))

    sent = [react("like", 1, followed), react("like", 2, followed), react("repost", 3, followed),
            react("like", 1, followed),  # the same like again (a resumed stream)
            react("like", 4, other)]  # a post no keyword follows: not kept
    assert sent == [1, 1, 1, 1, 0]
    producer.flush()
    rows_of = f"SELECT kind, id FROM {settings.keyspace}.{names.REACTIONS_TABLE} " \
              "WHERE network = 'bluesky' AND day = %s"
    with applying_events(settings) as result:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(cassandra.execute(
                rows_of, (at.date(),)).all()) < 3:
            time.sleep(0.5)
    kept = sorted((r.kind, r.id) for r in cassandra.execute(rows_of, (at.date(),)))
    assert kept == [("like", "at://did:plc:fan1/app.bsky.feed.like/3l1"),
                    ("like", "at://did:plc:fan2/app.bsky.feed.like/3l2"),
                    ("repost", "at://did:plc:fan3/app.bsky.feed.repost/3l3")]
    assert result[0].reactions == 4  # the repeated like wrote the same row
    marked = {r.hour for r in cassandra.execute(
        f"SELECT hour FROM {settings.keyspace}.{names.HOURS_TABLE} WHERE scope = 'all' AND "
        "day = %s", (at.date(),))}
    assert at.hour in marked


LEGACY_DDL = [
    "CREATE TABLE {ks}.raw_tweets_by_day (day date, hour tinyint, id bigint, created_at "
    "timestamp, tweet text, keywords set<text>, PRIMARY KEY ((day, hour), id))",
    "CREATE TABLE {ks}.tweets_by_keyword (keyword text, day date, hour tinyint, created_at "
    "timestamp, id bigint, text text, author_username text, related_id bigint, likes int, "
    "PRIMARY KEY ((keyword, day, hour), created_at, id)) "
    "WITH CLUSTERING ORDER BY (created_at DESC, id DESC)",
    "CREATE TABLE {ks}.tweet_engagement (id bigint PRIMARY KEY, retweets int, likes int, "
    "replies int, quotes int, observed_at timestamp)",
]


def test_the_x_only_tables_of_before_networks_move_over_once(keyspace_settings, cassandra):
    ks = keyspace_settings.keyspace
    for ddl in LEGACY_DDL:
        cassandra.execute(ddl.format(ks=ks), timeout=60)
    at = NOW - timedelta(days=3)  # an hour no other test of the module writes
    day = at.date()
    # the stored JSON of before networks: a number id, no network
    legacy_json = orjson.dumps({"id": 77, "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "text": "코로나 old", "author": {"id": "9", "username": "old"}}
                               ).decode()
    for i in range(1, 1201):  # more than one page of the copy
        cassandra.execute(
            f"INSERT INTO {ks}.raw_tweets_by_day (day, hour, id, created_at, tweet, keywords) "
            "VALUES (%s, %s, %s, %s, %s, %s) USING TTL 86400", (day, at.hour, i, at, legacy_json,
                                                                  {"코로나"}))
    cassandra.execute(
        f"INSERT INTO {ks}.tweets_by_keyword (keyword, day, hour, created_at, id, text, "
        "author_username, related_id, likes) VALUES ('코로나', %s, %s, %s, 77, '코로나 old', "
        "'old', 5, 3)", (day, at.hour, at))
    cassandra.execute(
        f"INSERT INTO {ks}.tweet_engagement (id, retweets, likes, replies, quotes, observed_at) "
        "VALUES (77, 1, 2, 3, 4, %s) USING TIMESTAMP 1234567", (at,))

    lines = list(migrate_legacy_posts(cassandra, ks))
    done = [line for line in lines if "copied to" in line]
    assert len(done) == 3 and "1,200 rows of raw_tweets_by_day" in done[0]
    assert "copying raw_tweets_by_day" in lines[0]  # said before the wait, not after
    assert list(migrate_legacy_posts(cassandra, ks)) == []  # once: the old tables are gone

    raw = list(cassandra.execute(
        f"SELECT network, id, keywords, TTL(tweet) AS ttl FROM {ks}.{names.RAW_TABLE} "
        "WHERE day = %s AND hour = %s", (day, at.hour)))
    assert len(raw) == 1200 and {(r.network, *r.keywords) for r in raw} == {("x", "코로나")}
    assert sorted(int(r.id) for r in raw) == list(range(1, 1201))
    assert all(0 < r.ttl <= 86400 for r in raw)  # the archive still expires
    (row,) = cassandra.execute(
        f"SELECT network, id, text, related_id, likes FROM {ks}.{names.KEYWORD_TABLE} "
        "WHERE keyword = '코로나' AND day = %s AND hour = %s", (day, at.hour))
    assert tuple(row) == ("x", "77", "코로나 old", "5", 3)
    (eng,) = cassandra.execute(
        f"SELECT network, id, likes, WRITETIME(likes) FROM {ks}.{names.ENGAGEMENT_TABLE}")
    assert tuple(eng) == ("x", "77", 2, 1234567)
    # the stored JSON of before networks reads as an X post
    (one,) = cassandra.execute(
        f"SELECT tweet FROM {ks}.{names.RAW_TABLE} WHERE day = %s AND hour = %s AND "
        "network = 'x' AND id = '1'", (day, at.hour))
    parsed = Tweet.from_json(one.tweet)
    assert (parsed.network, parsed.id, parsed.url) == ("x", "77", "https://x.com/old/status/77")
