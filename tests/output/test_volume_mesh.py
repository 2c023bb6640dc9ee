"""`pkgcad mesh` (geometry.output.volume_mesh): the conformal stack meshed by gmsh and read back by meshio (a reader
we did not write): one physical volume per body named as the body, tetrahedra all positively oriented, per body
the tetrahedra's volume against the body's conformal volume, the three physical surfaces at their z-levels."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from geometry import api
from geometry.cli import main
from geometry.core import occ
from geometry.core.stack import Body, Stack
from geometry.flows import load_design
from geometry.output.volume_mesh import (
    SWEEP_SIZE_QUADRATIC,
    THIN_SIZE,
    MeshError,
    MeshOptions,
    write_volume_mesh,
)
from tests.conftest import small_cavity, small_recipe, write_recipe

CURVED = {"substrate_pads", "ball_pads", "bumps", "chip_pads", "solder_balls", "first_encapsulant", "chip_gap_fill"}
"""Bodies with round faces (or holes): their tetrahedra fall short of the solid unless sized by curvature."""

BOARD = (-load_design(small_recipe()).ball_pads.thickness, 0.0)
"""z (mm) of the small design's board side: the ball pads' bottoms to the substrate's second surface (z = 0)."""


def _names(path) -> dict[tuple[int, int], str]:
    """(physical tag, dimension) -> name: the MSH's own field data, else the ``<stem>.physical.json`` beside it."""
    import meshio

    if path.suffix == ".msh":
        return {(int(v[0]), int(v[1])): k for k, v in meshio.read(path).field_data.items()}
    groups = json.loads(path.with_name(f"{path.stem}.physical.json").read_text())
    return {(t, d): k for d, key in ((3, "volumes"), (2, "surfaces")) for k, t in groups[key].items()}


def _gauss_tet() -> tuple[np.ndarray, np.ndarray]:
    """Points (barycentric L1, L2, L3) and weights of a collapsed 3 x 3 x 3 Gauss rule on the unit tetrahedron
    (volume 1/6), exact for the cubic Jacobian determinant of a 10-node tetrahedron."""
    g, w = np.polynomial.legendre.leggauss(3)
    g, w = (g + 1) / 2, w / 2
    pts, wts = [], []
    for a, wa in zip(g, w, strict=True):
        for b, wb in zip(g, w, strict=True):
            for c, wc in zip(g, w, strict=True):
                pts.append((a, (1 - a) * b, (1 - a) * (1 - b) * c))
                wts.append(wa * wb * wc * (1 - a) ** 2 * (1 - b))
    return np.array(pts), np.array(wts)


TET10 = ((0, 1), (1, 2), (2, 0), (0, 3), (1, 3), (2, 3))
"""meshio's (VTK's) 10-node tetrahedron: the vertices of the edge of nodes 4-9."""


