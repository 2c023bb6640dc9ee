"""Parameters of the flip-chip flow (claims 1-8 of 000_9630dddb18a83760.txt), in millimetres.

z = 0 is the substrate's second surface (the ball side); the first surface, with the chip-mounting area, is at
``substrate.thickness``. The cross-field rules live in :mod:`.rules`, one function per rule.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, StrictBool, model_validator

from ...core.models import BallPads, DesignBase, Grid, Rect, SolderBalls, Substrate
from ...core.params import (
    Count,
    Length,
    MaterialName,
    Model,
    Offset,
    Spread,
    fail,
    fmt,
    sampled,
)
from . import rules


class BumpPads(Model):
    """Copper bond pads on the chip-mounting area, one under each bump, on the bump layout (claim 5)."""

    enabled: StrictBool = Field(True, description="Whether the chip-mounting area carries bond pads under the bumps "
                                "(claim 5): true or false, no unit.")
    diameter: Length = Field(0.11, description="Pad diameter, mm: at least the bump's base and below the bump "
                             "pitch.")
    thickness: Length = Field(0.015, description="Pad thickness, mm, from the first surface (z = "
                              "substrate.thickness) up; the bumps stand on the pads.")
    material: MaterialName = Field("Cu", description="Pad metal, a material name.")


class Bumps(Grid):
    """Conductive bumps (claims 1-3): barrel-shaped solder, a sphere of ``diameter`` cut flat at its base and at
    ``height`` (the flat end of step 2), on a grid centred on the chip-mounting area."""

    pitch: Length = Field(0.2, description="Bump pitch, centre to centre along x and y, mm; the array is centred on "
                          "the chip-mounting area (x = y = 0).")
    count_x: Count = Field(20, description="Bump columns along x, a count.")
    count_y: Count = Field(20, description="Bump rows along y, a count.")
    diameter: Length = Field(0.12, description="Diameter of the bump's sphere, mm: above the height (plus 3 x "
                             "height_spread), so every bump has a flat end.")
    height: Length = Field(0.09, description="Bump height from its base (on its pad, or on the first surface "
                           "without pads) to its flat end, mm (claim 1, step 2)).")
    height_spread: Spread = Field(0.0, description="Standard deviation of each bump's height, mm (0: all nominal), "
                                  "drawn from the design seed.")
    material: MaterialName = Field("SnPb63", description='Bump solder, a material name: "Sn", "Pb" or "SnPb63" '
                                   "for tin, lead or tin/lead (claim 3).")

    @model_validator(mode="after")
    def _bump_rules(self) -> Bumps:
        if self.pitch <= self.diameter:
            fail("pitch", self.pitch, f"must be larger than the diameter {fmt(self.diameter)}")
        if self.height + 3 * self.height_spread >= self.diameter:
            fail("height", self.height, f"plus 3 x height_spread {fmt(self.height_spread)} must stay below the "
                  f"diameter {fmt(self.diameter)} so that every bump has a flat end")
        if self.height - 3 * self.height_spread <= 0:
            fail("height_spread", self.height_spread, f"x 3 must stay below the height {fmt(self.height)}")
        return self

    def end_radius(self, z: float, height: float | None = None) -> float:
        """Radius (mm) of the flat section at ``z`` above the base of a bump of ``height`` (default nominal)."""
        r, h = self.diameter / 2, self.height if height is None else height
        return math.sqrt(max(r * r - (z - h / 2) ** 2, 0.0))

    def volume(self, top: float | None = None, height: float | None = None) -> float:
        """Volume (mm3) of one bump of ``height`` (default nominal) cut at ``top`` above its base (default: its
        own flat end)."""
        h = self.height if height is None else height
        r, c, t = self.diameter / 2, h / 2, h if top is None else top
        return math.pi * (r * r * t - ((t - c) ** 3 + c**3) / 3)


class FirstEncapsulant(Model):
    """First encapsulant over the chip-mounting area (step 3), optionally polished (claim 4).

    ``thickness`` is the as-deposited height above the substrate's first surface; when omitted it is formed flush
    with the bump ends. ``polish_plane`` is the height above the first surface that polishing leaves.
    """

    thickness: Length | None = Field(None, description="As-deposited height above the first surface, mm; omitted: "
                                     "formed flush with the bump ends (claim 1, step 3)).")
    polish: StrictBool = Field(False, description="Polish the encapsulant and the bumps together down to "
                               "`polish_plane` after step 3) (claim 4): true or false, no unit.")
    polish_plane: Length | None = Field(None, description="Height above the first surface that polishing leaves, "
                                        "mm: above the bump base, at most the bump ends; required with polish = "
                                        "true, refused without.")
    material: MaterialName = Field("EMC_fine", description="Encapsulant, a material name.")


class Chip(Model):
    """Semiconductor chip mounted face-down (step 4); its bond pads sit on the bump ends, one per bump."""

    width: Length = Field(6.0, description="Chip extent along x, mm.")
    length: Length = Field(6.0, description="Chip extent along y, mm.")
    thickness: Length = Field(0.4, description="From the chip's face (its bond-pad side, facing the substrate) to "
                              "its back, mm.")
    offset_x: Offset = Field(0.0, description="Offset of the chip's centre from the chip-mounting area's centre "
                             "along x, mm (0: centred); its pads move with it.")
    offset_y: Offset = Field(0.0, description="Offset of the chip's centre from the chip-mounting area's centre "
                             "along y, mm (0: centred); its pads move with it.")
    pad_diameter: Length = Field(0.08, description="Diameter of the chip's bond pads, one per bump on the bump "
                                 "layout, mm: below the bump pitch.")
    pad_thickness: Length = Field(0.005, description="Bond-pad thickness, mm: from the first encapsulant's top (the "
                                  "bump ends) up to the chip's face.")
    material: MaterialName = Field("Si", description="Chip material, a material name.")
    pad_material: MaterialName = Field("Al", description="Bond-pad metal, a material name.")


class SecondEncapsulant(Model):
    """Second encapsulant (step 5): mold cap over the first surface.

    ``cap_thickness`` is the mold height above the substrate's first surface. With ``chip_back = "exposed"``
    (claim 7) the mold top is flush with the chip back and ``cap_thickness`` is derived; with ``"encapsulated"``
    (claim 6) the chip back must be covered by at least ``min_cover``. Footprint defaults to the substrate's.
    """

    width: Length | None = Field(None, description="Mold footprint along x, centred on the substrate, mm; "
                                 "omitted: the substrate's width.")
    length: Length | None = Field(None, description="Mold footprint along y, centred on the substrate, mm; "
                                  "omitted: the substrate's length.")
    cap_thickness: Length | None = Field(None, description="Mold height above the first surface, mm: required when "
                                         'the chip back is "encapsulated", omitted (or the chip back\'s height) '
                                         'when "exposed".')
    chip_back: Literal["encapsulated", "exposed"] = Field("encapsulated", description='"encapsulated": the mold '
                                                          'covers the chip back (claim 6); "exposed": the mold top '
                                                          "is flush with it (claim 7) (no unit).")
    min_cover: Length = Field(0.05, description="Least mold over an encapsulated chip back (claim 6), mm.")
    material: MaterialName = Field("EMC", description="Mold compound, a material name.")


class HeatSink(Model):
    """Drop-in heat sink (claim 8): a plate on four corner legs standing on the first surface, inside the mold."""

    width: Length = Field(10.0, description="Plate extent along x, centred on the substrate, mm: inside the mold "
                          "footprint.")
    length: Length = Field(10.0, description="Plate extent along y, centred on the substrate, mm: inside the mold "
                           "footprint.")
    thickness: Length = Field(0.2, description="Plate thickness, mm: its top stays below the mold top.")
    standoff: Length = Field(0.6, description="Height of the plate's underside above the first surface (the leg "
                             "height), mm.")
    leg_width: Length = Field(0.8, description="Side of each square corner leg, mm; the legs stand outside the "
                              "chip-mounting area.")
    min_clearance: Length = Field(0.05, description="Least gap from the plate's underside to the chip back and from "
                                  "the legs to the chip-mounting area, mm.")
    material: MaterialName = Field("Cu", description="Heat-sink metal, a material name.")



class FlipChipDesign(DesignBase):
    """A complete flip-chip design (claims 1-8 of 000_9630dddb18a83760.txt)."""

    flow: Literal["flip-chip"] = Field("flip-chip", description='"flip-chip": the process of claims 1-8 of '
                                       "000_9630dddb18a83760.txt (no unit); required.")
    substrate: Substrate = Field(Substrate(), description="The substrate (claim 1, step 1)): z = 0 at its second "
                                 "(ball) surface.")
    chip_area: Rect = Field(Rect(width=8.0, length=8.0), description="The chip-mounting area on the first surface "
                            "(claim 1, step 1)), centred on the substrate.")
    bump_pads: BumpPads = Field(BumpPads(), description="Bond pads on the chip-mounting area (claim 5).")
    bumps: Bumps = Field(Bumps(), description="The conductive elements (claim 1, step 2); claims 2-3).")
    first_encapsulant: FirstEncapsulant = Field(FirstEncapsulant(), description="The first encapsulant (claim 1, "
                                                "step 3)) and its polish (claim 4).")
    chip: Chip = Field(Chip(), description="The semiconductor chip (claim 1, step 4)).")
    second_encapsulant: SecondEncapsulant = Field(SecondEncapsulant(cap_thickness=0.8), description="The second "
                                                  "encapsulant (claim 1, step 5); claims 6-7).")
    heat_sink: HeatSink | None = Field(None, description="A drop-in heat sink (claim 8).")
    ball_pads: BallPads = Field(BallPads(), description="Pads on the second surface under the solder balls.")
    solder_balls: SolderBalls = Field(SolderBalls(), description="The solder balls (claim 1, step 6)).")

    # --- derived z-levels (mm, z = 0 at the substrate's second surface) ---
    @property
    def z_first_surface(self) -> float:
        return self.substrate.thickness

    @property
    def z_bump_base(self) -> float:
        return self.z_first_surface + (self.bump_pads.thickness if self.bump_pads.enabled else 0.0)

    @property
    def z_bump_end(self) -> float:
        """Height of the bump ends as disposed in step 2."""
        return self.z_bump_base + self.bumps.height

    @property
    def z_encapsulant_deposited(self) -> float:
        t = self.first_encapsulant.thickness
        return self.z_bump_end if t is None else self.z_first_surface + t

    @property
    def z_first_top(self) -> float:
        """Top of the first encapsulant after step 3 (and the claim-4 polish): where the chip pads land."""
        fe = self.first_encapsulant
        if fe.polish:
            return self.z_first_surface + fe.polish_plane
        return self.z_encapsulant_deposited

    @property
    def z_chip_face(self) -> float:
        return self.z_first_top + self.chip.pad_thickness

    @property
    def z_chip_back(self) -> float:
        return self.z_chip_face + self.chip.thickness

    @property
    def z_mold_top(self) -> float:
        se = self.second_encapsulant
        return self.z_chip_back if se.chip_back == "exposed" else self.z_first_surface + se.cap_thickness

    @property
    def z_seating_plane(self) -> float:
        return -self.ball_pads.thickness - self.solder_balls.height

    @property
    def mold_footprint(self) -> tuple[float, float]:
        se = self.second_encapsulant
        return (se.width or self.substrate.width, se.length or self.substrate.length)

    @property
    def bump_sites(self) -> np.ndarray:
        """(N, 2) bump centres on the substrate (mm); the array is centred on the chip-mounting area."""
        return self.bumps.positions()

    def bump_heights(self) -> np.ndarray:
        """Height of every bump as disposed (mm), in :attr:`bump_sites` order (``bumps.height_spread``)."""
        return sampled(self.bumps.height, self.bumps.height_spread, self.bumps.count, self.seed, 1)

    @property
    def chip_pad_sites(self) -> np.ndarray:
        """(N, 2) chip pad centres: the bump layout, moved with the chip's placement offset (mm)."""
        return self.bumps.positions() + np.array([self.chip.offset_x, self.chip.offset_y])


    @model_validator(mode="after")
    def _design_rules(self) -> FlipChipDesign:
        for rule in rules.RULES:
            rule(self)
        return self
