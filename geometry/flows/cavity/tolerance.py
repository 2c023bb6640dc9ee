"""The fast statistical path of the cavity flow (issue 16): Monte Carlo tolerance draws of the slice thickness, the
ball diameters and the bottom pad diameters, evaluated in closed form from the nominal design, vectorised over
balls and draws, with no B-rep build.

Drawn per draw (normal, truncated at 3 sigma, sigmas in mm): the metal slice's thickness (one per package; the
etched heat slug keeps it), every ball's diameter about its nominal (its stand-off, the ball height, scales with
it as the build's balls do: a ball height spread of ``height / diameter`` times the diameter spread) and every
bottom pad's diameter. Margins per draw, in um:

- ``slug_standoff``: claim 3, the slug's bottom above the seating plane (the lowest apex), > Z_TOL to pass
  (the ``heat_slug_below_solder_balls`` check's value); the slug's bottom lies the slice adhesive and the slice
  below the substrate, a ball's apex its stand-off below its pad;
- ``slug_thinner``: claim 3, the shortest ball's height less the slug's thickness, > Z_TOL to pass (the same
  check's second condition); ``slug`` passes when both do;
- ``coplanarity``: JEDEC ball coplanarity against the limit for the pitch (``solder_balls_coplanarity``, claim 2);
- ``ball_gap``, ``pad_gap``: the least web between neighbouring balls and bottom pads (``solder_balls_gap``,
  ``bottom_pads_gap``).

Tests compare them with full builds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.results import Z_TOL
from ...measure.seating import coplanarity_limit, seating_heights
from ...measure.stats import Study
from ...measure.webs import least_web, neighbour_pairs, sizes, truncated_normal
from .params import CavityDesign

UM = 1e3
"""Micrometres per millimetre."""
CHECKS = ("slug", "coplanarity", "ball_gap", "pad_gap")
"""The pass/fail checks of the fast path, in report order."""
MARGINS = ("slug_standoff", "slug_thinner", "coplanarity", "ball_gap", "pad_gap")
"""The continuous margins (um)."""


@dataclass(frozen=True)
class Tolerances:
    """Standard deviations (mm) of the draws, each truncated at 3 sigma: per package slice thickness, per ball
    diameter (its height scales with it), per bottom pad diameter."""

    slice_thickness: float = 0.0
    ball_diameter: float = 0.0
    pad_diameter: float = 0.0

    @classmethod
    def of(cls, d: CavityDesign, **changes: float) -> Tolerances:
        """The design's own spread (``solder_balls.diameter_spread``), updated by ``changes``."""
        return cls(**{"ball_diameter": d.solder_balls.diameter_spread, **changes})


@dataclass(frozen=True, eq=False)
class Nominal:
    """The nominal design in closed form (mm): ball centres (M, 2), nominal diameter and stand-off, pad z (the
    balls' contact), the slice adhesive and slice thicknesses, the bottom pad diameter, neighbour pairs with their
    centre distances, and the coplanarity limit for the pitch."""

    ball_xy: np.ndarray
    ball_diameter: float
    ball_height: float
    z_contact: float
    adhesive: float
    slice_thickness: float
    pad_diameter: float
    pairs: np.ndarray
    pair_distance: np.ndarray
    coplanarity_limit: float

    @classmethod
    def of(cls, d: CavityDesign) -> Nominal:
        b = d.solder_balls
        xy = np.asarray(b.positions(), dtype=float)
        return cls(xy, b.diameter, b.height, -d.bottom_pads.thickness, d.slice_adhesive.thickness,
                   d.metal_slice.thickness, d.bottom_pads.diameter, *neighbour_pairs(xy, b.spacing),
                   coplanarity_limit(b.pitch))


@dataclass(frozen=True, eq=False)
class Draws:
    """``n`` draws (mm): slice thickness (n,), ball diameters (n, M), bottom pad diameters (n, M) or, undrawn,
    (n, 1) of the nominal."""

    slice_thickness: np.ndarray
    diameters: np.ndarray
    pad_diameters: np.ndarray

    @property
    def n(self) -> int:
        return len(self.slice_thickness)


