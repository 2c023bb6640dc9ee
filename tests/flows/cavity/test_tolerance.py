"""The cavity fast statistical path (geometry.flows.cavity.tolerance): closed-form margins against hand values and
against full B-rep builds (api) of the same member values: same pass/fail, values within 1 nm."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from geometry import api
from geometry.flows import load_design
from geometry.flows.cavity import names
from geometry.flows.cavity import tolerance as t
from tests.conftest import by_name, small_cavity

VALUE_TOL_UM = 1e-3
"""Fast path vs B-rep: 1 nm (the kernel's bounds and lowest-point tolerances)."""


def nominal_draws(nom: t.Nominal, n: int = 1, slice_thickness: float | None = None) -> t.Draws:
    m = len(nom.ball_xy)
    return t.Draws(np.full(n, nom.slice_thickness if slice_thickness is None else slice_thickness),
                   np.full((n, m), nom.ball_diameter), np.full((n, 1), nom.pad_diameter))


def test_nominal_margins_by_hand():
    """Defaults: balls 0.38 tall on 0.015 mm pads, slice 0.15 under 0.03 mm adhesive: the slug's bottom 0.18 below
    the substrate, the apexes 0.395: 215 um of stand-off; 230 um thinner than the balls; webs 0.7 - 0.45 and
    0.7 - 0.35 mm."""
    d = load_design(small_cavity())
    nom = t.Nominal.of(d)
    m = t.evaluate(nom, nominal_draws(nom))
    v = {k: float(x[0]) for k, x in m.values.items()}
    assert v == pytest.approx({"slug_standoff": 215.0, "slug_thinner": 230.0, "coplanarity": 0.0,
                               "ball_gap": 250.0, "pad_gap": 350.0}, abs=1e-9)
    assert m.all_passed[0]
    m = t.evaluate(nom, nominal_draws(nom, slice_thickness=0.39))  # a slug thicker than the balls are tall
    assert not m.passed["slug"][0] and m.values["slug_thinner"][0] == pytest.approx(-10.0, abs=1e-9)


def test_study_counts_every_draw_and_fails_thick_slices():
    d = load_design(small_cavity(metal_slice={"thickness": 0.3},
                                 solder_balls={**small_cavity()["solder_balls"], "diameter_spread": 0.01}))
    tol = t.Tolerances.of(d, slice_thickness=0.04)
    assert tol.ball_diameter == 0.01
    s = t.study(d, tol, 600, seed=2, chunk=250)
    assert s.n == 600 and np.array_equal(s.passed["all"], s.passed["slug"] & s.passed["coplanarity"]
                                         & s.passed["ball_gap"] & s.passed["pad_gap"])
    fails = ~s.passed["slug"]
    assert 0 < fails.sum() < 100  # slices 0.3 +- 0.12 mm: the slug reaches the seating plane above 0.365 mm
    assert np.all(s.margins["slug_standoff"][fails] <= 1e-3) or np.all(s.margins["slug_thinner"][fails] <= 1e-3)
    y = s.summary()["yield"]["slug"]
    assert y["ci_low"] <= y["yield"] <= y["ci_high"] and y["draws"] == 600


def compare(d) -> t.Margins:
    """The fast path on the member values the build of ``d`` realises against its checks."""
    nom = t.Nominal.of(d)
    dr = dataclasses.replace(nominal_draws(nom), diameters=d.solder_balls.diameters(d.seed)[None])
    fast = t.evaluate(nom, dr)
    ch = by_name(api.check(api.run(d)))
    slug = ch[names.SLUG_BELOW_BALLS]
    assert fast.values["slug_standoff"][0] == pytest.approx(1e3 * slug.value, abs=VALUE_TOL_UM)
    assert bool(fast.passed["slug"][0]) == slug.passed
    cop = ch[names.SOLDER_BALLS_COPLANARITY]
    assert fast.values["coplanarity"][0] == pytest.approx(1e3 * cop.value, abs=VALUE_TOL_UM)
    assert bool(fast.passed["coplanarity"][0]) == cop.passed
    for key, check in (("ball_gap", names.SOLDER_BALLS_GAP), ("pad_gap", names.BOTTOM_PADS_GAP)):
        assert fast.values[key][0] == pytest.approx(1e3 * ch[check].value, abs=VALUE_TOL_UM), key
        assert bool(fast.passed[key][0]) == ch[check].passed
    return fast


@pytest.mark.parametrize("k", range(2))
def test_fast_path_matches_full_builds_on_sampled_draws(k):
    """Sampled draws: the design seed sets the ball diameters, the slice thickness drawn about 0.15 mm."""
    rng = np.random.default_rng(200 + k)
    thick = float(np.clip(0.15 + 0.04 * rng.standard_normal(), 0.05, 0.3))
    d = load_design(small_cavity(seed=k, metal_slice={"thickness": thick},
                                 solder_balls={**small_cavity()["solder_balls"], "diameter_spread": 0.01}))
    fast = compare(d)
    assert fast.values["coplanarity"][0] > 1.0  # the spread balls are not coplanar
