"""Checks of the cavity flow (claims 1-11 of 003_f6beeb7f75e78ceb.txt), measured from the geometry (mm, mm2, mm3).

The generic measures take body names and numbers; the registered ``cav_*`` wrappers bind them to the cavity flow's
bodies, design and claims. Bond-wire loops are measured from their centre lines (``Instances.spine``, world
polylines sampled about every 5 um) and ``sweep_radius``: exact segment-to-segment distances, and distances from
spine points to tessellated member surfaces, stand in for OCCT booleans, distances and optimal bounds of the swept
solids (the bounds alone take 0.1 s per loop prototype; the interference engine took 12 minutes on the 400 wires of
the production recipe).

Contacts are measured as areas: ``occ.contact_area`` moves one solid by ``d`` into the other and divides the shared
volume by ``d``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cadquery as cq
import numpy as np
import trimesh
from scipy.spatial import cKDTree

from . import occ, parts
from .checks import (
    Z_TOL,
    CheckResult,
    _bodies_containing,
    _box_pairs,
    _flat_ends,
    _member_label,
    ball_coplanarity,
    chip_back,
    no_interference,
    register,
    valid_solids,
)
from .stack import Body, Instances, Stack

__all__ = [
    "PolylineGap",
    "Swept",
    "attached",
    "ball_bond_clearance",
    "contact",
    "densify",
    "embedded_margin",
    "gap_filled",
    "hole_outlines",
    "interference_without_sweeps",
    "member_boxes",
    "no_gap",
    "opening_filled",
    "pads_exposed",
    "part_bounds",
    "polyline_gap",
    "segment_distance",
    "slug_below_balls",
    "surface_distances",
    "swept_lines",
    "thermal_path",
    "tube_clearance",
    "tube_radius",
    "void_volume",
    "wire_clearance",
    "wire_cover",
    "wires_clear_of_edges",
    "wires_connect",
]

CAV = "cavity"
CONTACT_D = 1e-4
"""Displacement (mm) used to measure contact areas."""
VOID_LIMIT = 1e-6
"""Largest unfilled volume (mm3) accepted where a claim says a region is filled."""
MESH_DEFLECTION = 1e-4
"""Absolute deflection (mm) of the member tessellations that spine points are measured against."""
CHUNK = 4
"""Segments per chunk in the broad phase of :func:`polyline_gap`."""


# ---------------------------------------------------------------------------------------------------------------
# Segments and polylines (numpy)


def segment_distance(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray,
                     q1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact distances (n,) between the paired segments p0-p1 and q0-q1 ((n, 3) each, mm), and the closest points
    on each (Ericson, Real-Time Collision Detection, 5.1.9). Degenerate segments are points."""
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a, e = np.einsum("ij,ij->i", d1, d1), np.einsum("ij,ij->i", d2, d2)
    b, c, f = np.einsum("ij,ij->i", d1, d2), np.einsum("ij,ij->i", d1, r), np.einsum("ij,ij->i", d2, r)
    tiny = 1e-30
    pa, pe = a > tiny, e > tiny
    sa, se = np.where(pa, a, 1.0), np.where(pe, e, 1.0)
    denom = a * e - b * b
    s = np.where(denom > 1e-12 * np.maximum(a * e, tiny), np.clip((b * f - c * e) / np.where(denom > 0, denom, 1.0),
                                                                   0.0, 1.0), 0.0)
    t = (b * s + f) / se
    s = np.where(t < 0, np.clip(-c / sa, 0.0, 1.0), np.where(t > 1, np.clip((b - c) / sa, 0.0, 1.0), s))
    t = np.clip(t, 0.0, 1.0)
    s = np.where(pe, s, np.clip(-c / sa, 0.0, 1.0))
    t = np.where(pe, t, 0.0)
    s = np.where(pa, s, 0.0)
    t = np.where(pa, t, np.where(pe, np.clip(f / se, 0.0, 1.0), 0.0))
    ca, cb = p0 + d1 * s[:, None], q0 + d2 * t[:, None]
    return np.linalg.norm(ca - cb, axis=1), ca, cb


def densify(points: np.ndarray, step: float) -> np.ndarray:
    """The polyline ``points`` (K, 3) with every segment split into pieces no longer than ``step`` (mm)."""
    p = np.asarray(points, dtype=float)
    if len(p) < 2:
        return p
    n = np.maximum(np.ceil(np.linalg.norm(np.diff(p, axis=0), axis=1) / step).astype(int), 1)
    seg = np.repeat(np.arange(len(n)), n)
    t = (np.arange(len(seg)) - np.repeat(np.cumsum(n) - n, n)) / n[seg]
    return np.vstack([p[seg] + t[:, None] * (p[seg + 1] - p[seg]), p[-1:]])


@dataclass(frozen=True)
class PolylineGap:
    """Closest approach of two polylines: centre-line distance (mm, inf when there is no pair), their indices and
    the closest points."""

    distance: float
    line_a: int
    line_b: int
    point_a: np.ndarray
    point_b: np.ndarray


