"""The conformal stack (geometry.core.conformal, api.conformal, ``pkgcad build --conformal``): no body overlaps
another and the flip-chip chip-face gap is a named, filled body, measured by a reader we did not write: gmsh
(its own OpenCascade STEP import, labels on) intersects every pair of bodies whose bounding boxes meet. The same
reader finds the designed overlap of the default output, by the volume the manifest states."""

from __future__ import annotations

import collections
import json
import math
from pathlib import Path

import numpy as np
import pytest

from geometry import api
from geometry.cli import main
from geometry.core.conformal import ConformalError, conformal
from geometry.core.stack import Body
from geometry.flows import load_design
from tests.conftest import RECIPES, design_file, small_cavity, small_recipe

INTERFERENCE = 1e-9
"""Largest pairwise common volume (mm3) that counts as none."""
HOST_RTOL = 1e-5
"""The cut mold against the default net volume (its solid less the embedded bodies' volumes): 1e-6 would hold
but for the bond wires, whose ball bond and loop are two solids of one body that overlap (5.5e-4 mm3 in
cavity-over, 5.1e-6 relative to its mold), so the net volume subtracts that overlap twice; one solid per wire
(issue 13) removes it."""


def _overlap(a: np.ndarray, b: np.ndarray, eps: float = 1e-9) -> bool:
    return bool(np.all(a[:3] <= b[3:] + eps) and np.all(b[:3] <= a[3:] + eps))


def gmsh_interference(step: Path, names: set[str], only: set[str] | None = None) -> dict[tuple[str, str], float]:
    """Common volume (mm3) of every pair of bodies of ``step`` whose bounding boxes meet, as gmsh measures it: the
    STEP imported with its labels (each solid named by the path of its component, which holds the body name),
    then one ``occ.intersect`` per pair (all solids of one body that reach the other's box against those of the
    other, inputs kept) and the mass of what it returns. ``only``: pairs with one of these bodies."""
    import gmsh

    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 2)
        gmsh.option.setNumber("Geometry.OCCImportLabels", 1)
        gmsh.model.occ.importShapes(str(step), highestDimOnly=True)
        gmsh.model.occ.synchronize()
        solids: dict[str, list[int]] = collections.defaultdict(list)
        for dim, tag in gmsh.model.getEntities(3):
            path = gmsh.model.getEntityName(dim, tag).split("/")
            solids[next(p for p in path if p in names)].append(tag)
        boxes = {k: np.array([gmsh.model.occ.getBoundingBox(3, t) for t in v]) for k, v in solids.items()}
        whole = {k: np.concatenate([b[:, :3].min(axis=0), b[:, 3:].max(axis=0)]) for k, b in boxes.items()}
        out = {}
        keys = sorted(solids)
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                if only is not None and not {a, b} & only or not _overlap(whole[a], whole[b]):
                    continue
                ta = [(3, t) for t, x in zip(solids[a], boxes[a], strict=True) if _overlap(x, whole[b])]
                tb = [(3, t) for t, x in zip(solids[b], boxes[b], strict=True) if _overlap(x, whole[a])]
                if not ta or not tb:
                    continue
                common, _ = gmsh.model.occ.intersect(ta, tb, removeObject=False, removeTool=False)
                gmsh.model.occ.synchronize()
                out[(a, b)] = sum(gmsh.model.occ.getMass(d, t) for d, t in common if d == 3)
                if common:
                    gmsh.model.occ.remove(common, recursive=True)
        return out
    finally:
        gmsh.finalize()


def gmsh_volumes(step: Path, names: set[str]) -> dict[str, float]:
    """Total volume (mm3) per body of ``step`` as gmsh reads it."""
    import gmsh

    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("Geometry.OCCImportLabels", 1)
        gmsh.model.occ.importShapes(str(step), highestDimOnly=True)
        gmsh.model.occ.synchronize()
        out: dict[str, float] = collections.defaultdict(float)
        for dim, tag in gmsh.model.getEntities(3):
            path = gmsh.model.getEntityName(dim, tag).split("/")
            out[next(p for p in path if p in names)] += gmsh.model.occ.getMass(dim, tag)
        return dict(out)
    finally:
        gmsh.finalize()


def _gap_by_hand(design, stack) -> dict[str, float]:
    """Per site: chip width x length x pad thickness less the chip pads' volume in the gap (mm3)."""
    out = {}
    for site in design.sites():
        c = site.chip
        pads = stack[site.body("chip_pads")].count * math.pi * (c.pad_diameter / 2) ** 2 * c.pad_thickness
        out[site.body("chip_gap_fill")] = c.width * c.length * c.pad_thickness - pads
    return out


def _conformal_export(tmp_path: Path, design) -> tuple[dict, dict, Path]:
    """(default manifest, conformal manifest, conformal STEP) of ``design`` written through api.export."""
    build = api.run(design)
    results = api.check(build)
    default = api.manifest(build, results)
    folder = api.export(build, results, tmp_path, conformal=True)
    return default, json.loads((folder / "manifest.json").read_text()), design_file(folder, ".step")


