"""The flip-chip flow, measured: volumes against hand-computed values and z-levels after every step."""

from __future__ import annotations

from math import pi

import numpy as np
import pytest

from geometry import api, flows
from geometry.flows import load_design
from tests.conftest import small_recipe

N_BUMPS, N_BALLS = 30, 25


def barrel(r: float, c: float, top: float) -> float:
    """Volume of a sphere (radius r, centre c above the base) between the base and ``top`` (mm3)."""
    return pi * (r * r * top - ((top - c) ** 3 + c**3) / 3)


@pytest.fixture(scope="module")
def basic():
    return flows.run(load_design(small_recipe()))


@pytest.fixture(scope="module")
def polished():
    return flows.run(load_design(small_recipe(first_encapsulant={"thickness": 0.2, "polish": True,
                                                                 "polish_plane": 0.085})))


def test_steps_follow_claim_1_in_order(basic):
    assert [r.step.key for r in basic.history] == ["prepare_substrate", "dispose_bumps", "form_first_encapsulant",
                                                   "mount_chip", "form_second_encapsulant", "implant_solder_balls"]
    assert [r.step.clause for r in basic.history] == ["1)", "2)", "3)", "4)", "5)", "6)"]
    assert all(r.step.claim == "1" for r in basic.history)


def test_steps_never_mutate_earlier_stacks(basic):
    names = [r.stack.names for r in basic.history]
    assert [len(n) for n in names] == [3, 4, 5, 7, 8, 9]
    assert basic.after("dispose_bumps").names == ("substrate", "substrate_pads", "ball_pads", "bumps")


def test_volumes_match_hand_computed_values(basic):
    s = basic.stack
    assert s["substrate"].volume() == pytest.approx(6 * 6 * 0.5, rel=1e-9)
    assert s["substrate_pads"].volume() == pytest.approx(N_BUMPS * pi * 0.055**2 * 0.015, rel=1e-6)
    bump = barrel(0.06, 0.045, 0.09)
    assert s["bumps"].volume() == pytest.approx(N_BUMPS * bump, rel=1e-6)
    enc = 3 * 3 * 0.105 - N_BUMPS * (pi * 0.055**2 * 0.015 + bump)
    assert s["first_encapsulant"].volume() == pytest.approx(enc, rel=1e-6)
    assert s["chip"].volume() == pytest.approx(2 * 2 * 0.3, rel=1e-9)
    assert s["chip_pads"].volume() == pytest.approx(N_BUMPS * pi * 0.04**2 * 0.005, rel=1e-6)
    mold = 6 * 6 * 0.6 - 3 * 3 * 0.105 - 2 * 2 * (0.005 + 0.3)
    assert s["second_encapsulant"].volume() == pytest.approx(mold, rel=1e-6)
    assert s["ball_pads"].volume() == pytest.approx(N_BALLS * pi * 0.25**2 * 0.02, rel=1e-6)
    ball = pi * 0.5**2 * (3 * 0.3 - 0.5) / 3
    assert s["solder_balls"].volume() == pytest.approx(N_BALLS * ball, rel=1e-6)


def test_counts_of_solids(basic):
    s = basic.stack
    counts = {b.name: b.count for b in s}
    assert counts == {"substrate": 1, "substrate_pads": 30, "ball_pads": 25, "bumps": 30, "chip_pads": 30,
                      "chip": 1, "second_encapsulant": 1, "solder_balls": 25,
                      "first_encapsulant": 1}  # one solid per encapsulant region; its 30 cells and 4 strips its pieces
    assert [p.count for p in s["first_encapsulant"].parts[0].pieces] == [30, 1, 1, 1, 1]
    assert all(len(b.parts) == 1 for b in s if b.name in {"bumps", "solder_balls", "chip_pads"})


