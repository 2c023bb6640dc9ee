"""Chip sites of the flip-chip flow: each chip with its own chip-mounting area, bond pads, conductive elements and
chip (claim 1: "at least one chip-mounting area", "at least one semiconductor chip"), and the geometry each site
derives from the design (mm; z = 0 at the substrate's second surface, x = y = 0 at the substrate's centre).

A design without ``chips`` has one site, built from its ``chip_area``, ``bump_pads``, ``bumps`` and ``chip``
sections; its bodies keep their plain names (``bumps``, ``chip``, ...). With ``chips``, each site's bodies carry its
name (``bumps_cpu``, ``chip_cpu``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field, StrictBool

from ...core.models import Rect
from ...core.params import Length, MaterialName, Model, Offset, sampled
from . import names as n
from .elements import Bumps

if TYPE_CHECKING:
    from .params import FlipChipDesign

SiteName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{0,15}$")]
"""A chip site's name: lower-case letters and digits, starting with a letter (it ends the site's body names)."""


class BumpPads(Model):
    """Copper bond pads on the chip-mounting area, one under each conductive element (claim 5)."""

    enabled: StrictBool = Field(True, description="Whether the chip-mounting area carries bond pads under the bumps "
                                "(claim 5): true or false, no unit.")
    diameter: Length = Field(0.11, description="Pad diameter, mm: at least the bump's base and below the bump "
                             "pitch.")
    thickness: Length = Field(0.015, description="Pad thickness, mm, from the first surface (z = "
                              "substrate.thickness) up; the bumps stand on the pads.")
    material: MaterialName = Field("Cu", description="Pad metal, a material name.")


class Chip(Model):
    """Semiconductor chip mounted face-down (step 4); its bond pads sit on the element ends, one per element."""

    width: Length = Field(6.0, description="Chip extent along x, mm.")
    length: Length = Field(6.0, description="Chip extent along y, mm.")
    thickness: Length = Field(0.4, description="From the chip's face (its bond-pad side, facing the substrate) to "
                              "its back, mm.")
    offset_x: Offset = Field(0.0, description="The chip's centre along x from the substrate's centre, mm (0: "
                             "centred); its chip-mounting area, pads and bumps move with it.")
    offset_y: Offset = Field(0.0, description="The chip's centre along y from the substrate's centre, mm (0: "
                             "centred); its chip-mounting area, pads and bumps move with it.")
    pad_diameter: Length = Field(0.08, description="Diameter of the chip's bond pads, one per bump on the bump "
                                 "layout, mm: below the bump pitch.")
    pad_thickness: Length = Field(0.005, description="Bond-pad thickness, mm: from the first encapsulant's top (the "
                                  "bump ends) up to the chip's face.")
    material: MaterialName = Field("Si", description="Chip material, a material name.")
    pad_material: MaterialName = Field("Al", description="Bond-pad metal, a material name.")


class ChipSite(Model):
    """One chip of a multi-chip design: its name, chip-mounting area (centred on the chip), bond pads, conductive
    elements and chip, and whether its back is covered or exposed."""

    name: SiteName = Field(description="Site name: lower-case letters and digits (no unit); it ends the names of "
                           "the site's bodies, e.g. bumps_cpu.")
    chip_area: Rect = Field(description="The site's chip-mounting area on the first surface, centred on its chip "
                            "(claim 1, step 1)).")
    bump_pads: BumpPads = Field(BumpPads(), description="Bond pads on the site's chip-mounting area (claim 5).")
    bumps: Bumps = Field(Bumps(), description="The site's conductive elements (claim 1, step 2); claims 2-3).")
    chip: Chip = Field(Chip(), description="The site's chip (claim 1, step 4)); its offset places the site.")
    chip_back: Literal["encapsulated", "exposed"] | None = Field(None, description='"encapsulated" (claim 6) or '
                                                                 '"exposed" (claim 7); omitted: '
                                                                 "second_encapsulant.chip_back (no unit).")


@dataclass(frozen=True, eq=False)
class Site:
    """One chip site as built: its index and suffix, its sections, and the z-levels and plan positions it derives
    from the design (mm)."""

    index: int
    name: str
    chip_area: Rect
    pads: BumpPads
    bumps: Bumps
    chip: Chip
    back: str
    z_first_surface: float
    z_bump_base: float
    z_deposited: float
    z_first_top: float
    seed: int

    @property
    def suffix(self) -> str:
        return f"_{self.name}" if self.name else ""

    def body(self, base: str) -> str:
        """The body name ``base`` of this site (``bumps`` or ``bumps_cpu``)."""
        return base + self.suffix

    @property
    def label(self) -> str:
        return f"chip site {self.name!r}" if self.name else "the chip"

    @property
    def centre(self) -> tuple[float, float]:
        """The site's centre (its chip's, mm from the substrate's centre)."""
        return (self.chip.offset_x, self.chip.offset_y)

    @property
    def area_rect(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the chip-mounting area, mm."""
        (cx, cy), a = self.centre, self.chip_area
        return (cx - a.width / 2, cy - a.length / 2, cx + a.width / 2, cy + a.length / 2)

    @property
    def z_bump_end(self) -> float:
        return self.z_bump_base + self.bumps.height

    @property
    def z_chip_face(self) -> float:
        return self.z_first_top + self.chip.pad_thickness

    @property
    def z_chip_back(self) -> float:
        return self.z_chip_face + self.chip.thickness

    @property
    def pad_diameter(self) -> float:
        """Diameter (mm) of the bond pad under each element (0 without pads)."""
        return self.pads.diameter if self.pads.enabled else 0.0

    def bump_sites(self) -> np.ndarray:
        """(N, 2) element centres on the substrate (mm): the array on the chip's centre."""
        return self.bumps.positions() + np.array(self.centre)

    def bump_heights(self) -> np.ndarray:
        """Height of every element as disposed (mm), in :meth:`bump_sites` order; drawn from the design seed, one
        stream per site."""
        return sampled(self.bumps.height, self.bumps.height_spread, self.bumps.count, self.seed,
                       1 if self.index == 0 else 100 + self.index)

    @property
    def element_bodies(self) -> tuple[str, ...]:
        """The site's conductive-element bodies, bottom up: pillars and their caps, or bumps."""
        if self.bumps.shape == "pillar":
            return (self.body(n.PILLARS), self.body(n.BUMPS))
        return (self.body(n.BUMPS),)


def chip_sites(d: FlipChipDesign) -> tuple[Site, ...]:
    """Every chip site of ``d``, in order: the ``chips`` list, or one site from the single-chip sections."""
    fe = d.first_encapsulant
    zf = d.substrate.thickness
    specs = d.chips or (ChipSite(name="x", chip_area=d.chip_area, bump_pads=d.bump_pads, bumps=d.bumps, chip=d.chip),)
    out = []
    for k, s in enumerate(specs):
        base = zf + (s.bump_pads.thickness if s.bump_pads.enabled else 0.0)
        end = base + s.bumps.height
        deposited = end if fe.thickness is None else zf + fe.thickness
        top = zf + fe.polish_plane if fe.polish and fe.polish_plane is not None else deposited
        back = s.chip_back or d.second_encapsulant.chip_back
        out.append(Site(k, s.name if d.chips else "", s.chip_area, s.bump_pads, s.bumps, s.chip, back, zf, base,
                        deposited, top, d.seed))
    return tuple(out)
