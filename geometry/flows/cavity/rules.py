"""Cross-field rules of a cavity design (mm), one function per rule, each citing the claim it keeps buildable.

Every rule takes the whole design and raises one message naming the field, the value and the rule (through
:func:`~geometry.core.params.fail`); :data:`RULES` is the order in which the design model applies them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ...core.models import pads_cover_balls
from ...core.params import TOL, check_portable_name, fail, fmt
from .wires import crossing

if TYPE_CHECKING:
    from .params import CavityDesign


def portable_name(d: CavityDesign) -> None:
    """The design name makes a folder on any file system."""
    check_portable_name(d.name)


def opening_in_substrate(d: CavityDesign) -> None:
    """Claim 1: the opening is a rounded rectangle through the substrate, with substrate left on every side."""
    s, o = d.substrate, d.opening
    if o.corner_radius * 2 > min(o.width, o.length) + TOL:
        fail("opening.corner_radius", o.corner_radius, "must be at most half the opening's smaller side")
    if abs(o.offset_x) + o.width / 2 > s.width / 2 - 0.1 or abs(o.offset_y) + o.length / 2 > s.length / 2 - 0.1:
        fail("opening.width", o.width, f"x length {fmt(o.length)} at offset ({fmt(o.offset_x)}, "
             f"{fmt(o.offset_y)}) must leave 0.1 mm of substrate on every side")


def die_fits_its_placement(d: CavityDesign) -> None:
    """Claims 5-6: a die ``inside`` the opening is no larger than it (and, when equal, meets square corners);
    claim 7: a die ``over`` the opening exceeds it on both sides."""
    o, die = d.opening, d.die
    if die.placement == "over":
        if die.width <= o.width + TOL or die.length <= o.length + TOL:
            fail("die.width", die.width, f"x length {fmt(die.length)} must exceed the opening {fmt(o.width)} x "
                 f"{fmt(o.length)} on both sides to sit over it (placement \"over\", claim 7)")
        return
    if die.width > o.width + TOL or die.length > o.length + TOL:
        big = "width" if die.width > o.width + TOL else "length"
        fail(f"die.{big}", getattr(die, big), f"> opening.{big} {fmt(getattr(o, big))} but placement is "
             '"inside"')
    if d.die_fit == "equal" and o.corner_radius > 0:
        fail("opening.corner_radius", o.corner_radius, "must be 0 for a die equal to the opening (claim 6): its "
             "corners would meet the rounded corners")
    if d.die_fit == "smaller" and o.corner_radius > 0:
        r = o.corner_radius
        cx, cy = o.width / 2 - r, o.length / 2 - r
        px, py = die.width / 2, die.length / 2
        if px > cx and py > cy and math.hypot(px - cx, py - cy) >= r - TOL:
            fail("opening.corner_radius", o.corner_radius, f"is too large for a {fmt(die.width)} x "
                 f"{fmt(die.length)} die: its corners would meet the opening's rounded corners")


def die_pads_on_die(d: CavityDesign) -> None:
    """Claim 1: the die's pads lie on its top surface, apart from each other and from its edge."""
    die = d.die
    span = (die.pads_per_side - 1) * die.pad_pitch + die.pad_size
    if span > min(die.width, die.length) - 2 * die.pad_inset + die.pad_size - TOL:
        fail("die.pads_per_side", die.pads_per_side, f"at pad_pitch {fmt(die.pad_pitch)} spans {span:.4g} mm, "
             f"more than a die side less the pad insets; the corner pads would collide")
    if die.pad_pitch <= die.pad_size:
        fail("die.pad_pitch", die.pad_pitch, f"must be larger than die.pad_size {fmt(die.pad_size)}")
    if die.pad_inset < die.pad_size / 2:
        fail("die.pad_inset", die.pad_inset, f"puts the pads over the die edge (pad_size {fmt(die.pad_size)})")


