"""The seating plane (geometry.measure.seating): hand-computed ball heights above it, and the coplanarity limit
for a ball pitch."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from geometry.measure.seating import coplanarity_limit, seating_heights


def test_seating_plane_one_ball_higher():
    pts = np.array([[x, y, 0.0] for x in range(5) for y in range(5)], dtype=float)
    pts[0, 2] = 0.05
    h = seating_heights(pts)
    assert h.max() == pytest.approx(0.05) and int(np.argmax(h)) == 0
    pts[12, 2] = 0.03
    assert seating_heights(pts)[12] == pytest.approx(0.03)


def test_seating_plane_degenerate_cases():
    flat = np.array([[x, y, 0.1 * x + 0.2 * y] for x in range(4) for y in range(3)], dtype=float)
    assert seating_heights(flat).max() == pytest.approx(0.0, abs=1e-12)
    row = np.array([[x, 0.0, 0.0] for x in range(5)])
    row[2, 2] = 0.04
    assert seating_heights(row).max() == pytest.approx(0.04)
    assert seating_heights(row[:2]).tolist() == [0.0, 0.0]


def test_seating_plane_on_a_tilted_package():
    pts = np.array([[x, y, 0.0] for x in range(4) for y in range(4)], dtype=float)
    pts[5, 2] = 0.02
    tilt = np.radians(3.0)
    rot = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    assert seating_heights(pts @ rot.T).max() == pytest.approx(0.02)


def test_coplanarity_limit_table():
    assert coplanarity_limit(1.27) == 0.15
    assert coplanarity_limit(1.0) == 0.15
    assert coplanarity_limit(0.8) == 0.12
    assert coplanarity_limit(0.65) == 0.08
    assert coplanarity_limit(0.5) == 0.08


def _worst_candidate(pts: np.ndarray) -> float:
    """By brute force: the largest coplanarity over every lower-hull facet whose plan holds the centroid."""
    q = pts - pts.mean(axis=0)
    hull = ConvexHull(q)
    out = []
    for simplex, eq in zip(hull.simplices, hull.equations, strict=True):
        v = q[simplex, :2]
        m = np.column_stack([v[1] - v[0], v[2] - v[0]])
        if eq[2] < -1e-12 and abs(np.linalg.det(m)) > 1e-18:
            w = np.linalg.solve(m, -v[0])
            if min(w[0], w[1], 1 - w[0] - w[1]) >= -1e-9:
                out.append(float((-(q @ eq[:3] + eq[3])).max()))
    return max(out)


def test_tied_facets_give_the_worst_seating_whatever_the_noise():
    """An anisotropic bowl with one corner ball raised: the centroid lies on the centre ball, a vertex of several
    lower facets that seat differently; the package can rock onto any of them. The result is the worst of them,
    the same under 1e-17 mm of noise and any order of the apexes (Qhull's first facet changed with both)."""
    xy = np.array([[x, y] for x in range(-2, 3) for y in range(-2, 3)], dtype=float)
    pts = np.column_stack([xy, 0.01 * xy[:, 0] ** 2 / 4 + 0.004 * xy[:, 1] ** 2 / 4])
    pts[24, 2] += 0.003
    pts[:, :2] -= pts[:, :2].mean(axis=0)
    want = _worst_candidate(pts)
    got = [seating_heights(pts).max()]
    rng = np.random.default_rng(0)
    for _ in range(8):
        noisy = pts + rng.uniform(-1e-17, 1e-17, pts.shape)
        got.append(seating_heights(noisy[rng.permutation(len(pts))]).max())
    assert np.ptp(got) <= 1e-15 and got[0] == pytest.approx(want, rel=1e-12)
