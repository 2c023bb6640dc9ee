"""Patent-style cross-sections of a stack: the vertical cut of every body as closed polygons per body (mm).

A section is computed on triangle meshes, not on the B-rep, and per prototype, not per member: the members whose
bounds cross the plane are grouped by their linear part and their distance to the plane (the members of a row
share both), each group's prototype mesh (:class:`geometry.output.mesh.ProtoMesh`, tessellated once) is cut once
by the plane, and the cut loops are placed for every member of the group by its offset along the plane. Loops are
in plane coordinates ``(u, z)`` (mm): ``u`` runs along the plane, horizontal, ``z`` is the stack's z. For the
default plane (normal +y) ``u`` is x. Loops nested inside another loop of the same member are its holes.
:mod:`geometry.output.drawing` draws them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.stack import Instances, Stack
from .instanced import StackMeshes
from .mesh import MAX_TRIANGLES, ProtoMesh, prototype_meshes, tile
from .tiles import MERGE_DIGITS

#: Loops of smaller absolute area (mm2) are dropped as degenerate.
MIN_LOOP_AREA = 1e-12


@dataclass(frozen=True, eq=False)
class Region:
    """The cut of one body: closed polygons in plane coordinates (u, z), mm.

    ``polygons`` are the outer loops, counter-clockwise, each (K, 2) and not repeating its first point;
    ``holes[i]`` the loops nested in ``polygons[i]``, clockwise. ``area`` is outer areas less holes (mm2).
    """

    name: str
    material: str
    colour: tuple[float, float, float, float]
    polygons: list[np.ndarray]
    holes: list[list[np.ndarray]] = field(default_factory=list)
    area: float = 0.0
    embeds: tuple[str, ...] = ()

    @property
    def bounds(self) -> np.ndarray:
        """``[umin, zmin, umax, zmax]`` of all polygons (mm)."""
        pts = np.vstack(self.polygons)
        return np.concatenate([pts.min(axis=0), pts.max(axis=0)])

    def polygon_bounds(self) -> np.ndarray:
        """(P, 4) ``[umin, zmin, umax, zmax]`` of every outer polygon (mm)."""
        return np.array([np.concatenate([p.min(axis=0), p.max(axis=0)]) for p in self.polygons])


def _plane_frame(plane_point: Sequence[float], plane_normal: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point, unit normal, unit u direction) of a vertical plane; u = normal x z, so normal +y gives u = +x."""
    p = np.asarray(plane_point, dtype=float).reshape(3)
    n = np.asarray(plane_normal, dtype=float).reshape(3)
    norm = np.linalg.norm(n)
    if norm == 0 or abs(n[2]) > 1e-9 * norm:
        raise ValueError(f"plane_normal {tuple(n)} must be a non-zero horizontal vector (sections are vertical)")
    n = n / norm
    u = np.cross(n, [0.0, 0.0, 1.0])
    return p, n, u / np.linalg.norm(u)


