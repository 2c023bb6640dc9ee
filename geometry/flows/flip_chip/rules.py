"""Cross-field rules of a flip-chip design (mm), one function per rule, each citing the claim it keeps buildable.

Every rule takes the whole design and raises one message naming the field, the value and the rule (through
:func:`~geometry.core.params.fail`); :data:`RULES` is the order in which the design model applies them. Rules about
a chip site name its section as the recipe wrote it: ``bumps.pitch`` for a single chip, ``chips[1].bumps.pitch``
for the second of several.
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING

from ...core.models import pads_cover_balls
from ...core.params import TOL, check_portable_name, fail, fmt

if TYPE_CHECKING:
    from .params import FlipChipDesign
    from .sites import Site

SINGLE_CHIP = ("chip_area", "bump_pads", "bumps", "chip")
"""The single-chip sections, left out when a design lists ``chips``."""


def _key(d: FlipChipDesign, site: Site, key: str) -> str:
    """The recipe key of ``key`` (``bumps.pitch``) of ``site`` as the user wrote it."""
    return f"chips[{site.index}].{key}" if d.chips else key


def portable_name(d: FlipChipDesign) -> None:
    """The design name makes a folder on any file system."""
    check_portable_name(d.name)


def one_way_to_give_chips(d: FlipChipDesign) -> None:
    """Claim 1: at least one chip: either the single-chip sections or the ``chips`` list, not both; site names
    unique."""
    if d.chips:
        both = sorted(set(SINGLE_CHIP) & d.model_fields_set)
        if both:
            raise ValueError(f"{both[0]} is a single-chip section: with [[chips]], give each chip's sections "
                             "in its own [[chips]] table")
        names = [c.name for c in d.chips]
        dup = sorted({x for x in names if names.count(x) > 1})
        if dup:
            fail("chips", dup[0], "names more than one chip site: each needs its own name")


def chip_area_on_substrate(d: FlipChipDesign) -> None:
    """Claim 1, step 1): each chip-mounting area, centred on its chip, lies on the substrate's first surface."""
    s = d.substrate
    for site in d.sites():
        x0, y0, x1, y1 = site.area_rect
        a = site.chip_area
        if max(-x0, x1) > s.width / 2 + TOL or max(-y0, y1) > s.length / 2 + TOL:
            where = f" centred on the chip at ({fmt(site.centre[0])}, {fmt(site.centre[1])})" if any(site.centre) \
                else ""
            fail(_key(d, site, "chip_area.width"), a.width, f"x length {fmt(a.length)}{where} must fit on the "
                 f"substrate {fmt(s.width)} x {fmt(s.length)}")


def chip_areas_apart(d: FlipChipDesign) -> None:
    """Claim 1, step 1): the chip-mounting areas of several chips do not overlap."""
    for a, b in combinations(d.sites(), 2):
        ra, rb = a.area_rect, b.area_rect
        if ra[0] < rb[2] - TOL and rb[0] < ra[2] - TOL and ra[1] < rb[3] - TOL and rb[1] < ra[3] - TOL:
            fail(_key(d, b, "chip.offset_x"), b.chip.offset_x, f"puts the chip-mounting area of {b.name!r} over "
                 f"that of {a.name!r}: chip-mounting areas must not overlap")


def bumps_on_chip_area(d: FlipChipDesign) -> None:
    """Claim 1, step 2): the conductive elements stand on their chip-mounting area."""
    for site in d.sites():
        area, b = site.chip_area, site.bumps
        bx, by = b.span_x + b.lattice_x, b.span_y + b.lattice_y
        if bx > area.width + TOL or by > area.length + TOL:
            fail(_key(d, site, "bumps.count_x"), b.count_x, f"x count_y {b.count_y} at pitch {fmt(b.pitch)} needs "
                 f"{bx:.4g} x {by:.4g} mm (the array plus half a pitch each side), outside the chip-mounting area "
                 f"{fmt(area.width)} x {fmt(area.length)}")


def bump_pads_carry_bumps(d: FlipChipDesign) -> None:
    """Claim 5: each bond pad fits between the elements and carries its element's whole base."""
    for site in d.sites():
        pads, b = site.pads, site.bumps
        if not pads.enabled:
            if b.shape == "wetting" and b.base_diameter is None:
                fail(_key(d, site, "bumps.base_diameter"), None, 'is required for shape "wetting" without bond '
                     "pads (the bump wets its pad when there is one)")
            continue
        base_d = b.pillar_diameter if b.shape == "pillar" else b.wetted(pads.diameter)
        if pads.diameter >= b.spacing:
            fail(_key(d, site, "bump_pads.diameter"), pads.diameter, f"must be below bumps.pitch {fmt(b.pitch)}")
        if pads.diameter + TOL < base_d:
            fail(_key(d, site, "bump_pads.diameter"), pads.diameter, f"must cover the bump base, diameter "
                 f"{base_d:.4g}")


