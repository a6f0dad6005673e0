"""The new-keyword sensor: a keyword added later is backfilled from the archive in ranged runs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from tweektrend_dagster.definitions import defs
from tweektrend_dagster.keywords import KeywordRegistry
from tweektrend_dagster.resources import CassandraResource, MongoResource


def test_added_keyword_gets_one_backfill_run_and_rollups(keyspace_settings, cassandra, mongo_db):
    ks = keyspace_settings.keyspace
    for day in (date(2026, 2, 27), date(2026, 3, 2), date(2026, 3, 3)):
        cassandra.execute(
            f"INSERT INTO {ks}.ingested_days (scope, day, updated_at) VALUES ('all', %s, %s)",
            (day, datetime.now(UTC)),
        )
    registry = KeywordRegistry(mongo_db)
    registry.add("u1", "BTS")
    sensor = defs.get_sensor_def("new_keyword_sensor")

    def tick(cursor):
        context = dg.build_sensor_context(
            cursor=cursor,
            instance=dg.DagsterInstance.ephemeral(),
            resources={
                "mongo": MongoResource.from_settings(keyspace_settings, database=mongo_db.name),
                "cassandra": CassandraResource.from_settings(keyspace_settings, keyspace=ks),
            },
        )
        return sensor(context)

    first = tick(None)
    assert first.run_requests == [] and json.loads(first.cursor)["known"] == ["bts"]

    registry.add("u2", "넷플릭스")
    second = tick(first.cursor)
    runs = {r.job_name: r for r in second.run_requests}
    assert set(runs) == {
        "keyword_backfill_job",
        "weekly_trends_job",
        "monthly_trends_job",
        "quarterly_trends_job",
    }
    backfill = runs["keyword_backfill_job"]
    assert backfill.run_config["ops"]["keyword_backfill"]["config"]["keywords"] == ["넷플릭스"]
    assert (
        backfill.tags["dagster/asset_partition_range_start"],
        backfill.tags["dagster/asset_partition_range_end"],
    ) == ("2026-02-27", "2026-03-03")
    weekly = runs["weekly_trends_job"].tags
    assert (
        weekly["dagster/asset_partition_range_start"],
        weekly["dagster/asset_partition_range_end"],
    ) == ("2026-02-23", "2026-03-02")
    assert runs["monthly_trends_job"].tags["dagster/asset_partition_range_start"] == "2026-02-01"
    assert runs["quarterly_trends_job"].tags["dagster/asset_partition_range_end"] == "2026-01-01"

    assert tick(second.cursor).run_requests == []
    # a keyword removed and added again is backfilled again
    registry.remove("u2", "넷플릭스")
    third = tick(second.cursor)
    registry.add("u3", "넷플릭스")
    assert [r.job_name for r in tick(third.cursor).run_requests][0] == "keyword_backfill_job"


def test_days_aggregated_before_originals_are_requested_once(
    keyspace_settings, cassandra, tmp_path
):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tweektrend_dagster.defs.trends.sensors import build_originals_upgrade_sensor
    from tweektrend_dagster.resources import SparkResource

    ks = keyspace_settings.keyspace
    old, new = date(2026, 1, 5), date(2026, 1, 6)
    for day in (old, new):
        cassandra.execute(
            f"INSERT INTO {ks}.ingested_days (scope, day, updated_at) VALUES ('all', %s, %s)",
            (day, datetime.now(UTC)))
    # `old` as an earlier version wrote it (no original columns), `new` as this one does
    for table, extra in (("hourly", ["original_mentions", "original_users"]),
                         ("authors", ["original_posts"])):
        for day, columns in ((old, ["keyword"]), (new, ["keyword", *extra])):
            folder = tmp_path / table / f"day={day}"
            folder.mkdir(parents=True)
            pq.write_table(pa.table({c: ["bts"] for c in columns}), folder / "part-0.parquet")
            (folder / "_SUCCESS").touch()
    sensor = build_originals_upgrade_sensor(timedelta(hours=6))

    def tick(cursor):
        with dg.build_sensor_context(
            cursor=cursor, instance=dg.DagsterInstance.ephemeral(),
            resources={"cassandra": CassandraResource.from_settings(keyspace_settings,
                                                                    keyspace=ks),
                       "spark": SparkResource.from_settings(keyspace_settings,
                                                            analytics_path=str(tmp_path))},
        ) as context:
            return sensor(context)

    first = tick(None)
    daily = [r for r in first.run_requests if r.job_name == "daily_trends_job"]
    assert [(r.tags["dagster/asset_partition_range_start"],
             r.tags["dagster/asset_partition_range_end"]) for r in daily] == [
        ("2026-01-05", "2026-01-05")]
    assert {r.job_name for r in first.run_requests} >= {"weekly_trends_job", "monthly_trends_job"}
    assert tick(first.cursor).run_requests == []  # once
