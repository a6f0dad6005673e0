"""A day refreshed from its hour slices equals the day computed whole, on the real stack.

Tweets go through the real workers (which mark the hours they wrote), the day is refreshed from
slices, more tweets arrive in a few hours (new posts, redelivered old ones, an engagement update),
and the refresh reads only the marked hours; every aggregate table then equals a whole-day pass
over the same raw archive.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import wait_until_spark_sees
from tests.integration.ingest_helpers import WorkerThread, isolated, wait_until_drained
from tweektrend_dagster.analytics.daily import TABLES
from tweektrend_dagster.analytics.pipeline import (
    aggregate_days_from_cassandra,
    refresh_day_from_cassandra,
)
from tweektrend_dagster.analytics.store import AggregateStore
from tweektrend_dagster.clients import cassandra_session
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.ingest.progress import marked_hours
from tweektrend_dagster.ingest.sources.simulator import generate

pytestmark = pytest.mark.integration
KEYWORDS = ["bts", "코로나", "netflix"]
DAY = date(2024, 3, 4)


def _produce(settings, payloads: list[bytes], produced: list[int]) -> None:
    producer = TweetProducer(settings, KeywordWatch(None, fixed=KEYWORDS))
    producer.run(payloads)
    produced.append(producer.messages)
    wait_until_drained(settings, sum(produced), timeout=180)


def _table(store: AggregateStore, name: str) -> list[tuple]:
    df = store.read(name, [DAY])
    if df is None:
        return []
    columns = sorted(c for c in df.columns if c != "as_of_ms")
    return sorted(tuple(str(v) for v in row) for row in df.select(*columns).collect())


def _marks(settings) -> dict[int, datetime]:
    session, cluster = cassandra_session(settings)
    try:
        return marked_hours(session, DAY)
    finally:
        cluster.shutdown()


def test_a_refresh_reads_only_the_marked_hours_and_equals_the_whole_day(keyspace_settings,
                                                                          tmp_path):
    from tweektrend_dagster.resources import SparkResource

    settings = replace(isolated(keyspace_settings), home=tmp_path)
    start = datetime(2024, 3, 4, tzinfo=UTC)
    first = generate(900, seed=3, start=start, span=timedelta(days=1), keywords=KEYWORDS)
    late = generate(150, seed=4, start=start + timedelta(hours=5), span=timedelta(hours=2),
                    keywords=KEYWORDS)
    produced: list[int] = []
    spark = SparkResource.from_settings(settings, analytics_path=str(tmp_path / "a"),
                                        shuffle_partitions=4).spark_session
    sliced = AggregateStore(spark, str(tmp_path / "sliced"))
    with WorkerThread(settings):
        _produce(settings, first, produced)
        wait_until_spark_sees(spark, settings.keyspace, "raw_posts_by_day")
        marks = _marks(settings)
        assert set(marks) <= set(range(24)) and len(marks) >= 20  # the workers marked hours
        result = refresh_day_from_cassandra(spark, sliced, settings.keyspace, DAY, marks,
                                            slack_ms=0)
        assert result is not None and result.hours == 24
        before = result.tweets

        _produce(settings, late + first[:40], produced)  # new posts, and a redelivery
    marks_after = _marks(settings)
    changed = {h for h, at in marks_after.items() if at > marks.get(h, at - timedelta(1))}
    assert {5, 6} <= changed and len(changed) < 24
    result = refresh_day_from_cassandra(spark, sliced, settings.keyspace, DAY, marks_after,
                                        slack_ms=0)
    assert result is not None and result.hours == len(changed) and result.tweets > before

    whole = AggregateStore(spark, str(tmp_path / "whole"))
    (full,) = aggregate_days_from_cassandra(spark, whole, settings.keyspace, [DAY])
    assert full.tweets == result.tweets
    for name in TABLES:
        assert _table(sliced, name) == _table(whole, name), name
    assert result.rows == full.rows and result.preview == full.preview

    # nothing marked since: no hour is read, and the tables stay as they are
    quiet = {h: at - timedelta(hours=1) for h, at in marks_after.items()}
    again = refresh_day_from_cassandra(spark, sliced, settings.keyspace, DAY, quiet)
    assert again is not None and again.hours == 0 and again.tweets == full.tweets
    for name in TABLES:
        assert _table(sliced, name) == _table(whole, name), name
