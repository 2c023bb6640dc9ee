"""The cavity flow's checks (geometry.flows.cavity.checks, claims 1-11 of 003_f6beeb7f75e78ceb.txt): every check
passes on the claimed recipes and fails on a purpose-built bad design, with hand-computed values where the geometry
allows. The generic checks they bind are tested in tests/checks/, the measurements under them (the numpy distance
helpers against brute force) in tests/measure/."""

from __future__ import annotations

import dataclasses
import json
import math
import time

import cadquery as cq
import numpy as np
import pytest

from geometry import api, flows
from geometry.core import occ, parts
from geometry.core.stack import Body
from geometry.flows import FLOWS
from geometry.flows.cavity import checks as cc
from geometry.measure.tubes import swept_lines
from geometry.recipes import load
from tests.conftest import RECIPES, by_name, with_stack, with_step


def build(name: str):
    return flows.run(load(RECIPES / "cavity" / f"cavity-{name}.toml"))






def shift(body: Body, dxyz, members=None) -> Body:
    """``body`` with its members (global indices, default all) translated by ``dxyz`` (mm)."""
    out, k = [], 0
    for p in body.parts:
        m = p.placements.copy()
        sel = np.ones(p.count, bool) if members is None else np.isin(np.arange(k, k + p.count), members)
        m[sel, :3, 3] += dxyz
        out.append(dataclasses.replace(p, placements=m))
        k += p.count
    return dataclasses.replace(body, parts=tuple(out))




@pytest.fixture(scope="module")
def smaller():
    return build("smaller")


@pytest.fixture(scope="module")
def equal():
    return build("equal")


@pytest.fixture(scope="module")
def over():
    return build("over")


@pytest.fixture(scope="module")
def results(smaller, equal, over):
    return {n: by_name(api.check(b)) for n, b in (("smaller", smaller), ("equal", equal), ("over", over))}


COMMON = {"no_interference", "bond_wires_clear", "embedded_in_mold_compound", "die_encapsulated", "mold_on_substrate",
          "bond_wires_cover", "bond_wires_connect", "bond_wires_clearance", "ball_bond_clearance",
          "wires_clear_of_die_edges", "slice_covers", "slice_attached", "die_attached", "thermal_path",
          "bottom_pads_exposed", "solder_balls_coplanarity", "bottom_pads_gap", "solder_balls_gap",
          "heat_slug_below_solder_balls", "valid_solids",
          "substrate_opening", "bottom_pads_seated", "slice_etched", "solder_balls_seated", "slice_material",
          "slug_material"}


# --- the claimed recipes pass everything ---------------------------------------------------------------------


@pytest.mark.parametrize("name, fit_check, claim", [("smaller", "gap_filled", "claim 5"),
                                                    ("equal", "no_gap", "claim 6"),
                                                    ("over", "opening_filled", "claim 7")])
def test_recipes_pass_every_check(results, name, fit_check, claim):
    r = results[name]
    assert not [x for x in r.values() if not x.passed]
    assert set(r) == COMMON | {fit_check}
    assert r[fit_check].claim == claim
    assert r["die_attached"].claim == claim
    assert all(x.claim.startswith("claim ") for x in r.values())
    for x in r.values():
        d = x.to_dict()
        assert json.loads(json.dumps(d)) == d


def test_measured_values(results, smaller, over):
    s, o = results["smaller"], results["over"]
    d = smaller.design
    assert s["bond_wires_cover"].value == pytest.approx(d.z_mold_top - d.z_loop_top, abs=1e-6)
    assert s["thermal_path"].value == pytest.approx(9.0)
    assert "die -> (9 mm2) die_adhesive -> (9 mm2) heat_slug" in s["thermal_path"].detail
    opening = 9.0 - (4 - math.pi) * 0.3**2
    assert o["thermal_path"].value == pytest.approx(opening)
    assert o["thermal_path"].claim == "claim 1; claim 8; claim 11"
    assert o["opening_filled"].value == pytest.approx(0.0, abs=1e-9)
    assert s["heat_slug_below_solder_balls"].value == pytest.approx(d.z_slice_bottom - d.z_seating_plane)
    assert s["bond_wires_clear"].value == pytest.approx(0.0, abs=1e-9)
    assert "touching: bond_fingers" in s["bond_wires_clear"].detail
    assert s["ball_bond_clearance"].value == pytest.approx(d.die.pad_pitch - d.bond_wires.ball_diameter)
    assert "opening top edge" in s["wires_clear_of_die_edges"].detail
    assert "opening top edge" not in o["wires_clear_of_die_edges"].detail
    assert s["solder_balls_coplanarity"].claim == "claim 2"
    assert s["heat_slug_below_solder_balls"].claim == "claim 3"
    assert s["slice_attached"].claim == "claim 4"


