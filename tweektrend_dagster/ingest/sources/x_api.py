"""X API v2 sources through tweepy 4.17: the filtered stream (rules = followed rules) and sample
stream.

tweepy's `StreamingClient` runs the HTTP stream in its own thread and reconnects with X's back-off
rules; `on_data` receives each raw line, which goes through a bounded queue to `payloads()`. A full
queue blocks tweepy's thread, so a slow producer slows the read instead of losing posts.

Configuration: the bearer token comes from `TWEEKTREND_X_BEARER_TOKEN`; `TWEEKTREND_X_API_BASE`
(or `api_base=`) points the client somewhere else than https://api.twitter.com, e.g. a proxy or the
recorded-response server of the tests (both through `tweektrend_dagster.x.http`, which the
dashboard's user client in `tweektrend_dagster.x.user_client` shares).

Rules: `sync_rules(client, rules)` makes the stream's rules equal to the followed rules
(`{key: Rule}` or `{key: canonical}`; plain keywords are legacy rules): each rule is sent as
`keywords.rules.x_rules` translates it, tagged with its key (a rule split into several X rules
tags them `key`, `key#2`, `key#3`, ...), so `matching_rules[].tag` names the rule. What X cannot
receive exactly (a superset is sent) is logged and returned; the producer evaluates every rule
on every delivered post, so counts stay exact. X matches words case-insensitively against the
post's tokens; multi-word and punctuated words are sent as exact phrases ("squid game").
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import orjson
import requests
import tweepy
from tweepy import StreamRule

from tweektrend_dagster.keywords.normalize import InvalidKeyword
from tweektrend_dagster.keywords.rules import Rule, legacy_rule, rule_from_canonical, x_rules
from tweektrend_dagster.keywords.rules.x_rules import x_literal
from tweektrend_dagster.x.http import (
    BEARER_TOKEN_ENV,
    X_API_HOST,
    XApiError,
    api_base_or_env,
    bearer_token_from_env,
    rebase,
)

log = logging.getLogger(__name__)

# Everything the parsers and the trend tables use: author, metrics, place, referenced posts.
TWEET_FIELDS = (
    "attachments",
    "author_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "note_tweet",
    "possibly_sensitive",
    "public_metrics",
    "referenced_tweets",
    "source",
    "text",
)
EXPANSIONS = (
    "author_id",
    "entities.mentions.username",
    "geo.place_id",
    "in_reply_to_user_id",
    "referenced_tweets.id",
    "referenced_tweets.id.author_id",
)
USER_FIELDS = (
    "created_at",
    "description",
    "id",
    "location",
    "name",
    "profile_image_url",
    "public_metrics",
    "username",
    "verified",
)
PLACE_FIELDS = (
    "contained_within",
    "country",
    "country_code",
    "full_name",
    "geo",
    "id",
    "name",
    "place_type",
)
STREAM_PARAMS: dict[str, list[str]] = {
    "tweet_fields": list(TWEET_FIELDS),
    "expansions": list(EXPANSIONS),
    "user_fields": list(USER_FIELDS),
    "place_fields": list(PLACE_FIELDS),
}

# A rules request carries at most this many adds or deletes; the API documents no lower limit
# and the smallest paid tiers allow 25-1000 rules in total, so 100 keeps requests small.
RULE_BATCH = 100
# Rule length limit of the Basic/Pro tiers (Enterprise allows 2048).
MAX_RULE_LENGTH = 512
FATAL_STATUSES = {400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found"}


def make_client(
    bearer_token: str | None = None, *, api_base: str | None = None, **options: Any
) -> tweepy.StreamingClient:
    """A tweepy StreamingClient for rule management (token from the environment by default)."""
    client = tweepy.StreamingClient(bearer_token or bearer_token_from_env(), **options)
    rebase(client, api_base)
    return client


# ---- rules -------------------------------------------------------------------------------------


def rule_value(keyword: str) -> str:
    """The filtered-stream value of a plain keyword: `bts`, `코로나`, `"squid game"`."""
    return x_literal(" ".join(keyword.split()))


Followed = Mapping[str, "Rule | str"] | Iterable[str]


def followed_rules(followed: Followed) -> dict[str, Rule]:
    """`{key: Rule}` of `{key: Rule or canonical text}`, or of plain keywords (legacy rules)."""
    if isinstance(followed, Mapping):
        return {
            key: rule if isinstance(rule, Rule) else rule_from_canonical(rule)
            for key, rule in followed.items()
        }
    rules: dict[str, Rule] = {}
    for keyword in followed:
        if not " ".join(str(keyword).split()):
            continue
        try:
            rule = legacy_rule(keyword)
        except InvalidKeyword as exc:
            log.warning("keyword %r left out of the stream rules: %s", str(keyword)[:60], exc)
            continue
        rules.setdefault(rule.key, rule)
    return rules


class RuleSync(NamedTuple):
    """What a sync changed: tags added and deleted, and the note of every rule X does not
    receive exactly (by key)."""

    added: list[str]
    deleted: list[str]
    inexact: dict[str, str]


def _unpack(resp: Any) -> tuple[list[StreamRule], list[dict], dict]:
    """(rules, errors, meta) of a tweepy Response, a dict or a requests.Response."""
    if isinstance(resp, requests.Response):
        resp = resp.json()
    if isinstance(resp, dict):
        data, errors, meta = resp.get("data"), resp.get("errors") or [], resp.get("meta") or {}
    else:
        data, errors, meta = resp.data, resp.errors or [], resp.meta or {}
    rules = []
    for r in data or []:
        if isinstance(r, dict):
            r = StreamRule(value=r.get("value"), tag=r.get("tag"), id=r.get("id"))
        rules.append(r)
    return rules, list(errors), meta


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def wanted_x_rules(
    rules: Mapping[str, Rule], max_rule_length: int = MAX_RULE_LENGTH
) -> tuple[dict[str, str], dict[str, str]]:
    """({tag: X value}, {key: note} of the rules X does not receive exactly). A rule split into
    several values is tagged `key`, `key#2`, ...; a value another rule already sends is sent once
    (X refuses duplicates, and the posts it delivers are matched against every rule anyway)."""
    wanted: dict[str, str] = {}
    inexact: dict[str, str] = {}
    sent: set[str] = set()
    for key in rules:
        translation = x_rules(rules[key], max_rule_length)
        if not translation.exact:
            inexact[key] = translation.note
        for n, value in enumerate(translation.values, 1):
            if value not in sent:
                sent.add(value)
                wanted[key if n == 1 else f"{key}#{n}"] = value
    return wanted, inexact


def sync_rules(
    client: tweepy.StreamingClient,
    rules: Followed,
    *,
    batch_size: int = RULE_BATCH,
    max_rule_length: int = MAX_RULE_LENGTH,
) -> RuleSync:
    """Make the stream rules equal to the followed `rules` ({key: Rule or canonical text}, or
    plain keywords); returns what was added and deleted and what X does not receive exactly.

    Values are `x_rules` translations tagged with the rule key (`wanted_x_rules`). Rules with an
    unwanted tag, no tag, a stale value or a duplicate tag are deleted (deleted before adding, so
    the rule cap is not hit); a deleted rule without a tag is reported by its value. A value X
    rejects is logged and left out. Cheap when nothing changed (one GET), so it can run every few
    seconds.
    """
    wanted, inexact = wanted_x_rules(followed_rules(rules), max_rule_length)
    for key, note in inexact.items():
        log.info("rule %s is not sent to X exactly: %s", key, note)

    current, _, _ = _unpack(client.get_rules())
    kept: set[str] = set()
    delete_ids: list[str] = []
    deleted: list[str] = []
    for rule in current:
        if rule.tag in wanted and wanted[rule.tag] == rule.value and rule.tag not in kept:
            kept.add(rule.tag)
        else:
            delete_ids.append(str(rule.id))
            deleted.append(rule.tag if rule.tag is not None else rule.value)
    for batch in _chunks(delete_ids, batch_size):
        _, errors, _ = _unpack(client.delete_rules(batch))
        for err in errors:
            log.warning("X did not delete a stream rule: %s", err)

    added: list[str] = []
    todo = [StreamRule(value=v, tag=t) for t, v in wanted.items() if t not in kept]
    for batch in _chunks(todo, batch_size):
        created, errors, _ = _unpack(client.add_rules(batch))
        added.extend(r.tag for r in created)
        for err in errors:
            log.warning(
                "X rejected stream rule %r: %s %s",
                err.get("value"),
                err.get("title"),
                err.get("details") or err.get("detail") or "",
            )
    if added or deleted:
        log.info("stream rules synced: +%s -%s", added, deleted)
    return RuleSync(added, deleted, inexact)


# ---- streams -----------------------------------------------------------------------------------


class _QueueingClient(tweepy.StreamingClient):
    """tweepy's stream thread puts each raw payload line into a bounded queue."""

    def __init__(self, bearer_token: str, out: queue.Queue[bytes], **options: Any) -> None:
        super().__init__(bearer_token, **options)
        self.out = out
        self.fatal: str | None = None
        self.connections = 0

    def on_connect(self) -> None:
        self.connections += 1
        log.info("X stream connected (connection %d)", self.connections)

    def on_data(self, raw_data: bytes) -> None:
        if b'"data"' not in raw_data:
            # Stream-level messages ({"errors": [...]}, e.g. operational-disconnect) are not posts.
            try:
                obj = orjson.loads(raw_data)
            except orjson.JSONDecodeError:
                obj = None  # not JSON: pass on, the producer dead-letters it
            if isinstance(obj, dict) and "data" not in obj:
                log.warning("X stream message: %s", raw_data[:500].decode("utf-8", "replace"))
                return
        while self.running:
            try:
                self.out.put(raw_data, timeout=0.5)
                return
            except queue.Full:
                continue  # back-pressure: keep tweepy from reading until the producer catches up

    def on_request_error(self, status_code: int) -> None:
        if status_code in FATAL_STATUSES:
            hint = (
                f"check {BEARER_TOKEN_ENV}"
                if status_code == 401
                else "check that your X API access level includes this stream endpoint"
            )
            self.fatal = (
                f"X API answered HTTP {status_code} "
                f"({FATAL_STATUSES[status_code]}) to the stream request: {hint}"
            )
            log.error(self.fatal)
            self.disconnect()
        else:
            log.warning("X stream HTTP %d; tweepy retries with back-off", status_code)

    def on_exception(self, exception: Exception) -> None:
        self.fatal = f"X stream failed: {exception!r}"
        log.exception("X stream failed")

    def on_closed(self, response: requests.Response) -> None:
        log.warning("X closed the stream; reconnecting")


