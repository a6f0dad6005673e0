"""The `Simulator` source and `generate()`: the parts of this package put together as a stream.

`Simulator` is the `Source` that `make_source("simulator")` builds: it prepares topics, users,
places and links from one seeded random stream, then yields an envelope per post, with topic
weights following the intensity (bursts, daily cycle) and, when `rate > 0`, paced in real time.
`generate()` makes a fixed dataset over a time span in one go.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from tweektrend_dagster.ingest.sources.simulator import vocab as V
from tweektrend_dagster.ingest.sources.simulator.envelopes import EnvelopeWriter
from tweektrend_dagster.ingest.sources.simulator.intensity import (
    REFRESH_SECONDS,
    Intensity,
    spread_times,
)
from tweektrend_dagster.ingest.sources.simulator.pacing import Pacer
from tweektrend_dagster.ingest.sources.simulator.places import places_by_lang
from tweektrend_dagster.ingest.sources.simulator.text import TextWriter
from tweektrend_dagster.ingest.sources.simulator.topics import topics_for
from tweektrend_dagster.ingest.sources.simulator.users import UserBase


class Simulator:
    """Seeded stream of X API v2 envelopes (`{"data", "includes"}`), one post per payload.

    rate: posts per second at the base level (bursts add to it); 0 = as fast as possible.
    keywords: topics to talk about (default 코로나, BTS, 넷플릭스, covid, Netflix, 아이폰, bitcoin).
    start: simulated start time (historical data); None = now, with real-time created_at.
    users: size of the simulated user base.
    duration: stop after this many simulated seconds; limit: stop after this many posts.
    sim_rate: posts per simulated second when rate=0 (sets how fast the simulated clock runs).
    burst_every: mean simulated seconds between bursts (0 = never).
    diurnal: amplitude of the daily cycle (0 = flat, 0.45 = busy evenings in Seoul).
    clock/sleep: injectable for tests (clock gives epoch seconds).
    """

    name = "simulator"

    def __init__(
        self,
        seed: int = 42,
        rate: float = 200.0,
        keywords: list[str] | None = None,
        start: datetime | None = None,
        users: int = 5000,
        *,
        duration: float | None = None,
        limit: int | None = None,
        sim_rate: float = 200.0,
        burst_every: float = 900.0,
        diurnal: float = 0.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        if rate < 0 or sim_rate <= 0:
            raise ValueError("rate must be >= 0 and sim_rate > 0")
        if users < 10:
            raise ValueError("users must be at least 10")
        self.seed = seed
        self.rate = float(rate)
        self.keywords = list(V.DEFAULT_KEYWORDS if keywords is None else keywords)
        self.start = start
        self.duration = duration
        self.limit = limit
        self._density = self.rate if self.rate > 0 else float(sim_rate)
        self._clock = clock
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._times: Iterator[float] | None = None  # set by generate(): exact timeline
        self.sent = 0
        self.intensity: Intensity | None = None  # the live schedule, once payloads() runs

        # One random stream, drawn in this order: the same seed gives the same posts.
        rng = self._rng = random.Random(seed)
        self.topics = topics_for(self.keywords, rng)
        self._burst_every = burst_every
        self._diurnal = diurnal
        user_base = UserBase(users, rng)
        self.users = user_base.users
        text = TextWriter(rng, self.topics, user_base)
        self._envelopes = EnvelopeWriter(seed, rng, self.topics, user_base, places_by_lang(), text)

    def _intensity(self, t0: float) -> Intensity:
        return Intensity(
            self.seed,
            t0,
            [tp.popularity for tp in self.topics],
            burst_every=self._burst_every,
            diurnal=self._diurnal,
        )

    def payloads(self) -> Iterator[bytes]:
        """Yield envelopes until `limit`, `duration` or `close()`; paced when rate > 0."""
        real_time = self.start is None
        t0 = self._clock() if real_time else self.start.timestamp()  # type: ignore[union-attr]
        intensity = self.intensity = self._intensity(t0)
        end = t0 + self.duration if self.duration is not None else math.inf
        t = t0
        next_refresh = -math.inf
        lam = self._density
        topic_cum: list[float] = []
        expo = self._rng.expovariate
        make = self._envelopes.make
        pacer = Pacer(t0, self._clock, self._sleep)  # reads the clock once, even unpaced
        pace = self.rate > 0
        times = self._times
        while not self._stop.is_set():
            if self.limit is not None and self.sent >= self.limit:
                return
            if times is not None:
                t = next(times, math.inf)
                if t == math.inf:
                    return
            if t >= next_refresh:
                topic_cum = list(accumulate(intensity.weights(t)))
                lam = self._density * topic_cum[-1]
                next_refresh = t + REFRESH_SECONDS
            if t >= end:
                return
            if pace and pacer.wait(t) and self._stop.is_set():
                return
            ts = self._clock() if real_time else t
            yield make(ts, topic_cum)
            self.sent += 1
            if times is None:
                t += expo(lam)

    def close(self) -> None:
        self._stop.set()

    def timeline(self, n: int, t0: float, t1: float) -> list[float]:
        """n increasing times in [t0, t1) spread like the intensity (bursts, daily cycle)."""
        return spread_times(self._intensity(t0), n, t0, t1, random.Random(self.seed * 31 + 5))


def generate(
    n: int,
    seed: int = 42,
    start: datetime | None = None,
    span: timedelta = timedelta(days=1),
    *,
    keywords: list[str] | None = None,
    **options: object,
) -> list[bytes]:
    """A fixed dataset: n envelopes spread over [start, start + span) with bursts and a daily
    cycle. `start` defaults to the last whole hour minus `span`; options go to `Simulator`."""
    if start is None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        start = now - span
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    options.setdefault("diurnal", 0.45)
    sim = Simulator(seed=seed, rate=0, keywords=keywords, start=start, limit=n, **options)
    t0 = start.timestamp()
    sim._times = iter(sim.timeline(n, t0, t0 + span.total_seconds()))
    return list(sim.payloads())