# --- claim 1: interference, wires, mold --------------------------------------------------------------------


def test_intruding_body_interferes(smaller):
    stack = smaller.stack.add(Body.one("intruder", "Si", occ.box(0.0, 0.0, 0.0, 0.1, 0.1, 0.1)))
    r = cc.no_interference(with_stack(smaller, stack))[0]
    assert not r.passed
    assert r.value == pytest.approx(1e-3, rel=1e-6)
    assert "die" in r.detail and "intruder" in r.detail


def test_raised_fingers_cut_into_the_wires(smaller):
    stack = smaller.stack.replace(shift(smaller.stack["bond_fingers"], (0, 0, 0.005)))
    r = cc.wires_clear(with_stack(smaller, stack))[0]
    assert not r.passed
    assert r.value == pytest.approx(-0.005, abs=1e-7)
    assert "enters bond_fingers" in r.where


def test_finger_outside_the_mold(equal):
    fingers = equal.stack["bond_fingers"]
    b = fingers.member_bounds()
    k = int(np.argmax(b[:, 3]))
    dx = equal.stack["mold_compound"].bounds()[3] - b[k, 3] + 0.1
    stack = equal.stack.replace(shift(fingers, (dx, 0, 0), [k]))
    r = cc.embedded_in_mold(with_stack(equal, stack))[0]
    assert not r.passed
    assert r.value == pytest.approx(-0.1)
    assert r.where.startswith(f"bond_fingers[{k}]")


def test_die_not_under_the_mold(smaller):
    mold = smaller.stack["mold_compound"]
    stack = smaller.stack.replace(Body.one("mold_compound", "EMC", occ.box(20, 20, 0.36, 21, 21, 0.96),
                                           embeds=mold.embeds))
    r = by_name(cc.die_covered(with_stack(smaller, stack)) + cc.mold_on_substrate(with_stack(smaller, stack)))
    assert not r["die_encapsulated"].passed
    assert not r["mold_on_substrate"].passed and r["mold_on_substrate"].value == 0.0


def test_tall_loops_lose_their_cover(smaller):
    d = smaller.design
    bad = d.model_copy(update={"bond_wires": d.bond_wires.model_copy(update={"loop_height": 0.7})})
    r = cc.wire_cover(flows.run(bad))[0]
    assert not r.passed
    assert r.value == pytest.approx(d.z_mold_top - (d.z_die_top + 0.7), abs=1e-6)


def test_lifted_finger_leaves_a_wire_unconnected(smaller):
    stack = smaller.stack.replace(shift(smaller.stack["bond_fingers"], (0, 0, 0.01), [5]))
    r = cc.wires_connect(with_stack(smaller, stack))[0]
    assert not r.passed
    assert r.value == 1.0
    assert "does not end on a finger" in r.where


def _wire_of_pad(b, k: int) -> list[int]:
    """Global member indices (ball bond, stitch, loop) in bond_wires of the wire on die pad ``k``."""
    wires = b.stack["bond_wires"]
    sw = swept_lines(wires)
    pad = b.design.die_pad_sites()[k, :2]
    loop = next(int(sw.member[i]) for i, s in enumerate(sw.lines) if np.allclose(s[0, :2], pad))
    return [k, wires.parts[0].count + k, loop]


