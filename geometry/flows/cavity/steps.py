"""The cavity flow's process steps, one per claimed step of 003_f6beeb7f75e78ceb.txt (claims 1-11), in mm.

z = 0 is the substrate's bottom surface; the slice hangs below it on its adhesive, the die sits in the opening on
the slice (claims 5-6) or over the opening on the substrate top (claims 7-8).
"""

from __future__ import annotations

import math

import numpy as np

from ...core import occ, parts, process
from ...core.flow import Step
from ...core.process import ProcessError
from ...core.stack import Body, Instances, Stack, translations
from . import names as n
from .params import CavityDesign


def _rot_z(angles: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """(N, 4, 4) placements: rotate about z by ``angles`` (rad), then translate to ``xyz`` (mm)."""
    c, s = np.cos(angles), np.sin(angles)
    m = translations(xyz)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = c, -s, s, c
    return m


def _opening(d: CavityDesign, z: float):
    o = d.opening
    return parts.outline(o.width, o.length, o.corner_radius, o.offset_x, o.offset_y, z)


def provide_substrate(stack: Stack, d: CavityDesign) -> Stack:
    """Substrate with its through opening, bond fingers on the top surface and bond pads on the bottom (claim 1)."""
    s, f, bp = d.substrate, d.bond_fingers, d.bottom_pads
    board = parts.prism(parts.outline(s.width, s.length), 0.0, s.thickness, [_opening(d, 0.0)])
    sites = d.finger_sites()
    finger = parts.slab(f.width, f.length, 0.0, f.thickness)
    angles = sites[:, 2] * math.pi / 2
    fingers = Instances(finger, _rot_z(angles, np.column_stack([sites[:, :2], np.full(len(sites), d.z_top)])))
    pads = process.pad_array(n.BOTTOM_PADS, bp, d.solder_balls.positions(), -bp.thickness)
    return process.attach(stack, Body.one(n.SUBSTRATE, s.material, board, note="through opening"),
                          Body(n.BOND_FINGERS, f.material, (fingers,)), pads)


def dispose_slice(stack: Stack, d: CavityDesign) -> Stack:
    """Metal slice on the bottom surface, covering the opening and the bottom pads, bonded by an adhesive (claims
    1, 4, 9). The adhesive leaves the opening open and surrounds the pads; where it is thicker than the pads it
    also runs on under them as a continuous sheet: one solid, the sheet glue-fused once to the layer around the
    pads (an engineer counts one adhesive, not two layers)."""
    a, m, bp = d.slice_adhesive, d.metal_slice, d.bottom_pads
    w, length = d.slice_footprint
    pads = [parts.circle(bp.diameter, x, y, -bp.thickness) for x, y in d.solder_balls.positions()]
    layers = [Instances.single(parts.prism(parts.outline(w, length, z=-bp.thickness), -bp.thickness, 0.0,
                                           [_opening(d, -bp.thickness), *pads]))]
    if a.thickness > bp.thickness + 1e-9:
        layers.append(Instances.single(parts.prism(parts.outline(w, length, z=d.z_floor), d.z_floor, -bp.thickness,
                                                   [_opening(d, d.z_floor)])))
    if len(layers) > 1:
        layers = [Instances.single(occ.fuse_solid([p.shape for p in layers], "slice adhesive", glue=True))]
    metal = parts.slab(w, length, d.z_slice_bottom, d.z_floor)
    return process.attach(stack, Body(n.SLICE_ADHESIVE, a.material, tuple(layers)),
                        Body.one(n.METAL_SLICE, m.material, metal))


def dispose_die(stack: Stack, d: CavityDesign) -> Stack:
    """Die with its adhesive: inside the opening on the slice, the gap to the wall filled with another adhesive
    when the die is smaller (claim 5) or none when equal (claim 6); or over the opening on the substrate top,
    the adhesive filling the opening down to the slice (claims 7-8)."""
    die, da = d.die, d.die_adhesive
    cx, cy = d.opening_centre
    chip = parts.slab(die.width, die.length, d.z_die_base, d.z_die_top, cx, cy)
    bodies = []
    if die.placement == "inside":
        bodies.append(Body.one(n.DIE_ADHESIVE, da.material,
                               parts.slab(die.width, die.length, d.z_floor, d.z_die_base, cx, cy)))
        if d.die_fit == "smaller":
            top = min(d.z_die_top, d.z_top)
            fill = occ.cut(parts.prism(_opening(d, d.z_floor), d.z_floor, top),
                           [parts.slab(die.width, die.length, d.z_floor, top, cx, cy)])
            bodies.append(Body.one(n.GAP_FILL, d.gap_fill.material, fill, note="claim 5"))
    else:
        layer = parts.slab(die.width, die.length, d.z_top, d.z_die_base, cx, cy)
        plug = parts.prism(_opening(d, d.z_floor), d.z_floor, d.z_top)
        bodies.append(Body.one(n.DIE_ADHESIVE, da.material, occ.fuse([layer, plug]),
                               note="fills the opening between die and slice (claim 7)"))
    pads = d.die_pad_sites()
    pad = parts.slab(die.pad_size, die.pad_size, 0.0, die.pad_thickness)
    bodies.append(Body.one(n.DIE, die.material, chip))
    bodies.append(Body(n.DIE_PADS, die.pad_material, (Instances.at(pad, np.column_stack(
        [pads[:, :2], np.full(len(pads), d.z_die_top)])),)))
    return process.attach(stack, *bodies)


def form_bond_wires(stack: Stack, d: CavityDesign) -> Stack:
    """Bond wires from the die's top surface to the substrate's top surface (claim 1): a ball bond on each die pad,
    a swept loop up to its tier's loop height and down to its finger, and a stitch (second bond) flattened on the
    finger where the loop ends. Each wire is one solid: per distinct loop (span, crest position, height) the ball
    bond, the loop and the stitch (which only share faces: glued) are fused once in the loop's frame (origin at the
    ball top, x along the wire) and the fused wire is placed on its members; the ball and the stitch stay its
    pieces, for the checks."""
    w, die = d.bond_wires, d.die
    plans = d.wires()
    r = w.diameter / 2
    rise = d.z_wire_end - d.z_wire_start
    peaks = np.array(d.z_loop_tops) - r - d.z_wire_start
    spans = np.array([p.span for p in plans])
    az = np.array([p.azimuth for p in plans])
    normal = np.array([p.side for p in plans]) * math.pi / 2 + math.pi / 2
    to_edge = die.pad_inset / np.maximum(np.abs(np.cos(az - normal)), 1e-6)
    crest = np.clip(to_edge, 0.2 * spans, 0.5 * spans)
    peak = peaks[np.array([p.tier for p in plans])]
    keys = np.round(np.column_stack([spans, crest, peak]), 4)
    starts = np.array([p.start for p in plans])
    ball = parts.ball_bond(w.ball_diameter, w.ball_height)
    length, width, tail = w.stitch_size
    stitch = parts.stitch(length, width, w.diameter, tail)
    below = np.array([[0.0, 0.0, -w.ball_height]])
    wires = []
    for key in np.unique(keys, axis=0):
        members = np.all(keys == key, axis=1)
        loop, spine = parts.wire_loop(float(key[0]), rise, float(key[2]), float(key[1]), w.diameter)
        bend = parts.min_bend_radius(spine)
        if bend <= r:
            raise ProcessError(f"bond wire of span {key[0]:.4g} mm folds onto itself: its loop bends to a "
                               f"radius of {bend:.4g} mm, tighter than the wire radius {r:g} mm")
        # the stitch's heel meets the loop's end section exactly: at the span the loop was swept with
        pieces = (Instances.at(ball, below), Instances.at(stitch, np.array([[key[0], 0.0, d.z_finger_top
                                                                                 - d.z_wire_start]])))
        wire = occ.fuse_solid([loop, *(q.placed()[0] for q in pieces)], "bond wire", glue=True)
        wires.append(Instances(wire, _rot_z(az[members], starts[members]), spine, r, pieces))
    return process.attach(stack, Body(n.BOND_WIRES, w.material, tuple(wires),
                                      note="each wire one solid: its ball bond, loop and stitch fused"))


def form_mold(stack: Stack, d: CavityDesign) -> Stack:
    """Mold compound over the die, the wires and part of the substrate top (claim 1); it fills what is left of the
    opening. Fingers, die pads and wires are embedded in it (the solid is not cut around them)."""
    m = d.mold_compound
    mw, ml = d.mold_footprint
    cap = parts.prism(parts.outline(mw, ml, z=d.z_top), d.z_top, d.z_mold_top, taper=m.draft_angle)
    region = [cap]
    exclude = [stack[n.DIE].parts[0].shape, stack[n.DIE_ADHESIVE].parts[0].shape]
    if d.die.placement == "inside":
        region.append(parts.prism(_opening(d, d.z_floor), d.z_floor, d.z_top))
        if n.GAP_FILL in stack:
            exclude.append(stack[n.GAP_FILL].parts[0].shape)
    shape = occ.cut(occ.fuse(region), exclude)
    return process.attach(stack, Body.one(n.MOLD_COMPOUND, m.material, shape,
                                        embeds=(n.BOND_FINGERS, n.DIE_PADS, n.BOND_WIRES)))


def etch_slice(stack: Stack, d: CavityDesign) -> Stack:
    """Remove the slice outside the slug pattern, once through a mask, leaving a heat slug under the die and
    exposing the bottom pads; the adhesive outside the pattern goes with it (claims 1, 10, 11)."""
    h = d.heat_slug
    gw, gl = d.slug_footprint
    cx, cy = d.opening_centre
    lo = d.z_slice_bottom - 1.0
    mask = parts.prism(parts.outline(gw, gl, h.corner_radius, cx, cy, lo), lo, 1.0)
    slug = Body.one(n.HEAT_SLUG, d.metal_slice.material, occ.common(stack[n.METAL_SLICE].parts[0].shape, [mask]),
                    note="etched from metal_slice")
    adhesive = stack[n.SLICE_ADHESIVE].map_parts(lambda p: [p.with_shape(occ.common(p.shape, [mask]))])
    return stack.rename(n.METAL_SLICE, slug).replace(adhesive)


def form_solder_balls(stack: Stack, d: CavityDesign) -> Stack:
    """Solder balls flush with each other on the exposed bottom pads (claims 2-3)."""
    return process.place_balls(stack, n.SOLDER_BALLS, d.solder_balls, -d.bottom_pads.thickness, d.seed)


APPLY = {
    n.PROVIDE_SUBSTRATE: provide_substrate,
    n.DISPOSE_SLICE: dispose_slice,
    n.DISPOSE_DIE: dispose_die,
    n.FORM_BOND_WIRES: form_bond_wires,
    n.FORM_MOLD: form_mold,
    n.ETCH_SLICE: etch_slice,
    n.FORM_SOLDER_BALLS: form_solder_balls,
}
"""Each step's geometry, by key."""

STEPS = {t.key: Step.of(t, APPLY[t.key]) for t in n.STEP_TEXTS}


def plan(d: CavityDesign) -> tuple[Step, ...]:
    """Every step applies to every cavity design; the die step picks its claim by the die's fit."""
    return tuple(STEPS.values())
