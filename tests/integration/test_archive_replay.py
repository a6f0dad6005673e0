"""Archives as researchers have them, replayed into the real stack: a twarc2-style v2 page file,
a Kaggle CSV dataset and a gzip-compressed v1.1 file each store exactly their valid tweets, and
every tweet that is not valid (or an `errors` entry of a page) reaches the dead-letter topic."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from tests.integration.ingest_helpers import WorkerThread, isolated, read_all, wait_until_drained
from tweektrend_dagster.ingest.dlq import header_dict
from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
from tweektrend_dagster.ingest.producer import TweetProducer
from tweektrend_dagster.ingest.sources.replay import Replay
from tweektrend_dagster.tweets import parse_payload
from tweektrend_dagster.tweets.inspect import inspect_file

pytestmark = pytest.mark.integration
FIXTURES = Path("tests/fixtures/tweets")


def _valid_ids(path: Path) -> set[int]:
    ids = set()
    for raw in Replay(path).payloads():
        try:
            ids.add(parse_payload(raw).id)
        except ValueError:
            continue
    return ids


@pytest.mark.parametrize("name", ["v2_pages.jsonl", "kaggle_vaccines.csv", "v1_1.jsonl.gz"])
def test_archive_file_replays_with_the_right_counts(keyspace_settings, cassandra, tmp_path, name):
    path = tmp_path / name
    if name.endswith(".gz"):
        with (FIXTURES / name.removesuffix(".gz")).open("rb") as src, gzip.open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        shutil.copy(FIXTURES / name, path)
    report = inspect_file(path)
    assert report["valid"] > 0
    ids = _valid_ids(path)
    assert len(ids) == report["valid"]  # no duplicate ids in the fixtures

    settings = isolated(keyspace_settings)
    producer = TweetProducer(settings, KeywordWatch(None, fixed=["vaccine", "pfizer"]))
    producer.run(Replay(path).payloads())
    assert (producer.sent, producer.dead) == (report["valid"], report["invalid"])
    with WorkerThread(settings):
        wait_until_drained(settings, producer.messages)

    days = sorted({r.day for r in cassandra.execute("SELECT day FROM ingested_days")})
    select = cassandra.prepare("SELECT id FROM raw_posts_by_day WHERE day = ? AND hour IN ?")
    stored = set()
    for day in days:
        stored |= {r.id for r in cassandra.execute(select, (day, list(range(24))))} & ids
    assert stored == ids
    dead = read_all(settings, settings.dlq_topic, report["invalid"])
    assert len(dead) == report["invalid"]
    assert all(header_dict(m.headers())["error"] for m in dead)
