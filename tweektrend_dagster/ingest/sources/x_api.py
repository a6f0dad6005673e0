"""X API v2 sources through tweepy 4.17: the filtered stream (rules = keywords) and sample stream.

tweepy's `StreamingClient` runs the HTTP stream in its own thread and reconnects with X's back-off
rules; `on_data` receives each raw line, which goes through a bounded queue to `payloads()`. A full
queue blocks tweepy's thread, so a slow producer slows the read instead of losing posts.

Configuration: the bearer token comes from `TWEEKTREND_X_BEARER_TOKEN`; `TWEEKTREND_X_API_BASE`
(or `api_base=`) points the client somewhere else than https://api.twitter.com, e.g. a proxy or the
recorded-response server of the tests (both through `tweektrend_dagster.x.http`, which the
dashboard's user client in `tweektrend_dagster.x.user_client` shares).

Rules: `sync_rules(client, keywords)` makes the stream's rules equal to the keyword set, one rule
per keyword with tag = keyword, so `matching_rules[].tag` in every payload names the keyword.
X matches a rule term case-insensitively against the post's tokens; multi-word keywords are sent as
exact phrases ("squid game").
"""

from __future__ import annotations

import logging
import math
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
import requests
import tweepy
from tweepy import StreamRule

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

# A keyword that is one run of letters/digits is a plain term; anything else (spaces, operators,
# quotes, punctuation) becomes an exact phrase so it cannot change the rule's logic.
_PLAIN_TERM = re.compile(r"[^\W_](?:\w*[^\W_])?")
_OPERATOR_WORDS = {"OR", "AND"}


def rule_value(keyword: str) -> str:
    """The filtered-stream rule for a keyword: `bts`, `코로나`, `"squid game"`."""
    kw = " ".join(keyword.split())
    if _PLAIN_TERM.fullmatch(kw) and kw not in _OPERATOR_WORDS:
        return kw
    return '"' + kw.replace("\\", "\\\\").replace('"', '\\"') + '"'


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


def sync_rules(
    client: tweepy.StreamingClient,
    keywords: Iterable[str],
    *,
    batch_size: int = RULE_BATCH,
    max_rule_length: int = MAX_RULE_LENGTH,
) -> tuple[list[str], list[str]]:
    """Make the stream rules equal to `keywords`; returns (added tags, deleted tags).

    One rule per keyword, tag = keyword, value = `rule_value(keyword)`. Rules with an unwanted tag,
    no tag, a stale value or a duplicate tag are deleted (deleted before adding, so the rule cap is
    not hit); a deleted rule without a tag is reported by its value. A keyword whose rule is longer
    than `max_rule_length`, or that X rejects, is logged and left out. Cheap when nothing changed
    (one GET), so it can run every few seconds.
    """
    wanted: dict[str, str] = {}
    for kw in keywords:
        tag = " ".join(str(kw).split())
        if not tag or tag in wanted:
            continue
        value = rule_value(tag)
        if len(value) > max_rule_length:
            log.warning(
                "keyword %r skipped: its rule is longer than %d characters",
                tag[:60],
                max_rule_length,
            )
            continue
        wanted[tag] = value

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
    return added, deleted


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
    """The v2 filtered stream; its rules follow the keywords.

    keywords: the initial keyword set, synced to rules before connecting.
    keywords_provider: called every `rules_interval` seconds while streaming (e.g. a read of the
        Mongo keyword registry); the rules are re-synced when the set it returns changed.
    """

    name = "x-api"
    endpoint = "filter"

    def __init__(
        self,
        keywords: Iterable[str] | None = None,
        *,
        keywords_provider: Callable[[], Iterable[str]] | None = None,
        rules_interval: float = 5.0,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._keywords = list(keywords) if keywords is not None else None
        self._provider = keywords_provider
        self._rules_interval = rules_interval
        self._next_rules = 0.0
        self._synced: frozenset[str] | None = None
        self.rules_client = make_client(self._token, api_base=self._api_base)

    def update_keywords(self, keywords: Iterable[str]) -> tuple[list[str], list[str]]:
        """Sync the rules to `keywords` now; returns (added, deleted) tags.

        Raises XApiError for a refused token or access level and for an unreachable API.
        """
        wanted = [" ".join(k.split()) for k in keywords]
        try:
            result = sync_rules(self.rules_client, wanted)
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
        self._synced = frozenset(k for k in wanted if k)
        return result

    def _before_connect(self) -> None:
        keywords = self._keywords
        if keywords is None and self._provider is not None:
            keywords = list(self._provider())
        if keywords is not None:
            self.update_keywords(keywords)
        self._next_rules = time.monotonic() + self._rules_interval

    def _idle(self) -> None:
        if self._provider is None or time.monotonic() < self._next_rules:
            return
        self._next_rules = time.monotonic() + self._rules_interval
        try:
            keywords = [" ".join(k.split()) for k in self._provider()]
            if frozenset(k for k in keywords if k) != self._synced:
                self.update_keywords(keywords)
        except (tweepy.TweepyException, requests.RequestException, XApiError) as exc:
            log.warning(
                "stream rule sync failed, retrying in %.0f s: %s", self._rules_interval, exc
            )


class XSampleStream(XStream):
    """The v2 sample stream (~1 % of all public posts); no rules."""

    name = "x-sample"
    endpoint = "sample"
