"""The cavity flow, measured: volumes against hand-computed values, z-levels, the three die placements, the etch."""

from __future__ import annotations

from math import pi, radians, tan

import numpy as np
import pytest

from geometry import flows
from geometry.flows import load_design
from geometry.measure.tubes import constituents
from tests.conftest import small_cavity

N_PADS, N_WIRES = 64, 24
AREA_OUT, AREA_OPEN = 8 * 8, 3 * 3


def build(**changes):
    return flows.run(load_design(small_cavity(**changes)))


@pytest.fixture(scope="module")
def smaller():
    return build()


@pytest.fixture(scope="module")
def equal():
    return build(die={"width": 3.0, "length": 3.0})


@pytest.fixture(scope="module")
def over():
    return build(die={"width": 4.0, "length": 4.0, "placement": "over"}, mold_compound={"thickness": 0.7})


def test_steps_follow_claim_1(smaller):
    assert [r.step.key for r in smaller.history] == ["provide_substrate", "dispose_slice", "dispose_die",
                                                     "form_bond_wires", "form_mold", "etch_slice",
                                                     "form_solder_balls"]
    assert smaller.history[-1].step.claim == "2; 3"


def test_substrate_slice_and_adhesive_volumes(smaller):
    before, after = smaller.after("dispose_slice"), smaller.stack
    pad = pi * 0.175**2
    assert before["substrate"].volume() == pytest.approx((AREA_OUT - AREA_OPEN) * 0.36, rel=1e-9)
    assert before["bottom_pads"].volume() == pytest.approx(N_PADS * pad * 0.015, rel=1e-6)
    assert before["bond_fingers"].volume() == pytest.approx(N_WIRES * 0.08 * 0.3 * 0.015, rel=1e-9)
    adhesive = (AREA_OUT - AREA_OPEN - N_PADS * pad) * 0.015 + (AREA_OUT - AREA_OPEN) * 0.015
    assert before["slice_adhesive"].volume() == pytest.approx(adhesive, rel=1e-6)
    assert before["metal_slice"].volume() == pytest.approx(AREA_OUT * 0.15, rel=1e-9)
    # the etch keeps a 4 x 4 mm slug (opening + 0.5 mm a side) and the adhesive under it
    assert "metal_slice" not in after and after["heat_slug"].volume() == pytest.approx(16 * 0.15, rel=1e-9)
    assert after["slice_adhesive"].volume() == pytest.approx((16 - AREA_OPEN) * 0.03, rel=1e-6)
    assert after["heat_slug"].bounds() == pytest.approx([-2, -2, -0.18, 2, 2, -0.03])


def test_die_smaller_than_opening_gets_a_gap_fill(smaller):
    s = smaller.stack
    assert s["die_adhesive"].volume() == pytest.approx(2 * 2 * 0.025, rel=1e-9)
    assert s["die"].volume() == pytest.approx(2 * 2 * 0.25, rel=1e-9)
    assert s["gap_fill"].volume() == pytest.approx((AREA_OPEN - 4) * 0.275, rel=1e-9)
    assert s["die"].bounds()[[2, 5]] == pytest.approx([-0.005, 0.245])
    assert s["gap_fill"].bounds() == pytest.approx([-1.5, -1.5, -0.03, 1.5, 1.5, 0.245])
    mold = 7 * 7 * 0.6 + AREA_OPEN * 0.39 - 4 * 0.275 - (AREA_OPEN - 4) * 0.275
    assert s["mold_compound"].volume() == pytest.approx(mold, rel=1e-9)


def test_die_equal_to_opening_has_no_gap(equal):
    s = equal.stack
    assert "gap_fill" not in s
    assert s["die"].bounds()[[0, 3]] == pytest.approx([-1.5, 1.5])
    assert s["mold_compound"].volume() == pytest.approx(7 * 7 * 0.6 + AREA_OPEN * (0.39 - 0.275), rel=1e-9)