def test_z_levels_after_each_step(basic):
    z = {r.step.key: r.stack for r in basic.history}
    assert z["prepare_substrate"]["substrate"].bounds()[[2, 5]] == pytest.approx([0.0, 0.5])
    assert z["prepare_substrate"]["ball_pads"].bounds()[[2, 5]] == pytest.approx([-0.02, 0.0])
    assert z["dispose_bumps"]["bumps"].bounds()[[2, 5]] == pytest.approx([0.515, 0.605])
    assert z["form_first_encapsulant"]["first_encapsulant"].bounds()[[2, 5]] == pytest.approx([0.5, 0.605])
    assert z["mount_chip"]["chip_pads"].bounds()[[2, 5]] == pytest.approx([0.605, 0.61])
    assert z["mount_chip"]["chip"].bounds()[[2, 5]] == pytest.approx([0.61, 0.91])
    assert z["form_second_encapsulant"]["second_encapsulant"].bounds()[[2, 5]] == pytest.approx([0.5, 1.1])
    assert z["implant_solder_balls"]["solder_balls"].bounds()[[2, 5]] == pytest.approx([-0.52, -0.02])


def test_bumps_sit_on_their_pads_and_chip_pads_on_bump_ends(basic):
    s = basic.stack
    pads, bumps, cpads = (s[n].parts[0].origins for n in ("substrate_pads", "bumps", "chip_pads"))
    assert np.allclose(pads[:, :2], bumps[:, :2]) and np.allclose(bumps[:, :2], cpads[:, :2])
    assert np.allclose(bumps[:, 2], 0.515) and np.allclose(cpads[:, 2], 0.605)


def test_polish_cuts_encapsulant_and_bumps_to_one_plane(polished):
    keys = [r.step.key for r in polished.history]
    assert keys.index("polish") == keys.index("form_first_encapsulant") + 1
    before, after = polished.after("form_first_encapsulant"), polished.after("polish")
    assert before["first_encapsulant"].bounds()[5] == pytest.approx(0.7)
    assert after["first_encapsulant"].bounds()[5] == pytest.approx(0.585)
    assert after["bumps"].bounds()[5] == pytest.approx(0.585)
    assert after["bumps"].volume() == pytest.approx(N_BUMPS * barrel(0.06, 0.045, 0.07), rel=1e-6)
    assert before["bumps"].volume() == pytest.approx(N_BUMPS * barrel(0.06, 0.045, 0.09), rel=1e-6)
    assert after["bumps"].count == N_BUMPS
    enc = 3 * 3 * 0.085 - N_BUMPS * (pi * 0.055**2 * 0.015 + barrel(0.06, 0.045, 0.07))
    assert after["first_encapsulant"].volume() == pytest.approx(enc, rel=1e-6)
    assert polished.stack["chip"].bounds()[2] == pytest.approx(0.59)


def test_exposed_chip_back_is_flush_with_the_mold():
    b = flows.run(load_design(small_recipe(second_encapsulant={"chip_back": "exposed", "cap_thickness": None})))
    s = b.stack
    assert s["second_encapsulant"].bounds()[5] == pytest.approx(s["chip"].bounds()[5])
    mold = 6 * 6 * 0.41 - 3 * 3 * 0.105 - 2 * 2 * 0.305
    assert s["second_encapsulant"].volume() == pytest.approx(mold, rel=1e-6)


def test_heat_sink_is_attached_after_the_chip_and_encapsulated():
    hs = {"width": 5.0, "length": 5.0, "thickness": 0.1, "standoff": 0.47, "leg_width": 0.5}
    b = flows.run(load_design(small_recipe(heat_sink=hs, second_encapsulant={"cap_thickness": 0.7})))
    keys = [r.step.key for r in b.history]
    assert keys.index("attach_heat_sink") == keys.index("mount_chip") + 1
    sink = b.stack["heat_sink"]
    assert sink.volume() == pytest.approx(5 * 5 * 0.1 + 4 * 0.5 * 0.5 * 0.47, rel=1e-6)
    assert sink.bounds() == pytest.approx([-2.5, -2.5, 0.5, 2.5, 2.5, 1.07])
    mold = 6 * 6 * 0.7 - 3 * 3 * 0.105 - 2 * 2 * 0.305 - sink.volume()
    assert b.stack["second_encapsulant"].volume() == pytest.approx(mold, rel=1e-6)


