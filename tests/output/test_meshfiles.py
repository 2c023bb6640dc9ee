"""STL and GLB files (geometry.output.meshfiles) of the hand-built ``ball_design`` of tests/conftest.py and of
recipes: the numpy STL against trimesh's writer, the GLB read back through its accessors (our reader, since trimesh
does not expand ``EXT_mesh_gpu_instancing``), by trimesh (per-member nodes) and by the Khronos glTF validator."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from collections import Counter
from pathlib import Path

import cadquery as cq
import numpy as np
import pytest
import trimesh

from geometry import api
from geometry.cli import main
from geometry.core.stack import Stack
from geometry.flows import load_design
from geometry.output import mesh as mesh_module
from geometry.output.instanced import stack_meshes
from geometry.output.mesh import VOLUME_BOUND, combined, stack_mesh
from geometry.output.meshfiles import GLB_SCALE, srgb_to_linear, write_glb
from tests.conftest import RECIPES, design_file, small_cavity, small_recipe, write_recipe


def test_stl(ball_stack: Stack, ball_design: Path) -> None:
    raw = design_file(ball_design, ".stl").read_bytes()
    n = struct.unpack("<I", raw[80:84])[0]
    assert len(raw) == 84 + 50 * n
    m = trimesh.load(design_file(ball_design, ".stl"), file_type="stl")
    assert m.is_watertight
    assert m.volume == pytest.approx(ball_stack.volume(), rel=0.01)
    assert len(m.split(only_watertight=True)) == 10


_COMPONENTS = {5126: "<f4", 5123: "<u2", 5125: "<u4"}
_WIDTH = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}


def read_glb(path: Path) -> tuple[dict, dict[str, tuple[np.ndarray, np.ndarray, int]]]:
    """A GLB read with struct and numpy (not trimesh): its JSON and, per root node (a body), every member's
    (vertices in mm, faces, members) expanded from the node tree, ``EXT_mesh_gpu_instancing`` TRS accessors or
    node matrices, the root's mm -> m scale undone."""
    from scipy.spatial.transform import Rotation

    raw = path.read_bytes()
    magic, version, total = struct.unpack_from("<4sII", raw, 0)
    assert magic == b"glTF" and version == 2 and total == len(raw)
    n_json, kind = struct.unpack_from("<I4s", raw, 12)
    assert kind == b"JSON" and n_json % 4 == 0
    doc = json.loads(raw[20:20 + n_json])
    n_bin, kind = struct.unpack_from("<I4s", raw, 20 + n_json)
    assert kind == b"BIN\0" and 28 + n_json + n_bin == len(raw) and doc["buffers"][0]["byteLength"] <= n_bin
    blob = raw[28 + n_json:]

    def accessor(i: int) -> np.ndarray:
        a = doc["accessors"][i]
        view = doc["bufferViews"][a["bufferView"]]
        assert view["byteOffset"] % 4 == 0
        dtype = np.dtype(_COMPONENTS[a["componentType"]])
        arr = np.frombuffer(blob, dtype, a["count"] * _WIDTH[a["type"]], view["byteOffset"])
        return arr.reshape(a["count"], -1) if a["type"] != "SCALAR" else arr

    def transforms(node: dict) -> np.ndarray:
        ext = node.get("extensions", {}).get("EXT_mesh_gpu_instancing")
        if ext is None:
            m = np.array(node.get("matrix", np.eye(4).T.ravel()), dtype=float).reshape(4, 4).T
            return m[None]
        att = ext["attributes"]
        t = accessor(att["TRANSLATION"]).astype(float)
        q = accessor(att["ROTATION"]).astype(float) if "ROTATION" in att else np.tile([0, 0, 0, 1.0], (len(t), 1))
        s = accessor(att["SCALE"]).astype(float) if "SCALE" in att else np.ones_like(t)
        out = np.tile(np.eye(4), (len(t), 1, 1))
        out[:, :3, :3] = Rotation.from_quat(q).as_matrix() * s[:, None, :]
        out[:, :3, 3] = t
        return out

    bodies = {}
    for root in doc["scenes"][doc["scene"]]["nodes"]:
        node = doc["nodes"][root]
        assert node["scale"] == [GLB_SCALE] * 3
        pieces, members, tiled = [], 0, {}
        for holder in [node] + [doc["nodes"][c] for c in node.get("children", [])]:
            if "mesh" not in holder:
                continue
            prim = doc["meshes"][holder["mesh"]]["primitives"][0]
            v = accessor(prim["attributes"]["POSITION"]).astype(float)
            a = doc["accessors"][prim["attributes"]["POSITION"]]
            assert np.allclose(a["min"], v.min(axis=0)) and np.allclose(a["max"], v.max(axis=0))
            f = accessor(prim["indices"]).reshape(-1, 3).astype(np.int64)
            placed = transforms(holder)
            if "extras" in holder:  # tiles of a tiled prototype: per_member instances make one member
                extras = holder["extras"]
                assert len(placed) == extras["members"] * extras["per_member"]
                tiled[extras["prototype"]] = extras["members"]
            else:
                members += len(placed)
            pieces.append(mesh_module.tile(v, f, placed))
        bodies[node["name"]] = (*mesh_module.concat(pieces), members + sum(tiled.values()))
    return doc, bodies