def fingers_fan_out(d: CavityDesign) -> None:
    """Claim 1: the bond fingers on the substrate top fan out from the die pads without touching each other or
    the fingers of the adjacent side."""
    f, die = d.bond_fingers, d.die
    if f.pitch <= f.width:
        fail("bond_fingers.pitch", f.pitch, f"must be larger than bond_fingers.width {fmt(f.width)}")
    if f.pitch + TOL < die.pad_pitch:
        fail("bond_fingers.pitch", f.pitch, f"must be at least die.pad_pitch {fmt(die.pad_pitch)} (fan-out)")
    half_row = (die.pads_per_side - 1) * f.pitch / 2 + f.width / 2
    edge = d.finger_edge
    if half_row > edge + f.gap - TOL:
        fail("bond_fingers.pitch", f.pitch, f"x {die.pads_per_side} fingers per side reach {half_row:.4g} mm from "
             f"the centre, past the ring at {edge + f.gap:.4g} mm: fingers of adjacent sides would collide")


def mold_covers_part_of_substrate(d: CavityDesign) -> None:
    """Claim 1: the mold covers a part of the substrate top, the bond fingers included."""
    s, o, f, m = d.substrate, d.opening, d.bond_fingers, d.mold_compound
    mw, ml = d.mold_footprint
    reach = d.finger_edge + f.gap + f.length
    if mw >= s.width or ml >= s.length:
        fail("mold_compound.width", mw, f"x length {fmt(ml)} must be smaller than the substrate "
             f"{fmt(s.width)} x {fmt(s.length)}: the mold covers a part of its top (claim 1)")
    taper = m.thickness * math.tan(math.radians(m.draft_angle))
    if reach + 0.1 > min(mw, ml) / 2 - taper - max(abs(o.offset_x), abs(o.offset_y)):
        fail("mold_compound.width", mw, f"x length {fmt(ml)} must cover the bond fingers, which reach "
             f"{reach:.4g} mm from the opening centre")


def wires_bond_and_stay_covered(d: CavityDesign) -> None:
    """Claim 1: every wire is ball-bonded on its pad, loops above both bonds, stays under the mold top with its
    cover, and crosses no other wire in plan view."""
    w, die = d.bond_wires, d.die
    if w.ball_diameter >= die.pad_pitch:
        fail("bond_wires.ball_diameter", w.ball_diameter, f"must be below die.pad_pitch {fmt(die.pad_pitch)}")
    if w.diameter >= w.ball_diameter:
        fail("bond_wires.diameter", w.diameter, f"must be below the ball diameter {fmt(w.ball_diameter)}")
    lowest_peak = max(d.z_wire_start, d.z_wire_end) + 2 * w.diameter + w.diameter / 2
    if d.z_loop_top < lowest_peak - TOL:
        fail("bond_wires.loop_height", w.loop_height, f"must rise at least two wire diameters above both bonds: "
             f"loop top at least {lowest_peak - d.z_die_top:.4g} above the die")
    if d.z_loop_top + w.min_cover > d.z_mold_top + TOL:
        fail("bond_wires.loop_height", w.loop_height, f"needs a loop taller than the mold: its top at "
             f"z = {d.z_loop_top:.4g} plus min_cover {fmt(w.min_cover)} is above the mold top at "
             f"{d.z_mold_top:.4g}")
    if d.z_die_top + die.pad_thickness >= d.z_mold_top:
        fail("die.thickness", die.thickness, "puts the die top above the mold top")
    pair = crossing(d.wires())
    if pair:
        i, j = pair
        fail("bond_fingers.pitch", d.bond_fingers.pitch, f"makes wires {i} and {j} cross in plan view")


