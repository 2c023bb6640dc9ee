"""How cavity packages are drawn: the labelled z-levels of their sections and their named section planes (mm)."""

from __future__ import annotations

import numpy as np

from ...core.flow import Views
from .params import CavityDesign

LEVELS = ("z_top", "z_floor", "z_die_top", "z_mold_top", "z_seating_plane")
"""Design attributes drawn as labelled levels: substrate top, cavity floor (slice top), die top, mold top, seating
plane."""


def levels(d: CavityDesign) -> dict[str, float]:
    """The labelled z-levels of ``d`` (name -> z, mm)."""
    return {k: float(getattr(d, k)) for k in LEVELS}


def pad_row(d: CavityDesign) -> float:
    """y (mm) of the row of side-0 die pads (and the ball bonds of their wires)."""
    pads = np.asarray(d.die_pad_sites())
    return float(pads[pads[:, 2] == 0][0, 1])


VIEWS = Views(levels, {"centre": lambda d: 0.0, "row": pad_row, "balls": lambda d: d.solder_balls.row_plane_y()})
"""Section planes: ``centre`` through the package centre, ``row`` through the side-0 die pads, ``balls`` through
the ball row nearest the centre."""
