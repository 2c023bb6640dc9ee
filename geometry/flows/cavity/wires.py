"""Bond-wire layout of the cavity flow in plan (mm): die pads and bond fingers along the four sides, one wire from
each pad to its finger on one or two rings (tiers), each wire's stitch on its finger, and the test that no two
wires cross in plan view (claim 1: bond wires between the die top and the substrate top).

Sides are numbered 0 (+y), 1 (-x), 2 (-y), 3 (+x), counter-clockwise seen from above; the pads of a side are
numbered counter-clockwise too, from the side's clockwise end (side 0 runs from +x to -x). With two tiers the even
pads of each side (0, 2, ...) go to the inner ring, the odd ones to the outer ring.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ...core.params import Model

if TYPE_CHECKING:
    from .params import CavityDesign

DIRECTIONS = ((0, 1), (-1, 0), (0, -1), (1, 0))
"""Outward unit vector (x, y) of each side: 0 +y, 1 -x, 2 -y, 3 +x."""


class WirePlan(Model):
    """One wire, as laid out in plan and height (mm): from the ball top on its die pad to its finger (the heel of its
    stitch), on ``side`` (0 +y, 1 -x, 2 -y, 3 +x) and ``tier`` (0 inner ring, 1 outer ring)."""

    start: tuple[float, float, float]
    end: tuple[float, float, float]
    side: int
    tier: int = 0

    @property
    def span(self) -> float:
        return math.hypot(self.end[0] - self.start[0], self.end[1] - self.start[1])

    @property
    def azimuth(self) -> float:
        return math.atan2(self.end[1] - self.start[1], self.end[0] - self.start[0])


def on_side(side: int, along: np.ndarray, out: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """Points ``along`` a side at distance ``out`` from (cx, cy); side 0 is +y, then counter-clockwise."""
    c, s = DIRECTIONS[side]
    x = cx + out * c - along * s
    y = cy + out * s + along * c
    return np.column_stack([x, y, np.full_like(x, side)])


def die_half(d: CavityDesign, side: int) -> float:
    """Distance (mm) from the die's centre to its edge on ``side``."""
    return (d.die.length if side in (0, 2) else d.die.width) / 2


def side_length(d: CavityDesign, side: int) -> float:
    """Length (mm) of the die edge on ``side``: the die's width for sides 0 and 2, its length for sides 1 and 3."""
    return d.die.width if side in (0, 2) else d.die.length


def facing_edge(d: CavityDesign, side: int) -> float:
    """Distance (mm) from the opening centre to the edge the fingers of ``side`` face: the die's (over the
    opening) or the opening's (die inside it)."""
    if d.die.placement == "over":
        return die_half(d, side)
    return (d.opening.length if side in (0, 2) else d.opening.width) / 2


def ring_start(d: CavityDesign, side: int, tier: int = 0) -> float:
    """Distance (mm) from the opening centre to the inner ends of the fingers of ``side`` on ring ``tier``."""
    f = d.bond_fingers
    return facing_edge(d, side) + f.gap + tier * f.tier_gap


def tiers_of(d: CavityDesign, count: int) -> np.ndarray:
    """Tier (0 inner, 1 outer) of each of ``count`` pads of a side: all 0 with one ring, even pads 0 and odd pads 1
    with two."""
    k = np.arange(count)
    return k % 2 if d.bond_fingers.tiers == 2 else np.zeros(count, dtype=int)