class _Chunks:
    """Segments of some polylines, grouped in runs of ``CHUNK`` with a bounding sphere each."""

    def __init__(self, lines: Sequence[np.ndarray]):
        p0, p1, line, start, length = [], [], [], [], []
        s = 0
        for k, pts in enumerate(lines):
            pts = np.asarray(pts, dtype=float)
            if len(pts) == 1:
                pts = np.vstack([pts, pts])
            n = len(pts) - 1
            p0.append(pts[:-1])
            p1.append(pts[1:])
            line.append(np.full(n, k))
            first = np.arange(0, n, CHUNK)
            start.append(s + first)
            length.append(np.minimum(CHUNK, n - first))
            s += n
        self.p0, self.p1, self.line = np.vstack(p0), np.vstack(p1), np.concatenate(line)
        self.start, self.length = np.concatenate(start), np.concatenate(length)
        lo = np.minimum.reduceat(np.minimum(self.p0, self.p1), self.start, axis=0)
        hi = np.maximum.reduceat(np.maximum(self.p0, self.p1), self.start, axis=0)
        self.centre = (lo + hi) / 2
        cid = np.repeat(np.arange(len(self.start)), self.length)
        far = np.maximum(np.linalg.norm(self.p0 - self.centre[cid], axis=1),
                         np.linalg.norm(self.p1 - self.centre[cid], axis=1))
        self.radius = np.maximum.reduceat(far, self.start)
        self.chunk_line = self.line[self.start]

    def segments(self, chunks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, CHUNK) segment indices of ``chunks`` and their validity mask."""
        k = np.arange(CHUNK)
        return self.start[chunks][:, None] + k, k < self.length[chunks][:, None]


def polyline_gap(lines_a: Sequence[np.ndarray], lines_b: Sequence[np.ndarray] | None = None,
                 reach: float = 0.05, batch: int = 4096) -> PolylineGap:
    """Smallest centre-line distance (mm) between two different polylines of ``lines_a`` (``lines_b`` None) or
    between one of ``lines_a`` and one of ``lines_b``, exact segment to segment.

    Broad phase: runs of ``CHUNK`` segments bounded by spheres, paired through a k-d tree of their centres within
    ``reach`` (mm) plus the sphere radii, ``reach`` doubling until some pair is found. Candidate chunk pairs are
    refined segment by segment in the order of their lower bound until no remaining pair can beat the best.
    """
    a = _Chunks(lines_a)
    same = lines_b is None
    b = a if same else _Chunks(lines_b)
    ta = cKDTree(a.centre)
    tb = ta if same else cKDTree(b.centre)
    grow = float(a.radius.max() + b.radius.max())
    pts = np.vstack([a.centre, b.centre])
    extent = float(np.linalg.norm(np.ptp(pts, axis=0))) + 2 * grow
    r = reach
    while True:
        if same:
            pairs = ta.query_pairs(r + grow, output_type="ndarray")
            i, j = pairs[:, 0], pairs[:, 1]
            keep = a.chunk_line[i] != a.chunk_line[j]
        else:
            m = ta.sparse_distance_matrix(tb, r + grow, output_type="ndarray")
            i, j = m["i"], m["j"]
            keep = np.ones(len(i), dtype=bool)
        lb = np.linalg.norm(a.centre[i] - b.centre[j], axis=1) - a.radius[i] - b.radius[j]
        keep &= lb <= r
        if keep.any() or r > extent:
            break
        r *= 2
    i, j, lb = i[keep], j[keep], lb[keep]
    best = PolylineGap(math.inf, -1, -1, np.full(3, np.nan), np.full(3, np.nan))
    order = np.argsort(lb, kind="stable")
    for lo in range(0, len(order), batch):
        sel = order[lo:lo + batch]
        if lb[sel[0]] > best.distance:
            break
        sa, ma = a.segments(i[sel])
        sb, mb = b.segments(j[sel])
        ia = np.broadcast_to(sa[:, :, None], (len(sel), CHUNK, CHUNK))
        ib = np.broadcast_to(sb[:, None, :], (len(sel), CHUNK, CHUNK))
        ok = ma[:, :, None] & mb[:, None, :]
        ia, ib = ia[ok], ib[ok]
        d, ca, cb = segment_distance(a.p0[ia], a.p1[ia], b.p0[ib], b.p1[ib])
        k = int(np.argmin(d))
        if d[k] < best.distance:
            best = PolylineGap(float(d[k]), int(a.line[ia[k]]), int(b.line[ib[k]]), ca[k], cb[k])
    return best


# ---------------------------------------------------------------------------------------------------------------
# Swept members (wire loops) and member bounds without OCCT's bounds of swept surfaces


def tube_radius(part: Instances) -> float:
    """Radius (mm) of a swept circular section: ``part.sweep_radius``, else from the area of the prototype's largest
    planar face (its end cap)."""
    if part.sweep_radius:
        return float(part.sweep_radius)
    caps = [f.Area() for f in part.shape.Faces() if f.geomType() == "PLANE"]
    if not caps:
        raise ValueError("a swept prototype without a planar end cap")
    return math.sqrt(max(caps) / math.pi)


def part_bounds(part: Instances) -> np.ndarray:
    """(N, 6) world bounds of every member (mm). A swept part's come from its spine grown by the tube radius, a box
    that holds the tube, instead of OCCT's optimal bounds of the swept surface (0.1 s per prototype)."""
    if part.spine is None:
        return part.bounds()
    s, r = part.spines(), tube_radius(part)
    return np.concatenate([s.min(axis=1) - r, s.max(axis=1) + r], axis=1)


def member_boxes(body: Body) -> np.ndarray:
    """(N, 6) bounds of every member of ``body``, parts in order (mm); see :func:`part_bounds`."""
    return np.vstack([part_bounds(p) for p in body.parts])


@dataclass(frozen=True, eq=False)
class Swept:
    """The swept members of a body: world centre lines (``points`` flat, ``owner`` the line of each point), the
    member index in the body and the tube radius (mm) of each line, and the longest spine segment ``step`` (mm)."""

    lines: list[np.ndarray]
    member: np.ndarray
    radius: np.ndarray
    points: np.ndarray
    owner: np.ndarray
    step: float


def swept_lines(body: Body) -> Swept:
    """Centre lines of the swept members (parts with a spine) of ``body``."""
    lines, member, radius, step = [], [], [], 0.0
    k = 0
    for p in body.parts:
        if p.spine is not None:
            s = p.spines()
            lines.extend(s)
            member.append(np.arange(k, k + p.count))
            radius.append(np.full(p.count, tube_radius(p)))
            step = max(step, float(np.linalg.norm(np.diff(p.spine, axis=0), axis=1).max()))
        k += p.count
    if not lines:
        raise ValueError(f"{body.name} has no swept members")
    owner = np.repeat(np.arange(len(lines)), [len(s) for s in lines])
    return Swept(lines, np.concatenate(member), np.concatenate(radius), np.vstack(lines), owner, step)


def _solid_parts(body: Body) -> Body | None:
    """``body`` without its swept parts; None when nothing is left."""
    return body.map_parts(lambda p: [] if p.spine is not None else [p])


