"""The flip-chip flow's checks (geometry.flows.flip_chip.checks): every claim check passes on good designs and fails
on a purpose-built bad one, with the claim each result cites and the values it measures. The generic checks they
bind are tested in tests/checks/, the measurements under them in tests/measure/."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest

from geometry import api, flows
from geometry.core import occ
from geometry.core.params import ParameterError
from geometry.core.stack import Body, Instances
from geometry.flows import FLOWS, flow_named, load_design
from geometry.flows.flip_chip import names
from geometry.measure.interference import interferences
from tests.conftest import by_name, small_recipe, with_stack


def build(recipe: dict | None = None, design=None):
    return flows.run(design if design is not None else load_design(recipe or small_recipe()))






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
    results = api.check(build(recipe))
    assert not failing(results), [r for r in results if not r.passed]
    names = {r.name for r in results}
    assert {"bumps_end_coplanarity", "bumps_ends_exposed", "chip_pads_on_bumps", "no_interference",
            "solder_balls_coplanarity", "valid_solids"} <= names
    assert ("chip_back_exposed" if "exposed" in json.dumps(recipe) else "chip_back_encapsulated") in names
    assert ({"heat_sink_encapsulated", "heat_sink_clearance"} <= names) == ("heat_sink" in recipe)


def test_claim_references(good):
    r = by_name(api.check(good))
    assert r["bumps_end_coplanarity"].claim == "claim 1, step 3)"
    assert r["chip_back_encapsulated"].claim == "claim 6"
    assert by_name(api.check(build(POLISHED)))["bumps_end_coplanarity"].claim.endswith("claim 4")
    assert by_name(api.check(build(exposed_recipe())))["chip_back_exposed"].claim == "claim 7"


def test_result_to_dict_is_json(good):
    for r in api.check(good):
        d = r.to_dict()
        assert json.loads(json.dumps(d)) == d
        assert set(d) == {"name", "claim", "value", "limit", "unit", "passed", "where", "detail", "kind"}


def test_unknown_flow_is_refused(good):
    """There is no registry of checks by flow name any more: a build carries its Flow, whose checks run. The
    refusal that remains is looking up a flow by an unknown name, which names the known flows."""
    assert good.flow is FLOWS["flip-chip"] is flow_named("flip-chip")
    with pytest.raises(ParameterError, match="flow 'nope' must be one of 'flip-chip', 'cavity'"):
        flow_named("nope")


# --- 1, 2: bump ends coplanar with the first encapsulant, exposed -------------------------------------------


def test_measured_values_of_good_design(good):
    d = good.design
    r = by_name(api.check(good))
    assert r["bumps_end_coplanarity"].value < 1e-9
    assert r["bumps_ends_exposed"].value < 1e-9
    assert r["chip_back_encapsulated"].value == pytest.approx(d.z_mold_top - d.z_chip_back)
    assert r["solder_balls_coplanarity"].value == 0.0
    assert r["solder_balls_coplanarity"].limit == 0.15


def test_thick_unpolished_encapsulant_buries_bumps():
    b = build(small_recipe(first_encapsulant={"thickness": 0.13}))
    r = by_name(api.check(b))
    assert not r["bumps_ends_exposed"].passed
    assert r["bumps_ends_exposed"].value == 1.0
    assert "30 of 30 ends covered" in r["bumps_ends_exposed"].detail
    assert not r["bumps_end_coplanarity"].passed
    assert r["bumps_end_coplanarity"].value == pytest.approx(0.13 - 0.105)


# --- 3: chip pads on bump ends -------------------------------------------------------------------------------


def test_shifted_chip_pads_miss_bump_ends(good):
    """Chip pads shifted half a pitch off their bumps (in the stack): every pad lands on no end."""
    d = good.design
    pads = good.stack["chip_pads"]
    moved = Body(pads.name, pads.material_name, tuple(
        dataclasses.replace(p, placements=p.placements + _dx(d.bumps.pitch / 2)) for p in pads.parts))
    r = by_name(api.check(with_stack(good, good.stack.replace(moved))))["chip_pads_on_bumps"]
    assert not r.passed
    assert r.value == d.bumps.count
    assert r.where.startswith("chip_pads[0] at") and "on 0 ends" in r.where


def _dx(dx: float) -> np.ndarray:
    m = np.zeros((4, 4))
    m[0, 3] = dx
    return m


def test_chip_offset_moves_its_area_bumps_and_pads():
    """``chip.offset_x`` places the whole chip site (issue 12: it used to move the chip alone, off its bumps):
    bumps, pads, first encapsulant and chip move together and every design rule passes."""
    recipe = small_recipe(chip={"width": 2.0, "length": 2.0, "thickness": 0.3, "offset_x": 1.2, "offset_y": -0.6})
    b = build(recipe)
    results = api.check(b)
    assert all(r.passed for r in results), [r for r in results if not r.passed]
    sb = b.stack["bumps"].bounds()
    assert (sb[0] + sb[3]) / 2 == pytest.approx(1.2) and (sb[1] + sb[4]) / 2 == pytest.approx(-0.6)
    fb = b.stack["first_encapsulant"].bounds()
    assert fb[0] == pytest.approx(1.2 - 1.5) and fb[4] == pytest.approx(-0.6 + 1.5)


# --- 4: interference ------------------------------------------------------------------------------------------


def test_overlapping_extra_body_is_found(good):
    z = good.design.z_chip_face
    intruder = Body.one("intruder", "Cu", occ.box(-0.2, -0.2, z + 0.1, 0.2, 0.2, z + 0.2))
    b = with_stack(good, good.stack.add(intruder))
    r = by_name(api.check(b))["no_interference"]
    assert not r.passed
    assert r.value == pytest.approx(0.4 * 0.4 * 0.1, rel=1e-6)
    found = interferences(b.stack)
    assert [(f.body_a, f.body_b) for f in found] == [("chip", "intruder")]


# --- 5: chip back ---------------------------------------------------------------------------------------------


def test_mold_flush_with_chip_back_fails_claim_6(good):
    d = good.design
    back = d.z_chip_back - d.z_first_surface
    se = d.second_encapsulant.model_copy(update={"cap_thickness": back})
    r = by_name(api.check(build(design=d.model_copy(update={"second_encapsulant": se}))))
    bad = r["chip_back_encapsulated"]
    assert not bad.passed and abs(bad.value) < 1e-9 and "not in second_encapsulant" in bad.where


# --- 6: heat sink ---------------------------------------------------------------------------------------------


def test_heat_sink_values():
    b = build(HEAT_SINK)
    r = by_name(api.check(b))
    d = b.design
    assert r["heat_sink_clearance"].value == pytest.approx(d.heat_sink.standoff - (d.z_chip_back - d.z_first_surface))
    assert r["heat_sink_encapsulated"].value == pytest.approx(0.6 - 0.47 - 0.1)


def test_heat_sink_on_the_chip_fails_claim_8():
    d = load_design(HEAT_SINK)
    hs = d.heat_sink.model_copy(update={"standoff": d.z_chip_back - d.z_first_surface})
    r = by_name(api.check(build(design=d.model_copy(update={"heat_sink": hs}))))
    assert not r["heat_sink_clearance"].passed and r["heat_sink_clearance"].value < 1e-9
    assert r["heat_sink_clearance"].claim == "claim 8"


def test_heat_sink_through_the_mold_top_fails_claim_8():
    d = load_design(HEAT_SINK)
    hs = d.heat_sink.model_copy(update={"thickness": 0.3})
    r = by_name(api.check(build(design=d.model_copy(update={"heat_sink": hs}))))
    assert not r["heat_sink_encapsulated"].passed and r["heat_sink_encapsulated"].value < 0


# --- 7: ball coplanarity --------------------------------------------------------------------------------------


def test_two_ball_heights_break_coplanarity(good):
    balls = good.stack["solder_balls"].parts[0]
    high = balls.placements[:1].copy()
    high[:, 2, 3] += 0.2
    body = Body("solder_balls", "SAC305", (Instances(balls.shape, high), Instances(balls.shape, balls.placements[1:])))
    r = by_name(api.check(with_stack(good, good.stack.replace(body))))["solder_balls_coplanarity"]
    assert not r.passed
    assert r.value == pytest.approx(0.2) and r.limit == 0.15
    assert r.where.startswith("solder_balls[0] at (-2, -2)")


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
    for fn in FLOWS["flip-chip"].checks:
        t = time.perf_counter()
        results = fn(b)
        dt = time.perf_counter() - t
        total += dt
        for r in results:
            print(f"{fn.__name__:28s} {dt:6.3f} s  {r.name:26s} {r.value:.4g} / {r.limit:g} {r.unit}")
            assert r.passed, r
    print(f"api.check total {total:.3f} s")


def test_design_rules_and_claim_limitations(good):
    """Every check is a design rule or a claim limitation; the flow names its claim limitations, and only they
    may fail without blocking an export (issue 12)."""
    kinds = {r.name: r.kind for r in api.check(good)}
    assert set(kinds.values()) == {"rule", "claim"}
    assert {n for n, k in kinds.items() if k == "claim"} <= names.CLAIM_LIMITATIONS
    assert kinds["no_interference"] == kinds["chip_pads_on_bumps"] == kinds["solder_balls_coplanarity"] == "rule"
    assert kinds["bump_material"] == kinds["chip_back_encapsulated"] == "claim"