def test_shifted_wire_comes_too_close(smaller):
    d = smaller.design
    step = d.die.pad_pitch / 2
    stack = smaller.stack.replace(shift(smaller.stack["bond_wires"], (-step, 0, 0), _wire_of_pad(smaller, 8)))
    r = by_name(cc.wire_clearance(with_stack(smaller, stack)))
    w, balls = d.bond_wires, r["ball_bond_clearance"]
    assert not r["bond_wires_clearance"].passed
    assert r["bond_wires_clearance"].value == pytest.approx(step - w.ball_diameter / 2 - w.diameter / 2, abs=1e-4)
    assert "ball bond" in r["bond_wires_clearance"].where
    assert not balls.passed and balls.value == pytest.approx(d.die.pad_pitch - step - w.ball_diameter, abs=1e-9)


def test_wires_too_near_the_die_edge(smaller):
    die = smaller.stack["die"]
    b = die.bounds()
    taller = parts.slab(b[3] - b[0], b[4] - b[1], b[2], b[5] + 0.2)
    stack = smaller.stack.replace(Body.one("die", die.material_name, taller))
    r = cc.wires_clear_of_die_edges(with_stack(smaller, stack))[0]
    assert not r.passed and r.value < 0.025
    assert "near die top edge" in r.where


def test_low_loops_cut_the_opening_corner(smaller):
    d = smaller.design
    bad = flows.run(d.model_copy(update={"bond_wires": d.bond_wires.model_copy(update={"loop_height": 0.1})}))
    edge = cc.wires_clear_of_die_edges(bad)[0]
    assert not edge.passed and edge.value < 0
    assert "near opening top edge" in edge.where
    tube = cc.wires_clear(bad)[0]
    assert not tube.passed and "enters substrate" in tube.where
    assert tube.value <= edge.value


# --- claims 1, 4: the slice and its adhesive ---------------------------------------------------------------


def test_small_slice_misses_the_pads(smaller):
    d = smaller.design
    s0 = smaller.after("dispose_slice")
    s0 = s0.replace(Body.one("metal_slice", "Cu", parts.slab(10.0, 10.0, d.z_slice_bottom, d.z_floor)))
    r = by_name(cc.slice_in_place(with_step(smaller, "dispose_slice", s0)))["slice_covers"]
    pads = s0["bottom_pads"].bounds()
    assert not r.passed
    assert r.value == pytest.approx(5.0 - pads[3])


def test_dropped_slug_is_not_attached(smaller):
    stack = smaller.stack.replace(shift(smaller.stack["heat_slug"], (0, 0, -0.01)))
    b = with_stack(smaller, stack)
    r = by_name(cc.slice_in_place(b) + cc.thermal_path(b))
    assert not r["slice_attached"].passed and r["slice_attached"].value == 0.0
    assert "slice_adhesive does not touch heat_slug" in r["slice_attached"].where
    assert not r["thermal_path"].passed and r["thermal_path"].value == 0.0


# --- claims 5-8: the die, its fit and its heat path --------------------------------------------------------


def test_floating_die_is_not_attached(smaller):
    s = smaller.after("dispose_die")
    s = s.replace(shift(s["die"], (0, 0, 0.01)))
    r = cc.die_attached(with_step(smaller, "dispose_die", s))[0]
    assert not r.passed and r.value == 0.0 and r.claim == "claim 5"


def test_missing_gap_fill_leaves_the_gap_void(smaller):
    stack = smaller.stack.remove("gap_fill")
    r = cc.gap(with_stack(smaller, stack))[0]
    assert not r.passed
    assert r.value == pytest.approx(smaller.stack["gap_fill"].volume(), rel=1e-6)
    assert "no gap_fill" in r.where


def test_equal_fit_with_a_gap(equal):
    die = equal.stack["die"]
    b = die.bounds()
    narrow = parts.slab(b[3] - b[0] - 0.1, b[4] - b[1], b[2], b[5])
    stack = equal.stack.replace(Body.one("die", die.material_name, narrow))
    r = cc.gap(with_stack(equal, stack))[0]
    assert not r.passed and r.name == "no_gap"
    assert r.value == pytest.approx(0.05)
    fill = Body.one("gap_fill", "underfill", occ.box(-2.0, -2.0, -0.03, -1.99, -1.99, 0.0))
    r = cc.gap(with_stack(equal, equal.stack.add(fill)))[0]
    assert not r.passed and "gap_fill body" in r.where


