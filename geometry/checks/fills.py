"""Checks of attachment and filling: bodies resting on each other, a continuous thermal path, gaps and openings
filled, a slug clear of the seating plane (mm, mm2, mm3)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import cadquery as cq
import numpy as np

from ..core import occ
from ..core.results import Z_TOL, CheckResult
from ..core.stack import Stack
from ..measure.contacts import CONTACT_D, contact, side_contact, void_volume
from ..measure.members import member_label

VOID_LIMIT = 1e-6
"""Largest unfilled volume (mm3) accepted where a claim says a region is filled."""


def attached(stack: Stack, name: str, chain: Sequence[str], d: float = CONTACT_D, claim: str = "") -> CheckResult:
    """Each body of ``chain`` rests on (or carries) the next through horizontal face contact (:func:`contact`).
    Value: the smallest contact area along the chain (mm2), must be positive."""
    areas = [contact(stack, a, b, d) for a, b in itertools.pairwise(chain)]
    k = int(np.argmin(areas))
    value = float(areas[k])
    ok = value > 1e-9
    steps = ", ".join(f"{a}/{b} {x:.6g} mm2" for (a, b), x in zip(itertools.pairwise(chain), areas, strict=True))
    return CheckResult(name, claim, value, 0.0, "mm2", ok, "" if ok else f"{chain[k]} does not touch {chain[k + 1]}",
                       steps)


def thermal_path(stack: Stack, name: str, source: str, sink: str, via: Sequence[str] = (), d: float = CONTACT_D,
                 claim: str = "") -> CheckResult:
    """A continuous solid path from ``source`` to ``sink`` through ``via`` bodies in horizontal face contact.

    Contact areas between every pair of the bodies (:func:`contact`); the path chosen maximises its narrowest
    contact (widest path). Value: that narrowest contact (mm2), must be positive; the detail gives the path, its
    contacts and the source footprint for comparison.
    """
    nodes = [source, *(v for v in via if v in stack and v not in (source, sink)), sink]
    w = {}
    for a, b in itertools.combinations(nodes, 2):
        w[a, b] = w[b, a] = contact(stack, a, b, d)
    width, prev, done = {source: math.inf}, {}, set()
    while True:
        open_ = [(x, n) for n, x in width.items() if n not in done]
        if not open_:
            break
        x, n = max(open_)
        done.add(n)
        if n == sink:
            break
        for m in nodes:
            if m not in done and m != n and min(x, w[n, m]) > max(width.get(m, 0.0), 1e-9):
                width[m], prev[m] = min(x, w[n, m]), n
    sb = stack[source].bounds()
    foot = float((sb[3] - sb[0]) * (sb[4] - sb[1]))
    if sink not in prev:
        touching = ", ".join(f"{a}/{b} {x:.4g}" for (a, b), x in w.items() if a < b and x > 0) or "none"
        return CheckResult(name, claim, 0.0, 0.0, "mm2", False, f"no contact path {source} -> {sink}",
                           f"contacts (mm2): {touching}; {source} footprint {foot:.6g} mm2")
    path = [sink]
    while path[-1] != source:
        path.append(prev[path[-1]])
    path.reverse()
    value = float(width[sink])
    hops = " -> ".join([path[0]] + [f"({w[a, b]:.6g} mm2) {b}" for a, b in itertools.pairwise(path)])
    return CheckResult(name, claim, value, 0.0, "mm2", True, "",
                       f"{hops}; {source} footprint {foot:.6g} mm2 (narrowest contact {value / foot:.3g} of it)")


def gap_filled(stack: Stack, name: str, opening: cq.Shape, chip: str, fill: str, wall: str, d: float = CONTACT_D,
               limit: float = VOID_LIMIT, claim: str = "") -> CheckResult:
    """The gap between ``chip`` and the wall of ``opening`` (a prism, mm) is filled with body ``fill``.

    Gap: the opening less the column over the chip's xy bounds. Value: the gap's volume that ``fill`` leaves empty
    (mm3, limit ``limit``). ``fill`` must also touch the chip's sides and the wall of ``wall`` (vertical contact
    areas, members moved by ``d`` along +-x and +-y).
    """
    cb, ob = stack[chip].bounds(), occ.bounds(opening)
    gap = occ.cut(opening, [occ.box(cb[0], cb[1], ob[2] - 1.0, cb[3], cb[4], ob[5] + 1.0)])
    present = fill in stack
    void = void_volume(gap, [stack[fill]] if present else [])
    a_chip = side_contact(stack[fill].shape(), stack[chip].shape(), d) if present else 0.0
    a_wall = side_contact(stack[fill].shape(), stack[wall].shape(), d) if present else 0.0
    faults = [f for f, bad in ((f"no {fill}", not present), (f"{fill} does not touch {chip}", present and a_chip <= 0),
                               (f"{fill} does not touch the {wall} wall", present and a_wall <= 0),
                               (f"{void:.4g} mm3 of the gap empty", void > limit)) if bad]
    return CheckResult(name, claim, void, limit, "mm3", not faults, "; ".join(faults),
                       f"gap {occ.volume(gap):.6g} mm3 between {chip} and the opening wall; {fill} contact with "
                       f"{chip} {a_chip:.6g} mm2, with the wall {a_wall:.6g} mm2")


def no_gap(stack: Stack, name: str, opening_box: np.ndarray, chip: str, fill: str, limit: float = 1e-6,
           claim: str = "") -> CheckResult:
    """The chip fills the opening wall to wall: largest distance (mm) between a chip side (its bounds) and the
    matching opening wall (``opening_box``, xy bounds of the opening), and no ``fill`` body."""
    cb = stack[chip].bounds()
    sides = np.abs([cb[0] - opening_box[0], opening_box[3] - cb[3], cb[1] - opening_box[1], opening_box[4] - cb[4]])
    value = float(sides.max())
    faults = [f for f, bad in ((f"{value:.4g} mm between {chip} and the opening wall", value > limit),
                               (f"a {fill} body where there is no gap", fill in stack)) if bad]
    return CheckResult(name, claim, value, limit, "mm", not faults, "; ".join(faults),
                       f"{chip} {cb[3] - cb[0]:.6g} x {cb[4] - cb[1]:.6g} mm, opening "
                       f"{opening_box[3] - opening_box[0]:.6g} x {opening_box[4] - opening_box[1]:.6g} mm (measured "
                       "from the substrate)")


def opening_filled(stack: Stack, name: str, opening: cq.Shape, fill: str, chip: str, limit: float = VOID_LIMIT,
                   claim: str = "") -> CheckResult:
    """The opening (a prism from the slice to the substrate top, mm) is filled with body ``fill`` under a ``chip``
    that covers it. Value: the opening's volume ``fill`` leaves empty (mm3); the chip's xy bounds must hold the
    opening's and its bottom must not be below the opening's top."""
    ob, cb = occ.bounds(opening), stack[chip].bounds()
    void = void_volume(opening, [stack[fill]])
    over = min(ob[0] - cb[0], cb[3] - ob[3], ob[1] - cb[1], cb[4] - ob[4])
    faults = [f for f, bad in ((f"{void:.4g} mm3 of the opening not filled by {fill}", void > limit),
                               (f"{chip} does not cover the opening ({over:.4g} mm)", over < -Z_TOL),
                               (f"{chip} bottom below the opening top", cb[2] < ob[5] - Z_TOL)) if bad]
    return CheckResult(name, claim, void, limit, "mm3", not faults, "; ".join(faults),
                       f"opening {occ.volume(opening):.6g} mm3 from z = {ob[2]:.6g} to {ob[5]:.6g}; {chip} overhangs "
                       f"it by {over:.6g} mm")


def slug_below_balls(stack: Stack, name: str, slug: str, balls: str, claim: str = "") -> CheckResult:
    """The slug is thinner than each ball is tall and stays above the seating plane.

    Slug thickness from its bounds; ball height from each member's bounds (pad contact to apex); seating plane at
    the lowest apex. Value: slug bottom less the seating plane (mm), must be positive; the thicknesses are in the
    detail.
    """
    sb, bb = stack[slug].bounds(), stack[balls].member_bounds()
    thick = float(sb[5] - sb[2])
    height = bb[:, 5] - bb[:, 2]
    seat = float(bb[:, 2].min())
    margin = float(sb[2] - seat)
    k = int(np.argmin(height))
    faults = [f for f, bad in (
        (f"{slug} bottom z = {sb[2]:.6g} is not above the seating plane z = {seat:.6g}", margin <= Z_TOL),
        (f"{slug} {thick:.6g} mm thick, not less than {member_label(stack[balls], k, bb[k, :2])} {height[k]:.6g} mm",
         thick >= float(height[k]) - Z_TOL)) if bad]
    return CheckResult(name, claim, margin, 0.0, "mm", not faults, "; ".join(faults),
                       f"{slug} thickness {thick:.6g} mm, smallest ball height {height[k]:.6g} mm; {slug} bottom "
                       f"z = {sb[2]:.6g}, seating plane z = {seat:.6g} mm")
