"""The new-keyword sensor: a keyword added later is backfilled from the archive in ranged runs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

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
