"""The per-variant job (geometry/sweep/worker.py), in this process: margins, and the rows of :func:`run_variant`
for a good, a refused, a failing and a late recipe."""

from __future__ import annotations

import json
import math

import pytest

from geometry.sweep.worker import margin, run_variant
from tests.conftest import small_recipe, with_failing_step


def test_margin_takes_the_sense_from_the_result():
    assert margin(0.02, 0.15, True) == pytest.approx(0.13)  # an upper bound met
    assert margin(0.20, 0.15, False) == pytest.approx(-0.05)  # an upper bound exceeded
    assert margin(0.30, 0.05, True) == pytest.approx(0.25)  # a lower bound met
    assert margin(0.01, 0.05, False) == pytest.approx(-0.04)  # a lower bound missed
    assert margin(math.inf, 1.0, False) is None


def test_run_variant_rows_are_plain_data():
    ok = run_variant(small_recipe())
    assert ok["status"] == "ok" and ok["passed"] is True and ok["reason"] == ""
    assert ok["params"]["bumps.pitch"] == 0.2 and ok["params"]["chip.thickness"] == 0.3
    checks = {c["name"]: c for c in ok["checks"]}
    cover = checks["chip_back_encapsulated"]
    assert cover["margin"] == pytest.approx(cover["value"] - cover["limit"]) and cover["margin"] > 0
    assert {b["name"] for b in ok["bodies"]} >= {"substrate", "bumps", "chip", "solder_balls"}
    assert ok["totals"]["mass_mg"] == pytest.approx(sum(b["mass_mg"] for b in ok["bodies"]))
    json.dumps(ok, allow_nan=False)

    bad = run_variant(small_recipe(bumps={"pitch": 0.1}))
    assert bad["status"] == "invalid" and "bumps.pitch 0.1 must be larger than the diameter" in bad["reason"]

    err = with_failing_step(small_recipe(), run_variant)
    assert err["status"] == "error" and err["passed"] is None
    assert err["reason"].startswith("KernelError: injected: the chip cannot be mounted (at ")

    late = run_variant(small_recipe(), timeout=1e-9)
    assert late["status"] == "timeout" and "before step prepare_substrate" in late["reason"]