def test_die_over_opening_sits_on_the_substrate_and_its_adhesive_fills_the_opening(over):
    s = over.stack
    assert "gap_fill" not in s
    assert s["die_adhesive"].volume() == pytest.approx(4 * 4 * 0.025 + AREA_OPEN * 0.39, rel=1e-9)
    assert s["die_adhesive"].bounds()[[2, 5]] == pytest.approx([-0.03, 0.385])
    assert s["die"].bounds()[[2, 5]] == pytest.approx([0.385, 0.635])
    mold = 7 * 7 * 0.7 - 4 * 4 * 0.275
    assert s["mold_compound"].volume() == pytest.approx(mold, rel=1e-9)


def test_wires_are_few_prototypes_placed_many_times(smaller):
    assert smaller.stack["bond_wires"].count == N_WIRES  # one solid per wire
    wires = constituents(smaller.stack["bond_wires"])
    balls, stitches, loops = wires.parts[0], wires.parts[1], wires.parts[2:]
    assert balls.count == N_WIRES and stitches.count == N_WIRES and sum(p.count for p in loops) == N_WIRES
    assert len(loops) <= N_WIRES // 4
    assert balls.volume() == pytest.approx(N_WIRES * pi * 0.03**2 * 0.015, rel=1e-6)
    # default stitch 2.5 x 1.5 wire diameters, one diameter thick at the heel and half at the tail
    d = 0.025
    assert stitches.volume() == pytest.approx(N_WIRES * 2.5 * d * 1.5 * d * (d + d / 2) / 2, rel=1e-9)
    assert wires.bounds()[[2, 5]] == pytest.approx([0.25, 0.495], abs=1e-6)
    for p in loops:
        ends = p.spines()[:, [0, -1]]
        assert ends[:, 0, 2] == pytest.approx(0.265) and ends[:, 1, 2] == pytest.approx(0.3875)
    pads = smaller.stack["die_pads"].parts[0].origins[:, :2]
    starts = np.vstack([p.spines()[:, 0, :2] for p in loops])
    assert np.allclose(np.sort(starts, axis=0), np.sort(pads, axis=0))
    ends = np.vstack([p.spines()[:, -1, :2] for p in loops])
    assert np.allclose(np.sort(ends, axis=0), np.sort(stitches.origins[:, :2], axis=0), atol=1e-12)
    fingers = smaller.stack["bond_fingers"].parts[0].origins[:, :2]
    assert np.allclose(np.sort(ends, axis=0), np.sort(fingers, axis=0), atol=1e-4)  # loops swept at 0.1 um spans
    assert stitches.origins[:, 2] == pytest.approx(0.375)


def test_mold_embeds_wires_and_counts_them_once(smaller):
    s = smaller.stack
    mold = s["mold_compound"]
    assert set(mold.embeds) == {"bond_fingers", "die_pads", "bond_wires"}
    inner = sum(s[n].volume() for n in mold.embeds)
    assert s.net_volume("mold_compound") == pytest.approx(mold.volume() - inner)


def test_balls_hang_from_the_pads_below_the_slug(smaller):
    s = smaller.stack
    assert s["solder_balls"].count == N_PADS
    ball = pi * 0.38**2 * (3 * 0.225 - 0.38) / 3
    assert s["solder_balls"].volume() == pytest.approx(N_PADS * ball, rel=1e-6)
    assert s["solder_balls"].bounds()[[2, 5]] == pytest.approx([-0.395, -0.015])
    assert s["heat_slug"].bounds()[2] > s["solder_balls"].bounds()[2]


def test_drafted_mold_is_a_frustum():
    b = build(mold_compound={"draft_angle": 10.0})
    top = 7 - 2 * 0.6 * tan(radians(10))
    frustum = 0.6 / 3 * (49 + top**2 + 7 * top)
    cavity = AREA_OPEN * 0.39 - 4 * 0.275 - (AREA_OPEN - 4) * 0.275
    assert b.stack["mold_compound"].volume() == pytest.approx(frustum + cavity, rel=1e-9)


def test_slice_adhesive_is_one_solid(smaller):
    """The adhesive around the bottom pads and the sheet under them are one part (issue 13: physical counts)."""
    from geometry.core import occ

    for s in (smaller.after("dispose_slice"), smaller.stack):
        a = s["slice_adhesive"]
        assert a.count == 1 and len(a.parts[0].shape.Solids()) == 1 and occ.is_valid(a.parts[0].shape)
