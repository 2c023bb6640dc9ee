"""Swept members (bond-wire loops) measured from their centre lines (``Instances.spine``) and ``sweep_radius``, mm.

Distances from spine points to tessellated member surfaces, and member bounds grown from the spine, stand in for
OCCT booleans, distances and optimal bounds of the swept solids (the bounds alone take 0.1 s per loop prototype; the
interference engine took 12 minutes on the 400 wires of the production recipe). trimesh (some 0.3 s to import) is
imported by :func:`mesh_distance`, which alone uses it, so checking a design without swept members never loads it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core import occ_mesh
from ..core.stack import Body, Instances
from .broad import box_pairs

MESH_DEFLECTION = 1e-4
"""Absolute deflection (mm) of the member tessellations that spine points are measured against."""


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


def constituents(body: Body) -> Body:
    """``body`` as the pieces its fused members were glued from (``Instances.pieces`` placed on every member, pieces
    of one prototype as one part), then the swept parts, measured from their spines (wires: every ball bond, every
    stitch, then the loops), and the parts without pieces. The measuring structure of checks, not the physical
    one."""
    pieces: dict[int, list[Instances]] = {}
    rest: list[Instances] = []
    for p in body.parts:
        if not p.pieces:
            rest.append(p)
            continue
        for q in p.placed_pieces():
            pieces.setdefault(id(q.shape), []).append(q)
        if p.spine is not None:
            rest.append(Instances(p.shape, p.placements, p.spine, p.sweep_radius))
    merged = [Instances(g[0].shape, np.concatenate([q.placements for q in g])) for g in pieces.values()]
    return body.map_parts(lambda p: [p]) if not pieces else dataclasses.replace(body, parts=(*merged, *rest))


def solid_parts(body: Body) -> Body | None:
    """The non-swept :func:`constituents` of ``body``; None when nothing is left."""
    return constituents(body).map_parts(lambda p: [] if p.spine is not None else [p])


def tube_tops(sw: Swept) -> np.ndarray:
    """Highest z (mm) of each tube: max over the spine of z + r * sqrt(1 - tz^2), tz the tangent's z component
    (the top of a circle of radius r normal to the tangent)."""
    out = np.empty(len(sw.lines))
    for k, s in enumerate(sw.lines):
        t = np.gradient(s, axis=0)
        t /= np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-30)
        out[k] = float(np.max(s[:, 2] + sw.radius[k] * np.sqrt(np.clip(1 - t[:, 2] ** 2, 0.0, 1.0))))
    return out


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
                i, j = box_pairs(pts[near] - reach, pts[near] + reach, mb[:, :3], mb[:, 3:], strict=False)
                i = near[i]
                if skip is not None:
                    keep = skip[i] != g + j
                    i, j = i[keep], j[keep]
                if len(i):
                    d = mesh_distance(part, pts[i], j, reach, deflection)
                    low = np.full(len(pts), np.inf)
                    np.minimum.at(low, i, d)
                    win = (d == low[i]) & (d < best[i])
                    best[i[win]] = d[win]
                    who_b[i[win]], who_m[i[win]] = bi, k + j[win]
            g += part.count
            k += part.count
    return best, who_b, who_m


def mesh_distance(part: Instances, pts: np.ndarray, member: np.ndarray, reach: float,
                   deflection: float) -> np.ndarray:
    """Distance (mm) from each point to the surface of its ``member`` of ``part`` (inf beyond ``reach``)."""
    v, f = occ_mesh.triangulate(part.shape, deflection, 0.1)
    tri = v[f]
    m = part.placements[member]
    local = np.einsum("pjk,pj->pk", m[:, :3, :3], pts - m[:, :3, 3])
    a, t = box_pairs(local - reach, local + reach, tri.min(axis=1), tri.max(axis=1), strict=False)
    d = np.full(len(pts), np.inf)
    if len(a):
        from trimesh.triangles import closest_point

        cp = closest_point(tri[t], local[a])
        np.minimum.at(d, a, np.linalg.norm(cp - local[a], axis=1))
    return d
