"""Keeps the followed rules' RuleSet in step with the Mongo registry (polled every few seconds)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from tweektrend_dagster.keywords import KeywordRegistry
from tweektrend_dagster.keywords.rules import Rule, RuleSet, legacy_rule

log = logging.getLogger(__name__)


class KeywordWatch:
    """`matcher()` returns the current RuleSet (`.match(tweet)` → keys); a changed registry is
    picked up within `every` s. `fixed`: keywords matched besides the registry's rules."""

    def __init__(
        self,
        registry: KeywordRegistry | None,
        every: float = 2.0,
        fixed: list[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.registry = registry
        self.every = every
        self.fixed: dict[str, Rule] = {r.key: r for r in map(legacy_rule, fixed or [])}
        self.clock = clock
        self._version: str | None = None
        self._checked = float("-inf")
        self._matcher = RuleSet(self.fixed)
        self.on_change: list[Callable[[list[str]], None]] = []

    def matcher(self) -> RuleSet:
        now = self.clock()
        if self.registry is not None and now - self._checked >= self.every:
            self._checked = now
            try:
                version = self.registry.version()
                if version != self._version:
                    rules = {**self.registry.active_rules(), **self.fixed}
                    self._matcher = RuleSet(rules)
                    self._version = version
                    keys = sorted(rules)
                    log.info("rules now %d: %s", len(keys), ", ".join(keys[:20]))
                    for callback in self.on_change:
                        callback(keys)
            except Exception as exc:  # a registry outage must not stop the stream
                log.warning(
                    "keyword registry unreachable, keeping %d rules: %s", len(self._matcher), exc
                )
        return self._matcher
