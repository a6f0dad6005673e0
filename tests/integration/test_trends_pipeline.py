"""The trend assets end to end on the real local stack: Cassandra → Spark → FerretDB/MongoDB.

Runs the Dagster jobs in process against a fresh keyspace and database (dropped afterwards):
`daily_trends_job` for two days with its asset checks, the weekly roll-up, and
`keyword_backfill_job` for a keyword added after its tweets were archived.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

pytestmark = pytest.mark.integration

MON = date(2024, 3, 4)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def stack(keyspace_settings, tmp_path_factory):
    """(settings, cassandra session, mongo db, analytics path) on the shared test stack, with
    the module's fresh keyspace (tests/conftest.py) and a fresh Mongo database."""
    from tweektrend_dagster.clients import cassandra_session, mongo_database

    name = f"tt_trends_{uuid.uuid4().hex[:8]}"
    settings = dataclasses.replace(keyspace_settings, mongo_db=name)
    session, cluster = cassandra_session(settings)
    db = mongo_database(settings)
    yield settings, session, db, str(tmp_path_factory.mktemp("analytics"))
    cluster.shutdown()
    db.client.drop_database(name)
    db.client.close()


def tweets():
    from tweektrend_dagster.tweets.model import Author, Tweet

    def t(i, when, text, user, kws, **kw):
        return Tweet(id=str(i), created_at=when, text=text, keywords=kws,
                     author=Author(id=f"u{user}", username=user, name=user, followers=5), **kw)

    tue = MON + timedelta(days=1)
    return [
        t(1, at(MON, 9), "BTS concert tickets sold out", "ann", ["bts"], likes=5),
        t(2, at(MON, 9, 30), "bts concert tonight with army", "bob", ["bts"]),
        t(3, at(MON, 10), "bts album drops friday, concert next", "ann", ["bts"], likes=20),
        t(4, at(MON, 11), "weather is nice, netflix tonight", "dan", []),  # matched later
        t(5, at(MON, 12), "watching netflix and chill", "eve", []),  # matched later
        t(6, at(tue, 8), "bts concert day two", "fay", ["bts"]),
        t(7, at(tue, 9), "RT @fay: bts concert day two", "gil", ["bts"], relation="retweet",
          related_id="6"),  # counted in the totals, not among the original posts
    ]


def load(spark, keyspace: str, items) -> None:
    from tests.conftest import wait_until_spark_sees
    from tweektrend_dagster.analytics.source import (
        RAW_SCHEMA,
        keyword_rows,
        parse_raw,
        write_cassandra,
    )
    from tweektrend_dagster.contracts.names import KEYWORD_TABLE, RAW_TABLE

    wait_until_spark_sees(spark, keyspace, "ingested_days")
    rows = [(x.created_at.date(), x.created_at.hour, x.network, x.id, x.created_at,
             x.to_json().decode(), x.keywords) for x in items]
    raw = spark.createDataFrame(rows, RAW_SCHEMA)
    write_cassandra(raw, keyspace, RAW_TABLE)
    write_cassandra(keyword_rows(parse_raw(raw)), keyspace, KEYWORD_TABLE)
    # as the workers do: the days the archive holds, which the trend runs read
    now = datetime.now(UTC)
    days = spark.createDataFrame([("all", d, now) for d in {r[0] for r in rows}],
                                 "scope string, day date, updated_at timestamp")
    write_cassandra(days, keyspace, "ingested_days")


@pytest.fixture(scope="module")
def defs(stack):
    from tweektrend_dagster.definitions import build_definitions
    from tweektrend_dagster.resources import SparkResource

    settings, *_, path = stack
    return build_definitions(settings, spark=SparkResource.from_settings(
        settings, analytics_path=path, shuffle_partitions=4))


def run(defs, job: str, **kwargs):
    result = defs.resolve_job_def(job).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=True, **kwargs)
    assert result.success
    return result


