"""Cross-field rules of a flip-chip design (mm), one function per rule, each citing the claim it keeps buildable.

Every rule takes the whole design and raises one message naming the field, the value and the rule (through
:func:`~geometry.core.params.fail`); :data:`RULES` is the order in which the design model applies them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.models import pads_cover_balls
from ...core.params import TOL, check_portable_name, fail, fmt

if TYPE_CHECKING:
    from .params import FlipChipDesign


def portable_name(d: FlipChipDesign) -> None:
    """The design name makes a folder on any file system."""
    check_portable_name(d.name)


def chip_area_on_substrate(d: FlipChipDesign) -> None:
    """Claim 1, step 1): the chip-mounting area lies on the substrate's first surface."""
    s, area = d.substrate, d.chip_area
    if area.width > s.width or area.length > s.length:
        fail("chip_area.width", area.width, f"x length {fmt(area.length)} must fit on the substrate "
             f"{fmt(s.width)} x {fmt(s.length)}")


def bumps_on_chip_area(d: FlipChipDesign) -> None:
    """Claim 1, step 2): the conductive elements stand on the chip-mounting area."""
    area, b = d.chip_area, d.bumps
    bx, by = b.span_x + b.pitch, b.span_y + b.pitch
    if bx > area.width + TOL or by > area.length + TOL:
        fail("bumps.count_x", b.count_x, f"x count_y {b.count_y} at pitch {fmt(b.pitch)} needs {bx:.4g} x "
             f"{by:.4g} mm (the array plus half a pitch each side), outside the chip-mounting area "
             f"{fmt(area.width)} x {fmt(area.length)}")


def bump_pads_carry_bumps(d: FlipChipDesign) -> None:
    """Claim 5: each bond pad fits between bumps and carries its bump's whole base."""
    pads, b = d.bump_pads, d.bumps
    if not pads.enabled:
        return
    base_d = 2 * b.end_radius(0.0)
    if pads.diameter >= b.pitch:
        fail("bump_pads.diameter", pads.diameter, f"must be below bumps.pitch {fmt(b.pitch)}")
    if pads.diameter + TOL < base_d:
        fail("bump_pads.diameter", pads.diameter, f"must cover the bump base, diameter {base_d:.4g}")


def polish_plane_exposes_ends(d: FlipChipDesign) -> None:
    """Claim 4: the polish plane cuts every bump between its base and its end, below the as-deposited top; a polish
    plane without polishing is refused."""
    fe, s = d.first_encapsulant, d.substrate
    rel_top = fe.thickness
    if not fe.polish:
        if fe.polish_plane is not None:
            fail("first_encapsulant.polish_plane", fe.polish_plane, "is only allowed with polish = true")
        return
    if fe.polish_plane is None:
        fail("first_encapsulant.polish_plane", None, "is required when polish = true (claim 4)")
    plane, base, end = fe.polish_plane, d.z_bump_base - s.thickness, d.z_bump_end - s.thickness
    if plane <= base + TOL:
        fail("first_encapsulant.polish_plane", plane, f"removes every bump whole: it must lie above the bump base "
             f"at {base:.4g}")
    if plane > end + TOL:
        fail("first_encapsulant.polish_plane", plane, f"leaves the bump ends unexposed: it must not lie above the "
             f"bump ends at {end:.4g}")
    if rel_top is not None and plane >= rel_top:
        fail("first_encapsulant.polish_plane", plane, f"must lie below the as-deposited "
             f"first_encapsulant.thickness {fmt(rel_top)}")


def encapsulant_over_pads(d: FlipChipDesign) -> None:
    """Claim 1, step 3): a deposit thickness, when given, rises above the bump pads."""
    rel_top = d.first_encapsulant.thickness
    if rel_top is not None and rel_top <= d.z_bump_base - d.substrate.thickness:
        fail("first_encapsulant.thickness", rel_top, "must exceed the bump pads")


def chip_on_first_encapsulant(d: FlipChipDesign) -> None:
    """Claim 1, step 4): the chip, at its offset, lies on the first encapsulant's top (the chip-mounting area)."""
    chip, area = d.chip, d.chip_area
    cx0, cx1 = chip.offset_x - chip.width / 2, chip.offset_x + chip.width / 2
    cy0, cy1 = chip.offset_y - chip.length / 2, chip.offset_y + chip.length / 2
    if max(-cx0, cx1) > area.width / 2 + TOL or max(-cy0, cy1) > area.length / 2 + TOL:
        fail("chip.width", chip.width, f"x length {fmt(chip.length)} at offset ({fmt(chip.offset_x)}, "
             f"{fmt(chip.offset_y)}) must lie on the first encapsulant, the chip-mounting area "
             f"{fmt(area.width)} x {fmt(area.length)}")


def chip_holds_its_pads(d: FlipChipDesign) -> None:
    """Claim 1, step 4): the chip's face holds its pad array (one pad per bump), and pads fit between bumps."""
    chip, b = d.chip, d.bumps
    px, py = b.span_x + chip.pad_diameter, b.span_y + chip.pad_diameter
    if px > chip.width + TOL or py > chip.length + TOL:
        fail("chip.width", chip.width, f"x length {fmt(chip.length)} is smaller than its pad array "
             f"{px:.4g} x {py:.4g} (bump layout plus one pad diameter)")
    if chip.pad_diameter >= b.pitch:
        fail("chip.pad_diameter", chip.pad_diameter, f"must be below bumps.pitch {fmt(b.pitch)}")