def _check_conformal(tmp_path: Path, design) -> None:
    default, conf, step = _conformal_export(tmp_path, design)
    assert conf["conformal"] is True and default["conformal"] is False
    bodies = {b["name"]: b for b in conf["bodies"]}
    assert all(not b["embeds"] and not b["embedded_mm3"] for b in bodies.values())
    pairs = gmsh_interference(step, set(bodies))
    assert pairs, "no pair of bodies met: nothing was measured"
    worst = max(pairs, key=pairs.get)
    assert pairs[worst] < INTERFERENCE, f"{worst} overlap by {pairs[worst]:.3e} mm3"
    read = gmsh_volumes(step, set(bodies))
    for b in default["bodies"]:
        rel = HOST_RTOL if b["embeds"] else 1e-6
        assert read[b["name"]] == pytest.approx(b["net_volume_mm3"], rel=rel), b["name"]
        if b["embeds"]:
            assert bodies[b["name"]]["volume_mm3"] == pytest.approx(b["net_volume_mm3"], rel=rel)
    if design.flow == "flip-chip":
        for name, v in _gap_by_hand(design, api.run(design).stack).items():
            assert v > 0
            assert bodies[name]["volume_mm3"] == pytest.approx(v, rel=1e-9), name
            assert bodies[name]["material"] == "underfill"
            assert read[name] == pytest.approx(v, rel=1e-6), name


@pytest.mark.parametrize("flow", ["flip-chip", "cavity"])
def test_small_designs_have_no_interference(tmp_path, flow):
    _check_conformal(tmp_path, load_design(small_recipe() if flow == "flip-chip" else small_cavity()))


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["cavity/cavity-smaller", "cavity/cavity-over", "flip-chip/fc-basic"])
def test_recipes_have_no_interference(tmp_path, recipe):
    _check_conformal(tmp_path, api.load(RECIPES / f"{recipe}.toml"))


def test_default_output_states_its_overlap_and_gmsh_finds_it(tmp_path):
    """The default STEP keeps the wires, fingers and die pads inside the mold: gmsh measures each overlap as the
    manifest's ``embedded_mm3`` states it (so the interference reader above does see overlaps), to 1e-3: gmsh's
    boolean of the swept wires with the mold comes out 1.4e-4 larger than their solid volume."""
    build = api.run(load_design(small_cavity()))
    results = api.check(build)
    m = api.manifest(build, results)
    mold = next(b for b in m["bodies"] if b["embeds"])
    assert set(mold["embedded_mm3"]) == set(mold["embeds"]) == {"bond_fingers", "die_pads", "bond_wires"}
    assert sum(mold["embedded_mm3"].values()) == pytest.approx(mold["volume_mm3"] - mold["net_volume_mm3"], rel=1e-12)
    step = design_file(api.export(build, results, tmp_path), ".step")
    pairs = gmsh_interference(step, set(build.stack.names), only={mold["name"]})
    for inner, v in mold["embedded_mm3"].items():
        key = tuple(sorted((mold["name"], inner)))
        assert v > 0 and pairs[key] == pytest.approx(v, rel=1e-3), inner


def test_conformal_leaves_the_build_alone_and_keeps_masses():
    build = api.run(load_design(small_cavity()))
    before = build.stack
    stack = api.conformal(build)
    assert build.stack is before and before["mold_compound"].embeds
    assert stack.names == before.names
    host = stack["mold_compound"]
    assert host.embeds == () and host.count == 1
    assert host.volume() == pytest.approx(before.net_volume("mold_compound"), rel=1e-6)
    assert stack.mass_mg("mold_compound") == pytest.approx(before.mass_mg("mold_compound"), rel=1e-6)
    for name in before.names:
        if name != "mold_compound":
            assert stack[name] is before[name]


def test_fills_come_from_the_flow_and_are_appended():
    build = api.run(load_design(small_recipe()))
    stack = api.conformal(build)
    assert stack.names == (*build.stack.names, "chip_gap_fill")
    cavity = api.run(load_design(small_cavity()))
    assert api.conformal(cavity).names == cavity.stack.names


@pytest.mark.slow
def test_multi_chip_sites_get_one_fill_each():
    build = api.run(api.load(RECIPES / "flip-chip" / "fc-two-chip.toml"))
    fills = build.flow.fills(build)
    by_hand = _gap_by_hand(build.design, build.stack)
    assert [f.name for f in fills] == list(by_hand) == ["chip_gap_fill_cpu", "chip_gap_fill_hbm"]
    for f in fills:
        assert f.count == 1 and f.volume() == pytest.approx(by_hand[f.name], rel=1e-9)


def test_a_fill_named_as_a_body_is_refused():
    build = api.run(load_design(small_cavity()))
    clash = Body("die", "underfill", build.stack["die"].parts)
    with pytest.raises(ConformalError, match="'die'"):
        conformal(build.stack, [clash])


def test_cli_build_conformal(tmp_path, capsys):
    recipe = RECIPES / "flip-chip" / "fc-basic.toml"
    assert main(["build", str(recipe), "-o", str(tmp_path), "-q", "--conformal"]) == 0
    m = json.loads((tmp_path / "fc-basic" / "manifest.json").read_text())
    assert m["conformal"] is True
    assert "chip_gap_fill" in {b["name"] for b in m["bodies"]}
