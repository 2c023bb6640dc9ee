"""The cavity flow's checks (claims of 003_f6beeb7f75e78ceb.txt): the generic checks bound to its bodies, design and
claims, measured from the geometry (mm, mm2, mm3). :data:`CHECKS` lists them in report order.

Bond-wire loops are measured from their centre lines (see :mod:`geometry.measure.tubes`); contacts are measured
as areas (:mod:`geometry.measure.contacts`).
"""

from __future__ import annotations

import dataclasses
import math

import cadquery as cq
import numpy as np

from ...checks import arrays, enclosure, fills, history, solids, wires
from ...core import parts
from ...core.flow import Build
from ...core.results import Z_TOL, CheckResult
from ...measure.faces import flat_faces, hole_outlines, xy_box
from . import names as n


def _opening_prism(d, z0: float, z1: float) -> cq.Shape:
    o = d.opening
    return parts.prism(parts.outline(o.width, o.length, o.corner_radius, o.offset_x, o.offset_y, z0), z0, z1)


def no_interference(build: Build) -> list[CheckResult]:
    """Claim 1: no two bodies overlap, except the fingers, die pads and wires embedded in the mold."""
    return [solids.interference_without_sweeps(build.stack, n.NO_INTERFERENCE, claim="claim 1")]


def wires_clear(build: Build) -> list[CheckResult]:
    """Claim 1: the wire loops overlap no body but the mold around them (touching their fingers)."""
    return [wires.tube_clearance(build.stack, n.BOND_WIRES_CLEAR, n.BOND_WIRES, claim="claim 1")]


def embedded_in_mold(build: Build) -> list[CheckResult]:
    """Claim 1: the mold covers the fingers, die pads and wires: each inside its drafted footprint, below its top."""
    d = build.design
    return [enclosure.embedded_margin(build.stack, n.EMBEDDED_IN_MOLD, n.MOLD_COMPOUND, d.z_top,
                                      d.mold_compound.draft_angle, claim="claim 1")]


def die_covered(build: Build) -> list[CheckResult]:
    """Claim 1: the mold covers the die: points just above the die top lie in the mold."""
    return [enclosure.chip_back_covered(build.stack, n.DIE_ENCAPSULATED, n.DIE, n.MOLD_COMPOUND, 0.0, "claim 1")]


def mold_on_substrate(build: Build) -> list[CheckResult]:
    """Claim 1: the mold covers part of the substrate top: contact area (mm2) and the fraction of the top."""
    s = build.stack
    r = fills.attached(s, n.MOLD_ON_SUBSTRATE, (n.MOLD_COMPOUND, n.SUBSTRATE), claim="claim 1")
    top = flat_faces(s[n.SUBSTRATE].parts[0].shape, up=True)
    area = max(f.Area() for f in top) if top else math.nan
    return [dataclasses.replace(r, detail=f"{r.detail}: {r.value / area:.3g} of the substrate top ({area:.6g} mm2)")]


def wire_cover(build: Build) -> list[CheckResult]:
    """Claim 1: mold cover over the highest wire, at least ``bond_wires.min_cover``."""
    return [wires.wire_cover(build.stack, n.BOND_WIRES_COVER, n.BOND_WIRES, n.MOLD_COMPOUND,
                             build.design.bond_wires.min_cover, "claim 1")]


def wires_connect(build: Build) -> list[CheckResult]:
    """Claim 1: bond wires from the die's top surface to the substrate's top surface, one per pad and finger, each
    ending on a stitch that touches its finger over a positive contact area (mm2)."""
    return [wires.wires_connect(build.stack, n.BOND_WIRES_CONNECT, n.BOND_WIRES, n.DIE_PADS, n.DIE, n.BOND_FINGERS,
                                n.SUBSTRATE, "claim 1", stitched=True)]


def wire_clearance(build: Build) -> list[CheckResult]:
    """Claim 1: wires clear of each other (loops of both finger tiers, and the other wires' ball bonds and
    stitches) by one wire diameter; ball bonds do not touch."""
    d = build.design.bond_wires.diameter
    return [wires.wire_clearance(build.stack, n.BOND_WIRES_CLEARANCE, n.BOND_WIRES, d, "claim 1"),
            wires.ball_bond_clearance(build.stack, n.BALL_BOND_CLEARANCE, n.BOND_WIRES, "claim 1")]


def wires_clear_of_die_edges(build: Build) -> list[CheckResult]:
    """Claim 1: every wire clears the die's top edges, and for a die sunk in the opening the opening's top edge, by
    one wire diameter."""
    d, s = build.design, build.stack
    b = s[n.DIE].bounds()
    rim = np.array([[b[0], b[1], b[5]], [b[3], b[1], b[5]], [b[3], b[4], b[5]], [b[0], b[4], b[5]], [b[0], b[1], b[5]]])
    edges = {"die top edge": [rim]}
    sub = s[n.SUBSTRATE]
    if d.die.placement == "inside" and b[5] < sub.bounds()[5] - Z_TOL:
        edges["opening top edge"] = hole_outlines(sub.parts[0].shape)
    return [wires.wires_clear_of_edges(s, n.WIRES_CLEAR_OF_DIE_EDGES, n.BOND_WIRES, edges, d.bond_wires.diameter,
                                       "claim 1")]