class XStream:
    """Common part of the filtered and the sample stream; see `XFilteredStream`, `XSampleStream`."""

    name = "x-stream"
    endpoint = ""

    def __init__(
        self,
        *,
        bearer_token: str | None = None,
        api_base: str | None = None,
        queue_size: int = 10_000,
        backfill_minutes: int | None = None,
        max_retries: float = math.inf,
        stop_timeout: float = 2.0,
    ) -> None:
        self._token = bearer_token or bearer_token_from_env()
        self._api_base = api_base
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=queue_size)
        self._client = _QueueingClient(
            self._token, self._queue, daemon=True, max_retries=max_retries
        )
        rebase(self._client, api_base)
        self._params: dict[str, Any] = dict(STREAM_PARAMS)
        if backfill_minutes:
            self._params["backfill_minutes"] = backfill_minutes
        self._thread: threading.Thread | None = None
        self._closed = False
        self._stop_timeout = stop_timeout

    def _before_connect(self) -> None:
        pass

    def _idle(self) -> None:
        """Called between payloads (at least every 0.25 s): a hook for periodic work."""

    def _connect(self) -> threading.Thread:
        if self.endpoint == "filter":
            return self._client.filter(threaded=True, **self._params)
        return self._client.sample(threaded=True, **self._params)

    def payloads(self) -> Iterator[bytes]:
        """Yield raw v2 envelopes as they arrive; raises XApiError on a fatal HTTP answer."""
        if self._thread is None:
            self._before_connect()
            self._thread = self._connect()
        q = self._queue
        next_idle = time.monotonic()
        while True:
            try:
                item = q.get(timeout=0.25)
            except queue.Empty:
                item = None
            if item is not None:
                yield item
            now = time.monotonic()
            if item is None or now >= next_idle:
                next_idle = now + 0.25
                self._idle()
                if self._client.fatal:
                    raise XApiError(self._client.fatal)
                if item is None and (self._closed or not self._thread.is_alive()):
                    return

    def close(self) -> None:
        self._closed = True
        self._client.disconnect()
        if self._thread is not None:
            # tweepy notices `running` after the next line or keep-alive (X sends one every 20 s);
            # the thread is a daemon, so not waiting longer is safe.
            self._thread.join(self._stop_timeout)

    @property
    def connections(self) -> int:
        """How many times the stream (re)connected."""
        return self._client.connections