def solder_has_a_flat_end(d: FlipChipDesign) -> None:
    """Claim 1, step 2): a wetting bump or a pillar's cap ends flat below its sphere's top."""
    for site in d.sites():
        b = site.bumps
        if b.shape == "ball":
            continue
        top = b.max_end_height(site.pad_diameter)
        if b.height + 3 * b.height_spread > top + TOL:
            fail(_key(d, site, "bumps.height"), b.height, f"plus 3 x height_spread {fmt(b.height_spread)} rises "
                 f"above the solder's sphere (its top {top:.4g} mm above the base): raise the diameter or lower the "
                 "height so every element has a flat end")


def polish_plane_exposes_ends(d: FlipChipDesign) -> None:
    """Claim 4: the polish plane cuts every element between its base (above a pillar's copper) and its end, below
    the as-deposited top; a polish plane without polishing is refused."""
    fe, s = d.first_encapsulant, d.substrate
    rel_top = fe.thickness
    if not fe.polish:
        if fe.polish_plane is not None:
            fail("first_encapsulant.polish_plane", fe.polish_plane, "is only allowed with polish = true")
        return
    if fe.polish_plane is None:
        fail("first_encapsulant.polish_plane", None, "is required when polish = true (claim 4)")
    plane = fe.polish_plane
    for site in d.sites():
        base = site.z_bump_base - s.thickness + site.bumps.solder_base()
        end = site.z_bump_end - s.thickness
        if plane <= base + TOL:
            fail("first_encapsulant.polish_plane", plane, f"removes every bump whole: it must lie above the bump "
                 f"base at {base:.4g}" + (f" ({site.label})" if d.chips else ""))
        if plane > end + TOL:
            fail("first_encapsulant.polish_plane", plane, f"leaves the bump ends unexposed: it must not lie above "
                 f"the bump ends at {end:.4g}" + (f" ({site.label})" if d.chips else ""))
    if rel_top is not None and plane >= rel_top:
        fail("first_encapsulant.polish_plane", plane, f"must lie below the as-deposited "
             f"first_encapsulant.thickness {fmt(rel_top)}")


def encapsulant_over_pads(d: FlipChipDesign) -> None:
    """Claim 1, step 3): a deposit thickness, when given, rises above the bump pads."""
    rel_top = d.first_encapsulant.thickness
    for site in d.sites():
        if rel_top is not None and rel_top <= site.z_bump_base - d.substrate.thickness:
            fail("first_encapsulant.thickness", rel_top, "must exceed the bump pads")


def chip_on_first_encapsulant(d: FlipChipDesign) -> None:
    """Claim 1, step 4): each chip lies on the first encapsulant's top: its chip-mounting area, centred on it."""
    for site in d.sites():
        chip, area = site.chip, site.chip_area
        if chip.width > area.width + TOL or chip.length > area.length + TOL:
            fail(_key(d, site, "chip.width"), chip.width, f"x length {fmt(chip.length)} must lie on the first "
                 f"encapsulant, the chip-mounting area {fmt(area.width)} x {fmt(area.length)}")


def chip_holds_its_pads(d: FlipChipDesign) -> None:
    """Claim 1, step 4): each chip's face holds its pad array (one pad per element), and pads fit between the
    elements."""
    for site in d.sites():
        chip, b = site.chip, site.bumps
        px, py = b.span_x + chip.pad_diameter, b.span_y + chip.pad_diameter
        if px > chip.width + TOL or py > chip.length + TOL:
            fail(_key(d, site, "chip.width"), chip.width, f"x length {fmt(chip.length)} is smaller than its pad "
                 f"array {px:.4g} x {py:.4g} (bump layout plus one pad diameter)")
        if chip.pad_diameter >= b.spacing:
            fail(_key(d, site, "chip.pad_diameter"), chip.pad_diameter, f"must be below bumps.pitch {fmt(b.pitch)}")


