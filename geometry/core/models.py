"""Models both flows share, in mm: grids of array sites, footprints, the substrate, pads and solder balls.

A flow uses them as they are or subclasses one only to give it other defaults (its own sizes); the fields, rules
and geometry of each exist once, here.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field, model_validator

from .arrays import Grid, check_spacing
from .params import (
    Count,
    DesignName,
    Length,
    MaterialName,
    Model,
    Offset,
    Seed,
    Spread,
    fail,
    fmt,
    sampled,
)


class DesignBase(Model):
    """Base of every flow's design model: the design's name (it names the output folder), its flow (each flow
    narrows it to its own name), a free description, and the seed of its member-to-member variation."""

    name: DesignName = Field(description="Name of the design and of its output folder: letters, digits, '.', '_' "
                             "and '-', at most 64 characters (no unit); required.")
    flow: str = Field(description="The process flow that builds the design (no unit); required.")
    description: str = Field("", description="Free text shown by `pkgcad list` and in the report (no unit).")
    seed: Seed = Field(0, description="Seed of the member-to-member size draws of the `*_spread` keys: the same "
                       "seed draws the same sizes (an integer, no unit).")


class Rect(Model):
    """A rectangular footprint centred on the substrate (x = y = 0), mm."""

    width: Length = Field(description="Extent along x, centred on x = 0, mm; required.")
    length: Length = Field(description="Extent along y, centred on y = 0, mm; required.")


class Substrate(Model):
    """Laminate substrate, ``width`` x ``length`` centred on the origin, ``thickness`` from z = 0 up (mm)."""

    width: Length = Field(12.0, description="Substrate extent along x, centred on x = 0, mm.")
    length: Length = Field(12.0, description="Substrate extent along y, centred on y = 0, mm.")
    thickness: Length = Field(0.56, description="From the second (ball) surface at z = 0 up to the first surface, "
                              "which carries the chip-mounting area, mm (claim 1, step 1)).")
    material: MaterialName = Field("BT", description="Laminate material, a material name.")


class HotSpot(Model):
    """A rectangular hot spot of the power map on a chip's active face (issue 17), mm from the chip's centre, W."""

    x: Offset = Field(0.0, description="Centre of the hot spot along x from the chip's centre, mm (0: the chip's "
                      "centre); the spot lies on the chip face.")
    y: Offset = Field(0.0, description="Centre of the hot spot along y from the chip's centre, mm (0: the chip's "
                      "centre); the spot lies on the chip face.")
    width: Length = Field(1.0, description="Extent of the hot spot along x, mm.")
    length: Length = Field(1.0, description="Extent of the hot spot along y, mm.")
    power: float = Field(0.5, gt=0, le=1000, allow_inf_nan=False, strict=True, json_schema_extra={"unit": "W"},
                         description="Power the hot spot dissipates on top of its share of the uniform rest, W "
                         "(from 0 W exclusive); all spots together at most `thermal.power`.")
    chip: int = Field(0, ge=0, le=100, strict=True, description="Which chip site carries the spot, an index in "
                      "the recipe's site order (0: the first chip; no unit).")


class ThermalChoices(Model):
    """Choices of the thermal analysis (issue 17: the 3D solve and the first-order network); no geometry depends
    on them."""

    substrate_planes: int = Field(2, ge=0, le=20, strict=True, description="Solid copper planes inside the "
                                  "substrate laminate, a count (0: plain laminate): they raise its in-plane "
                                  "conductivity by the parallel rule and its through-plane one by the series rule.")
    plane_thickness: Length = Field(0.018, description="Thickness of each substrate copper plane, mm (0.018: "
                                    "half-ounce copper); all planes together stay under the substrate thickness.")
    solve: bool = Field(False, strict=True, description="Whether the design report and sweeps run the 3D solve "
                        "(theta_jc_KW, theta_jb_KW, theta_ja_KW, psi_jt_KW; some 10 s to minutes per design), no "
                        "unit; `pkgcad thermal` always does.")
    mesh: Length = Field(0.2, le=5.0, description="Largest element edge in x-y over the package in the 3D solve, "
                         "mm (0.2, graded towards box edges: on fc-basic and cavity-equal theta_jc within 1 % and the "
                         "board figures within 0.8-1.9 % of a mesh twice as fine; coarser is faster and reads "
                         "theta_jb and theta_ja low); `pkgcad thermal --mesh` overrides it.")
    power: float = Field(1.0, gt=0, le=1000, allow_inf_nan=False, strict=True, json_schema_extra={"unit": "W"},
                         description="Total power dissipated at the junction (chip active faces) in the 3D solve, W "
                         "(from 0 W exclusive; the resistances do not depend on it, the temperature pictures do).")
    hot_spots: tuple[HotSpot, ...] = Field((), max_length=50, description="The power map: rectangular hot spots on "
                                           "the chips' active faces, each `power` W on top of the rest of "
                                           "`thermal.power` spread uniformly over all chip faces (no unit; empty: "
                                           "the whole power uniform).")

    @model_validator(mode="after")
    def _power_map(self) -> ThermalChoices:
        total = sum(s.power for s in self.hot_spots)
        if total > self.power * (1 + 1e-12):
            fail("hot_spots", total, f"W in all must not exceed thermal.power {fmt(self.power)} W")
        return self


class BallPads(Model):
    """Copper pads on the substrate's ball side (z = 0), one under each solder ball, on the ball layout (mm)."""

    diameter: Length = Field(0.5, description="Pad diameter, mm: below the ball pitch and at least the ball's flat "
                             "contact.")
    thickness: Length = Field(0.02, description="Pad thickness, mm: the pads hang below the ball-side surface, from "
                              "z = -thickness to z = 0.")
    material: MaterialName = Field("Cu", description="Pad metal, a material name.")


