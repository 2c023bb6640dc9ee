"""The fast statistical path of the flip-chip flow (issue 16): Monte Carlo tolerance draws of the parameters that only
move or resize members, evaluated in closed form from the nominal design, vectorised over members and draws, with
no B-rep build.

Drawn per draw (normal, truncated at 3 sigma, sigmas in mm): every bump's height about its nominal, the polish plane
(one per draw), every ball's diameter about its nominal (its stand-off scales with it, as the build's balls do),
each chip's placement offset in x and y (its pads move over the bump ends), every substrate pad's and ball pad's
diameter, and the substrate's warpage: a parabolic (spherical, to second order) bow of peak-to-valley ``w`` over the
ball array, which moves each ball's apex by ``w r^2 / r_max^2`` (``r`` its distance from the array's centroid,
positive ``w`` lifting the outer balls away from the board). Margins per draw, in um:

- ``exposure``: the worst bump-end depth below the first encapsulant's top (the polish plane, or the as-formed top
  unpolished), signed: negative when every end reaches above the plane, by the shortest's reach (the margin to
  failure); passes at <= Z_TOL and, unpolished, when every end standing proud of the top keeps its designed area
  (the section at the top) within 1e-3 (the ``bumps_ends_exposed`` check: an end below the top is covered, claim 1
  step 3; claim 4);
- ``pad_landing``: the least of (end radius - placement offset) over the ends at the top (a chip pad's centre
  must fall on its end's disc, ``chip_pads_on_bumps``; claim 1 step 4, claim 5); the chip pads sit at the top, so
  an end below it (covered) or, unpolished, above it (proud) fails its pad too;
- ``coplanarity``: JEDEC ball coplanarity, the largest apex height above the seating plane, against the limit
  for the ball pitch (``solder_balls_coplanarity``, claim 1 step 6);
- ``ball_gap``, ``bump_gap``, ``pad_gap`` (substrate pads, inf without), ``ball_pad_gap``: the least web between
  neighbouring members, centre distance less their radii, > Z_TOL to pass (the ``*_gap`` checks,
  :func:`~geometry.checks.arrays.member_gap`); a bump's radius is its sphere's, or its end section's when the end is
  cut below the sphere's equator.

The build has no warpage: the bow is compared in tests with the closed-form seating plane of bowed apexes.

The closed forms are those the build's B-rep realises: a bump's end is cut flat at min(top, height) above its
base with the radius of its solder sphere there (:meth:`Bumps.end_radius`); a ball's apex hangs its stand-off
``height x d / diameter`` below the pad. Tests compare them with full builds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.results import Z_TOL
from ...measure.seating import coplanarity_limit, seating_heights
from ...measure.stats import Study
from ...measure.webs import least_web, neighbour_pairs, sizes, truncated_normal
from .params import FlipChipDesign

UM = 1e3
"""Micrometres per millimetre."""
AREA_RTOL = 1e-3
"""Relative end-area tolerance of the exposure check (:func:`~geometry.checks.arrays.ends_exposed`)."""
CHECKS = ("exposure", "pad_landing", "coplanarity", "ball_gap", "bump_gap", "pad_gap", "ball_pad_gap")
"""The checks of the fast path, in report order."""


@dataclass(frozen=True)
class Tolerances:
    """Standard deviations (mm) of the draws, each truncated at 3 sigma: per bump height, per draw polish plane,
    per ball diameter, per chip placement offset along x and along y, per substrate pad and per ball pad diameter,
    per draw warpage (peak-to-valley over the ball array, about ``warpage_mean``, mm, signed: > 0 lifts the outer
    balls)."""

    bump_height: float = 0.0
    polish_plane: float = 0.0
    ball_diameter: float = 0.0
    placement: float = 0.0
    pad_diameter: float = 0.0
    ball_pad_diameter: float = 0.0
    warpage: float = 0.0
    warpage_mean: float = 0.0

    @classmethod
    def of(cls, d: FlipChipDesign, **changes: float) -> Tolerances:
        """The design's own spreads (the first site's ``bumps.height_spread``, ``solder_balls.diameter_spread``),
        updated by ``changes``."""
        base = {"bump_height": d.first.bumps.height_spread, "ball_diameter": d.solder_balls.diameter_spread}
        return cls(**{**base, **changes})


@dataclass(frozen=True, eq=False)
class SiteNominal:
    """One chip site's nominal bump geometry (mm): bump centres (N, 2), base z, the first encapsulant's top z over
    it (the polish plane when polished), nominal height, the solder sphere radius, and its centre above the base
    (NaN for a ball, whose centre is at half its height); neighbour pairs (P, 2) with their centre distances, and
    the substrate pad diameter (0 without pads)."""

    xy: np.ndarray
    z_base: float
    z_top: float
    height: float
    radius: float
    centre: float
    ball: bool
    pairs: np.ndarray
    pair_distance: np.ndarray
    pad_diameter: float


@dataclass(frozen=True, eq=False)
class Nominal:
    """The nominal design in closed form (mm): its sites, whether polished, and the ball array: centres (M, 2),
    nominal diameter and stand-off, pad z, neighbour pairs and their centre distances, the coplanarity limit for
    the pitch, the ball pad diameter and each ball's bow factor r^2 / r_max^2."""

    sites: tuple[SiteNominal, ...]
    polished: bool
    ball_xy: np.ndarray
    ball_diameter: float
    ball_height: float
    z_contact: float
    pairs: np.ndarray
    pair_distance: np.ndarray
    coplanarity_limit: float
    ball_pad_diameter: float
    bow: np.ndarray

    @classmethod
    def of(cls, d: FlipChipDesign) -> Nominal:
        sites = []
        for s in d.sites():
            b = s.bumps
            ball = b.shape == "ball"
            bxy = np.asarray(s.bump_sites(), dtype=float)
            sites.append(SiteNominal(bxy, s.z_bump_base, s.z_first_top, b.height, b.diameter / 2,
                                     np.nan if ball else b.centre(b.height, s.pad_diameter), ball,
                                     *neighbour_pairs(bxy, b.spacing), s.pad_diameter))
        balls = d.solder_balls
        xy = np.asarray(balls.positions(), dtype=float)
        r2 = ((xy - xy.mean(axis=0)) ** 2).sum(axis=1)
        return cls(tuple(sites), bool(d.first_encapsulant.polish), xy, balls.diameter, balls.height,
                   -d.ball_pads.thickness, *neighbour_pairs(xy, balls.spacing), coplanarity_limit(balls.pitch),
                   d.ball_pads.diameter, r2 / r2.max() if r2.max() > 0 else r2)

    @property
    def bump_count(self) -> int:
        return sum(len(s.xy) for s in self.sites)


