"""Polyline distances (geometry.measure.polylines), numpy against brute force: segment distances against sampling,
the gap between polylines against every segment pair."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geometry.measure.polylines import polyline_gap, segment_distance


def test_segment_distance_matches_sampling():
    rng = np.random.default_rng(1)
    p0, p1, q0, q1 = (rng.normal(size=(60, 3)) for _ in range(4))
    q1[:20] = q0[:20]
    p1[20:30] = p0[20:30] + 1e-3 * (q1[20:30] - q0[20:30])
    d, ca, cb = segment_distance(p0, p1, q0, q1)
    t = np.linspace(0, 1, 201)
    a = p0[:, None, :] + t[None, :, None] * (p1 - p0)[:, None, :]
    b = q0[:, None, :] + t[None, :, None] * (q1 - q0)[:, None, :]
    brute = np.linalg.norm(a[:, :, None, :] - b[:, None, :, :], axis=3).min(axis=(1, 2))
    assert np.all(d <= brute + 1e-12)
    assert np.allclose(d, brute, atol=2e-2)
    assert np.allclose(np.linalg.norm(ca - cb, axis=1), d)


def test_polyline_gap_matches_brute_force():
    rng = np.random.default_rng(2)
    lines = [np.cumsum(rng.normal(scale=0.01, size=(60, 3)), axis=0) + rng.uniform(-0.2, 0.2, 3) for _ in range(12)]
    g = polyline_gap(lines, reach=0.001)
    seg = [(k, s[i], s[i + 1]) for k, s in enumerate(lines) for i in range(len(s) - 1)]
    best = math.inf
    for ka, kb in [(a, b) for a in range(12) for b in range(a + 1, 12)]:
        sa = [x for x in seg if x[0] == ka]
        sb = [x for x in seg if x[0] == kb]
        p0 = np.repeat([x[1] for x in sa], len(sb), axis=0)
        p1 = np.repeat([x[2] for x in sa], len(sb), axis=0)
        q0 = np.tile([x[1] for x in sb], (len(sa), 1))
        q1 = np.tile([x[2] for x in sb], (len(sa), 1))
        best = min(best, segment_distance(p0, p1, q0, q1)[0].min())
    assert g.distance == pytest.approx(best, abs=1e-12)
    other = polyline_gap(lines[:6], lines[6:], reach=0.001)
    assert other.distance >= g.distance - 1e-12
