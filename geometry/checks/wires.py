"""Checks of bond wires, measured from their centre lines: clear of other bodies, covered by the mold, connecting a
pad to a finger, clear of each other and of edges (mm).

A wire is one solid; the checks measure its pieces (:func:`~geometry.measure.tubes.constituents`): the swept loop
from its spine, the ball bond it starts on (the loop's spine starts at its top centre) and, where wires are
stitched, the stitch it ends on (the spine's end lies on its bounds); see :func:`wire_bonds`. Members in messages
are indexed over those pieces.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

from ..core.results import Z_TOL, CheckResult
from ..core.stack import Body, Stack
from ..measure.broad import box_pairs
from ..measure.contacts import member_contacts
from ..measure.faces import bodies_containing, flat_face
from ..measure.members import member_label
from ..measure.polylines import densify, polyline_gap
from ..measure.tubes import (
    Swept,
    constituents,
    member_boxes,
    solid_parts,
    surface_distances,
    swept_lines,
    tube_tops,
)

BOND_TOL = 1e-6
"""How near (mm) a loop's spine end must come to the bond it starts or ends on."""


def wire_bonds(body: Body, sw: Swept) -> tuple[Body | None, np.ndarray, np.ndarray]:
    """The solid members of a wire ``body`` (:func:`solid_parts`) and, for each of its loops, the index among them
    of the ball bond it starts on (its spine's first point at the bond's top centre) and of the bond it ends on (a
    stitch: its spine's last point within the bond's bounds, the nearest such bond in plan), -1 where there is
    none."""
    solids = solid_parts(body)
    n = len(sw.lines)
    if solids is None:
        return None, np.full(n, -1), np.full(n, -1)
    bb = solids.member_bounds()
    top = np.column_stack([(bb[:, :2] + bb[:, 3:5]) / 2, bb[:, 5]])
    dist, start = cKDTree(top).query(np.array([s[0] for s in sw.lines]))
    start = np.where(dist <= BOND_TOL, start, -1)
    end_pt = np.array([s[-1] for s in sw.lines])
    i, j = box_pairs(end_pt - BOND_TOL, end_pt + BOND_TOL, bb[:, :3], bb[:, 3:], strict=False)
    keep = j != start[i]
    i, j = i[keep], j[keep]
    gap = np.linalg.norm(end_pt[i, :2] - top[j, :2], axis=1)
    end = np.full(n, -1)
    best = np.full(n, np.inf)
    for a, b, g in zip(i.tolist(), j.tolist(), gap.tolist(), strict=True):
        if g < best[a]:
            best[a], end[a] = g, b
    return solids, start, end


def ball_bonds(body: Body, sw: Swept) -> Body | None:
    """The parts of ``body`` whose every member is a ball bond a loop starts on (:func:`wire_bonds`)."""
    solids, start, _ = wire_bonds(body, sw)
    if solids is None:
        return None
    is_ball = np.zeros(solids.count, bool)
    is_ball[start[start >= 0]] = True
    bounds = np.cumsum([0, *(p.count for p in solids.parts)])
    keep = {id(p) for p, a, b in zip(solids.parts, bounds[:-1], bounds[1:], strict=True) if is_ball[a:b].all()}
    return solids.map_parts(lambda p: [p] if id(p) in keep else [])


