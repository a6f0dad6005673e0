"""An archive on disk through the whole product, as a researcher's import goes: replay (producer)
→ Kafka → worker → Cassandra → the ingestion sensor's own run requests → Spark (the test stack's
Connect server) → Mongo. Shared by the numbers test and the browser test of an import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg

from tests.archive_fixture import Post, generate, write_archive
from tests.integration.ingest_helpers import WorkerThread, wait_until_drained
from tweektrend_dagster.config import Settings


@dataclass
class Imported:
    posts: list[Post]
    sent: int  # messages the producer sent (both files, pages split into tweets)
    dead: int
    runs: list[dg.RunRequest]  # what the ingestion sensor requested
    failed_checks: dict[str, list[str]]  # job → asset checks that did not pass


def trend_definitions(settings: Settings, analytics: str) -> dg.Definitions:
    from tweektrend_dagster.definitions import build_definitions
    from tweektrend_dagster.resources import SparkResource

    return build_definitions(settings, spark=SparkResource.from_settings(
        settings, analytics_path=analytics, shuffle_partitions=4,
        # the connector caches its session (and the keyspaces it saw) server-wide per
        # config: a short keep-alive keeps this one from serving later modules
        extra_config={"spark.cassandra.connection.keepAliveMS": "50"}))


def import_archive(settings: Settings, registry, folder: Path,
                   posts: list[Post] | None = None) -> Imported:
    """Replay the v1.1 file and the v2 pages of `posts` (the seeded archive by default) for the
    keywords `registry` follows, ingest them, then run what the ingestion sensor requests."""
    from tweektrend_dagster.defs.trends.sensors import build_ingestion_sensor
    from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
    from tweektrend_dagster.ingest.producer import TweetProducer
    from tweektrend_dagster.ingest.sources.replay import Replay

    posts = generate() if posts is None else posts
    v1, v2 = write_archive(posts, folder / "archive")
    producer = TweetProducer(settings, KeywordWatch(registry))
    producer.run(Replay(v1).payloads())
    producer.run(Replay(v2).payloads())
    with WorkerThread(settings):
        wait_until_drained(settings, producer.messages, timeout=180)

    defs = trend_definitions(settings, str(folder / "analytics"))
    instance = dg.DagsterInstance.ephemeral()
    sensor = build_ingestion_sensor(refresh=timedelta(minutes=5), grace=settings.late_grace,
                                    settle=timedelta(0))
    with dg.build_sensor_context(instance=instance, resources=defs.resources) as context:
        runs = list(sensor(context).run_requests)
    failed: dict[str, list[str]] = {}
    for request in runs:
        result = defs.resolve_job_def(request.job_name).execute_in_process(
            instance=instance, tags=request.tags, run_config=request.run_config,
            partition_key=request.partition_key)
        assert result.success, request.job_name
        failed[request.job_name] = [
            e.asset_check_evaluation_data.check_name for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
            and not e.asset_check_evaluation_data.passed]
    return Imported(posts, producer.sent, producer.dead, runs, failed)
