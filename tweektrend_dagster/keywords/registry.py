"""Who follows which topic, and the rules ingestion matches.

A topic is a user's (name, rule). Its data is keyed by the rule (`Rule.key`): a bare word or one
phrase keeps today's keyword as its key, any other rule gets `q:<hash>`. So users with the same
rule share its data, and one user's edit never changes another's numbers (docs/RULES.md).

Collections (docs/ARCHITECTURE.md):
- `keywords`:      {_id: key, display, rule: canonical, added_at, active, subscribers, updated_at}
- `user_keywords`: {user_id, keyword: key, display: name, rule: as typed, added_at,
                    versions: [{rule, key, at}]}, unique (user_id, keyword)

Only plain finds, upserts, counts and indexes, so it runs on FerretDB 1.24 and MongoDB alike
(no transactions). A key nobody follows any more stays in `keywords` with active=False: its
history remains queryable and following it again needs no backfill of what was already ingested.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
from pymongo.database import Database

from tweektrend_dagster.contracts.names import KEYWORDS, USER_KEYWORDS
from tweektrend_dagster.keywords.normalize import (
    MAX_KEYWORD_CHARS,
    InvalidKeyword,
    display_keyword,
    normalize_keyword,
)
from tweektrend_dagster.keywords.rules import Rule, legacy_rule, parse_rule, rule_from_canonical

log = logging.getLogger(__name__)

# The command line's topics (`tweektrend topics ...`) belong to this user id.
CLI_USER = "cli"

_clock_lock = threading.Lock()
_last_stamp = datetime.min.replace(tzinfo=UTC)


def _stamp() -> datetime:
    """Now in UTC at BSON (millisecond) precision, strictly increasing within this process, so
    two changes in the same millisecond still move `version()`."""
    global _last_stamp
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    with _clock_lock:
        if now <= _last_stamp:
            now = _last_stamp + timedelta(milliseconds=1)
        _last_stamp = now
    return now


def _utc(value: Any) -> Any:
    # pymongo returns naive datetimes (UTC) unless the client was made with tz_aware=True.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def topic_name(raw: str, name: str | None = None) -> str:
    """The label a topic shows: the given name, else the rule as typed (shortened to fit)."""
    if name is not None and name.strip():
        return display_keyword(name)
    text = " ".join(str(raw).split())
    if len(text) > MAX_KEYWORD_CHARS:
        text = text[: MAX_KEYWORD_CHARS - 1] + "…"
    return display_keyword(text)


def _typed(raw: str) -> str:
    return " ".join(str(raw).split())


def _stored_rule(row: dict[str, Any]) -> Rule:
    """The rule of a `keywords` row; rows from before rules existed are legacy keywords."""
    canonical = row.get("rule")
    return rule_from_canonical(canonical) if canonical else legacy_rule(row["_id"])


class KeywordRegistry:
    """The topic registry over a pymongo Database (the `tweektrend` database by default)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._keywords = db[KEYWORDS]
        self._subscriptions = db[USER_KEYWORDS]

    def ensure_indexes(self) -> None:
        """Create the indexes; safe to call on every start-up."""
        self._subscriptions.create_index(
            [("user_id", pymongo.ASCENDING), ("keyword", pymongo.ASCENDING)],
            unique=True,
            name="user_keyword_unique",
        )
        self._subscriptions.create_index([("keyword", pymongo.ASCENDING)], name="keyword")
        self._keywords.create_index([("active", pymongo.ASCENDING)], name="active")
        self._keywords.create_index([("updated_at", pymongo.DESCENDING)], name="updated_at")

    # -- a user's topics ------------------------------------------------------------------------
    def add(self, user_id: str, raw: str, name: str | None = None) -> str:
        """Follow a word or a rule as a topic; returns its key. Raises InvalidKeyword (RuleError
        for a rule, with the position). Following a rule the user already follows changes
        nothing but returns its key; a name the user already gives another rule is refused."""
        rule = parse_rule(raw)
        display = topic_name(raw, name)
        key = rule.key
        if self._subscription(user_id, key) is not None:
            return key
        self._check_name_free(user_id, display, key)
        now = _stamp()
        self._subscriptions.update_one(
            {"user_id": user_id, "keyword": key},
            {
                # user_id and keyword come from the filter on insert.
                "$setOnInsert": {
                    "display": display, "rule": _typed(raw), "added_at": now,
                    "versions": [{"rule": _typed(raw), "key": key, "at": now}],
                }
            },
            upsert=True,
        )
        self._refresh(key, now, rule, display)
        return key

    def edit(self, user_id: str, key: str, raw: str) -> str:
        """Give the user's topic `key` a new rule; returns the new key. Its history is then
        computed from the raw archive (the new key is new to the new-keyword sensor); the old
        key stays as it is for whoever else follows it."""
        old = self._subscription(user_id, key)
        if old is None:
            raise InvalidKeyword("You do not follow this topic.")
        rule = parse_rule(raw)
        now = _stamp()
        if rule.key == old["keyword"]:
            # the same rule written differently: keep the user's new spelling
            self._subscriptions.update_one(
                {"_id": old["_id"]}, {"$set": {"rule": _typed(raw)}})
            return rule.key
        taken = self._subscription(user_id, rule.key)
        if taken is not None:
            raise InvalidKeyword(
                f"You already follow this rule as the topic “{taken.get('display')}”.")
        versions = list(old.get("versions") or [
            {"rule": old.get("rule") or old.get("display"), "key": old["keyword"],
             "at": old.get("added_at")}])
        versions.append({"rule": _typed(raw), "key": rule.key, "at": now})
        # insert before delete: without transactions, a crash between them leaves both, never
        # neither
        self._subscriptions.update_one(
            {"user_id": user_id, "keyword": rule.key},
            {"$setOnInsert": {
                "display": old.get("display") or old["keyword"], "rule": _typed(raw),
                "added_at": old.get("added_at") or now, "versions": versions,
            }},
            upsert=True,
        )
        self._subscriptions.delete_one({"_id": old["_id"]})
        self._refresh(rule.key, now, rule, old.get("display") or rule.key)
        self._refresh(old["keyword"], _stamp())
        return rule.key

    def rename(self, user_id: str, key: str, name: str) -> str:
        """Give the user's topic a new name; returns it."""
        display = topic_name(name, name)
        if self._subscription(user_id, key) is None:
            raise InvalidKeyword("You do not follow this topic.")
        self._check_name_free(user_id, display, key)
        self._subscriptions.update_one(
            {"user_id": user_id, "keyword": key}, {"$set": {"display": display}})
        return display

    def remove(self, user_id: str, keyword: str) -> bool:
        """Stop following; True when the user followed it. The registry row stays, inactive
        once nobody follows the key."""
        sub = self._subscription(user_id, keyword)
        if sub is None:
            return False
        deleted = self._subscriptions.delete_one({"_id": sub["_id"]})
        self._refresh(sub["keyword"], _stamp())
        return deleted.deleted_count > 0

    def find_topic(self, user_id: str, name_or_key: str) -> dict[str, Any] | None:
        """The user's topic by key, by name (any case) or by a keyword's spelling."""
        topics = self.user_keywords(user_id)
        for topic in topics:
            if topic["keyword"] == name_or_key:
                return topic
        wanted = " ".join(str(name_or_key).split()).casefold()
        for topic in topics:
            if topic["display"].casefold() == wanted:
                return topic
        try:
            key = parse_rule(name_or_key).key
        except InvalidKeyword:
            return None
        return next((t for t in topics if t["keyword"] == key), None)

    def user_keywords(self, user_id: str) -> list[dict[str, Any]]:
        """The user's topics, oldest first: [{keyword (the key), display (the name), rule (as
        typed), canonical, added_at, versions}]."""
        rows = list(self._subscriptions.find({"user_id": user_id}, {"_id": 0}).sort(
            [("added_at", pymongo.ASCENDING), ("keyword", pymongo.ASCENDING)]))
        canonical = {
            row["_id"]: _stored_rule(row).canonical
            for row in self._keywords.find(
                {"_id": {"$in": [r["keyword"] for r in rows]}}, {"rule": 1})
        } if rows else {}
        out = []
        for row in rows:
            key = row["keyword"]
            rule = canonical.get(key) or legacy_rule(key).canonical
            out.append({
                "keyword": key,
                "display": row.get("display") or key,
                "rule": row.get("rule") or rule,
                "canonical": rule,
                "added_at": _utc(row.get("added_at")),
                "versions": [
                    {**v, "at": _utc(v.get("at"))} for v in row.get("versions") or []
                ] or [{"rule": rule, "key": key, "at": _utc(row.get("added_at"))}],
            })
        return out

    def follows(self, user_id: str, keyword: str) -> bool:
        """Whether the user follows the key (or a keyword's spelling of it)."""
        return self._subscription(user_id, keyword) is not None

    def _subscription(self, user_id: str, keyword: str) -> dict[str, Any] | None:
        found = self._subscriptions.find_one({"user_id": user_id, "keyword": keyword})
        if found is not None:
            return found
        try:
            key = normalize_keyword(keyword)
        except InvalidKeyword:
            return None
        if key == keyword:
            return None
        return self._subscriptions.find_one({"user_id": user_id, "keyword": key})

    def _check_name_free(self, user_id: str, display: str, key: str) -> None:
        wanted = display.casefold()
        for row in self._subscriptions.find({"user_id": user_id}, {"keyword": 1, "display": 1}):
            if row["keyword"] != key and (row.get("display") or "").casefold() == wanted:
                raise InvalidKeyword(
                    f"You already have a topic named “{display}”: edit its rule, or choose "
                    "another name.")

    def _refresh(self, key: str, now: datetime, rule: Rule | None = None,
                 display: str | None = None) -> None:
        # Recounted rather than $inc-ed: without transactions a count is the only value that
        # converges when adds and removes race.
        subscribers = self._subscriptions.count_documents({"keyword": key})
        fields: dict[str, Any] = {"active": subscribers > 0, "subscribers": subscribers,
                                  "updated_at": now}
        if rule is not None:
            fields["rule"] = rule.canonical
        update: dict[str, Any] = {"$set": fields}
        if display is not None:
            update["$setOnInsert"] = {"display": display, "added_at": now}
        self._keywords.update_one({"_id": key}, update, upsert=display is not None)

    # -- what ingestion and the backfill match ---------------------------------------------------
    def active_keywords(self) -> list[str]:
        """Every key at least one user follows, sorted."""
        return sorted(row["_id"] for row in self._keywords.find({"active": True}, {"_id": 1}))

    def active_rules(self) -> dict[str, Rule]:
        """Every followed key with its rule."""
        return self._rules({"active": True})

    def rules_for(self, keys: list[str]) -> dict[str, Rule]:
        """The rules of these keys; a key without a registry row is read as a legacy keyword,
        unless it is a rule key (then it is left out and logged)."""
        found = self._rules({"_id": {"$in": list(keys)}})
        for key in keys:
            if key in found:
                continue
            if key.startswith("q:"):
                log.warning("rule key %s has no registry row; skipped", key)
                continue
            try:
                rule = legacy_rule(key)  # normalises the spelling
            except InvalidKeyword as exc:
                log.warning("keyword %r skipped: %s", key, exc.reason)
                continue
            found.setdefault(rule.key, rule)
        return found

    def _rules(self, query: dict[str, Any]) -> dict[str, Rule]:
        out: dict[str, Rule] = {}
        for row in self._keywords.find(query, {"rule": 1}):
            try:
                out[row["_id"]] = _stored_rule(row)
            except InvalidKeyword as exc:  # a row written by hand: skip it, keep the rest
                log.warning("registry row %r has an invalid rule, skipped: %s", row["_id"], exc)
        return out

    def all_keywords(self) -> list[dict[str, Any]]:
        """Every registry row, active or not: [{keyword, display, rule, active, subscribers,
        ...}]."""
        out = []
        for row in self._keywords.find({}).sort("_id", pymongo.ASCENDING):
            row["keyword"] = row.pop("_id")
            row["added_at"] = _utc(row.get("added_at"))
            row["updated_at"] = _utc(row.get("updated_at"))
            out.append(row)
        return out

    def version(self) -> str:
        """A cheap token that changes whenever the set of active keywords may have changed:
        the newest `updated_at` and the active count. Poll it; rebuild the matcher on change."""
        newest = self._keywords.find_one({}, {"updated_at": 1}, sort=[("updated_at", -1)])
        stamp = _utc(newest.get("updated_at")) if newest else None
        active = self._keywords.count_documents({"active": True})
        return f"{active}:{stamp.isoformat() if isinstance(stamp, datetime) else '-'}"