def side_layout(d: CavityDesign, side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Along-side positions (mm, from the side's centre) of the pads and fingers of ``side``, the fingers' distance
    from the opening centre (centres, mm) and their tiers.

    Inner-ring fingers lie at ``bond_fingers.pitch`` spacing; an outer-ring finger lies on the line from its pad
    through the inner-ring position it would have, so that the wires of a side fan out without crossing."""
    die, f = d.die, d.bond_fingers
    n = die.pad_counts[side]
    k = np.arange(n) - (n - 1) / 2
    pad_along, pad_out = k * die.pad_pitch, die_half(d, side) - die.pad_inset
    inner_along, inner_out = k * f.pitch, ring_start(d, side) + f.length / 2
    tier = tiers_of(d, n)
    out = inner_out + tier * f.tier_gap
    along = pad_along + (inner_along - pad_along) * (out - pad_out) / (inner_out - pad_out)
    return pad_along, along, out, tier


def die_pad_sites(d: CavityDesign) -> np.ndarray:
    """(N, 3): x, y of every die pad centre and its side (0 +y, 1 -x, 2 -y, 3 +x), side by side (mm)."""
    cx, cy = d.opening_centre
    out = []
    for side in range(4):
        along = side_layout(d, side)[0]
        out.append(on_side(side, along, np.full_like(along, die_half(d, side) - d.die.pad_inset), cx, cy))
    return np.vstack(out)


def finger_sites(d: CavityDesign) -> np.ndarray:
    """(N, 4): x, y of every finger centre, its side and its tier (0 inner, 1 outer), in the order of the die pads
    (mm)."""
    cx, cy = d.opening_centre
    out = []
    for side in range(4):
        _, along, radial, tier = side_layout(d, side)
        out.append(np.column_stack([on_side(side, along, radial, cx, cy), tier]))
    return np.vstack(out)


def plan_wires(d: CavityDesign) -> list[WirePlan]:
    """Every wire, pad k to finger k: from the ball top to the finger top plus a wire radius (mm)."""
    pads, fingers = die_pad_sites(d), finger_sites(d)
    z0, z1 = d.z_wire_start, d.z_wire_end
    return [WirePlan(start=(p[0], p[1], z0), end=(f[0], f[1], z1), side=int(p[2]), tier=int(f[3]))
            for p, f in zip(pads, fingers, strict=True)]


def stitch_reach(d: CavityDesign, wires: list[WirePlan]) -> tuple[np.ndarray, np.ndarray]:
    """How far each wire's stitch reaches from its finger's centre (mm): along the finger (outwards) and across it.

    The stitch is a ``stitch_length`` x ``stitch_width`` rectangle in plan from its heel at the finger centre along
    the wire's azimuth, which makes an angle with the finger's axis (the side's outward normal) where wires fan
    out."""
    length, width, _ = d.bond_wires.stitch_size
    normal = np.array([w.side for w in wires]) * math.pi / 2 + math.pi / 2
    tilt = np.abs(np.angle(np.exp(1j * (np.array([w.azimuth for w in wires]) - normal))))
    return (length * np.cos(tilt) + width / 2 * np.sin(tilt), length * np.sin(tilt) + width / 2 * np.cos(tilt))


def crossing(wires: list[WirePlan]) -> tuple[int, int] | None:
    """The first pair (i < j, lowest i, then lowest j) of wires whose plan-view segments cross, or None. Only pairs
    whose midpoints lie within the longest wire's span of each other can cross, so those alone are tested (found
    with a k-d tree): linear in the wires of a real die, where testing every pair of 4,000 wires took 15 s and
    1.4 GB. scipy.spatial is imported here, when the test runs, not with the cavity flow's models that every
    recipe's validation loads."""
    if len(wires) < 2:
        return None
    a = np.array([w.start[:2] for w in wires])
    b = np.array([w.end[:2] for w in wires])

    def orient(p, q, r):
        return np.sign((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                       - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))

    from scipy.spatial import cKDTree

    reach = float(np.hypot(*(b - a).T).max())
    pairs = cKDTree((a + b) / 2).query_pairs(reach * (1 + 1e-9) + 1e-12, output_type="ndarray")
    if not len(pairs):
        return None
    i, j = pairs[:, 0], pairs[:, 1]
    o1 = orient(a[i], b[i], a[j])
    o2 = orient(a[i], b[i], b[j])
    o3 = orient(a[j], b[j], a[i])
    o4 = orient(a[j], b[j], b[i])
    hit = (o1 * o2 < 0) & (o3 * o4 < 0)
    if hit.any():
        k = np.flatnonzero(hit)
        first = k[np.lexsort((j[k], i[k]))[0]]
        return int(i[first]), int(j[first])
    return None
