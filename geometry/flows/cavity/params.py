"""Parameters of the cavity flow (claims 1-11 of 003_f6beeb7f75e78ceb.txt), in millimetres.

z = 0 is the substrate's bottom surface. The bottom pads hang below it, the slice adhesive and the metal slice
below them; the substrate's top surface carries the bond fingers and the mold compound. The cross-field rules
live in :mod:`.rules`, one function per rule; the wire layout helpers in :mod:`.wires`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ...core.models import BallPads, DesignBase, SolderBalls, Substrate
from ...core.params import Count, Length, MaterialName, Model, Offset
from . import rules
from .wires import WirePlan, on_side

Angle = Annotated[float, Field(ge=0, lt=30, allow_inf_nan=False, strict=True)]


class CavitySubstrate(Substrate):
    """Laminate substrate with a through opening; bottom surface at z = 0."""

    thickness: Length = 0.36


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



class CavityDesign(DesignBase):
    """A complete cavity design (claims 1-11 of 003_f6beeb7f75e78ceb.txt)."""

    flow: Literal["cavity"] = "cavity"
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
    def finger_edge(self) -> float:
        """Half the shorter side of what the fingers face (the die over the opening, else the opening), mm."""
        d, o = self.die, self.opening
        return min(d.width, d.length) / 2 if d.placement == "over" else min(o.width, o.length) / 2

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
            out.append(on_side(side, along, np.full_like(along, half), cx, cy))
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
            out.append(on_side(side, along, np.full_like(along, edge + f.gap + f.length / 2), cx, cy))
        return np.vstack(out)

    def wires(self) -> list[WirePlan]:
        """Every wire, pad k to finger k."""
        pads, fingers = self.die_pad_sites(), self.finger_sites()
        z0, z1 = self.z_wire_start, self.z_wire_end
        return [WirePlan(start=(p[0], p[1], z0), end=(f[0], f[1], z1), side=int(p[2]))
                for p, f in zip(pads, fingers, strict=True)]

    @model_validator(mode="after")
    def _design_rules(self) -> CavityDesign:
        for rule in rules.RULES:
            rule(self)
        return self
