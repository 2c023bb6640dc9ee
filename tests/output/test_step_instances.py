"""STEP assembly components written as text (:mod:`geometry.core.occ_step_instances`, ``write_step(...,
instances=True)``, the default): the file holds the same assembly as OCCT's own transfer of every component
(``instances=False``), read by readers we did not write (OCCT through cadquery's ``importStep`` and
``Assembly.load``, gmsh, FreeCAD), and the same entities; a wrong splice is caught and the file is then written by
OCCT alone."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from geometry import api
from geometry.core import occ_step_instances
from geometry.output.step import step_tree, write_step
from tests.conftest import ROOT

TIMESTAMP = "2026-01-01T00:00:00"


def _pair(build, folder: Path, **kw) -> dict[bool, Path]:
    return {i: write_step(build.stack, build.design.name, folder / f"{i}.step", timestamp=TIMESTAMP, instances=i,
                          **kw) for i in (True, False)}


@pytest.fixture(scope="module")
def files(many_build, tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """The STEP of :func:`~tests.conftest.many_bumps_recipe` with components as text (True) and without (False)."""
    return _pair(many_build, tmp_path_factory.mktemp("instances"))


def _entities(path: Path) -> Counter:
    """The entities of a STEP file, ids and white space (OCCT breaks lines by their length) taken out, counted."""
    text = path.read_text(encoding="latin-1")
    bodies = re.findall(r"^#\d+ = (.*?);$", text[text.index("\nDATA;"):], re.MULTILINE | re.DOTALL)
    return Counter(re.sub(r"#\d+", "#", re.sub(r"\s+", "", b)) for b in bodies)


def _nodes(path: Path) -> list:
    """cadquery ``Assembly.load``: per node, in traversal order, its name, location (mm, degrees), colour and
    material, solids and volume (mm3)."""
    import cadquery as cq

    assy = cq.Assembly.load(str(path), importType="STEP")
    out = []
    for _, n in assy.traverse():
        xyz, angles = n.loc.toTuple()
        out.append((n.name, tuple(round(v, 9) for v in xyz), tuple(round(v, 9) for v in angles),
                    n.color.toTuple() if n.color else None, n.material.name if n.material else None,
                    sum(len(s.Solids()) for s in n.shapes), round(sum(s.Volume() for s in n.shapes), 9)))
    return out


def _occt(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """cadquery ``importStep``: solid volumes (mm3) and bounding boxes (mm), sorted."""
    import cadquery as cq

    solids = cq.importers.importStep(str(path)).solids().vals()
    boxes = np.array([[b.xmin, b.ymin, b.zmin, b.xmax, b.ymax, b.zmax] for b in (s.BoundingBox() for s in solids)])
    return np.sort([s.Volume() for s in solids]), boxes[np.lexsort(boxes.T[::-1])]


def _gmsh(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """gmsh's reading: volumes of its 3D entities (mm3) and their bounding boxes (mm), sorted."""
    import gmsh

    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.occ.importShapes(str(path), highestDimOnly=True)
        gmsh.model.occ.synchronize()
        tags = [t for _, t in gmsh.model.getEntities(3)]
        boxes = np.array([gmsh.model.getBoundingBox(3, t) for t in tags])
        return np.sort([gmsh.model.occ.getMass(3, t) for t in tags]), boxes[np.lexsort(boxes.T[::-1])]
    finally:
        gmsh.finalize()


def _same(files: dict[bool, Path]) -> None:
    assert _entities(files[True]) == _entities(files[False])
    assert _nodes(files[True]) == _nodes(files[False])
    for read in (_occt, _gmsh):
        (v, b), (pv, pb) = read(files[True]), read(files[False])
        np.testing.assert_allclose(v, pv, rtol=1e-12)
        np.testing.assert_allclose(b, pb, atol=1e-9)


