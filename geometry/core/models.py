"""Models both flows share, in mm: grids of array sites, footprints, the substrate, pads and solder balls.

A flow uses them as they are or subclasses one only to give it other defaults (its own sizes); the fields, rules
and geometry of each exist once, here.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import model_validator

from .params import (
    MAX_ARRAY_MEMBERS,
    Count,
    DesignName,
    Length,
    MaterialName,
    Model,
    Seed,
    Spread,
    fail,
    fmt,
    sampled,
)


class DesignBase(Model):
    """Base of every flow's design model: the design's name (it names the output folder), its flow (each flow
    narrows it to its own name), a free description, and the seed of its member-to-member variation."""

    name: DesignName
    flow: str
    description: str = ""
    seed: Seed = 0


class Grid(Model):
    """A rectangular array on a square pitch, centred on its owner; ``perimeter`` keeps only the outer ``rows``
    columns on the left and right and the outer ``rows_y`` (default ``rows``) rows at the top and bottom."""

    pitch: Length
    count_x: Count
    count_y: Count
    layout: Literal["full", "perimeter"] = "full"
    rows: Count | None = None
    rows_y: Count | None = None

    @model_validator(mode="after")
    def _grid_rules(self) -> Grid:
        if self.layout == "perimeter":
            if self.rows is None:
                fail("rows", None, 'is required when layout is "perimeter"')
            if 2 * self.rows >= self.count_x:
                fail("rows", self.rows, f"must leave an empty centre: 2 x rows < count_x {self.count_x}")
            if 2 * self.depth_y >= self.count_y:
                fail("rows_y", self.depth_y, f"must leave an empty centre: 2 x rows_y < count_y {self.count_y}")
        if self.count_x * self.count_y > MAX_ARRAY_MEMBERS:
            fail("count_x", self.count_x, f"x count_y {self.count_y} = {self.count_x * self.count_y} members "
                 f"exceeds the limit of {MAX_ARRAY_MEMBERS}")
        return self

    @property
    def depth_y(self) -> int:
        """Rows kept at the top and bottom of a perimeter layout."""
        return self.rows if self.rows_y is None else self.rows_y

    @property
    def span_x(self) -> float:
        """Centre-to-centre extent of the grid along x (mm)."""
        return (self.count_x - 1) * self.pitch

    @property
    def span_y(self) -> float:
        return (self.count_y - 1) * self.pitch

    def sites(self) -> np.ndarray:
        """(count_x * count_y, 2) centres of every grid site, row-major, centred on (0, 0) (mm)."""
        xs = (np.arange(self.count_x) - (self.count_x - 1) / 2) * self.pitch
        ys = (np.arange(self.count_y) - (self.count_y - 1) / 2) * self.pitch
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])

    def populated(self) -> np.ndarray:
        """Boolean mask over :meth:`sites`: True where a member sits."""
        if self.layout == "full":
            return np.ones(self.count_x * self.count_y, dtype=bool)
        i, j = np.meshgrid(np.arange(self.count_x), np.arange(self.count_y))
        r, ry = self.rows, self.depth_y
        edge = (i < r) | (j < ry) | (i >= self.count_x - r) | (j >= self.count_y - ry)
        return edge.ravel()

    def positions(self) -> np.ndarray:
        """(N, 2) centres of the members (mm)."""
        return self.sites()[self.populated()]

    @property
    def count(self) -> int:
        return int(self.populated().sum())


class Rect(Model):
    """A centred rectangular footprint (mm)."""

    width: Length
    length: Length


class Substrate(Model):
    """Laminate substrate, ``width`` x ``length`` centred on the origin, ``thickness`` from z = 0 up (mm)."""

    width: Length = 12.0
    length: Length = 12.0
    thickness: Length = 0.56
    material: MaterialName = "BT"


class BallPads(Model):
    """Copper ball pads on the substrate's ball side, one per solder ball (mm)."""

    diameter: Length = 0.5
    thickness: Length = 0.02
    material: MaterialName = "Cu"


class SolderBalls(Grid):
    """Solder balls after reflow: a sphere of ``diameter`` cut flat at the pad, ``height`` from pad to apex (the
    stand-off), mm. ``diameter_spread`` is the standard deviation of each ball's diameter, drawn from the design
    seed; a ball's height scales with its diameter."""

    pitch: Length = 1.0
    count_x: Count = 10
    count_y: Count = 10
    diameter: Length = 0.6
    height: Length = 0.5
    diameter_spread: Spread = 0.0
    material: MaterialName = "SAC305"

    @model_validator(mode="after")
    def _ball_rules(self) -> SolderBalls:
        if self.pitch <= self.diameter + 3 * self.diameter_spread:
            fail("pitch", self.pitch, f"must be larger than the diameter {fmt(self.diameter)} (plus 3 x "
                 f"diameter_spread {fmt(self.diameter_spread)}) or neighbouring balls overlap")
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
    if pads.diameter >= balls.pitch:
        fail(f"{section}.diameter", pads.diameter, f"must be below {balls_section}.pitch {fmt(balls.pitch)}")
    if pads.diameter + 1e-9 < 2 * balls.contact_radius():
        fail(f"{section}.diameter", pads.diameter, f"must cover the ball's contact, diameter "
             f"{2 * balls.contact_radius():.4g}")