class SolderBalls(Grid):
    """Solder balls after reflow: a sphere of ``diameter`` cut flat at the pad, ``height`` from pad to apex (the
    stand-off), mm. ``diameter_spread`` is the standard deviation of each ball's diameter, drawn from the design
    seed; a ball's height scales with its diameter."""

    pitch: Length = Field(1.0, description="Ball pitch, centre to centre along x and y, mm; the array is centred "
                          "on the substrate (x = y = 0).")
    count_x: Count = Field(10, description="Ball columns along x, a count.")
    count_y: Count = Field(10, description="Ball rows along y, a count.")
    diameter: Length = Field(0.6, description="Diameter of the ball's sphere, mm.")
    height: Length = Field(0.5, description="Stand-off of a reflowed ball, from its flat contact on the pad to its "
                           "apex, mm: between half the diameter and the diameter.")
    diameter_spread: Spread = Field(0.0, description="Standard deviation of each ball's diameter, mm (0: all "
                                    "nominal), drawn from the design seed; a ball's height scales with it.")
    material: MaterialName = Field("SAC305", description="Solder alloy, a material name.")

    @model_validator(mode="after")
    def _ball_rules(self) -> SolderBalls:
        if self.is_rectangular and self.pitch_x is None and self.pitch_y is None:
            if self.pitch <= self.diameter + 3 * self.diameter_spread:
                fail("pitch", self.pitch, f"must be larger than the diameter {fmt(self.diameter)} (plus 3 x "
                     f"diameter_spread {fmt(self.diameter_spread)}) or neighbouring balls overlap")
        else:
            check_spacing(self, self.diameter + 3 * self.diameter_spread, f"the diameter {fmt(self.diameter)} (plus "
                          f"3 x diameter_spread {fmt(self.diameter_spread)})")
        if 3 * self.diameter_spread >= self.diameter / 2:
            fail("diameter_spread", self.diameter_spread, f"x 3 must stay below half the diameter "
                 f"{fmt(self.diameter)}")
        if not self.diameter / 2 < self.height < self.diameter:
            fail("height", self.height, f"must lie between half the diameter and the diameter "
                 f"({fmt(self.diameter / 2)}, {fmt(self.diameter)}) for a reflowed ball on a pad")
        return self

    def contact_radius(self) -> float:
        """Radius (mm) of the ball's flat contact with its pad (the largest, with 3 sigma of spread)."""
        k = 1 + 3 * self.diameter_spread / self.diameter
        r, h = self.diameter / 2 * k, self.height * k
        return math.sqrt(r * r - (h - r) ** 2)

    def volume(self) -> float:
        """Volume (mm3) of one nominal ball: a sphere cap of height ``height``."""
        r, h = self.diameter / 2, self.height
        return math.pi * h * h * (3 * r - h) / 3

    def diameters(self, seed: int) -> np.ndarray:
        """Diameter of every ball (mm), in :meth:`positions` order; the height scales with it (similar caps)."""
        return sampled(self.diameter, self.diameter_spread, self.count, seed, 2)

    def row_plane_y(self) -> float:
        """y (mm) of the ball row nearest the array's centre: the ``balls`` section plane."""
        ys = np.unique(np.round(np.asarray(self.positions())[:, 1], 9))
        return float(ys[np.argmin(np.abs(ys))])


def pads_cover_balls(pads: BallPads, balls: SolderBalls, section: str, balls_section: str) -> None:
    """Each pad fits between balls and carries a ball's whole contact (the rule of both flows' ball pads);
    messages name the recipe's sections ``section`` and ``balls_section``."""
    if pads.diameter >= balls.spacing:
        gap = f"{balls_section}.pitch {fmt(balls.pitch)}" if balls.spacing == balls.pitch else \
            f"the closest ball spacing {balls.spacing:.4g} mm"
        fail(f"{section}.diameter", pads.diameter, f"must be below {gap}")
    if pads.diameter + 1e-9 < 2 * balls.contact_radius():
        fail(f"{section}.diameter", pads.diameter, f"must cover the ball's contact, diameter "
             f"{2 * balls.contact_radius():.4g}")