def test_glb(ball_stack: Stack, ball_design: Path) -> None:
    doc, bodies = read_glb(design_file(ball_design, ".glb"))
    assert list(bodies) == ["substrate", "solder_balls"]
    assert doc["extensionsUsed"] == ["EXT_mesh_gpu_instancing"]
    assert [m["name"] for m in doc["meshes"]] == ["substrate", "solder_balls"]
    tiled = stack_mesh(ball_stack)
    for body in ball_stack:
        v, f, members = bodies[body.name]
        assert members == body.count and len(f) == len(tiled[body.name].faces)
        np.testing.assert_allclose(np.concatenate([v.min(axis=0), v.max(axis=0)]),
                                   np.asarray(tiled[body.name].bounds).ravel(), atol=1e-6)
        np.testing.assert_allclose(v.min(axis=0), body.bounds()[:3], atol=2e-3)
        assert mesh_module.signed_volume(v, f) == pytest.approx(body.volume(), rel=VOLUME_BOUND)


def test_glb_stores_one_mesh_per_prototype_and_member_nodes_on_request(ball_stack: Stack, tmp_path: Path) -> None:
    """Instanced: 2 meshes, 2 nodes, 9 translations; per-member nodes: the same 2 meshes, 1 + 9 child nodes, which
    trimesh (no instancing extension) expands to the 10 tiled solids of the package."""
    meshes = stack_meshes(ball_stack)
    instanced = write_glb(ball_stack, tmp_path / "i.glb", meshes)
    nodes = write_glb(ball_stack, tmp_path / "n.glb", meshes, instancing=False)
    doc_i, _ = read_glb(instanced)
    doc_n, bodies = read_glb(nodes)
    assert len(doc_i["meshes"]) == len(doc_n["meshes"]) == 2
    assert len(doc_i["nodes"]) == 2 and len(doc_n["nodes"]) == 2 + 10 and "extensionsUsed" not in doc_n
    assert {k: m for k, (_, _, m) in bodies.items()} == {"substrate": 1, "solder_balls": 9}
    scene = trimesh.load(nodes)
    dumped = scene.to_mesh()
    tiled = combined(meshes.trimeshes())
    assert len(dumped.faces) == len(tiled.faces) and len(dumped.vertices) == len(tiled.vertices)
    np.testing.assert_allclose(dumped.bounds, tiled.bounds * GLB_SCALE, atol=1e-9)
    assert len(dumped.split(only_watertight=True)) == 10


def test_glb_draws_a_tiled_body_as_instanced_tiles(small_build, tmp_path: Path) -> None:
    """The small flip-chip's encapsulant: with instancing, one mesh per kind of visible tile (the node's extras say
    so, as the manifest does), the body's volume and bounds, one member; without, its welded mesh as in the STL."""
    stack, meshes = small_build.stack, stack_meshes(small_build.stack)
    doc, bodies = read_glb(write_glb(stack, tmp_path / "i.glb", meshes))
    body = meshes["first_encapsulant"]
    node = next(n for n in doc["nodes"] if n["name"] == "first_encapsulant")
    assert node["extras"] == json.loads(json.dumps(meshes.record()["viewer"]["first_encapsulant"]))
    assert len(node["children"]) == len(body.views()) > 1
    v, f, members = bodies["first_encapsulant"]
    (welded,) = body.meshes
    assert members == 1 and len(f) == node["extras"]["triangles"]
    assert mesh_module.signed_volume(v, f) == pytest.approx(mesh_module.signed_volume(welded.vertices, welded.faces),
                                                            rel=1e-6)
    np.testing.assert_allclose(np.concatenate([v.min(axis=0), v.max(axis=0)]), body.bounds(), atol=1e-5)
    stored = sum(doc["accessors"][doc["meshes"][doc["nodes"][c]["mesh"]]["primitives"][0]["indices"]]["count"]
                 for c in node["children"]) // 3
    assert stored < len(welded.faces) / 5
    _, plain = read_glb(write_glb(stack, tmp_path / "n.glb", meshes, instancing=False))
    np.testing.assert_array_equal(plain["first_encapsulant"][1], welded.faces)


