"""How flip-chip packages are drawn: the labelled z-levels of their sections and their named section planes (mm)."""

from __future__ import annotations

import numpy as np

from ...core.flow import Build, Views
from ...core.jedec import BallMap
from ...measure.outline import Outline, ball_outline
from . import names as n
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


def outline(build: Build) -> Outline:
    """The JEDEC-style outline numbers of the finished package (mm): body from the substrate, balls as designed."""
    b = build.design.solder_balls
    lattice = ((b.lattice_x, b.lattice_y), (b.count_x, b.count_y)) if b.is_lattice else (None, None)
    return ball_outline(build.stack, n.SOLDER_BALLS, n.SUBSTRATE, b.diameter, b.pitch, pitch_xy=lattice[0],
                        matrix=lattice[1])


def ball_map(design) -> BallMap:
    """The balls with their JEDEC names (A1 at ``solder_balls.a1_corner``) and nets, on the substrate's outline."""
    b, s = design.solder_balls, design.substrate
    return BallMap(b.positions(), b.names(), b.diameter, (s.width, s.length), b.nets())


PLANES = {"centre": lambda d: 0.0, "row": bump_row, "balls": lambda d: d.solder_balls.row_plane_y()}
"""Section planes by name: the y (mm) of each (normal +y)."""

VIEWS = Views(levels, PLANES, ball_map)
"""Section planes: ``centre`` through the package centre, ``row`` through the first bump row, ``balls`` through
the ball row nearest the centre. Balls are named by :func:`ball_map`."""
