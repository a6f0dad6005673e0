"""Keeps a KeywordMatcher in step with the Mongo keyword registry (polled every few seconds)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from tweektrend_dagster.keywords import KeywordMatcher, KeywordRegistry

log = logging.getLogger(__name__)


class KeywordWatch:
    """`matcher()` returns the current matcher; a changed registry is picked up within `every` s."""

    def __init__(
        self,
        registry: KeywordRegistry | None,
        every: float = 2.0,
        fixed: list[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.registry = registry
        self.every = every
        self.fixed = list(fixed or [])
        self.clock = clock
        self._version: str | None = None
        self._checked = float("-inf")
        self._matcher = KeywordMatcher(self.fixed)
        self.on_change: list[Callable[[list[str]], None]] = []

    def matcher(self) -> KeywordMatcher:
        now = self.clock()
        if self.registry is not None and now - self._checked >= self.every:
            self._checked = now
            try:
                version = self.registry.version()
                if version != self._version:
                    keywords = sorted(set(self.registry.active_keywords()) | set(self.fixed))
                    self._matcher = KeywordMatcher(keywords)
                    self._version = version
                    log.info("keywords now %d: %s", len(keywords), ", ".join(keywords[:20]))
                    for callback in self.on_change:
                        callback(keywords)
            except Exception as exc:  # a registry outage must not stop the stream
                log.warning(
                    "keyword registry unreachable, keeping %d keywords: %s", len(self._matcher), exc
                )
        return self._matcher