def slice_covers_pads(d: CavityDesign) -> None:
    """Claims 1, 4: the slice lies flat on its adhesive under the substrate and covers every bottom pad, each pad
    carrying its ball (claim 2)."""
    s, sa, b, bp = d.substrate, d.slice_adhesive, d.solder_balls, d.bottom_pads
    if sa.thickness + TOL < bp.thickness:
        fail("slice_adhesive.thickness", sa.thickness, f"must be at least bottom_pads.thickness "
             f"{fmt(bp.thickness)} so the slice lies flat over the pads")
    sw, sln = d.slice_footprint
    if sw > s.width + TOL or sln > s.length + TOL:
        fail("metal_slice.width", sw, f"x length {fmt(sln)} must fit under the substrate")
    ex, ey = b.span_x + bp.diameter, b.span_y + bp.diameter
    if ex > min(sw, s.width) + TOL or ey > min(sln, s.length) + TOL:
        fail("solder_balls.count_x", b.count_x, f"at pitch {fmt(b.pitch)} puts pads over {ex:.4g} x {ey:.4g} mm, "
             f"beyond the slice that must cover them")
    pads_cover_balls(bp, b, "bottom_pads", "solder_balls")


def slug_under_die_exposes_pads(d: CavityDesign) -> None:
    """Claims 1, 11: the etched slug covers the opening (under the die), fits in the slice and exposes every
    bottom pad."""
    o, b, bp = d.opening, d.solder_balls, d.bottom_pads
    sw, sln = d.slice_footprint
    gw, gl = d.slug_footprint
    if gw + TOL < o.width or gl + TOL < o.length:
        fail("heat_slug.width", gw, f"x length {fmt(gl)} must cover the opening {fmt(o.width)} x {fmt(o.length)} "
             f"so the slug stays under the die")
    if gw > sw + TOL or gl > sln + TOL:
        fail("heat_slug.width", gw, f"x length {fmt(gl)} must fit within the slice {fmt(sw)} x {fmt(sln)}")
    cx, cy = d.opening_centre
    if abs(cx) + gw / 2 > sw / 2 + TOL or abs(cy) + gl / 2 > sln / 2 + TOL:
        fail("heat_slug.width", gw, f"x length {fmt(gl)} centred on the opening at ({fmt(cx)}, {fmt(cy)}) reaches "
             f"beyond the slice {fmt(sw)} x {fmt(sln)}, centred on the substrate: the etch would clip the slug at the "
             f"slice edge; make the slug smaller or the slice larger")
    pads = b.positions() - np.array(d.opening_centre)
    r = bp.diameter / 2
    clear = (np.abs(pads[:, 0]) >= gw / 2 + r - TOL) | (np.abs(pads[:, 1]) >= gl / 2 + r - TOL)
    if not clear.all():
        k = int(np.flatnonzero(~clear)[0])
        fail("heat_slug.width", gw, f"x length {fmt(gl)} covers bottom pad {k} at ({pads[k, 0]:.4g}, "
             f"{pads[k, 1]:.4g}): the etch must expose every pad")


def slug_thinner_than_balls(d: CavityDesign) -> None:
    """Claim 3: the slug is thinner than each ball is tall and stays above the seating plane."""
    sl, sa, b, bp = d.metal_slice, d.slice_adhesive, d.solder_balls, d.bottom_pads
    stand = b.height + bp.thickness - sa.thickness
    if sl.thickness >= b.height or sl.thickness >= stand - TOL:
        fail("metal_slice.thickness", sl.thickness, f"makes the slug thicker than the balls are tall: it must be "
             f"below solder_balls.height {fmt(b.height)} and leave the slug above the seating plane (slug bottom "
             f"{stand:.4g} below the pads at most) (claim 3)")


RULES = (portable_name, opening_in_substrate, die_fits_its_placement, die_pads_on_die, fingers_fan_out,
         mold_covers_part_of_substrate, wires_bond_and_stay_covered, slice_covers_pads, slug_under_die_exposes_pads,
         slug_thinner_than_balls)
"""Every cross-field rule, in the order the design model applies them."""
