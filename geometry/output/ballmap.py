"""The ball map of a package: a bottom-view drawing of every ball with its JEDEC name, the A1 corner marked, as an
outline drawing shows it (JEDEC Publication 95, bottom view: the package turned over about its y axis, so the
drawing's x is the package's -x).

matplotlib is imported only when drawing (an optional heavy import), on its Agg canvas; the figure is saved
through :func:`geometry.output.files.write_figure`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.jedec import BallMap
from .files import write_figure

LABEL_LIMIT = 600
"""Balls up to this count are each labelled with their name; larger maps label the row letters and column numbers
along the edges."""


def ball_map_figure(balls: BallMap, title: str, dpi: int = 150):
    """The bottom-view ball map (a matplotlib Figure on the Agg canvas): body outline, one circle per ball at its
    diameter, names (or edge letters and numbers for large maps), a filled triangle at the A1 corner."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, Polygon, Rectangle

    e, d = balls.body
    side = 7.0
    fig = Figure(figsize=(side, side * d / e + 0.6), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.add_patch(Rectangle((-e / 2, -d / 2), e, d, facecolor="#2e7d32", alpha=0.15, edgecolor="0.2", lw=1.0,
                           gid="body"))
    x, y = -balls.centres[:, 0], balls.centres[:, 1]
    for xi, yi, name in zip(x, y, balls.names, strict=True):
        ax.add_patch(Circle((xi, yi), balls.diameter / 2, facecolor="0.78", edgecolor="0.35", lw=0.4,
                            gid=f"ball:{name}"))
    size = max(2.0, min(7.0, 0.55 * balls.diameter * 72 * side / e))
    if len(balls.names) <= LABEL_LIMIT:
        for xi, yi, name in zip(x, y, balls.names, strict=True):
            ax.text(xi, yi, name, ha="center", va="center", fontsize=size, gid=f"label:{name}")
    else:
        _edge_labels(ax, x, y, balls.names, e, d)
    a1 = balls.names.index("A1") if "A1" in balls.names else None
    if a1 is not None:
        cx, cy = np.sign(x[a1]) * e / 2, np.sign(y[a1]) * d / 2
        t = 0.06 * min(e, d)
        ax.add_patch(Polygon([(cx, cy), (cx - np.sign(cx) * t, cy), (cx, cy - np.sign(cy) * t)], closed=True,
                             facecolor="0.1", gid="a1-marker"))
    ax.set_xlim(-e / 2 * 1.04, e / 2 * 1.04)
    ax.set_ylim(-d / 2 * 1.04, d / 2 * 1.04)
    ax.set_aspect("equal")
    ax.set_xlabel("x, bottom view (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_title(f"{title}: ball map, bottom view ({len(balls.names)} balls)", fontsize=9)
    return fig


def _edge_labels(ax, x: np.ndarray, y: np.ndarray, names: tuple[str, ...], e: float, d: float) -> None:
    """Row letters left of the array and column numbers above it (one per distinct line)."""
    rows: dict[str, float] = {}
    cols: dict[str, float] = {}
    for xi, yi, name in zip(x, y, names, strict=True):
        letters = name.rstrip("0123456789")
        rows.setdefault(letters, yi)
        cols.setdefault(name[len(letters):], xi)
    for letters, yi in rows.items():
        ax.text(-e / 2 * 1.02, yi, letters, ha="right", va="center", fontsize=4)
    for number, xi in cols.items():
        ax.text(xi, d / 2 * 1.01, number, ha="center", va="bottom", fontsize=4, rotation=90)


def write_ball_map(balls: BallMap, title: str, path: Path | str, dpi: int = 150) -> Path:
    """Draw the ball map and save it (PNG or SVG by suffix) atomically."""
    return write_figure(ball_map_figure(balls, title, dpi), path, dpi)