def _crossing(part: Instances, p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Mask of the members of ``part`` whose bounding boxes reach both sides of (or touch) the plane."""
    if part.spine is not None and part.sweep_radius:  # meshed from its centre line: bound that, not the B-rep,
        sp = part.spines()  # with the pieces it was fused with (a wire's ball bond and stitch)
        b = np.concatenate([sp.min(axis=1) - part.sweep_radius, sp.max(axis=1) + part.sweep_radius], axis=1)
        for q in part.placed_pieces():
            qb = q.bounds().reshape(part.count, -1, 6)
            b = np.concatenate([np.minimum(b[:, :3], qb[:, :, :3].min(axis=1)),
                                np.maximum(b[:, 3:], qb[:, :, 3:].max(axis=1))], axis=1)
    else:
        b = part.bounds()
    centre, half = (b[:, :3] + b[:, 3:]) / 2, (b[:, 3:] - b[:, :3]) / 2
    d = (centre - p) @ n
    r = half @ np.abs(n)
    return np.abs(d) <= r + 1e-9


def _reduced(stack: Stack, p: np.ndarray, n: np.ndarray, known: Mapping[int, ProtoMesh]) -> Stack:
    """The stack reduced to the members that may cross the plane of the prototypes not in ``known`` (keyed by
    ``id(part.shape)``); bodies with none are left out."""
    def keep(part: Instances) -> list[Instances]:
        if id(part.shape) in known:
            return []
        m = _crossing(part, p, n)
        if not m.any():
            return []
        return [part if m.all() else Instances(part.shape, part.placements[m], part.spine, part.sweep_radius,
                                               part.pieces)]

    bodies = [b.map_parts(keep) for b in stack]
    return Stack(tuple(b for b in bodies if b is not None))


def prototype_index(stack: Stack, meshes: StackMeshes) -> dict[int, ProtoMesh]:
    """The :class:`ProtoMesh` of every prototype of ``stack`` in ``meshes`` (its
    :func:`~geometry.output.instanced.stack_meshes`, e.g. the export's), keyed by ``id(part.shape)``: what
    :func:`section` takes as ``prototypes``, valid while ``stack`` lives."""
    return {id(part.shape): m for body in stack
            for part, m in zip(body.parts, meshes[body.name].meshes, strict=True)}


def section_prototypes(stack: Stack, plane_point: Sequence[float] = (0.0, 0.0, 0.0),
                       plane_normal: Sequence[float] = (0.0, 1.0, 0.0),
                       known: Mapping[int, ProtoMesh] | None = None) -> dict[int, ProtoMesh]:
    """``known`` (prototype meshes keyed by ``id(part.shape)``) and the meshes of the prototypes of ``stack`` that
    have members crossing the plane and are not known, each tessellated once
    (:func:`geometry.output.mesh.prototype_meshes` of those members, with the whole stack's triangle budget per
    member, so they mesh as in its exports; a solid built from tiles as its visible tiles, not stitched: they are
    cut tile by tile, :func:`_tiles_cut`). A new dict; ``known`` is not changed."""
    known = dict(known or {})
    p, n, _ = _plane_frame(plane_point, plane_normal)
    cut = _reduced(stack, p, n, known)
    if len(cut):
        share = sum(b.count for b in cut) / max(sum(b.count for b in stack), 1)
        protos = prototype_meshes(cut, max_triangles=max(int(MAX_TRIANGLES * share), 1), stitch=False)
        for body in cut:
            known.update((id(part.shape), m) for part, m in zip(body.parts, protos[body.name], strict=True))
    return known


def _cut_segments(vertices: np.ndarray, faces: np.ndarray, p: np.ndarray, n: np.ndarray,
                  u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut a triangle mesh by the plane: (points (P, 2) in (u, z), segments (S, 2) indices into points).

    Points are computed once per mesh edge that crosses the plane, so faces sharing an edge share its point; a
    vertex on the plane counts as below it (consistent, so loops stay closed)."""
    d = (vertices - p) @ n
    above = d > 0
    fa = above[faces]
    cut = fa.any(axis=1) & ~fa.all(axis=1)
    f = faces[cut]
    if not len(f):
        return np.zeros((0, 2)), np.zeros((0, 2), dtype=np.int64)
    a = f[:, [0, 1, 2]].reshape(-1)
    b = f[:, [1, 2, 0]].reshape(-1)
    crosses = (above[a] != above[b]).reshape(-1, 3)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo.astype(np.int64) * (len(vertices) + 1) + hi
    key = key.reshape(-1, 3)[crosses].reshape(-1, 2)  # two crossing edges per cut face
    uniq, inv = np.unique(key, return_inverse=True)
    i0, i1 = uniq // (len(vertices) + 1), uniq % (len(vertices) + 1)
    d0, d1 = d[i0], d[i1]
    t = d0 / (d0 - d1)
    pts3 = vertices[i0] + t[:, None] * (vertices[i1] - vertices[i0])
    pts = np.column_stack([(pts3 - p) @ u, pts3[:, 2]])
    # a crossing edge that ends on the plane cuts at that vertex: key its point by the vertex, so every face
    # around it shares the point; other points are keyed by their edge. Members are never merged with each other.
    nv = len(vertices)
    ident = np.where(d0 == 0, i0, np.where(d1 == 0, i1, nv + np.arange(len(uniq))))
    _, node = np.unique(ident, return_inverse=True)
    node = node.reshape(-1)
    pts_m = np.zeros((node.max() + 1, 2))
    pts_m[node] = pts
    seg = node[inv.reshape(-1, 2)]
    seg = seg[seg[:, 0] != seg[:, 1]]
    return pts_m, seg


def _loops(points: np.ndarray, segments: np.ndarray) -> list[np.ndarray]:
    """Closed loops (K, 2) walked along ``segments``; open chains (a mesh that is not closed) are dropped."""
    if not len(segments):
        return []
    seg = np.unique(np.sort(segments, axis=1), axis=0)
    adj: dict[int, list[int]] = {}
    for a, b in seg.tolist():
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
    used: set[tuple[int, int]] = set()
    loops = []
    for start, nbrs in adj.items():
        for nxt in nbrs:
            if (min(start, nxt), max(start, nxt)) in used:
                continue
            path, cur = [start], nxt
            used.add((min(start, nxt), max(start, nxt)))
            closed = False
            while True:
                if cur == start:
                    closed = True
                    break
                path.append(cur)
                cand = [w for w in adj[cur] if (min(cur, w), max(cur, w)) not in used]
                if not cand:
                    break
                w = cand[0]  # at a branch point (loops touching at a vertex) any unused edge continues
                used.add((min(cur, w), max(cur, w)))
                cur = w
            if closed and len(path) >= 3:
                loops.append(points[path])
    return loops


def _signed_area(loop: np.ndarray) -> float:
    x, y = loop[:, 0], loop[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _inside(pt: np.ndarray, loop: np.ndarray) -> bool:
    """Even-odd ray test of ``pt`` against the polygon ``loop``."""
    x, y = loop[:, 0], loop[:, 1]
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    straddle = (y > pt[1]) != (y2 > pt[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x + (pt[1] - y) * (x2 - x) / (y2 - y)
    return bool(np.count_nonzero(straddle & (xc > pt[0])) % 2)


def _nest(loops: list[np.ndarray]) -> tuple[list[np.ndarray], list[list[np.ndarray]], float]:
    """Outer loops (CCW), their holes (CW) by even-odd nesting, and the net area."""
    loops = [lp for lp in loops if abs(_signed_area(lp)) > MIN_LOOP_AREA]
    if not loops:
        return [], [], 0.0
    areas = np.array([abs(_signed_area(lp)) for lp in loops])
    order = np.argsort(-areas)
    loops, areas = [loops[i] for i in order], areas[order]
    bb = np.array([np.concatenate([lp.min(axis=0), lp.max(axis=0)]) for lp in loops])
    parent = [-1] * len(loops)
    depth = [0] * len(loops)
    for i, lp in enumerate(loops):
        probe = lp[0]
        for j in range(i - 1, -1, -1):  # smallest enclosing loop first (sorted by decreasing area)
            if (bb[j, :2] <= bb[i, :2]).all() and (bb[j, 2:] >= bb[i, 2:]).all() and _inside(probe, loops[j]):
                parent[i], depth[i] = j, depth[j] + 1
                break
    outers, holes, index, area = [], [], {}, 0.0
    for i, lp in enumerate(loops):
        ccw = _signed_area(lp) > 0
        if depth[i] % 2 == 0:
            index[i] = len(outers)
            outers.append(lp if ccw else lp[::-1])
            holes.append([])
            area += areas[i]
        else:
            holes[index[parent[i]]].append(lp[::-1] if ccw else lp)
            area -= areas[i]
    return outers, holes, float(area)


def _groups(pl: np.ndarray, p: np.ndarray, n: np.ndarray, u: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """The placements ``pl`` (N, 4, 4) grouped by linear part and distance to the plane: per group, the index of
    its first member and the (k, 2) offsets (u, z) of all its members from that one, in the plane (mm)."""
    key = np.column_stack([np.round(pl[:, :3, :3].reshape(len(pl), 9), 12), np.round((pl[:, :3, 3] - p) @ n, 9)])
    _, first, group = np.unique(key, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    out = []
    for g, i in enumerate(first):
        t = pl[group == g, :3, 3] - pl[i, :3, 3]
        out.append((int(i), np.column_stack([t @ u, t[:, 2]])))
    return out


def _tiles_cut(member: np.ndarray, mesh: ProtoMesh, p: np.ndarray, n: np.ndarray,
               u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cut of one member (placement (4, 4)) of a solid built from tiles, from its visible tiles
    (:attr:`ProtoMesh.tiles`: the walls between tiles dropped): the tiles whose bounds cross the plane, each kind
    cut once per group of :func:`_groups` and moved to the others, and the pieces' points merged where they are
    equal to :data:`geometry.output.tiles.MERGE_DIGITS` digits (mm, as the stitched mesh welds them), so the
    chains of neighbouring tiles join into the solid's closed loops. (points (P, 2), segments (S, 2))."""
    pts, segs, offset = [], [], 0
    for v, f, q in mesh.tiles:
        if not len(f):
            continue
        world = np.einsum("ij,njk->nik", member, q)
        lo, hi = v.min(axis=0), v.max(axis=0)
        centre = world[:, :3, :3] @ ((lo + hi) / 2) + world[:, :3, 3]
        half = np.abs(world[:, :3, :3]) @ ((hi - lo) / 2)
        crossing = world[np.abs((centre - p) @ n) <= half @ np.abs(n) + 1e-9]
        if not len(crossing):
            continue
        for i, shifts in _groups(crossing, p, n, u):
            tp, ts = _cut_segments(*tile(v, f, crossing[i:i + 1]), p, n, u)
            if not len(ts):
                continue
            pts.append((tp[None] + shifts[:, None]).reshape(-1, 2))
            segs.append((ts[None] + (offset + len(tp) * np.arange(len(shifts)))[:, None, None]).reshape(-1, 2))
            offset += len(tp) * len(shifts)
    if not pts:
        return np.zeros((0, 2)), np.zeros((0, 2), dtype=np.int64)
    points = np.vstack(pts)
    _, first, inverse = np.unique((points * 10.0 ** MERGE_DIGITS).round().astype(np.int64), axis=0,
                                  return_index=True, return_inverse=True)
    seg = inverse.ravel()[np.vstack(segs)]
    return points[first], seg[seg[:, 0] != seg[:, 1]]


def _part_cut(part: Instances, mesh: ProtoMesh, p: np.ndarray, n: np.ndarray, u: np.ndarray):
    """The cut of the members of ``part`` that cross the plane: (outer loops, their holes, net area mm2). Members
    with the same linear part and distance to the plane are one group (:func:`_groups`): the prototype placed at
    its first member is cut once and the loops moved to the others by their offsets along the plane (u, z). A
    solid built from tiles is cut from its tiles (:func:`_tiles_cut`), member by member."""
    pl = part.placements[_crossing(part, p, n)]
    if not len(pl) or not (len(mesh.faces) or mesh.tiles):
        return [], [], 0.0
    outers, holes, area = [], [], 0.0
    for i, shifts in _groups(pl, p, n, u):
        cut = (_tiles_cut(pl[i], mesh, p, n, u) if mesh.tiles else
               _cut_segments(*tile(mesh.vertices, mesh.faces, pl[i:i + 1]), p, n, u))
        o, h, a = _nest(_loops(*cut))
        if not o:
            continue
        outers += [lp + s for s in shifts for lp in o]
        holes += [[lp + s for lp in hs] for s in shifts for hs in h]
        area += a * len(shifts)
    return outers, holes, area


def section(stack: Stack, plane_point: Sequence[float] = (0.0, 0.0, 0.0),
            plane_normal: Sequence[float] = (0.0, 1.0, 0.0), meshes: Mapping | None = None,
            prototypes: Mapping[int, ProtoMesh] | None = None, cuts: dict | None = None) -> list[Region]:
    """The vertical section of every body of ``stack`` by the plane through ``plane_point`` with horizontal
    ``plane_normal``: one :class:`Region` per body the plane cuts, in stack order, in plane coordinates (u, z), mm.

    Each prototype with members crossing the plane is cut once per distinct (linear part, distance to the plane)
    of those members and the cut placed for each of them (:func:`_part_cut`). ``prototypes`` (keyed by
    ``id(part.shape)``: :func:`prototype_index`, :func:`section_prototypes`) are the prototype meshes to cut;
    those missing are meshed (:func:`section_prototypes`). ``cuts``, a dict the caller keeps for one plane and
    one set of ``prototypes`` (the panels of a process strip), holds each part's cut by its prototype and
    placements objects, so a part that steps carry unchanged is cut once. ``meshes`` may instead pass a ready tiled
    ``stack_mesh(stack)`` result, cut as a whole. Curved bodies are cut on their volume-true meshes, so their
    outlines deviate from the B-rep by at most the chordal tolerance each prototype's mesh states.
    """
    p, n, u = _plane_frame(plane_point, plane_normal)
    if meshes is None:
        prototypes = section_prototypes(stack, p, n, prototypes)
    regions = []
    for body in stack:
        if meshes is not None:
            mesh = meshes.get(body.name)
            if mesh is None or not len(mesh.faces):
                continue
            pts, seg = _cut_segments(np.asarray(mesh.vertices), np.asarray(mesh.faces), p, n, u)
            outers, holes, area = _nest(_loops(pts, seg))
        else:
            outers, holes, area = [], [], 0.0
            for part in body.parts:
                if id(part.shape) in prototypes:
                    key = (id(part.shape), id(part.placements))
                    done = cuts.get(key) if cuts is not None else None
                    o, h, a = done or _part_cut(part, prototypes[id(part.shape)], p, n, u)
                    if cuts is not None:
                        cuts[key] = (o, h, a)
                    outers, holes, area = outers + o, holes + h, area + a
        if outers:
            regions.append(Region(body.name, body.material_name, tuple(body.material.color), outers, holes, area,
                                  tuple(body.embeds)))
    return regions
