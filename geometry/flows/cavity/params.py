"""Parameters of the cavity flow (claims 1-11 of 003_f6beeb7f75e78ceb.txt), in millimetres.

z = 0 is the substrate's bottom surface. The bottom pads hang below it, the slice adhesive and the metal slice
below them; the substrate's top surface carries the bond fingers and the mold compound. The cross-field rules
live in :mod:`.rules`, one function per rule; the wire layout helpers in :mod:`.wires`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, WrapValidator, model_validator
from pydantic_core import PydanticCustomError

from ...core.models import BallPads, DesignBase, SolderBalls, Substrate, ThermalChoices
from ...core.params import DEGREES, MM, Count, Length, MaterialName, Model, Offset
from . import rules, wires
from .wires import WirePlan

Angle = Annotated[float, Field(ge=0, lt=30, allow_inf_nan=False, strict=True, json_schema_extra=DEGREES)]
"""An angle in degrees, from 0 up to (not including) 30."""
Radius = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False, strict=True, json_schema_extra=MM)]
"""A corner radius in mm, 0 (square corners) to 10."""
WireDiameter = Annotated[float, Field(ge=0.015, le=0.05, allow_inf_nan=False, strict=True, json_schema_extra=MM)]
"""A bond wire's diameter in mm, 15 to 50 um."""
Tiers = Annotated[int, Field(ge=1, le=2, strict=True)]
"""A number of finger rings: 1 or 2."""


def _one_or_four_counts(value: Any, handler) -> Any:
    """One count, or four counts in side order; anything else refused with one message."""
    try:
        return handler(value)
    except ValidationError:
        raise PydanticCustomError("pad_counts", "must be one count or a list of four counts [side 0 (+y), side 1 "
                                  "(-x), side 2 (-y), side 3 (+x)], each a whole number from 1 to 1000") from None


PadsPerSide = Annotated[Count | Annotated[tuple[Count, ...], Field(min_length=4, max_length=4)],
                        WrapValidator(_one_or_four_counts)]
"""Die pads per side: one count for every side, or four counts in side order (0 +y, 1 -x, 2 -y, 3 +x)."""


class CavitySubstrate(Substrate):
    """Laminate substrate with a through opening; bottom surface at z = 0."""

    thickness: Length = Field(0.36, description="From the bottom surface (bottom pads, slice) at z = 0 up to the top "
                              "surface (bond fingers, mold), mm.")


class Opening(Model):
    """Through opening (window) of the substrate, a rounded rectangle centred at (offset_x, offset_y)."""

    width: Length = Field(4.0, description="Opening extent along x, mm: 0.1 mm of substrate stays on each side; "
                          "against the die's it picks claim 5, 6 or 7 (die smaller, equal, larger).")
    length: Length = Field(4.0, description="Opening extent along y, mm: 0.1 mm of substrate stays on each side; "
                           "against the die's it picks claim 5, 6 or 7 (die smaller, equal, larger).")
    corner_radius: Radius = Field(0.0, description="Radius of the opening's rounded corners, mm (0: square); at "
                                  "most half its smaller side.")
    offset_x: Offset = Field(0.0, description="Offset of the opening's centre from the substrate's centre along x, "
                             "mm; the die, fingers and heat slug follow it.")
    offset_y: Offset = Field(0.0, description="Offset of the opening's centre from the substrate's centre along y, "
                             "mm; the die, fingers and heat slug follow it.")


class BondFingers(Model):
    """Bond fingers on the substrate's top surface, one per die pad, on a ring around the die or the opening.

    ``gap`` is the distance from the edge they face (the opening's for a die inside it, the die's for a die over it)
    to the fingers' inner ends; ``pitch`` is their spacing along each side (at least the die pad pitch: fan-out).
    """

    length: Length = Field(0.3, description="Finger length, outwards from its inner end, mm.")
    width: Length = Field(0.08, description="Finger width along the side it sits on, mm.")
    thickness: Length = Field(0.015, description="Finger thickness above the substrate's top surface, mm.")
    pitch: Length = Field(0.16, description="Finger spacing along each side on the inner ring, centre to centre "
                          "of consecutive fingers (alternately inner and outer with two tiers), mm: at least "
                          "die.pad_pitch (fan-out); above the width with one tier, above half the width with two (a "
                          "ring's fingers are then two pitches apart).")
    gap: Length = Field(0.3, description="From the edge the fingers face (the opening's, or the die's when it is "
                        "over the opening) to the inner ends of the inner ring, mm.")
    tiers: Tiers = Field(1, description="Rings of fingers, 1 or 2 (no unit). With 2, the pads of each side "
                         "alternate: pads 0, 2, 4, ... (even) wire to the inner ring, pads 1, 3, 5, ... (odd) to the "
                         "outer ring, pads numbered counter-clockwise seen from above from each side's clockwise end "
                         "(side 0, +y: from +x to -x).")
    tier_gap: Length = Field(0.45, description="With tiers = 2: radial distance from the inner ring's inner ends to "
                             "the outer ring's inner ends, outwards, mm: more than `length`, so the rings do not "
                             "overlap. An outer finger lies on the line from its die pad through the inner-ring "
                             "position it would have, so the wires of a side do not cross. Unused with one tier.")
    material: MaterialName = Field("Cu", description="Finger metal, a material name.")