def test_the_small_design_takes_the_instances_path(many_build, files) -> None:
    """Three bodies of 120 members are written as text, the 25 balls and pads by OCCT; the file differs from
    OCCT's own (other numbering) but holds the same entities."""
    tree = step_tree(many_build.stack, "many")
    counts = {name: len(node.components) for node, _, name in tree.components if hasattr(node, "components")}
    taken = {n for n, c in counts.items() if occ_step_instances.runs(
        next(node for node, _, name in tree.components if name == n).components) is not None}
    assert taken == {"substrate_pads", "bumps", "chip_pads"}
    assert counts["solder_balls"] < occ_step_instances.LEAST <= counts["bumps"]
    assert files[True].read_bytes() != files[False].read_bytes()
    assert _entities(files[True]) == _entities(files[False])


def test_readers_see_the_same_assembly(files) -> None:
    """cadquery (names, locations, colours, materials, solids, volumes) and gmsh (volumes, boxes) alike."""
    _same(files)


def test_rows_form_is_the_same(many_build, tmp_path: Path) -> None:
    """``rows=True`` (shared row assemblies): the same through OCCT and gmsh."""
    files = _pair(many_build, tmp_path, rows=True)
    assert _entities(files[True]) == _entities(files[False])
    for read in (_occt, _gmsh):
        (v, b), (pv, pb) = read(files[True]), read(files[False])
        np.testing.assert_allclose(v, pv, rtol=1e-12)
        np.testing.assert_allclose(b, pb, atol=1e-9)


def test_ap242_is_the_same(many_build, tmp_path: Path) -> None:
    files = _pair(many_build, tmp_path, ap242=True)
    assert "AP242_MANAGED_MODEL_BASED_3D_ENGINEERING_MIM_LF" in files[True].read_text(encoding="latin-1")
    assert _entities(files[True]) == _entities(files[False])
    assert _nodes(files[True]) == _nodes(files[False])


FIRST_WRITE = """
import sys
import cadquery as cq
import numpy as np
from geometry.core.occ_step import XAssembly, XPart, write_step
part = XPart("box", cq.Solid.makeBox(1.0, 1.0, 1.0), (0.5, 0.5, 0.5, 1.0))
write_step(XAssembly("demo", [(part, np.eye(4), "box_0")]), sys.argv[1], ap242=True)
"""


def test_first_write_of_a_process_is_ap242(tmp_path: Path) -> None:
    """The schema is set once OCCT's writer has initialised its statics (it was AP214 in a fresh process)."""
    import subprocess
    import sys

    path = tmp_path / "first.step"
    subprocess.run([sys.executable, "-c", FIRST_WRITE, str(path)], check=True, cwd=ROOT, timeout=300)
    assert "AP242_MANAGED_MODEL_BASED_3D_ENGINEERING_MIM_LF" in path.read_text(encoding="latin-1")


def test_same_bytes_every_run(many_build, files, tmp_path: Path) -> None:
    again = write_step(many_build.stack, "many", tmp_path / "again.step", timestamp=TIMESTAMP)
    assert again.read_bytes() == files[True].read_bytes()