def mold_on_first_surface(d: FlipChipDesign) -> None:
    """Claim 1, step 5): the second encapsulant lies on the first surface and covers the chip-mounting area."""
    s, area = d.substrate, d.chip_area
    mw, ml = d.mold_footprint
    if mw > s.width + TOL or ml > s.length + TOL:
        fail("second_encapsulant.width", mw, f"x length {fmt(ml)} must fit on the substrate")
    if mw + TOL < area.width or ml + TOL < area.length:
        fail("second_encapsulant.width", mw, f"x length {fmt(ml)} must cover the chip-mounting area "
             f"{fmt(area.width)} x {fmt(area.length)}")


def chip_back_as_claimed(d: FlipChipDesign) -> None:
    """Claim 7: an exposed chip back is flush with the mold top; claim 6: an encapsulated one is covered by at
    least ``min_cover``."""
    se = d.second_encapsulant
    back = d.z_chip_back - d.substrate.thickness
    if se.chip_back == "exposed":
        if se.cap_thickness is not None and abs(se.cap_thickness - back) > 1e-6:
            fail("second_encapsulant.cap_thickness", se.cap_thickness, f"must be omitted or equal the chip back "
                 f"height {back:.4g} when chip_back is \"exposed\" (claim 7)")
        return
    if se.cap_thickness is None:
        fail("second_encapsulant.cap_thickness", None, 'is required when chip_back is "encapsulated"')
    if se.cap_thickness < back + se.min_cover - TOL:
        fail("second_encapsulant.cap_thickness", se.cap_thickness, f"must cover the chip back at {back:.4g} by at "
             f"least min_cover {fmt(se.min_cover)} (claim 6)")


def heat_sink_encapsulated_clear(d: FlipChipDesign) -> None:
    """Claim 8: the heat sink stands on the first surface clear of the chip and the chip-mounting area, inside the
    mold, which encapsulates it (so the chip back cannot be exposed)."""
    hs, se, area = d.heat_sink, d.second_encapsulant, d.chip_area
    if hs is None:
        return
    back = d.z_chip_back - d.substrate.thickness
    mw, ml = d.mold_footprint
    if se.chip_back == "exposed":
        fail("heat_sink", "present", 'needs second_encapsulant.chip_back = "encapsulated": an exposed chip back '
             'leaves no mold to encapsulate a heat sink over it (claim 8)')
    if hs.standoff < back + hs.min_clearance - TOL:
        fail("heat_sink.standoff", hs.standoff, f"touches the chip: the plate must clear the chip back at "
             f"{back:.4g} by heat_sink.min_clearance {fmt(hs.min_clearance)}")
    if hs.standoff + hs.thickness > se.cap_thickness - TOL:
        fail("heat_sink.standoff", hs.standoff, f"+ thickness {fmt(hs.thickness)} must stay below the mold top "
             f"at {fmt(se.cap_thickness)} so the heat sink is encapsulated (claim 8)")
    if hs.width > mw - TOL or hs.length > ml - TOL:
        fail("heat_sink.width", hs.width, f"x length {fmt(hs.length)} must lie inside the mold footprint "
             f"{fmt(mw)} x {fmt(ml)}")
    inner_x, inner_y = hs.width / 2 - hs.leg_width, hs.length / 2 - hs.leg_width
    if inner_x < area.width / 2 + hs.min_clearance or inner_y < area.length / 2 + hs.min_clearance:
        fail("heat_sink.leg_width", hs.leg_width, f"puts the legs of a {fmt(hs.width)} x {fmt(hs.length)} heat "
             f"sink on the chip-mounting area {fmt(area.width)} x {fmt(area.length)}")


def balls_on_second_surface(d: FlipChipDesign) -> None:
    """Claim 1, step 6): the solder balls fit on the substrate's second surface, each on a pad that carries it."""
    s, balls = d.substrate, d.solder_balls
    ex, ey = balls.span_x + balls.diameter, balls.span_y + balls.diameter
    if ex > s.width + TOL or ey > s.length + TOL:
        fail("solder_balls.count_x", balls.count_x, f"at pitch {fmt(balls.pitch)} spans {ex:.4g} x {ey:.4g} mm, "
             f"beyond the substrate {fmt(s.width)} x {fmt(s.length)}")
    pads_cover_balls(d.ball_pads, balls, "ball_pads", "solder_balls")


RULES = (portable_name, chip_area_on_substrate, bumps_on_chip_area, bump_pads_carry_bumps,
         polish_plane_exposes_ends, encapsulant_over_pads, chip_on_first_encapsulant, chip_holds_its_pads,
         mold_on_first_surface, chip_back_as_claimed, heat_sink_encapsulated_clear, balls_on_second_surface)
"""Every cross-field rule, in the order the design model applies them."""