class SliceAdhesive(Model):
    """Adhesive that bonds the metal slice under the substrate (claim 4); it leaves the opening open."""

    thickness: Length = Field(0.03, description="Adhesive thickness below the bottom surface, mm: the slice's top "
                              "(the cavity floor) is at z = -thickness; at least bottom_pads.thickness.")
    material: MaterialName = Field("adhesive_film", description="Adhesive, a material name.")


class MetalSlice(Model):
    """Metal slice under the substrate covering the opening and the bottom pads (claims 1, 9); footprint defaults
    to the substrate's."""

    thickness: Length = Field(0.15, description="Slice thickness below its adhesive, mm: the etched slug keeps it "
                              "and must be thinner than the balls are tall (claim 3).")
    width: Length | None = Field(None, description="Slice extent along x, centred on the substrate, mm; omitted: "
                                 "the substrate's width.")
    length: Length | None = Field(None, description="Slice extent along y, centred on the substrate, mm; omitted: "
                                  "the substrate's length.")
    material: MaterialName = Field("Cu", description='Slice metal, a material name: "Cu" for copper (claims 9-10).')


class Die(Model):
    """Die with bond pads along its four top edges. ``placement``: ``inside`` the opening, on the slice (claims 5,
    6), or ``over`` it, on the substrate top (claims 7, 8)."""

    width: Length = Field(3.0, description="Die extent along x, centred on the opening, mm.")
    length: Length = Field(3.0, description="Die extent along y, centred on the opening, mm.")
    thickness: Length = Field(0.25, description="From the die's base (on its adhesive) to its top surface, mm.")
    placement: Literal["inside", "over"] = Field("inside", description='"inside": on the slice in the opening, no '
                                                 'larger than it (claims 5, 6); "over": on the substrate top, larger '
                                                 "than the opening (claims 7, 8) (no unit).")
    pads_per_side: PadsPerSide = Field(16, description="Bond pads along the four top edges (no unit): one count "
                                       "for every side, or four counts [side 0, side 1, side 2, side 3] with the "
                                       "sides numbered 0 (+y), 1 (-x), 2 (-y), 3 (+x), counter-clockwise seen "
                                       "from above; each side's pads are centred on it. One wire and one finger "
                                       "per pad.")
    pad_pitch: Length = Field(0.12, description="Pad spacing along each edge, centre to centre, mm.")
    pad_size: Length = Field(0.07, description="Side of each square die pad, mm.")
    pad_thickness: Length = Field(0.005, description="Pad thickness above the die's top surface, mm.")
    pad_inset: Length = Field(0.1, description="From the die edge to the pad centres, mm: at least half the pad "
                              "size.")
    material: MaterialName = Field("Si", description="Die material, a material name.")
    pad_material: MaterialName = Field("Al", description="Pad metal, a material name.")

    @property
    def pad_counts(self) -> tuple[int, int, int, int]:
        """Pads on sides 0 (+y), 1 (-x), 2 (-y), 3 (+x)."""
        n = self.pads_per_side
        return (n, n, n, n) if isinstance(n, int) else tuple(n)


class DieAdhesive(Model):
    """Die attach (claims 5-8). Over the opening it also fills the opening down to the slice (claim 7)."""

    thickness: Length = Field(0.025, description="Adhesive thickness under the die, mm: on the slice (inside) or "
                              "on the substrate's top surface (over).")
    material: MaterialName = Field("die_attach", description="Die attach, a material name.")


class GapFill(Model):
    """The other adhesive that fills the gap between a smaller die and the opening wall (claim 5)."""

    material: MaterialName = Field("underfill", description="Gap fill, a material name.")