@dataclass(frozen=True, eq=False)
class Draws:
    """``n`` draws (mm): bump heights per site (n, N_site), the polish plane's shift from nominal (n,), ball
    diameters (n, M), chip placement offsets (n, sites, 2); substrate pad diameters per site and ball pad
    diameters (n, N) or, undrawn, (n, 1) of the nominal; warpage peak-to-valley (n,)."""

    heights: tuple[np.ndarray, ...]
    plane_shift: np.ndarray
    diameters: np.ndarray
    offsets: np.ndarray
    pad_diameters: tuple[np.ndarray, ...] = ()
    ball_pad_diameters: np.ndarray | None = None
    warpage: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.plane_shift)


def draw(nom: Nominal, tol: Tolerances, n: int, rng: np.random.Generator) -> Draws:
    """``n`` tolerance draws about ``nom`` from ``rng`` (normal, truncated at 3 sigma)."""
    heights = tuple(s.height + tol.bump_height * truncated_normal(rng, (n, len(s.xy))) for s in nom.sites)
    shift = tol.polish_plane * truncated_normal(rng, (n,)) if nom.polished else np.zeros(n)
    diameters = nom.ball_diameter + tol.ball_diameter * truncated_normal(rng, (n, len(nom.ball_xy)))
    offsets = tol.placement * truncated_normal(rng, (n, len(nom.sites), 2))
    pads = tuple(sizes(rng, s.pad_diameter, tol.pad_diameter if s.pad_diameter > 0 else 0.0, n, len(s.xy))
                 for s in nom.sites)
    ball_pads = sizes(rng, nom.ball_pad_diameter, tol.ball_pad_diameter, n, len(nom.ball_xy))
    warpage = tol.warpage_mean + tol.warpage * truncated_normal(rng, (n,))
    return Draws(heights, shift, diameters, offsets, pads, ball_pads, warpage)


