"""Expansion of a sweep spec into variants (geometry/sweep/expand.py), no kernel work: grids in a fixed order,
seeded tolerance draws, Latin hypercube and random samples, fixed and derived values and the filter."""

from __future__ import annotations

import math

from geometry import sweep
from tests.conftest import FLAKY_THICKNESS, make_spec


def test_grid_expansion_is_ordered_and_deterministic():
    spec = make_spec(sample={"replicates": 2})
    plan = sweep.expand(spec)
    assert len(plan.variants) == 3 * 2 * 2 and plan.points == 6 and plan.filtered == 0
    first = plan.variants[0]
    assert first.values == {"chip.thickness": 0.30, "bumps.pitch": 0.2}
    assert [v.values["bumps.pitch"] for v in plan.variants[:4]] == [0.2, 0.2, 0.1, 0.1]
    assert first.recipe["chip"]["thickness"] == 0.30 and first.recipe["bumps"]["pitch"] == 0.2
    assert first.recipe["chip"]["width"] == 2.0  # the rest of the base is kept
    again = sweep.expand(make_spec(sample={"replicates": 2}))
    assert [v.key for v in again.variants] == [v.key for v in plan.variants]
    assert len({v.key for v in plan.variants}) == len(plan.variants)
    assert all(v.key == sweep.variant_key(v.recipe) and v.name.startswith("t-sweep-") for v in plan.variants)


def test_tolerance_draws_are_seeded_truncated_and_stable_when_an_axis_grows():
    spec = make_spec(sample={"replicates": 20})
    plan = sweep.expand(spec)
    caps = [v.recipe["second_encapsulant"]["cap_thickness"] for v in plan.variants]
    assert all(abs(c - 0.6) <= 2 * 0.005 + 1e-12 for c in caps)
    assert len(set(caps)) == len(caps)
    assert all(v.nominal == {"second_encapsulant.cap_thickness": 0.6} for v in plan.variants)
    other = sweep.expand(make_spec(sample={"replicates": 20}, seed=6))
    assert [v.key for v in other.variants] != [v.key for v in plan.variants]
    grown = sweep.expand(make_spec(sample={"replicates": 20}, axes={
        "chip.thickness": [0.28, 0.30, 0.32, FLAKY_THICKNESS], "bumps.pitch": [0.2, 0.1]}))
    assert {v.key for v in plan.variants} <= {v.key for v in grown.variants}


def test_uniform_tolerance_on_an_axis_keeps_the_nominal():
    spec = make_spec(tolerances={"chip.thickness": {"dist": "uniform", "low": -0.01, "high": 0.01}},
                     sample={"replicates": 5})
    plan = sweep.expand(spec)
    assert plan.nominal_columns == ["chip.thickness"]
    for v in plan.variants:
        drawn, nominal = v.recipe["chip"]["thickness"], v.values["chip.thickness"]
        assert v.nominal["chip.thickness"] == nominal and abs(drawn - nominal) <= 0.01


def test_latin_hypercube_is_stratified_and_seeded():
    spec = make_spec(axes={"chip.thickness": {"low": 0.25, "high": 0.35}, "chip.offset_x": {"low": -0.1,
                                                                                           "high": 0.1}},
                     tolerances={}, sample={"method": "lhs", "count": 10})
    plan = sweep.expand(spec)
    assert len(plan.variants) == 10
    t = sorted(v.values["chip.thickness"] for v in plan.variants)
    assert [math.floor((x - 0.25) / 0.01) for x in t] == list(range(10))  # one sample per tenth of the interval
    assert [v.key for v in sweep.expand(spec).variants] == [v.key for v in plan.variants]
    rnd = sweep.expand(make_spec(axes={"chip.thickness": {"low": 0.25, "high": 0.35}}, tolerances={},
                                 sample={"method": "random", "count": 7}))
    assert len(rnd.variants) == 7 and all(0.25 <= v.values["chip.thickness"] <= 0.35 for v in rnd.variants)


def test_fixed_derived_and_filter():
    spec = make_spec(axes={"chip.thickness": [0.3, 0.35, 0.4]}, tolerances={},
                     fixed={"second_encapsulant.min_cover": 0.04},
                     derived={"second_encapsulant.cap_thickness": "chip.thickness + 0.12 + bumps.height"},
                     filter="chip.thickness < 0.39 and second_encapsulant.min_cover > 0")
    plan = sweep.expand(spec)
    assert plan.points == 3 and plan.filtered == 1 and len(plan.variants) == 2
    caps = [v.recipe["second_encapsulant"]["cap_thickness"] for v in plan.variants]
    assert caps == [0.51, 0.56]  # computed values are rounded to 12 significant digits
    assert all(v.recipe["second_encapsulant"]["min_cover"] == 0.04 for v in plan.variants)
