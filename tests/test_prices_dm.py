"""The Diebold-Mariano test (tfnote.dm_test) against numbers worked out without it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tfnote.dm_test import dm_test


def t3_cdf(t: float) -> float:
    """Student's t with 3 degrees of freedom has a closed form (no scipy needed):
    F(t) = 1/2 + (a / (1 + a^2) + atan(a)) / pi, a = t / sqrt(3)."""
    a = t / math.sqrt(3)
    return 0.5 + (a / (1 + a * a) + math.atan(a)) / math.pi


def test_by_hand_on_four_days():
    # e1 = [1, -2, 0, 3], e2 = [2, 1, -1, 1]
    # squared:   e1^2 = [1, 4, 0, 9]          e2^2 = [4, 1, 1, 1]
    # d = e1^2 - e2^2 = [-3, 3, -1, 8]        mean(d) = 7 / 4 = 1.75
    # d - mean = [-4.75, 1.25, -2.75, 6.25]   squares 22.5625 + 1.5625 + 7.5625 + 39.0625 = 70.75
    # gamma_0 = 70.75 / 4 = 17.6875           Var(mean d) = gamma_0 / n = 4.421875
    # DM  = 1.75 / sqrt(4.421875) = 1.75 / 2.1028255 = 0.8322136
    # HLN = sqrt((n + 1 - 2h + h(h-1)/n) / n) = sqrt((4 + 1 - 2 + 0) / 4) = sqrt(0.75) = 0.8660254
    # DM* = 0.8322136 * 0.8660254 = 0.7207181
    # p   = 2 * (1 - F_t3(0.7207181)); a = 0.4161068, a / (1 + a^2) = 0.3546935,
    #       atan(a) = 0.3943140, F = 0.5 + 0.7490075 / pi = 0.7384165, p = 0.5231671
    result = dm_test([1, -2, 0, 3], [2, 1, -1, 1])
    assert result.mean_difference == 1.75
    assert result.statistic == pytest.approx(0.7207181, abs=1e-7)
    assert result.p_value == pytest.approx(0.5231671, abs=1e-7)
    assert result.p_value == pytest.approx(2 * (1 - t3_cdf(0.7207181342)), abs=1e-9)
    assert result.verdict == "no better"  # the first lost more, but four days prove nothing


def test_published_example_of_the_dieboldmariano_package():
    # The README of the `dieboldmariano` package on PyPI (edoannunziata/dieboldmariano, which
    # implements the HLN-corrected test like R's forecast::dm.test) shows:
    #   T = [10, 20, 30, 40, 50]; F = [11, 21, 29, 42, 53]; G = [13, 26, 24, 40, 59]
    #   dm_test(T, F, G, one_sided=True) -> (-2.2229922805746782, 0.04515565862099125)
    # Its p-value is one-sided; ours is two-sided, so twice that.
    real = np.array([10, 20, 30, 40, 50])
    f = np.array([11, 21, 29, 42, 53])
    g = np.array([13, 26, 24, 40, 59])
    result = dm_test(f - real, g - real)
    assert result.statistic == pytest.approx(-2.2229922805746782, abs=1e-12)
    assert result.p_value == pytest.approx(2 * 0.04515565862099125, abs=1e-12)
    # By hand: d = [1-9, 1-36, 1-36, 4-0, 9-81] = [-8, -35, -35, 4, -72], mean -29.2,
    # gamma_0 = 3450.8 / 5 = 690.16, DM = -29.2 / sqrt(690.16 / 5) = -2.4853817,
    # DM* = DM * sqrt(4 / 5) = -2.2229923.
    assert result.mean_difference == pytest.approx(-29.2)
    assert result.verdict == "no better"  # p = 0.09 two-sided: not at 5%


def test_verdicts_and_edge_cases():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=240)
    good = 0.5 * rng.normal(size=240)
    assert dm_test(good, noise).verdict == "better"
    assert dm_test(noise, good).verdict == "worse"
    assert dm_test(noise, good).statistic == pytest.approx(-dm_test(good, noise).statistic)
    same = dm_test(noise, noise)  # identical forecasts: no difference at all
    assert (same.statistic, same.p_value, same.verdict) == (0.0, 1.0, "no better")
    # The test is two-sided and symmetric in its p-value
    assert dm_test(noise, good).p_value == pytest.approx(dm_test(good, noise).p_value)
