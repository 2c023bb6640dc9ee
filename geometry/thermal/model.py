"""Boxes, materials and boundary conditions of a conduction problem (mm, W/(m.K), W, W/(m2.K)): the input of
:func:`geometry.thermal.fem.solve`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

MM = 1e-3
"""Metres per millimetre."""


TOL = 1e-7
"""Geometric tolerance in mm: box bounds closer than this are one grid line."""


Conductivity = float | tuple[float, float, float]


Rect = tuple[float, float, float, float]
"""A rectangle (x0, y0, x1, y1) in mm."""


def conductivity_xyz(k: Conductivity) -> tuple[float, float, float]:
    """``k`` as (kx, ky, kz) in W/(m.K): a float is isotropic."""
    if isinstance(k, int | float):
        return (float(k), float(k), float(k))
    kx, ky, kz = k
    return (float(kx), float(ky), float(kz))


def homogenised_layer(k_member: float, k_fill: float, area_fraction: float) -> tuple[float, float, float]:
    """Effective (kx, ky, kz) in W/(m.K) of a layer of vertical members (bumps, balls, vias) in a fill.

    z (along the members): the parallel rule, the area-weighted arithmetic mean
    ``kz = f k_member + (1 - f) k_fill``, exact for prismatic members. x-y: the series (harmonic) rule
    ``1 / (f / k_member + (1 - f) / k_fill)``, the lower Wiener bound, chosen because the lateral path through
    isolated members crosses the fill in series; it is the conservative value of the orthotropic interconnect
    layer of detailed package models behind compact thermal models (JESD15 series). The Maxwell-Garnett
    (Rayleigh) value for aligned cylinders lies between the two bounds and would be higher.
    """
    if not 0.0 <= area_fraction <= 1.0:
        raise ValueError(f"area fraction {area_fraction} outside [0, 1]")
    if k_member <= 0 or k_fill <= 0:
        raise ValueError("conductivities must be positive")
    kz = area_fraction * k_member + (1.0 - area_fraction) * k_fill
    kxy = 1.0 / (area_fraction / k_member + (1.0 - area_fraction) / k_fill)
    return (kxy, kxy, kz)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box from ``lo`` to ``hi`` (mm) of conductivity ``k`` (W/(m.K), isotropic or
    (kx, ky, kz)), dissipating ``power`` W uniformly over its visible volume; ``mesh_size`` (mm; one figure,
    or (x, y, z)) caps the element edge along each axis over the box's span; along the axes in ``graded`` (0, 1,
    2 for x, y, z) the elements of every interval the box spans are cosine-graded, finer towards the interval's
    ends (:func:`geometry.thermal.grid.interval_lines`)."""

    name: str
    material: str
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    k: Conductivity
    power: float = 0.0
    mesh_size: float | tuple[float, float, float] | None = None
    graded: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if any(h - lo <= TOL for lo, h in zip(self.lo, self.hi, strict=True)):
            raise ValueError(f"box {self.name!r}: hi {self.hi} must exceed lo {self.lo} on every axis")
        if min(self.kxyz) <= 0:
            raise ValueError(f"box {self.name!r}: conductivity must be positive")
        if self.power < 0:
            raise ValueError(f"box {self.name!r}: power must not be negative")
        if self.mesh_size is not None and min(self.sizes) <= 0:
            raise ValueError(f"box {self.name!r}: mesh size must be positive")
        if not set(self.graded) <= {0, 1, 2}:
            raise ValueError(f"box {self.name!r}: graded axes must be 0, 1 or 2, not {self.graded}")

    @property
    def kxyz(self) -> tuple[float, float, float]:
        """(kx, ky, kz) in W/(m.K)."""
        return conductivity_xyz(self.k)

    @property
    def sizes(self) -> tuple[float, float, float]:
        """The element edge cap (mm) along x, y and z (inf where none)."""
        m = self.mesh_size
        if m is None:
            return (math.inf, math.inf, math.inf)
        return (float(m), float(m), float(m)) if isinstance(m, int | float) else (float(m[0]), float(m[1]), float(m[2]))

    @property
    def volume(self) -> float:
        """Volume in mm3 (before any override by later boxes)."""
        return math.prod(h - lo for lo, h in zip(self.lo, self.hi, strict=True))