class BondWires(Model):
    """Ball-bonded wires from the die pads to the bond fingers, swept circular section, each ending in a stitch
    (second bond) on its finger.

    ``loop_height``: top of the wire above the die's top surface (JEDEC-style loop height), per finger tier;
    ``min_cover``: mold above the highest loop top. The stitch is a wedge of wire metal lying flat on the finger:
    ``stitch_length`` along the wire from its heel, where the loop ends, ``stitch_width`` across, one wire
    diameter thick at the heel (the loop's end section) tapering to half a diameter at its tail.
    """

    diameter: WireDiameter = Field(0.025, description="Wire diameter, mm.")
    material: Literal["Au", "Cu"] = Field("Au", description='Wire metal, a material name: "Au" or "Cu".')
    loop_height: Length = Field(0.25, description="Top of the wire loops above the die's top surface, mm: every "
                                "loop with one finger tier, the inner tier's with two.")
    outer_loop_height: Length | None = Field(None, description="With bond_fingers.tiers = 2: top of the outer "
                                             "tier's loops above the die's top surface, mm: at least loop_height "
                                             "plus 2 x diameter, so they pass one wire diameter over the inner "
                                             "loops; omitted: loop_height + 0.1 mm. Unused with one tier.")
    stitch_length: Length | None = Field(None, description="Stitch (second bond) length on the finger, along the "
                                         "wire from its heel (where the loop ends, at the finger centre) outwards, "
                                         "mm; omitted: 2.5 x diameter.")
    stitch_width: Length | None = Field(None, description="Stitch width across the wire, flat on the finger, mm: at "
                                        "least the diameter (its heel holds the loop's end); omitted: 1.5 x "
                                        "diameter.")
    ball_diameter: Length = Field(0.06, description="Diameter of the ball bond on each die pad, mm: below "
                                  "die.pad_pitch.")
    ball_height: Length = Field(0.015, description="Height of the ball bond above its die pad, mm.")
    min_cover: Length = Field(0.075, description="Least mold above the highest loop top, mm.")

    @property
    def stitch_size(self) -> tuple[float, float, float]:
        """Stitch length, width and tail thickness (mm); the heel is one wire diameter thick."""
        d = self.diameter
        return (self.stitch_length or 2.5 * d, self.stitch_width or 1.5 * d, d / 2)

    @property
    def loop_heights(self) -> tuple[float, float]:
        """Loop heights above the die top of the inner and the outer tier (mm)."""
        outer = self.outer_loop_height if self.outer_loop_height is not None else self.loop_height + 0.1
        return (self.loop_height, outer)


class MoldCompound(Model):
    """Mold cap on the substrate top: ``thickness`` above the top surface, footprint defaults to the substrate's
    less 0.5 mm a side, walls drafted inwards by ``draft_angle`` degrees."""

    thickness: Length = Field(0.6, description="Mold height above the substrate's top surface, mm.")
    width: Length | None = Field(None, description="Mold footprint along x at its base, centred on the substrate, "
                                 "mm: smaller than the substrate (claim 1); omitted: the substrate's less 1 mm.")
    length: Length | None = Field(None, description="Mold footprint along y at its base, centred on the substrate, "
                                  "mm: smaller than the substrate (claim 1); omitted: the substrate's less 1 mm.")
    draft_angle: Angle = Field(0.0, description="Inward draft of the mold walls from vertical, degrees (0: "
                               "vertical).")
    material: MaterialName = Field("EMC", description="Mold compound, a material name.")


class HeatSlug(Model):
    """The pattern the etch keeps of the slice (claims 1, 11): a rounded rectangle centred on the opening, by
    default the opening grown by ``margin`` on every side."""

    width: Length | None = Field(None, description="Slug extent along x, centred on the opening, mm; omitted: the "
                                 "opening's width plus 2 x margin.")
    length: Length | None = Field(None, description="Slug extent along y, centred on the opening, mm; omitted: the "
                                  "opening's length plus 2 x margin.")
    margin: Length = Field(0.5, description="How far the slug reaches beyond the opening on each side where its "
                           "width or length is omitted, mm.")
    corner_radius: Radius = Field(0.0, description="Radius of the slug's rounded corners, mm (0: square).")


class BottomPads(BallPads):
    """Copper bond pads on the substrate's bottom surface (claim 1), one under each solder ball, on the ball layout
    (mm). A section that gives some keys takes these defaults for the others."""

    diameter: Length = Field(0.35, description="Pad diameter, mm: below the ball pitch and at least the ball's flat "
                             "contact.")
    thickness: Length = Field(0.015, description="Pad thickness, mm: the pads hang below the substrate's bottom "
                              "surface, from z = -thickness to z = 0; at most slice_adhesive.thickness.")


