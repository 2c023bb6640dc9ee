"""Bond-wire layout of the cavity flow in plan (mm): one wire from each die pad to its finger, sites along the four
sides, and the test that no two wires cross in plan view."""

from __future__ import annotations

import math

import numpy as np

from ...core.params import Model


class WirePlan(Model):
    """One wire, as laid out in plan and height (mm): from the ball top on its die pad to its finger."""

    start: tuple[float, float, float]
    end: tuple[float, float, float]
    side: int

    @property
    def span(self) -> float:
        return math.hypot(self.end[0] - self.start[0], self.end[1] - self.start[1])

    @property
    def azimuth(self) -> float:
        return math.atan2(self.end[1] - self.start[1], self.end[0] - self.start[0])



def on_side(side: int, along: np.ndarray, out: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """Points ``along`` a side at distance ``out`` from (cx, cy); side 0 is +y, then counter-clockwise."""
    c, s = [(0, 1), (-1, 0), (0, -1), (1, 0)][side]
    x = cx + out * c - along * s
    y = cy + out * s + along * c
    return np.column_stack([x, y, np.full_like(x, side)])


def crossing(wires: list[WirePlan]) -> tuple[int, int] | None:
    """The first pair of wires whose plan-view segments cross, or None."""
    a = np.array([w.start[:2] for w in wires])
    b = np.array([w.end[:2] for w in wires])

    def orient(p, q, r):
        return np.sign((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                       - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))

    i, j = np.triu_indices(len(wires), 1)
    o1 = orient(a[i], b[i], a[j])
    o2 = orient(a[i], b[i], b[j])
    o3 = orient(a[j], b[j], a[i])
    o4 = orient(a[j], b[j], b[i])
    hit = (o1 * o2 < 0) & (o3 * o4 < 0)
    if hit.any():
        k = int(np.flatnonzero(hit)[0])
        return int(i[k]), int(j[k])
    return None