def tube_clearance(stack: Stack, name: str, tubes: str, claim: str = "") -> CheckResult:
    """Swept members of body ``tubes`` (wire loops) overlap no other body except the hosts that embed them.

    Every spine point is measured against the member surfaces of the other bodies within the tube radius plus the
    spine step (:func:`surface_distances`); a tube overlaps a member where its centre line comes nearer than its
    radius. A spine that enters a solid has a sample within half a step of its surface; one that lies wholly inside
    is caught by classifying its highest point. Value: the smallest surface gap (mm), centre-line distance less the
    radius, capped at one spine step (gaps beyond the reach are not measured); touching (a wire lying on its finger)
    passes, an overlap fails. Distances are unsigned, so a centre line that crosses into a body reads about minus
    the radius, whatever the depth. Members of ``tubes`` itself (ball bonds, other loops) are :func:`wire_clearance`'s.
    """
    body = constituents(stack[tubes])
    sw = swept_lines(body)
    others = [constituents(b) for b in stack if b.name != tubes and tubes not in b.embeds]
    pts, owner = sw.points, sw.owner
    r = sw.radius[owner]
    d, bi, mi = surface_distances(pts, others, float(sw.radius.max()) + sw.step)
    gap = d - r
    k = int(np.argmin(gap))
    value = float(min(gap[k], sw.step))
    crest = np.array([s[int(np.argmax(s[:, 2]))] for s in sw.lines])
    boxes = np.vstack([member_boxes(b) for b in others])
    cand = np.unique(box_pairs(crest, crest, boxes[:, :3], boxes[:, 3:], strict=False)[0])
    inside: list[list[str]] = [[] for _ in crest]
    for c, names in zip(cand, bodies_containing(stack, crest[cand], [b.name for b in others]), strict=True):
        inside[c] = names
    n_in = sum(1 for x in inside if x)
    where = ""
    if value < -Z_TOL:
        where = (f"{member_label(body, int(sw.member[owner[k]]), pts[k])} enters "
                 f"{member_label(others[bi[k]], int(mi[k]), pts[k])}")
    elif n_in:
        w = next(n for n, x in enumerate(inside) if x)
        where = f"{member_label(body, int(sw.member[w]), crest[w])} lies inside {', '.join(inside[w])}"
        value = -float(sw.radius[w])
    touching = sorted({others[b].name for b in bi[gap <= Z_TOL]})
    detail = (f"{len(sw.lines)} tubes, {len(pts)} spine points against {len(others)} bodies; touching: "
              f"{', '.join(touching) or 'none'}")
    return CheckResult(name, claim, value, 0.0, "mm", value >= -Z_TOL and not n_in, where, detail)


def wire_cover(stack: Stack, name: str, wires: str, mold: str, min_cover: float, claim: str = "") -> CheckResult:
    """Mold above the highest wire (mm): ``mold`` top less the highest tube top (:func:`tube_tops`), limit
    ``min_cover``."""
    body = constituents(stack[wires])
    sw = swept_lines(body)
    tops = tube_tops(sw)
    k = int(np.argmax(tops))
    top = float(stack[mold].bounds()[5])
    cover = top - float(tops[k])
    ok = cover >= min_cover - 1e-9
    crest = sw.lines[k][int(np.argmax(sw.lines[k][:, 2]))]
    return CheckResult(name, claim, cover, min_cover, "mm", ok,
                       "" if ok else member_label(body, int(sw.member[k]), crest),
                       f"highest wire top z = {tops[k]:.6g}, {mold} top z = {top:.6g} mm")