class CavityBalls(SolderBalls):
    """Solder balls on the bottom pads (claims 2-3)."""

    pitch: Length = Field(0.8, description="Ball pitch, centre to centre along x and y, mm; the array is centred "
                          "on the substrate (x = y = 0), not on the opening.")
    count_x: Count = Field(14, description="Ball columns along x, a count.")
    count_y: Count = Field(14, description="Ball rows along y, a count.")
    layout: Literal["full", "perimeter"] = Field("perimeter", description='"full": a ball on every site; '
                                                 '"perimeter": only the outer `rows` columns and `rows_y` rows, '
                                                 "leaving the centre to the heat slug (no unit).")
    rows: Count | None = Field(4, description='Columns kept at the left and right edges, a count; required when '
                               'layout is "perimeter", unused otherwise.')
    diameter: Length = Field(0.45, description="Diameter of the ball's sphere, mm.")
    height: Length = Field(0.38, description="Stand-off of a reflowed ball, from its flat contact on the pad to its "
                           "apex, mm: taller than the slug is thick (claim 3).")



class CavityThermal(ThermalChoices):
    """Choices of the cavity package's thermal analysis (no geometry)."""

    standoff: Literal["air", "paste", "solder"] = Field("air", description='What fills the standoff between the '
                                                        'heat slug and the board (no unit): "air" (still air, as '
                                                        'built: claim 3 leaves it open), "paste" (thermal paste, '
                                                        '3 W/(m.K)) or "solder" (the balls\' solder).')


class CavityDesign(DesignBase):
    """A complete cavity design (claims 1-11 of 003_f6beeb7f75e78ceb.txt)."""

    flow: Literal["cavity"] = Field("cavity", description='"cavity": the process of claims 1-11 of '
                                    "003_f6beeb7f75e78ceb.txt (no unit); required.")
    substrate: CavitySubstrate = Field(CavitySubstrate(), description="The substrate with an opening (claim 1): "
                                       "z = 0 at its bottom surface.")
    opening: Opening = Field(Opening(), description="The substrate's through opening (claim 1).")
    bond_fingers: BondFingers = Field(BondFingers(), description="Bond fingers on the substrate's top surface, the "
                                      "wires' ends (claim 1).")
    bottom_pads: BottomPads = Field(BottomPads(), description="The bond pads on the bottom surface (claim 1), one "
                                    "per ball.")
    slice_adhesive: SliceAdhesive = Field(SliceAdhesive(), description="The adhesive under the slice (claim 4).")
    metal_slice: MetalSlice = Field(MetalSlice(), description="The metal slice (claims 1, 9).")
    die: Die = Field(Die(), description="The die, inside or over the opening (claims 1, 5-8).")
    die_adhesive: DieAdhesive = Field(DieAdhesive(), description="The die attach (claims 5-8).")
    gap_fill: GapFill = Field(GapFill(), description="The second adhesive around a smaller die (claim 5).")
    bond_wires: BondWires = Field(BondWires(), description="The bond wires, die to substrate top (claim 1).")
    mold_compound: MoldCompound = Field(MoldCompound(), description="The encapsulating mold compound (claim 1).")
    heat_slug: HeatSlug = Field(HeatSlug(), description="What the etch keeps of the slice (claims 1, 10, 11).")
    solder_balls: CavityBalls = Field(CavityBalls(), description="The solder balls on the bottom pads (claims 2, 3).")
    thermal: CavityThermal = Field(CavityThermal(), description="Choices of the thermal analysis (no geometry).")

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
        """Centre of a wire where it ends on its finger, at the heel of its stitch: one wire radius above the
        finger top."""
        return self.z_finger_top + self.bond_wires.diameter / 2

    @property
    def z_finger_top(self) -> float:
        """Top of the bond fingers, where the stitches lie."""
        return self.z_top + self.bond_fingers.thickness

    @property
    def z_loop_top(self) -> float:
        """Designed top of the wire loops (the inner tier's with two tiers)."""
        return self.z_die_top + self.bond_wires.loop_height

    @property
    def z_loop_tops(self) -> tuple[float, ...]:
        """Designed top of the wire loops of each finger tier, inner first (mm)."""
        return tuple(self.z_die_top + h for h in self.bond_wires.loop_heights[:self.bond_fingers.tiers])

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

    # --- plan layouts (mm), from :mod:`.wires` ---
    def die_pad_sites(self) -> np.ndarray:
        """(N, 3): x, y of every die pad centre and its side (0 +y, 1 -x, 2 -y, 3 +x), side by side."""
        return wires.die_pad_sites(self)

    def finger_sites(self) -> np.ndarray:
        """(N, 4): x, y of every finger centre, its side and tier (0 inner, 1 outer), in the order of the pads."""
        return wires.finger_sites(self)

    def wires(self) -> list[WirePlan]:
        """Every wire, pad k to finger k."""
        return wires.plan_wires(self)

    @model_validator(mode="after")
    def _design_rules(self) -> CavityDesign:
        for rule in rules.RULES:
            rule(self)
        return self
