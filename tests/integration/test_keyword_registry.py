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
    assert registry.add("u1", "  BTS ") == "bts"
    assert registry.add("u1", unicodedata.normalize("NFD", "코로나")) == "코로나"
    rows = registry.user_keywords("u1")
    assert [(r["keyword"], r["display"]) for r in rows] == [("bts", "BTS"), ("코로나", "코로나")]
    assert all(isinstance(r["added_at"], datetime) and r["added_at"].tzinfo for r in rows)
    doc = mongo_db["keywords"].find_one({"_id": "bts"})
    assert doc is not None
    assert (doc["active"], doc["subscribers"], doc["display"], doc["rule"]) == (
        True, 1, "BTS", "bts")
    assert registry.active_keywords() == ["bts", "코로나"]


def test_adding_twice_and_other_spellings_is_one_subscription(
    registry: KeywordRegistry, mongo_db: Database
) -> None:
    registry.add("u1", "Netflix")
    registry.add("u1", " NETFLIX")
    registry.add("u2", "NETFLIX")
    assert mongo_db["user_keywords"].count_documents({"keyword": "netflix"}) == 2
    assert mongo_db["keywords"].find_one({"_id": "netflix"})["subscribers"] == 2
    assert [r["display"] for r in registry.user_keywords("u1")] == ["Netflix"]


def test_a_hashtag_is_its_own_rule_beside_the_word(registry: KeywordRegistry) -> None:
    # X's syntax: `#bts` matches the hashtag only, so it is not the keyword `bts`
    word = registry.add("u1", "BTS")
    tag = registry.add("u1", "#BTS")
    assert word == "bts" and tag.startswith("q:")
    rules = registry.active_rules()
    assert rules[tag].canonical == "#bts" and rules["bts"].canonical == "bts"


def test_a_rule_is_keyed_by_its_meaning_and_shared(
    registry: KeywordRegistry, mongo_db: Database
) -> None:
    a = registry.add("u1", "코로나 OR covid -게임", name="Corona")
    b = registry.add("u2", "  코로나   OR COVID -게임 ")
    assert a == b and a.startswith("q:")
    assert mongo_db["keywords"].find_one({"_id": a})["subscribers"] == 2
    topic = registry.find_topic("u1", "corona")
    assert topic is not None and topic["keyword"] == a
    assert topic["rule"] == "코로나 OR covid -게임" and topic["display"] == "Corona"
    assert [v["key"] for v in topic["versions"]] == [a]
    # a phrase rule is today's multi-word keyword: same key, same data
    assert registry.add("u3", '"New York"') == "new york"


def test_editing_a_rule_moves_the_topic_to_a_new_key_and_keeps_the_other_users(
    registry: KeywordRegistry, mongo_db: Database
) -> None:
    old = registry.add("u1", "apple", name="Apple")
    registry.add("u2", "apple")
    new = registry.edit("u1", old, "apple -pie")
    assert new != old and new.startswith("q:")
    topic = registry.find_topic("u1", "Apple")
    assert topic["keyword"] == new and topic["rule"] == "apple -pie"
    assert [v["key"] for v in topic["versions"]] == [old, new]
    assert registry.active_rules()[new].canonical == "apple -pie"
    # u2 still follows plain apple, unchanged
    assert [t["keyword"] for t in registry.user_keywords("u2")] == ["apple"]
    assert mongo_db["keywords"].find_one({"_id": old})["subscribers"] == 1
    # u1's second edit back: the old key is active again, three versions recorded
    assert registry.edit("u1", new, "APPLE") == old
    assert [v["key"] for v in registry.find_topic("u1", "Apple")["versions"]] == [old, new, old]
    assert mongo_db["keywords"].find_one({"_id": new})["active"] is False


def test_names_are_unique_per_user_and_bad_rules_write_nothing(
    registry: KeywordRegistry, mongo_db: Database
) -> None:
    registry.add("u1", "bts", name="Music")
    with pytest.raises(InvalidKeyword, match="already have a topic named"):
        registry.add("u1", "blackpink", name="music")
    registry.add("u2", "blackpink", name="Music")  # another user's names are theirs
    with pytest.raises(InvalidKeyword) as err:
        registry.add("u1", "코로나 OR (covid")
    assert err.value.position is not None
    with pytest.raises(InvalidKeyword):
        registry.add("u1", "-게임 -is:retweet")  # only exclusions
    assert mongo_db["user_keywords"].count_documents({"user_id": "u1"}) == 1


def test_rows_from_before_rules_are_read_as_keywords(
    registry: KeywordRegistry, mongo_db: Database
) -> None:
    # a registry written by an older version: no `rule`, a keyword with rule characters in it
    mongo_db["keywords"].insert_one({"_id": "c# -test", "active": True, "subscribers": 1,
                                     "updated_at": datetime.now(UTC)})
    mongo_db["user_keywords"].insert_one({"user_id": "u1", "keyword": "c# -test",
                                          "display": "C# -test",
                                          "added_at": datetime.now(UTC)})
    rule = registry.active_rules()["c# -test"]
    assert rule.key == "c# -test"  # one phrase, not a term and an exclusion
    (topic,) = registry.user_keywords("u1")
    assert topic["rule"] == rule.canonical and topic["versions"][0]["key"] == "c# -test"


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
