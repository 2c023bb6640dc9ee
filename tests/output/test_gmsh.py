"""An independent reader: every recipe's STEP read back by gmsh (its own OpenCascade import through XDE), solid
counts and volumes against the manifest to 1e-6; the STL meshes are watertight. gmsh's label import costs time
quadratic in the named references (fc-basic: 0.9 s without labels, 43 s with), so every recipe is read without
labels (total count and volume) and the per-body names, counts and volumes once, on the small designs. The default
run reads every recipe of builds/ of at most 2,000 solids; the larger ones are marked slow."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

from tests.conftest import (
    RECIPES,
    checked_recipe,
    design_file,
    large_recipe_files,
    small_cavity,
    small_recipe,
    small_recipe_files,
)


def gmsh_bodies(step: Path, labels: bool = True) -> dict[str, tuple[int, float]]:
    """Per top-level component of ``step`` as gmsh reads it: (number of 3D entities, total volume in mm3); all
    under the key ``""`` when ``labels`` is off."""
    import gmsh

    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("Geometry.OCCImportLabels", int(labels))
        gmsh.model.occ.importShapes(str(step), highestDimOnly=True)
        gmsh.model.occ.synchronize()
        count: collections.Counter = collections.Counter()
        volume: dict[str, float] = collections.defaultdict(float)
        for dim, tag in gmsh.model.getEntities(3):
            path = (gmsh.model.getEntityName(dim, tag) if labels else "//").split("/")  # Shapes/<design>/<body>/...
            count[path[2]] += 1
            volume[path[2]] += gmsh.model.occ.getMass(dim, tag)
        return {k: (count[k], volume[k]) for k in count}
    finally:
        gmsh.finalize()


def _export(out: Path, recipe: dict | Path) -> tuple[Path, object]:
    """``recipe`` (a dict or a file) built, checked and written as ``pkgcad build`` does: (design folder, build)."""
    from geometry import api
    from geometry.flows import load_design

    build = api.run(load_design(recipe) if isinstance(recipe, dict) else api.load(recipe))
    return api.export(build, api.check(build), out), build


def _compare_step(design: Path, step: Path, labels: bool = False) -> None:
    """gmsh's reading of ``step`` against the manifest: per body with ``labels``, else the totals."""
    manifest = json.loads((design / "manifest.json").read_text())
    bodies = {b["name"]: b for b in manifest["bodies"]}
    read = gmsh_bodies(step, labels)
    if not labels:
        assert read[""][0] == sum(b["count"] for b in bodies.values())
        assert read[""][1] == pytest.approx(sum(b["volume_mm3"] for b in bodies.values()), rel=1e-6)
        return
    assert set(read) == set(bodies)
    for name, b in bodies.items():
        assert read[name][0] == b["count"], name
        assert read[name][1] == pytest.approx(b["volume_mm3"], rel=1e-6), name


def _closed(faces: np.ndarray) -> bool:
    """Every directed edge of the triangles ``faces`` is matched by the same edge the other way: the surface is
    closed (a union of closed surfaces, which may touch each other along edges)."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]).astype(np.int64)
    n = int(e.max()) + 1
    return np.array_equal(np.sort(e[:, 0] * n + e[:, 1]), np.sort(e[:, 1] * n + e[:, 0]))


def _check_stl(design: Path, build) -> None:
    """The written STL holds the bodies' meshes one after the other. Each body's mesh is watertight as built (per
    member), and its part of the STL, welded by position, is closed with the mesh's volume: a body of several
    solids that touch along an edge (the first encapsulant's pieces under the bump overhangs) shares vertices
    there once welded, so it is closed but not a single manifold."""
    from geometry.output.mesh import stack_mesh

    raw = trimesh.load(design_file(design, ".stl"), file_type="stl", process=False)
    triangles = raw.vertices[raw.faces]
    meshes = stack_mesh(build.stack)
    assert len(triangles) == sum(len(m.faces) for m in meshes.values())
    start = 0
    for name, m in meshes.items():
        assert m.is_watertight and m.is_winding_consistent, name
        part = triangles[start:start + len(m.faces)]
        start += len(m.faces)
        assert np.allclose(part, m.vertices[m.faces], atol=1e-5), name  # float32 in the file
        welded = trimesh.Trimesh(part.reshape(-1, 3), np.arange(3 * len(part)).reshape(-1, 3), process=False)
        welded.merge_vertices()
        assert _closed(np.asarray(welded.faces)), name
        assert welded.volume == pytest.approx(m.volume, rel=1e-4), name


@pytest.mark.parametrize("flow", ["flip-chip", "cavity"])
def test_gmsh_reads_the_small_designs_with_names(tmp_path, flow):
    """Labels on: one gmsh entity path per body, ``Shapes/<design>/<body>/...``, counts and volumes per body."""
    design, build = _export(tmp_path, small_recipe() if flow == "flip-chip" else small_cavity())
    _compare_step(design, design_file(design, ".step"), labels=True)
    _check_stl(design, build)


@pytest.mark.parametrize("recipe", small_recipe_files(), ids=lambda p: p.stem)
def test_gmsh_reads_every_recipe(exported_recipe, recipe):
    design, build = exported_recipe(recipe), checked_recipe(recipe)[0]
    _compare_step(design, design_file(design, ".step"))
    _check_stl(design, build)


@pytest.mark.slow
def test_gmsh_reads_the_row_form_too(tmp_path):
    """The shared row assemblies (``rows=True``) read the same as the default flat form."""
    from geometry import api
    from geometry.output.step import write_step

    build = api.run(api.load(RECIPES / "cavity" / "cavity-over.toml"))
    rows = write_step(build.stack, "c", tmp_path / "rows.step", rows=True)
    flat = write_step(build.stack, "c", tmp_path / "flat.step")
    a, b = gmsh_bodies(rows), gmsh_bodies(flat)
    assert set(a) == set(b) == set(build.stack.names)
    for name in a:
        assert a[name][0] == b[name][0] == build.stack[name].count
        assert a[name][1] == pytest.approx(b[name][1], rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("recipe", large_recipe_files(), ids=lambda p: p.stem)
def test_gmsh_reads_large_recipes(tmp_path, recipe):
    design, build = _export(tmp_path, recipe)
    _compare_step(design, design_file(design, ".step"))
    _check_stl(design, build)
