"""First-order thermal network: hand-computed values for simple stacks, and the variants ranked as physics says."""

from __future__ import annotations

import dataclasses
import math

import pytest
from conftest import RECIPES, small_cavity, small_recipe

from geometry import api, occ
from geometry.params import load_design
from geometry.stack import Body
from geometry.thermal import AIR_CONDUCTIVITY, estimate

K = {"Si": 148.0, "EMC": 0.9, "Al": 237.0, "SnPb63": 50.0, "Cu": 398.0, "BT": 0.4, "SAC305": 58.0,
     "die_attach": 2.5}
"""Conductivities (W/m.K) as typed in the material table."""


def r(t_mm: float, k: float, a_mm2: float, n: int = 1) -> float:
    return 1000.0 * t_mm / (k * a_mm2 * n)


def test_flip_chip_small_stack_by_hand():
    """The small flip-chip design (tests/conftest.py) from its recipe numbers: chip 2 x 2 x 0.3, 30 bumps of
    diameter 0.12 and height 0.09 on 0.11 x 0.015 pads, chip pads 0.08 x 0.005, substrate 0.5, mold cap 0.6,
    25 balls of diameter 0.6 and height 0.5 on 0.5 x 0.02 pads."""
    th = estimate(api.run(load_design(small_recipe())))
    a_chip = 2.0 * 2.0
    cover = 0.6 - (0.015 + 0.09 + 0.005 + 0.3)
    top = r(0.3, K["Si"], a_chip) + r(cover, K["EMC"], a_chip)
    rb, h = 0.06, 0.09
    bump_area = math.pi * (rb * rb * h - ((h - h / 2) ** 3 + (h / 2) ** 3) / 3) / h
    rs, hs = 0.3, 0.5
    ball_area = math.pi * hs * hs * (3 * rs - hs) / 3 / hs
    board = (r(0.005, K["Al"], math.pi * 0.04**2, 30) + r(0.09, K["SnPb63"], bump_area, 30)
             + r(0.015, K["Cu"], math.pi * 0.055**2, 30) + r(0.5, K["BT"], a_chip)
             + r(0.02, K["Cu"], math.pi * 0.25**2, 25) + r(0.5, K["SAC305"], ball_area, 25))
    assert th.theta_jtop == pytest.approx(top, rel=1e-9)
    assert th.theta_jboard == pytest.approx(board, rel=1e-9)
    assert th.dominant == "top" and th.top_share == pytest.approx(board / (top + board), rel=1e-9)


def test_cavity_small_stack_by_hand():
    """The small cavity design: die 2 x 2 x 0.25 on 0.025 of die attach on a 0.15 copper slice, slice adhesive
    0.03, substrate 0.36, mold 0.6 over the substrate top; slug 4 x 4 (the 3 x 3 opening grown by 0.5)."""
    build = api.run(load_design(small_cavity()))
    th = estimate(build)
    die_top = -0.03 + 0.025 + 0.25
    assert th.theta_jtop == pytest.approx(r(0.36 + 0.6 - die_top, K["EMC"], 4.0), rel=1e-9)
    by = {e.name: e for e in th.elements}
    assert by["die"].r == pytest.approx(r(0.25, K["Si"], 4.0), rel=1e-9)
    assert by["die_adhesive"].r == pytest.approx(r(0.025, K["die_attach"], 4.0), rel=1e-9)
    assert by["heat_slug"].r == pytest.approx(r(0.15, K["Cu"], 16.0), rel=1e-9)
    seat = -0.015 - build.design.solder_balls.height
    gap = r(-0.03 - 0.15 - seat, AIR_CONDUCTIVITY, 16.0)
    assert by["standoff gap under slug (air)"].r == pytest.approx(gap, rel=1e-9)
    branch_b = sum(e.r for e in th.elements if e.note.startswith("branch B"))
    serial = by["die"].r + by["die_adhesive"].r + by["heat_slug"].r
    assert th.theta_jboard == pytest.approx(serial + 1 / (1 / gap + 1 / branch_b), rel=1e-12)


def test_exposed_back_below_encapsulated_back():
    """Same die: an exposed chip back (claim 7) leaves a lower junction-to-top resistance than a covered one."""
    covered = estimate(api.run(load_design(small_recipe())))
    exposed = estimate(api.run(load_design(small_recipe(
        second_encapsulant={"chip_back": "exposed", "cap_thickness": None}))))
    assert exposed.theta_jtop < covered.theta_jtop
    assert exposed.theta_jtop == pytest.approx(r(0.3, K["Si"], 4.0), rel=1e-9)
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


def test_die_over_opening_connects_through_the_adhesive_fill():
    """cavity-over (claims 7-8): the adhesive filling the opening joins die and slug with a hand-checkable
    resistance; the same stack with the fill cut away above the substrate top has no slug path."""
    build = api.run(api.load(RECIPES / "cavity" / "cavity-over.toml"))
    d = build.design
    th = estimate(build)
    o = d.opening
    a_open = o.width * o.length - (4 - math.pi) * o.corner_radius**2
    fill = r(d.z_top - d.z_floor, K["die_attach"], a_open) + r(d.die_adhesive.thickness, K["die_attach"],
                                                                d.die.width * d.die.length)
    assert next(e for e in th.elements if e.name == "die_adhesive").r == pytest.approx(fill, rel=1e-6)
    assert math.isfinite(th.theta_jboard)
    s = build.stack
    glue = s["die_adhesive"]
    b = glue.bounds()
    layer = occ.common(glue.parts[0].shape, [occ.box(b[0], b[1], d.z_top, b[3], b[4], b[5])])
    cut = Body(glue.name, glue.material_name, (glue.parts[0].with_shape(layer),))
    last = dataclasses.replace(build.history[-1], stack=s.replace(cut))
    unfilled = estimate(dataclasses.replace(build, history=(*build.history[:-1], last)))
    assert math.isinf(unfilled.theta_jboard)
    assert th.theta_jboard < unfilled.theta_jboard