@dataclass(frozen=True)
class Filler:
    """The material of all space inside the bounding box of the boxes that no box covers (still air, mold)."""

    name: str
    material: str
    k: Conductivity

    @property
    def kxyz(self) -> tuple[float, float, float]:
        """(kx, ky, kz) in W/(m.K)."""
        return conductivity_xyz(self.k)


@dataclass(frozen=True, eq=False)
class Faces:
    """Boundary faces of the meshed domain, offered to a face selector: ``centre`` (n, 3) mm, outward unit
    ``normal`` (n, 3), ``area`` (n,) mm2, and the domain's bounding box ``lo``, ``hi`` (3,) mm."""

    centre: np.ndarray
    normal: np.ndarray
    area: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


FaceSelector = Callable[[Faces], np.ndarray]
"""A predicate on boundary faces: returns a boolean mask over ``faces.centre``."""


def in_rect(points: np.ndarray, rect: Rect | None) -> np.ndarray:
    """Mask of the (n, 3) ``points`` whose x, y lie in ``rect`` (mm, closed, within :data:`TOL`)."""
    if rect is None:
        return np.ones(len(points), dtype=bool)
    x0, y0, x1, y1 = rect
    x, y = points[:, 0], points[:, 1]
    return (x >= x0 - TOL) & (x <= x1 + TOL) & (y >= y0 - TOL) & (y <= y1 + TOL)


def plane_faces(axis: int, sign: int, at: float | None = None, within: Rect | None = None) -> FaceSelector:
    """Faces with outward normal ``sign`` (+1 or -1) along ``axis`` (0, 1, 2 for x, y, z) lying on the plane
    ``at`` (mm; default: the domain's extreme face on that side), with x-y centre in ``within`` if given."""
    if sign not in (-1, 1) or axis not in (0, 1, 2):
        raise ValueError("axis must be 0, 1 or 2 and sign +1 or -1")

    def select(faces: Faces) -> np.ndarray:
        level = at if at is not None else (faces.hi[axis] if sign > 0 else faces.lo[axis])
        return ((faces.normal[:, axis] == sign) & (np.abs(faces.centre[:, axis] - level) <= TOL)
                & in_rect(faces.centre, within))

    return select


def top(within: Rect | None = None, at: float | None = None) -> FaceSelector:
    """Upward faces (+z) on the top of the domain (or at height ``at``), inside ``within`` if given."""
    return plane_faces(2, 1, at, within)


def bottom(within: Rect | None = None, at: float | None = None) -> FaceSelector:
    """Downward faces (-z) on the bottom of the domain (or at height ``at``), inside ``within`` if given."""
    return plane_faces(2, -1, at, within)


def ring(outer: Rect, inner: Rect, side: Literal["bottom", "top"] = "bottom") -> FaceSelector:
    """Faces on the domain's bottom (or top) inside ``outer`` but not strictly inside ``inner``: the annular
    contact of the JESD51-8 ring cold plate that clamps the board around the package (junction-to-board)."""
    base = bottom(outer) if side == "bottom" else top(outer)
    x0, y0, x1, y1 = inner

    def select(faces: Faces) -> np.ndarray:
        x, y = faces.centre[:, 0], faces.centre[:, 1]
        strictly_inside = (x > x0 + TOL) & (x < x1 - TOL) & (y > y0 + TOL) & (y < y1 - TOL)
        return base(faces) & ~strictly_inside

    return select


def every_face() -> FaceSelector:
    """All boundary faces of the domain."""
    return lambda faces: np.ones(len(faces.area), dtype=bool)


@dataclass(frozen=True)
class Isothermal:
    """Faces held at ``temperature`` (degC): a cold plate (Dirichlet)."""

    name: str
    faces: FaceSelector
    temperature: float = 0.0


@dataclass(frozen=True)
class Convection:
    """Faces losing ``h (T - ambient)`` W/m2, ``h`` in W/(m2.K), ``ambient`` in degC (Robin)."""

    name: str
    faces: FaceSelector
    h: float
    ambient: float = 0.0

    def __post_init__(self) -> None:
        if self.h <= 0:
            raise ValueError(f"convection {self.name!r}: h must be positive")


Condition = Isothermal | Convection
