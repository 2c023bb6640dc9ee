"""The seating plane of a ball array and each apex's height above it (JEDEC coplanarity), and the coplanarity limit
by ball pitch (mm)."""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import ConvexHull, QhullError


def seating_heights(apexes: np.ndarray) -> np.ndarray:
    """Height (mm) of each apex (N, 3) above the seating plane; coplanarity is the largest.

    The seating plane is the plane the package rests on: the facet of the apexes' lower convex hull that lies
    under their centroid. Apexes all on one plane (or fewer than three) give zeros; a single row of balls is
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


def _lower_hull_heights(pts: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Heights above the lower hull facet under ``centre`` (horizontal coordinates); pts: (N, d), last = z."""
    try:
        hull = ConvexHull(pts)
    except QhullError:
        return np.zeros(len(pts))
    d = pts.shape[1]
    best, best_gap = None, np.inf
    for simplex, eq in zip(hull.simplices, hull.equations, strict=True):
        if eq[d - 1] >= -1e-12:
            continue
        v = pts[simplex, : d - 1]
        if d == 2:
            gap = max(min(v[:, 0]) - centre[0], centre[0] - max(v[:, 0]), 0.0)
        else:
            t = np.column_stack([v[1] - v[0], v[2] - v[0]])
            if abs(np.linalg.det(t)) < 1e-18:
                continue
            w = np.linalg.solve(t, centre - v[0])
            gap = max(-w[0], -w[1], w[0] + w[1] - 1, 0.0)
        if gap < best_gap:
            best, best_gap = eq, gap
            if gap == 0.0:
                break
    if best is None:
        return np.zeros(len(pts))
    h = -(pts @ best[:d] + best[d])
    return np.maximum(h, 0.0)


def coplanarity_limit(pitch: float) -> float:
    """Ball coplanarity limit (mm) by ball pitch (mm), JEDEC-style BGA table (cf. JEDEC JEP95 design guides):
    pitch >= 1.0: 0.15; >= 0.8: 0.12; finer: 0.08. Check the package outline drawing for a specific part."""
    if pitch >= 1.0 - 1e-9:
        return 0.15
    if pitch >= 0.8 - 1e-9:
        return 0.12
    return 0.08
