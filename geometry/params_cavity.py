"""Parameters of the cavity flow (claims 1-11 of 003_f6beeb7f75e78ceb.txt), in millimetres.

z = 0 is the substrate's bottom surface. The bottom pads hang below it, the slice adhesive and the metal slice
below them; the substrate's top surface carries the bond fingers and the mold compound.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from .params import (
    TOL,
    BallPads,
    Count,
    Length,
    MaterialName,
    Model,
    Offset,
    Seed,
    SolderBalls,
    _fail,
    _fmt,
    check_portable_name,
)

Angle = Annotated[float, Field(ge=0, lt=30, allow_inf_nan=False, strict=True)]


class CavitySubstrate(Model):
    """Laminate substrate with a through opening; bottom surface at z = 0."""

    width: Length = 12.0
    length: Length = 12.0
    thickness: Length = 0.36
    material: MaterialName = "BT"


class Opening(Model):
    """Through opening (window) of the substrate, a rounded rectangle centred at (offset_x, offset_y)."""

    width: Length = 4.0
    length: Length = 4.0
    corner_radius: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False, strict=True)] = 0.0
    offset_x: Offset = 0.0
    offset_y: Offset = 0.0


class BondFingers(Model):
    """Bond fingers on the substrate's top surface, one per die pad, on a ring around the die or the opening.

    ``gap`` is the distance from the edge they face (the opening's for a die inside it, the die's for a die over it)
    to the fingers' inner ends; ``pitch`` is their spacing along each side (at least the die pad pitch: fan-out).
    """

    length: Length = 0.3
    width: Length = 0.08
    thickness: Length = 0.015
    pitch: Length = 0.16
    gap: Length = 0.3
    material: MaterialName = "Cu"


class SliceAdhesive(Model):
    """Adhesive that bonds the metal slice under the substrate (claim 4); it leaves the opening open."""

    thickness: Length = 0.03
    material: MaterialName = "adhesive_film"


class MetalSlice(Model):
    """Metal slice under the substrate covering the opening and the bottom pads (claims 1, 9); footprint defaults
    to the substrate's."""

    thickness: Length = 0.15
    width: Length | None = None
    length: Length | None = None
    material: MaterialName = "Cu"


class Die(Model):
    """Die with bond pads along its four top edges. ``placement``: ``inside`` the opening, on the slice (claims 5,
    6), or ``over`` it, on the substrate top (claims 7, 8)."""

    width: Length = 3.0
    length: Length = 3.0
    thickness: Length = 0.25
    placement: Literal["inside", "over"] = "inside"
    pads_per_side: Count = 16
    pad_pitch: Length = 0.12
    pad_size: Length = 0.07
    pad_thickness: Length = 0.005
    pad_inset: Length = 0.1
    material: MaterialName = "Si"
    pad_material: MaterialName = "Al"


class DieAdhesive(Model):
    """Die attach (claims 5-8). Over the opening it also fills the opening down to the slice (claim 7)."""

    thickness: Length = 0.025
    material: MaterialName = "die_attach"


class GapFill(Model):
    """The other adhesive that fills the gap between a smaller die and the opening wall (claim 5)."""

    material: MaterialName = "underfill"


class BondWires(Model):
    """Ball-bonded wires from the die pads to the bond fingers, swept circular section.

    ``loop_height``: top of the wire above the die's top surface (JEDEC-style loop height); ``min_cover``: mold
    above the highest loop top.
    """

    diameter: Annotated[float, Field(ge=0.015, le=0.05, allow_inf_nan=False, strict=True)] = 0.025
    material: Literal["Au", "Cu"] = "Au"
    loop_height: Length = 0.25
    ball_diameter: Length = 0.06
    ball_height: Length = 0.015
    min_cover: Length = 0.075


class MoldCompound(Model):
    """Mold cap on the substrate top: ``thickness`` above the top surface, footprint defaults to the substrate's
    less 0.5 mm a side, walls drafted inwards by ``draft_angle`` degrees."""

    thickness: Length = 0.6
    width: Length | None = None
    length: Length | None = None
    draft_angle: Angle = 0.0
    material: MaterialName = "EMC"


