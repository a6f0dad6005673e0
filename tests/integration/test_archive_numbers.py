"""Numbers a researcher can trust: a four-month archive in X API v1.1 and v2 pages, replayed
through the product (producer → Kafka → worker → Cassandra → the ingestion sensor's own run
requests → Spark → Mongo), gives exactly the mentions and unique users counted by hand for every
published day, week, month and quarter, with a handful of runs."""

from __future__ import annotations

import pytest

from tests.archive_fixture import KEYWORDS, expected_numbers
from tests.integration.archive_import import import_archive
from tests.integration.ingest_helpers import isolated
from tweektrend_dagster.defs.tags import LANE

pytestmark = pytest.mark.integration


@pytest.fixture
def archive_stack(keyspace_settings, tmp_path):
    from tweektrend_dagster.clients import connect_mongo
    from tweektrend_dagster.keywords import KeywordRegistry

    settings = isolated(keyspace_settings)
    db = connect_mongo(settings.mongo_uri, settings.mongo_db)
    registry = KeywordRegistry(db)
    registry.ensure_indexes()
    for keyword in KEYWORDS:
        registry.add("researcher", keyword)
    yield settings, db, registry, tmp_path
    db.client.drop_database(settings.mongo_db)
    db.client.close()


def test_replayed_archive_publishes_exact_numbers(archive_stack):

    settings, db, registry, tmp_path = archive_stack
    imported = import_archive(settings, registry, tmp_path)
    posts, runs = imported.posts, imported.runs
    assert imported.dead == 0
    # every tweet of both files once (the ones in both files twice), pages split into tweets
    assert imported.sent == sum(p.in_v1 for p in posts) + sum(p.in_v2 for p in posts)
    # four months of days: one ranged run and its three roll-ups, all in the import lane
    assert [r.job_name for r in runs] == [
        "daily_trends_job", "weekly_trends_job", "monthly_trends_job", "quarterly_trends_job"]
    assert {r.tags[LANE] for r in runs} == {"import"}
    assert imported.failed_checks == {r.job_name: [] for r in runs}

    expected = expected_numbers(posts)
    published = {d["_id"]: (d["mentions"], d["unique_users"])
                 for d in db["trends"].find({}, {"mentions": 1, "unique_users": 1})}
    assert {k for k, (m, _) in published.items() if m} == set(expected)
    wrong = {k: (published[k], v) for k, v in expected.items() if published[k] != v}
    assert wrong == {}
    # a period without tweets publishes nothing
    assert all(m > 0 for m, _ in published.values())
    # original posts (retweets left out; quotes are original writing) counted by hand alike
    originals = expected_numbers([p for p in posts if p.relation != "retweet"])
    got = {d["_id"]: (d["originals"]["mentions"], d["originals"]["unique_users"])
           for d in db["trends"].find({}, {"originals": 1})}
    assert {k: v for k, v in got.items() if v != originals.get(k, (0, 0))} == {}
    assert sum(m for m, _ in got.values()) < sum(m for m, _ in published.values())
    by_kind = {kind: sum(1 for k in expected if f"|{kind}|" in k)
               for kind in ("day", "week", "month", "quarter")}
    assert by_kind["quarter"] == 2 * len(KEYWORDS) and by_kind["month"] == 4 * len(KEYWORDS)
