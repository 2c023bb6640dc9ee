"""STL and GLB files (geometry.output.meshfiles) of the hand-built ``ball_design`` of tests/conftest.py."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import cadquery as cq
import numpy as np
import pytest
import trimesh

from geometry import api
from geometry.cli import main
from geometry.core.stack import Stack
from geometry.flows import load_design
from geometry.output.mesh import VOLUME_BOUND
from geometry.output.meshfiles import GLB_SCALE, srgb_to_linear
from tests.conftest import RECIPES, design_file, small_cavity, small_recipe, write_recipe


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
        linear = np.append(srgb_to_linear(np.array(body.material.color[:3])), body.material.color[3])
        assert rgba == pytest.approx(linear, abs=1 / 255)
        transform, _ = scene.graph[body.name]
        world = trimesh.transform_points(geom.vertices, transform)
        assert world.min(axis=0) == pytest.approx(body.bounds()[:3] * GLB_SCALE, abs=2e-6)


# ------------------------------------------------------------------- a recipe's files with a stated tolerance

SPLIT_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def split_design(tmp_path_factory: pytest.TempPathFactory):
    """fc-basic exported with ``tolerance=0.01`` mm, ``split=True`` and ``ap242=True``: (build, design folder)."""
    build = api.run(api.load(RECIPES / "flip-chip" / "fc-basic.toml"))
    out = tmp_path_factory.mktemp("split")
    return build, api.export(build, api.check(build), out, tolerance=SPLIT_TOLERANCE, split=True, ap242=True)


def test_manifest_states_the_mesh_accuracy(split_design) -> None:
    build, folder = split_design
    mesh = json.loads((folder / "manifest.json").read_text())["mesh"]
    assert mesh["tolerance_mm"] == SPLIT_TOLERANCE and mesh["volume_bound_pct"] == 0.5
    assert set(mesh["bodies"]) == set(build.stack.names)
    stl = trimesh.load(design_file(folder, ".stl"), file_type="stl")
    assert mesh["triangles"] == len(stl.faces) == sum(b["triangles"] for b in mesh["bodies"].values())
    for name, record in mesh["bodies"].items():
        assert abs(record["volume_error_pct"]) <= 0.5 and record["tolerance_mm"] <= SPLIT_TOLERANCE, name
    assert stl.volume == pytest.approx(sum(b.volume() for b in build.stack), rel=VOLUME_BOUND)


def test_package_stl_seating_plane_is_the_manifest_one(split_design) -> None:
    """Exact to the format: binary STL stores float32, and rounding to float32 keeps the minimum."""
    _, folder = split_design
    bodies = {b["name"]: b for b in json.loads((folder / "manifest.json").read_text())["bodies"]}
    stl = trimesh.load(design_file(folder, ".stl"), file_type="stl")
    seat = bodies["solder_balls"]["bounds_mm"]["min"][2]
    assert stl.vertices[:, 2].min() == float(np.float32(seat))


def test_glb_bodies_are_volume_true(split_design) -> None:
    build, folder = split_design
    scene = trimesh.load(design_file(folder, ".glb"))
    assert set(scene.geometry) == set(scene.graph.nodes_geometry) == set(build.stack.names)
    for body in build.stack:
        geom = scene.geometry[body.name]
        assert geom.is_watertight, body.name
        assert geom.volume == pytest.approx(body.volume(), rel=VOLUME_BOUND), body.name


def test_split_writes_one_step_and_one_stl_per_body(split_design) -> None:
    """``bodies/<design>-<body>.step`` and ``.stl``: one body's files of two designs never collide."""
    build, folder = split_design
    files = sorted(p.name for p in (folder / "bodies").iterdir())
    assert files == sorted(f"fc-basic-{n}{s}" for n in build.stack.names for s in (".step", ".stl"))
    for body in build.stack:
        stl = trimesh.load(folder / "bodies" / f"fc-basic-{body.name}.stl", file_type="stl")
        assert closed(stl), body.name
        assert stl.volume == pytest.approx(body.volume(), rel=VOLUME_BOUND), body.name
        if stl.is_watertight:
            assert len(stl.split(only_watertight=True)) == body.count, body.name
    assert not any(closed(trimesh.Trimesh(m.vertices, m.faces[:-1])) for m in [stl])


def closed(mesh: trimesh.Trimesh) -> bool:
    """Every edge used by an even number of triangles: a closed surface, where members that touch share faces,
    which trimesh's ``is_watertight`` (two per edge) refuses."""
    _, counts = np.unique(mesh.edges_sorted, axis=0, return_counts=True)
    return bool(np.all(counts % 2 == 0))


@pytest.fixture(scope="module")
def split_cavity(tmp_path_factory: pytest.TempPathFactory):
    """The small cavity design (bond wires, fingers, a mold that embeds them) exported with ``split=True`` and
    ``ap242=True``: (build, design folder)."""
    build = api.run(load_design(small_cavity()))
    out = tmp_path_factory.mktemp("split-cavity")
    return build, api.export(build, api.check(build), out, split=True, ap242=True)


def split_steps(folder: Path) -> list[Path]:
    return sorted((folder / "bodies").glob("*.step"))