def draw(nom: Nominal, tol: Tolerances, n: int, rng: np.random.Generator) -> Draws:
    """``n`` tolerance draws about ``nom`` from ``rng`` (normal, truncated at 3 sigma)."""
    m = len(nom.ball_xy)
    return Draws(nom.slice_thickness + tol.slice_thickness * truncated_normal(rng, (n,)),
                 nom.ball_diameter + tol.ball_diameter * truncated_normal(rng, (n, m)),
                 sizes(rng, nom.pad_diameter, tol.pad_diameter, n, m))


@dataclass(frozen=True, eq=False)
class Margins:
    """Per draw (n,): the margins (um, :data:`MARGINS`) and each check's pass; per ball: the draws in which it
    stood beyond the coplanarity limit."""

    values: dict[str, np.ndarray]
    passed: dict[str, np.ndarray]
    balls_high: np.ndarray

    @property
    def all_passed(self) -> np.ndarray:
        return np.logical_and.reduce([self.passed[c] for c in CHECKS])


def evaluate(nom: Nominal, dr: Draws) -> Margins:
    """The closed-form margins of every draw of ``dr`` (see the module docstring), vectorised over balls and
    draws; the seating plane for coplanarity is found per draw (one convex hull of the apexes)."""
    height = nom.ball_height * dr.diameters / nom.ball_diameter
    apex = nom.z_contact - height
    slug_bottom = -nom.adhesive - dr.slice_thickness
    standoff = slug_bottom - apex.min(axis=1)
    thinner = height.min(axis=1) - dr.slice_thickness
    seat = np.stack([seating_heights(np.column_stack([nom.ball_xy, a])) for a in apex])
    cop = seat.max(axis=1)
    m = len(nom.ball_xy)
    ball_gap = least_web(dr.diameters / 2, nom.pairs, nom.pair_distance, m)
    pad_gap = least_web(dr.pad_diameters / 2, nom.pairs, nom.pair_distance, m)
    values = {"slug_standoff": standoff, "slug_thinner": thinner, "coplanarity": cop, "ball_gap": ball_gap,
              "pad_gap": pad_gap}
    passed = {"slug": (standoff > Z_TOL) & (thinner > Z_TOL), "coplanarity": cop <= nom.coplanarity_limit,
              "ball_gap": ball_gap > Z_TOL, "pad_gap": pad_gap > Z_TOL}
    return Margins({k: v * UM for k, v in values.items()}, passed, (seat > nom.coplanarity_limit).sum(axis=0))


def margin_limits(nom: Nominal) -> dict[str, tuple[float | None, float | None]]:
    """Each margin's (lower, upper) limit (um) for Cpk."""
    return {"slug_standoff": (0.0, None), "slug_thinner": (0.0, None), "coplanarity": (None, nom.coplanarity_limit * UM),
            "ball_gap": (0.0, None), "pad_gap": (0.0, None)}


CHUNK_VALUES = 2_000_000
"""Ball values per chunk of draws by default."""


def counts(nom: Nominal, m: Margins) -> tuple[dict[str, np.ndarray], dict[str, tuple[int, int]]]:
    """The margins (um, per draw) and the defects (defective members, members examined) of the evaluated draws
    ``m``."""
    n = len(m.all_passed)
    return ({k: m.values[k] for k in MARGINS},
            {"balls_beyond_coplanarity": (int(m.balls_high.sum()), len(nom.ball_xy) * n)})


def study(d: CavityDesign, tol: Tolerances, n: int, seed: int = 0, chunk: int | None = None) -> Study:
    """``n`` draws of ``tol`` about design ``d``, evaluated ``chunk`` draws at a time, reproducible from ``seed``
    and ``chunk``."""
    nom = Nominal.of(d)
    chunk = chunk or max(1, CHUNK_VALUES // max(len(nom.ball_xy), 1))
    rng = np.random.default_rng(seed)
    parts = [evaluate(nom, draw(nom, tol, min(chunk, n - start), rng)) for start in range(0, n, chunk)]
    return Study.merged(nom, tol, seed, margin_limits(nom),
                        [{k: m.passed[k] for k in CHECKS} | {"all": m.all_passed} for m in parts],
                        [counts(nom, m) for m in parts])
