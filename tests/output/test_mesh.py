"""Meshes of a stack (geometry.output.mesh): the hand-built ``ball_stack`` of tests/conftest.py watertight and
tiled, the triangle budget, the swept-wire tubes."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import trimesh

from geometry import api
from geometry.core import occ
from geometry.core.stack import Body, Instances, Stack
from geometry.output.mesh import TUBE_SIDES, VOLUME_BOUND, area_true_radius, stack_mesh, tube_mesh
from tests.conftest import RECIPES


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


# ------------------------------------------------------------------------------------ accuracy on the recipes

ACCURACY_RECIPES = ["flip-chip/fc-basic", "cavity/cavity-smaller", "flip-chip/fc-stagger"]
"""Recipes with balls and bumps (fc-basic, fc-stagger) and with wires (cavity-smaller)."""


@functools.cache
def built(recipe: str):
    return api.run(api.load(RECIPES / f"{recipe}.toml"))


def _assert_volume_true(build, meshes, tolerance) -> None:
    for body in build.stack:
        m = meshes[body.name]
        assert m.is_watertight and m.is_winding_consistent, body.name
        error = (m.volume - body.volume()) / body.volume()
        assert abs(error) <= VOLUME_BOUND, f"{body.name}: mesh volume {100 * error:+.3f} % off its solid"
        assert m.metadata["volume_error_pct"] == pytest.approx(100 * error, abs=1e-6)
        if tolerance is not None:
            assert m.metadata["tolerance_mm"] <= tolerance, body.name


@pytest.mark.parametrize("tolerance", [None, 0.02, 0.002], ids=["default", "coarse", "fine"])
@pytest.mark.parametrize("recipe", ACCURACY_RECIPES)
def test_every_body_volume_within_bound(recipe: str, tolerance: float | None) -> None:
    build = built(recipe)
    _assert_volume_true(build, stack_mesh(build.stack, tolerance=tolerance), tolerance)


def test_finer_tolerance_costs_curved_triangles_only() -> None:
    build = built("flip-chip/fc-basic")
    coarse, fine = stack_mesh(build.stack, tolerance=0.02), stack_mesh(build.stack, tolerance=0.002)
    assert len(coarse["substrate"].faces) == len(fine["substrate"].faces) == 12
    assert len(fine["solder_balls"].faces) > 2 * len(coarse["solder_balls"].faces)
    assert coarse["substrate"].metadata["tolerance_mm"] == 0.0


@pytest.mark.parametrize("recipe", ["flip-chip/fc-basic", "cavity/cavity-smaller"])
def test_flat_faces_and_seating_plane_stay_exact(recipe: str) -> None:
    """The volume correction never moves a vertex off an axis-aligned planar face: the balls' lowest vertex is
    the seating plane, pads and the substrate keep their exact z-levels."""
    build = built(recipe)
    for tolerance in (None, 0.01):
        meshes = stack_mesh(build.stack, tolerance=tolerance)
        balls = meshes["solder_balls"].vertices
        assert abs(balls[:, 2].min() - build.design.z_seating_plane) <= 1e-9
        assert abs(balls[:, 2].min() - build.stack["solder_balls"].bounds()[2]) <= 1e-9
        for name in ("substrate", "bottom_pads" if "bottom_pads" in build.stack else "ball_pads"):
            b = build.stack[name].bounds()
            z = np.unique(meshes[name].vertices[:, 2])
            assert set(z) <= {b[2], b[5]}, name


def test_sphere_mesh_lies_within_its_stated_tolerance() -> None:
    """Every vertex of a volume-true sphere mesh lies within the stated bound of the sphere and inside its bounds."""
    r = 0.3
    stack = Stack((Body("balls", "SAC305", (Instances.at(occ.sphere(r, 0.0), np.zeros((1, 3))),)),))
    for tolerance in (0.05, 0.01, 0.001):
        m = stack_mesh(stack, tolerance=tolerance)["balls"]
        radial = np.linalg.norm(m.vertices, axis=1)
        assert np.all(np.abs(radial - r) <= m.metadata["tolerance_mm"] + 1e-12)
        assert m.metadata["tolerance_mm"] <= tolerance
        assert m.volume == pytest.approx(4 / 3 * np.pi * r**3, rel=VOLUME_BOUND)
        assert np.all(np.abs(m.vertices) <= r + 1e-12)


@pytest.mark.slow
def test_fc_production_every_body_volume_within_bound() -> None:
    build = built("flip-chip/fc-production")
    meshes = stack_mesh(build.stack)
    _assert_volume_true(build, meshes, None)
    assert sum(len(m.faces) for m in meshes.values()) <= 3_000_000


def test_fused_wire_mesh_holds_its_ball_bond_and_stitch() -> None:
    """A bond wire is one solid (ball bond, loop, stitch fused); its mesh is the tube of its loop joined with the
    meshes of its ball and stitch: three closed shells per wire, reaching down to the die pad (the ball's foot) and
    to the finger (the stitch's foot), with the fused solid's volume."""
    build = built("cavity/cavity-smaller")
    d, wires = build.design, build.stack["bond_wires"]
    m = stack_mesh(build.stack)["bond_wires"]
    assert len(m.split(only_watertight=True)) == 3 * wires.count == 3 * len(d.wires())
    assert m.bounds[0, 2] == pytest.approx(d.z_die_top + d.die.pad_thickness, abs=1e-9)
    stitch_feet = np.isclose(m.vertices[:, 2], d.z_finger_top, atol=1e-9)
    assert stitch_feet.any()
    assert m.volume == pytest.approx(wires.volume(), rel=VOLUME_BOUND)
