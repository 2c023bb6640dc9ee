"""Meshes of a stack (geometry.output.mesh): the hand-built ``ball_stack`` of tests/conftest.py watertight and
tiled, the triangle budget, the swept-wire tubes."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from geometry.core import occ
from geometry.core.stack import Body, Instances, Stack
from geometry.output.mesh import TUBE_SIDES, VOLUME_BOUND, area_true_radius, stack_mesh, tube_mesh


def test_mesh_budget_coarsens_large_arrays() -> None:
    bump = occ.sphere(0.05, 0.0)
    small = Stack((Body("b", "Cu", (Instances.at(bump, np.zeros((1, 3))),)),))
    big = Stack((Body("b", "Cu", (Instances.at(bump, np.random.default_rng(0).random((400, 3)) * 10),)),))
    per_small = len(stack_mesh(small)["b"].faces)
    per_big = len(stack_mesh(big, max_triangles=100_000)["b"].faces) / 400
    assert per_big < per_small and per_big * 400 <= 100_000


def test_swept_wires_are_meshed_from_their_centre_line() -> None:
    theta = np.linspace(0, np.pi / 2, 60)
    spine = np.column_stack([np.cos(theta), np.zeros_like(theta), np.sin(theta)])
    v, f = tube_mesh(spine, 0.05)
    tube = trimesh.Trimesh(v, f)
    assert tube.is_watertight and tube.is_winding_consistent and tube.volume > 0
    assert tube.volume == pytest.approx(np.pi * 0.05**2 * np.pi / 2, rel=0.001)
    ring = v[:-2]
    off_axis = np.hypot(np.hypot(ring[:, 0], ring[:, 2]) - 1.0, ring[:, 1])
    r = area_true_radius(0.05, TUBE_SIDES)
    assert r == pytest.approx(0.05 * np.sqrt(2 * np.pi / (12 * 0.5)))
    assert off_axis.min() == pytest.approx(r, rel=3e-3) and off_axis.max() == pytest.approx(r, rel=3e-3)


def test_meshes_watertight_and_tiled(ball_stack: Stack) -> None:
    meshes = stack_mesh(ball_stack)
    assert list(meshes) == ["substrate", "solder_balls"]
    for body in ball_stack:
        m = meshes[body.name]
        assert m.is_watertight and m.is_winding_consistent
        assert m.volume == pytest.approx(body.volume(), rel=VOLUME_BOUND)
        lo, hi = m.bounds
        b = body.bounds()
        assert np.all(lo >= b[:3] - 1e-9) and np.all(hi <= b[3:] + 1e-9)
        assert np.concatenate([lo, hi]) == pytest.approx(b, abs=2e-3)
    balls = meshes["solder_balls"]
    assert len(balls.faces) % 9 == 0
    assert len(balls.split(only_watertight=True)) == 9
