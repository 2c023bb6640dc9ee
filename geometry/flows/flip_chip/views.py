"""How flip-chip packages are drawn: the labelled z-levels of their sections and their named section planes (mm)."""

from __future__ import annotations

import numpy as np

from ...core.flow import Views
from .params import FlipChipDesign

LEVELS = ("z_first_surface", "z_first_top", "z_chip_back", "z_mold_top", "z_seating_plane")
"""Design attributes drawn as labelled levels: first surface, first encapsulant top, chip back, mold top, seating
plane."""


def levels(d: FlipChipDesign) -> dict[str, float]:
    """The labelled z-levels of ``d`` (name -> z, mm)."""
    return {k: float(getattr(d, k)) for k in LEVELS}


def bump_row(d: FlipChipDesign) -> float:
    """y (mm) of the first row of bumps."""
    return float(np.min(np.asarray(d.bump_sites)[:, 1]))


VIEWS = Views(levels, {"centre": lambda d: 0.0, "row": bump_row, "balls": lambda d: d.solder_balls.row_plane_y()})
"""Section planes: ``centre`` through the package centre, ``row`` through the first bump row, ``balls`` through
the ball row nearest the centre."""