def test_runs_refuse_what_is_not_an_array() -> None:
    proto, other = object(), object()
    moved = [np.eye(4) for _ in range(60)]
    for i, m in enumerate(moved):
        m[0, 3] = 0.1 * i
    comps = [(proto, m, f"p_{i}") for i, m in enumerate(moved)]
    runs = occ_step_instances.runs(comps)
    assert runs is not None and [len(r.names) for r in runs] == [59] and runs[0].names[0] == "p_1"
    assert occ_step_instances.runs(comps[:10]) is None
    turned = np.array([[0.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    assert occ_step_instances.runs(comps[:-1] + [(proto, turned, "p_t")]) is None
    assert occ_step_instances.runs(comps[:-1] + [(proto, moved[-1], "p'q")]) is None
    alternating = [(proto if i % 2 else other, m, n) for i, (_, m, n) in enumerate(comps)]
    assert occ_step_instances.runs(alternating) is None
    two = occ_step_instances.runs([(other if i >= 30 else proto, m, n) for i, (_, m, n) in enumerate(comps)])
    assert two is not None and [(r.first, len(r.names)) for r in two] == [(0, 29), (30, 29)]


def _untagged(text: str) -> str:
    return text.replace("'pkgcad-i1-0'", "'other'", 1)


def _usage(text: str) -> str:
    """The first tagged usage with a fourth reference (its line may be wrapped: OCCT's usage ids run on)."""
    i = text.index("'pkgcad-i0-0'")
    j = text.index(";", i)
    return text[:i] + text[i:j].replace("$", "#1") + text[j:]


def _shape(text: str) -> str:
    """The shape of the first tagged usage renamed."""
    k = text.rindex("PRODUCT_DEFINITION_SHAPE('Placement'", 0, text.index("'pkgcad-i0-0'"))
    return text[:k] + "PRODUCT_DEFINITION_SHAPE('Moved'" + text[k + len("PRODUCT_DEFINITION_SHAPE('Placement'"):]


@pytest.mark.parametrize(("corrupt", "message"), [(_untagged, "missing"), (_usage, "nauo entity is not as OCCT"),
                                                  (_shape, "pds entity is not as OCCT")])
def test_a_wrong_splice_is_caught(corrupt, message: str, many_build, files, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """OCCT's text of a first component changed before the splice (a tag lost, the usage or its shape not of the
    expected form): the splice refuses it and the file is OCCT's own."""
    splice = occ_step_instances.splice
    monkeypatch.setattr(occ_step_instances, "splice", lambda text, assemblies: splice(corrupt(text), assemblies))
    with pytest.warns(RuntimeWarning, match=message):
        path = write_step(many_build.stack, "many", tmp_path / "m.step", timestamp=TIMESTAMP)
    assert path.read_bytes() == files[False].read_bytes()


def test_a_first_component_elsewhere_is_caught(many_build, files, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A first component whose written point is not its placement (the runs' record moved by 1 mm) is caught."""
    splice = occ_step_instances.splice

    def moved(text, assemblies):
        runs, names, places = assemblies[0]
        x, y, z = places[0]
        return splice(text, [(runs, names, [(x + 1.0, y, z), *places[1:]]), *assemblies[1:]])

    monkeypatch.setattr(occ_step_instances, "splice", moved)
    with pytest.warns(RuntimeWarning, match="a first component is at"):
        path = write_step(many_build.stack, "many", tmp_path / "m.step", timestamp=TIMESTAMP)
    assert path.read_bytes() == files[False].read_bytes()


@pytest.mark.skipif(shutil.which("freecadcmd") is None, reason="freecadcmd (Debian's freecad) is not installed")
def test_freecad_reads_the_same_assembly(files, tmp_path: Path) -> None:
    """FreeCAD's ``ImportGui.insert`` (merge off: one object per body, named) and ``Part.read``: the same objects,
    solid counts and volumes."""
    from tests.output.test_freecad import run_freecad

    jobs = [{"mode": m, "path": str(files[i])} for i in (True, False) for m in ("ImportGui", "Part.read")]
    got = [{k: v for k, v in r.items() if k not in ("job", "seconds")} for r in run_freecad(jobs, tmp_path, 1)]
    assert all("crashed" not in r for r in got)
    assert got[0]["total"][0] > 360 and "bumps" in got[0]["bodies"]
    assert got[:2] == got[2:]


@pytest.mark.slow
def test_production_instances_are_the_same(tmp_path: Path) -> None:
    """fc-production (32,316 members: the components of its five array bodies but the first of each written as
    text): the same entities, and the same solids through cadquery's ``importStep`` (gmsh takes some 24 min on
    it: the small design's tests cover gmsh)."""
    build = api.run(api.load(ROOT / "builds/flip-chip/fc-production.toml"))
    files = _pair(build, tmp_path)
    assert _entities(files[True]) == _entities(files[False])
    (v, b), (pv, pb) = _occt(files[True]), _occt(files[False])
    assert len(v) > 32_000
    np.testing.assert_allclose(v, pv, rtol=1e-12)
    np.testing.assert_allclose(b, pb, atol=1e-9)
