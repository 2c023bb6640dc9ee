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
from .wires import crossing, ring_start, side_layout, side_length, stitch_reach

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


def _count_field(d: CavityDesign, side: int) -> str:
    """``die.pads_per_side``, or ``die.pads_per_side.<side>`` when the design gives four counts."""
    return "die.pads_per_side" if isinstance(d.die.pads_per_side, int) else f"die.pads_per_side.{side}"


def die_pads_on_die(d: CavityDesign) -> None:
    """Claim 1: the die's pads lie on its top surface, apart from each other and from its edge, side by side."""
    die = d.die
    if die.pad_pitch <= die.pad_size:
        fail("die.pad_pitch", die.pad_pitch, f"must be larger than die.pad_size {fmt(die.pad_size)}")
    if die.pad_inset < die.pad_size / 2:
        fail("die.pad_inset", die.pad_inset, f"puts the pads over the die edge (pad_size {fmt(die.pad_size)})")
    for side, n in enumerate(die.pad_counts):
        span = (n - 1) * die.pad_pitch + die.pad_size
        edge = side_length(d, side)
        if span > edge - 2 * die.pad_inset + die.pad_size - TOL:
            fail(_count_field(d, side), n, f"at pad_pitch {fmt(die.pad_pitch)} spans {span:.4g} mm on side {side}, "
                 f"more than its {edge:.4g} mm die edge less the pad insets; the corner pads would collide")


def fingers_fan_out(d: CavityDesign) -> None:
    """Claim 1: the bond fingers on the substrate top fan out from the die pads without touching each other, the
    fingers of the other ring or those of the adjacent sides."""
    f, die = d.bond_fingers, d.die
    if f.pitch * f.tiers <= f.width:
        two = " x 2 (two tiers: a ring's fingers are two pitches apart)" if f.tiers == 2 else ""
        fail("bond_fingers.pitch", f.pitch, f"{two} must be larger than bond_fingers.width {fmt(f.width)}".lstrip())
    if f.pitch + TOL < die.pad_pitch:
        fail("bond_fingers.pitch", f.pitch, f"must be at least die.pad_pitch {fmt(die.pad_pitch)} (fan-out)")
    if f.tiers == 2 and f.tier_gap <= f.length + TOL:
        fail("bond_fingers.tier_gap", f.tier_gap, f"must exceed bond_fingers.length {fmt(f.length)}: the outer ring "
             f"of fingers would overlap the inner one")
    for side, n in enumerate(die.pad_counts):
        along = side_layout(d, side)[1]
        half_row = float(np.abs(along).max()) + f.width / 2
        ring = ring_start(d, (side + 1) % 4)
        if half_row > ring - TOL:
            fail("bond_fingers.pitch", f.pitch, f"x {n} fingers on side {side} reach {half_row:.4g} mm from the "
                 f"centre, past the ring of the adjacent sides at {ring:.4g} mm: fingers of adjacent sides would "
                 f"collide")


def mold_covers_part_of_substrate(d: CavityDesign) -> None:
    """Claim 1: the mold covers a part of the substrate top, the bond fingers (every ring) included."""
    s, o, f, m = d.substrate, d.opening, d.bond_fingers, d.mold_compound
    mw, ml = d.mold_footprint
    if mw >= s.width or ml >= s.length:
        fail("mold_compound.width", mw, f"x length {fmt(ml)} must be smaller than the substrate "
             f"{fmt(s.width)} x {fmt(s.length)}: the mold covers a part of its top (claim 1)")
    taper = m.thickness * math.tan(math.radians(m.draft_angle))
    for side in range(4):
        reach = ring_start(d, side, f.tiers - 1) + f.length
        half, offset = (ml / 2, abs(o.offset_y)) if side in (0, 2) else (mw / 2, abs(o.offset_x))
        if reach + 0.1 > half - taper - offset:
            fail("mold_compound.width", mw, f"x length {fmt(ml)} must cover the bond fingers, which reach "
                 f"{reach:.4g} mm from the opening centre on side {side}")


