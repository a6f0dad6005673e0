"""Mastodon through its streaming API: the public (or hashtag) timelines of one or more servers.

`MastodonSource` opens `wss://<streaming host>/api/v1/streaming?stream=<stream>[&tag=<tag>]` on
each instance (docs.joinmastodon.org/methods/streaming), one reader thread per connection: one per
instance, or one per instance and hashtag when `stream` is "hashtag" / "hashtag:local". Each
message `{"stream": [...], "event": "update", "payload": "<Status as a JSON string>"}` is yielded
wrapped with the instance it came from, its payload decoded (`tweets.mastodon` parses it):

    {"mastodon": {"instance": "<host>", "event": "<event>", "payload": <Status> | "<id>",
                  "received_at": "<ISO time>"}}

A payload that does not decode stays a string and a message that is not JSON is wrapped as it
is, so the producer dead-letters them with a reason.

Configuration:
- instances: host names ("mastodon.social"), https:// URLs, or a comma-separated list of them.
  The streaming API may live on another host: it is read from the instance's
  `/api/v2/instance` (`configuration.urls.streaming`), falling back to the instance itself. A
  ws:// or wss:// URL (or an http:// one, for local test servers) names the server directly.
- token: Mastodon 4.2+ serves the WebSocket only to a user token (the `Authorization: Bearer`
  header): create an application with the `read:statuses` scope under Preferences → Development
  on the instance and pass its access token. Without one, most servers answer 401: the source
  logs which instance refused and what to configure, and asks again every `refused_retry` s.
- stream: "public" (every public post the server knows, federated ones included),
  "public:local" (the posts of the server's own accounts), "public:remote", or "hashtag" /
  "hashtag:local" with `hashtags` (and/or a `hashtags_provider`, called every
  `hashtags_poll` seconds so the followed keywords can drive the streams). Several instances
  with `public` would each deliver the same federated post; the ids differ per instance
  (`<instance>/<status id>`), so it would count once per instance. `public:local` delivers
  each post once, from its home server, and is the default when more than one instance is
  given ("public" for one).

A dropped or refused connection is logged at WARNING and retried with back-off (1 s doubling to
60 s, back to 1 s after a connection that stayed up a minute); network errors never leave
`payloads()`. `close()` ends it within about a second.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection, connect

log = logging.getLogger(__name__)

STREAMS = ("public", "public:local", "public:remote", "public:media", "public:local:media",
           "public:remote:media", "hashtag", "hashtag:local")
STREAMING_PATH = "/api/v1/streaming"
# Statuses are a few KB; the limit only has to let through what the parser rejects with a
# reason (1 MB of content) instead of a connection failing on it after every reconnect.
MAX_MESSAGE_BYTES = 16 * 2**20
# How a server says "not without a token" or "no streaming API here".
REFUSALS = {401: "unauthorized", 403: "forbidden", 404: "not found"}
_POLL = 0.2  # how often blocked loops look at the stop flags, in seconds


@dataclass(frozen=True)
class Instance:
    """A Mastodon server: `label` is what post ids carry (`<label>/<status id>`)."""

    label: str
    web: str | None  # https://host (where /api/v2/instance names the streaming host), or None
    streaming: str | None  # ws(s)://host when known without asking the server


@dataclass
class _Reader:
    instance: Instance
    tag: str | None
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    connection: ClientConnection | None = None


class MastodonSource:
    """Mastodon statuses and deletions as they are posted, from one or more instances."""

    name = "mastodon"

    def __init__(
        self,
        instances: str | Sequence[str],
        stream: str | None = None,
        hashtags: Iterable[str] = (),
        token: str | None = None,
        *,
        hashtags_provider: Callable[[], Iterable[str]] | None = None,
        hashtags_poll: float = 30.0,
        connect_timeout: float = 10.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        healthy_after: float = 60.0,
        refused_retry: float = 300.0,
        queue_size: int = 10_000,
    ) -> None:
        self.instances = parse_instances(instances)
        if not stream:
            stream = "public:local" if len(self.instances) > 1 else "public"
        if stream not in STREAMS:
            raise ValueError(f"unknown Mastodon stream {stream!r}; one of {', '.join(STREAMS)}")
        self.stream = stream
        self.hashtags = _tags(hashtags)
        if self.hashtags and not self.by_hashtag:
            log.warning("Mastodon %s stream: hashtags ignored (they need stream=hashtag)", stream)
        self.token = token or None
        self.hashtags_provider = hashtags_provider
        self.hashtags_poll = hashtags_poll
        self.connect_timeout = connect_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.healthy_after = healthy_after
        self.refused_retry = refused_retry
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=queue_size)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._readers: dict[tuple[str, str | None], _Reader] = {}
        self._streaming: dict[str, str] = {}  # label -> discovered ws(s):// base
        self._started = False
        self.connections = 0  # connections opened so far
        self.urls: list[str] = []  # URLs of connection attempts, newest last (at most 100)

    @property
    def by_hashtag(self) -> bool:
        return self.stream.startswith("hashtag")

    # ---- the Source interface ----------------------------------------------------------------

    def payloads(self) -> Iterator[bytes]:
        """Yield wrapped streaming events as they arrive; ends after `close()`."""
        self._start()
        try:
            while not self._closed.is_set():
                try:
                    raw = self._queue.get(timeout=_POLL)
                except queue.Empty:
                    continue
                yield raw
        finally:
            self.close()

    def close(self) -> None:
        """Stop every reader and close its connection; safe to call twice, from any thread."""
        self._closed.set()
        with self._lock:
            readers = list(self._readers.values())
        for reader in readers:
            self._stop(reader)

    # ---- readers -----------------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        if not self.by_hashtag:
            for instance in self.instances:
                self._spawn(instance, None)
            return
        if self.hashtags_provider is not None:
            threading.Thread(target=self._follow_hashtags, name="mastodon-hashtags",
                             daemon=True).start()
            return
        if not self.hashtags:
            log.warning("Mastodon %s stream without hashtags: nothing to follow", self.stream)
        self._set_hashtags(self.hashtags)

    def _spawn(self, instance: Instance, tag: str | None) -> None:
        reader = _Reader(instance, tag)
        with self._lock:
            if self._closed.is_set() or (instance.label, tag) in self._readers:
                return
            self._readers[(instance.label, tag)] = reader
        name = f"mastodon-{instance.label}" + (f"-#{tag}" if tag else "")
        reader.thread = threading.Thread(target=self._read_forever, args=(reader,), name=name,
                                         daemon=True)
        reader.thread.start()

    def _stop(self, reader: _Reader) -> None:
        reader.stop.set()
        connection = reader.connection
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a socket already gone is closed enough
                pass

    def _set_hashtags(self, tags: Iterable[str]) -> None:
        """Follow exactly these hashtags on every instance: start the new, stop the dropped."""
        wanted = set(tags)
        with self._lock:
            dropped = [r for (_, tag), r in self._readers.items() if tag not in wanted]
            for reader in dropped:
                del self._readers[(reader.instance.label, reader.tag)]
        for reader in dropped:
            log.info("Mastodon %s: no longer following #%s", reader.instance.label, reader.tag)
            self._stop(reader)
        for tag in sorted(wanted):
            for instance in self.instances:
                self._spawn(instance, tag)

    def _follow_hashtags(self) -> None:
        current: tuple[str, ...] | None = None
        while not self._closed.is_set():
            try:
                provided = self.hashtags_provider() if self.hashtags_provider else ()
                tags = _tags([*self.hashtags, *provided])
            except Exception as exc:  # noqa: BLE001 - keep the streams we have
                log.warning("Mastodon hashtags not refreshed: %s", exc)
                tags = current
            if tags is not None and tags != current:
                if not tags:
                    log.warning("Mastodon %s stream: no hashtags to follow yet", self.stream)
                self._set_hashtags(tags)
                current = tags
            self._closed.wait(self.hashtags_poll)

    def _read_forever(self, reader: _Reader) -> None:
        delay = self.backoff_initial
        label = reader.instance.label
        while not (self._closed.is_set() or reader.stop.is_set()):
            url = self._url(reader)
            self.urls = [*self.urls[-99:], url]
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
            opened = None
            wait = None
            try:
                with connect(url, additional_headers=headers, open_timeout=self.connect_timeout,
                             close_timeout=1.0, max_size=MAX_MESSAGE_BYTES,
                             user_agent_header="tweektrend") as ws:
                    reader.connection = ws
                    opened = time.monotonic()
                    self.connections += 1
                    log.info("Mastodon %s connected: %s", label, _shown(url))
                    self._read(ws, reader)
                reason = "the server closed the connection"
            except InvalidStatus as exc:
                status = exc.response.status_code
                reason = f"HTTP {status}"
                if status in REFUSALS:
                    wait = self.refused_retry
                    log.warning("%s; asking again in %.0f s", self._refusal(reader, status, url),
                                wait)
            except (OSError, WebSocketException) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                reader.connection = None
            if self._closed.is_set() or reader.stop.is_set():
                return
            if opened is not None and time.monotonic() - opened >= self.healthy_after:
                delay = self.backoff_initial
            if wait is None:
                wait = delay
                delay = min(delay * 2, self.backoff_max)
                log.warning("Mastodon %s: connection to %s lost (%s); reconnecting in %.1f s",
                            label, _shown(url), reason, wait)
            reader.stop.wait(wait)

    def _read(self, ws: ClientConnection, reader: _Reader) -> None:
        label = reader.instance.label
        while not (self._closed.is_set() or reader.stop.is_set()):
            try:
                message = ws.recv(timeout=_POLL)
            except TimeoutError:
                continue
            wrapped = wrap(label, message)
            if wrapped is None:
                continue
            while not (self._closed.is_set() or reader.stop.is_set()):
                try:
                    self._queue.put(wrapped, timeout=_POLL)
                    break
                except queue.Full:
                    continue  # back-pressure: read no more until the producer catches up

    def _refusal(self, reader: _Reader, status: int, url: str) -> str:
        label = reader.instance.label
        if status == 404:
            return (f"Mastodon {label}: no streaming API at {_shown(url)} (HTTP 404): check the "
                    f"instance address")
        what = "the token was refused" if self.token else "no token was given"
        return (f"Mastodon {label} refused the {self.stream} stream (HTTP {status}, {what}): "
                f"Mastodon 4.2+ streams only to a user access token; create one with the "
                f"read:statuses scope under Preferences → Development on {label} and configure "
                f"it as the Mastodon token")

    # ---- addresses ---------------------------------------------------------------------------

    def _url(self, reader: _Reader) -> str:
        params = {"stream": self.stream}
        if reader.tag is not None:
            params["tag"] = reader.tag
        return f"{self._streaming_base(reader.instance)}{STREAMING_PATH}?{urlencode(params)}"

    def _streaming_base(self, instance: Instance) -> str:
        if instance.streaming is not None:
            return instance.streaming
        with self._lock:
            known = self._streaming.get(instance.label)
        if known is None:
            known = discover_streaming(instance, self.connect_timeout)
            with self._lock:
                self._streaming[instance.label] = known
        return known


def parse_instances(instances: str | Sequence[str]) -> tuple[Instance, ...]:
    """Instances from host names, http(s):// or ws(s):// URLs, or a comma-separated list."""
    items = instances.split(",") if isinstance(instances, str) else list(instances)
    out: dict[str, Instance] = {}
    for item in (i.strip().rstrip("/") for i in items if i and i.strip()):
        if "://" not in item:
            item = "https://" + item
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
            raise ValueError(f"not a Mastodon instance address: {item!r}")
        if parts.path.rstrip("/") not in ("", STREAMING_PATH):
            raise ValueError(f"a Mastodon instance is a host, not a page: {item!r}")
        label = parts.netloc.lower().rpartition("@")[2]  # host[:port], credentials left out
        if parts.scheme in ("ws", "wss"):
            out[label] = Instance(label, None, f"{parts.scheme}://{parts.netloc}")
        else:
            out[label] = Instance(label, f"{parts.scheme}://{parts.netloc}", None)
    if not out:
        raise ValueError("no Mastodon instance given")
    return tuple(out.values())


