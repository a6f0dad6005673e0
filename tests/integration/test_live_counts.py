"""Today's counts from the stream (Spark Structured Streaming) against the daily batch: the same
tweets, duplicates and a restart of the query in the middle, give the batch's numbers exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from tests.conftest import wait_until_spark_sees
from tests.integration.ingest_helpers import WorkerThread, isolated, wait_until_drained
from tweektrend_dagster.analytics.live import start_live_counts
from tweektrend_dagster.clients import mongo_database
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.ingest.sources.simulator import generate
from tweektrend_dagster.streaming import live_session, live_sink
from tweektrend_dagster.trend_store.live import read_live

pytestmark = pytest.mark.integration
KEYWORDS = ["bts", "코로나"]


def _run_query_once(spark, settings, checkpoint: str) -> None:
    """Start the query on the checkpoint, let it read everything the topic holds, stop it."""
    query = start_live_counts(spark, settings.kafka_bootstrap, settings.topic, checkpoint,
                              live_sink(settings), trigger_seconds=1)
    try:
        query.processAllAvailable()
    finally:
        query.stop()


def _batch_documents(settings, analytics: str, days: list[date]) -> dict[str, dict]:
    from tweektrend_dagster.definitions import build_definitions
    from tweektrend_dagster.resources import SparkResource

    defs = build_definitions(settings, spark=SparkResource.from_settings(
        settings, analytics_path=analytics, shuffle_partitions=4,
        extra_config={"spark.cassandra.connection.keepAliveMS": "50"}))
    spark = defs.resources["spark"].spark_session
    wait_until_spark_sees(spark, settings.keyspace, "raw_posts_by_day")
    job = defs.resolve_job_def("daily_trends_job")
    for day in days:
        result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(),
                                        partition_key=day.isoformat())
        assert result.success
    db = mongo_database(settings)
    return {doc["_id"]: doc for doc in db["trends"].find({"period": "day"})}


def test_stream_counts_equal_the_batch_after_a_restart_in_the_middle(keyspace_settings,
                                                                    tmp_path):
    settings = replace(isolated(keyspace_settings), home=tmp_path)
    now = datetime.now(UTC)
    first = generate(300, seed=7, start=now - timedelta(minutes=90), span=timedelta(minutes=40),
                     keywords=KEYWORDS)
    second = generate(300, seed=8, start=now - timedelta(minutes=45),
                      span=timedelta(minutes=40), keywords=KEYWORDS)
    producer = TweetProducer(settings, KeywordWatch(None, fixed=KEYWORDS))
    checkpoint = str(tmp_path / "checkpoint")

    spark = live_session(settings)
    try:
        producer.run(first + first[:100])  # duplicates, as a replay or a redelivery makes them
        _run_query_once(spark, settings, checkpoint)
        producer.run(second + first[100:200])  # after the restart: new posts and old duplicates
        _run_query_once(spark, settings, checkpoint)
        _run_query_once(spark, settings, checkpoint)  # nothing new: nothing counted twice
    finally:
        spark.stop()

    with WorkerThread(settings):
        wait_until_drained(settings, producer.messages, timeout=180)
    days = sorted({(now - timedelta(minutes=m)).date() for m in (90, 5)})
    docs = _batch_documents(settings, str(tmp_path / "analytics"), days)

    db = mongo_database(settings)
    compared = retweets = 0
    for doc in docs.values():
        live = read_live(db, doc["keyword"], date.fromisoformat(doc["start"]))
        assert live is not None, doc["_id"]
        assert (live["mentions"], live["unique_users"]) == (doc["mentions"], doc["unique_users"])
        for point in doc["series"]:
            hour = int(point["t"][11:13])
            assert live.get(f"m{hour:02d}", 0) == point["mentions"], (doc["_id"], hour)
            assert live.get(f"u{hour:02d}", 0) == point["users"], (doc["_id"], hour)
        # original posts (not retweets) alike: the day's figures and every hour's
        originals = doc["originals"]
        assert live["counts_originals"] is True
        assert (live.get("original_mentions", 0), live.get("original_unique_users", 0)) == (
            originals["mentions"], originals["unique_users"]), doc["_id"]
        for point in originals["series"]:
            hour = int(point["t"][11:13])
            assert (live.get(f"om{hour:02d}", 0), live.get(f"ou{hour:02d}", 0)) == (
                point["mentions"], point["users"]), (doc["_id"], hour)
        retweets += doc["mentions"] - originals["mentions"]
        compared += 1
    assert compared >= len(KEYWORDS)
    assert sum(d["mentions"] for d in docs.values()) > 300
    assert retweets > 0  # the simulated stream has retweets: the two figures differ


def test_a_replayed_micro_batch_is_added_once(mongo_db):
    from tweektrend_dagster.trend_store.live import FactCount, apply_live_counts

    day, t = date(2026, 12, 3), datetime(2026, 12, 3, 10, 5, tzinfo=UTC)
    batch = [FactCount("post", "bts", day, 10, 4, t), FactCount("hour_user", "bts", day, 10, 2, t),
             FactCount("day_user", "bts", day, 0, 2, t), FactCount("post", "kpop", day, 9, 1, t)]
    assert apply_live_counts(mongo_db, batch, batch_id=7) == 2
    assert apply_live_counts(mongo_db, batch, batch_id=7) == 0  # Spark ran batch 7 again
    later = t + timedelta(seconds=5)
    assert apply_live_counts(mongo_db, [FactCount("post", "bts", day, 10, 3, later)], 8) == 1
    doc = read_live(mongo_db, "bts", day)
    assert (doc["mentions"], doc["m10"], doc["u10"], doc["unique_users"]) == (7, 7, 2, 2)
    assert doc["batch"] == 8 and doc["as_of"].replace(tzinfo=UTC) == later
    assert read_live(mongo_db, "kpop", day)["m09"] == 1


def test_original_posts_are_counted_beside_the_totals_in_new_documents_only(mongo_db):
    """Facts of original posts fill their own fields; a live document the stream began before
    it counted originals (no `counts_originals`) never claims them."""
    from tweektrend_dagster.trend_store.live import FactCount, apply_live_counts

    day, t = date(2026, 12, 3), datetime(2026, 12, 3, 10, 5, tzinfo=UTC)
    mongo_db["live_counts"].insert_one({"_id": "old|day|2026-12-03", "keyword": "old",
                                        "day": "2026-12-03", "mentions": 5, "batch": 1})
    batch = [FactCount("post", "bts", day, 10, 5, t), FactCount("hour_user", "bts", day, 10, 3, t),
             FactCount("day_user", "bts", day, 0, 3, t),
             FactCount("original_post", "bts", day, 10, 2, t),
             FactCount("original_hour_user", "bts", day, 10, 2, t),
             FactCount("original_day_user", "bts", day, 0, 2, t),
             FactCount("original_post", "old", day, 10, 1, t)]
    assert apply_live_counts(mongo_db, batch, batch_id=2) == 2
    doc = read_live(mongo_db, "bts", day)
    assert (doc["mentions"], doc["m10"], doc["u10"], doc["unique_users"]) == (5, 5, 3, 3)
    assert (doc["original_mentions"], doc["om10"], doc["ou10"],
            doc["original_unique_users"]) == (2, 2, 2, 2)
    assert doc["counts_originals"] is True
    old = read_live(mongo_db, "old", day)
    assert old["original_mentions"] == 1 and "counts_originals" not in old


def test_live_documents_of_days_past_are_purged_and_open_days_kept(mongo_db):
    from tweektrend_dagster.trend_store.live import (
        KEEP_DAYS,
        FactCount,
        apply_live_counts,
        ensure_live_indexes,
        purge_old_live,
    )

    ensure_live_indexes(mongo_db)  # FerretDB refuses the TTL index: the purge does its work
    today = date(2026, 12, 4)
    days = [today - timedelta(days=n) for n in (0, 1, KEEP_DAYS, KEEP_DAYS + 1, 200)]
    t = datetime(2026, 12, 4, 10, tzinfo=UTC)
    apply_live_counts(mongo_db, [FactCount("post", "bts", d, 3, 1, t) for d in days], batch_id=1)
    assert purge_old_live(mongo_db, today) == 2
    kept = [d for d in days if read_live(mongo_db, "bts", d) is not None]
    assert kept == days[:3]
    assert purge_old_live(mongo_db, today) == 0


def test_the_sensor_reports_each_new_micro_batch_to_dagster(mongo_db, stack_settings):
    from tweektrend_dagster.defs.live.sensors import live_counts_sensor
    from tweektrend_dagster.resources import MongoResource
    from tweektrend_dagster.trend_store.live import FactCount, apply_live_counts

    resources = {"mongo": MongoResource.from_settings(stack_settings, database=mongo_db.name)}

    def tick(cursor):
        context = dg.build_sensor_context(cursor=cursor, resources=resources,
                                          instance=dg.DagsterInstance.ephemeral())
        return live_counts_sensor(context), context

    empty, _ = tick(None)
    assert isinstance(empty, dg.SkipReason) and "tweektrend live" in empty.skip_message
    as_of = datetime.now(UTC) - timedelta(seconds=3)
    apply_live_counts(mongo_db, [FactCount("post", "bts", as_of.date(), as_of.hour, 2, as_of)], 1)
    first, _ = tick(None)
    [observation] = first.asset_events
    assert observation.asset_key == dg.AssetKey("live_counts")
    assert 3 <= observation.metadata["as_of_age_s"].value < 60
    again, _ = tick(first.cursor)  # no new micro-batch: nothing to report
    assert isinstance(again, dg.SkipReason)
