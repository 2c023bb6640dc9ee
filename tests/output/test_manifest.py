"""The manifest (geometry.output.manifest) of the hand-built ``ball_design`` of tests/conftest.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geometry import api
from geometry.core.stack import Stack
from tests.conftest import BALL_R


def test_manifest(ball_stack: Stack, ball_design: Path) -> None:
    data = json.loads((ball_design / "manifest.json").read_text())
    assert data["name"] == "demo" and data["flow"] == "flip_chip"
    assert data["parameters"] == {"pitch": 1.0, "ball": {"d": 2 * BALL_R}}
    assert data["checks"] == [{"name": "coplanarity", "passed": True, "value": None}]
    assert [s["key"] for s in data["steps"]] == ["substrate", "ball_attach"]
    bodies = {b["name"]: b for b in data["bodies"]}
    assert set(bodies) == {"substrate", "solder_balls"}
    for body in ball_stack:
        rec = bodies[body.name]
        assert rec["material"] == body.material_name and rec["count"] == body.count
        assert rec["volume_mm3"] == pytest.approx(body.volume(), rel=1e-12)
        assert rec["mass_mg"] == pytest.approx(body.volume() * body.material.density, rel=1e-12)
        assert rec["bounds_mm"]["min"] + rec["bounds_mm"]["max"] == pytest.approx(list(body.bounds()))
    assert bodies["substrate"]["mass_mg"] == pytest.approx(2 * 1 * 0.5 * 1.85)
    assert data["totals"]["members"] == 10
    assert data["totals"]["mass_mg"] == pytest.approx(sum(b.material.mass_mg(b.volume()) for b in ball_stack))
    assert {"pkgcad", "cadquery", "OCP", "trimesh", "numpy", "python"} <= set(data["versions"])
    assert data["versions"]["cadquery"].startswith("2.8")


def test_manifest_names_the_balls(small_build, tmp_path) -> None:
    """The balls by JEDEC name (A1 at the bottom view's top-left: the package's +x, +y corner) with centres."""
    data = json.loads((api.export(small_build, api.check(small_build), tmp_path) / "manifest.json").read_text())
    balls = {b["name"]: (b["x"], b["y"]) for b in data["balls"]}
    assert len(balls) == 25 and balls["A1"] == pytest.approx((2.0, 2.0)) and balls["E5"] == pytest.approx((-2, -2))
    assert balls["A5"] == pytest.approx((-2.0, 2.0)) and "I1" not in balls