def checks(result) -> dict[str, bool]:
    return {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
        for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_daily_job_publishes_and_checks_pass(stack, defs):
    settings, _, db, _ = stack
    spark = defs.resources["spark"].spark_session
    load(spark, settings.keyspace, tweets())
    result = run(defs, "daily_trends_job", partition_key=MON.isoformat())
    assert checks(result) == {"mentions_match_cassandra": True, "no_empty_period": True}
    doc = db.trends.find_one({"_id": "bts|day|2024-03-04"})
    assert doc["mentions"] == 3 and doc["unique_users"] == 2
    assert doc["top_posts"][0]["id"] == "3"
    assert [(u["username"], u["posts"]) for u in doc["top_users"]] == [("ann", 2), ("bob", 1)]
    assert {w["word"]: w["count"] for w in doc["related_words"]} == {"concert": 3}
    mats = [e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    meta = {e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
            for e in mats}
    assert meta["keyword_hourly_counts"]["num_rows"].value == 2  # bts at 9 h and 10 h
    assert "preview" in meta["daily_trends"]
    names = [i["name"] for i in db.trends.list_indexes()]
    assert "keyword_period_start" in names
    # the run attached to the stack's warm Spark Connect server: no Spark started in-process
    from pyspark import SparkContext
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    assert isinstance(defs.resources["spark"].spark_session, ConnectSession)
    assert SparkContext._active_spark_context is None

    # a range of days runs as ONE run (single-run backfill policy), then the week rolls up
    run(defs, "daily_trends_job", tags={"dagster/asset_partition_range_start": "2024-03-04",
                                         "dagster/asset_partition_range_end": "2024-03-05"})
    week = run(defs, "weekly_trends_job", partition_key=MON.isoformat())
    assert checks(week) == {"no_empty_period": True}
    w = db.trends.find_one({"_id": "bts|week|2024-03-04"})
    days = [db.trends.find_one({"_id": f"bts|day|{d}"}) for d in ("2024-03-04", "2024-03-05")]
    assert w["mentions"] == sum(d["mentions"] for d in days) == 5
    assert w["unique_users"] == 4
    # original posts beside the totals, through Spark Connect: gil only retweeted
    o = w["originals"]
    assert (o["mentions"], o["unique_users"]) == (4, 3)
    assert [(u["username"], u["posts"]) for u in o["top_users"]] == [
        ("ann", 2), ("bob", 1), ("fay", 1)]
    assert [p["mentions"] for p in o["series"][:2]] == [3, 1]
    assert [d["originals"]["mentions"] for d in days] == [3, 1]


def test_keyword_added_after_data_arrived_is_backfilled(stack, defs):
    settings, session, db, _ = stack
    assert db.trends.find_one({"_id": "netflix|day|2024-03-04"}) is None
    result = run(defs, "keyword_backfill_job", partition_key=MON.isoformat(),
                 run_config={"ops": {"keyword_backfill": {"config": {"keywords": ["Netflix"]}}}})
    assert checks(result)["mentions_match_cassandra"]
    rows = session.execute(
        f"SELECT id FROM {settings.keyspace}.posts_by_keyword WHERE keyword='netflix' "
        "AND day='2024-03-04' AND hour IN (11, 12)").all()
    assert sorted(r.id for r in rows) == ["4", "5"]
    doc = db.trends.find_one({"_id": "netflix|day|2024-03-04"})
    assert doc["mentions"] == 2 and doc["unique_users"] == 2
    # idempotent: a second backfill finds nothing new
    again = run(defs, "keyword_backfill_job", partition_key=MON.isoformat(),
                run_config={"ops": {"keyword_backfill": {"config": {"keywords": ["netflix"]}}}})
    mats = [e for e in again.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
            and e.asset_key.to_user_string() == "keyword_backfill"]
    assert mats[0].step_materialization_data.materialization.metadata["num_rows"].value == 0
