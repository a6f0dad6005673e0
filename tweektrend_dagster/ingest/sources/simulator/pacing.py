"""Holding the simulated clock to the wall clock when the stream runs at a given rate.

The simulator advances simulated time by Poisson gaps; with `rate > 0` each post waits until its
simulated moment is due in real time. A consumer that falls far behind is not caught up with a
flood: past five seconds late the pacer moves its reference instead.
"""

from __future__ import annotations

from collections.abc import Callable

CATCH_UP_LIMIT = 5.0  # seconds late after which the pacer stops trying to catch up


class Pacer:
    """Maps simulated time (from `t0`) onto the wall clock read now from `clock`."""

    def __init__(
        self, t0: float, clock: Callable[[], float], sleep: Callable[[float], object]
    ) -> None:
        self._t0 = t0
        self._clock = clock
        self._sleep = sleep
        self._wall0 = clock()

    def wait(self, t: float) -> bool:
        """Sleep until simulated time `t` is due; True if it slept (the caller checks for stop)."""
        target = self._wall0 + (t - self._t0)
        now = self._clock()
        if target - now > 0.001:
            self._sleep(target - now)
            return True
        if now - target > CATCH_UP_LIMIT:
            self._wall0 += now - target  # too far behind: stop trying to catch up
        return False
