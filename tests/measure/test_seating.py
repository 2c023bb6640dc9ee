"""The seating plane (geometry.measure.seating): hand-computed ball heights above it, and the coplanarity limit
for a ball pitch."""

from __future__ import annotations

import numpy as np
import pytest

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