def discover_streaming(instance: Instance, timeout: float) -> str:
    """The streaming server's ws(s):// base: the instance's `configuration.urls.streaming`, or
    the instance itself when it names none (docs: methods/streaming, hostname discovery)."""
    assert instance.web is not None
    fallback = ("wss://" if instance.web.startswith("https:") else "ws://") + \
        instance.web.split("://", 1)[1]
    request = urllib.request.Request(f"{instance.web}/api/v2/instance",
                                     headers={"User-Agent": "tweektrend",
                                              "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            info = orjson.loads(response.read(2**20))
        streaming = info["configuration"]["urls"]["streaming"]
    except Exception as exc:  # noqa: BLE001 - any failure: the instance host is the best guess
        log.info("Mastodon %s: streaming host not discovered (%s); using %s",
                 instance.label, str(exc)[:80], fallback)
        return fallback
    parts = urlsplit(streaming) if isinstance(streaming, str) else None
    if parts is None or parts.scheme not in ("ws", "wss") or not parts.netloc:
        return fallback
    return f"{parts.scheme}://{parts.netloc}"


def wrap(instance: str, message: str | bytes, received_at: datetime | None = None
         ) -> bytes | None:
    """One streaming message as the payload the parser reads; None for a server's error report
    (logged), which is about the connection, not about a post."""
    try:
        obj: Any = orjson.loads(message)
    except orjson.JSONDecodeError:
        obj = None
    if isinstance(obj, dict) and "event" not in obj and "error" in obj:
        log.warning("Mastodon %s says: %s", instance, str(obj.get("error"))[:200])
        return None
    if isinstance(obj, dict):
        event, payload = obj.get("event"), obj.get("payload")
    else:  # not a message of the protocol: the parser names it
        event = None
        payload = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    if isinstance(payload, str) and event != "delete":
        try:
            payload = orjson.loads(payload)
        except orjson.JSONDecodeError:
            pass  # kept as the string it is; the parser says why it is no Status
    when = received_at or datetime.now(UTC)
    return orjson.dumps({"mastodon": {
        "instance": instance, "event": event, "payload": payload,
        "received_at": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }})


def _tags(values: Iterable[Any]) -> tuple[str, ...]:
    """Hashtags as `tag` parameters: without '#' and spaces ("#Squid Game" → "SquidGame"), once
    each whatever the case (Mastodon matches hashtags case-insensitively)."""
    out: dict[str, str] = {}
    for value in values:
        tag = "".join(value.split()).lstrip("#＃") if isinstance(value, str) else ""
        if tag:
            out.setdefault(tag.casefold(), tag)
    return tuple(out.values())


def _shown(url: str) -> str:
    """A URL as logged (no credentials in it: the token travels in a header)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{parts.query}"