def _tet10_dets(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Jacobian determinants of 10-node tetrahedra (n, 10, 3) at the rule's points and its weights; at the rule's
    points and at the four vertices (rows n, points + 4)."""
    pts, wts = _gauss_tet()
    pts = np.vstack([pts, [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)]])
    dets = []
    for l1, l2, l3 in pts:
        lam = np.array([1 - l1 - l2 - l3, l1, l2, l3])
        dlam = np.array([[-1, -1, -1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
        dn = [(4 * lam[i] - 1) * dlam[i] for i in range(4)]
        dn += [4 * (lam[a] * dlam[b] + lam[b] * dlam[a]) for a, b in TET10]
        jac = np.einsum("nkx,ky->nxy", p, np.array(dn))
        dets.append(np.linalg.det(jac))
    return np.array(dets).T, wts


def _volumes(block_type: str, p: np.ndarray) -> np.ndarray:
    """Signed volume of each 4-node (straight) or 10-node (curved, integrated exactly) tetrahedron; a 10-node one
    with a determinant not positive at a rule point or vertex counts as negative."""
    if block_type == "tetra":
        return np.einsum("ij,ij->i", np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), p[:, 3] - p[:, 0]) / 6
    dets, wts = _tet10_dets(p)
    v = dets[:, :len(wts)] @ wts
    return np.where(dets.min(axis=1) > 0, v, -np.abs(v))


def test_tet10_rule_integrates_a_curved_element():
    """The reader's rule: a straight 10-node tetrahedron has the 4-node volume; one edge node pushed out by d
    along the z axis of a face-aligned element adds exactly the quadratic bulge (computed by hand: 1/30 of
    the pushed edge's node displacement times the face's area terms, cross-checked against the 4-node split)."""
    v = np.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], float)
    straight = np.vstack([v, [(v[a] + v[b]) / 2 for a, b in TET10]])[None]
    assert _volumes("tetra10", straight)[0] == pytest.approx(1 / 6, rel=1e-12)
    moved = straight.copy()
    moved[0, 4, 2] = -0.1  # node of edge 0-1 pushed out of the z = 0 face
    # volume change = integral of N_4 over the face times the normal displacement: N_4 = 4 L0 L1 integrates to
    # 4 * (area 1/2) / 12 = 1/6 over the triangle, so 0.1 / 6
    assert _volumes("tetra10", moved)[0] == pytest.approx(1 / 6 + 0.1 / 6, rel=1e-12)


def _read(path):
    """(per physical volume name its tetrahedra's signed volumes, per physical surface name its node z range)."""
    import meshio

    m = meshio.read(path)
    names = _names(path)
    vols: dict[str, list] = {}
    zs: dict[str, list] = {}
    for block, phys in zip(m.cells, m.cell_data["gmsh:physical"], strict=True):
        if block.type in ("tetra", "tetra10"):
            v = _volumes(block.type, m.points[block.data])
            for tag in np.unique(phys):
                vols.setdefault(names[(int(tag), 3)], []).append(v[phys == tag])
        elif block.type in ("triangle", "triangle6"):
            for tag in np.unique(phys):
                zs.setdefault(names[(int(tag), 2)], []).append(m.points[block.data[phys == tag].ravel(), 2])
    return ({k: np.concatenate(v) for k, v in vols.items()},
            {k: (float(np.concatenate(v).min()), float(np.concatenate(v).max())) for k, v in zs.items()})


def _check(path, stack, exact: set[str], board: tuple[float, float]) -> None:
    vols, surfaces = _read(path)
    assert set(vols) == set(stack.names)
    for name, v in vols.items():
        assert len(v) > 0 and v.min() > 0, name
        if name in exact:
            assert v.sum() == pytest.approx(stack[name].volume(), rel=0.01), name
    b = stack.bounds()
    assert set(surfaces) == {"package_top", "seating_plane", "board_side"}
    assert surfaces["package_top"] == pytest.approx((b[5], b[5]), abs=1e-9)
    assert surfaces["seating_plane"][0] == pytest.approx(b[2], abs=1e-9)
    lo, hi = surfaces["board_side"]
    assert (lo, hi) == pytest.approx(board, abs=1e-9)


@pytest.fixture(scope="module")
def small_stack():
    """The small flip-chip design's conformal stack, built once for the tests that mesh it."""
    return api.conformal(api.run(load_design(small_recipe())))


def test_small_flip_chip_coarse(tmp_path, small_stack):
    """Coarse, curvature sizing off (seconds): flat-faced bodies to 1 %, every element positive; the VTU read back
    by meshio carries the tags, the names (beside it) and the element count gmsh made, the same as the MSH's (one
    thread: the mesh is a function of the stack and the options)."""
    stack = small_stack
    summary = write_volume_mesh(stack, tmp_path / "p.msh", MeshOptions(size_max=0.5, curvature=0, order=1),
                               progress=False)
    assert summary["tetrahedra"] > 0 and set(summary["physical_volumes"]) == set(stack.names)
    assert set(summary["seconds"]) == {"fragment", "gmsh", "surfaces", "volumes", "write"}
    _check(tmp_path / "p.msh", stack, set(stack.names) - CURVED, BOARD)
    vtu = write_volume_mesh(stack, tmp_path / "p.vtu", MeshOptions(size_max=0.5, curvature=0, order=1),
                               progress=False)
    _check(tmp_path / "p.vtu", stack, set(stack.names) - CURVED, BOARD)
    assert sum(len(v) for v in _read(tmp_path / "p.vtu")[0].values()) == vtu["tetrahedra"] == summary["tetrahedra"]
    assert vtu["nodes"] == summary["nodes"] and summary["optimised"] == 0


def test_flat_elements_are_optimised_then_refused(tmp_path, monkeypatch):
    """A mesh whose tetrahedra stay flat after gmsh's optimiser is refused in one line, and nothing is written
    (every element counts as flat when the threshold is above a regular one's quality, 1)."""
    from geometry.output import volume_mesh

    monkeypatch.setattr(volume_mesh, "DEGENERATE_SICN", 2.0)
    stack = Stack((Body.one("substrate", "BT", occ.box(0.0, 0.0, 0.0, 2.0, 1.0, 0.5)),
                   Body.one("chip", "Si", occ.box(0.5, 0.25, 0.5, 1.5, 0.75, 0.8))))
    with pytest.raises(MeshError, match="tetrahedra stay flat after gmsh's optimiser"):
        write_volume_mesh(stack, tmp_path / "p.msh", MeshOptions(size_max=0.5, curvature=0), progress=False)
    assert not list(tmp_path.iterdir())


def test_xdmf_read_back_or_refused(tmp_path, small_stack):
    """XDMF (FEniCS) through meshio and h5py, read back with its tags and names; without h5py a one-line refusal
    before any meshing."""
    stack = small_stack
    if importlib.util.find_spec("h5py") is None:
        with pytest.raises(MeshError, match="h5py"):
            write_volume_mesh(stack, tmp_path / "p.xdmf", progress=False)
        assert not list(tmp_path.iterdir())
        return
    write_volume_mesh(stack, tmp_path / "p.xdmf", MeshOptions(size_max=0.5, curvature=0, order=1),
                               progress=False)
    assert (tmp_path / "p.h5").exists()
    _check(tmp_path / "p.xdmf", stack, set(stack.names) - CURVED, BOARD)


def test_glued_fragment_matches_the_plain_one(small_stack):
    """The shift-glued general fuse of the conformal stack gives the same solids, faces and volumes as the plain
    one (the glue is what makes fc-basic's fragment about 4 times faster)."""
    stack = small_stack
    solids = [s for b in stack for s in b.shape().Solids()]
    glued, plain = occ.fragment(solids, glue=True), occ.fragment(solids)
    assert [len(p) for p in glued] == [len(p) for p in plain] == [1] * len(solids)
    assert occ.topology(occ.compound([p for ps in glued for p in ps])) == \
        occ.topology(occ.compound([p for ps in plain for p in ps]))
    for s, g in zip(solids, glued, strict=True):
        assert occ.volume(g[0]) == pytest.approx(occ.volume(s), rel=1e-9)


def test_small_cavity_wires_with_curvature_off(tmp_path):
    """Bond wires (25 um) mesh with curvature sizing off: their faces get elements of two section radii, so gmsh
    no longer fails on overlapping facets; the flat bodies within 1 %, every element positive."""
    stack = api.conformal(api.run(load_design(small_cavity())))
    summary = write_volume_mesh(stack, tmp_path / "c.msh", MeshOptions(size_max=0.5, curvature=0, order=1),
                               progress=False)
    assert summary["swept_entities"] > 0
    vols, _ = _read(tmp_path / "c.msh")
    assert set(vols) == set(stack.names)
    for name, v in vols.items():
        assert v.min() > 0, name
    for name in ("substrate", "die"):
        assert vols[name].sum() == pytest.approx(stack[name].volume(), rel=0.01), name


def test_small_cavity_order_2_every_body_within_one_percent(tmp_path):
    """10-node tetrahedra of the small cavity design: the curved elements that the wires' and the ball pads'
    round faces invert (mold in the wedge under each wire's landing on its finger) are straightened round after
    round until none is left, and every body, the 25 um bond wires too (at one section radius per element), is
    within 1 % read back by meshio and integrated here, every determinant positive (4-node elements keep 60-67 % of
    the wires). Three pads a side (12 wires) instead of six: 25 instead of 56 CPU s, the same situations (every
    wire's landing, ball bonds, the pads' rims)."""
    recipe = small_cavity(die={"pads_per_side": 3})
    stack = api.conformal(api.run(load_design(recipe)))
    summary = write_volume_mesh(stack, tmp_path / "c.msh", MeshOptions(size_max=1.0, curvature=16, order=2),
                                progress=False)
    assert summary["order"] == 2 and summary["min_jacobian"] > 0
    assert summary["straightened"] > 0 and summary["straighten_rounds"] > 0
    wire = load_design(recipe).bond_wires.diameter / 2
    assert summary["face_size_mm"]["bond_wires"] == pytest.approx(SWEEP_SIZE_QUADRATIC * wire, rel=1e-9)
    vols, _ = _read(tmp_path / "c.msh")
    assert set(vols) == set(stack.names)
    for b in stack:
        assert vols[b.name].min() > 0, b.name
        assert vols[b.name].sum() == pytest.approx(b.volume(), rel=0.01), b.name
        assert summary["volumes_mm3"][b.name] == pytest.approx(vols[b.name].sum(), rel=1e-9), b.name


def test_small_flip_chip_every_body_within_one_percent(tmp_path, small_stack):
    """The defaults (10-node tetrahedra at 14 per 2 pi), each round face sized from its own radius: every body,
    balls and bumps too, within 1 % read back by meshio and integrated here, every determinant positive."""
    stack = small_stack
    options = MeshOptions()
    summary = write_volume_mesh(stack, tmp_path / "p.msh", options, progress=False)
    assert summary["order"] == 2 and summary["min_jacobian"] > 0
    design = load_design(small_recipe())
    for name, diameter in (("bumps", design.bumps.diameter), ("solder_balls", design.solder_balls.diameter)):
        # each sphere its own size, ``curvature`` elements round its equator (2 pi r / curvature)
        assert summary["face_size_mm"][name] == pytest.approx(np.pi * diameter / options.curvature, rel=1e-6), name
    b = stack["chip_gap_fill"].bounds()  # the 5-6 um gap (gmsh pads its box by its tolerance, 1e-7 mm)
    assert summary["thin_size_mm"]["chip_gap_fill"] == pytest.approx(THIN_SIZE * (b[5] - b[2]), rel=1e-3)
    assert "substrate" not in summary["thin_size_mm"] and "chip" not in summary["thin_size_mm"]
    _check(tmp_path / "p.msh", stack, set(stack.names), BOARD)
    for b in stack:
        assert summary["volumes_mm3"][b.name] == pytest.approx(b.volume(), rel=0.01), b.name


def test_cli_mesh(tmp_path):
    recipe = write_recipe(tmp_path / "small.toml", small_recipe())
    out = tmp_path / "small.msh"
    assert main(["mesh", str(recipe), "-o", str(out), "--size-max", "0.6", "--curvature", "0", "--order", "2"]) == 0
    vols, _ = _read(out)
    assert "chip_gap_fill" in vols
    import meshio

    assert "tetra10" in {c.type for c in meshio.read(out).cells}