@dataclass(frozen=True, eq=False)
class Margins:
    """Per draw (n,): the margins (um) and each check's pass; per member: draws in which each bump was covered
    (its end below the top), each chip pad missed its end, each ball stood beyond the coplanarity limit."""

    exposure: np.ndarray
    pad_landing: np.ndarray
    coplanarity: np.ndarray
    ball_gap: np.ndarray
    bump_gap: np.ndarray
    pad_gap: np.ndarray
    ball_pad_gap: np.ndarray
    passed: dict[str, np.ndarray]
    covered: np.ndarray
    pads_missed: np.ndarray
    balls_high: np.ndarray
    coplanarity_limit: float

    @property
    def all_passed(self) -> np.ndarray:
        return np.logical_and.reduce([self.passed[c] for c in CHECKS])


def _end_radius(site: SiteNominal, z_end: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Radius (mm) of the solder's section ``z_end`` above the base, elements of height ``h``."""
    c = h / 2 if site.ball else site.centre
    return np.sqrt(np.maximum(site.radius**2 - (z_end - c) ** 2, 0.0))


def evaluate(nom: Nominal, dr: Draws) -> Margins:
    """The closed-form margins of every draw of ``dr`` (see the module docstring), vectorised over members and
    draws; the seating plane is found per draw (one convex hull of the apexes)."""
    depth_worst = np.full(dr.n, -np.inf)
    landing = np.full(dr.n, np.inf)
    bump_gap, pad_gap = np.full(dr.n, np.inf), np.full(dr.n, np.inf)
    covered, missed, area_bad = [], [], []
    for k, (site, h) in enumerate(zip(nom.sites, dr.heights, strict=True)):
        top = site.z_top - site.z_base + dr.plane_shift[:, None]
        depth = top - h
        cov = depth > Z_TOL
        depth_worst = np.maximum(depth_worst, depth.max(axis=1))
        end = np.minimum(top, h) if nom.polished else h  # unpolished, a taller end stands proud of the top
        r = _end_radius(site, end, h)
        off = np.abs(end - top) > Z_TOL  # the chip pads sit at the top: an end off it misses its pad
        if not nom.polished:
            want = _end_radius(site, np.minimum(top, h), h)
            with np.errstate(divide="ignore", invalid="ignore"):
                bad_area = np.abs(r * r - want * want) > AREA_RTOL * want * want
            area_bad.append(bad_area.any(axis=1))
        shift = np.hypot(dr.offsets[:, k, 0], dr.offsets[:, k, 1])[:, None]
        lateral = np.where(off, np.inf, r - shift)
        landing = np.minimum(landing, lateral.min(axis=1))
        covered.append(cov)
        missed.append(off | (lateral < 0))
        centre = h / 2 if site.ball else site.centre
        plan = np.where(end >= centre, site.radius, r)  # the sphere's equator, or the end cut below it
        bump_gap = np.minimum(bump_gap, least_web(plan, site.pairs, site.pair_distance, len(site.xy)))
        if site.pad_diameter > 0:
            pads = dr.pad_diameters[k] if dr.pad_diameters else np.full((dr.n, 1), site.pad_diameter)
            pad_gap = np.minimum(pad_gap, least_web(pads / 2, site.pairs, site.pair_distance, len(site.xy)))
    covered_all, missed_all = np.concatenate(covered, axis=1), np.concatenate(missed, axis=1)
    apex = nom.z_contact - nom.ball_height * dr.diameters / nom.ball_diameter
    if dr.warpage is not None:
        apex = apex + dr.warpage[:, None] * nom.bow
    seat = np.stack([seating_heights(np.column_stack([nom.ball_xy, a])) for a in apex])
    gap = least_web(dr.diameters / 2, nom.pairs, nom.pair_distance, len(nom.ball_xy))
    cop = seat.max(axis=1)
    exposed = depth_worst <= Z_TOL
    if area_bad:
        exposed &= ~np.logical_or.reduce(area_bad)
    ball_pads = np.full((dr.n, 1), nom.ball_pad_diameter) if dr.ball_pad_diameters is None else dr.ball_pad_diameters
    pad_web = least_web(ball_pads / 2, nom.pairs, nom.pair_distance, len(nom.ball_xy))
    passed = {"exposure": exposed, "pad_landing": ~missed_all.any(axis=1),
              "coplanarity": cop <= nom.coplanarity_limit, "ball_gap": gap > Z_TOL, "bump_gap": bump_gap > Z_TOL,
              "pad_gap": pad_gap > Z_TOL, "ball_pad_gap": pad_web > Z_TOL}
    return Margins(depth_worst * UM, landing * UM, cop * UM, gap * UM, bump_gap * UM, pad_gap * UM, pad_web * UM,
                   passed, covered_all.sum(axis=0),
                   missed_all.sum(axis=0), (seat > nom.coplanarity_limit).sum(axis=0), nom.coplanarity_limit * UM)


def margin_limits(nom: Nominal) -> dict[str, tuple[float | None, float | None]]:
    """Each margin's (lower, upper) limit (um) for Cpk."""
    return {"exposure": (None, Z_TOL * UM), "pad_landing": (0.0, None), "coplanarity": (None, nom.coplanarity_limit * UM),
            "ball_gap": (0.0, None), "bump_gap": (0.0, None), "pad_gap": (0.0, None), "ball_pad_gap": (0.0, None)}


CHUNK_VALUES = 2_000_000
"""Member values per chunk of draws by default (bounds memory at a few hundred MB)."""


def counts(nom: Nominal, m: Margins) -> tuple[dict[str, np.ndarray], dict[str, tuple[int, int]]]:
    """The margins (um, per draw) and the defects (defective members, members examined) of the evaluated draws
    ``m``."""
    n = len(m.all_passed)
    return {k: getattr(m, k) for k in CHECKS}, {
        "bumps_covered": (int(m.covered.sum()), nom.bump_count * n),
        "pads_not_landed": (int(m.pads_missed.sum()), nom.bump_count * n),
        "balls_beyond_coplanarity": (int(m.balls_high.sum()), len(nom.ball_xy) * n)}


def study(d: FlipChipDesign, tol: Tolerances, n: int, seed: int = 0, chunk: int | None = None) -> Study:
    """``n`` draws of ``tol`` about design ``d``, evaluated ``chunk`` draws at a time (default: about
    :data:`CHUNK_VALUES` member values per chunk), reproducible from ``seed`` and ``chunk``."""
    nom = Nominal.of(d)
    chunk = chunk or max(1, CHUNK_VALUES // max(nom.bump_count + len(nom.ball_xy), 1))
    rng = np.random.default_rng(seed)
    parts = [evaluate(nom, draw(nom, tol, min(chunk, n - start), rng)) for start in range(0, n, chunk)]
    return Study.merged(nom, tol, seed, margin_limits(nom),
                        [{k: m.passed[k] for k in CHECKS} | {"all": m.all_passed} for m in parts],
                        [counts(nom, m) for m in parts])