class HeatSlug(Model):
    """The pattern the etch keeps of the slice (claims 1, 11): a rounded rectangle centred on the opening, by
    default the opening grown by ``margin`` on every side."""

    width: Length | None = None
    length: Length | None = None
    margin: Length = 0.5
    corner_radius: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False, strict=True)] = 0.0


class CavityBalls(SolderBalls):
    """Solder balls on the bottom pads (claims 2-3)."""

    pitch: Length = 0.8
    count_x: Count = 14
    count_y: Count = 14
    layout: Literal["full", "perimeter"] = "perimeter"
    rows: Count | None = 4
    diameter: Length = 0.45
    height: Length = 0.38


class WirePlan(Model):
    """One wire, as laid out in plan and height (mm): from the ball top on its die pad to its finger."""

    start: tuple[float, float, float]
    end: tuple[float, float, float]
    side: int

    @property
    def span(self) -> float:
        return math.hypot(self.end[0] - self.start[0], self.end[1] - self.start[1])

    @property
    def azimuth(self) -> float:
        return math.atan2(self.end[1] - self.start[1], self.end[0] - self.start[0])


class CavityDesign(Model):
    """A complete cavity design (claims 1-11 of 003_f6beeb7f75e78ceb.txt)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    flow: Literal["cavity"] = "cavity"
    description: str = ""
    seed: Seed = 0
    substrate: CavitySubstrate = CavitySubstrate()
    opening: Opening = Opening()
    bond_fingers: BondFingers = BondFingers()
    bottom_pads: BallPads = BallPads(diameter=0.35, thickness=0.015)
    slice_adhesive: SliceAdhesive = SliceAdhesive()
    metal_slice: MetalSlice = MetalSlice()
    die: Die = Die()
    die_adhesive: DieAdhesive = DieAdhesive()
    gap_fill: GapFill = GapFill()
    bond_wires: BondWires = BondWires()
    mold_compound: MoldCompound = MoldCompound()
    heat_slug: HeatSlug = HeatSlug()
    solder_balls: CavityBalls = CavityBalls()

    # --- the claimed die variant ---
    @property
    def die_fit(self) -> Literal["smaller", "equal", "larger"]:
        """Die footprint against the opening: claim 5 (smaller), 6 (equal) or 7 (larger)."""
        d, o = self.die, self.opening
        if abs(d.width - o.width) <= 1e-6 and abs(d.length - o.length) <= 1e-6:
            return "equal"
        return "larger" if d.width > o.width or d.length > o.length else "smaller"

    # --- z-levels (mm) ---
    @property
    def z_top(self) -> float:
        """The substrate's top surface."""
        return self.substrate.thickness

    @property
    def z_floor(self) -> float:
        """Top of the metal slice: the floor of the cavity."""
        return -self.slice_adhesive.thickness

    @property
    def z_slice_bottom(self) -> float:
        return self.z_floor - self.metal_slice.thickness

    @property
    def z_die_base(self) -> float:
        base = self.z_floor if self.die.placement == "inside" else self.z_top
        return base + self.die_adhesive.thickness

    @property
    def z_die_top(self) -> float:
        return self.z_die_base + self.die.thickness

    @property
    def z_wire_start(self) -> float:
        """Centre of a wire where it leaves the top of its ball bond."""
        return self.z_die_top + self.die.pad_thickness + self.bond_wires.ball_height

    @property
    def z_wire_end(self) -> float:
        """Centre of a wire where it lies on its finger."""
        return self.z_top + self.bond_fingers.thickness + self.bond_wires.diameter / 2

    @property
    def z_loop_top(self) -> float:
        """Designed top of the wire loops."""
        return self.z_die_top + self.bond_wires.loop_height

    @property
    def z_mold_top(self) -> float:
        return self.z_top + self.mold_compound.thickness

    @property
    def z_seating_plane(self) -> float:
        return -self.bottom_pads.thickness - self.solder_balls.height

    @property
    def mold_footprint(self) -> tuple[float, float]:
        m, s = self.mold_compound, self.substrate
        return (m.width or s.width - 1.0, m.length or s.length - 1.0)

    @property
    def slice_footprint(self) -> tuple[float, float]:
        m, s = self.metal_slice, self.substrate
        return (m.width or s.width, m.length or s.length)

    @property
    def slug_footprint(self) -> tuple[float, float]:
        h, o = self.heat_slug, self.opening
        return (h.width or o.width + 2 * h.margin, h.length or o.length + 2 * h.margin)

    @property
    def opening_centre(self) -> tuple[float, float]:
        return (self.opening.offset_x, self.opening.offset_y)

    # --- plan layouts (mm) ---
    def die_pad_sites(self) -> np.ndarray:
        """(4 * pads_per_side, 3): x, y of every die pad centre and its side (0 +y, 1 -x, 2 -y, 3 +x)."""
        d = self.die
        cx, cy = self.opening_centre
        along = (np.arange(d.pads_per_side) - (d.pads_per_side - 1) / 2) * d.pad_pitch
        out = []
        for side in range(4):
            half = (d.length if side in (0, 2) else d.width) / 2 - d.pad_inset
            out.append(_on_side(side, along, np.full_like(along, half), cx, cy))
        return np.vstack(out)

    def finger_sites(self) -> np.ndarray:
        """(4 * pads_per_side, 3): x, y of every finger centre and its side, in the order of the die pads."""
        f, d, o = self.bond_fingers, self.die, self.opening
        cx, cy = self.opening_centre
        along = (np.arange(d.pads_per_side) - (d.pads_per_side - 1) / 2) * f.pitch
        out = []
        for side in range(4):
            if d.placement == "over":
                edge = (d.length if side in (0, 2) else d.width) / 2
            else:
                edge = (o.length if side in (0, 2) else o.width) / 2
            out.append(_on_side(side, along, np.full_like(along, edge + f.gap + f.length / 2), cx, cy))
        return np.vstack(out)

    def wires(self) -> list[WirePlan]:
        """Every wire, pad k to finger k."""
        pads, fingers = self.die_pad_sites(), self.finger_sites()
        z0, z1 = self.z_wire_start, self.z_wire_end
        return [WirePlan(start=(p[0], p[1], z0), end=(f[0], f[1], z1), side=int(p[2]))
                for p, f in zip(pads, fingers, strict=True)]

    @model_validator(mode="after")
    def _design_rules(self) -> CavityDesign:
        check_portable_name(self.name)
        s, o, d, f, w = self.substrate, self.opening, self.die, self.bond_fingers, self.bond_wires
        sa, sl, b, bp, m = self.slice_adhesive, self.metal_slice, self.solder_balls, self.bottom_pads, self.mold_compound
        if o.corner_radius * 2 > min(o.width, o.length) + TOL:
            _fail("opening.corner_radius", o.corner_radius, "must be at most half the opening's smaller side")
        if abs(o.offset_x) + o.width / 2 > s.width / 2 - 0.1 or abs(o.offset_y) + o.length / 2 > s.length / 2 - 0.1:
            _fail("opening.width", o.width, f"x length {_fmt(o.length)} at offset ({_fmt(o.offset_x)}, "
                  f"{_fmt(o.offset_y)}) must leave 0.1 mm of substrate on every side")
        if d.placement == "inside":
            if d.width > o.width + TOL or d.length > o.length + TOL:
                big = "width" if d.width > o.width + TOL else "length"
                _fail(f"die.{big}", getattr(d, big), f"> opening.{big} {_fmt(getattr(o, big))} but placement is "
                      '"inside"')
            if self.die_fit == "equal" and o.corner_radius > 0:
                _fail("opening.corner_radius", o.corner_radius, "must be 0 for a die equal to the opening (claim 6):"
                      " its corners would meet the rounded corners")
            if self.die_fit == "smaller" and o.corner_radius > 0:
                r = o.corner_radius
                cx, cy = o.width / 2 - r, o.length / 2 - r
                px, py = d.width / 2, d.length / 2
                if px > cx and py > cy and math.hypot(px - cx, py - cy) >= r - TOL:
                    _fail("opening.corner_radius", o.corner_radius, f"is too large for a {_fmt(d.width)} x "
                          f"{_fmt(d.length)} die: its corners would meet the opening's rounded corners")
        else:
            if d.width <= o.width + TOL or d.length <= o.length + TOL:
                _fail("die.width", d.width, f"x length {_fmt(d.length)} must exceed the opening {_fmt(o.width)} x "
                      f"{_fmt(o.length)} on both sides to sit over it (placement \"over\", claim 7)")
        span = (d.pads_per_side - 1) * d.pad_pitch + d.pad_size
        if span > min(d.width, d.length) - 2 * d.pad_inset + d.pad_size - TOL:
            _fail("die.pads_per_side", d.pads_per_side, f"at pad_pitch {_fmt(d.pad_pitch)} spans {span:.4g} mm, "
                  f"more than a die side less the pad insets; the corner pads would collide")
        if d.pad_pitch <= d.pad_size:
            _fail("die.pad_pitch", d.pad_pitch, f"must be larger than die.pad_size {_fmt(d.pad_size)}")
        if d.pad_inset < d.pad_size / 2:
            _fail("die.pad_inset", d.pad_inset, f"puts the pads over the die edge (pad_size {_fmt(d.pad_size)})")
        if f.pitch <= f.width:
            _fail("bond_fingers.pitch", f.pitch, f"must be larger than bond_fingers.width {_fmt(f.width)}")
        if f.pitch + TOL < d.pad_pitch:
            _fail("bond_fingers.pitch", f.pitch, f"must be at least die.pad_pitch {_fmt(d.pad_pitch)} (fan-out)")
        edge = min(d.width, d.length) / 2 if d.placement == "over" else min(o.width, o.length) / 2
        half_row = (d.pads_per_side - 1) * f.pitch / 2 + f.width / 2
        if half_row > edge + f.gap - TOL:
            _fail("bond_fingers.pitch", f.pitch, f"x {d.pads_per_side} fingers per side reach {half_row:.4g} mm from "
                  f"the centre, past the ring at {edge + f.gap:.4g} mm: fingers of adjacent sides would collide")
        mw, ml = self.mold_footprint
        reach = edge + f.gap + f.length
        if mw >= s.width or ml >= s.length:
            _fail("mold_compound.width", mw, f"x length {_fmt(ml)} must be smaller than the substrate "
                  f"{_fmt(s.width)} x {_fmt(s.length)}: the mold covers a part of its top (claim 1)")
        taper = m.thickness * math.tan(math.radians(m.draft_angle))
        if reach + 0.1 > min(mw, ml) / 2 - taper - max(abs(o.offset_x), abs(o.offset_y)):
            _fail("mold_compound.width", mw, f"x length {_fmt(ml)} must cover the bond fingers, which reach "
                  f"{reach:.4g} mm from the opening centre")
        if w.ball_diameter >= d.pad_pitch:
            _fail("bond_wires.ball_diameter", w.ball_diameter, f"must be below die.pad_pitch {_fmt(d.pad_pitch)}")
        if w.diameter >= w.ball_diameter:
            _fail("bond_wires.diameter", w.diameter, f"must be below the ball diameter {_fmt(w.ball_diameter)}")
        lowest_peak = max(self.z_wire_start, self.z_wire_end) + 2 * w.diameter + w.diameter / 2
        if self.z_loop_top < lowest_peak - TOL:
            _fail("bond_wires.loop_height", w.loop_height, f"must rise at least two wire diameters above both bonds: "
                  f"loop top at least {lowest_peak - self.z_die_top:.4g} above the die")
        if self.z_loop_top + w.min_cover > self.z_mold_top + TOL:
            _fail("bond_wires.loop_height", w.loop_height, f"needs a loop taller than the mold: its top at "
                  f"z = {self.z_loop_top:.4g} plus min_cover {_fmt(w.min_cover)} is above the mold top at "
                  f"{self.z_mold_top:.4g}")
        if self.z_die_top + d.pad_thickness >= self.z_mold_top:
            _fail("die.thickness", d.thickness, "puts the die top above the mold top")
        crossing = _crossing(self.wires())
        if crossing:
            i, j = crossing
            _fail("bond_fingers.pitch", f.pitch, f"makes wires {i} and {j} cross in plan view")
        if sa.thickness + TOL < bp.thickness:
            _fail("slice_adhesive.thickness", sa.thickness, f"must be at least bottom_pads.thickness "
                  f"{_fmt(bp.thickness)} so the slice lies flat over the pads")
        sw, sln = self.slice_footprint
        if sw > s.width + TOL or sln > s.length + TOL:
            _fail("metal_slice.width", sw, f"x length {_fmt(sln)} must fit under the substrate")
        ex, ey = b.span_x + bp.diameter, b.span_y + bp.diameter
        if ex > min(sw, s.width) + TOL or ey > min(sln, s.length) + TOL:
            _fail("solder_balls.count_x", b.count_x, f"at pitch {_fmt(b.pitch)} puts pads over {ex:.4g} x {ey:.4g} "
                  f"mm, beyond the slice that must cover them")
        if bp.diameter >= b.pitch:
            _fail("bottom_pads.diameter", bp.diameter, f"must be below solder_balls.pitch {_fmt(b.pitch)}")
        if bp.diameter + TOL < 2 * b.contact_radius():
            _fail("bottom_pads.diameter", bp.diameter, f"must cover the ball's contact, diameter "
                  f"{2 * b.contact_radius():.4g}")
        gw, gl = self.slug_footprint
        if gw + TOL < o.width or gl + TOL < o.length:
            _fail("heat_slug.width", gw, f"x length {_fmt(gl)} must cover the opening {_fmt(o.width)} x "
                  f"{_fmt(o.length)} so the slug stays under the die")
        if gw > sw + TOL or gl > sln + TOL:
            _fail("heat_slug.width", gw, f"x length {_fmt(gl)} must fit within the slice {_fmt(sw)} x {_fmt(sln)}")
        pads = b.positions() - np.array(self.opening_centre)
        r = bp.diameter / 2
        clear = (np.abs(pads[:, 0]) >= gw / 2 + r - TOL) | (np.abs(pads[:, 1]) >= gl / 2 + r - TOL)
        if not clear.all():
            k = int(np.flatnonzero(~clear)[0])
            _fail("heat_slug.width", gw, f"x length {_fmt(gl)} covers bottom pad {k} at ({pads[k, 0]:.4g}, "
                  f"{pads[k, 1]:.4g}): the etch must expose every pad")
        stand = b.height + bp.thickness - sa.thickness
        if sl.thickness >= b.height or sl.thickness >= stand - TOL:
            _fail("metal_slice.thickness", sl.thickness, f"makes the slug thicker than the balls are tall: it must be "
                  f"below solder_balls.height {_fmt(b.height)} and leave the slug above the seating plane "
                  f"(slug bottom {stand:.4g} below the pads at most) (claim 3)")
        return self


def _on_side(side: int, along: np.ndarray, out: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """Points ``along`` a side at distance ``out`` from (cx, cy); side 0 is +y, then counter-clockwise."""
    c, s = [(0, 1), (-1, 0), (0, -1), (1, 0)][side]
    x = cx + out * c - along * s
    y = cy + out * s + along * c
    return np.column_stack([x, y, np.full_like(x, side)])


def _crossing(wires: list[WirePlan]) -> tuple[int, int] | None:
    """The first pair of wires whose plan-view segments cross, or None."""
    a = np.array([w.start[:2] for w in wires])
    b = np.array([w.end[:2] for w in wires])

    def orient(p, q, r):
        return np.sign((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                       - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))

    i, j = np.triu_indices(len(wires), 1)
    o1 = orient(a[i], b[i], a[j])
    o2 = orient(a[i], b[i], b[j])
    o3 = orient(a[j], b[j], a[i])
    o4 = orient(a[j], b[j], b[i])
    hit = (o1 * o2 < 0) & (o3 * o4 < 0)
    if hit.any():
        k = int(np.flatnonzero(hit)[0])
        return int(i[k]), int(j[k])
    return None
