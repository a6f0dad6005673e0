"""The source interface: where raw tweet payloads come from, and a registry to build one by name.

A source yields raw JSON payloads (bytes, one post each) and paces itself; it knows nothing about
Kafka or keyword matching. The producer parses each payload (`tweektrend_dagster.tweets`), matches
keywords and sends it on; a payload that does not parse goes to the dead-letter topic there.

Built-in kinds:

| kind       | class                                   | what it yields                          |
|------------|-----------------------------------------|-----------------------------------------|
| simulator  | `simulator.Simulator`                   | seeded synthetic X API v2 envelopes     |
| replay     | `replay.Replay`                         | lines of a JSONL file (v1.1, v2, AS)    |
| x-api      | `x_api.XFilteredStream`                 | X API v2 filtered stream envelopes      |
| x-sample   | `x_api.XSampleStream`                   | X API v2 sample stream envelopes        |
| bluesky    | `bluesky.JetstreamSource`               | Bluesky Jetstream events (cursor kept)  |
| mastodon   | `mastodon.MastodonSource`               | Mastodon streaming events, wrapped      |

Adding a source (e.g. another network's stream):

1. Write a class with a `name` attribute, `payloads()` and `close()` (see `Source`). Emit payloads
   in a format the parsers know; for a new network either translate each post into our
   normalised JSON (`Tweet.to_json()`, with its `network`) inside the source, or add a parser for
   the network's native format in `tweektrend_dagster/tweets/` and emit that (as `bluesky` and
   `mastodon` do: `tweets.jetstream`, `tweets.mastodon`, wired in `tweets.parsers.parse_event`).
2. Register it: `register_source("threads", ThreadsSource)` at import time of your module, or,
   from another package, declare an entry point in its pyproject.toml:

       [project.entry-points."tweektrend.sources"]
       threads = "my_pkg.threads:ThreadsSource"

   `make_source("threads", **options)` then finds it; options are passed to the constructor.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

ENTRY_POINT_GROUP = "tweektrend.sources"


@runtime_checkable
class Source(Protocol):
    """Anything that yields raw tweet payloads."""

    name: str

    def payloads(self) -> Iterator[bytes]:
        """Yield raw JSON payloads, one post each, paced by the source itself.

        The iterator ends when the source is exhausted (a finite replay, a simulator limit) or
        after `close()`; live sources block while waiting for data.
        """
        ...

    def close(self) -> None:
        """Stop producing and release connections and files; safe to call twice."""
        ...


SourceFactory = Callable[..., Source]

# kind -> "module:attribute", imported on first use (the simulator should not import tweepy).
_BUILTIN: dict[str, str] = {
    "simulator": "tweektrend_dagster.ingest.sources.simulator:Simulator",
    "replay": "tweektrend_dagster.ingest.sources.replay:Replay",
    "x-api": "tweektrend_dagster.ingest.sources.x_api:XFilteredStream",
    "x-sample": "tweektrend_dagster.ingest.sources.x_api:XSampleStream",
    "bluesky": "tweektrend_dagster.ingest.sources.bluesky:JetstreamSource",
    "mastodon": "tweektrend_dagster.ingest.sources.mastodon:MastodonSource",
}
# the network each built-in kind's posts come from (a replay may hold any)
SOURCE_NETWORKS: dict[str, str] = {
    "simulator": "x", "x-api": "x", "x-sample": "x", "bluesky": "bluesky", "mastodon": "mastodon",
}
_REGISTERED: dict[str, SourceFactory] = {}


def register_source(kind: str, factory: SourceFactory) -> None:
    """Make `make_source(kind, ...)` call `factory(**options)`; a later registration wins."""
    _REGISTERED[kind] = factory


def known_kinds() -> list[str]:
    """Every kind `make_source` accepts, sorted."""
    kinds = set(_BUILTIN) | set(_REGISTERED)
    kinds.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(kinds)


def _load(target: str) -> SourceFactory:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def make_source(kind: str, **options: object) -> Source:
    """Build the source called `kind` with `options` as constructor keyword arguments.

    Raises ValueError naming the known kinds when `kind` is unknown.
    """
    factory = _REGISTERED.get(kind)
    if factory is None and kind in _BUILTIN:
        factory = _load(_BUILTIN[kind])
    if factory is None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == kind:
                factory = ep.load()
                break
    if factory is None:
        raise ValueError(f"unknown source kind {kind!r}; known kinds: {', '.join(known_kinds())}")
    return factory(**options)
