"""The Zipf sampler every simulated choice goes through (words, users, places, links).

Real word and account frequencies fall off with rank, so each list in `vocab` is ordered by
frequency and sampled here with weight 1/rank**s; one bisect per pick keeps it fast.
"""

from __future__ import annotations

from bisect import bisect
from itertools import accumulate
from typing import Any


class Zipf:
    """Sample `items` with weight 1/rank**s; `pick(u)` maps a uniform u in [0, 1) to an item."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, items: tuple | list, s: float = 1.0) -> None:
        if not items:
            raise ValueError("Zipf needs at least one item")
        self.items = tuple(items)
        self.cum = list(accumulate(1.0 / (r + 1) ** s for r in range(len(self.items))))
        self.total = self.cum[-1]

    def pick(self, u: float) -> Any:
        return self.items[bisect(self.cum, u * self.total)]