def mold_on_first_surface(d: FlipChipDesign) -> None:
    """Claim 1, step 5): the second encapsulant lies on the first surface and covers every chip-mounting area."""
    s = d.substrate
    mw, ml = d.mold_footprint
    if mw > s.width + TOL or ml > s.length + TOL:
        fail("second_encapsulant.width", mw, f"x length {fmt(ml)} must fit on the substrate")
    for site in d.sites():
        x0, y0, x1, y1 = site.area_rect
        if max(-x0, x1) > mw / 2 + TOL or max(-y0, y1) > ml / 2 + TOL:
            a = site.chip_area
            fail("second_encapsulant.width", mw, f"x length {fmt(ml)} must cover the chip-mounting area "
                 f"{fmt(a.width)} x {fmt(a.length)}")


def chip_back_as_claimed(d: FlipChipDesign) -> None:
    """Claim 7: an exposed chip back is flush with the mold top (several exposed backs at one height); claim 6: an
    encapsulated one is covered by at least ``min_cover``."""
    se = d.second_encapsulant
    exposed = [s for s in d.sites() if s.back == "exposed"]
    if exposed:
        back = exposed[0].z_chip_back - d.substrate.thickness
        for site in exposed[1:]:
            other = site.z_chip_back - d.substrate.thickness
            if abs(other - back) > 1e-6:
                fail(_key(d, site, "chip.thickness"), site.chip.thickness, f"puts its exposed back at {other:.4g}, "
                     f"not flush with the other exposed back at {back:.4g} (claim 7: one mold top)")
        if se.cap_thickness is not None and abs(se.cap_thickness - back) > 1e-6:
            fail("second_encapsulant.cap_thickness", se.cap_thickness, f"must be omitted or equal the chip back "
                 f"height {back:.4g} when chip_back is \"exposed\" (claim 7)")
    elif se.cap_thickness is None:
        fail("second_encapsulant.cap_thickness", None, 'is required when chip_back is "encapsulated"')
    top = d.z_mold_top - d.substrate.thickness
    for site in d.sites():
        back = site.z_chip_back - d.substrate.thickness
        if site.back == "encapsulated" and top < back + se.min_cover - TOL:
            field = "second_encapsulant.cap_thickness" if not exposed else _key(d, site, "chip.thickness")
            value = se.cap_thickness if not exposed else site.chip.thickness
            fail(field, value, f"must cover the chip back at {back:.4g} by at least min_cover {fmt(se.min_cover)} "
                 "(claim 6)")


def heat_sink_encapsulated_clear(d: FlipChipDesign) -> None:
    """Claim 8: the heat sink stands on the first surface clear of every chip and chip-mounting area, inside the
    mold, which encapsulates it (so no chip back can be exposed)."""
    hs, se = d.heat_sink, d.second_encapsulant
    if hs is None:
        return
    mw, ml = d.mold_footprint
    if any(s.back == "exposed" for s in d.sites()):
        fail("heat_sink", "present", 'needs second_encapsulant.chip_back = "encapsulated": an exposed chip back '
             'leaves no mold to encapsulate a heat sink over it (claim 8)')
    for site in d.sites():
        back = site.z_chip_back - d.substrate.thickness
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
    for site in d.sites():
        x0, y0, x1, y1 = site.area_rect
        a = site.chip_area
        if inner_x < max(-x0, x1) + hs.min_clearance or inner_y < max(-y0, y1) + hs.min_clearance:
            fail("heat_sink.leg_width", hs.leg_width, f"puts the legs of a {fmt(hs.width)} x {fmt(hs.length)} heat "
                 f"sink on the chip-mounting area {fmt(a.width)} x {fmt(a.length)}")


def balls_on_second_surface(d: FlipChipDesign) -> None:
    """Claim 1, step 6): the solder balls fit on the substrate's second surface, each on a pad that carries it."""
    s, balls = d.substrate, d.solder_balls
    ex, ey = balls.span_x + balls.diameter, balls.span_y + balls.diameter
    if ex > s.width + TOL or ey > s.length + TOL:
        fail("solder_balls.count_x", balls.count_x, f"at pitch {fmt(balls.pitch)} spans {ex:.4g} x {ey:.4g} mm, "
             f"beyond the substrate {fmt(s.width)} x {fmt(s.length)}")
    pads_cover_balls(d.ball_pads, balls, "ball_pads", "solder_balls")


RULES = (portable_name, one_way_to_give_chips, chip_area_on_substrate, chip_areas_apart, bumps_on_chip_area,
         bump_pads_carry_bumps, solder_has_a_flat_end, polish_plane_exposes_ends, encapsulant_over_pads,
         chip_on_first_encapsulant, chip_holds_its_pads, mold_on_first_surface, chip_back_as_claimed,
         heat_sink_encapsulated_clear, balls_on_second_surface)
"""Every cross-field rule, in the order the design model applies them."""
