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
from geometry.flows import load_design
from geometry.output.volume_mesh import MeshError, MeshOptions, write_volume_mesh
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


def _read(path):
    """(per physical volume name its tetrahedra's signed volumes, per physical surface name its node z range)."""
    import meshio

    m = meshio.read(path)
    names = _names(path)
    vols: dict[str, list] = {}
    zs: dict[str, list] = {}
    for block, phys in zip(m.cells, m.cell_data["gmsh:physical"], strict=True):
        if block.type == "tetra":
            p = m.points[block.data]
            v = np.einsum("ij,ij->i", np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), p[:, 3] - p[:, 0]) / 6
            for tag in np.unique(phys):
                vols.setdefault(names[(int(tag), 3)], []).append(v[phys == tag])
        elif block.type == "triangle":
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


def test_small_flip_chip_coarse(tmp_path):
    """Coarse, curvature sizing off (seconds): flat-faced bodies to 1 %, every element positive; the VTU read back
    by meshio carries the tags, the names (beside it) and the element count gmsh made."""
    stack = api.conformal(api.run(load_design(small_recipe())))
    summary = write_volume_mesh(stack, tmp_path / "p.msh", MeshOptions(size_max=0.5, curvature=0), progress=False)
    assert summary["tetrahedra"] > 0 and set(summary["physical_volumes"]) == set(stack.names)
    assert set(summary["seconds"]) == {"fragment", "gmsh", "surfaces", "volumes", "write"}
    _check(tmp_path / "p.msh", stack, set(stack.names) - CURVED, BOARD)
    vtu = write_volume_mesh(stack, tmp_path / "p.vtu", MeshOptions(size_max=0.5, curvature=0), progress=False)
    _check(tmp_path / "p.vtu", stack, set(stack.names) - CURVED, BOARD)
    assert sum(len(v) for v in _read(tmp_path / "p.vtu")[0].values()) == vtu["tetrahedra"]


def test_xdmf_read_back_or_refused(tmp_path):
    """XDMF (FEniCS) through meshio and h5py, read back with its tags and names; without h5py a one-line refusal
    before any meshing."""
    stack = api.conformal(api.run(load_design(small_recipe())))
    if importlib.util.find_spec("h5py") is None:
        with pytest.raises(MeshError, match="h5py"):
            write_volume_mesh(stack, tmp_path / "p.xdmf", progress=False)
        assert not list(tmp_path.iterdir())
        return
    write_volume_mesh(stack, tmp_path / "p.xdmf", MeshOptions(size_max=0.5, curvature=0), progress=False)
    assert (tmp_path / "p.h5").exists()
    _check(tmp_path / "p.xdmf", stack, set(stack.names) - CURVED, BOARD)


def test_glued_fragment_matches_the_plain_one():
    """The shift-glued general fuse of the conformal stack gives the same solids, faces and volumes as the plain
    one (the glue is what makes fc-basic's fragment about 4 times faster)."""
    stack = api.conformal(api.run(load_design(small_recipe())))
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
    summary = write_volume_mesh(stack, tmp_path / "c.msh", MeshOptions(size_max=0.5, curvature=0), progress=False)
    assert summary["swept_entities"] > 0
    vols, _ = _read(tmp_path / "c.msh")
    assert set(vols) == set(stack.names)
    for name, v in vols.items():
        assert v.min() > 0, name
    for name in ("substrate", "die"):
        assert vols[name].sum() == pytest.approx(stack[name].volume(), rel=0.01), name


@pytest.mark.slow
def test_small_flip_chip_every_body_within_one_percent(tmp_path):
    """The default curvature sizing (40 per 2 pi): every body, balls and bumps too, within 1 % (150-330 s on 2 shared cores)."""
    stack = api.conformal(api.run(load_design(small_recipe())))
    write_volume_mesh(stack, tmp_path / "p.msh", MeshOptions(size_max=0.3), progress=False)
    _check(tmp_path / "p.msh", stack, set(stack.names), BOARD)


def test_cli_mesh(tmp_path):
    recipe = write_recipe(tmp_path / "small.toml", small_recipe())
    out = tmp_path / "small.msh"
    assert main(["mesh", str(recipe), "-o", str(out), "--size-max", "0.6", "--curvature", "0"]) == 0
    vols, _ = _read(out)
    assert "chip_gap_fill" in vols