class XFilteredStream(XStream):
    """The v2 filtered stream; its rules follow the followed rules.

    rules: the initial rules ({key: Rule or canonical text}), synced before connecting;
        `keywords` (plain keywords, legacy rules) is the older spelling of the same.
    rules_provider: called every `rules_interval` seconds while streaming (e.g. the registry's
        `active_rules`); the X rules are re-synced when what it returns changed.
        `keywords_provider` returns plain keywords instead.
    max_rule_length: the X plan's rule length (512 on Basic and Pro; Settings.x_max_rule_length).
    `inexact` holds, by key, the note of every rule X last received as a superset.
    """

    name = "x-api"
    endpoint = "filter"

    def __init__(
        self,
        keywords: Iterable[str] | None = None,
        *,
        rules: Mapping[str, Rule | str] | None = None,
        keywords_provider: Callable[[], Iterable[str]] | None = None,
        rules_provider: Callable[[], Mapping[str, Rule | str]] | None = None,
        rules_interval: float = 5.0,
        max_rule_length: int = MAX_RULE_LENGTH,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._max_rule_length = max_rule_length
        self._initial: Followed | None = (
            rules if rules is not None else (list(keywords) if keywords is not None else None)
        )
        self._provider: Callable[[], Followed] | None = rules_provider or keywords_provider
        self._rules_interval = rules_interval
        self._next_rules = 0.0
        self._synced: frozenset[tuple[str, str]] | None = None
        self.inexact: dict[str, str] = {}
        self.rules_client = make_client(self._token, api_base=self._api_base)

    def update_rules(self, rules: Followed) -> RuleSync:
        """Sync the X rules to `rules` now (see `sync_rules`).

        Raises XApiError for a refused token or access level and for an unreachable API.
        """
        followed = followed_rules(rules)
        try:
            result = sync_rules(self.rules_client, followed, max_rule_length=self._max_rule_length)
        except tweepy.Unauthorized as exc:
            raise XApiError(
                f"X API answered 401 to the rules request: check {BEARER_TOKEN_ENV}"
            ) from exc
        except tweepy.Forbidden as exc:
            raise XApiError(
                "X API answered 403 to the rules request: your X API access level may not "
                f"include the filtered stream ({exc})"
            ) from exc
        except requests.ConnectionError as exc:
            base = api_base_or_env(self._api_base) or X_API_HOST
            raise XApiError(f"cannot reach the X API at {base}: {exc}") from exc
        self._synced = _fingerprint(followed)
        self.inexact = result.inexact
        return result

    def update_keywords(self, keywords: Iterable[str]) -> RuleSync:
        """Sync the X rules to plain keywords (legacy rules) now."""
        return self.update_rules(list(keywords))

    def _before_connect(self) -> None:
        wanted = self._initial
        if wanted is None and self._provider is not None:
            wanted = self._provider()
        if wanted is not None:
            self.update_rules(wanted)
        self._next_rules = time.monotonic() + self._rules_interval

    def _idle(self) -> None:
        if self._provider is None or time.monotonic() < self._next_rules:
            return
        self._next_rules = time.monotonic() + self._rules_interval
        try:
            followed = followed_rules(self._provider())
            if _fingerprint(followed) != self._synced:
                self.update_rules(followed)
        except (tweepy.TweepyException, requests.RequestException, XApiError) as exc:
            log.warning(
                "stream rule sync failed, retrying in %.0f s: %s", self._rules_interval, exc
            )


def _fingerprint(rules: Mapping[str, Rule]) -> frozenset[tuple[str, str]]:
    return frozenset((key, rule.canonical) for key, rule in rules.items())


class XSampleStream(XStream):
    """The v2 sample stream (~1 % of all public posts); no rules."""

    name = "x-sample"
    endpoint = "sample"
