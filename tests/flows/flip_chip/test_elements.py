"""The flip-chip conductive elements (geometry.flows.flip_chip.elements) and chip sites (.sites), measured: wetting
bumps and copper pillars with solder caps against hand-computed volumes and z-levels, the claims each shape embodies,
several chips on one substrate, and the messages of bad element and site parameters."""

from __future__ import annotations

from math import pi, sqrt

import pytest

from geometry import api
from geometry.core.claims import embodied, evaluate
from geometry.core.params import ParameterError
from geometry.core.results import rules_pass
from geometry.flows import load_design
from tests.conftest import small_recipe

N = 30  # the small design's 6 x 5 elements
Z_BASE = 0.5 + 0.015  # substrate top + bump pad thickness (mm)


def barrel(r: float, c: float, top: float) -> float:
    """Volume (mm3) of a sphere of radius r, centre c above the base, between the base and ``top``."""
    return pi * (r * r * top - ((top - c) ** 3 + c**3) / 3)


def bumps(**fields) -> dict:
    return small_recipe(bumps=fields)


@pytest.fixture(scope="module")
def wetting():
    return api.run(load_design(bumps(shape="wetting", height=0.07)))


@pytest.fixture(scope="module")
def pillars():
    return api.run(load_design(small_recipe(
        bumps={"shape": "pillar", "height": 0.1, "pillar_diameter": 0.09, "pillar_height": 0.06, "material": "SAC305"})))


def test_wetting_bump_wets_its_whole_pad(wetting):
    """Sphere of 0.12 mm whose section at the base is the 0.11 mm pad: centre sqrt(0.06^2 - 0.055^2) up."""
    s = wetting.stack["bumps"]
    c = sqrt(0.06**2 - 0.055**2)
    assert s.volume() == pytest.approx(N * barrel(0.06, c, 0.07), rel=1e-6)
    lo, hi = s.bounds()[2], s.bounds()[5]
    assert (lo, hi) == pytest.approx((Z_BASE, Z_BASE + 0.07), abs=1e-6)


def test_wetting_bump_on_a_smaller_base():
    d = load_design(bumps(shape="wetting", height=0.07, base_diameter=0.08))
    s = api.run(d).stack["bumps"]
    assert s.volume() == pytest.approx(N * barrel(0.06, sqrt(0.06**2 - 0.04**2), 0.07), rel=1e-6)


def test_pillars_and_caps_are_two_bodies_of_their_metals(pillars):
    s = pillars.stack
    pil, cap = s["pillars"], s["bumps"]
    assert (pil.material.name, cap.material.name, pil.count, cap.count) == ("Cu", "SAC305", N, N)
    assert pil.volume() == pytest.approx(N * pi * 0.045**2 * 0.06, rel=1e-6)
    c = sqrt(0.06**2 - 0.045**2)
    assert cap.volume() == pytest.approx(N * barrel(0.06, c, 0.04), rel=1e-6)
    assert (pil.bounds()[2], pil.bounds()[5]) == pytest.approx((Z_BASE, Z_BASE + 0.06), abs=1e-6)
    assert (cap.bounds()[2], cap.bounds()[5]) == pytest.approx((Z_BASE + 0.06, Z_BASE + 0.1), abs=1e-6)
    assert s["chip"].bounds()[2] == pytest.approx(Z_BASE + 0.1 + 0.005, abs=1e-6)


def test_pillar_design_passes_and_embodies_claims_1_and_5_not_2_and_3(pillars):
    rows, checks = evaluate(pillars)
    assert rules_pass(checks), [c.name for c in checks if not c.passed and c.kind == "rule"]
    assert [c.name for c in checks if not c.passed] == ["bump_material"]  # SAC305: a claim 3 limitation only
    got = embodied(rows)
    assert {1, 5}.issubset(got) and not {2, 3} & got
    by_number = {r.number: r for r in rows}
    assert by_number[2].status == "not embodied" and by_number[3].status == "not embodied"


def test_wetting_bumps_of_tin_lead_embody_claims_2_and_3(wetting):
    rows, checks = evaluate(wetting)
    assert rules_pass(checks) and {1, 2, 3, 5}.issubset(embodied(rows))


@pytest.mark.parametrize(("fields", "message"), [
    ({"shape": "pillar", "pillar_diameter": 0.09}, 'bumps.pillar_height None is required for shape "pillar"'),
    ({"shape": "pillar", "pillar_diameter": 0.09, "pillar_height": 0.09}, "bumps.pillar_height 0.09 leaves no"),
    ({"shape": "pillar", "pillar_diameter": 0.13, "pillar_height": 0.05}, "bumps.pillar_diameter 0.13 must not"),
    ({"pillar_height": 0.05}, 'bumps.pillar_height 0.05 is only read for shape "pillar"'),
    ({"base_diameter": 0.08}, 'bumps.base_diameter 0.08 is only read for shape "wetting"'),
    ({"shape": "wetting"}, "bumps.height 0.09 plus 3 x height_spread 0 rises above the solder's sphere"),
])
def test_bad_element_parameters_name_the_field(fields, message):
    with pytest.raises(ParameterError) as e:
        load_design(bumps(**fields))
    assert message in str(e.value)


