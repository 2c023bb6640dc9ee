"""Parameters of the flip-chip flow (claims 1-8 of 000_9630dddb18a83760.txt), in millimetres.

z = 0 is the substrate's second surface (the ball side); the first surface, with the chip-mounting area, is at
``substrate.thickness``. The cross-field rules live in :mod:`.rules`, one function per rule.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, StrictBool, model_validator

from ...core.models import BallPads, DesignBase, Rect, SolderBalls, Substrate, ThermalChoices
from ...core.params import (
    Length,
    MaterialName,
    Model,
)
from . import rules
from .elements import Bumps
from .sites import BumpPads, Chip, ChipSite, Site, chip_sites


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
    chips: tuple[ChipSite, ...] = Field((), description="Several chips, each with its own chip-mounting area, bond "
                                        "pads, conductive elements and chip (claim 1: at least one); given, the "
                                        "single-chip sections chip_area, bump_pads, bumps and chip are left out (a list of [[chips]] tables, no "
                                        "unit).")
    second_encapsulant: SecondEncapsulant = Field(SecondEncapsulant(cap_thickness=0.8), description="The second "
                                                  "encapsulant (claim 1, step 5); claims 6-7).")
    heat_sink: HeatSink | None = Field(None, description="A drop-in heat sink (claim 8).")
    ball_pads: BallPads = Field(BallPads(), description="Pads on the second surface under the solder balls.")
    solder_balls: SolderBalls = Field(SolderBalls(), description="The solder balls (claim 1, step 6)).")
    thermal: ThermalChoices = Field(ThermalChoices(), description="Choices of the thermal analysis (no geometry).")

    # --- chip sites and derived z-levels (mm, z = 0 at the substrate's second surface) ---
    def sites(self) -> tuple[Site, ...]:
        """Every chip site, in order (:func:`~.sites.chip_sites`)."""
        return chip_sites(self)

    @property
    def first(self) -> Site:
        """The first chip site: what the single-chip properties below describe."""
        return self.sites()[0]

    @property
    def z_first_surface(self) -> float:
        return self.substrate.thickness

    @property
    def z_bump_base(self) -> float:
        """Base of the first site's elements."""
        return self.first.z_bump_base

    @property
    def z_bump_end(self) -> float:
        """Height of the first site's element ends as disposed in step 2."""
        return self.first.z_bump_end

    @property
    def z_encapsulant_deposited(self) -> float:
        return self.first.z_deposited

    @property
    def z_first_top(self) -> float:
        """Top of the first encapsulant after step 3 (and the claim-4 polish) on the first site: where its chip
        pads land."""
        return self.first.z_first_top

    @property
    def z_chip_face(self) -> float:
        return self.first.z_chip_face

    @property
    def z_chip_back(self) -> float:
        """The first site's chip back."""
        return self.first.z_chip_back

    @property
    def z_mold_top(self) -> float:
        """The mold top: flush with the exposed chip backs, else ``cap_thickness`` above the first surface."""
        exposed = [s.z_chip_back for s in self.sites() if s.back == "exposed"]
        if exposed:
            return max(exposed)
        return self.z_first_surface + self.second_encapsulant.cap_thickness

    @property
    def z_seating_plane(self) -> float:
        return -self.ball_pads.thickness - self.solder_balls.height

    @property
    def mold_footprint(self) -> tuple[float, float]:
        se = self.second_encapsulant
        return (se.width or self.substrate.width, se.length or self.substrate.length)

    @property
    def bump_sites(self) -> np.ndarray:
        """(N, 2) element centres of the first site on the substrate (mm)."""
        return self.first.bump_sites()

    def bump_heights(self) -> np.ndarray:
        """Height of every element of the first site as disposed (mm), in :attr:`bump_sites` order."""
        return self.first.bump_heights()

    @property
    def chip_pad_sites(self) -> np.ndarray:
        """(N, 2) chip pad centres of the first site: on its element ends (mm)."""
        return self.first.bump_sites()

    @model_validator(mode="after")
    def _design_rules(self) -> FlipChipDesign:
        for rule in rules.RULES:
            rule(self)
        return self
