"""Yield statistics (geometry.measure.stats): intervals, DPM and Cpk against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geometry.measure.stats import clopper_pearson, cpk, dpm, lower_bound, margin_summary, wilson, yield_ci


def test_clopper_pearson_at_the_ends():
    # 0/100: upper = 1 - 0.025 ** (1/100) = 0.03622 (the "rule of three" bound at 97.5 %)
    low, high = clopper_pearson(0, 100)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 100), rel=1e-9)
    assert high == pytest.approx(0.0362, abs=1e-4)
    low, high = clopper_pearson(100, 100)
    assert high == 1.0 and low == pytest.approx(0.025 ** (1 / 100), rel=1e-9)


def test_clopper_pearson_inside():
    # 95/100: the tabulated exact interval [0.8872, 0.9836]
    low, high = clopper_pearson(95, 100)
    assert low == pytest.approx(0.8872, abs=1e-4) and high == pytest.approx(0.9836, abs=1e-4)


def test_wilson_95_of_100_by_hand():
    z = 1.959963984540054
    p, n = 0.95, 100
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = wilson(95, 100)
    assert (low, high) == pytest.approx((centre - half, centre + half), rel=1e-12)
    assert (low, high) == pytest.approx((0.8883, 0.9785), abs=1e-4)


def test_wilson_is_narrower_than_exact_inside_and_both_hold_the_estimate():
    for k in (0, 1, 50, 99, 100):
        w, c = wilson(k, 100), clopper_pearson(k, 100)
        assert w[0] <= k / 100 <= w[1] and c[0] <= k / 100 <= c[1]
        if 0 < k < 100:
            assert w[1] - w[0] < c[1] - c[0]
    assert wilson(0, 100)[1] == pytest.approx(0.0370, abs=1e-4)  # z^2/n / (1 + z^2/n)


def test_yield_record_and_refusals():
    y = yield_ci(990, 1000, method="clopper-pearson")
    assert y.value == 0.99 and y.low < 0.99 < y.high and y.as_dict()["draws"] == 1000
    with pytest.raises(ValueError, match="method"):
        yield_ci(1, 2, method="normal")
    with pytest.raises(ValueError, match="passed"):
        wilson(3, 2)


def test_lower_bound_zero_failures():
    # all n pass: the one-sided 95 % lower bound is 0.05 ** (1/n); 299 passes give just above 99 %
    assert lower_bound(299, 299) == pytest.approx(0.05 ** (1 / 299), rel=1e-9)
    assert lower_bound(299, 299) > 0.99 > lower_bound(298, 298)
    assert lower_bound(0, 10) == 0.0


def test_dpm():
    assert dpm(3, 1_000_000) == 3.0 and dpm(1, 400) == 2500.0 and dpm(0, 0) == 0.0
    with pytest.raises(ValueError):
        dpm(-1, 10)


def test_cpk_of_a_known_sample():
    x = np.array([9.0, 10.0, 11.0])  # mean 10, s = 1
    assert cpk(x, upper=13.0) == pytest.approx(1.0)
    assert cpk(x, lower=7.0, upper=16.0) == pytest.approx(1.0)  # the nearer limit rules
    assert cpk(x, lower=4.0) == pytest.approx(2.0)
    assert cpk(x, upper=8.0) == pytest.approx(-2 / 3)
    rng = np.random.default_rng(1)
    big = rng.normal(5.0, 0.5, 200_000)
    assert cpk(big, upper=6.5) == pytest.approx(1.0, abs=0.01)
    assert cpk(np.full(5, 2.0), upper=3.0) == math.inf and cpk(np.full(5, 4.0), upper=3.0) == -math.inf
    with pytest.raises(ValueError):
        cpk(x)


def test_margin_summary():
    s = margin_summary(np.arange(101.0), "um", upper=200.0)
    assert s["p50"] == 50.0 and s["p1"] == 1.0 and s["max"] == 100.0 and s["unit"] == "um"
    assert s["cpk"] == pytest.approx((200 - 50) / (3 * np.arange(101.0).std(ddof=1)))


def test_margin_summary_skips_non_finite_values():
    s = margin_summary(np.array([1.0, 2.0, 3.0, np.inf]), "um", lower=0.0)
    assert s["non_finite"] == 1 and s["mean"] == 2.0 and s["cpk"] == pytest.approx(2 / 3)