TWO_CHIPS = {
    "name": "two", "flow": "flip-chip",
    "substrate": {"width": 10.0, "length": 6.0, "thickness": 0.5},
    "second_encapsulant": {"cap_thickness": 0.6},
    "solder_balls": {"pitch": 1.0, "count_x": 9, "count_y": 5},
    "chips": [
        {"name": "a", "chip_area": {"width": 3.0, "length": 3.0},
         "bumps": {"pitch": 0.2, "count_x": 6, "count_y": 5, "diameter": 0.12, "height": 0.09},
         "chip": {"width": 2.0, "length": 2.0, "thickness": 0.3, "offset_x": -2.5}},
        {"name": "b", "chip_area": {"width": 2.0, "length": 2.0},
         "bumps": {"pitch": 0.15, "count_x": 4, "count_y": 4, "diameter": 0.1, "height": 0.1, "shape": "pillar",
                   "pillar_diameter": 0.08, "pillar_height": 0.06},
         "bump_pads": {"diameter": 0.09},
         "chip": {"width": 1.5, "length": 1.5, "thickness": 0.3, "offset_x": 2.5, "offset_y": 0.5,
                  "pad_diameter": 0.07}},
    ],
}


@pytest.fixture(scope="module")
def two():
    return api.run(load_design(TWO_CHIPS))


def test_two_chip_sites_get_their_own_bodies_at_their_offsets(two):
    s = two.stack
    assert {"chip_a", "chip_b", "bumps_a", "bumps_b", "pillars_b"} <= set(s.names)
    assert "pillars_a" not in s.names
    assert (s["bumps_a"].count, s["bumps_b"].count, s["pillars_b"].count) == (30, 16, 16)
    a, b = s["chip_a"].bounds(), s["chip_b"].bounds()
    assert ((a[0] + a[3]) / 2, (a[1] + a[4]) / 2) == pytest.approx((-2.5, 0.0), abs=1e-9)
    assert ((b[0] + b[3]) / 2, (b[1] + b[4]) / 2) == pytest.approx((2.5, 0.5), abs=1e-9)
    pb = s["bumps_b"].bounds()
    assert ((pb[0] + pb[3]) / 2, (pb[1] + pb[4]) / 2) == pytest.approx((2.5, 0.5), abs=1e-9)
    # each chip sits on its own first encapsulant top: bump ends 0.09 and 0.1 mm above their bases
    assert a[2] == pytest.approx(0.5 + 0.015 + 0.09 + 0.005, abs=1e-6)
    assert b[2] == pytest.approx(0.5 + 0.015 + 0.1 + 0.005, abs=1e-6)


def test_two_chip_design_passes_and_claims_2_3_need_every_chip_on_bumps(two):
    rows, checks = evaluate(two)
    assert rules_pass(checks), [c.name for c in checks if not c.passed]
    for name in ("a", "b"):  # the per-chip checks name the chip site they measure
        assert any((c.detail or "").startswith(f"chip site {name!r}") for c in checks), name
    got = embodied(rows)
    assert {1, 5, 6} <= got and not {2, 3} & got


def test_overlapping_chip_areas_are_refused():
    recipe = {**TWO_CHIPS, "chips": [TWO_CHIPS["chips"][0],
                                     {**TWO_CHIPS["chips"][1],
                                      "chip": {**TWO_CHIPS["chips"][1]["chip"], "offset_x": -1.5}}]}
    with pytest.raises(ParameterError) as e:
        load_design(recipe)
    assert "chips[1]" in str(e.value) and "overlap" in str(e.value)


BUMP_SITES = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5), (0.0, 0.0), (0.3, 0.0), (-0.3, 0.1)]


def explicit_bumps(points) -> dict:
    recipe = small_recipe(bumps=None)
    recipe["bumps"] = {"pitch": 0.2, "diameter": 0.12, "height": 0.09,
                       "sites": [{"name": f"B{k}", "x": x, "y": y} for k, (x, y) in enumerate(points)]}
    return recipe


def test_bumps_from_the_die_teams_coordinates():
    """Explicit bump sites (as a bump map from the die team would give them): pads, bumps and chip pads on each."""
    build = api.run(load_design(explicit_bumps(BUMP_SITES)))
    s = build.stack
    assert (s["bumps"].count, s["substrate_pads"].count, s["chip_pads"].count) == (7, 7, 7)
    assert s["bumps"].bounds()[:2] == pytest.approx((-0.56, -0.56), abs=1e-9)
    rows, checks = evaluate(build)
    assert rules_pass(checks) and {1, 2, 3, 5}.issubset(embodied(rows))


def test_bump_sites_closer_than_a_bump_are_refused():
    with pytest.raises(ParameterError) as e:
        load_design(explicit_bumps([*BUMP_SITES, (0.1, 0.0)]))
    text = str(e.value)
    assert text.startswith("bumps.sites[7] 'B7' at (0.1, 0) is 0.1 mm from B4 at (0, 0)"), text


def test_one_chip_exposed_and_one_covered_embodies_claims_6_and_7():
    recipe = {**TWO_CHIPS, "second_encapsulant": {},
              "chips": [TWO_CHIPS["chips"][0],
                        {**TWO_CHIPS["chips"][1], "chip_back": "exposed",
                         "chip": {**TWO_CHIPS["chips"][1]["chip"], "thickness": 0.5}}]}
    build = api.run(load_design(recipe))
    s = build.stack
    back_b = 0.5 + 0.015 + 0.1 + 0.005 + 0.5  # substrate, pad, pillar element, chip pad, chip (mm)
    assert s["second_encapsulant"].bounds()[5] == pytest.approx(back_b, abs=1e-9)
    assert s["chip_b"].bounds()[5] == pytest.approx(back_b, abs=1e-9)
    assert s["chip_a"].bounds()[5] == pytest.approx(0.5 + 0.015 + 0.09 + 0.005 + 0.3, abs=1e-9)
    rows, checks = evaluate(build)
    assert rules_pass(checks) and {6, 7} <= embodied(rows)