def slice_in_place(build: Build) -> list[CheckResult]:
    """Claim 1: the slice, as disposed, lies under the opening and every bottom pad; claim 4: the slice (now slug)
    is held to the substrate's bottom by the adhesive."""
    s0 = build.after(n.DISPOSE_SLICE)
    sl, pads = s0[n.METAL_SLICE].bounds(), s0[n.BOTTOM_PADS].member_bounds()
    hole = xy_box(hole_outlines(s0[n.SUBSTRATE].parts[0].shape, up=False))
    boxes = np.vstack([hole, pads])
    xy = np.column_stack([boxes[:, 0] - sl[0], sl[3] - boxes[:, 3], boxes[:, 1] - sl[1],
                          sl[4] - boxes[:, 4]]).min(axis=1)
    z = float(pads[:, 2].min() - sl[5])
    k = int(np.argmin(xy))
    value = float(min(xy[k], z))
    where = "" if value >= -Z_TOL else ("slice top above a pad bottom" if z < xy[k] else
                                         "opening" if k == 0 else f"bottom_pads[{k - 1}]") + " not covered"
    covers = CheckResult(n.SLICE_COVERS, "claim 1", value, 0.0, "mm", value >= -Z_TOL, where,
                         f"slice xy bounds hold the opening (measured from the substrate) and {len(pads)} pads with "
                         f"{xy.min():.6g} mm to spare; slice top {z:.6g} mm below the pads' bottoms")
    chain = (n.SUBSTRATE, n.SLICE_ADHESIVE, n.HEAT_SLUG)
    return [covers, fills.attached(build.stack, n.SLICE_ATTACHED, chain, claim="claim 4")]


def die_attached(build: Build) -> list[CheckResult]:
    """Claims 5-6: the die on its adhesive on the metal slice, inside the opening; claim 7: on its adhesive on the
    substrate top, covering the opening. Measured right after the die step."""
    d = build.design
    s = build.after(n.DISPOSE_DIE)
    inside = d.die.placement == "inside"
    claim = {"smaller": "claim 5", "equal": "claim 6", "larger": "claim 7"}[d.die_fit]
    under = n.METAL_SLICE if inside else n.SUBSTRATE
    r = fills.attached(s, n.DIE_ATTACHED, (n.DIE, n.DIE_ADHESIVE, under), claim=claim)
    cb = s[n.DIE].bounds()
    hole = xy_box(hole_outlines(s[n.SUBSTRATE].parts[0].shape))
    if inside:
        m = min(cb[0] - hole[0], hole[3] - cb[3], cb[1] - hole[1], hole[4] - cb[4])
        bad = m < -Z_TOL
        why = f"die outside the opening by {-m:.4g} mm"
    else:
        m = min(hole[0] - cb[0], cb[3] - hole[3], hole[1] - cb[1], cb[4] - hole[4])
        bad = m < -Z_TOL or cb[2] < s[n.SUBSTRATE].bounds()[5] - Z_TOL
        why = f"die not over the opening on the substrate top (overhang {m:.4g} mm, bottom z = {cb[2]:.6g})"
    if bad:
        r = dataclasses.replace(r, passed=False, where="; ".join(x for x in (r.where, why) if x))
    return [r]


def gap(build: Build) -> list[CheckResult]:
    """Claim 5: the gap between the die and the opening wall filled by the other adhesive; claim 6: no gap; claim
    7: the die adhesive fills the opening between die and slice."""
    d, s = build.design, build.stack
    fit = d.die_fit
    if fit == "smaller":
        top = min(d.z_die_top, d.z_top)
        return [fills.gap_filled(s, n.GAP_FILLED, _opening_prism(d, d.z_floor, top), n.DIE, n.GAP_FILL, n.SUBSTRATE,
                                 claim="claim 5")]
    if fit == "equal":
        hole = xy_box(hole_outlines(s[n.SUBSTRATE].parts[0].shape))
        return [fills.no_gap(s, n.NO_GAP, hole, n.DIE, n.GAP_FILL, claim="claim 6")]
    return [fills.opening_filled(s, n.OPENING_FILLED, _opening_prism(d, d.z_floor, d.z_top), n.DIE_ADHESIVE, n.DIE,
                                 claim="claim 7")]


