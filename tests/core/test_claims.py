"""Claim matrix: the claims each recipe embodies, every limitation verified by a check, and designs that do not
embody a claim named with the reason (never treated as broken)."""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest

from geometry import api
from geometry.core.claims import NOT_THIS_VARIANT, embodied, evaluate
from geometry.core.results import rules_pass
from geometry.core.stack import Body
from geometry.flows import FLOWS, load_design
from tests.conftest import RECIPES, small_cavity, small_recipe, with_stack

CLAIMS = {name: f.claims for name, f in FLOWS.items()}
"""Each flow's claim table, by flow name."""

EXPECTED = {  # README.md: the claims each recipe embodies (dependent claims with their parents)
    "flip-chip/fc-basic": {1, 2, 3, 5, 6},
    "flip-chip/fc-polished": {1, 2, 3, 4, 5, 6},
    "flip-chip/fc-exposed": {1, 2, 3, 5, 7},
    "flip-chip/fc-heat-sink": {1, 2, 3, 5, 6, 8},
    "cavity/cavity-smaller": {1, 2, 3, 4, 5, 9, 10, 11},
    "cavity/cavity-equal": {1, 2, 3, 4, 6, 9, 10, 11},
    "cavity/cavity-over": {1, 2, 3, 4, 7, 8, 9, 10, 11},
}
PRODUCTION = {"flip-chip/fc-production": {1, 2, 3, 4, 5, 6}, "cavity/cavity-production": {1, 2, 3, 4, 5, 9, 10, 11}}


@cache
def matrix(recipe: str):
    build = api.run(api.load(RECIPES / f"{recipe}.toml"))
    return build, *evaluate(build)


def test_table_is_well_formed():
    for flow, claims in CLAIMS.items():
        numbers = [c.number for c in claims]
        assert numbers == list(range(1, len(claims) + 1)), flow
        for c in claims:
            assert c.depends_on is None or c.depends_on < c.number
            assert c.limitations, f"{flow} claim {c.number} has no limitation"
            assert all(lim.checks for lim in c.limitations), f"{flow} claim {c.number}: a limitation without check"
    assert len(CLAIMS["flip-chip"]) == 8 and len(CLAIMS["cavity"]) == 11


@pytest.mark.parametrize("recipe", sorted(EXPECTED))
def test_recipe_embodies_its_claims_and_passes(recipe):
    _, rows, checks = matrix(recipe)
    assert embodied(rows) == EXPECTED[recipe] and rules_pass(checks)
    for r in rows:
        if r.embodied:
            assert r.intended and r.status == "embodied" and not r.failing, (r.number, r.failing)
            missing = [n for lim in r.limitations for n in lim.missing]
            assert not missing, f"claim {r.number}: no check result named {missing}"
        else:
            assert not r.intended and r.status == "not embodied" and NOT_THIS_VARIANT in r.failing
    for r in rows:  # a dependent claim embodied implies its parent
        if r.embodied and r.depends_on:
            assert r.depends_on in embodied(rows)


def test_every_claim_is_embodied_by_some_recipe():
    for flow, claims in CLAIMS.items():
        covered = set().union(*(s for k, s in EXPECTED.items() if k.startswith(flow)))
        assert covered == {c.number for c in claims}


@pytest.mark.slow
@pytest.mark.parametrize("recipe", sorted(PRODUCTION))
def test_production_claims(recipe):
    _, rows, checks = matrix(recipe)
    assert embodied(rows) == PRODUCTION[recipe] and rules_pass(checks)
    assert all(r.embodied for r in rows if r.intended)


def test_ball_spread_breaks_claim_2_by_coplanarity():
    """Cavity claim 2 (balls flush with each other) missed by a ball diameter spread: the coplanarity check (a
    design rule: the package cannot be assembled) is named, claim 3 is not embodied through its parent, claim 1
    still is."""
    d = load_design(small_cavity(solder_balls={"diameter_spread": 0.03}, bottom_pads={"diameter": 0.45}))
    rows, checks = evaluate(api.run(d))
    by = {r.number: r for r in rows}
    assert by[1].embodied and not rules_pass(checks)
    assert not by[2].embodied and by[2].intended and "solder_balls_coplanarity" in by[2].failing
    assert not by[3].embodied and by[3].failing == ("claim 2",)


def test_bump_material_swapped_in_the_stack_misses_claim_3():
    """A stack whose bumps are gold while the design says Sn/Pb: claim 3 is not embodied because of
    ``bump_material`` (a claim limitation, not a design rule: every design rule still passes)."""
    build = api.run(load_design(small_recipe()))
    s = build.stack
    gold = Body("bumps", "Au", s["bumps"].parts)
    broken = with_stack(build, s.replace(gold))
    rows, checks = evaluate(broken)
    by = {r.number: r for r in rows}
    assert by[3].intended and not by[3].embodied and by[3].failing == ("bump_material",)
    assert by[2].embodied and by[1].embodied
    material = next(c for c in checks if c.name == "bump_material")
    assert material.where == "bumps is Au, not Sn or Pb or SnPb63"
    assert material.kind == "claim" and material.verdict == "not met" and rules_pass(checks)


def test_sac305_bumps_embody_claims_1_2_not_3():
    """A lead-free design: SAC305 bumps are conductive bumps (claims 1, 2) but not claim 3's tin, lead or
    tin/lead; the design is not broken."""
    rows, checks = evaluate(api.run(load_design(small_recipe(bumps={"material": "SAC305"}))))
    by = {r.number: r for r in rows}
    assert by[1].embodied and by[2].embodied and not by[3].embodied and not by[3].intended
    assert by[3].failing == (NOT_THIS_VARIANT, "bump_material") and rules_pass(checks)


def test_unseated_balls_fail_claim_1():
    """Solder balls lifted 10 um off their pads: ``solder_balls_seated`` fails claim 1 step 6) and every claim
    that depends on claim 1."""
    build = api.run(load_design(small_recipe()))
    s = build.stack
    balls = s["solder_balls"]
    lifted = Body(balls.name, balls.material_name, tuple(
        dataclasses.replace(p, placements=p.placements + _dz(-0.01)) for p in balls.parts))
    rows, checks = evaluate(with_stack(build, s.replace(lifted)))
    by = {r.number: r for r in rows}
    assert not by[1].embodied and "solder_balls_seated" in by[1].failing and not rules_pass(checks)
    assert not by[6].embodied and by[6].failing == ("claim 1",)


def _dz(dz: float):
    m = np.zeros((4, 4))
    m[2, 3] = dz
    return m


def test_missing_check_is_reported_as_failing():
    build = api.run(load_design(small_recipe()))
    results = [c for c in api.check(build) if c.name != "chip_back_encapsulated"]
    rows, _ = evaluate(build, results)
    six = next(r for r in rows if r.number == 6)
    assert not six.embodied and six.failing == ("chip_back_encapsulated (missing)",)
