"""Rules on the real stack: the same rule table in the producer's evaluator and in Spark over the
raw archive; a topic whose rule is edited gets its history recomputed (the new-keyword sensor's
runs executed in process) with counts equal to a plain-Python count; the archive preview.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import orjson
import pytest

from tests.support.rule_cases import CASES, POSTS

pytestmark = pytest.mark.integration

MON = date(2024, 5, 6)
TUE = MON + timedelta(days=1)


@pytest.fixture(scope="module")
def stack(keyspace_settings, tmp_path_factory):
    """(settings, cassandra session, mongo db, defs) with a fresh keyspace and database."""
    from tweektrend_dagster.clients import cassandra_session, mongo_database
    from tweektrend_dagster.definitions import build_definitions
    from tweektrend_dagster.resources import SparkResource

    name = f"tt_rules_{uuid.uuid4().hex[:8]}"
    settings = dataclasses.replace(keyspace_settings, mongo_db=name)
    session, cluster = cassandra_session(settings)
    db = mongo_database(settings)
    defs = build_definitions(settings, spark=SparkResource.from_settings(
        settings, analytics_path=str(tmp_path_factory.mktemp("analytics")),
        shuffle_partitions=4))
    yield settings, session, db, defs
    cluster.shutdown()
    db.client.drop_database(name)
    db.client.close()


def _archive(spark, keyspace: str, tweets) -> None:
    """Write tweets to the raw archive unmatched, as if no rule followed them when they came."""
    from tests.conftest import wait_until_spark_sees
    from tweektrend_dagster.analytics.source import RAW_SCHEMA, write_cassandra
    from tweektrend_dagster.contracts.names import RAW_TABLE

    wait_until_spark_sees(spark, keyspace, RAW_TABLE)
    rows = [(t.created_at.date(), t.created_at.hour, t.network, t.id, t.created_at,
             t.to_json().decode(), [])
            for t in tweets]
    write_cassandra(spark.createDataFrame(rows, RAW_SCHEMA), keyspace, RAW_TABLE)
    now = datetime.now(UTC)
    days = spark.createDataFrame([("all", d, now) for d in {r[0] for r in rows}],
                                 "scope string, day date, updated_at timestamp")
    write_cassandra(days, keyspace, "ingested_days")


def test_the_rule_table_matches_alike_in_the_producer_and_in_spark(stack):
    from tweektrend_dagster.analytics.backfill import match_new_keywords
    from tweektrend_dagster.analytics.source import read_raw_days
    from tweektrend_dagster.keywords.rules import RuleSet, parse_rule
    from tweektrend_dagster.tweets.model import Tweet

    settings, _, _, defs = stack
    spark = defs.resources["spark"].spark_session
    tweets = {name: Tweet.from_json(orjson.dumps(post)) for name, post in POSTS.items()}
    names = {t.id: name for name, t in tweets.items()}
    _archive(spark, settings.keyspace, tweets.values())
    rules = {parse_rule(case.rule).key: parse_rule(case.rule) for case in CASES}

    producer = RuleSet(rules)
    in_python: dict[str, set[str]] = {key: set() for key in rules}
    for name, tweet in tweets.items():
        for key in producer.match(tweet):
            in_python[key].add(name)

    day = tweets["ko_particle"].created_at.date()
    raw = read_raw_days(spark, settings.keyspace, [day])
    found = match_new_keywords(raw, {k: r.canonical for k, r in rules.items()}).collect()
    in_spark: dict[str, set[str]] = {key: set() for key in rules}
    for row in found:
        for key in row.new_keywords:
            in_spark[key].add(names[row.id])

    for case in CASES:
        key = parse_rule(case.rule).key
        assert in_spark[key] == in_python[key] == set(case.matches), case.rule


def _apple_posts():
    from tweektrend_dagster.tweets.model import Author, Tweet

    def t(i, day, hour, text, user, **kw):
        return Tweet(id=str(7_000_000 + i), text=text, created_at=datetime(
            day.year, day.month, day.day, hour, tzinfo=UTC),
            author=Author(id=f"a{user}", username=f"user{user}"), lang="en", **kw)

    return [
        t(1, MON, 9, "New Apple watch announced", 1),
        t(2, MON, 9, "apple pie for dessert", 2),
        t(3, MON, 10, "Apple stock is up", 3, relation="retweet", related_id=7_000_001),
        t(4, MON, 11, "pineapple juice", 4),  # no boundary: not apple
        t(5, MON, 12, "apple event tonight, apple fans ready", 1),
        t(6, TUE, 8, "APPLE PIE contest", 5),
        t(7, TUE, 9, "the apple store queue", 6),
        t(8, TUE, 9, "bananas", 7),
    ]


def _plain_count(posts, day: date, wanted) -> int:
    return sum(1 for p in posts if p.created_at.date() == day and wanted(p))


def _has_apple(p) -> bool:
    return "apple" in p.text.lower().replace(",", " ").split()


def test_editing_a_rule_recomputes_its_history(stack):
    from tweektrend_dagster.keywords import KeywordRegistry
    from tweektrend_dagster.resources import CassandraResource, MongoResource

    settings, _, db, defs = stack
    spark = defs.resources["spark"].spark_session
    posts = _apple_posts()
    _archive(spark, settings.keyspace, posts)
    registry = KeywordRegistry(db)
    registry.ensure_indexes()
    sensor = defs.get_sensor_def("new_keyword_sensor")

    def tick(cursor):
        return sensor(dg.build_sensor_context(
            cursor=cursor, instance=dg.DagsterInstance.ephemeral(),
            resources={"mongo": MongoResource.from_settings(settings, database=db.name),
                       "cassandra": CassandraResource.from_settings(settings)}))

    def run_backfills(result) -> set[tuple[str, ...]]:
        """Execute the backfill runs a tick requested (one per range of archived days)."""
        jobs = set()
        for req in result.run_requests:
            if req.job_name != "keyword_backfill_job":
                continue
            jobs.add(tuple(req.run_config["ops"]["keyword_backfill"]["config"]["keywords"]))
            outcome = defs.resolve_job_def(req.job_name).execute_in_process(
                instance=dg.DagsterInstance.ephemeral(), run_config=req.run_config,
                tags=req.tags, raise_on_error=True)
            assert outcome.success
        return jobs

    cursor = tick(None).cursor
    registry.add("u2", "apple")  # someone else's plain keyword: must not change on u1's edit
    first = tick(cursor)
    assert run_backfills(first) == {("apple",)}
    for day in (MON, TUE):
        doc = db.trends.find_one({"_id": f"apple|day|{day}"})
        assert doc["mentions"] == _plain_count(posts, day, _has_apple)
        assert doc["rule"] == "apple" and doc["rule_version"]

    registry.add("u1", "apple", name="Apple")
    new_key = registry.edit("u1", "apple", "apple -pie -is:retweet")
    second = tick(first.cursor)
    assert run_backfills(second) == {(new_key,)}
    assert json.loads(second.cursor)["known"] == sorted(["apple", new_key])
    rule = registry.active_rules()[new_key]
    for day in (MON, TUE):
        doc = db.trends.find_one({"_id": f"{new_key}|day|{day}"})
        expected = _plain_count(posts, day, lambda p: _has_apple(p) and "pie" not in
                                p.text.lower() and p.relation != "retweet")
        assert doc["mentions"] == expected, day
        assert (doc["rule"], doc["rule_version"]) == (rule.canonical, rule.version)
        old = db.trends.find_one({"_id": f"apple|day|{day}"})
        assert old["mentions"] == _plain_count(posts, day, _has_apple)
    # MON: posts 1 and 5 (2 has pie, 3 is a retweet); TUE: post 7
    assert [db.trends.find_one({"_id": f"{new_key}|day|{d}"})["mentions"]
            for d in (MON, TUE)] == [2, 1]


def test_the_preview_counts_the_archive_and_says_when_it_stopped_early(stack):
    from tweektrend_dagster.archive.preview import preview_rule
    from tweektrend_dagster.keywords.rules import parse_rule
    from tweektrend_dagster.tweets.model import Tweet

    settings, session, _, defs = stack
    # the rule table's posts are the archive's newest day; the apple posts are years older
    tweets = [Tweet.from_json(orjson.dumps(post)) for post in POSTS.values()]
    spark = defs.resources["spark"].spark_session
    _archive(spark, settings.keyspace, tweets)
    _archive(spark, settings.keyspace, _apple_posts())
    rule = parse_rule("apple -pie")
    full = preview_rule(session, rule)
    assert full.complete and full.scanned == len(tweets)  # only the newest 7 days are read
    assert full.matched == sum(1 for t in tweets if _has_apple(t) and "pie" not in t.text.lower())
    assert full.matched == 1 and f"1 of {len(tweets)} archived posts" in full.sentence()

    partial = preview_rule(session, rule, max_rows=2)
    assert not partial.complete and partial.scanned == 2
    assert "was not read" in partial.sentence()
