"""How busy each topic is at a (simulated) moment: base popularity, bursts and the daily cycle.

Bursts are what trend detection has to find: now and then one topic rises to several times its
base rate for 5-30 minutes. `spread_times` places a fixed number of posts along that curve for
datasets made in one go (`generate`).
"""

from __future__ import annotations

import math
import random

CHATTER_SHARE = 0.30  # posts about no keyword at all
REFRESH_SECONDS = 10.0  # how often (simulated) topic weights follow bursts and the daily cycle


class Burst:
    __slots__ = ("start", "end", "topic", "mult")

    def __init__(self, start: float, end: float, topic: int, mult: float) -> None:
        self.start, self.end, self.topic, self.mult = start, end, topic, mult

    def factor(self, t: float) -> float:
        """Extra multiplier at t: a fast rise (first 10 %) then a linear decay to the end."""
        x = (t - self.start) / (self.end - self.start)
        if x < 0.0 or x >= 1.0:
            return 0.0
        shape = x / 0.1 if x < 0.1 else (1.0 - x) / 0.9
        return (self.mult - 1.0) * shape


class Intensity:
    """Relative posting intensity over (simulated) time: topic weights with bursts and daily cycle.

    The burst schedule comes from its own random stream, so two instances with the same seed see
    the same bursts however many posts were generated in between.
    """

    def __init__(
        self,
        seed: int,
        t0: float,
        popularity: list[float],
        *,
        burst_every: float = 900.0,
        burst_peak: tuple[float, float] = (4.0, 10.0),
        burst_minutes: tuple[float, float] = (5.0, 30.0),
        diurnal: float = 0.0,
    ) -> None:
        self.popularity = popularity
        self.diurnal = diurnal
        self._rng = random.Random(seed * 1_000_003 + 7)
        self._every = burst_every
        self._peak = burst_peak
        self._minutes = burst_minutes
        self._next_start = (
            t0 + self._rng.expovariate(1.0 / burst_every) * 0.5
            if (popularity and burst_every > 0)
            else math.inf
        )
        self.active: list[Burst] = []
        self.history: list[Burst] = []

    def _advance(self, t: float) -> None:
        while self._next_start <= t:
            r = self._rng
            start = self._next_start
            topic = min(int(r.random() * len(self.popularity)), len(self.popularity) - 1)
            dur = r.uniform(*self._minutes) * 60.0
            burst = Burst(start, start + dur, topic, r.uniform(*self._peak))
            self.active.append(burst)
            self.history.append(burst)
            self._next_start = start + r.expovariate(1.0 / self._every)
        if self.active:
            self.active = [b for b in self.active if b.end > t]

    def weights(self, t: float) -> list[float]:
        """[chatter, topic 1, topic 2, ...] at t; sums to 1 without bursts and daily cycle."""
        self._advance(t)
        mult = [1.0] * len(self.popularity)
        for b in self.active:
            mult[b.topic] += b.factor(t)
        chatter = CHATTER_SHARE if self.popularity else 1.0
        out = [chatter] + [
            (1.0 - CHATTER_SHARE) * p * m for p, m in zip(self.popularity, mult, strict=True)
        ]
        if self.diurnal:
            # Busiest at 13:00 UTC (22:00 in Seoul), quietest twelve hours later.
            day = 1.0 + self.diurnal * math.cos(2 * math.pi * ((t / 3600.0 - 13.0) % 24) / 24.0)
            out = [w * day for w in out]
        return out


def spread_times(
    intensity: Intensity, n: int, t0: float, t1: float, rng: random.Random
) -> list[float]:
    """n increasing times in [t0, t1) spread like the intensity (bursts, daily cycle)."""
    steps = max(100, min(50_000, int((t1 - t0) / REFRESH_SECONDS)))
    dt = (t1 - t0) / steps
    cum = [0.0]
    for j in range(steps):
        cum.append(cum[-1] + sum(intensity.weights(t0 + (j + 0.5) * dt)) * dt)
    total = cum[-1]
    out = []
    j = 0
    for i in range(n):
        # Stratified: one time in each 1/n of the cumulative intensity, so none overflows.
        c = (i + rng.random()) / n * total
        while cum[j + 1] < c:
            j += 1
        out.append(t0 + (j + (c - cum[j]) / (cum[j + 1] - cum[j])) * dt)
    return out