def _tube_tops(sw: Swept) -> np.ndarray:
    """Highest z (mm) of each tube: max over the spine of z + r * sqrt(1 - tz^2), tz the tangent's z component
    (the top of a circle of radius r normal to the tangent)."""
    out = np.empty(len(sw.lines))
    for k, s in enumerate(sw.lines):
        t = np.gradient(s, axis=0)
        t /= np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-30)
        out[k] = float(np.max(s[:, 2] + sw.radius[k] * np.sqrt(np.clip(1 - t[:, 2] ** 2, 0.0, 1.0))))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Points against member surfaces


def surface_distances(points: np.ndarray, bodies: Sequence[Body], reach: float, skip: np.ndarray | None = None,
                      deflection: float = MESH_DEFLECTION) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance (mm) from each point (n, 3) to the nearest member surface of ``bodies`` within ``reach`` (inf
    beyond), with that member as (body index, member index in its body), -1 when none.

    ``skip`` (n,) names one member per point to leave out, as a global index over the bodies' members in order
    (-1: none). Each prototype is tessellated once with an absolute ``deflection`` (mm) and the points are moved
    into its frame: exact for planar faces, within ``deflection`` for curved ones. Swept parts are not measured.
    """
    pts = np.atleast_2d(np.asarray(points, dtype=float))
    best = np.full(len(pts), np.inf)
    who_b, who_m = np.full(len(pts), -1), np.full(len(pts), -1)
    g = 0
    for bi, body in enumerate(bodies):
        k = 0
        for part in body.parts:
            if part.spine is None and len(pts):
                mb = part.bounds()
                near = np.flatnonzero(np.all((pts >= mb[:, :3].min(axis=0) - reach)
                                             & (pts <= mb[:, 3:].max(axis=0) + reach), axis=1))
                i, j = _box_pairs(pts[near] - reach, pts[near] + reach, mb[:, :3], mb[:, 3:], strict=False)
                i = near[i]
                if skip is not None:
                    keep = skip[i] != g + j
                    i, j = i[keep], j[keep]
                if len(i):
                    d = _mesh_distance(part, pts[i], j, reach, deflection)
                    low = np.full(len(pts), np.inf)
                    np.minimum.at(low, i, d)
                    win = (d == low[i]) & (d < best[i])
                    best[i[win]] = d[win]
                    who_b[i[win]], who_m[i[win]] = bi, k + j[win]
            g += part.count
            k += part.count
    return best, who_b, who_m


def _mesh_distance(part: Instances, pts: np.ndarray, member: np.ndarray, reach: float,
                   deflection: float) -> np.ndarray:
    """Distance (mm) from each point to the surface of its ``member`` of ``part`` (inf beyond ``reach``)."""
    v, f = occ.triangulate(part.shape, deflection, 0.1)
    tri = v[f]
    m = part.placements[member]
    local = np.einsum("pjk,pj->pk", m[:, :3, :3], pts - m[:, :3, 3])
    a, t = _box_pairs(local - reach, local + reach, tri.min(axis=1), tri.max(axis=1), strict=False)
    d = np.full(len(pts), np.inf)
    if len(a):
        cp = trimesh.triangles.closest_point(tri[t], local[a])
        np.minimum.at(d, a, np.linalg.norm(cp - local[a], axis=1))
    return d


# ---------------------------------------------------------------------------------------------------------------
# Contacts and fills


def _shape(body: Body) -> cq.Shape:
    """The body as one shape: its single member in place, or a compound of all members."""
    if body.count == 1:
        p = body.parts[0]
        return p.shape.moved(occ.location(p.placements[0]))
    return occ.compound(body.placed())


def contact(stack: Stack, a: str, b: str, d: float = CONTACT_D) -> float:
    """Horizontal face-contact area (mm2) between bodies ``a`` and ``b``, whichever lies on the other."""
    sa, sb = _shape(stack[a]), _shape(stack[b])
    return occ.contact_area(sa, sb, d) + occ.contact_area(sb, sa, d)


def _side_contact(a: cq.Shape, b: cq.Shape, d: float) -> float:
    """Vertical face-contact area (mm2) between ``a`` and ``b``: ``b`` moved by ``d`` along +x, -x, +y, -y."""
    return sum(occ.contact_area(a, b, d, v) for v in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0)))


def void_volume(region: cq.Shape, fillers: Sequence[Body]) -> float:
    """Volume (mm3) of ``region`` that no member of ``fillers`` occupies: one boolean."""
    tools = [s for b in fillers for s in b.placed()]
    return occ.volume(region) - (occ.common_volume(region, tools) if tools else 0.0)


def _flat_faces(shape: cq.Shape, up: bool) -> list[cq.Face]:
    sign = 1.0 if up else -1.0
    return [f for f in shape.Faces() if f.geomType() == "PLANE" and f.normalAt().z * sign > 1 - 1e-9]


def hole_outlines(shape: cq.Shape, deflection: float = 1e-5, up: bool = True) -> list[np.ndarray]:
    """Polylines (K, 3) along the holes of ``shape``'s top planar face (bottom with ``up=False``): every edge of its
    inner wires sampled within ``deflection`` (mm) of the curve."""
    faces = _flat_faces(shape, up)
    if not faces:
        return []
    face = (max if up else min)(faces, key=lambda f: f.Center().z)
    out = []
    for w in face.innerWires():
        for e in w.Edges():
            pts, _ = e.sample(float(deflection))
            line = np.array([p.toTuple() for p in pts])
            out.append(np.vstack([line, line[:1]]) if e.IsClosed() else line)
    return out


def _xy_box(lines: Sequence[np.ndarray]) -> np.ndarray:
    p = np.vstack(lines)
    return np.concatenate([p.min(axis=0), p.max(axis=0)])


# ---------------------------------------------------------------------------------------------------------------
# Generic checks


def interference_without_sweeps(stack: Stack, claim: str = "") -> CheckResult:
    """:func:`checks.no_interference` over every body less its swept parts, ignoring the overlaps of embedded
    bodies with their host (designed). Swept members are left to :func:`tube_clearance` and
    :func:`wire_clearance`: OCCT booleans of swept solids at many distinct placements take minutes."""
    kept, swept = [], 0
    for b in stack:
        solid = _solid_parts(b)
        swept += b.count - (solid.count if solid else 0)
        if solid is not None:
            kept.append(solid)
    ignore = [(b.name, e) for b in stack for e in b.embeds]
    r = no_interference(Stack(tuple(kept)), claim=claim, ignore=ignore)
    note = f"{swept} swept members measured by tube_clearance/wire_clearance" if swept else ""
    return dataclasses.replace(r, detail="; ".join(x for x in (r.detail, note) if x))


def tube_clearance(stack: Stack, tubes: str, claim: str = "") -> CheckResult:
    """Swept members of body ``tubes`` (wire loops) overlap no other body except the hosts that embed them.

    Every spine point is measured against the member surfaces of the other bodies within the tube radius plus the
    spine step (:func:`surface_distances`); a tube overlaps a member where its centre line comes nearer than its
    radius. A spine that enters a solid has a sample within half a step of its surface; one that lies wholly inside
    is caught by classifying its highest point. Value: the smallest surface gap (mm), centre-line distance less the
    radius, capped at one spine step (gaps beyond the reach are not measured); touching (a wire lying on its finger)
    passes, an overlap fails. Distances are unsigned, so a centre line that crosses into a body reads about minus
    the radius, whatever the depth. Members of ``tubes`` itself (ball bonds, other loops) are :func:`wire_clearance`'s.
    """
    body = stack[tubes]
    sw = swept_lines(body)
    others = [b for b in stack if b.name != tubes and tubes not in b.embeds]
    pts, owner = sw.points, sw.owner
    r = sw.radius[owner]
    d, bi, mi = surface_distances(pts, others, float(sw.radius.max()) + sw.step)
    gap = d - r
    k = int(np.argmin(gap))
    value = float(min(gap[k], sw.step))
    crest = np.array([s[int(np.argmax(s[:, 2]))] for s in sw.lines])
    boxes = np.vstack([member_boxes(b) for b in others])
    cand = np.unique(_box_pairs(crest, crest, boxes[:, :3], boxes[:, 3:], strict=False)[0])
    inside: list[list[str]] = [[] for _ in crest]
    for c, names in zip(cand, _bodies_containing(stack, crest[cand], [b.name for b in others]), strict=True):
        inside[c] = names
    n_in = sum(1 for x in inside if x)
    where = ""
    if value < -Z_TOL:
        where = (f"{_member_label(body, int(sw.member[owner[k]]), pts[k])} enters "
                 f"{_member_label(others[bi[k]], int(mi[k]), pts[k])}")
    elif n_in:
        w = next(n for n, x in enumerate(inside) if x)
        where = f"{_member_label(body, int(sw.member[w]), crest[w])} lies inside {', '.join(inside[w])}"
        value = -float(sw.radius[w])
    touching = sorted({others[b].name for b in bi[gap <= Z_TOL]})
    detail = (f"{len(sw.lines)} tubes, {len(pts)} spine points against {len(others)} bodies; touching: "
              f"{', '.join(touching) or 'none'}")
    return CheckResult(f"{tubes}_clear", claim, value, 0.0, "mm", value >= -Z_TOL and not n_in, where, detail)


def embedded_margin(stack: Stack, host: str, base_z: float, draft_deg: float = 0.0, claim: str = "") -> CheckResult:
    """Every member of every body embedded in ``host`` lies inside the host's footprint and below its top.

    The footprint is the host's xy bounds at ``base_z`` (mm), its walls drafted inwards by ``draft_deg`` degrees:
    at height z the wall has moved in by (z - base_z) tan(draft). A member's margin is the least of its distances
    (member bounds, spine-based for swept ones) to the four walls at the member's top and to the host top. Value:
    the worst margin (mm), negative when a member pokes out.
    """
    hb = stack[host].bounds()
    tan = math.tan(math.radians(draft_deg))
    worst, where, n = math.inf, "", 0
    for name in stack[host].embeds:
        if name not in stack:
            continue
        body = stack[name]
        b = member_boxes(body)
        inset = np.maximum(b[:, 5] - base_z, 0.0) * tan
        m = np.column_stack([b[:, 0] - hb[0] - inset, hb[3] - inset - b[:, 3], b[:, 1] - hb[1] - inset,
                             hb[4] - inset - b[:, 4], hb[5] - b[:, 5]]).min(axis=1)
        k = int(np.argmin(m))
        n += len(b)
        if m[k] < worst:
            worst = float(m[k])
            where = _member_label(body, k, (b[k, :2] + b[k, 3:5]) / 2)
    return CheckResult(f"embedded_in_{host}", claim, worst, 0.0, "mm", worst >= -Z_TOL, where if worst < -Z_TOL else "",
                       f"{n} members of {', '.join(stack[host].embeds)}; worst margin at {where}; draft "
                       f"{draft_deg:g} deg from z = {base_z:.6g}, {host} top z = {hb[5]:.6g} mm")


def wire_cover(stack: Stack, wires: str, mold: str, min_cover: float, claim: str = "") -> CheckResult:
    """Mold above the highest wire (mm): ``mold`` top less the highest tube top (:func:`_tube_tops`), limit
    ``min_cover``."""
    body = stack[wires]
    sw = swept_lines(body)
    tops = _tube_tops(sw)
    k = int(np.argmax(tops))
    top = float(stack[mold].bounds()[5])
    cover = top - float(tops[k])
    ok = cover >= min_cover - 1e-9
    crest = sw.lines[k][int(np.argmax(sw.lines[k][:, 2]))]
    return CheckResult(f"{wires}_cover", claim, cover, min_cover, "mm", ok,
                       "" if ok else _member_label(body, int(sw.member[k]), crest),
                       f"highest wire top z = {tops[k]:.6g}, {mold} top z = {top:.6g} mm")


def wires_connect(stack: Stack, wires: str, pads: str, chip: str, fingers: str, board: str,
                  claim: str = "") -> CheckResult:
    """Every wire runs from a pad on the chip's top to a finger on the board's top, one wire per pad and finger.

    A loop starts on the top centre of a ball bond (a non-swept member of ``wires``) whose bottom rests on a
    ``pads`` member lying on the ``chip`` top; it ends one tube radius above a ``fingers`` member (within its xy
    bounds) lying on the ``board`` top. Bounds-based, within 1e-6 mm. Value: the number of faults.
    """
    body, tol = stack[wires], 1e-6
    sw = swept_lines(body)
    start = np.array([s[0] for s in sw.lines])
    end = np.array([s[-1] for s in sw.lines])
    balls = _solid_parts(body)
    bb = balls.member_bounds() if balls else np.zeros((0, 6))
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
    dist, ball = cKDTree(ball_top).query(start) if len(bb) else (np.full(len(start), np.inf), np.zeros(len(start), int))
    pad = np.where(dist <= tol, on(ball_top[ball], pb, bb[ball, 2]), -1)
    finger = on(end, fb, end[:, 2] - sw.radius)
    for k in range(len(sw.lines)):
        why = ("does not start on a ball bond" if dist[k] > tol else "ball bond not on a pad" if pad[k] < 0
               else "does not end on a finger" if finger[k] < 0 else "")
        if why:
            faults.append(f"{_member_label(body, int(sw.member[k]), start[k])} {why}")
    for name, used, boxes, z in ((pads, pad, pb, chip_top), (fingers, finger, fb, board_top)):
        n = np.bincount(used[used >= 0], minlength=len(boxes))
        faults += [f"{name}[{i}] carries {n[i]} wires" for i in np.flatnonzero(n > 1)]
        faults += [f"{name}[{i}] not on {chip if name == pads else board}"
                   for i in np.unique(used[used >= 0]) if abs(boxes[i, 2] - z) > tol]
    return CheckResult(f"{wires}_connect", claim, float(len(faults)), 0.0, "faults", not faults,
                       faults[0] if faults else "", f"{len(sw.lines)} wires from {pads} on {chip} to {fingers} on "
                       f"{board}" + (f"; {'; '.join(faults[:3])}" if faults else ""))


def wire_clearance(stack: Stack, wires: str, limit: float, claim: str = "") -> CheckResult:
    """Smallest surface-to-surface clearance (mm) between two different wires of body ``wires``, limit ``limit``.

    Loop to loop: centre-line distance (:func:`polyline_gap`) less both tube radii. Loop to another wire's ball
    bond: distance from the loop's spine to the ball's surface (:func:`surface_distances`) less the tube radius; a
    loop's own ball is the one whose top centre is the spine's start.
    """
    body = stack[wires]
    sw = swept_lines(body)
    rmax = float(sw.radius.max())
    gap = polyline_gap(sw.lines, reach=limit + 2 * rmax + sw.step)
    loops = gap.distance - sw.radius[gap.line_a] - sw.radius[gap.line_b] if gap.line_a >= 0 else math.inf
    balls = _solid_parts(body)
    to_ball, wb, label_b = math.inf, -1, ""
    if balls is not None:
        bb = balls.member_bounds()
        top = np.column_stack([(bb[:, :2] + bb[:, 3:5]) / 2, bb[:, 5]])
        dist, own = cKDTree(top).query(np.array([s[0] for s in sw.lines]))
        own = np.where(dist <= 1e-6, own, -1)
        pts, owner = sw.points, sw.owner
        d, _, mi = surface_distances(pts, [balls], limit + rmax + sw.step, skip=own[owner])
        g = d - sw.radius[owner]
        k = int(np.argmin(g))
        to_ball, wb = float(g[k]), int(owner[k])
        m = int(mi[k])
        label_b = f"{_member_label(body, int(sw.member[wb]), pts[k])} & ball bond {_member_label(balls, m, bb[m, :2])}"
    value = float(min(loops, to_ball))
    ok = value >= limit - 1e-9
    if loops <= to_ball:
        where = (f"{_member_label(body, int(sw.member[gap.line_a]), gap.point_a)} & "
                 f"{_member_label(body, int(sw.member[gap.line_b]), gap.point_b)}")
    else:
        where = label_b
    ball_text = f"{to_ball:.6g} mm" if math.isfinite(to_ball) else f"over {limit + sw.step:.4g} mm"
    return CheckResult(f"{wires}_clearance", claim, value, limit, "mm", ok, "" if ok else where,
                       f"{len(sw.lines)} loops; loop to loop {loops:.6g} mm, loop to another ball bond {ball_text}; "
                       f"closest at {where}")


def ball_bond_clearance(stack: Stack, wires: str, claim: str = "") -> CheckResult:
    """Smallest gap (mm) between two ball bonds of ``wires`` (its non-swept members, vertical discs): centre
    distance less both radii (half their bounds' width), over discs whose heights overlap. Neighbouring balls must
    not touch: passes when the gap exceeds 1e-6 mm."""
    body = stack[wires]
    balls = _solid_parts(body)
    if balls is None or balls.count < 2:
        return CheckResult("ball_bond_clearance", claim, math.inf, 0.0, "mm", True, "", "fewer than two ball bonds")
    b = balls.member_bounds()
    c, rad = (b[:, :2] + b[:, 3:5]) / 2, (b[:, 3] - b[:, 0]) / 2
    tree = cKDTree(c)
    nearest = float(tree.query(c, k=2)[0][:, 1].min())
    i, j = tree.query_pairs(nearest + 2 * float(np.ptp(rad)) + 1e-9, output_type="ndarray").T
    g = np.linalg.norm(c[i] - c[j], axis=1) - rad[i] - rad[j]
    g = np.where((b[i, 2] < b[j, 5]) & (b[j, 2] < b[i, 5]), g, np.inf)
    k = int(np.argmin(g))
    value = float(g[k])
    ok = value > Z_TOL
    return CheckResult("ball_bond_clearance", claim, value, 0.0, "mm", ok,
                       "" if ok else f"{_member_label(balls, int(i[k]), c[i[k]])} & "
                                     f"{_member_label(balls, int(j[k]), c[j[k]])}",
                       f"{balls.count} ball bonds, diameter {2 * rad.min():.4g}..{2 * rad.max():.4g} mm")


def wires_clear_of_edges(stack: Stack, wires: str, edges: dict[str, list[np.ndarray]], limit: float,
                         claim: str = "", name: str = "wires_clear_of_edges") -> CheckResult:
    """Smallest distance (mm) from any wire's surface to any of the named ``edges`` (polylines, mm): centre-line
    distance (:func:`polyline_gap`, edges densified to the spine step) less the tube radius; limit ``limit``."""
    body = stack[wires]
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
            where = f"{_member_label(body, int(sw.member[g.line_a]), g.point_a)} near {label}"
    ok = worst >= limit - 1e-9
    return CheckResult(name, claim, worst, limit, "mm", ok, "" if ok else where,
                       f"{len(sw.lines)} wires; " + ", ".join(parts_) + (f"; closest at {where}" if where else ""))


def attached(stack: Stack, chain: Sequence[str], d: float = CONTACT_D, claim: str = "",
             name: str = "attached") -> CheckResult:
    """Each body of ``chain`` rests on (or carries) the next through horizontal face contact (:func:`contact`).
    Value: the smallest contact area along the chain (mm2), must be positive."""
    areas = [contact(stack, a, b, d) for a, b in itertools.pairwise(chain)]
    k = int(np.argmin(areas))
    value = float(areas[k])
    ok = value > 1e-9
    steps = ", ".join(f"{a}/{b} {x:.6g} mm2" for (a, b), x in zip(itertools.pairwise(chain), areas, strict=True))
    return CheckResult(name, claim, value, 0.0, "mm2", ok, "" if ok else f"{chain[k]} does not touch {chain[k + 1]}",
                       steps)


def thermal_path(stack: Stack, source: str, sink: str, via: Sequence[str] = (), d: float = CONTACT_D,
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
        return CheckResult("thermal_path", claim, 0.0, 0.0, "mm2", False, f"no contact path {source} -> {sink}",
                           f"contacts (mm2): {touching}; {source} footprint {foot:.6g} mm2")
    path = [sink]
    while path[-1] != source:
        path.append(prev[path[-1]])
    path.reverse()
    value = float(width[sink])
    hops = " -> ".join([path[0]] + [f"({w[a, b]:.6g} mm2) {b}" for a, b in itertools.pairwise(path)])
    return CheckResult("thermal_path", claim, value, 0.0, "mm2", True, "",
                       f"{hops}; {source} footprint {foot:.6g} mm2 (narrowest contact {value / foot:.3g} of it)")


def pads_exposed(stack: Stack, pads: str, design_area: float, d: float = CONTACT_D, area_rtol: float = 1e-3,
                 claim: str = "") -> CheckResult:
    """Every member of ``pads`` has its bottom face bare, with its designed area ``design_area`` (mm2).

    Covered area: what any other body touches from below, measured as a contact area (one boolean per candidate
    part, members paired by bounds: those reaching below the pad bottom and up to within ``d`` of it). The bottom
    face area comes from the B-rep. Value per pad: the larger of the covered fraction and the relative area error;
    the worst pad is reported, limit ``area_rtol``.
    """
    body = stack[pads]
    centre, area = _flat_ends(body, up=False)
    pb = body.member_bounds()
    zb = centre[:, 2]
    lo = np.column_stack([pb[:, :2], zb - d])
    hi = np.column_stack([pb[:, 3:5], zb])
    covered = np.zeros(len(centre))
    tree = cKDTree(centre[:, :2])
    up = cq.Location(cq.Vector(0, 0, d))
    n_ops = 0
    for other in stack:
        if other.name == pads:
            continue
        for part in other.parts:
            ob = part_bounds(part)
            i, j = _box_pairs(lo, hi, ob[:, :3], ob[:, 3:], strict=False)
            keep = ob[j, 2] < zb[i] - 1e-9
            i, j = i[keep], j[keep]
            if not len(i):
                continue
            n_ops += 1
            tools = [part.shape.moved(occ.location(m)).moved(up) for m in part.placements[np.unique(j)]]
            members = [_placed(body, k) for k in np.unique(i)]
            hit = occ.common(occ.compound(members), [occ.compound(tools)])
            for s in hit.Solids():
                c = occ.bounds(s)
                _, k = tree.query([(c[0] + c[3]) / 2, (c[1] + c[4]) / 2])
                covered[k] += occ.volume(s) / d
    frac = covered / design_area
    err = np.abs(area - design_area) / design_area
    score = np.maximum(frac, err)
    k = int(np.argmax(score))
    value = float(score[k])
    ok = value <= area_rtol
    return CheckResult(f"{pads}_exposed", claim, value, area_rtol, "relative", ok,
                       "" if ok else _member_label(body, k, centre[k]),
                       f"{int((frac > area_rtol).sum())} of {len(centre)} pads covered from below (worst "
                       f"{frac.max():.4g} of the designed {design_area:.6g} mm2, {n_ops} booleans); bottom face "
                       f"area {area.min():.6g}..{area.max():.6g} mm2")


def _placed(body: Body, k: int) -> cq.Shape:
    """Member ``k`` of ``body`` (parts in order) in place."""
    for p in body.parts:
        if k < p.count:
            return p.shape.moved(occ.location(p.placements[k]))
        k -= p.count
    raise IndexError(k)


def slug_below_balls(stack: Stack, slug: str, balls: str, claim: str = "") -> CheckResult:
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
        (f"{slug} {thick:.6g} mm thick, not less than {_member_label(stack[balls], k, bb[k, :2])} {height[k]:.6g} mm",
         thick >= float(height[k]) - Z_TOL)) if bad]
    return CheckResult(f"{slug}_below_{balls}", claim, margin, 0.0, "mm", not faults, "; ".join(faults),
                       f"{slug} thickness {thick:.6g} mm, smallest ball height {height[k]:.6g} mm; {slug} bottom "
                       f"z = {sb[2]:.6g}, seating plane z = {seat:.6g} mm")


def gap_filled(stack: Stack, opening: cq.Shape, chip: str, fill: str, wall: str, d: float = CONTACT_D,
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
    a_chip = _side_contact(_shape(stack[fill]), _shape(stack[chip]), d) if present else 0.0
    a_wall = _side_contact(_shape(stack[fill]), _shape(stack[wall]), d) if present else 0.0
    faults = [f for f, bad in ((f"no {fill}", not present), (f"{fill} does not touch {chip}", present and a_chip <= 0),
                               (f"{fill} does not touch the {wall} wall", present and a_wall <= 0),
                               (f"{void:.4g} mm3 of the gap empty", void > limit)) if bad]
    return CheckResult("gap_filled", claim, void, limit, "mm3", not faults, "; ".join(faults),
                       f"gap {occ.volume(gap):.6g} mm3 between {chip} and the opening wall; {fill} contact with "
                       f"{chip} {a_chip:.6g} mm2, with the wall {a_wall:.6g} mm2")


def no_gap(stack: Stack, opening_box: np.ndarray, chip: str, fill: str, limit: float = 1e-6,
           claim: str = "") -> CheckResult:
    """The chip fills the opening wall to wall: largest distance (mm) between a chip side (its bounds) and the
    matching opening wall (``opening_box``, xy bounds of the opening), and no ``fill`` body."""
    cb = stack[chip].bounds()
    sides = np.abs([cb[0] - opening_box[0], opening_box[3] - cb[3], cb[1] - opening_box[1], opening_box[4] - cb[4]])
    value = float(sides.max())
    faults = [f for f, bad in ((f"{value:.4g} mm between {chip} and the opening wall", value > limit),
                               (f"a {fill} body where there is no gap", fill in stack)) if bad]
    return CheckResult("no_gap", claim, value, limit, "mm", not faults, "; ".join(faults),
                       f"{chip} {cb[3] - cb[0]:.6g} x {cb[4] - cb[1]:.6g} mm, opening "
                       f"{opening_box[3] - opening_box[0]:.6g} x {opening_box[4] - opening_box[1]:.6g} mm (measured "
                       "from the substrate)")


def opening_filled(stack: Stack, opening: cq.Shape, fill: str, chip: str, limit: float = VOID_LIMIT,
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
    return CheckResult("opening_filled", claim, void, limit, "mm3", not faults, "; ".join(faults),
                       f"opening {occ.volume(opening):.6g} mm3 from z = {ob[2]:.6g} to {ob[5]:.6g}; {chip} overhangs "
                       f"it by {over:.6g} mm")


# ---------------------------------------------------------------------------------------------------------------
# The cavity flow's checks (claims of 003_f6beeb7f75e78ceb.txt)


def _opening_prism(d, z0: float, z1: float) -> cq.Shape:
    o = d.opening
    return parts.prism(parts.outline(o.width, o.length, o.corner_radius, o.offset_x, o.offset_y, z0), z0, z1)


@register(CAV)
def cav_no_interference(build) -> list[CheckResult]:
    """Claim 1: no two bodies overlap, except the fingers, die pads and wires embedded in the mold."""
    return [interference_without_sweeps(build.stack, claim="claim 1")]


@register(CAV)
def cav_wires_clear(build) -> list[CheckResult]:
    """Claim 1: the wire loops overlap no body but the mold around them (touching their fingers)."""
    return [tube_clearance(build.stack, "bond_wires", claim="claim 1")]


@register(CAV)
def cav_embedded_in_mold(build) -> list[CheckResult]:
    """Claim 1: the mold covers the fingers, die pads and wires: each inside its drafted footprint, below its top."""
    d = build.design
    return [embedded_margin(build.stack, "mold_compound", d.z_top, d.mold_compound.draft_angle, claim="claim 1")]


@register(CAV)
def cav_die_covered(build) -> list[CheckResult]:
    """Claim 1: the mold covers the die: points just above the die top lie in the mold."""
    r = chip_back(build.stack, "die", "mold_compound", "encapsulated", 0.0, "claim 1")
    return [dataclasses.replace(r, name="die_encapsulated")]


@register(CAV)
def cav_mold_on_substrate(build) -> list[CheckResult]:
    """Claim 1: the mold covers part of the substrate top: contact area (mm2) and the fraction of the top."""
    s = build.stack
    r = attached(s, ("mold_compound", "substrate"), claim="claim 1", name="mold_on_substrate")
    top = _flat_faces(s["substrate"].parts[0].shape, up=True)
    area = max(f.Area() for f in top) if top else math.nan
    return [dataclasses.replace(r, detail=f"{r.detail}: {r.value / area:.3g} of the substrate top ({area:.6g} mm2)")]


@register(CAV)
def cav_wire_cover(build) -> list[CheckResult]:
    """Claim 1: mold cover over the highest wire, at least ``bond_wires.min_cover``."""
    return [wire_cover(build.stack, "bond_wires", "mold_compound", build.design.bond_wires.min_cover, "claim 1")]


@register(CAV)
def cav_wires_connect(build) -> list[CheckResult]:
    """Claim 1: bond wires from the die's top surface to the substrate's top surface, one per pad and finger."""
    return [wires_connect(build.stack, "bond_wires", "die_pads", "die", "bond_fingers", "substrate", "claim 1")]


@register(CAV)
def cav_wire_clearance(build) -> list[CheckResult]:
    """Claim 1: wires clear of each other by one wire diameter; ball bonds do not touch."""
    d = build.design.bond_wires.diameter
    return [wire_clearance(build.stack, "bond_wires", d, "claim 1"),
            ball_bond_clearance(build.stack, "bond_wires", "claim 1")]


@register(CAV)
def cav_wires_clear_of_die_edges(build) -> list[CheckResult]:
    """Claim 1: every wire clears the die's top edges, and for a die sunk in the opening the opening's top edge, by
    one wire diameter."""
    d, s = build.design, build.stack
    b = s["die"].bounds()
    rim = np.array([[b[0], b[1], b[5]], [b[3], b[1], b[5]], [b[3], b[4], b[5]], [b[0], b[4], b[5]], [b[0], b[1], b[5]]])
    edges = {"die top edge": [rim]}
    sub = s["substrate"]
    if d.die.placement == "inside" and b[5] < sub.bounds()[5] - Z_TOL:
        edges["opening top edge"] = hole_outlines(sub.parts[0].shape)
    return [wires_clear_of_edges(s, "bond_wires", edges, d.bond_wires.diameter, "claim 1",
                                 "wires_clear_of_die_edges")]


@register(CAV)
def cav_slice(build) -> list[CheckResult]:
    """Claim 1: the slice, as disposed, lies under the opening and every bottom pad; claim 4: the slice (now slug)
    is held to the substrate's bottom by the adhesive."""
    s0 = build.after("dispose_slice")
    sl, pads = s0["metal_slice"].bounds(), s0["bottom_pads"].member_bounds()
    hole = _xy_box(hole_outlines(s0["substrate"].parts[0].shape, up=False))
    boxes = np.vstack([hole, pads])
    xy = np.column_stack([boxes[:, 0] - sl[0], sl[3] - boxes[:, 3], boxes[:, 1] - sl[1],
                          sl[4] - boxes[:, 4]]).min(axis=1)
    z = float(pads[:, 2].min() - sl[5])
    k = int(np.argmin(xy))
    value = float(min(xy[k], z))
    where = "" if value >= -Z_TOL else ("slice top above a pad bottom" if z < xy[k] else
                                         "opening" if k == 0 else f"bottom_pads[{k - 1}]") + " not covered"
    covers = CheckResult("slice_covers", "claim 1", value, 0.0, "mm", value >= -Z_TOL, where,
                         f"slice xy bounds hold the opening (measured from the substrate) and {len(pads)} pads with "
                         f"{xy.min():.6g} mm to spare; slice top {z:.6g} mm below the pads' bottoms")
    chain = ("substrate", "slice_adhesive", "heat_slug")
    return [covers, attached(build.stack, chain, claim="claim 4", name="slice_attached")]


@register(CAV)
def cav_die_attached(build) -> list[CheckResult]:
    """Claims 5-6: the die on its adhesive on the metal slice, inside the opening; claim 7: on its adhesive on the
    substrate top, covering the opening. Measured right after the die step."""
    d = build.design
    s = build.after("dispose_die")
    fit = d.die_fit
    inside = d.die.placement == "inside"
    claim = {"smaller": "claim 5", "equal": "claim 6", "larger": "claim 7"}[fit]
    under = "metal_slice" if inside else "substrate"
    r = attached(s, ("die", "die_adhesive", under), claim=claim, name="die_attached")
    cb = s["die"].bounds()
    hole = _xy_box(hole_outlines(s["substrate"].parts[0].shape))
    if inside:
        m = min(cb[0] - hole[0], hole[3] - cb[3], cb[1] - hole[1], hole[4] - cb[4])
        bad = m < -Z_TOL
        why = f"die outside the opening by {-m:.4g} mm"
    else:
        m = min(hole[0] - cb[0], cb[3] - hole[3], hole[1] - cb[1], cb[4] - hole[4])
        bad = m < -Z_TOL or cb[2] < s["substrate"].bounds()[5] - Z_TOL
        why = f"die not over the opening on the substrate top (overhang {m:.4g} mm, bottom z = {cb[2]:.6g})"
    if bad:
        r = dataclasses.replace(r, passed=False, where="; ".join(x for x in (r.where, why) if x))
    return [r]


@register(CAV)
def cav_gap(build) -> list[CheckResult]:
    """Claim 5: the gap between the die and the opening wall filled by the other adhesive; claim 6: no gap; claim
    7: the die adhesive fills the opening between die and slice."""
    d, s = build.design, build.stack
    fit = d.die_fit
    if fit == "smaller":
        top = min(d.z_die_top, d.z_top)
        return [gap_filled(s, _opening_prism(d, d.z_floor, top), "die", "gap_fill", "substrate", claim="claim 5")]
    if fit == "equal":
        hole = _xy_box(hole_outlines(s["substrate"].parts[0].shape))
        return [no_gap(s, hole, "die", "gap_fill", claim="claim 6")]
    return [opening_filled(s, _opening_prism(d, d.z_floor, d.z_top), "die_adhesive", "die", claim="claim 7")]


@register(CAV)
def cav_thermal_path(build) -> list[CheckResult]:
    """Claims 1, 11 (and 8 over the opening): the heat slug thermally connected to the die through the adhesive."""
    over = build.design.die.placement == "over"
    claim = "claim 1; claim 8; claim 11" if over else "claim 1; claim 11"
    return [thermal_path(build.stack, "die", "heat_slug", ("die_adhesive", "gap_fill"), claim=claim)]


@register(CAV)
def cav_pads_exposed(build) -> list[CheckResult]:
    """Claims 1, 11: after the etch every bottom pad is bare from below, with its designed area."""
    dia = build.design.bottom_pads.diameter
    return [pads_exposed(build.after("etch_slice"), "bottom_pads", math.pi * dia * dia / 4, claim="claim 1; claim 11")]


@register(CAV)
def cav_ball_coplanarity(build) -> list[CheckResult]:
    """Claim 2: solder balls flush with each other (JEDEC coplanarity for the pitch)."""
    return [ball_coplanarity(build.stack, "solder_balls", build.design.solder_balls.pitch, claim="claim 2")]


@register(CAV)
def cav_slug_below_balls(build) -> list[CheckResult]:
    """Claim 3: the slug thinner than each ball is tall, clear of the seating plane."""
    return [slug_below_balls(build.stack, "heat_slug", "solder_balls", claim="claim 3")]


@register(CAV)
def cav_valid_solids(build) -> list[CheckResult]:
    """Every body: valid, closed solids."""
    return [valid_solids(build.stack, claim="claim 1")]
