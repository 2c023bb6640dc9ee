"""STL and GLB files (geometry.output.meshfiles) of the hand-built ``ball_design`` of tests/conftest.py."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh

from geometry.core.stack import Stack
from geometry.output.meshfiles import GLB_SCALE
from tests.conftest import design_file


def test_stl(ball_stack: Stack, ball_design: Path) -> None:
    raw = design_file(ball_design, ".stl").read_bytes()
    n = struct.unpack("<I", raw[80:84])[0]
    assert len(raw) == 84 + 50 * n
    m = trimesh.load(design_file(ball_design, ".stl"), file_type="stl")
    assert m.is_watertight
    assert m.volume == pytest.approx(ball_stack.volume(), rel=0.01)
    assert len(m.split(only_watertight=True)) == 10


def test_glb(ball_stack: Stack, ball_design: Path) -> None:
    scene = trimesh.load(design_file(ball_design, ".glb"))
    assert isinstance(scene, trimesh.Scene)
    assert set(scene.geometry) == {"substrate", "solder_balls"}
    assert set(scene.graph.nodes_geometry) == {"substrate", "solder_balls"}
    for body in ball_stack:
        geom = scene.geometry[body.name]
        rgba = np.asarray(geom.visual.material.baseColorFactor, dtype=float) / 255.0
        assert rgba == pytest.approx(body.material.color, abs=1 / 255)
        transform, _ = scene.graph[body.name]
        world = trimesh.transform_points(geom.vertices, transform)
        assert world.min(axis=0) == pytest.approx(body.bounds()[:3] * GLB_SCALE, abs=2e-6)