def wires_bond_and_stay_covered(d: CavityDesign) -> None:
    """Claim 1: every wire is ball-bonded on its pad, loops above both bonds, stays under the mold top with its
    cover (both tiers; the outer loops over the inner ones), and crosses no other wire in plan view."""
    w, die = d.bond_wires, d.die
    if w.ball_diameter >= die.pad_pitch:
        fail("bond_wires.ball_diameter", w.ball_diameter, f"must be below die.pad_pitch {fmt(die.pad_pitch)}")
    if w.diameter >= w.ball_diameter:
        fail("bond_wires.diameter", w.diameter, f"must be below the ball diameter {fmt(w.ball_diameter)}")
    lowest_peak = max(d.z_wire_start, d.z_wire_end) + 2 * w.diameter + w.diameter / 2
    fields = ("bond_wires.loop_height", "bond_wires.outer_loop_height")
    for field, height, top in zip(fields, w.loop_heights, d.z_loop_tops, strict=False):
        if top < lowest_peak - TOL:
            fail(field, height, f"must rise at least two wire diameters above both bonds: loop top at least "
                 f"{lowest_peak - d.z_die_top:.4g} above the die")
        if top + w.min_cover > d.z_mold_top + TOL:
            fail(field, height, f"needs a loop taller than the mold: its top at z = {top:.4g} plus min_cover "
                 f"{fmt(w.min_cover)} is above the mold top at {d.z_mold_top:.4g}")
    if d.bond_fingers.tiers == 2:
        inner, outer = w.loop_heights
        if outer < inner + 2 * w.diameter - TOL:
            fail("bond_wires.outer_loop_height", outer, f"must be at least loop_height {fmt(inner)} plus 2 x "
                 f"diameter {fmt(w.diameter)}: the outer loops pass one wire diameter over the inner ones")
    if d.z_die_top + die.pad_thickness >= d.z_mold_top:
        fail("die.thickness", die.thickness, "puts the die top above the mold top")
    pair = crossing(d.wires())
    if pair:
        i, j = pair
        fail("bond_fingers.pitch", d.bond_fingers.pitch, f"makes wires {i} and {j} cross in plan view")


def stitches_on_fingers(d: CavityDesign) -> None:
    """Claim 1: each wire's stitch (second bond) lies on its own finger: its heel holds the wire's end, it stays
    within the finger's outer half lengthwise and clear of the neighbouring fingers of its ring sideways."""
    w, f = d.bond_wires, d.bond_fingers
    length, width, _ = w.stitch_size
    if width + TOL < w.diameter:
        fail("bond_wires.stitch_width", width, f"must be at least the wire diameter {fmt(w.diameter)}: the stitch's "
             f"heel holds the loop's end")
    plans = d.wires()
    along, across = stitch_reach(d, plans)
    k = int(np.argmax(along))
    if along[k] > f.length / 2 + TOL:
        fail("bond_wires.stitch_length", length, f"makes the stitch of wire {k} reach {along[k]:.4g} mm along its "
             f"finger from the centre, past its end (bond_fingers.length {fmt(f.length)})")
    clear = f.pitch * f.tiers - f.width / 2
    k = int(np.argmax(across))
    if across[k] >= clear - TOL:
        fail("bond_wires.stitch_length", length, f"x stitch_width {fmt(width)} makes the stitch of wire {k}, "
             f"slanted on its finger where the wires fan out, reach {across[k]:.4g} mm across it from the centre: it "
             f"would touch the next finger of its ring, {clear:.4g} mm away")


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
         mold_covers_part_of_substrate, wires_bond_and_stay_covered, stitches_on_fingers, slice_covers_pads,
         slug_under_die_exposes_pads, slug_thinner_than_balls)
"""Every cross-field rule, in the order the design model applies them."""