@pytest.mark.parametrize("which", ["split_design", "split_cavity"])
def test_every_split_step_reads_back_as_its_manifest_body(request, which: str) -> None:
    """Every ``bodies/<design>-<body>.step`` through ``cadquery.Assembly.load`` and ``importStep``: root
    ``<design>-<body>`` holding one child ``<body>``, the manifest's count of solids and volume (mm3), every solid
    with its body's sRGB colour and material (name, density g/cm3)."""
    build, folder = request.getfixturevalue(which)
    design = build.design.name
    records = {b["name"]: b for b in json.loads((folder / "manifest.json").read_text())["bodies"]}
    assert [p.name for p in split_steps(folder)] == sorted(f"{design}-{n}.step" for n in records)
    for name, record in records.items():
        body = build.stack[name]
        path = folder / "bodies" / f"{design}-{name}.step"
        assy = cq.Assembly.load(str(path), importType="STEP")
        assert assy.name == f"{design}-{name}" and [c.name for c in assy.children] == [name]
        shapes = [s for _, node in assy.children[0].traverse() for s in node.shapes]
        assert sum(len(s.Solids()) for s in shapes) == record["count"] == body.count, name
        assert sum(s.Volume() for s in shapes) == pytest.approx(record["volume_mm3"], rel=1e-9), name
        leaves = [n for _, n in assy.children[0].traverse() if n.shapes]
        for leaf in leaves:
            assert leaf.color.toTuple() == pytest.approx(body.material.color, abs=1e-6), (name, leaf.name)
            assert leaf.material.name == record["material"], (name, leaf.name)
            assert leaf.material.density == pytest.approx(record["density_g_cm3"], rel=1e-12), (name, leaf.name)
        solids = cq.importers.importStep(str(path)).solids().vals()
        assert len(solids) == record["count"], name
        assert sum(s.Volume() for s in solids) == pytest.approx(record["volume_mm3"], rel=1e-9), name


@pytest.mark.parametrize("which", ["split_design", "split_cavity"])
def test_split_steps_are_ap242_with_the_package_header(request, which: str) -> None:
    """``ap242=True`` reaches the per-body files (it did not before issue 13's loose ends): schema AP242, the
    header naming the file, its body and design, and ``pkgcad <version>``, no OCCT placeholder."""
    from importlib.metadata import version

    build, folder = request.getfixturevalue(which)
    design = build.design.name
    for path in [design_file(folder, ".step"), *split_steps(folder)]:
        text = path.read_text(encoding="latin-1")
        header = re.sub(r"\n\s*", "", text[:text.index("ENDSEC;")])  # OCCT wraps long header lines
        assert "FILE_SCHEMA(('AP242_MANAGED_MODEL_BASED_3D_ENGINEERING_MIM_LF" in header, path.name
        assert "AUTOMOTIVE_DESIGN" not in text, path.name
        assert f"FILE_NAME('{path.stem}'," in header and f"'pkgcad {version('pkgcad')}'" in header, path.name
        for placeholder in ("Author", "Unknown", "Open CASCADE Shape Model", "Open CASCADE Model"):
            assert placeholder not in header, path.name
    for body in build.stack:
        header = re.sub(r"\n\s*", "", (folder / "bodies" / f"{design}-{body.name}.step").read_text(
            encoding="latin-1")[:2000])
        assert f"body {body.name} of semiconductor package {design}" in header, body.name


def test_cli_build_tolerance_and_split(tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path / "small.toml", small_recipe())
    assert main(["build", str(recipe), "-o", str(tmp_path / "out"), "--tolerance", "0.005", "--split", "--ap242",
                 "-q"]) == 0
    folder = tmp_path / "out" / "small"
    mesh = json.loads((folder / "manifest.json").read_text())["mesh"]
    assert mesh["tolerance_mm"] == 0.005
    assert all(b["tolerance_mm"] <= 0.005 for b in mesh["bodies"].values())
    assert {p.stem for p in (folder / "bodies").glob("*.stl")} == {f"small-{n}" for n in mesh["bodies"]}
    assert {p.stem for p in (folder / "bodies").glob("*.step")} == {f"small-{n}" for n in mesh["bodies"]}
    assert "AP242_MANAGED_MODEL_BASED" in (folder / "bodies" / "small-bumps.step").read_text(encoding="latin-1")
    with pytest.raises(SystemExit) as refused:
        main(["build", str(recipe), "-o", str(tmp_path / "out"), "--tolerance", "0"])
    assert refused.value.code == 2


def test_glb_colours_are_linear_light(ball_stack: Stack, ball_design: Path) -> None:
    """glTF 2.0's baseColorFactor is linear light: the file holds the sRGB palette decoded (substrate 0.2 sRGB ->
    0.0331 linear), which a glTF viewer encodes back to the palette on screen."""
    import json
    import struct

    data = design_file(ball_design, ".glb").read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    gltf = json.loads(data[20:20 + length])
    factors = {m["name"]: m["pbrMetallicRoughness"]["baseColorFactor"] for m in gltf["materials"]}
    assert srgb_to_linear(np.array([0.2, 0.04045, 1.0])) == pytest.approx([0.0331048, 0.0031308, 1.0], rel=1e-5)
    for body in ball_stack:
        want = np.append(srgb_to_linear(np.array(body.material.color[:3])), body.material.color[3])
        assert np.array(factors[body.material_name]) == pytest.approx(want, abs=1 / 255)
