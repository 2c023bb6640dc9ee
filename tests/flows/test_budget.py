"""The resource budget (geometry/flows/budget.py): estimated from the parameters, close to what a build makes,
and a design over it refused in one line naming --budget, before any geometry."""

from __future__ import annotations

import json

import pytest

from geometry.commands import recipe_paths
from geometry.core.flow import Flow
from geometry.core.params import ParameterError
from geometry.flows.budget import BUDGET, EXPORT_TRIANGLES, check_budget, estimate
from geometry.output.mesh import MAX_TRIANGLES
from geometry.recipes import load
from tests.conftest import RECIPES, ROOT

HOSTILE = ROOT / "tests" / "hostile" / "budget"


def test_export_budget_matches_the_mesher():
    assert EXPORT_TRIANGLES == MAX_TRIANGLES


@pytest.mark.parametrize("recipe", recipe_paths([str(RECIPES)]), ids=lambda p: p.stem)
def test_members_estimate_within_ten_percent_of_the_build(recipe):
    """The golden manifests count every body's members as built (the estimate is within 0.5 % on every recipe but
    fc-exposed, whose exposed chip back tiles the first encapsulant into more cells: 900 against 995)."""
    design = load(recipe)
    built = sum(b["count"] for b in json.loads((ROOT / "tests/golden" / f"{design.name}.json").read_text())["bodies"])
    assert abs(estimate(design).members - built) <= max(5, 0.1 * built)
    check_budget(design)  # every shipped recipe is within the default budget


def test_40k_bumps_and_balls_refused_before_any_kernel_work(monkeypatch):
    monkeypatch.setattr(Flow, "run", lambda *a, **k: pytest.fail("the flow ran"))
    design = load(HOSTILE / "fc-40k-bumps-40k-balls.toml")
    cost = estimate(design)
    assert cost.members == 40_000 * 3 + 40_000 * 2 + 12
    assert cost.triangles > 10 * EXPORT_TRIANGLES  # the build wrote 12.4 M
    with pytest.raises(ParameterError, match=r"200,012 members .* raise the budget with --budget 5 "):
        check_budget(design)
    with pytest.raises(ParameterError):
        check_budget(design, scale=4.9)
    assert check_budget(design, scale=5) == cost


def test_4000_wires_refused_by_their_distinct_loops():
    cost = estimate(load(HOSTILE / "cavity-4000-wires.toml"))
    assert cost.prototypes > BUDGET.prototypes and cost.members > 3 * 4_000


def test_perimeter_counts_members_not_sites():
    design = load(HOSTILE / "perimeter-3996-balls.toml")
    assert design.solder_balls.layout_count == design.solder_balls.count == 3_996
