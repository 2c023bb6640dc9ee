"""The flip-chip flow's first-order thermal network (geometry/flows/flip_chip/thermal.py): hand-computed values for
the small design, and the claimed variants ranked as physics says."""

from __future__ import annotations

import math

import pytest

from geometry import api
from geometry.flows import load_design
from tests.conftest import RECIPES, THERMAL_K, series_r, small_recipe


def estimate(build):
    """The first-order thermal network of ``build``'s finished package, by its flow."""
    return build.flow.thermal(build)


def test_flip_chip_small_stack_by_hand():
    """The small flip-chip design (tests/conftest.py) from its recipe numbers: chip 2 x 2 x 0.3, 30 bumps of
    diameter 0.12 and height 0.09 on 0.11 x 0.015 pads, chip pads 0.08 x 0.005, substrate 0.5, mold cap 0.6,
    25 balls of diameter 0.6 and height 0.5 on 0.5 x 0.02 pads; the substrate with its default two 0.018 mm copper
    planes (parallel in-plane, series through), spread from the chip at atan(sqrt(kxy / kz)) up to its outline."""
    th = estimate(api.run(load_design(small_recipe())))
    a_chip = 2.0 * 2.0
    cover = 0.6 - (0.015 + 0.09 + 0.005 + 0.3)
    top = series_r(0.3, THERMAL_K["Si"], a_chip) + series_r(cover, THERMAL_K["EMC"], a_chip)
    rb, h = 0.06, 0.09
    bump_area = math.pi * (rb * rb * h - ((h - h / 2) ** 3 + (h / 2) ** 3) / 3) / h
    rs, hs = 0.3, 0.5
    ball_area = math.pi * hs * hs * (3 * rs - hs) / 3 / hs
    tc = 2 * 0.018
    kxy = (tc * THERMAL_K["Cu"] + (0.5 - tc) * THERMAL_K["BT"]) / 0.5
    kz = 0.5 / (tc / THERMAL_K["Cu"] + (0.5 - tc) / THERMAL_K["BT"])
    sub = small_recipe()["substrate"]
    spread = min(sub["width"] * sub["length"], (2.0 + 2 * 0.5 * math.sqrt(kxy / kz)) ** 2)
    board = (series_r(0.005, THERMAL_K["Al"], math.pi * 0.04**2, 30) + series_r(0.09, THERMAL_K["SnPb63"], bump_area, 30)
             + series_r(0.015, THERMAL_K["Cu"], math.pi * 0.055**2, 30) + series_r(0.5, kz, spread)
             + series_r(0.02, THERMAL_K["Cu"], math.pi * 0.25**2, 25) + series_r(0.5, THERMAL_K["SAC305"], ball_area, 25))
    assert th.theta_jtop == pytest.approx(top, rel=1e-9)
    assert th.theta_jboard == pytest.approx(board, rel=1e-9)
    assert th.dominant == "board" and th.top_share == pytest.approx(board / (top + board), rel=1e-9)


def test_exposed_back_below_encapsulated_back():
    """Same die: an exposed chip back (claim 7) leaves a lower junction-to-top resistance than a covered one."""
    covered = estimate(api.run(load_design(small_recipe())))
    exposed = estimate(api.run(load_design(small_recipe(
        second_encapsulant={"chip_back": "exposed", "cap_thickness": None}))))
    assert exposed.theta_jtop < covered.theta_jtop
    assert exposed.theta_jtop == pytest.approx(series_r(0.3, THERMAL_K["Si"], 4.0), rel=1e-9)
    assert exposed.theta_jboard == pytest.approx(covered.theta_jboard, rel=1e-12)


def test_heat_sink_below_no_heat_sink():
    """fc-heat-sink against the same design without its heat sink (claim 8)."""
    d = api.load(RECIPES / "flip-chip" / "fc-heat-sink.toml")
    with_sink = estimate(api.run(d))
    without = estimate(api.run(d.model_copy(update={"heat_sink": None})))
    assert with_sink.theta_jtop < without.theta_jtop
    plate = next(e for e in with_sink.elements if e.name == "heat_sink plate")
    assert plate.t_mm == pytest.approx(d.heat_sink.thickness, rel=1e-9)
    assert plate.area_mm2 == pytest.approx(d.heat_sink.width * d.heat_sink.length, rel=1e-9)