def wires_connect(stack: Stack, name: str, wires: str, pads: str, chip: str, fingers: str, board: str,
                  claim: str = "", stitched: bool = False) -> CheckResult:
    """Every wire runs from a pad on the chip's top to a finger on the board's top, one wire per pad and finger.

    A loop starts on the top centre of a ball bond (a non-swept member of ``wires``) whose bottom rests on a
    ``pads`` member lying on the ``chip`` top; it ends one tube radius above a ``fingers`` member (within its xy
    bounds) lying on the ``board`` top. Bounds-based, within 1e-6 mm. With ``stitched``, each loop also ends on a
    stitch (:func:`wire_bonds`) that touches that finger with a positive contact area, measured by
    :func:`member_contacts` once per distinct relative situation of stitch and finger. Value: the number of faults.
    """
    body, tol = constituents(stack[wires]), BOND_TOL
    sw = swept_lines(body)
    start = np.array([s[0] for s in sw.lines])
    end = np.array([s[-1] for s in sw.lines])
    solids, ball, stitch = wire_bonds(body, sw)
    bb = solids.member_bounds() if solids is not None else np.zeros((0, 6))
    pb, fb = stack[pads].member_bounds(), stack[fingers].member_bounds()
    chip_top, board_top = float(stack[chip].bounds()[5]), float(stack[board].bounds()[5])
    faults: list[str] = []

    def on(top: np.ndarray, boxes: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Index of the box whose xy holds each point and whose top is at ``z``; -1 when none."""
        hit = ((boxes[None, :, 0] - tol <= top[:, None, 0]) & (top[:, None, 0] <= boxes[None, :, 3] + tol)
               & (boxes[None, :, 1] - tol <= top[:, None, 1]) & (top[:, None, 1] <= boxes[None, :, 4] + tol)
               & (np.abs(boxes[None, :, 5] - z[:, None]) <= tol))
        return np.where(hit.any(axis=1), np.argmax(hit, axis=1), -1)

    ball_top = np.column_stack([(bb[:, :2] + bb[:, 3:5]) / 2, bb[:, 5]])
    pad = np.full(len(start), -1)
    if len(bb):
        ok = ball >= 0
        pad[ok] = on(ball_top[ball[ok]], pb, bb[ball[ok], 2])
    finger = on(end, fb, end[:, 2] - sw.radius)
    area = np.full(len(start), np.nan)
    contact = ""
    if stitched:
        both = (stitch >= 0) & (finger >= 0)
        area[both], booleans = member_contacts(solids, stitch[both], stack[fingers], finger[both])
        if both.any():
            part = np.repeat(np.arange(len(solids.parts)), [p.count for p in solids.parts])
            faces = [flat_face(p.shape, up=False) for p in solids.parts]
            foot = np.full(len(start), np.nan)
            foot[both] = np.array([f[1] if f is not None else np.nan for f in faces])[part[stitch[both]]]
            share = area / foot
            k = int(np.nanargmin(share))
            contact = (f"; stitch contact with its finger {np.nanmin(area):.6g}..{np.nanmax(area):.6g} mm2, least "
                       f"{share[k]:.3g} of its {foot[k]:.6g} mm2 footprint at "
                       f"{member_label(body, int(sw.member[k]), end[k])}; {booleans} distinct situations")
    for k in range(len(sw.lines)):
        why = ("does not start on a ball bond" if ball[k] < 0 else "ball bond not on a pad" if pad[k] < 0
               else "does not end on a finger" if finger[k] < 0 else "")
        if not why and stitched:
            why = ("does not end on a stitch" if stitch[k] < 0 else
                   "stitch does not touch its finger" if not area[k] > 1e-9 else "")
        if why:
            faults.append(f"{member_label(body, int(sw.member[k]), start[k])} {why}")
    for body_name, used, boxes, z in ((pads, pad, pb, chip_top), (fingers, finger, fb, board_top)):
        n = np.bincount(used[used >= 0], minlength=len(boxes))
        faults += [f"{body_name}[{i}] carries {n[i]} wires" for i in np.flatnonzero(n > 1)]
        faults += [f"{body_name}[{i}] not on {chip if body_name == pads else board}"
                   for i in np.unique(used[used >= 0]) if abs(boxes[i, 2] - z) > tol]
    return CheckResult(name, claim, float(len(faults)), 0.0, "faults", not faults,
                       faults[0] if faults else "", f"{len(sw.lines)} wires from {pads} on {chip} to {fingers} on "
                       f"{board}{contact}" + (f"; {'; '.join(faults[:3])}" if faults else ""))


def wire_clearance(stack: Stack, name: str, wires: str, limit: float, claim: str = "") -> CheckResult:
    """Smallest surface-to-surface clearance (mm) between two different wires of body ``wires``, limit ``limit``.

    Loop to loop: centre-line distance (:func:`polyline_gap`) less both tube radii. Loop to another wire's bond
    (ball bond or stitch, :func:`wire_bonds`): distance from the loop's spine to the bond's surface
    (:func:`surface_distances`) less the tube radius. A loop touches its own bonds: the first half of its spine
    is not measured against its own ball bond, the second half not against its own stitch.
    """
    body = constituents(stack[wires])
    sw = swept_lines(body)
    rmax = float(sw.radius.max())
    gap = polyline_gap(sw.lines, reach=limit + 2 * rmax + sw.step)
    loops = gap.distance - sw.radius[gap.line_a] - sw.radius[gap.line_b] if gap.line_a >= 0 else math.inf
    bonds, start, end = wire_bonds(body, sw)
    to_ball, wb, label_b = math.inf, -1, ""
    if bonds is not None:
        bb = bonds.member_bounds()
        pts, owner = sw.points, sw.owner
        sizes = np.array([len(s) for s in sw.lines])
        index = np.arange(len(pts)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        own = np.where(index < sizes[owner] / 2, start[owner], end[owner])
        d, _, mi = surface_distances(pts, [bonds], limit + rmax + sw.step, skip=own)
        g = d - sw.radius[owner]
        k = int(np.argmin(g))
        to_ball, wb = float(g[k]), int(owner[k])
        m = int(mi[k])
        kind = "ball bond" if m in set(start.tolist()) else "stitch"
        label_b = f"{member_label(body, int(sw.member[wb]), pts[k])} & {kind} {member_label(bonds, m, bb[m, :2])}"
    value = float(min(loops, to_ball))
    ok = value >= limit - 1e-9
    if loops <= to_ball:
        where = (f"{member_label(body, int(sw.member[gap.line_a]), gap.point_a)} & "
                 f"{member_label(body, int(sw.member[gap.line_b]), gap.point_b)}")
    else:
        where = label_b
    ball_text = f"{to_ball:.6g} mm" if math.isfinite(to_ball) else f"over {limit + sw.step:.4g} mm"
    return CheckResult(name, claim, value, limit, "mm", ok, "" if ok else where,
                       f"{len(sw.lines)} loops; loop to loop {loops:.6g} mm, loop to another wire's bond {ball_text}; "
                       f"closest at {where}")


def ball_bond_clearance(stack: Stack, name: str, wires: str, claim: str = "") -> CheckResult:
    """Smallest gap (mm) between two ball bonds of ``wires`` (its non-swept members, vertical discs): centre
    distance less both radii (half their bounds' width), over discs whose heights overlap. Neighbouring balls must
    not touch: passes when the gap exceeds 1e-6 mm."""
    body = constituents(stack[wires])
    balls = ball_bonds(body, swept_lines(body))
    if balls is None or balls.count < 2:
        return CheckResult(name, claim, math.inf, 0.0, "mm", True, "", "fewer than two ball bonds")
    b = balls.member_bounds()
    # centre and radius from each prototype's own bounds: a disc turned about z keeps them, its world box grows
    c = np.vstack([np.einsum("nij,j->ni", p.placements[:, :2, :], np.r_[(p.local_bounds[:3] + p.local_bounds[3:]) / 2,
                                                                         1.0]) for p in balls.parts])
    rad = np.concatenate([np.full(p.count, (p.local_bounds[3] - p.local_bounds[0]) / 2) for p in balls.parts])
    tree = cKDTree(c)
    nearest = float(tree.query(c, k=2)[0][:, 1].min())
    i, j = tree.query_pairs(nearest + 2 * float(np.ptp(rad)) + 1e-9, output_type="ndarray").T
    g = np.linalg.norm(c[i] - c[j], axis=1) - rad[i] - rad[j]
    g = np.where((b[i, 2] < b[j, 5]) & (b[j, 2] < b[i, 5]), g, np.inf)
    k = int(np.argmin(g))
    value = float(g[k])
    ok = value > Z_TOL
    return CheckResult(name, claim, value, 0.0, "mm", ok,
                       "" if ok else f"{member_label(balls, int(i[k]), c[i[k]])} & "
                                     f"{member_label(balls, int(j[k]), c[j[k]])}",
                       f"{balls.count} ball bonds, diameter {2 * rad.min():.4g}..{2 * rad.max():.4g} mm")


def wires_clear_of_edges(stack: Stack, name: str, wires: str, edges: dict[str, list[np.ndarray]], limit: float,
                         claim: str = "") -> CheckResult:
    """Smallest distance (mm) from any wire's surface to any of the named ``edges`` (polylines, mm): centre-line
    distance (:func:`polyline_gap`, edges densified to the spine step) less the tube radius; limit ``limit``."""
    body = constituents(stack[wires])
    sw = swept_lines(body)
    rmax = float(sw.radius.max())
    worst, where, parts_ = math.inf, "", []
    for label, lines in edges.items():
        if not lines:
            continue
        g = polyline_gap(sw.lines, [densify(e, sw.step) for e in lines], reach=limit + rmax + sw.step)
        v = g.distance - sw.radius[g.line_a] if g.line_a >= 0 else math.inf
        parts_.append(f"{label} {v:.6g} mm")
        if v < worst:
            worst = float(v)
            where = f"{member_label(body, int(sw.member[g.line_a]), g.point_a)} near {label}"
    ok = worst >= limit - 1e-9
    return CheckResult(name, claim, worst, limit, "mm", ok, "" if ok else where,
                       f"{len(sw.lines)} wires; " + ", ".join(parts_) + (f"; closest at {where}" if where else ""))