def test_over_die_without_the_opening_plug(over):
    d = over.design
    die = d.die
    layer = parts.slab(die.width, die.length, d.z_top, d.z_die_base)
    stack = over.stack.replace(Body.one("die_adhesive", d.die_adhesive.material, layer))
    r = cc.gap(with_stack(over, stack))[0]
    opening = (9.0 - (4 - math.pi) * 0.3**2) * (d.z_top - d.z_floor)
    assert not r.passed and r.name == "opening_filled"
    assert r.value == pytest.approx(opening, rel=1e-6)
    t = cc.thermal_path(with_stack(over, stack))[0]
    assert not t.passed and t.value == 0.0


# --- claims 1, 11: pads exposed by the etch ----------------------------------------------------------------


def test_unetched_slice_covers_every_pad(smaller):
    b = with_step(smaller, "etch_slice", smaller.after("dispose_slice"))
    r = cc.pads_exposed(b)[0]
    assert not r.passed
    assert r.value == pytest.approx(1.0, abs=1e-6)
    assert "160 of 160 pads covered" in r.detail


def test_pad_area_differs_from_design(smaller):
    s = smaller.after("etch_slice")
    pads = s["bottom_pads"]
    d = smaller.design.bottom_pads
    bigger = Body("bottom_pads", pads.material_name, (pads.parts[0].with_shape(parts.disc(0.36, d.thickness)),))
    r = cc.pads_exposed(with_step(smaller, "etch_slice", s.replace(bigger)))[0]
    assert not r.passed
    assert r.value == pytest.approx((0.36 / d.diameter) ** 2 - 1, rel=1e-6)


# --- claims 2, 3: balls flush, slug thinner than the balls are tall ---------------------------------------


@pytest.mark.parametrize("dz", [0.05, 0.15])
def test_raised_ball_breaks_coplanarity(smaller, dz):
    stack = smaller.stack.replace(shift(smaller.stack["solder_balls"], (0, 0, dz), [17]))
    r = cc.ball_coplanarity(with_stack(smaller, stack))[0]
    assert r.value == pytest.approx(dz)
    assert r.limit == 0.12 and r.passed == (dz < 0.12)
    assert r.where.startswith("solder_balls[17]") or r.passed


def test_slug_below_the_seating_plane(smaller):
    stack = smaller.stack.replace(shift(smaller.stack["heat_slug"], (0, 0, -0.3)))
    r = cc.slug_below_balls(with_stack(smaller, stack))[0]
    assert not r.passed and r.value == pytest.approx(0.215 - 0.3)
    d = smaller.design
    thick = Body.one("heat_slug", "Cu", parts.slab(5.0, 5.0, d.z_floor - 0.4, d.z_floor))
    r = cc.slug_below_balls(with_stack(smaller, smaller.stack.replace(thick)))[0]
    assert not r.passed and "0.4 mm thick" in r.where


def test_invalid_solid_is_reported(smaller):
    sheet = cq.Face.makePlane(1.0, 1.0, basePnt=cq.Vector(0, 0, 5))
    r = cc.valid_solids(with_stack(smaller, smaller.stack.add(Body.one("sheet", "Cu", sheet))))[0]
    assert not r.passed and "sheet part 0: not a solid" in r.where


# --- production scale ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_production_checks_pass():
    """Every check of cavity-production passes; the time of each is printed (timed in benchmarks/bench_build.py,
    not asserted: a wall-clock bound fails on a loaded machine, 4.2 s against 4.0 s with six test runs on two
    cores)."""
    t0 = time.perf_counter()
    b = build("production")
    print(f"\nbuild {time.perf_counter() - t0:.2f} s")
    total, mine = 0.0, 0.0
    for fn in FLOWS["cavity"].checks:
        t = time.perf_counter()
        rs = fn(b)
        dt = time.perf_counter() - t
        total += dt
        mine += dt if fn is not cc.valid_solids else 0.0
        print(f"{fn.__name__:32s} {dt:6.3f} s  " + ", ".join(f"{r.name}={r.value:.6g}" for r in rs))
        assert all(r.passed for r in rs), [r for r in rs if not r.passed]
    print(f"all checks {total:.2f} s, without valid_solids {mine:.2f} s")