def test_trs_rebuilds_rotated_and_mirrored_placements() -> None:
    """Random rotations, half-turns and mirrors (det -1) decompose to T R S that rebuild the placement."""
    from scipy.spatial.transform import Rotation

    from geometry.output.gltf import trs

    rot = np.concatenate([Rotation.random(200, random_state=1).as_matrix(),
                          Rotation.from_rotvec(np.pi * np.array([[1, -1, 0], [0, 1, 1], [1, 0, 0]]) /
                                               np.linalg.norm([[1, -1, 0], [0, 1, 1], [1, 0, 0]], axis=1)[:, None]
                                               ).as_matrix(), np.eye(3)[None]])
    p = np.tile(np.eye(4), (len(rot), 1, 1))
    p[:, :3, :3] = rot
    p[::2, :3, :3] = p[::2, :3, :3] @ np.diag([1.0, -1.0, 1.0])
    p[:, :3, 3] = np.random.default_rng(2).normal(size=(len(rot), 3))
    t, q, s = trs(p)
    back = np.tile(np.eye(4), (len(p), 1, 1))
    back[:, :3, :3] = Rotation.from_quat(q).as_matrix() * s[:, None, :]
    back[:, :3, 3] = t
    np.testing.assert_allclose(back, p, atol=1e-12)
    assert trs(np.array([[[1.0, 0.5, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]])) is None


def test_stl_is_trimesh_s_bytes(ball_stack: Stack, ball_design: Path) -> None:
    """The numpy STL writer gives the bytes trimesh's STL export gives for the tiled package mesh."""
    assert design_file(ball_design, ".stl").read_bytes() == combined(stack_mesh(ball_stack)).export(file_type="stl")


def _validator() -> tuple[str, str] | None:
    """(node, folder of node_modules holding ``gltf-validator``) or None."""
    node = shutil.which("node")
    if node is None:
        return None
    for folder in [os.environ.get("NODE_PATH", ""), *os.environ.get("GLTF_VALIDATOR_PATH", "").split(os.pathsep)]:
        if folder and (Path(folder) / "gltf-validator").is_dir():
            return node, folder
    found = subprocess.run([node, "-e", "require.resolve('gltf-validator')"], capture_output=True, check=False)
    return (node, "") if found.returncode == 0 else None


_VALIDATE = """
const validator = require("gltf-validator");
const data = new Uint8Array(require("fs").readFileSync(process.argv[1]));
validator.validateBytes(data).then((r) => console.log(JSON.stringify(r.issues)))
  .catch((e) => { console.error(String(e)); process.exit(2); });
"""


@pytest.mark.parametrize("instancing", [True, False])
@pytest.mark.parametrize("which", ["ball_stack", "small_build"])
def test_glb_passes_the_khronos_validator(request, which: str, tmp_path: Path, instancing: bool) -> None:
    """No error and no warning from the Khronos glTF validator (npm ``gltf-validator``), for the ball stack and the
    small flip-chip (its encapsulant drawn as instanced tiles). It does not check ``EXT_mesh_gpu_instancing``
    itself (an info, as are the instance accessors it thinks unused): the accessor reader above does."""
    found = _validator()
    if found is None:
        print("skipped: node or the npm package gltf-validator not found (npm install gltf-validator, then set "
              "NODE_PATH to its node_modules)")
        pytest.skip("node or the npm package gltf-validator not found")
    node, folder = found
    stack = request.getfixturevalue(which)
    stack = getattr(stack, "stack", stack)
    path = write_glb(stack, tmp_path / "p.glb", stack_meshes(stack), instancing=instancing)
    env = {**os.environ, "NODE_PATH": folder} if folder else None
    done = subprocess.run([node, "-e", _VALIDATE, str(path)], capture_output=True, text=True, env=env, check=True)
    issues = json.loads(done.stdout)
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issues["messages"]
    codes = Counter(m["code"] for m in issues["messages"])
    assert set(codes) <= ({"UNSUPPORTED_EXTENSION", "UNUSED_OBJECT"} if instancing else set()), codes


def test_a_build_tessellates_each_prototype_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """STL, GLB, HTML viewer and manifest of one export share one tessellation: prototype_mesh (and the tube
    mesher of wires) is called once per distinct prototype shape."""
    build = api.run(load_design(small_cavity()))
    calls: Counter = Counter()
    real, tube = mesh_module.prototype_mesh, mesh_module._tube

    def counting(shape, *args, **kwargs):
        calls[id(shape)] += 1
        return real(shape, *args, **kwargs)

    def counting_tube(part, *args, **kwargs):
        calls[id(part.shape)] += 1
        return tube(part, *args, **kwargs)

    monkeypatch.setattr(mesh_module, "prototype_mesh", counting)
    monkeypatch.setattr(mesh_module, "_tube", counting_tube)
    folder = api.export(build, api.check(build), tmp_path)
    shapes = {id(p.shape) for body in build.stack for p in body.parts}
    shapes |= {id(q.shape) for body in build.stack for p in body.parts if mesh_module._is_tube(p) for q in p.pieces}
    assert set(calls) == shapes and set(calls.values()) == {1}
    assert {p.suffix for p in folder.iterdir()} >= {".stl", ".glb", ".html", ".json"}


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


@pytest.mark.parametrize("which", ["split_design", "split_cavity"])
def test_glb_bodies_are_volume_true(request, which: str) -> None:
    """Every body read back through the GLB's accessors (the cavity's wires placed with rotations): one instance
    per member and the body's volume."""
    build, folder = request.getfixturevalue(which)
    _, bodies = read_glb(design_file(folder, ".glb"))
    assert list(bodies) == list(build.stack.names)
    for body in build.stack:
        v, f, members = bodies[body.name]
        assert members == body.count, body.name
        assert mesh_module.signed_volume(v, f) == pytest.approx(body.volume(), rel=VOLUME_BOUND), body.name


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
