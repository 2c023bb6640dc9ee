"""One solid per physical part (issue 13): a bond wire is one solid (ball bond, loop and stitch fused), the first
encapsulant one solid per chip site; counts are physical, volumes measured against hand values and OCCT."""

from __future__ import annotations

import math

import cadquery as cq
import pytest
from OCP.BRepGProp import BRepGProp
from OCP.GProp import GProp_GProps

from geometry import api
from geometry.core import occ
from tests.conftest import RECIPES


def precise_volume(shape: cq.Shape) -> float:
    """Volume (mm3) integrated to 1e-10 relative: cadquery's default is good to about 3e-4 on swept loops."""
    g = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape.wrapped, g, 1e-10, False)
    return g.Mass()


@pytest.fixture(scope="module")
def equal():
    return api.run(api.load(RECIPES / "cavity" / "cavity-equal.toml"))


def test_bond_wires_count_is_the_number_of_wires(equal):
    wires = equal.stack["bond_wires"]
    assert wires.count == len(equal.design.wires()) == equal.stack["die_pads"].count
    assert all(len(p.shape.Solids()) == 1 and occ.is_valid(p.shape) for p in wires.parts)


def test_fused_wire_is_ball_loop_and_stitch_less_their_overlap(equal):
    from geometry.core import parts

    d = equal.design
    w = d.bond_wires
    part = equal.stack["bond_wires"].parts[0]
    ball, stitch = (q.placed()[0] for q in part.pieces)
    span = float(part.spine[-1, 0])
    start = part.placements[0, :3, 3]
    plan = next(p for p in d.wires() if abs(p.span - span) < 1e-3 and abs(p.start[0] - start[0]) < 1e-9
                and abs(p.start[1] - start[1]) < 1e-9)
    r = w.diameter / 2
    normal = plan.side * math.pi / 2 + math.pi / 2
    crest = min(max(d.die.pad_inset / max(abs(math.cos(plan.azimuth - normal)), 1e-6), 0.2 * plan.span),
                0.5 * plan.span)
    peak = d.z_loop_tops[plan.tier] - r - d.z_wire_start
    loop, _ = parts.wire_loop(round(plan.span, 4), d.z_wire_end - d.z_wire_start, round(peak, 4), round(crest, 4),
                              w.diameter)
    overlap = sum(occ.common_volume(a, [b]) for a, b in ((loop, ball), (loop, stitch), (ball, stitch)))
    assert ball.Volume() == pytest.approx(math.pi * (w.ball_diameter / 2) ** 2 * w.ball_height, rel=1e-9)
    expected = precise_volume(ball) + precise_volume(stitch) + precise_volume(loop)
    assert precise_volume(part.shape) == pytest.approx(expected - overlap, rel=1e-7)


def test_first_encapsulant_is_one_solid_per_site():
    b = api.run(api.load(RECIPES / "flip-chip" / "fc-two-chip.toml"))
    enc = b.stack["first_encapsulant"]
    assert enc.count == len(b.design.sites()) == 2
    for p in enc.parts:
        assert len(p.shape.Solids()) == 1 and occ.is_closed(p.shape)


def test_first_encapsulant_volume_is_region_less_elements_and_pads():
    b = api.run(api.load(RECIPES / "flip-chip" / "fc-basic.toml"))
    d, s = b.design, b.after("form_first_encapsulant")
    site = d.sites()[0]
    x0, y0, x1, y1 = site.area_rect
    region = (x1 - x0) * (y1 - y0) * (site.z_deposited - d.z_first_surface)
    held = sum(s[m].volume() for m in [site.body("substrate_pads"), *site.element_bodies])
    enc = s["first_encapsulant"]
    assert enc.count == 1 and len(enc.parts[0].shape.Solids()) == 1
    assert occ.volume(enc.parts[0].shape) == pytest.approx(region - held, rel=1e-9)
    assert occ.is_valid(enc.parts[0].shape)


def test_step_holds_one_solid_per_member(equal, tmp_path):
    from geometry.output.step import write_step

    path = write_step(equal.stack, "equal", tmp_path / "equal.step")
    solids = cq.importers.importStep(str(path)).solids().size()
    assert solids == sum(b.count for b in equal.stack)


def test_encapsulant_faces_carry_one_row_of_holes_each():
    """fc-bga15-map (30 x 30 bumps): the one encapsulant solid is valid for OCCT's BRepCheck, closed, with its
    tiles' volume; its top and bottom are split into strips, each face holding at most one row's 30 hole wires
    (a face with all 900 made the STEP write and the check quadratic in the holes)."""
    from OCP.TopAbs import TopAbs_FACE, TopAbs_WIRE
    from OCP.TopExp import TopExp_Explorer

    b = api.run(api.load(RECIPES / "flip-chip" / "fc-bga15-map.toml"))
    part = b.stack["first_encapsulant"].parts[0]
    shape = part.shape
    assert occ.is_valid(shape) and occ.is_closed(shape) and len(shape.Solids()) == 1
    assert occ.volume(shape) == pytest.approx(part.volume(), rel=1e-9)
    z0, z1 = occ.bounds(shape)[[2, 5]]
    wires = []
    faces = TopExp_Explorer(shape.wrapped, TopAbs_FACE)
    while faces.More():
        fb = occ.bounds(cq.Face(faces.Current()))
        w, n = TopExp_Explorer(faces.Current(), TopAbs_WIRE), 0
        while w.More():
            n, _ = n + 1, w.Next()
        if abs(fb[5] - z0) < 1e-9 or abs(fb[2] - z1) < 1e-9:  # the block's bottom and top strips
            wires.append(n - 1)
        faces.Next()
    bumps = b.design.bumps
    assert max(wires) == bumps.count_x
    assert sum(wires) == 2 * bumps.count_x * bumps.count_y  # every bump opens through the top and the bottom
