"""Export round trips on a hand-built stack: a 2 x 1 x 0.5 mm substrate and a 3 x 3 grid of solder balls."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh

import geometry.export as export  # noqa: PLR0402 (geometry.__getattr__ maps `export` to api.export)
from geometry import occ
from geometry.stack import Body, Instances, Stack

BALL_R = 0.3


@pytest.fixture(scope="module")
def stack() -> Stack:
    substrate = Body.one("substrate", "BT", occ.box(0.0, 0.0, 0.0, 2.0, 1.0, 0.5))
    grid = np.array([(0.5 + x, 0.5 + y, -BALL_R) for y in range(3) for x in range(3)], dtype=float)
    balls = Body("solder_balls", "SAC305", (Instances.at(occ.sphere(BALL_R, 0.0), grid),))
    return Stack((substrate, balls))


@pytest.fixture(scope="module")
def design(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    data = export.manifest("demo", "flip_chip", {"pitch": 1.0, "ball": {"d": 2 * BALL_R}}, stack,
                           [{"name": "coplanarity", "passed": True, "value": float("inf")}],
                           [{"key": "substrate"}, {"key": "ball_attach"}])
    steps = [("substrate", Stack(stack.bodies[:1])), ("ball_attach", stack)]
    return export.write_design(out, "demo", stack, data, steps)


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_design_folder_layout(design: Path) -> None:
    assert _listing(design) == ["manifest.json", "package.glb", "package.html", "package.step", "package.stl", "steps",
                                "steps/01-substrate.step", "steps/02-ball_attach.step"]
    assert _listing(design.parent) == ["demo"] + [f"demo/{p}" for p in _listing(design)]


def test_step_round_trip(stack: Stack, design: Path) -> None:
    back = export.read_step(design / "package.step")
    assert set(back) == {"substrate", "solder_balls"}
    assert {k: v["count"] for k, v in back.items()} == {"substrate": 1, "solder_balls": 9}
    for body in stack:
        assert back[body.name]["volume"] == pytest.approx(body.volume(), rel=1e-6)
    first = export.read_step(design / "steps" / "01-substrate.step")
    assert {k: v["count"] for k, v in first.items()} == {"substrate": 1}


def test_step_is_instanced_ap214(design: Path) -> None:
    text = (design / "package.step").read_text()
    assert "AUTOMOTIVE_DESIGN" in text
    assert text.count("MANIFOLD_SOLID_BREP(") == 2


def test_step_tree_shares_definitions(stack: Stack) -> None:
    tree = export.step_tree(stack, "demo")
    assert [c[2] for c in tree.components] == ["substrate", "solder_balls"]
    balls = tree.components[1][0]
    rows = {id(r) for r, _, _ in balls.components}
    assert len(balls.components) == 3 and len(rows) == 1
    row = balls.components[0][0]
    assert len(row.components) == 3 and len({id(p) for p, _, _ in row.components}) == 1
    placed = sorted((m @ r)[:3, 3].round(9).tolist() for _, m, _ in balls.components for _, r, _ in row.components)
    assert placed == sorted(stack["solder_balls"].parts[0].origins.round(9).tolist())
    assert row.components[0][0].rgba == stack["solder_balls"].material.color


def test_flat_step_is_readable_by_cadquery(stack: Stack, tmp_path: Path) -> None:
    import cadquery as cq

    export.write_step(stack, "demo", tmp_path / "flat.step", rows=False)
    assert export.read_step(tmp_path / "flat.step") == export.read_step(tmp_path / "flat.step")
    assy = cq.Assembly.load(str(tmp_path / "flat.step"), importType="STEP")
    names = [c.name for c in assy.children]
    assert names == ["substrate", "solder_balls"]
    balls = assy.children[1]
    assert sum(len(s.Solids()) for _, n in balls.traverse() for s in n.shapes) == 9


def test_meshes_watertight_and_tiled(stack: Stack) -> None:
    meshes = export.stack_mesh(stack)
    assert list(meshes) == ["substrate", "solder_balls"]
    for body in stack:
        m = meshes[body.name]
        assert m.is_watertight and m.is_winding_consistent
        assert m.volume == pytest.approx(body.volume(), rel=0.01)
        lo, hi = m.bounds
        b = body.bounds()
        assert np.all(lo >= b[:3] - 1e-9) and np.all(hi <= b[3:] + 1e-9)
        assert np.concatenate([lo, hi]) == pytest.approx(b, abs=2e-3)
    balls = meshes["solder_balls"]
    assert len(balls.faces) % 9 == 0
    assert len(balls.split(only_watertight=True)) == 9


def test_mesh_budget_coarsens_large_arrays() -> None:
    bump = occ.sphere(0.05, 0.0)
    small = Stack((Body("b", "Cu", (Instances.at(bump, np.zeros((1, 3))),)),))
    big = Stack((Body("b", "Cu", (Instances.at(bump, np.random.default_rng(0).random((400, 3)) * 10),)),))
    per_small = len(export.stack_mesh(small)["b"].faces)
    per_big = len(export.stack_mesh(big, max_triangles=100_000)["b"].faces) / 400
    assert per_big < per_small and per_big * 400 <= 100_000


def test_stl(stack: Stack, design: Path) -> None:
    raw = (design / "package.stl").read_bytes()
    n = struct.unpack("<I", raw[80:84])[0]
    assert len(raw) == 84 + 50 * n
    m = trimesh.load(design / "package.stl", file_type="stl")
    assert m.is_watertight
    assert m.volume == pytest.approx(stack.volume(), rel=0.01)
    assert len(m.split(only_watertight=True)) == 10


def test_glb(stack: Stack, design: Path) -> None:
    scene = trimesh.load(design / "package.glb")
    assert isinstance(scene, trimesh.Scene)
    assert set(scene.geometry) == {"substrate", "solder_balls"}
    assert set(scene.graph.nodes_geometry) == {"substrate", "solder_balls"}
    for body in stack:
        geom = scene.geometry[body.name]
        rgba = np.asarray(geom.visual.material.baseColorFactor, dtype=float) / 255.0
        assert rgba == pytest.approx(body.material.color, abs=1 / 255)
        transform, _ = scene.graph[body.name]
        world = trimesh.transform_points(geom.vertices, transform)
        assert world.min(axis=0) == pytest.approx(body.bounds()[:3] * export.GLB_SCALE, abs=2e-6)


def test_manifest(stack: Stack, design: Path) -> None:
    data = json.loads((design / "manifest.json").read_text())
    assert data["name"] == "demo" and data["flow"] == "flip_chip"
    assert data["parameters"] == {"pitch": 1.0, "ball": {"d": 2 * BALL_R}}
    assert data["checks"] == [{"name": "coplanarity", "passed": True, "value": None}]
    assert [s["key"] for s in data["steps"]] == ["substrate", "ball_attach"]
    bodies = {b["name"]: b for b in data["bodies"]}
    assert set(bodies) == {"substrate", "solder_balls"}
    for body in stack:
        rec = bodies[body.name]
        assert rec["material"] == body.material_name and rec["count"] == body.count
        assert rec["volume_mm3"] == pytest.approx(body.volume(), rel=1e-12)
        assert rec["mass_mg"] == pytest.approx(body.volume() * body.material.density, rel=1e-12)
        assert rec["bounds_mm"]["min"] + rec["bounds_mm"]["max"] == pytest.approx(list(body.bounds()))
    assert bodies["substrate"]["mass_mg"] == pytest.approx(2 * 1 * 0.5 * 1.85)
    assert data["totals"]["members"] == 10
    assert data["totals"]["mass_mg"] == pytest.approx(sum(b.material.mass_mg(b.volume()) for b in stack))
    assert {"pkgcad", "cadquery", "OCP", "trimesh", "numpy", "python"} <= set(data["versions"])
    assert data["versions"]["cadquery"].startswith("2.8")


@pytest.mark.parametrize("bad", ["../evil", "/abs", "a/b", "..", ".hidden", "", "a" * 65, "x\\y", "a b"])
def test_design_name_refused(stack: Stack, tmp_path: Path, bad: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match="design name"):
        export.write_design(out, bad, stack, {})
    assert list(out.iterdir()) == [] and _listing(tmp_path) == ["out"]


def test_step_key_refused(stack: Stack, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="step key"):
        export.write_design(tmp_path, "ok", stack, {}, [("../x", stack)])
    assert list(tmp_path.iterdir()) == []


def test_symlink_escape_refused(stack: Stack, tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "demo").symlink_to(elsewhere)
    with pytest.raises(ValueError, match="outside"):
        export.write_design(out, "demo", stack, {})
    assert list(elsewhere.iterdir()) == []


def test_failure_leaves_previous_output(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    single = Stack(stack.bodies[:1])
    first = export.write_design(tmp_path, "demo", single, {"run": 1})
    before = {p: p.read_bytes() for p in first.iterdir()}

    def boom(*args: object, **kwargs: object) -> Path:
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "write_stl", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        export.write_design(tmp_path, "demo", single, {"run": 2})
    monkeypatch.setattr(export, "write_glb", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        export.write_design(tmp_path, "fresh", single, {"run": 3})
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]
    assert {p: p.read_bytes() for p in first.iterdir()} == before


def test_rewrite_replaces_previous(stack: Stack, tmp_path: Path) -> None:
    export.write_design(tmp_path, "demo", stack, {"run": 1}, [("a", stack)])
    target = export.write_design(tmp_path, "demo", Stack(stack.bodies[:1]), {"run": 2})
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]
    assert not (target / "steps").exists()
    assert json.loads((target / "manifest.json").read_text()) == {"run": 2}
    assert set(export.read_step(target / "package.step")) == {"substrate"}


def test_single_file_writers_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "manifest.json"
    export.write_manifest({"b": 1, "a": np.float64(2.5), "c": np.arange(2)}, path)
    assert path.read_text() == '{\n  "a": 2.5,\n  "b": 1,\n  "c": [\n    0,\n    1\n  ]\n}\n'
    with pytest.raises(TypeError):
        export.write_manifest({"x": object()}, path)
    assert json.loads(path.read_text())["b"] == 1

    def partial(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("interrupted")

    with pytest.raises(OSError, match="interrupted"):
        export._atomic(path, partial)
    assert json.loads(path.read_text())["b"] == 1
    assert sorted(os.listdir(tmp_path)) == ["manifest.json"]


def test_empty_stack_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no bodies"):
        export.write_step(Stack(), "empty", tmp_path / "e.step")
    assert list(tmp_path.iterdir()) == []


def test_swept_wires_are_meshed_from_their_centre_line() -> None:
    theta = np.linspace(0, np.pi / 2, 60)
    spine = np.column_stack([np.cos(theta), np.zeros_like(theta), np.sin(theta)])
    v, f = export._tube_mesh(spine, 0.05)
    tube = trimesh.Trimesh(v, f)
    assert tube.is_watertight and tube.is_winding_consistent and tube.volume > 0
    polygon = export.TUBE_SIDES / (2 * np.pi) * np.sin(2 * np.pi / export.TUBE_SIDES)
    assert tube.volume == pytest.approx(polygon * np.pi * 0.05**2 * np.pi / 2, rel=0.01)
    ring = v[:-2]
    off_axis = np.hypot(np.hypot(ring[:, 0], ring[:, 2]) - 1.0, ring[:, 1])
    assert off_axis.min() == pytest.approx(0.05, rel=0.01) and off_axis.max() == pytest.approx(0.05, rel=0.01)
