"""KeywordRegistry on the real FerretDB (or MongoDB) started by the launcher.

Uses the `mongo_db` fixture of tests/conftest.py: a pymongo Database, fresh for each test.
"""

from __future__ import annotations

import time
import unicodedata
from datetime import UTC, datetime

import pymongo
import pytest
from pymongo.database import Database

from tweektrend_dagster.keywords import InvalidKeyword, KeywordRegistry

pytestmark = pytest.mark.integration


@pytest.fixture
def registry(mongo_db: Database) -> KeywordRegistry:
    reg = KeywordRegistry(mongo_db)
    reg.ensure_indexes()
    return reg


def test_add_normalises_and_keeps_the_display_spelling(
    registry: KeywordRegistry, mongo_db: Database
) -> None:
    assert registry.add("u1", "  #BTS ") == "bts"
    assert registry.add("u1", unicodedata.normalize("NFD", "코로나")) == "코로나"
    rows = registry.user_keywords("u1")
    assert [(r["keyword"], r["display"]) for r in rows] == [("bts", "#BTS"), ("코로나", "코로나")]
    assert all(isinstance(r["added_at"], datetime) and r["added_at"].tzinfo for r in rows)
    doc = mongo_db["keywords"].find_one({"_id": "bts"})
    assert doc is not None
    assert (doc["active"], doc["subscribers"], doc["display"]) == (True, 1, "#BTS")
    assert registry.active_keywords() == ["bts", "코로나"]


def test_adding_twice_and_other_spellings_is_one_subscription(
    registry: KeywordRegistry, mongo_db: Database
) -> None:
    registry.add("u1", "Netflix")
    registry.add("u1", "#netflix")
    registry.add("u2", "NETFLIX")
    assert mongo_db["user_keywords"].count_documents({"keyword": "netflix"}) == 2
    assert mongo_db["keywords"].find_one({"_id": "netflix"})["subscribers"] == 2
    assert [r["display"] for r in registry.user_keywords("u1")] == ["Netflix"]


def test_unique_index_on_user_and_keyword(registry: KeywordRegistry, mongo_db: Database) -> None:
    registry.add("u1", "bts")
    with pytest.raises(pymongo.errors.DuplicateKeyError):
        mongo_db["user_keywords"].insert_one({"user_id": "u1", "keyword": "bts"})


def test_remove_keeps_history_and_deactivates_when_nobody_follows(
    registry: KeywordRegistry, mongo_db: Database
) -> None:
    registry.add("u1", "bts")
    registry.add("u2", "bts")
    assert registry.remove("u1", "#BTS") is True
    doc = mongo_db["keywords"].find_one({"_id": "bts"})
    assert (doc["active"], doc["subscribers"]) == (True, 1)
    assert registry.remove("u2", "bts") is True
    doc = mongo_db["keywords"].find_one({"_id": "bts"})
    assert doc is not None and (doc["active"], doc["subscribers"]) == (False, 0)
    assert registry.active_keywords() == []
    assert registry.remove("u2", "bts") is False  # not followed any more
    assert registry.remove("u3", "never-added") is False
    # Re-adding reactivates the same row.
    registry.add("u3", "BTS")
    doc = mongo_db["keywords"].find_one({"_id": "bts"})
    assert (doc["active"], doc["subscribers"]) == (True, 1)


def test_user_keywords_are_per_user_and_oldest_first(registry: KeywordRegistry) -> None:
    for kw in ["넷플릭스", "BTS", "코로나"]:
        registry.add("u1", kw)
        time.sleep(0.002)
    registry.add("u2", "covid")
    assert [r["keyword"] for r in registry.user_keywords("u1")] == ["넷플릭스", "bts", "코로나"]
    assert [r["keyword"] for r in registry.user_keywords("u2")] == ["covid"]
    assert registry.user_keywords("nobody") == []
    assert registry.follows("u1", "#bts") and not registry.follows("u2", "bts")


def test_version_changes_when_the_active_set_changes(registry: KeywordRegistry) -> None:
    v0 = registry.version()
    registry.add("u1", "bts")
    v1 = registry.version()
    assert v1 != v0
    assert registry.version() == v1  # stable while nothing changes
    registry.add("u2", "코로나")
    v2 = registry.version()
    assert v2 != v1
    registry.remove("u2", "코로나")
    v3 = registry.version()
    assert v3 not in (v1, v2)


def test_invalid_keyword_is_rejected_and_nothing_is_written(
    registry: KeywordRegistry, mongo_db: Database
) -> None:
    with pytest.raises(InvalidKeyword):
        registry.add("u1", "   ")
    assert mongo_db["user_keywords"].count_documents({}) == 0
    assert mongo_db["keywords"].count_documents({}) == 0


def test_all_keywords_lists_inactive_rows(registry: KeywordRegistry) -> None:
    registry.add("u1", "bts")
    registry.add("u1", "cat")
    registry.remove("u1", "cat")
    rows = {r["keyword"]: r for r in registry.all_keywords()}
    assert rows["bts"]["active"] is True and rows["cat"]["active"] is False
    assert rows["cat"]["added_at"] <= datetime.now(UTC)
