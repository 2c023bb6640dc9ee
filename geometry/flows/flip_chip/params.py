"""Parameters of the flip-chip flow (claims 1-8 of 000_9630dddb18a83760.txt), in millimetres.

z = 0 is the substrate's second surface (the ball side); the first surface, with the chip-mounting area, is at
``substrate.thickness``. The cross-field rules live in :mod:`.rules`, one function per rule.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import StrictBool, model_validator

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
    """Copper bond pads on the chip-mounting area, one under each bump (claim 5)."""

    enabled: StrictBool = True
    diameter: Length = 0.11
    thickness: Length = 0.015
    material: MaterialName = "Cu"


class Bumps(Grid):
    """Conductive bumps (claims 1-3): barrel-shaped solder, a sphere of ``diameter`` cut flat at its base and at
    ``height`` (the flat end of step 2)."""

    pitch: Length = 0.2
    count_x: Count = 20
    count_y: Count = 20
    diameter: Length = 0.12
    height: Length = 0.09
    height_spread: Spread = 0.0
    material: MaterialName = "SnPb63"

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

    thickness: Length | None = None
    polish: StrictBool = False
    polish_plane: Length | None = None
    material: MaterialName = "EMC_fine"


class Chip(Model):
    """Semiconductor chip mounted face-down (step 4); its bond pads sit on the bump ends, one per bump."""

    width: Length = 6.0
    length: Length = 6.0
    thickness: Length = 0.4
    offset_x: Offset = 0.0
    offset_y: Offset = 0.0
    pad_diameter: Length = 0.08
    pad_thickness: Length = 0.005
    material: MaterialName = "Si"
    pad_material: MaterialName = "Al"


class SecondEncapsulant(Model):
    """Second encapsulant (step 5): mold cap over the first surface.

    ``cap_thickness`` is the mold height above the substrate's first surface. With ``chip_back = "exposed"``
    (claim 7) the mold top is flush with the chip back and ``cap_thickness`` is derived; with ``"encapsulated"``
    (claim 6) the chip back must be covered by at least ``min_cover``. Footprint defaults to the substrate's.
    """

    width: Length | None = None
    length: Length | None = None
    cap_thickness: Length | None = None
    chip_back: Literal["encapsulated", "exposed"] = "encapsulated"
    min_cover: Length = 0.05
    material: MaterialName = "EMC"


class HeatSink(Model):
    """Drop-in heat sink (claim 8): a plate on four corner legs standing on the first surface, inside the mold."""

    width: Length = 10.0
    length: Length = 10.0
    thickness: Length = 0.2
    standoff: Length = 0.6
    leg_width: Length = 0.8
    min_clearance: Length = 0.05
    material: MaterialName = "Cu"



class FlipChipDesign(DesignBase):
    """A complete flip-chip design (claims 1-8 of 000_9630dddb18a83760.txt)."""

    flow: Literal["flip-chip"] = "flip-chip"
    substrate: Substrate = Substrate()
    chip_area: Rect = Rect(width=8.0, length=8.0)
    bump_pads: BumpPads = BumpPads()
    bumps: Bumps = Bumps()
    first_encapsulant: FirstEncapsulant = FirstEncapsulant()
    chip: Chip = Chip()
    second_encapsulant: SecondEncapsulant = SecondEncapsulant(cap_thickness=0.8)
    heat_sink: HeatSink | None = None
    ball_pads: BallPads = BallPads()
    solder_balls: SolderBalls = SolderBalls()

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
