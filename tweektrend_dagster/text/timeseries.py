"""Series statistics for the trend documents: spike score, correlation, lag, period change.

Pure Python on short series (24 hourly or ≤ 92 daily buckets), so no numpy is needed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

MAD_TO_SIGMA = 1.4826  # MAD · 1.4826 estimates σ for normally distributed noise


def spike_scores(
    values: Sequence[float],
    window: int = 24,
    threshold: float = 3.0,
    min_baseline: float = 5,
    min_history: int | None = None,
) -> list[tuple[float, bool]]:
    """Robust burst score of each bucket against its trailing window, and whether it is a spike.

    score = (x − median) / scale over the previous `window` buckets (the bucket itself excluded),
    scale = max(1.4826·MAD, √max(median, min_baseline)).
    The √ floor is the Poisson noise of a count at that level: a flat series (MAD 0) does not
    make every +1 a spike, and a flat-zero series needs about +7 mentions (with the defaults) to
    reach 3. Buckets with fewer than `min_history` (default max(3, window // 4)) earlier buckets
    score (0.0, False). Scores can be negative (dips); only score ≥ threshold is a spike.
    To score a period's first buckets, pass earlier buckets in front and drop them afterwards.
    """
    if window < 1:
        raise ValueError("window must be >= 1")
    need = max(3, window // 4) if min_history is None else max(1, min_history)
    out: list[tuple[float, bool]] = []
    for i, x in enumerate(values):
        history = values[max(0, i - window) : i]
        if len(history) < need:
            out.append((0.0, False))
            continue
        median = statistics.median(history)
        mad = statistics.median([abs(v - median) for v in history])
        scale = max(MAD_TO_SIGMA * mad, math.sqrt(max(median, min_baseline)))
        score = (x - median) / scale
        out.append((score, score >= threshold))
    return out


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson r of two equally long series; None when n < 3 or either series is constant."""
    if len(x) != len(y):
        raise ValueError(f"series differ in length: {len(x)} != {len(y)}")
    n = len(x)
    if n < 3:
        return None
    mx = math.fsum(x) / n
    my = math.fsum(y) / n
    sxx = math.fsum((a - mx) ** 2 for a in x)
    syy = math.fsum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return None
    sxy = math.fsum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def lagged_pearson(x: Sequence[float], y: Sequence[float], lag: int) -> float | None:
    """Pearson r of x[t] with y[t − lag] over the overlap (lag > 0: y leads x by `lag` buckets)."""
    if len(x) != len(y):
        raise ValueError(f"series differ in length: {len(x)} != {len(y)}")
    n = len(x)
    if abs(lag) >= n:
        return None
    if lag >= 0:
        return pearson(x[lag:], y[: n - lag])
    return pearson(x[: n + lag], y[-lag:])


def best_lag(x: Sequence[float], y: Sequence[float], max_lag: int) -> tuple[int, float | None]:
    """The lag in [−max_lag, max_lag] with the strongest correlation |r|, and r at that lag.

    Lag convention: a positive lag L means y leads x by L buckets (x[t] tracks y[t − L]): if the
    reference term "covid" rises two days before "코로나", best_lag(코로나, covid, 7) → (2, r).
    Negative: x leads y. Ties go to the smaller |lag|, then to the positive one. (0, None) when
    no lag has a defined r. Keep max_lag small next to len(x): overlaps shrink with the lag.
    """
    best: tuple[int, float | None] = (0, None)
    # Order 0, 1, -1, 2, -2, ... so a strict '>' keeps the smallest |lag| on ties.
    for lag in sorted(range(-max_lag, max_lag + 1), key=lambda v: (abs(v), -v)):
        r = lagged_pearson(x, y, lag)
        if r is None:
            continue
        if best[1] is None or abs(r) > abs(best[1]) + 1e-12:
            best = (lag, r)
    return best


def pct_change(cur: float | None, prev: float | None) -> float | None:
    """Change from prev to cur in percent (50.0 = +50%); None when prev is missing or zero."""
    if cur is None or prev is None or prev == 0:
        return None
    return (cur - prev) / abs(prev) * 100.0
