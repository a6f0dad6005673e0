"""Spike score, Pearson r, lag recovery and period change on known series."""

from __future__ import annotations

import math
import random

import pytest

from tweektrend_dagster.text.timeseries import (
    best_lag,
    lagged_pearson,
    pct_change,
    pearson,
    spike_scores,
)


def _noisy_counts(n: int, level: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [float(max(0, round(rng.gauss(level, math.sqrt(level))))) for _ in range(n)]


def test_spike_detected_in_synthetic_series():
    values = _noisy_counts(48, 100, seed=1)
    values[40] = 400.0  # a burst four times the usual level
    scores = spike_scores(values, window=24)
    spikes = [i for i, (_, is_spike) in enumerate(scores) if is_spike]
    assert spikes == [40]
    assert scores[40][0] > 10


def test_spike_score_hand_computed():
    history = [10.0, 12.0, 14.0, 16.0, 18.0, 20.0]
    # median 15; |dev| = 5,3,1,1,3,5 → MAD 3; scale = max(1.4826·3, √15) = 4.4478
    score, is_spike = spike_scores([*history, 30.0], window=6)[-1]
    assert score == pytest.approx((30 - 15) / (1.4826 * 3))
    assert score == pytest.approx(3.3725, abs=1e-4)
    assert is_spike


def test_flat_series_has_no_spike_and_no_explosion():
    assert all(not s and score == 0.0 for score, s in spike_scores([0.0] * 30))
    flat = spike_scores([50.0] * 30)
    assert all(not s and score == 0.0 for score, s in flat)
    # from a flat zero baseline a single +3 is noise (floor √5), +10 is a burst
    assert spike_scores([0.0] * 24 + [3.0])[-1] == (pytest.approx(3 / math.sqrt(5)), False)
    assert spike_scores([0.0] * 24 + [10.0])[-1][1] is True


def test_first_buckets_without_history_score_zero():
    scores = spike_scores([1.0, 100.0, 1000.0, 5.0, 5.0, 5.0, 5.0, 500.0], window=24)
    # default min_history = max(3, 24 // 4) = 6
    assert scores[:6] == [(0.0, False)] * 6
    assert scores[7][0] != 0.0


def test_dips_score_negative():
    score, is_spike = spike_scores([100.0] * 10 + [10.0], window=10)[-1]
    assert score == pytest.approx(-90 / 10)  # scale = √100
    assert not is_spike


def test_pearson_hand_computed():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    y = [2.0, 4.0, 5.0, 4.0, 5.0]
    # means 3, 4; Σdxdy = 6; Σdx² = 10; Σdy² = 6 → r = 6 / √60 = 0.774597
    assert pearson(x, y) == pytest.approx(6 / math.sqrt(60))
    assert pearson(x, y) == pytest.approx(0.774597, abs=1e-6)
    assert pearson(x, [-v for v in x]) == pytest.approx(-1.0)


def test_pearson_undefined_cases():
    assert pearson([1.0, 2.0], [2.0, 1.0]) is None  # n < 3
    assert pearson([3.0, 3.0, 3.0], [1.0, 2.0, 3.0]) is None  # constant
    with pytest.raises(ValueError):
        pearson([1.0, 2.0, 3.0], [1.0, 2.0])


def test_best_lag_recovers_a_shift_where_y_leads():
    rng = random.Random(5)
    y = [rng.random() * 100 for _ in range(60)]
    x = [0.0, 0.0, 0.0] + y[:-3]  # x[t] = y[t - 3]: the reference y leads by 3
    lag, r = best_lag(x, y, max_lag=7)
    assert lag == 3
    assert r == pytest.approx(1.0)
    assert lagged_pearson(x, y, 3) == pytest.approx(1.0)
    lag, r = best_lag(y, x, max_lag=7)  # roles swapped: x leads → negative lag
    assert lag == -3 and r == pytest.approx(1.0)


def test_best_lag_zero_for_identical_and_none_for_constant():
    series = [1.0, 5.0, 2.0, 8.0, 3.0, 9.0]
    assert best_lag(series, series, 2) == (0, pytest.approx(1.0))
    assert best_lag([1.0] * 6, series, 2) == (0, None)


def test_pct_change():
    assert pct_change(150, 100) == 50.0
    assert pct_change(50, 100) == -50.0
    assert pct_change(10, 0) is None
    assert pct_change(10, None) is None
    assert pct_change(None, 10) is None
