"""Checks: every claim check passes on good designs and fails on a purpose-built bad one; the interference engine
agrees with brute force; the seating plane gives hand-computed coplanarity."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import time

import cadquery as cq
import numpy as np
import pytest
from conftest import small_recipe

from geometry import checks, flows, occ
from geometry.params import load_design
from geometry.stack import Body, Instances, Stack


def build(recipe: dict | None = None, design=None):
    return flows.run(design if design is not None else load_design(recipe or small_recipe()))


def with_stack(b, stack: Stack):
    """The build ``b`` with its finished stack replaced by ``stack``."""
    last = dataclasses.replace(b.history[-1], stack=stack)
    return dataclasses.replace(b, history=b.history[:-1] + (last,))


def by_name(results) -> dict[str, checks.CheckResult]:
    return {r.name: r for r in results}


def failing(results) -> list[str]:
    return [r.name for r in results if not r.passed]


POLISHED = small_recipe(first_encapsulant={"thickness": 0.12, "polish": True, "polish_plane": 0.1})
HEAT_SINK = small_recipe(heat_sink={"width": 5.0, "length": 5.0, "thickness": 0.1, "standoff": 0.47,
                                    "leg_width": 0.5})


def exposed_recipe() -> dict:
    r = small_recipe()
    r["second_encapsulant"] = {"chip_back": "exposed"}
    return r


@pytest.fixture(scope="module")
def good():
    return build()


# --- good designs pass everything ---------------------------------------------------------------------------


@pytest.mark.parametrize("recipe", [small_recipe(), POLISHED, HEAT_SINK, exposed_recipe()],
                         ids=["basic", "polished", "heat-sink", "exposed"])
def test_good_designs_pass_every_check(recipe):
    results = checks.run_checks(build(recipe))
    assert not failing(results), [r for r in results if not r.passed]
    names = {r.name for r in results}
    assert {"bumps_end_coplanarity", "bumps_ends_exposed", "chip_pads_on_bumps", "no_interference",
            "solder_balls_coplanarity", "valid_solids"} <= names
    assert ("chip_back_exposed" if "exposed" in json.dumps(recipe) else "chip_back_encapsulated") in names
    assert ({"heat_sink_encapsulated", "heat_sink_clearance"} <= names) == ("heat_sink" in recipe)


def test_claim_references(good):
    r = by_name(checks.run_checks(good))
    assert r["bumps_end_coplanarity"].claim == "claim 1, step 3)"
    assert r["chip_back_encapsulated"].claim == "claim 6"
    assert by_name(checks.run_checks(build(POLISHED)))["bumps_end_coplanarity"].claim.endswith("claim 4")
    assert by_name(checks.run_checks(build(exposed_recipe())))["chip_back_exposed"].claim == "claim 7"


def test_result_to_dict_is_json(good):
    for r in checks.run_checks(good):
        d = r.to_dict()
        assert json.loads(json.dumps(d)) == d
        assert set(d) == {"name", "claim", "value", "limit", "unit", "passed", "where", "detail"}


def test_unknown_flow_is_refused(good):
    with pytest.raises(KeyError, match="no checks registered"):
        checks.run_checks(dataclasses.replace(good, flow="nope"))


# --- 1, 2: bump ends coplanar with the first encapsulant, exposed -------------------------------------------


def test_measured_values_of_good_design(good):
    d = good.design
    r = by_name(checks.run_checks(good))
    assert r["bumps_end_coplanarity"].value < 1e-9
    assert r["bumps_ends_exposed"].value < 1e-9
    assert r["chip_back_encapsulated"].value == pytest.approx(d.z_mold_top - d.z_chip_back)
    assert r["solder_balls_coplanarity"].value == 0.0
    assert r["solder_balls_coplanarity"].limit == 0.15


def test_polished_end_area_matches_design():
    b = build(POLISHED)
    d = b.design
    rad = d.bumps.end_radius(d.z_first_top - d.z_bump_base)
    r = checks.ends_exposed(b.stack, "bumps", "first_encapsulant", math.pi * rad * rad)
    assert r.passed and r.value < 1e-9
    wrong = checks.ends_exposed(b.stack, "bumps", "first_encapsulant", 1.01 * math.pi * rad * rad)
    assert not wrong.passed and wrong.value == pytest.approx(0.01 / 1.01, rel=1e-6)


def test_raised_bump_breaks_coplanarity(good):
    bumps = good.stack["bumps"].parts[0]
    raised = bumps.placements.copy()
    raised[7, 2, 3] += 0.005
    stack = good.stack.replace(Body("bumps", "SnPb63", (Instances(bumps.shape, raised),)))
    r = checks.flat_end_coplanarity(stack, "bumps", "first_encapsulant")
    assert not r.passed
    assert r.value == pytest.approx(0.005)
    assert r.where.startswith("bumps[7] at")


def test_thick_unpolished_encapsulant_buries_bumps():
    b = build(small_recipe(first_encapsulant={"thickness": 0.13}))
    r = by_name(checks.run_checks(b))
    assert not r["bumps_ends_exposed"].passed
    assert r["bumps_ends_exposed"].value == 1.0
    assert "30 of 30 ends covered" in r["bumps_ends_exposed"].detail
    assert not r["bumps_end_coplanarity"].passed
    assert r["bumps_end_coplanarity"].value == pytest.approx(0.13 - 0.105)


# --- 3: chip pads on bump ends -------------------------------------------------------------------------------


def test_offset_chip_pads_miss_bump_ends(good):
    d = good.design
    bad = d.model_copy(update={"chip": d.chip.model_copy(update={"offset_x": d.bumps.pitch / 2})})
    r = by_name(checks.run_checks(build(design=bad)))["chip_pads_on_bumps"]
    assert not r.passed
    assert r.value == d.bumps.count
    assert r.where.startswith("chip_pads[0] at") and "on 0 ends" in r.where


def test_pad_above_bump_end_fails(good):
    pads = good.stack["chip_pads"].parts[0]
    lifted = pads.placements.copy()
    lifted[3, 2, 3] += 1e-4
    stack = good.stack.replace(Body("chip_pads", "Al", (Instances(pads.shape, lifted),)))
    r = checks.pads_on_ends(stack, "chip_pads", "bumps")
    assert r.value == 1 and "chip_pads[3]" in r.where and "off the end" in r.where


# --- 4: interference ------------------------------------------------------------------------------------------


def test_overlapping_extra_body_is_found(good):
    z = good.design.z_chip_face
    intruder = Body.one("intruder", "Cu", occ.box(-0.2, -0.2, z + 0.1, 0.2, 0.2, z + 0.2))
    b = with_stack(good, good.stack.add(intruder))
    r = by_name(checks.run_checks(b))["no_interference"]
    assert not r.passed
    assert r.value == pytest.approx(0.4 * 0.4 * 0.1, rel=1e-6)
    found = checks.interferences(b.stack)
    assert [(f.body_a, f.body_b) for f in found] == [("chip", "intruder")]


def test_overlapping_balls_of_one_array():
    d = load_design(small_recipe())
    balls = d.solder_balls.model_copy(update={"pitch": 0.5})
    pads = d.ball_pads.model_copy(update={"diameter": 0.45})
    found = checks.interferences(build(design=d.model_copy(update={"solder_balls": balls, "ball_pads": pads})).stack)
    assert {(f.body_a, f.body_b) for f in found} == {("solder_balls", "solder_balls")}
    r, dist = 0.3, 0.5
    lens = math.pi * (4 * r + dist) * (2 * r - dist) ** 2 / 12
    assert all(f.overlap_mm3 == pytest.approx(lens, rel=1e-6) for f in found)
    assert sum(int(f.where.split("+")[1].split()[0]) + 1 for f in found) == 2 * 5 * 4


def _studs(xy, z0, size=0.1):
    return Instances.at(occ.box(-size / 2, -size / 2, 0.0, size / 2, size / 2, size), np.column_stack([xy, z0]))


def test_many_distinct_situations_against_a_big_shape_match_brute_force(good):
    """36 irregular studs under the substrate: more situations than MAX_KEYS, so regions prove them."""
    rng = np.random.default_rng(1)
    grid = np.array(list(itertools.product(np.arange(-2.5, 3.0, 1.0), repeat=2)))
    xy = grid + rng.uniform(-0.1, 0.1, grid.shape)
    sunk = rng.random(len(xy)) < 0.5
    z0 = np.where(sunk, -0.05, -0.2 + rng.uniform(0, 0.05, len(xy)))
    stack = good.stack.add(Body("studs", "Cu", (_studs(xy, z0),)))
    found = checks.interferences(stack)
    assert {(f.body_a, f.body_b) for f in found} == {("substrate", "studs")}
    assert len(found) == sunk.sum() > checks.MAX_KEYS / 4
    assert all(f.overlap_mm3 == pytest.approx(0.1 * 0.1 * 0.05, rel=1e-6) for f in found)
    sub = good.stack["substrate"].parts[0].shape
    brute = sum(occ.volume(occ.common(sub, [s])) > 1e-9 for s in stack["studs"].placed())
    assert brute == len(found)
    clear = good.stack.add(Body("studs", "Cu", (_studs(xy, np.full(len(xy), -0.2)),)))
    assert checks.interferences(clear) == []


def test_irregular_members_of_one_body_match_analytic_overlaps():
    rng = np.random.default_rng(7)
    n, size = 60, 0.1
    xyz = np.column_stack([rng.uniform(0, 1.0, (n, 2)), rng.uniform(0, 0.02, n)])
    stack = Stack((Body("cloud", "Cu", (_studs(xyz[:, :2], xyz[:, 2], size),)),))
    found = checks.interferences(stack)
    expected = []
    for a, b in itertools.combinations(range(n), 2):
        ov = np.clip(size - np.abs(xyz[a] - xyz[b]), 0, None)
        if ov.prod() > 1e-9:
            expected.append(ov.prod())
    assert checks.MAX_KEYS < len(expected) < checks.MAX_ATTRIBUTED
    assert sorted(f.overlap_mm3 for f in found) == pytest.approx(sorted(expected), rel=1e-6)


def test_many_overlaps_are_summarised_with_the_same_total():
    """Past MAX_ATTRIBUTED overlaps, leaves are reported whole: fewer entries, the same total volume."""
    rng = np.random.default_rng(7)
    n, size = 70, 0.1
    xyz = np.column_stack([rng.uniform(0, 1.0, (n, 2)), rng.uniform(0, 0.02, n)])
    found = checks.interferences(Stack((Body("cloud", "Cu", (_studs(xyz[:, :2], xyz[:, 2], size),)),)))
    expected = [np.clip(size - np.abs(xyz[a] - xyz[b]), 0, None).prod()
                for a, b in itertools.combinations(range(n), 2)]
    expected = [v for v in expected if v > 1e-9]
    assert len(expected) > checks.MAX_ATTRIBUTED
    assert sum(f.overlap_mm3 for f in found) == pytest.approx(sum(expected), rel=1e-6)
    assert any("combined" in f.where for f in found)


def test_broad_phase_matches_dense_overlap_test():
    rng = np.random.default_rng(3)
    lo = rng.uniform(0, 10, (400, 3))
    hi = lo + np.exp(rng.uniform(np.log(0.01), np.log(8.0), (400, 3)))
    i, j = checks._box_pairs(lo, hi)
    dense = np.all((lo[:, None] < hi[None]) & (lo[None] < hi[:, None]), axis=2)
    expected = {(a, b) for a, b in zip(*np.nonzero(np.triu(dense, 1)), strict=True)}
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == expected
    pts = rng.uniform(0, 10, (300, 3))
    pi, bj = checks._box_pairs(pts, pts, lo, hi, strict=False)
    inside = np.all((lo[None] <= pts[:, None]) & (pts[:, None] <= hi[None]), axis=2)
    assert set(zip(pi.tolist(), bj.tolist(), strict=True)) == set(zip(*np.nonzero(inside), strict=True))


def test_designed_overlap_can_be_ignored(good):
    z = good.design.z_chip_face
    stack = good.stack.add(Body.one("intruder", "Cu", occ.box(-0.2, -0.2, z + 0.1, 0.2, 0.2, z + 0.2)))
    assert checks.interferences(stack, ignore=[("intruder", "chip")]) == []


def test_touching_members_do_not_interfere():
    cube = occ.box(0, 0, 0, 1, 1, 1)
    xyz = np.array(list(itertools.product(range(3), repeat=3)), dtype=float)
    stack = Stack((Body("bricks", "Cu", (Instances.at(cube, xyz),)),
                   Body.one("floor", "BT", occ.box(-1, -1, -1, 4, 4, 0))))
    assert checks.interferences(stack) == []


# --- 5: chip back ---------------------------------------------------------------------------------------------


def test_mold_flush_with_chip_back_fails_claim_6(good):
    d = good.design
    back = d.z_chip_back - d.z_first_surface
    se = d.second_encapsulant.model_copy(update={"cap_thickness": back})
    r = by_name(checks.run_checks(build(design=d.model_copy(update={"second_encapsulant": se}))))
    bad = r["chip_back_encapsulated"]
    assert not bad.passed and abs(bad.value) < 1e-9 and "not in second_encapsulant" in bad.where


def test_covered_exposed_chip_back_fails_claim_7():
    b = build(exposed_recipe())
    cb = b.stack["chip"].bounds()
    lid = Body.one("lid", "EMC", occ.box(cb[0], cb[1], cb[5], cb[3], cb[4], cb[5] + 0.1))
    r = checks.chip_back(b.stack.add(lid), "chip", "second_encapsulant", "exposed", claim="claim 7")
    assert not r.passed and r.value <= 1e-9 and "inside lid" in r.where


# --- 6: heat sink ---------------------------------------------------------------------------------------------


def test_heat_sink_values():
    b = build(HEAT_SINK)
    r = by_name(checks.run_checks(b))
    d = b.design
    assert r["heat_sink_clearance"].value == pytest.approx(d.heat_sink.standoff - (d.z_chip_back - d.z_first_surface))
    assert r["heat_sink_encapsulated"].value == pytest.approx(0.6 - 0.47 - 0.1)


def test_heat_sink_on_the_chip_fails_claim_8():
    d = load_design(HEAT_SINK)
    hs = d.heat_sink.model_copy(update={"standoff": d.z_chip_back - d.z_first_surface})
    r = by_name(checks.run_checks(build(design=d.model_copy(update={"heat_sink": hs}))))
    assert not r["heat_sink_clearance"].passed and r["heat_sink_clearance"].value < 1e-9
    assert r["heat_sink_clearance"].claim == "claim 8"


def test_heat_sink_through_the_mold_top_fails_claim_8():
    d = load_design(HEAT_SINK)
    hs = d.heat_sink.model_copy(update={"thickness": 0.3})
    r = by_name(checks.run_checks(build(design=d.model_copy(update={"heat_sink": hs}))))
    assert not r["heat_sink_encapsulated"].passed and r["heat_sink_encapsulated"].value < 0


# --- 7: ball coplanarity --------------------------------------------------------------------------------------


def test_seating_plane_one_ball_higher():
    pts = np.array([[x, y, 0.0] for x in range(5) for y in range(5)], dtype=float)
    pts[0, 2] = 0.05
    h = checks.seating_heights(pts)
    assert h.max() == pytest.approx(0.05) and int(np.argmax(h)) == 0
    pts[12, 2] = 0.03
    assert checks.seating_heights(pts)[12] == pytest.approx(0.03)


def test_seating_plane_degenerate_cases():
    flat = np.array([[x, y, 0.1 * x + 0.2 * y] for x in range(4) for y in range(3)], dtype=float)
    assert checks.seating_heights(flat).max() == pytest.approx(0.0, abs=1e-12)
    row = np.array([[x, 0.0, 0.0] for x in range(5)])
    row[2, 2] = 0.04
    assert checks.seating_heights(row).max() == pytest.approx(0.04)
    assert checks.seating_heights(row[:2]).tolist() == [0.0, 0.0]


def test_seating_plane_on_a_tilted_package():
    pts = np.array([[x, y, 0.0] for x in range(4) for y in range(4)], dtype=float)
    pts[5, 2] = 0.02
    tilt = np.radians(3.0)
    rot = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    assert checks.seating_heights(pts @ rot.T).max() == pytest.approx(0.02)


def test_coplanarity_limit_table():
    assert checks.coplanarity_limit(1.27) == 0.15
    assert checks.coplanarity_limit(1.0) == 0.15
    assert checks.coplanarity_limit(0.8) == 0.12
    assert checks.coplanarity_limit(0.65) == 0.08
    assert checks.coplanarity_limit(0.5) == 0.08


def test_two_ball_heights_break_coplanarity(good):
    balls = good.stack["solder_balls"].parts[0]
    high = balls.placements[:1].copy()
    high[:, 2, 3] += 0.2
    body = Body("solder_balls", "SAC305", (Instances(balls.shape, high), Instances(balls.shape, balls.placements[1:])))
    r = by_name(checks.run_checks(with_stack(good, good.stack.replace(body))))["solder_balls_coplanarity"]
    assert not r.passed
    assert r.value == pytest.approx(0.2) and r.limit == 0.15
    assert r.where.startswith("solder_balls[0] at (-2, -2)")


def test_ball_pitch_measured_when_not_given(good):
    r = checks.ball_coplanarity(good.stack, "solder_balls")
    assert r.limit == 0.15 and "pitch 1 mm" in r.detail


# --- 8: valid solids ------------------------------------------------------------------------------------------


def test_open_shell_is_not_a_valid_solid(good):
    faces = occ.box(0, 0, 0, 1, 1, 1).Faces()
    shell = cq.Shell.makeShell(faces[:-1])
    r = checks.valid_solids(good.stack.add(Body.one("open", "Cu", shell)))
    assert not r.passed and r.value == 1 and r.where.startswith("open part 0")


# --- production scale -----------------------------------------------------------------------------------------

PRODUCTION = {"name": "prod", "flow": "flip-chip", "substrate": {"width": 35.0, "length": 35.0},
              "chip_area": {"width": 17.0, "length": 17.0},
              "bumps": {"pitch": 0.145, "count_x": 100, "count_y": 100, "diameter": 0.09, "height": 0.07},
              "bump_pads": {"diameter": 0.085}, "chip": {"width": 15.0, "length": 15.0, "pad_diameter": 0.07},
              "solder_balls": {"count_x": 34, "count_y": 34}}


@pytest.mark.slow
def test_production_scale_checks():
    b = build(PRODUCTION)
    total = 0.0
    for fn in checks.CHECKS["flip-chip"]:
        t = time.perf_counter()
        results = fn(b)
        dt = time.perf_counter() - t
        total += dt
        for r in results:
            print(f"{fn.__name__:28s} {dt:6.3f} s  {r.name:26s} {r.value:.4g} / {r.limit:g} {r.unit}")
            assert r.passed, r
    print(f"run_checks total {total:.3f} s")
