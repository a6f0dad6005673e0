"""Numbers a researcher can trust: a four-month archive in X API v1.1 and v2 pages, replayed
through the product (producer → Kafka → worker → Cassandra → the ingestion sensor's own run
requests → Spark → Mongo), gives exactly the mentions and unique users counted by hand for every
published day, week, month and quarter, with a handful of runs."""

from __future__ import annotations

import dagster as dg
import pytest

from tests.archive_fixture import KEYWORDS, expected_numbers, generate, write_archive
from tests.integration.ingest_helpers import WorkerThread, isolated, wait_until_drained
from tweektrend_dagster.run_plan import LANE

pytestmark = pytest.mark.integration


@pytest.fixture
def archive_stack(keyspace_settings, tmp_path):
    from tweektrend_dagster.keywords import KeywordRegistry
    from tweektrend_dagster.resources.clients import connect_mongo

    settings = isolated(keyspace_settings)
    db = connect_mongo(settings.mongo_uri, settings.mongo_db)
    registry = KeywordRegistry(db)
    registry.ensure_indexes()
    for keyword in KEYWORDS:
        registry.add("researcher", keyword)
    yield settings, db, registry, tmp_path
    db.client.drop_database(settings.mongo_db)
    db.client.close()


def _defs(settings, analytics: str) -> dg.Definitions:
    from tweektrend_dagster.assets.trends import TREND_ASSETS, TREND_JOBS
    from tweektrend_dagster.resources import CassandraResource, KafkaResource, MongoResource
    from tweektrend_dagster.resources.spark import SparkResource

    return dg.Definitions(
        assets=[dg.AssetSpec("raw_tweets"), *TREND_ASSETS],
        jobs=TREND_JOBS,
        resources={
            "spark": SparkResource(
                analytics_path=analytics, shuffle_partitions=4, cassandra_hosts=settings.host,
                cassandra_port=settings.cassandra_port, keyspace=settings.keyspace,
                # the connector caches its session (and the keyspaces it saw) server-wide per
                # config: a short keep-alive keeps this one from serving later modules
                extra_config={"spark.cassandra.connection.keepAliveMS": "50"}),
            "cassandra": CassandraResource(
                hosts=settings.host, port=settings.cassandra_port, keyspace=settings.keyspace),
            "mongo": MongoResource(uri=settings.mongo_uri, database=settings.mongo_db),
            "kafka": KafkaResource(bootstrap_servers=settings.kafka_bootstrap,
                                   topic=settings.topic, consumer_group=settings.consumer_group),
        },
    )


def test_replayed_archive_publishes_exact_numbers(archive_stack):
    from datetime import timedelta

    from tweektrend_dagster.assets.trends import TREND_JOBS
    from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
    from tweektrend_dagster.ingest.producer import TweetProducer
    from tweektrend_dagster.ingest.sources.replay import Replay
    from tweektrend_dagster.sensors import build_ingestion_sensor

    settings, db, registry, tmp_path = archive_stack
    posts = generate()
    v1, v2 = write_archive(posts, tmp_path / "archive")
    producer = TweetProducer(settings, KeywordWatch(registry))
    producer.run(Replay(v1).payloads())
    producer.run(Replay(v2).payloads())
    assert producer.dead == 0
    # every tweet of both files once (the ones in both files twice), pages split into tweets
    assert producer.sent == sum(p.in_v1 for p in posts) + sum(p.in_v2 for p in posts)
    with WorkerThread(settings):
        wait_until_drained(settings, producer.messages, timeout=180)

    defs = _defs(settings, str(tmp_path / "analytics"))
    instance = dg.DagsterInstance.ephemeral()
    sensor = build_ingestion_sensor(TREND_JOBS, refresh=timedelta(minutes=5),
                                    settle=timedelta(0))
    with dg.build_sensor_context(instance=instance, resources=defs.resources) as context:
        runs = sensor(context).run_requests
    # four months of days: one ranged run and its three roll-ups, all in the import lane
    assert [r.job_name for r in runs] == [
        "daily_trends_job", "weekly_trends_job", "monthly_trends_job", "quarterly_trends_job"]
    assert {r.tags[LANE] for r in runs} == {"import"}
    for request in runs:
        result = defs.resolve_job_def(request.job_name).execute_in_process(
            instance=instance, tags=request.tags, run_config=request.run_config,
            partition_key=request.partition_key)
        assert result.success
        failed = [e.asset_check_evaluation_data.check_name for e in result.all_events
                  if e.event_type_value == "ASSET_CHECK_EVALUATION"
                  and not e.asset_check_evaluation_data.passed]
        assert failed == [], request.job_name

    expected = expected_numbers(posts)
    published = {d["_id"]: (d["mentions"], d["unique_users"])
                 for d in db["trends"].find({}, {"mentions": 1, "unique_users": 1})}
    assert {k for k, (m, _) in published.items() if m} == set(expected)
    wrong = {k: (published[k], v) for k, v in expected.items() if published[k] != v}
    assert wrong == {}
    # a period without tweets publishes nothing
    assert all(m > 0 for m, _ in published.values())
    by_kind = {kind: sum(1 for k in expected if f"|{kind}|" in k)
               for kind in ("day", "week", "month", "quarter")}
    assert by_kind["quarter"] == 2 * len(KEYWORDS) and by_kind["month"] == 4 * len(KEYWORDS)
