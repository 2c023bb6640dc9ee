"""STEP copies written as text (:mod:`geometry.core.occ_step_copies`, ``write_step(..., copies=True)``, the
default): the file holds the same solids as OCCT's own transfer of every face (``copies=False``), read by readers we
did not write (OCCT through cadquery's ``importStep`` with ``BRepCheck_Analyzer``, ``cadquery.Assembly.load``,
gmsh), and the same entities; a wrong splice is caught and the file is then written by OCCT alone."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from geometry import api
from geometry.core import occ_step_copies
from geometry.output.step import write_step
from tests.conftest import ROOT

TIMESTAMP = "2026-01-01T00:00:00"


def _pair(build, folder: Path) -> dict[bool, Path]:
    return {c: write_step(build.stack, build.design.name, folder / f"{c}.step", timestamp=TIMESTAMP, copies=c)
            for c in (True, False)}


@pytest.fixture(scope="module")
def files(many_build, tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """The STEP of :func:`~tests.conftest.many_bumps_recipe` with copies (True) and without (False)."""
    return _pair(many_build, tmp_path_factory.mktemp("copies"))


def _entities(path: Path) -> tuple[Counter, Counter]:
    """(entity kinds, CARTESIAN_POINT texts) of a STEP file, counted."""
    text = path.read_text(encoding="latin-1")
    bodies = [re.sub(r"\n +", "", b) for b in re.findall(r"^#\d+ = (.*?);$", text[text.index("\nDATA;"):],
                                                          re.MULTILINE | re.DOTALL)]
    return Counter(b.split("(", 1)[0] for b in bodies), Counter(b for b in bodies if b.startswith("CARTESIAN_POINT"))


def _occt(path: Path) -> tuple[np.ndarray, list[int], bool]:
    """OCCT's reading (cadquery ``importStep``): solid volumes (mm3, sorted), face counts (sorted), all valid."""
    import cadquery as cq
    from OCP.BRepCheck import BRepCheck_Analyzer

    solids = cq.importers.importStep(str(path)).solids().vals()
    return (np.sort([s.Volume() for s in solids]), sorted(len(s.Faces()) for s in solids),
            all(BRepCheck_Analyzer(s.wrapped).IsValid() for s in solids))


def _gmsh(path: Path) -> tuple[np.ndarray, int]:
    """gmsh's reading: volumes of its 3D entities (mm3, sorted) and its number of surfaces."""
    import gmsh

    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.occ.importShapes(str(path), highestDimOnly=False)
        gmsh.model.occ.synchronize()
        return (np.sort([gmsh.model.occ.getMass(3, t) for _, t in gmsh.model.getEntities(3)]),
                len(gmsh.model.getEntities(2)))
    finally:
        gmsh.finalize()


def _same_solids(files: dict[bool, Path]) -> None:
    volumes, faces, valid = _occt(files[True])
    plain_volumes, plain_faces, plain_valid = _occt(files[False])
    assert valid and plain_valid
    assert faces == plain_faces
    np.testing.assert_allclose(volumes, plain_volumes, rtol=1e-9)
    g_volumes, g_faces = _gmsh(files[True])
    plain_g_volumes, plain_g_faces = _gmsh(files[False])
    assert g_faces == plain_g_faces
    np.testing.assert_allclose(g_volumes, plain_g_volumes, rtol=1e-9)
    np.testing.assert_allclose(g_volumes, volumes, rtol=1e-6)


def test_the_small_design_takes_the_copies_path(many_build, files) -> None:
    """120 copies of one hole group in the first encapsulant; the file differs from OCCT's own (other numbering) but
    holds the same entities, point for point in OCCT's number format."""
    shape = many_build.stack["first_encapsulant"].parts[0].shape.wrapped
    taken = occ_step_copies.split(shape)
    assert taken is not None and [len(t.copies) for t in taken.templates] == [120]
    assert occ_step_copies.split(shape, least=121) is None
    assert files[True].read_bytes() != files[False].read_bytes()
    assert _entities(files[True]) == _entities(files[False])


def test_occt_and_gmsh_read_the_same_solids(files) -> None:
    _same_solids(files)


def test_names_colours_and_materials_unchanged(files) -> None:
    import cadquery as cq

    def nodes(path: Path) -> list:
        assy = cq.Assembly.load(str(path), importType="STEP")
        return [(n.name, n.color.toTuple() if n.color else None, n.material.name if n.material else None,
                 sum(len(s.Faces()) for s in n.shapes)) for _, n in assy.traverse()]

    copied = nodes(files[True])
    assert copied == nodes(files[False])
    assert ("first_encapsulant", ) == tuple(n for n, *_ in copied if n == "first_encapsulant")


@pytest.mark.parametrize("corner", [(0.05, -2500.0, 123.456789012345678), (1e-17, 0.0999999999999, 999.5),
                                    (-0.3, 1234.5678901234, 7e-5)])
def test_occt_real_prints_as_occt(corner: tuple[float, float, float], tmp_path: Path) -> None:
    """The corners of a box at ``corner`` (1 mm sides) as OCCT's STEP writer prints them."""
    import cadquery as cq

    box = cq.Solid.makeBox(1.0, 1.0, 1.0, pnt=cq.Vector(*corner))
    box.exportStep(str(tmp_path / "box.step"))
    written = set(_entities(tmp_path / "box.step")[1])
    texts = [",".join(occ_step_copies.occt_real(float(c + d)) for c, d in zip(corner, ds, strict=True))
             for ds in np.ndindex(2, 2, 2)]
    ours = {f"CARTESIAN_POINT('',({t}))" for t in texts}
    assert ours <= written


def test_fallback_when_the_writer_entities_are_not_found(many_build, files, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(occ_step_copies, "tag_split", lambda finder, split, index: False)
    with pytest.warns(RuntimeWarning, match="entities of a solid were not found"):
        path = write_step(many_build.stack, "many", tmp_path / "m.step", timestamp=TIMESTAMP)
    assert path.read_bytes() == files[False].read_bytes()


def _size(template: occ_step_copies.Template) -> None:
    template.size -= 1


def _face(template: occ_step_copies.Template) -> None:
    template.faces[0] += 1


def _ref(template: occ_step_copies.Template) -> None:
    template.refs[np.argmax(template.refs)] += 1


@pytest.mark.parametrize(("corrupt", "message"), [(_size, "not numbered"), (_face, "another entity"),
                                                  (_ref, "refers outside|not numbered")])
def test_a_wrong_splice_is_caught(corrupt, message: str, many_build, files, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A template corrupted after OCCT wrote it (copies numbered one entity too close, a face id pointing at
    another entity, a reference one past the copy) fails the splice's checks: the file is OCCT's own."""
    write_template = occ_step_copies.write_template

    def corrupted(template, hosts) -> None:
        write_template(template, hosts)
        corrupt(template)

    monkeypatch.setattr(occ_step_copies, "write_template", corrupted)
    with pytest.warns(RuntimeWarning, match=message):
        path = write_step(many_build.stack, "many", tmp_path / "m.step", timestamp=TIMESTAMP)
    assert path.read_bytes() == files[False].read_bytes()


@pytest.mark.slow
def test_production_copies_are_the_same_solids(tmp_path: Path) -> None:
    """fc-production (30,000 hole faces written as text): the same solids, faces and entities through OCCT and
    gmsh."""
    build = api.run(api.load(ROOT / "builds/flip-chip/fc-production.toml"))
    assert occ_step_copies.split(build.stack["first_encapsulant"].parts[0].shape.wrapped) is not None
    files = _pair(build, tmp_path)
    assert _entities(files[True]) == _entities(files[False])
    _same_solids(files)
