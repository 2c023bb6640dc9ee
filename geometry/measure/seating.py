"""The seating plane of a ball array and each apex's height above it (JEDEC coplanarity), and the coplanarity limit
by ball pitch (mm)."""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import ConvexHull, QhullError


def seating_heights(apexes: np.ndarray) -> np.ndarray:
    """Height (mm) of each apex (N, 3) above the seating plane; coplanarity is the largest.

    The seating plane is the plane the package rests on: the facet of the apexes' lower convex hull that lies
    under their centroid (the worst of several tied facets, see :func:`_lower_hull_heights`). Apexes all on one plane (or fewer than three) give zeros; a single row of balls is
    seated on its lower hull in the row's vertical plane.
    """
    p = np.asarray(apexes, dtype=float)
    n = len(p)
    if n < 3:
        return np.zeros(n)
    c = p.mean(axis=0)
    q = p - c
    _, sv, vt = np.linalg.svd(q, full_matrices=False)
    if sv[-1] / math.sqrt(n) <= 1e-9:
        normal = vt[-1]
        if abs(normal[2]) > 1e-6:
            return np.zeros(n)
        u = np.cross(normal, [0.0, 0.0, 1.0])
        pts = np.column_stack([q @ (u / np.linalg.norm(u)), q[:, 2]])
        return _lower_hull_heights(pts, np.zeros(1))
    return _lower_hull_heights(q, np.zeros(2))


TIE = 1e-9
"""Facets whose (barycentric) distance from the centroid lies within this of the nearest are tied."""


def _lower_hull_heights(pts: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Heights above the lower hull facet under ``centre`` (horizontal coordinates); pts: (N, d), last = z.

    When the centre lies on an edge or vertex shared by several lower facets (within :data:`TIE`), the package
    can rest on any of them: the one giving the largest coplanarity is taken (the worst seating), so the result
    does not depend on Qhull's facet order or on 1e-17 mm of noise."""
    try:
        hull = ConvexHull(pts)
    except QhullError:
        return np.zeros(len(pts))
    d = pts.shape[1]
    eq, simplices = hull.equations, hull.simplices
    lower = eq[:, d - 1] < -1e-12
    eq, simplices = eq[lower], simplices[lower]
    v = pts[simplices, : d - 1]  # (F, d, d - 1) facet vertices in plan
    if d == 2:
        lo, hi = v[:, :, 0].min(axis=1), v[:, :, 0].max(axis=1)
        span = np.maximum(hi - lo, 1e-300)
        gap = np.maximum(np.maximum(lo - centre[0], centre[0] - hi), 0.0) / span
    else:
        t = np.stack([v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]], axis=2)  # (F, 2, 2)
        ok = np.abs(np.linalg.det(t)) >= 1e-18
        eq, t, v = eq[ok], t[ok], v[ok]
        w = np.linalg.solve(t, (centre - v[:, 0])[:, :, None])[:, :, 0]
        gap = np.maximum.reduce([-w[:, 0], -w[:, 1], w[:, 0] + w[:, 1] - 1, np.zeros(len(w))])
    if not len(eq):
        return np.zeros(len(pts))
    tied = eq[gap <= gap.min() + TIE]
    h = -(pts @ tied[:, :d].T + tied[:, d])  # (N, tied)
    return np.maximum(h[:, int(np.argmax(h.max(axis=0)))], 0.0)


def coplanarity_limit(pitch: float) -> float:
    """Ball coplanarity limit (mm) by ball pitch (mm), JEDEC-style BGA table (cf. JEDEC JEP95 design guides):
    pitch >= 1.0: 0.15; >= 0.8: 0.12; finer: 0.08. Check the package outline drawing for a specific part."""
    if pitch >= 1.0 - 1e-9:
        return 0.15
    if pitch >= 0.8 - 1e-9:
        return 0.12
    return 0.08
