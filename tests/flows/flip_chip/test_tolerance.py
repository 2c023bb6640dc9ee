"""The flip-chip fast statistical path (geometry.flows.flip_chip.tolerance): closed-form margins against hand
values, and against full B-rep builds (api) of the same member values: same pass/fail, values within stated
tolerances."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.spatial import ConvexHull, cKDTree

from geometry import api
from geometry.checks import arrays
from geometry.core import occ
from geometry.core.stack import Body
from geometry.flows import load_design
from geometry.flows.flip_chip import names
from geometry.flows.flip_chip import tolerance as t
from geometry.measure.faces import flat_ends
from tests.conftest import by_name, small_recipe

POLISH = {"thickness": 0.12, "polish": True, "polish_plane": 0.1}
VALUE_TOL_UM = 1e-3
"""Fast path vs B-rep: 1 nm on depths, gaps and coplanarity (the kernel's lowest-point and face tolerances)."""


def design(**changes):
    return load_design(small_recipe(**{"first_encapsulant": POLISH, **changes}))


def nominal_draws(nom: t.Nominal, n: int = 1, shift=0.0, offset=(0.0, 0.0)) -> t.Draws:
    return t.Draws(tuple(np.full((n, len(s.xy)), s.height) for s in nom.sites), np.full(n, shift),
                   np.full((n, len(nom.ball_xy)), nom.ball_diameter), np.tile(np.array(offset), (n, 1, 1)))


# --- closed forms against hand values -------------------------------------------------------------------------


def test_nominal_margins_by_hand():
    d = design()
    nom = t.Nominal.of(d)
    m = t.evaluate(nom, nominal_draws(nom))
    # bump end 0.015 + 0.09 = 0.105 above the first surface, plane at 0.1: every end 5 um above it
    assert m.exposure[0] == pytest.approx(-5.0, abs=1e-9)
    # ball bump (sphere r 0.06 centred at h/2 = 0.045) cut at 0.085 above its base: r = sqrt(0.06^2 - 0.04^2)
    assert m.pad_landing[0] == pytest.approx(1e3 * math.sqrt(0.06**2 - 0.04**2), rel=1e-12)
    assert m.coplanarity[0] == pytest.approx(0.0, abs=1e-9)
    assert m.ball_gap[0] == pytest.approx(1e3 * (1.0 - 0.6), rel=1e-12)  # pitch less one diameter
    assert all(bool(v[0]) for v in m.passed.values()) and m.coplanarity_limit == 150.0


def test_plane_shift_and_placement_move_the_margins_one_for_one():
    nom = t.Nominal.of(design())
    m = t.evaluate(nom, nominal_draws(nom, shift=0.007, offset=(0.03, 0.04)))
    assert m.exposure[0] == pytest.approx(2.0, abs=1e-9)  # plane 7 um up: every end 2 um below it
    assert not m.passed["exposure"][0] and not m.passed["pad_landing"][0]
    assert m.covered.sum() == 30 and m.pads_missed.sum() == 30
    m = t.evaluate(nom, nominal_draws(nom, offset=(0.03, 0.04)))  # 50 um off: beyond the 44.7 um end radius
    assert m.pad_landing[0] == pytest.approx(1e3 * math.sqrt(0.06**2 - 0.04**2) - 50.0, rel=1e-9)
    assert m.passed["exposure"][0] and not m.passed["pad_landing"][0]


def test_ball_diameters_set_gap_and_coplanarity():
    nom = t.Nominal.of(design())
    dr = nominal_draws(nom)
    dia = dr.diameters.copy()
    dia[0, 12] = 0.5  # the centre ball of 5 x 5, 0.1 mm smaller: stand-off 0.5 x 0.5 / 0.6 shorter by 83.3 um
    dia[0, 0] = 0.7  # a corner ball larger: the web to its neighbours is 1.0 - 0.35 - 0.3
    m = t.evaluate(nom, dataclasses.replace(dr, diameters=dia))
    assert m.ball_gap[0] == pytest.approx(350.0, rel=1e-9)
    assert m.coplanarity[0] > 0.5 * 1e3 / 6 - 1e-6 and m.balls_high.sum() == 0


def test_study_is_reproducible_and_counts_every_draw():
    d = design(bumps={"height_spread": 0.002})
    tol = t.Tolerances.of(d, polish_plane=0.002, placement=0.005)
    assert tol.bump_height == 0.002 and tol.ball_diameter == 0.0
    a, b = t.study(d, tol, 500, seed=3, chunk=200), t.study(d, tol, 500, seed=3, chunk=200)
    assert a.n == 500 and np.array_equal(a.margins["exposure"], b.margins["exposure"])
    s = a.summary()
    y = s["yield"]["all"]
    assert y["draws"] == 500 and y["ci_low"] <= y["yield"] <= y["ci_high"]
    assert y["passed"] == int((a.passed["exposure"] & a.passed["pad_landing"] & a.passed["coplanarity"]
                               & a.passed["ball_gap"]).sum())
    covered, examined = a.defects["bumps_covered"]
    assert examined == 30 * 500 and s["dpm"]["bumps_covered"] == pytest.approx(1e6 * covered / examined)
    assert 0 < y["yield"] < 1  # the spreads make some draws fail and some pass


def test_gaps_by_hand_and_pad_size_draws():
    """Nominal webs: pitch less the two radii (bumps 0.2 - 0.12, substrate pads 0.2 - 0.11, ball pads 1.0 - 0.5);
    one substrate pad drawn 0.1 mm wider and one ball pad 0.5 mm wider close their webs by half that."""
    nom = t.Nominal.of(design())
    m = t.evaluate(nom, nominal_draws(nom))
    assert (m.bump_gap[0], m.pad_gap[0], m.ball_pad_gap[0]) == pytest.approx((80.0, 90.0, 500.0), rel=1e-12)
    pads = np.full((1, 30), 0.11)
    pads[0, 7] = 0.21
    balls = np.full((1, 25), 0.5)
    balls[0, 12] = 1.0
    m = t.evaluate(nom, dataclasses.replace(nominal_draws(nom), pad_diameters=(pads,), ball_pad_diameters=balls))
    assert m.pad_gap[0] == pytest.approx(40.0, rel=1e-9) and m.ball_pad_gap[0] == pytest.approx(250.0, rel=1e-9)
    balls[0, 13] = 1.0  # two neighbours 1.0 wide at pitch 1.0 touch: no web, the check fails
    m = t.evaluate(nom, dataclasses.replace(nominal_draws(nom), ball_pad_diameters=balls))
    assert m.ball_pad_gap[0] == pytest.approx(0.0, abs=1e-9) and not m.passed["ball_pad_gap"][0]


@pytest.mark.parametrize("w", [0.01, -0.01])
def test_warpage_against_the_closed_form_seating_plane(w):
    """The build has no warpage: a parabolic bow of peak-to-valley w over a 5 x 5 array (pitch 1 mm, bow factor
    r^2 / 8) against its seating plane by hand. Edges up (w > 0): the package rocks on the centre ball and two
    neighbours, plane z = w (x + y) / 8, and the far corner stands 1.5 w above it (normal to the plane: divided by
    sqrt(1 + 2 (w / 8)^2)); edges down: it rests on the four corners and the centre stands |w| above them."""
    nom = t.Nominal.of(design())
    assert np.ptp(nom.bow) == 1.0
    m = t.evaluate(nom, dataclasses.replace(nominal_draws(nom), warpage=np.array([w])))
    want = 1.5 * w / math.sqrt(1 + 2 * (w / 8) ** 2) if w > 0 else -w
    assert m.coplanarity[0] == pytest.approx(1e3 * want, rel=1e-9)
    s = t.study(design(), t.Tolerances.of(design(), warpage=0.02, warpage_mean=0.08), 400, seed=1)
    cop = s.margins["coplanarity"]  # bows 0.08 +- 3 x 0.02 mm, all edges up: 1.5 x (0.02..0.14) mm
    assert 30.0 - 1e-6 < cop.min() and cop.max() < 210.0 + 1e-6
    assert np.array_equal(s.passed["coplanarity"], cop <= 150.0)
    assert 0.7 < s.passed["coplanarity"].mean() < 0.95  # the 150 um limit at a bow of 0.1 mm, 1 sigma up: 84 %


# --- against full builds --------------------------------------------------------------------------------------


def fast_of_build(d) -> t.Margins:
    """The fast path on the member values the build of ``d`` realises (its seed's heights and diameters)."""
    nom = t.Nominal.of(d)
    dr = dataclasses.replace(nominal_draws(nom), heights=tuple(s.bump_heights()[None] for s in d.sites()),
                             diameters=d.solder_balls.diameters(d.seed)[None])
    return t.evaluate(nom, dr)


def seating_candidates(apex: np.ndarray) -> list[float]:
    """Coplanarity (mm) above every lower-hull facet whose plan contains the apexes' centroid. The drawn diameters
    take a few discrete levels, so apexes tie and the centroid of a square array can lie on a facet edge: then
    several facets qualify (seed 1: 33.3 or 37.5 um) and :func:`seating_heights` takes the worst."""
    q = apex - apex.mean(axis=0)
    if np.ptp(q[:, 2]) < 1e-12:  # every apex on one plane
        return [0.0]
    hull = ConvexHull(q)
    out = []
    for simplex, eq in zip(hull.simplices, hull.equations, strict=True):
        if eq[2] >= -1e-12:
            continue
        v = q[simplex, :2]
        m = np.column_stack([v[1] - v[0], v[2] - v[0]])
        if abs(np.linalg.det(m)) < 1e-18:
            continue
        w = np.linalg.solve(m, -v[0])
        if min(w[0], w[1], 1 - w[0] - w[1]) >= -1e-9:
            out.append(float((-(q @ eq[:3] + eq[3])).max()))
    return out


def brep_margins(b) -> dict:
    """The same margins measured on the built B-rep (um): end depths below the plane from the bump bodies' flat
    ends, ball webs from the balls' member bounds, apexes from each prototype's lowest B-rep point, and the checks'
    own values."""
    d, s = b.design, b.stack
    plane = d.first.z_first_top
    ends, _ = flat_ends(s[names.BUMPS])
    mb = s[names.SOLDER_BALLS].member_bounds()
    c, r = (mb[:, :2] + mb[:, 3:5]) / 2, (mb[:, 3] - mb[:, 0]) / 2
    pairs = np.array(sorted(cKDTree(c).query_pairs(1.5 * d.solder_balls.pitch)))
    gap = (np.linalg.norm(c[pairs[:, 0]] - c[pairs[:, 1]], axis=1) - r[pairs[:, 0]] - r[pairs[:, 1]]).min()
    checks = by_name(api.check(b))
    apex = np.concatenate([occ.lowest_point(p.shape) + p.placements[:, :3, 3] for p in s[names.SOLDER_BALLS].parts])
    return {"apex": apex, "depth": 1e3 * float((plane - ends[:, 2]).max()), "covered": int((plane - ends[:, 2] > 1e-6).sum()),
            "gap": 1e3 * gap, "checks": checks}


def compare(d) -> t.Margins:
    b = api.run(d)
    fast, full = fast_of_build(d), brep_margins(b)
    ch = full["checks"]
    assert bool(fast.passed["exposure"][0]) == ch[names.BUMPS_ENDS_EXPOSED].passed
    assert bool(fast.passed["pad_landing"][0]) == ch[names.CHIP_PADS_ON_BUMPS].passed
    assert int(fast.pads_missed.sum()) == int(ch[names.CHIP_PADS_ON_BUMPS].value)
    assert int(fast.covered.sum()) == full["covered"]
    assert max(fast.exposure[0], 0.0) == pytest.approx(full["depth"], abs=VALUE_TOL_UM)
    assert bool(fast.passed["coplanarity"][0]) == ch[names.SOLDER_BALLS_COPLANARITY].passed
    apex = full["apex"]
    want = d.solder_balls.diameters(d.seed)
    z = -d.ball_pads.thickness - d.solder_balls.height * want / d.solder_balls.diameter
    _, k = cKDTree(d.solder_balls.positions()).query(apex[:, :2])
    assert 1e3 * np.abs(z[k] - apex[:, 2]).max() <= VALUE_TOL_UM  # every apex where the closed form puts it
    cands = np.array(seating_candidates(apex)) * 1e3
    got = 1e3 * ch[names.SOLDER_BALLS_COPLANARITY].value
    assert fast.coplanarity[0] == pytest.approx(cands.max(), abs=VALUE_TOL_UM)  # the worst of tied seatings
    assert got == pytest.approx(cands.max(), abs=VALUE_TOL_UM)
    assert fast.ball_gap[0] == pytest.approx(full["gap"], abs=VALUE_TOL_UM)
    for key, check in (("ball_gap", names.SOLDER_BALLS_GAP), ("bump_gap", names.BUMPS_GAP),
                       ("pad_gap", names.SUBSTRATE_PADS_GAP), ("ball_pad_gap", names.BALL_PADS_GAP)):
        assert getattr(fast, key)[0] == pytest.approx(1e3 * ch[check].value, abs=VALUE_TOL_UM), key
        assert bool(fast.passed[key][0]) == ch[check].passed
    return fast


def test_fast_path_matches_a_full_build_with_covered_bumps():
    """One build (default run): spread heights, the plane 3 um under the nominal ends, so the short bumps stay
    covered; spread balls."""
    d = design(first_encapsulant={**POLISH, "polish_plane": 0.102}, bumps={"height_spread": 0.003},
               solder_balls={"diameter_spread": 0.01})
    fast = compare(d)
    assert 0 < fast.covered.sum() < 30 and fast.coplanarity[0] > 1.0  # the draw exercises both failure modes


def test_fast_path_matches_a_full_build_unpolished():
    """Unpolished, the encapsulant formed flush with the nominal ends: shorter ends are covered, taller ones stand
    proud of the top where the chip pads sit, and miss them; their end area differs from the section at the top."""
    d = load_design(small_recipe(bumps={"height_spread": 0.003}))
    fast = compare(d)
    assert fast.pads_missed.sum() > fast.covered.sum() > 0


def test_placement_offset_matches_the_pad_check_on_moved_pads(small_build):
    """A chip placed off by (dx, dy): the fast path's missed pads equal the B-rep pad check on the built chip pads
    moved by the same offset."""
    d = small_build.design
    nom = t.Nominal.of(d)
    for off in ((0.02, 0.0), (0.045, 0.0), (0.03, 0.03)):
        fast = t.evaluate(nom, nominal_draws(nom, offset=off))
        pads = small_build.stack[names.CHIP_PADS]
        moved = tuple(dataclasses.replace(p, placements=p.placements + _translation(off)) for p in pads.parts)
        stack = small_build.stack.replace(Body(pads.name, pads.material_name, moved))
        r = arrays.pads_on_ends(stack, "pads", names.CHIP_PADS, names.BUMPS)
        assert int(r.value) == int(fast.pads_missed.sum()) and r.passed == bool(fast.passed["pad_landing"][0])


def _translation(off) -> np.ndarray:
    m = np.zeros((4, 4))
    m[0, 3], m[1, 3] = off
    return m


def test_pad_sizes_match_a_full_build_with_those_pads():
    """The build models one pad size per array: pads drawn all at a new size give the full build's gap checks
    (substrate pads 0.15, ball pads 0.58 mm: webs 50 and 420 um)."""
    d = design(bump_pads={"diameter": 0.15}, ball_pads={"diameter": 0.58})
    nom = t.Nominal.of(design())
    dr = dataclasses.replace(nominal_draws(nom), pad_diameters=(np.full((1, 30), 0.15),),
                             ball_pad_diameters=np.full((1, 25), 0.58))
    fast, ch = t.evaluate(nom, dr), by_name(api.check(api.run(d)))
    assert fast.pad_gap[0] == pytest.approx(1e3 * ch[names.SUBSTRATE_PADS_GAP].value, abs=VALUE_TOL_UM)
    assert fast.ball_pad_gap[0] == pytest.approx(1e3 * ch[names.BALL_PADS_GAP].value, abs=VALUE_TOL_UM)
    assert (fast.pad_gap[0], fast.ball_pad_gap[0]) == pytest.approx((50.0, 420.0), rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("k", range(4))
def test_fast_path_matches_full_builds_on_sampled_draws(k):
    """Sampled draws: the design seed sets the member values, the polish plane is drawn about 0.1 mm."""
    rng = np.random.default_rng(100 + k)
    plane = float(np.clip(0.1 + 0.003 * rng.standard_normal(), 0.092, 0.105))
    d = load_design(small_recipe(seed=k, first_encapsulant={**POLISH, "polish_plane": plane},
                                 bumps={"height_spread": 0.003}, solder_balls={"diameter_spread": 0.01}))
    compare(d)
