"""The JEDEC 2s2p (high effective thermal conductivity) thermal test board as boxes for :mod:`.fem` (mm).

Realises the board of JESD51-7 in its area-array form, JESD51-9 (the board these standards prescribe for the
theta_JA of JESD51-2/-6 and, under a ring cold plate, the theta_JB of JESD51-8), with its published figures as
defaults:

* outline 101.5 mm x 114.5 mm (+/- 0.25 mm), JESD51-9 Table 1, for packages up to 40 mm on a side
  (JESD51-7, the leaded-package board, has its own outline). The package is centred in the 101.5 mm x
  101.5 mm section away from the edge connector (JESD51-9 5.1), so here the package centre is the origin and
  the board spans x in [-50.75, 50.75], y in [-63.75, 50.75] (the extra 13 mm is the connector end, at -y);
* finished thickness 1.60 mm FR-4, z from 0 (bottom face) to 1.60 (top face, the package seating plane);
* two signal layers, top and bottom, 0.070 mm (2 oz) copper: modelled as FR-4, since their fan-out traces
  cover a small and layout-dependent fraction of the layer; only the package's land pads
  (:func:`land_pattern`) are copper there;
* two solid buried planes of 0.035 mm (1 oz) copper, the near face of each 0.5 mm from its board surface
  (the 0.5 mm dielectric of the JESD51-7/-9 2s2p cross-section), stopping 1 mm short of the board edges
  (the "power/ground space to PCB edge" of the JESD51-9/-11 data tables).

Conductivities: FR-4 0.81 W/(m.K) in-plane and 0.29 through-plane, measured by Azar and Graebner,
"Experimental determination of thermal conductivity of printed wiring boards", Proc. 12th IEEE SEMI-THERM
(1996); copper 398 W/(m.K) (commercial OFHC copper; CRC Handbook gives 401 for pure copper at 300 K).
Thermal vias, the edge connector and the solder mask are not modelled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .model import Box

FR4_K = (0.81, 0.81, 0.29)
"""FR-4 (kx, ky, kz) in W/(m.K): Azar and Graebner, IEEE SEMI-THERM 1996."""

COPPER_K = 398.0
"""Copper, W/(m.K): commercial OFHC copper (CRC Handbook: 401 for pure copper at 300 K)."""


@dataclass(frozen=True)
class Board2s2p:
    """A 2s2p test board (mm); defaults are the JESD51-7/-9 figures (module docstring).

    ``width`` along x, ``length`` along y; the package centre (the origin) is on the board's centre line
    x = 0, ``section / 2`` from the far edge (y = section / 2), as in the square section of JESD51-9;
    ``plane_depth`` is the dielectric between each board surface and the near face of its buried plane;
    ``plane_inset`` the planes' setback from the board edges."""

    width: float = 101.5
    length: float = 114.5
    section: float = 101.5
    thickness: float = 1.60
    signal: float = 0.070
    plane: float = 0.035
    plane_depth: float = 0.5
    plane_inset: float = 1.0
    fr4_k: tuple[float, float, float] = FR4_K
    copper_k: float = COPPER_K

    def __post_init__(self) -> None:
        if min(self.width, self.length, self.thickness, self.signal, self.plane, self.plane_depth) <= 0:
            raise ValueError("board dimensions must be positive")
        if self.section > self.length:
            raise ValueError("the package section must fit the board length")
        if self.plane_depth < self.signal or 2 * (self.plane_depth + self.plane) >= self.thickness:
            raise ValueError("the buried planes must lie below the signal layers and not overlap")
        if 2 * self.plane_inset >= min(self.width, self.length) or self.plane_inset < 0:
            raise ValueError("plane inset too large")

    @property
    def outline(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the board in mm, the package centre at the origin."""
        half = self.section / 2
        return (-self.width / 2, half - self.length, self.width / 2, half)

    def layers(self) -> dict[str, tuple[float, float]]:
        """z range (z0, z1) in mm of each copper layer, bottom to top."""
        t, s, p, d = self.thickness, self.signal, self.plane, self.plane_depth
        return {
            "bottom_signal": (0.0, s),
            "plane_2": (d, d + p),
            "plane_1": (t - d - p, t - d),
            "top_signal": (t - s, t),
        }


def board_boxes(board: Board2s2p = Board2s2p(), mesh_size: float | None = None) -> list[Box]:
    """The board as boxes: the FR-4 laminate, the two signal layers (FR-4, named so that their temperatures
    are reported) and the two copper planes; ``mesh_size`` (mm) optionally caps the element edge over the
    whole board (all three axes)."""
    x0, y0, x1, y1 = board.outline
    layers = board.layers()
    boxes = [Box("board", "FR-4", (x0, y0, 0.0), (x1, y1, board.thickness), board.fr4_k, mesh_size=mesh_size)]
    for name in ("bottom_signal", "top_signal"):
        z0, z1 = layers[name]
        boxes.append(Box(name, "FR-4", (x0, y0, z0), (x1, y1, z1), board.fr4_k))
    e = board.plane_inset
    for name in ("plane_2", "plane_1"):
        z0, z1 = layers[name]
        boxes.append(Box(name, "Cu", (x0 + e, y0 + e, z0), (x1 - e, y1 - e, z1), board.copper_k))
    return boxes


def land_pattern(ball_xy: Sequence[tuple[float, float]] | np.ndarray, pad_diameter: float,
                 board: Board2s2p = Board2s2p(), name: str = "land_pad") -> list[Box]:
    """Copper land pads under the balls at ``ball_xy`` (mm, board coordinates: package centre at the origin),
    in the top signal layer. Each round pad of ``pad_diameter`` mm is a square of equal area (side
    ``d sqrt(pi) / 2``), which keeps the pad's conduction area; overlapping pads merge (both copper)."""
    if pad_diameter <= 0:
        raise ValueError("pad diameter must be positive")
    points = np.asarray(ball_xy, dtype=float).reshape(-1, 2)
    half = pad_diameter * math.sqrt(math.pi) / 4
    z0, z1 = board.layers()["top_signal"]
    x0, y0, x1, y1 = board.outline
    if (points[:, 0] - half < x0).any() or (points[:, 0] + half > x1).any() \
            or (points[:, 1] - half < y0).any() or (points[:, 1] + half > y1).any():
        raise ValueError("a land pad lies outside the board")
    return [Box(name, "Cu", (x - half, y - half, z0), (x + half, y + half, z1), board.copper_k)
            for x, y in points]


def ball_grid(pitch: float, count_x: int, count_y: int,
              depopulated: Sequence[tuple[int, int]] = ()) -> np.ndarray:
    """(n, 2) ball centres (mm) of a full ``count_x`` x ``count_y`` array of ``pitch`` centred on the origin,
    less the (column, row) positions in ``depopulated``."""
    skip = set(depopulated)
    return np.array([((i - (count_x - 1) / 2) * pitch, (j - (count_y - 1) / 2) * pitch)
                     for j in range(count_y) for i in range(count_x) if (i, j) not in skip])
