"""Cross-sections (geometry.output.section): regions at the designed heights, through the planes and with the
levels of the build's flow (``build.flow.views``)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import small_cavity

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def centre(small_build):
    from geometry.output.section import section

    return {r.name: r for r in section(small_build.stack)}


@pytest.fixture(scope="module")
def row(small_build):
    from geometry.output.section import section

    point, normal = small_build.flow.views.plane(small_build.design, "row")
    return {r.name: r for r in section(small_build.stack, point, normal)}


def test_substrate_region(centre):
    r = centre["substrate"]
    assert r.material == "BT"
    assert np.allclose(r.bounds, [-3.0, 0.0, 3.0, 0.5], atol=1e-6)
    assert r.area == pytest.approx(6.0 * 0.5, rel=0.01)
    assert len(r.polygons) == 1 and r.holes == [[]]


def test_chip_and_mold_regions(centre, small_build):
    d = small_build.design
    chip = centre["chip"]
    assert chip.material == "Si"
    assert chip.bounds[[1, 3]] == pytest.approx([d.z_chip_face, d.z_chip_back], abs=1e-6)
    assert chip.bounds[[1, 3]] == pytest.approx([0.61, 0.91], abs=1e-6)
    assert chip.bounds[2] - chip.bounds[0] == pytest.approx(2.0, abs=1e-6)
    assert chip.area == pytest.approx(2.0 * 0.3, rel=0.01)
    mold = centre["second_encapsulant"]
    assert mold.material == "EMC"
    assert mold.bounds[3] == pytest.approx(1.1, abs=1e-6)
    assert mold.bounds[1] == pytest.approx(0.5, abs=1e-6)
    # the mold is cut around the chip and the bump layer: its area is the full block less what it surrounds
    assert mold.area < 6.0 * 0.6
    assert centre["solder_balls"].bounds[1] == pytest.approx(d.z_seating_plane, abs=1e-3)


def test_row_section_cuts_six_bumps(row, small_build):
    d = small_build.design
    bumps = row["bumps"]
    assert bumps.material == d.bumps.material
    assert len(bumps.polygons) == 6
    b = bumps.polygon_bounds()
    assert (b[:, 2] - b[:, 0] <= d.bumps.diameter + 1e-6).all()
    assert np.allclose(b[:, 1], d.z_bump_base, atol=1e-6) and np.allclose(b[:, 3], d.z_bump_end, atol=1e-6)
    centres = np.sort((b[:, 0] + b[:, 2]) / 2)
    assert np.allclose(np.diff(centres), d.bumps.pitch, atol=1e-3)  # separate, one per bump of the row
    assert len(row["substrate_pads"].polygons) == 6 and len(row["chip_pads"].polygons) == 6


def test_plane_validation(small_build):
    from geometry.output.section import section

    with pytest.raises(ValueError, match="horizontal"):
        section(small_build.stack, plane_normal=(0, 0, 1))
    with pytest.raises(ValueError, match="centre"):
        small_build.flow.views.plane(small_build.design, "diagonal")


def test_key_levels(small_build):
    from geometry import api
    from geometry.flows import FLOWS, load_design
    from geometry.output.section import section

    levels = small_build.flow.views.levels(small_build.design)
    assert levels == pytest.approx({"z_first_surface": 0.5, "z_first_top": 0.605, "z_chip_back": 0.91,
                                    "z_mold_top": 1.1, "z_seating_plane": -0.52}, abs=1e-9)
    cav = load_design(small_cavity())
    views = FLOWS[cav.flow].views
    assert list(views.levels(cav)) == ["z_top", "z_floor", "z_die_top", "z_mold_top", "z_seating_plane"]
    cb = api.run(cav)
    regions = {r.name: r for r in section(cb.stack, *views.plane(cav, "row"))}
    assert {"die", "die_pads", "bond_wires", "mold_compound"} <= set(regions)
    assert regions["die"].bounds[3] == pytest.approx(cav.z_die_top, abs=1e-6)
    assert regions["mold_compound"].bounds[3] == pytest.approx(cav.z_mold_top, abs=1e-6)


def test_balls_plane_cuts_a_full_row_of_balls(small_build):
    """The ``balls`` plane passes through the ball row nearest the centre: the section holds that row's balls,
    each cut through its centre (width = diameter), down to the seating plane."""
    from geometry.output.section import section

    d = small_build.design
    point, normal = small_build.flow.views.plane(d, "balls")
    ys = np.asarray(d.solder_balls.positions())[:, 1]
    in_row = np.isclose(ys, point[1])
    assert in_row.any() and abs(point[1]) == pytest.approx(np.abs(ys).min())
    balls = {r.name: r for r in section(small_build.stack, point, normal)}["solder_balls"]
    assert len(balls.polygons) == int(in_row.sum())
    widths = [np.ptp(np.asarray(p)[:, 0]) for p in balls.polygons]
    assert widths == pytest.approx([d.solder_balls.diameter] * len(widths), rel=0.02)
    assert balls.bounds[1] == pytest.approx(d.z_seating_plane, abs=1e-3)


def test_wire_members_crossing_the_plane_through_their_ball_bond_only():
    """A wire is meshed from its loop's spine and its fused pieces: a plane that misses the loop's tube but cuts
    its ball bond keeps the member, and the kept member keeps its pieces (a section of a wire shows its ball)."""
    from geometry.core import occ
    from geometry.core.stack import Instances
    from geometry.output.section import _crossing

    spine = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.1], [1.0, 0.0, 0.1]])
    ball = Instances.at(occ.cylinder(0.05, -0.02, 0.0), np.zeros((1, 3)))
    wire = Instances(occ.box(0, -0.01, -0.02, 1, 0.01, 0.11), np.eye(4)[None], spine, 0.01, (ball,))
    plane = np.array([0.0, 0.03, 0.0]), np.array([0.0, 1.0, 0.0])
    assert _crossing(wire, *plane).tolist() == [True]
    bare = Instances(wire.shape, wire.placements, spine, 0.01)
    assert _crossing(bare, *plane).tolist() == [False]


def test_section_of_prototypes_matches_the_cut_of_the_tiled_meshes(small_build):
    """Cutting each prototype once per plane offset and placing the cut gives the regions the tiled meshes give:
    same bodies, polygon counts, areas and bounds."""
    from geometry.output.instanced import stack_meshes
    from geometry.output.mesh import stack_mesh
    from geometry.output.section import prototype_index, section

    stack = small_build.stack
    for plane in ("row", "balls", "centre"):
        point, normal = small_build.flow.views.plane(small_build.design, plane)
        tiled = {r.name: r for r in section(stack, point, normal, meshes=stack_mesh(stack))}
        placed = {r.name: r for r in section(stack, point, normal,
                                             prototypes=prototype_index(stack, stack_meshes(stack)))}
        assert list(placed) == list(tiled), plane
        for name, r in tiled.items():
            assert len(placed[name].polygons) == len(r.polygons), (plane, name)
            assert placed[name].area == pytest.approx(r.area, rel=1e-9), (plane, name)
            assert np.allclose(placed[name].bounds, r.bounds, atol=1e-9), (plane, name)


def test_a_row_of_members_is_cut_once(small_build, monkeypatch):
    """The six bumps of the row plane share their rotation and distance to the plane: one cut of the bump
    prototype, placed six times."""
    from geometry.output import section as sec

    calls = []
    real = sec._cut_segments
    monkeypatch.setattr(sec, "_cut_segments", lambda v, *a: calls.append(len(v)) or real(v, *a))
    point, normal = small_build.flow.views.plane(small_build.design, "row")
    regions = {r.name: r for r in sec.section(small_build.stack, point, normal)}
    assert len(regions["bumps"].polygons) == 6
    assert len(calls) <= sum(len(b.parts) for b in small_build.stack)
    protos = sec.section_prototypes(small_build.stack, point, normal).values()
    single = {len(m.vertices) for m in protos} | {len(v) for m in protos for v, _, _ in m.tiles}
    assert set(calls) <= single  # each cut is of one member's or one tile's mesh, never of a tiled row


def test_an_unpolished_tiled_encapsulant_is_cut_from_its_tiles_not_stitched(many_build, monkeypatch):
    """The strip meshes the first encapsulant before the polish (not in the finished stack) as its visible tiles,
    without stitching its 120 holed tiles into one mesh, and its section is that of the stitched mesh the same
    call makes with ``stitch=True``: the same polygons, holes, area and bounds."""
    from dataclasses import replace

    from geometry.output import section as sec

    step = next(r for r in many_build.history if r.step.key == "form_first_encapsulant")
    part = next(p for b in step.stack if b.name == "first_encapsulant" for p in b.parts)
    assert part.tiled
    real, asked = sec.prototype_meshes, []
    monkeypatch.setattr(sec, "prototype_meshes", lambda s, **k: asked.append((s, k)) or real(s, **k))
    for plane in ("row", "centre", "balls"):
        point, normal = many_build.flow.views.plane(many_build.design, plane)
        protos = sec.section_prototypes(step.stack, point, normal)
        mesh = protos[id(part.shape)]
        assert not len(mesh.faces) and mesh.tiles and mesh.triangles > 0, plane
        cut = {r.name: r for r in sec.section(step.stack, point, normal, prototypes=protos)}["first_encapsulant"]
        reduced, kwargs = asked[-1]
        assert kwargs["stitch"] is False
        stitched = real(reduced, **{**kwargs, "stitch": True})["first_encapsulant"][0]
        assert len(stitched.faces), plane
        welded = dict(protos) | {id(part.shape): replace(stitched, tiles=())}
        ref = {r.name: r for r in sec.section(step.stack, point, normal, prototypes=welded)}["first_encapsulant"]
        assert len(cut.polygons) == len(ref.polygons) >= 1, plane
        assert [len(h) for h in cut.holes] == [len(h) for h in ref.holes], plane
        assert cut.area == pytest.approx(ref.area, rel=1e-9), plane
        assert np.allclose(cut.bounds, ref.bounds, atol=1e-9), plane


def test_process_strip_meshes_each_prototype_once_and_reuses_the_exports(monkeypatch):
    """A cavity strip handed the finished stack's meshes meshes only the prototypes of earlier steps that the
    finished stack lacks (the metal slice before the etch), each once for all the steps."""
    from geometry import api
    from geometry.flows import load_design
    from geometry.output import section as sec
    from geometry.output.drawing import build_figure
    from geometry.output.instanced import stack_meshes

    build = api.run(load_design(small_cavity()))
    final = {id(p.shape) for b in build.stack for p in b.parts}
    earlier = {id(p.shape) for r in build.history for b in r.stack for p in b.parts} - final
    meshed = []
    real = sec.prototype_meshes
    monkeypatch.setattr(sec, "prototype_meshes", lambda s, **k: meshed.extend(
        id(p.shape) for b in s for p in b.parts) or real(s, **k))
    build_figure(build, steps=True, dpi=50, prototypes=stack_meshes(build.stack))
    assert meshed and len(meshed) == len(set(meshed)) and set(meshed) <= earlier