def thermal_path(build: Build) -> list[CheckResult]:
    """Claims 1, 11 (and 8 over the opening): the heat slug thermally connected to the die through the adhesive."""
    over = build.design.die.placement == "over"
    claim = "claim 1; claim 8; claim 11" if over else "claim 1; claim 11"
    return [fills.thermal_path(build.stack, n.THERMAL_PATH, n.DIE, n.HEAT_SLUG, (n.DIE_ADHESIVE, n.GAP_FILL),
                               claim=claim)]


def pads_exposed(build: Build) -> list[CheckResult]:
    """Claims 1, 11: after the etch every bottom pad is bare from below, with its designed area."""
    dia = build.design.bottom_pads.diameter
    return [arrays.pads_exposed(build.after(n.ETCH_SLICE), n.BOTTOM_PADS_EXPOSED, n.BOTTOM_PADS,
                                math.pi * dia * dia / 4, claim="claim 1; claim 11")]


def ball_coplanarity(build: Build) -> list[CheckResult]:
    """Claim 2: solder balls flush with each other (JEDEC coplanarity for the pitch)."""
    return [arrays.ball_coplanarity(build.stack, n.SOLDER_BALLS_COPLANARITY, n.SOLDER_BALLS,
                                    build.design.solder_balls.pitch, claim="claim 2")]


def gaps(build: Build) -> list[CheckResult]:
    """Design rules: the least web (mm) between neighbouring bottom pads and between solder balls, > 0 (touching
    neighbours bridge or short)."""
    s = build.stack
    return [arrays.member_gap(s, n.BOTTOM_PADS_GAP, n.BOTTOM_PADS, claim="claim 1"),
            arrays.member_gap(s, n.SOLDER_BALLS_GAP, n.SOLDER_BALLS, claim="claim 2")]


def slug_below_balls(build: Build) -> list[CheckResult]:
    """Claim 3: the slug thinner than each ball is tall, clear of the seating plane."""
    return [fills.slug_below_balls(build.stack, n.SLUG_BELOW_BALLS, n.HEAT_SLUG, n.SOLDER_BALLS, claim="claim 3")]


def valid_solids(build: Build) -> list[CheckResult]:
    """Every body: valid, closed solids."""
    return [solids.valid_solids(build.stack, n.VALID_SOLIDS, claim="claim 1")]


def claim_limitations(build: Build) -> list[CheckResult]:
    """Claims 1, 2, 9-11: opening, pad and ball seating, etch and ball steps in order, copper."""
    s = build.stack
    sub = s[n.SUBSTRATE].parts[0].shape
    holes = len(hole_outlines(sub)), len(hole_outlines(sub, up=False))
    opening = CheckResult(n.SUBSTRATE_OPENING, "claim 1", float(min(holes)), 1.0, "hole edges", min(holes) >= 1,
                          "" if min(holes) >= 1 else "no through opening in the substrate",
                          f"{holes[0]} hole edges in the top face, {holes[1]} in the bottom face")
    sliced = build.after(n.DISPOSE_SLICE)[n.METAL_SLICE]
    slug = s[n.HEAT_SLUG]
    sl, gb = sliced.bounds(), slug.bounds()
    inside = bool(np.all(gb[:3] >= sl[:3] - Z_TOL) and np.all(gb[3:] <= sl[3:] + Z_TOL))
    etched = history.step_order(build, n.SLICE_ETCHED, (n.DISPOSE_SLICE, n.FORM_MOLD, n.ETCH_SLICE),
                                "claim 1; claim 11", [
                                    ("the slug is no smaller than the slice", slug.volume() >= sliced.volume() - 1e-12),
                                    ("the slug reaches beyond the slice", not inside)])
    balls = arrays.seated(s, n.SOLDER_BALLS_SEATED, n.SOLDER_BALLS, n.BOTTOM_PADS, under=True, claim="claim 2")
    order = history.step_order(build, n.BALLS_AFTER_ETCH, (n.ETCH_SLICE, n.FORM_SOLDER_BALLS))
    if not order.passed:
        balls = CheckResult(balls.name, balls.claim, balls.value + order.value, 0.0, balls.unit, False,
                            "; ".join(x for x in (balls.where, order.where) if x), balls.detail)
    return [opening, arrays.seated(s, n.BOTTOM_PADS_SEATED, n.BOTTOM_PADS, n.SUBSTRATE, under=True, claim="claim 1"),
            etched, balls,
            history.material_is(build.after(n.DISPOSE_SLICE), n.SLICE_MATERIAL, n.METAL_SLICE, ("Cu",), "claim 9"),
            history.material_is(s, n.SLUG_MATERIAL, n.HEAT_SLUG, ("Cu",), "claim 10")]


CHECKS = (no_interference, wires_clear, embedded_in_mold, die_covered, mold_on_substrate, wire_cover, wires_connect,
          wire_clearance, wires_clear_of_die_edges, slice_in_place, die_attached, gap, thermal_path, pads_exposed,
          ball_coplanarity, gaps, slug_below_balls, valid_solids, claim_limitations)
"""The flow's checks, in report order."""
