"""The outline numbers of a ball grid array as a JEDEC outline drawing gives them (mm), measured from the built
stack: body size E x D, overall height A, ball standoff A1, body thickness A2, ball pitch e, ball diameter b,
ball count and matrix, and the coplanarity limit the checks used (JEDEC Publication 95, Design Guide 4.5 for
BGA: the letters of the outline's dimension table).

Conventions: E is the body size along x and D along y (top view); A runs from the seating plane (taken at the
lowest ball apex) to the highest point of the package; A1 from the seating plane to the bottom of the substrate
(the package body the balls hang from); A2 = A - A1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..core.stack import Stack
from .seating import coplanarity_limit


@dataclass(frozen=True)
class Outline:
    """JEDEC-style outline dimensions (mm) and ball matrix of a BGA package; ``ccc`` is the coplanarity limit."""

    E: float
    D: float
    A: float
    A1: float
    A2: float
    e_x: float
    e_y: float
    b: float
    balls: int
    columns: int
    rows: int
    ccc: float

    def to_dict(self) -> dict:
        return {k: float(v) if isinstance(v, float) else v for k, v in asdict(self).items()}

    def table(self) -> list[tuple[str, str, str]]:
        """(symbol, value, meaning) rows, in the order of a JEDEC outline table."""
        pitch = f"{self.e_x:.4g}" if abs(self.e_x - self.e_y) < 1e-9 else f"{self.e_x:.4g} x {self.e_y:.4g}"
        return [("E", f"{self.E:.4g}", "body size along x (mm)"), ("D", f"{self.D:.4g}", "body size along y (mm)"),
                ("A", f"{self.A:.4g}", "overall height, seating plane to package top (mm)"),
                ("A1", f"{self.A1:.4g}", "ball standoff, seating plane to substrate bottom (mm)"),
                ("A2", f"{self.A2:.4g}", "body thickness, A - A1 (mm)"),
                ("e", pitch, "ball pitch, x and y (mm)"), ("b", f"{self.b:.4g}", "ball diameter (mm)"),
                ("n", str(self.balls), "ball count"),
                ("matrix", f"{self.columns} x {self.rows}", "columns x rows of the ball matrix"),
                ("ccc", f"{self.ccc:.4g}", "coplanarity limit used (mm)")]


def _axis_pitch(values: np.ndarray) -> float:
    """The smallest spacing of the distinct values of one axis (mm); 0 for a single line."""
    v = np.unique(np.round(values, 6))
    return float(np.diff(v).min()) if len(v) > 1 else 0.0


def ball_outline(stack: Stack, balls: str, substrate: str, ball_diameter: float, pitch: float | None = None,
                 ccc: float | None = None, pitch_xy: tuple[float, float] | None = None,
                 matrix: tuple[int, int] | None = None) -> Outline:
    """The :class:`Outline` of ``stack``: body from ``substrate``'s footprint, heights from every body's bounds,
    pitch and matrix from the ball members' centres unless the design gives them (``pitch_xy``, ``matrix`` =
    (columns, rows), e.g. for a staggered lattice), ``ccc`` from the pitch (:func:`coplanarity_limit`) unless
    given. ``ball_diameter`` (mm) is the nominal diameter of the design."""
    sb, all_b = stack[substrate].bounds(), stack.bounds()
    mb = stack[balls].member_bounds()
    centres = (mb[:, :2] + mb[:, 3:5]) / 2
    seat = float(mb[:, 2].min())
    e_x, e_y = pitch_xy if pitch_xy is not None else (_axis_pitch(centres[:, 0]), _axis_pitch(centres[:, 1]))
    nominal = pitch if pitch is not None else min(e for e in (e_x, e_y) if e > 0)
    columns, rows = matrix if matrix is not None else (len(np.unique(np.round(centres[:, 0], 6))),
                                                       len(np.unique(np.round(centres[:, 1], 6))))
    return Outline(E=float(sb[3] - sb[0]), D=float(sb[4] - sb[1]), A=float(all_b[5] - seat), A1=float(sb[2] - seat),
                   A2=float(all_b[5] - sb[2]), e_x=e_x or nominal, e_y=e_y or nominal, b=float(ball_diameter),
                   balls=len(mb), columns=columns, rows=rows,
                   ccc=float(coplanarity_limit(nominal) if ccc is None else ccc))