def test_perimeter_bumps_get_empty_cells():
    d = load_design(small_recipe(bumps={"count_x": 8, "count_y": 8, "pitch": 0.25, "diameter": 0.12,
                                        "layout": "perimeter", "rows": 2}, chip={"width": 2.2, "length": 2.2}))
    enc = flows.run(d).stack["first_encapsulant"]
    assert d.bumps.count == 48
    assert enc.count == 1 and [p.count for p in enc.parts[0].pieces[:2]] == [48, 16]
    assert enc.bounds()[[0, 3]] == pytest.approx([-1.5, 1.5])


def test_bump_height_spread_groups_bumps_into_a_few_prototypes():
    d = load_design(small_recipe(bumps={"height_spread": 0.004}, seed=7))
    heights = d.bump_heights()
    assert np.array_equal(heights, load_design(small_recipe(bumps={"height_spread": 0.004}, seed=7)).bump_heights())
    assert not np.array_equal(heights, load_design(small_recipe(bumps={"height_spread": 0.004}, seed=8)).bump_heights())
    assert np.all(np.abs(heights - 0.09) <= 3 * 0.004 + 1e-12)
    s = flows.run(d).stack
    bumps = s["bumps"]
    assert bumps.count == N_BUMPS and 1 < len(bumps.parts) == len(np.unique(heights))
    assert bumps.volume() == pytest.approx(sum(barrel(0.06, h / 2, h) for h in heights), rel=1e-6)
    enc = 3 * 3 * 0.105 - N_BUMPS * pi * 0.055**2 * 0.015 - sum(barrel(0.06, h / 2, min(h, 0.09)) for h in heights)
    assert s["first_encapsulant"].volume() == pytest.approx(enc, rel=1e-6)


def test_polish_levels_bumps_of_spread_heights():
    fe = {"thickness": 0.2, "polish": True, "polish_plane": 0.085}
    d = load_design(small_recipe(bumps={"height_spread": 0.003}, first_encapsulant=fe, seed=3))
    after = flows.run(d).after("polish")["bumps"]
    assert after.bounds()[5] == pytest.approx(0.585)
    ends = [p.shape.BoundingBox().zmax + p.origins[0, 2] for p in after.parts]
    assert max(ends) == pytest.approx(0.585) and min(ends) == pytest.approx(0.585)


def test_ball_diameter_spread_scales_ball_heights():
    d = load_design(small_recipe(solder_balls={"diameter_spread": 0.01}, seed=1))
    dia = d.solder_balls.diameters(d.seed)
    balls = flows.run(d).stack["solder_balls"]
    assert balls.count == N_BALLS and len(balls.parts) == len(np.unique(dia))
    apexes = np.concatenate([p.bounds()[:, 2] for p in balls.parts])
    assert sorted(apexes) == pytest.approx(sorted(-0.02 - 0.5 * dia / 0.6))


def test_spread_bumps_pass_when_polished_below_the_lowest_and_fail_above_it():
    spread = {"height_spread": 0.004}
    low = load_design(small_recipe(bumps=spread, seed=5, first_encapsulant={
        "thickness": 0.2, "polish": True, "polish_plane": 0.015 + 0.09 - 3 * 0.004 - 0.001}))
    results = {c.name: c for c in api.check(flows.run(low))}
    assert results["bumps_ends_exposed"].passed and results["bumps_end_coplanarity"].passed
    high = load_design(small_recipe(bumps=spread, seed=5, first_encapsulant={
        "thickness": 0.2, "polish": True, "polish_plane": 0.015 + 0.09}))
    assert min(high.bump_heights()) < 0.09
    results = {c.name: c for c in api.check(flows.run(high))}
    assert not results["bumps_ends_exposed"].passed
    unpolished = {c.name: c for c in api.check(flows.run(load_design(small_recipe(bumps=spread, seed=5))))}
    assert not unpolished["bumps_end_coplanarity"].passed
