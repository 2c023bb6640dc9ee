"""Triangle meshes of a stack (mm) with a stated accuracy: each prototype tessellated once to a chordal tolerance,
corrected so its mesh volume equals its solid's, checked, and tiled over its placements with numpy; swept wires
meshed from their centre lines with an area-true polygon section, joined with the meshes of the ball bond and
stitch they were fused with.

Accuracy: OCCT's tessellation is inscribed (vertices on the surface), so a convex body loses volume and a hole
gains it. After tessellating, the vertices of curved faces are moved along the surface normal by one scale factor
times their local sag (the distance of a vertex above the mean of its curved neighbours), the factor solved so that
the mesh volume equals the B-rep volume; vertices on planar faces move only within their planes (an axis-aligned
face keeps its coordinate exactly, so seating planes and coplanarity stay exact). Each prototype is then checked:
volume within :data:`VOLUME_BOUND`, distance to the surface within the requested tolerance, else re-tessellated at
half the deflection. The bound stated for a prototype is OCCT's deflection plus the largest vertex move (triangle
inequality)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cadquery as cq
import numpy as np
import trimesh

from ..core import occ, occ_mesh
from ..core.parts import min_bend_radius
from ..core.stack import Instances, Stack
from .tiles import fewest_triangles, signed_volume, stitched, tile, visible_tiles

#: Mesh quality ladder of the default (budgeted) mode, finest first: (linear deflection as a fraction of the
#: prototype's bbox diagonal, angular deflection in rad). Inscribed (before the volume correction) per sphere:
#: 2,020 / 866 / 304 / 180 / 130 triangles, mesh volume -0.7 / -1.7 / -4.7 / -7.8 / -10.4 %.
MESH_LEVELS: tuple[tuple[float, float], ...] = ((0.005, 0.2), (0.01, 0.3), (0.02, 0.5), (0.03, 0.65), (0.05, 0.8),
                                                (0.1, 1.1), (0.15, 1.4))


#: Absolute floor of the linear deflection of the ladder (mm), so tiny prototypes are not meshed below 1 um.
MESH_FLOOR_MM = 1e-3


#: Default triangle budget of a whole stack for :func:`stack_mesh` (about 50 MB of binary STL): what planar
#: prototypes cost is taken first, the rest is shared among the members of curved prototypes. The volume check
#: may spend more (accuracy first).
MAX_TRIANGLES = 1_000_000


#: Largest relative difference between a prototype's mesh volume and its solid's volume that :func:`stack_mesh`
#: accepts (0.5 %); a prototype outside it is re-tessellated finer.
VOLUME_BOUND = 0.005


#: Re-tessellations (each at half the deflection) a prototype may take to meet its bounds.
MAX_REFINE = 6


#: Angular deflection (rad) when an explicit chordal tolerance is asked for.
ANGULAR = 0.5


@dataclass(frozen=True)
class ProtoMesh:
    """The mesh of one prototype (local mm): vertices (n, 3), faces (m, 3); ``volume_error`` (mesh - solid) /
    solid; ``tolerance_mm`` the bound on the distance between mesh and B-rep surface (mm); ``solid_volume`` the
    prototype's B-rep volume (mm3); ``tiles``, for a solid built from tiles, the visible surface as instanced
    tile meshes (:func:`geometry.output.tiles.visible_tiles`: vertices, faces and placements in the prototype's
    frame, the same tile meshes as the welded one), empty otherwise. A tiled mesh made without stitching
    (:func:`prototype_meshes` with ``stitch=False``, for sections) has only ``tiles``: no vertices or faces."""

    vertices: np.ndarray
    faces: np.ndarray
    volume_error: float
    tolerance_mm: float
    solid_volume: float
    tiles: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...] = field(default=(), compare=False)

    @property
    def triangles(self) -> int:
        """Triangles of one member; of a tiled mesh not stitched (no faces) its visible tiles' (the budget's count)."""
        faces = len(self.faces)
        return faces if faces or not self.tiles else sum(len(f) * len(q) for _, f, q in self.tiles)


def _size(part: Instances) -> float:
    """The length (mm) the mesh ladder's deflections are fractions of: the prototype's bbox diagonal, for a solid
    built from tiles its smallest tile's (the cell), so a 10,000-hole encapsulant is meshed as finely as its
    tiles were."""
    boxes = [q.local_bounds for q in part.pieces] if part.tiled else [part.local_bounds]
    return min(float(np.linalg.norm(b[3:] - b[:3])) for b in boxes)


def _welded(v: np.ndarray, f: np.ndarray, planar: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices merged, degenerate and duplicate triangles dropped; the planar flags follow their triangles."""
    m = trimesh.Trimesh(v, f, process=False)
    m.merge_vertices()
    keep = m.nondegenerate_faces() & m.unique_faces()
    m.update_faces(keep)
    m.remove_unreferenced_vertices()
    return np.asarray(m.vertices, dtype=float), np.asarray(m.faces, dtype=np.int64), planar[keep]


def _sag_field(v: np.ndarray, f: np.ndarray, planar: np.ndarray) -> np.ndarray:
    """(n, 3) move of each vertex by its local sag along the normal of its curved triangles (outward for a convex
    face, inward for a hole), projected onto the planes of the planar triangles it belongs to; zero elsewhere."""
    d = np.zeros_like(v)
    curved = f[~planar]
    if not len(curved):
        return d
    tri = v[curved]
    normal = np.zeros_like(v)
    np.add.at(normal, curved.ravel(), np.repeat(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), 3, axis=0))
    length = np.linalg.norm(normal, axis=1)
    on = length > 0
    normal[on] /= length[on, None]
    edges = np.unique(np.sort(np.vstack([curved[:, [0, 1]], curved[:, [1, 2]], curved[:, [2, 0]]]), axis=1), axis=0)
    total = np.zeros_like(v)
    count = np.zeros(len(v))
    for a, b in ((0, 1), (1, 0)):
        np.add.at(total, edges[:, a], v[edges[:, b]])
        np.add.at(count, edges[:, a], 1.0)
    mean = np.where(count[:, None] > 0, total / np.maximum(count, 1.0)[:, None], v)
    d[on] = (np.einsum("ij,ij->i", v - mean, normal)[:, None] * normal)[on]
    flat = f[planar]
    if len(flat):
        ft = v[flat]
        pn = np.cross(ft[:, 1] - ft[:, 0], ft[:, 2] - ft[:, 0])
        pn /= np.linalg.norm(pn, axis=1)[:, None]
        pairs = np.unique(np.column_stack([flat.ravel(), np.round(np.repeat(pn, 3, axis=0), 6)]), axis=0)
        vid = pairs[:, 0].astype(np.int64)
        first = np.searchsorted(vid, vid)
        rank = np.arange(len(vid)) - first
        basis = np.zeros((int(rank.max()) + 1, len(v), 3))
        for k in range(len(basis)):
            sel = rank == k
            ids, m = vid[sel], pairs[sel, 1:]
            for j in range(k):
                m = m - np.einsum("ij,ij->i", m, basis[j, ids])[:, None] * basis[j, ids]
            size = np.linalg.norm(m, axis=1)
            m = np.where(size[:, None] > 1e-6, m / np.maximum(size, 1e-300)[:, None], 0.0)
            basis[k, ids] = m
            d[ids] -= np.einsum("ij,ij->i", d[ids], m)[:, None] * m
        level = np.abs(pn[:, 2]) > 1.0 - 1e-12
        d[flat[level].ravel(), 2] = 0.0
    return d


def _volume_true(v: np.ndarray, f: np.ndarray, planar: np.ndarray, volume: float,
                 box: np.ndarray) -> tuple[np.ndarray, float]:
    """Vertices moved by ``c`` times :func:`_sag_field` and kept inside the solid's bounds ``box`` (so its extreme
    points, a ball's apex on the seating plane, stay where they are), ``c`` solved (secant) so the mesh volume is
    ``volume``; returns them and the largest move (mm). Unmoved when the field is zero or the factor implausible."""
    d = _sag_field(v, f, planar)
    if not np.any(d):
        return v, 0.0

    def moved(c: float) -> np.ndarray:
        return np.clip(v + c * d, box[:3], box[3:])

    c0, e0, c1 = 0.0, signed_volume(v, f) - volume, 1.0
    for _ in range(5):
        e1 = signed_volume(moved(c1), f) - volume
        if e1 == e0:
            break
        c0, e0, c1 = c1, e1, c1 - e1 * (c1 - c0) / (e1 - e0)
    if not np.isfinite(c1) or not 0.0 <= c1 <= 4.0:
        return v, 0.0
    out = moved(c1)
    return out, float(np.linalg.norm(out - v, axis=1).max())


def prototype_mesh(shape: cq.Shape, deflection: float, angular: float, tolerance: float | None = None,
                   volume: float | None = None, first: tuple | None = None,
                   box: np.ndarray | None = None) -> ProtoMesh:
    """The volume-true mesh of ``shape`` (local mm) from an OCCT ``deflection`` (mm) and ``angular`` (rad)
    deflection, re-tessellated at half the deflection until its volume is within :data:`VOLUME_BOUND` of the
    solid's and (when given) its surface within ``tolerance`` mm, at most :data:`MAX_REFINE` times; the last try
    is returned with its measured error and bound. ``first`` reuses a welded tessellation at ``deflection``;
    ``box`` gives the prototype's bounds (:attr:`Instances.local_bounds`, from its tiles for a tiled solid: OCCT's
    tight bounds of the 30,000 faces of fc-production's encapsulant take seconds a call)."""
    volume = occ.volume(shape) if volume is None else volume
    box = occ.bounds(shape) if box is None else box
    for attempt in range(MAX_REFINE + 1):
        v, f, planar = first if attempt == 0 and first is not None else _welded(
            *occ_mesh.triangulate_faces(shape, deflection, angular))
        v, moved = _volume_true(v, f, planar, volume, box)
        error = (signed_volume(v, f) - volume) / volume if volume else 0.0
        bound = 0.0 if planar.all() else deflection + moved
        if abs(error) <= VOLUME_BOUND and (tolerance is None or bound <= tolerance) or attempt == MAX_REFINE:
            return ProtoMesh(v, f, error, bound, volume)
        deflection /= 2.0
    raise AssertionError("unreachable")


def concat(pieces: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.cumsum([0] + [len(v) for v, _ in pieces[:-1]])
    verts = np.vstack([v for v, _ in pieces]) if pieces else np.zeros((0, 3))
    faces = np.vstack([f + o for (_, f), o in zip(pieces, offsets)]) if pieces else np.zeros((0, 3), np.int64)
    return verts, faces


TUBE_SIDES = 12
"""Facets around a swept wire's section in meshes of the default quality."""


TUBE_STEP_MM = 0.025
"""Longest step along a swept wire's centre line in meshes (mm)."""


def area_true_radius(radius: float, sides: int) -> float:
    """Circumradius (mm) of the regular ``sides``-gon whose area equals the circle of ``radius``:
    r' = r * sqrt(2 pi / (n sin(2 pi / n)))."""
    return radius * math.sqrt(2.0 * math.pi / (sides * math.sin(2.0 * math.pi / sides)))


def tube_deviation(radius: float, sides: int) -> float:
    """Largest distance (mm) between the area-true ``sides``-gon of :func:`area_true_radius` and its circle: at
    its corners (outside) or its edge midpoints (inside)."""
    r = area_true_radius(radius, sides)
    return max(r - radius, radius - r * math.cos(math.pi / sides))


def tube_sides(radius: float, tolerance: float | None) -> int:
    """Facets around a wire section: :data:`TUBE_SIDES` without a tolerance, else the fewest (8 to 256) whose
    :func:`tube_deviation` is within ``tolerance`` mm."""
    if tolerance is None:
        return TUBE_SIDES
    return next((n for n in range(8, 257) if tube_deviation(radius, n) <= tolerance), 256)


def tube_mesh(spine: np.ndarray, radius: float, sides: int = TUBE_SIDES,
              step: float = TUBE_STEP_MM) -> tuple[np.ndarray, np.ndarray]:
    """Closed triangle mesh of a circle of ``radius`` swept along the polyline ``spine`` (K, 3), mm: rings of
    ``sides`` vertices carried by rotation-minimising frames (double reflection) at most ``step`` mm apart, capped
    at both ends. The ring is the area-true polygon (:func:`area_true_radius`), so the tube's volume is the swept
    circle's, not the inscribed polygon's (which is 3.4 % low at 12 sides)."""
    radius = area_true_radius(radius, sides)
    seg = np.linalg.norm(np.diff(spine, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    n = int(np.clip(np.ceil(cum[-1] / step), 8, 4000)) + 1
    pts = np.column_stack([np.interp(np.linspace(0, cum[-1], n), cum, spine[:, i]) for i in range(3)])
    tangents = np.gradient(pts, axis=0)
    tangents /= np.linalg.norm(tangents, axis=1)[:, None]
    t0 = tangents[0]
    u = np.cross(t0, [1.0, 0.0, 0.0] if abs(t0[0]) < 0.9 else [0.0, 1.0, 0.0])
    frames = [u / np.linalg.norm(u)]
    for i in range(n - 1):
        v1 = pts[i + 1] - pts[i]
        c1 = v1 @ v1
        r_l = frames[-1] - (2 / c1) * (v1 @ frames[-1]) * v1
        t_l = tangents[i] - (2 / c1) * (v1 @ tangents[i]) * v1
        v2 = tangents[i + 1] - t_l
        c2 = v2 @ v2
        r_next = r_l - (2 / c2) * (v2 @ r_l) * v2 if c2 > 1e-30 else r_l
        frames.append(r_next / np.linalg.norm(r_next))
    u = np.array(frames)
    w = np.cross(tangents, u)
    a = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    ring = pts[:, None, :] + radius * (np.cos(a)[None, :, None] * u[:, None, :] + np.sin(a)[None, :, None] * w[:, None, :])
    verts = np.vstack([ring.reshape(-1, 3), pts[[0, -1]]])
    k = np.arange(sides)
    i = np.arange(n - 1)[:, None] * sides
    a0, a1 = i + k, i + (k + 1) % sides
    b0, b1 = a0 + sides, a1 + sides
    side = np.concatenate([np.stack([a0, a1, b1], -1), np.stack([a0, b1, b0], -1)], axis=1).reshape(-1, 3)
    start, end = len(verts) - 2, len(verts) - 1
    caps = np.concatenate([np.column_stack([np.full(sides, start), (k + 1) % sides, k]),
                           np.column_stack([np.full(sides, end), (n - 1) * sides + k,
                                            (n - 1) * sides + (k + 1) % sides])])
    faces = np.vstack([side, caps]).astype(np.int64)
    if trimesh.Trimesh(verts, faces, process=False).volume < 0:
        faces = faces[:, ::-1]
    return verts, faces


def _tiled(part: Instances, deflection: float, angular: float, tolerance: float | None,
           budget: float = math.inf, stitch: bool = True) -> ProtoMesh | None:
    """The mesh of a solid built from tiles (:attr:`Instances.tiled`): each tile prototype meshed once
    (:func:`prototype_mesh`, volume-true) and stitched over its placements (:func:`geometry.output.tiles.stitched`),
    instead of tessellating the whole (30,402 faces for fc-production's encapsulant); its volume is the tiles'
    (mm3); ``tiles`` holds the same tile meshes as the viewers draw them. None when the tiles do not stitch into
    one closed mesh, or when they would give more than ``budget`` triangles
    (:func:`geometry.output.tiles.fewest_triangles`, known before stitching). Without ``stitch`` only ``tiles``
    (no faces; volume error of the tile meshes; stitching not tried): what a section cuts, without welding."""
    own = [prototype_mesh(q.shape, deflection, angular, tolerance, occ.volume(q.shape), box=q.local_bounds)
           for q in part.pieces]
    tiles = ([(m.vertices, m.faces) for m in own], [q.placements for q in part.pieces],
             [q.local_bounds for q in part.pieces])
    if fewest_triangles(*tiles) > budget:
        return None
    volume = part.volume() / part.count
    if not stitch:
        meshed = sum(signed_volume(m.vertices, m.faces) * q.count for m, q in zip(own, part.pieces))
        return ProtoMesh(np.zeros((0, 3)), np.zeros((0, 3), np.int64), (meshed - volume) / volume,
                         max(m.tolerance_mm for m in own), volume, tuple(visible_tiles(*tiles)))
    out = stitched(*tiles)
    if out is None:
        return None
    return ProtoMesh(*out, (signed_volume(*out) - volume) / volume, max(m.tolerance_mm for m in own), volume,
                     tuple(visible_tiles(*tiles)))


def _tiled_within(part: Instances, budget: float, coarsest: ProtoMesh, stitch: bool = True) -> ProtoMesh:
    """:func:`_tiled` at the finest of :data:`MESH_LEVELS` within ``budget`` triangles, else ``coarsest``."""
    best = coarsest
    for rel, ang in reversed(MESH_LEVELS[:-1]):
        mesh = _tiled(part, max(rel * _size(part), MESH_FLOOR_MM), ang, None, budget, stitch)
        if mesh is None or mesh.triangles > budget:
            break
        best = mesh
    return best


def _coarsest(shape: cq.Shape, size: float) -> tuple[float, float, tuple]:
    """(deflection mm, angular rad, welded tessellation) of ``shape`` (:func:`_size` ``size``, mm) at the coarsest
    of :data:`MESH_LEVELS`."""
    rel, ang = MESH_LEVELS[-1]
    deflection = max(rel * size, MESH_FLOOR_MM)
    return deflection, ang, _welded(*occ_mesh.triangulate_faces(shape, deflection, ang))


def _finest_within(shape: cq.Shape, size: float, budget: float,
                   coarsest: tuple[float, float, tuple]) -> tuple[float, float, tuple]:
    """(deflection mm, angular rad, welded tessellation) of the finest of :data:`MESH_LEVELS` whose inscribed
    mesh of ``shape`` (:func:`_size` ``size``, mm) has at most ``budget`` triangles, else the coarsest (``coarsest``, :func:`_coarsest`, made
    once by the caller). Tried from the coarsest up, so tight budgets mesh only once or twice, and not again when
    the coarsest is already over ``budget`` (a finer step only adds triangles)."""
    best = coarsest
    if coarsest[2][2].all() or len(coarsest[2][1]) >= budget:
        return best
    for rel, ang in reversed(MESH_LEVELS[:-1]):
        deflection = max(rel * size, MESH_FLOOR_MM)
        mesh = _welded(*occ_mesh.triangulate_faces(shape, deflection, ang))
        if len(mesh[1]) > budget:
            break
        best = (deflection, ang, mesh)
        if mesh[2].all():
            break
    return best


def _tube(part: Instances, tolerance: float | None) -> ProtoMesh:
    """The volume-checked tube of a swept wire prototype (its area-true section lies up to the stated bound
    outside the swept solid, never clipped to its bounds, which would flatten a planar loop's sides): sides from
    ``tolerance`` (:func:`tube_sides`, half of it) and a step whose chord sag on the tightest bend is within the
    other half; sides doubled and the step halved until the volume is within :data:`VOLUME_BOUND` of the loop's
    (:func:`_loop_volume`). The stated bound is the section's deviation plus the chord sag (mm)."""
    volume = _loop_volume(part)
    bend = min_bend_radius(part.spine)
    step = TUBE_STEP_MM if tolerance is None else min(TUBE_STEP_MM, math.sqrt(4.0 * bend * tolerance))
    sides = tube_sides(part.sweep_radius, None if tolerance is None else tolerance / 2.0)
    for attempt in range(MAX_REFINE + 1):
        v, f = tube_mesh(part.spine, part.sweep_radius, sides, step)
        error = (signed_volume(v, f) - volume) / volume
        if abs(error) <= VOLUME_BOUND or attempt == MAX_REFINE:
            bound = tube_deviation(part.sweep_radius, sides) + (step**2 / (8.0 * bend) if math.isfinite(bend) else 0.0)
            return ProtoMesh(v, f, error, bound, volume)
        sides, step = sides * 2, step / 2
    raise AssertionError("unreachable")


def _is_tube(part: Instances) -> bool:
    return part.spine is not None and bool(part.sweep_radius)


def _loop_volume(part: Instances) -> float:
    """The volume (mm3) the tube of a swept prototype stands for: the solid's, less that of the pieces it was fused
    with (a wire's ball bond and stitch, meshed as solids of their own). They touch the loop without overlapping
    it (OCCT common 0 on every recipe), so the tube, the ball and the stitch together mesh the fused wire's volume;
    an overlap would show as the joined mesh's volume error (:func:`_joined`)."""
    return occ.volume(part.shape) - sum(q.volume() for q in part.pieces)


def _piece_items(parts: Sequence[tuple[str, Instances]]) -> list[tuple[None, Instances]]:
    """Each distinct piece prototype of the swept parts once, with as many (identity) members as it has in the
    stack, so the triangle budget counts every ball bond and stitch."""
    found: dict[int, tuple[cq.Shape, int]] = {}
    for _, p in parts:
        if _is_tube(p):
            for q in p.pieces:
                shape, n = found.get(id(q.shape), (q.shape, 0))
                found[id(q.shape)] = (shape, n + q.count * p.count)
    return [(None, Instances(shape, np.broadcast_to(np.eye(4), (n, 4, 4)))) for shape, n in found.values()]


def _joined(tube: ProtoMesh, part: Instances, pieces: Mapping[int, ProtoMesh]) -> ProtoMesh:
    """The mesh of a fused wire prototype: its tube and each of its pieces' meshes at the pieces' placements (one
    closed shell each, touching); the volume error is measured against the fused solid's volume (mm3), the bound
    is the largest of theirs."""
    if not part.pieces:
        return tube
    own = [pieces[id(q.shape)] for q in part.pieces]
    v, f = concat([(tube.vertices, tube.faces), *(tile(m.vertices, m.faces, q.placements)
                                                 for m, q in zip(own, part.pieces))])
    volume = occ.volume(part.shape)
    return ProtoMesh(v, f, (signed_volume(v, f) - volume) / volume, max(tube.tolerance_mm, *(m.tolerance_mm for m in own)),
                     volume)


def prototype_meshes(stack: Stack, tolerance: float | None = None, angular: float | None = None,
                     max_triangles: float = MAX_TRIANGLES, stitch: bool = True) -> dict[str, list[ProtoMesh]]:
    """Per body (stack order) the :class:`ProtoMesh` of each of its prototypes (parts in order).

    With ``tolerance`` (mm): every prototype's surface lies within it (OCCT deflection ``tolerance / 2``, then
    checked) and no triangle budget applies; ``angular`` defaults to :data:`ANGULAR`. Without: planar prototypes
    are tessellated first (their triangle count does not depend on the deflection), the rest of ``max_triangles``
    is shared equally among the members of curved prototypes, and each gets the finest :data:`MESH_LEVELS` step
    that fits its share; wires get :data:`TUBE_SIDES` facets (a fused wire: its tube joined with the meshes of its
    ball bond and stitch, each meshed once, :func:`_joined`). In both modes every prototype is then made
    volume-true and checked (:func:`prototype_mesh`), which may refine past the budget. Without ``stitch`` (a
    section's meshes) a solid built from tiles gets only its visible tiles (:func:`_tiled`, :attr:`ProtoMesh.triangles`)."""
    parts = [(body.name, p) for body in stack for p in body.parts]
    parts += _piece_items(parts)
    meshes: list[ProtoMesh] = []
    if tolerance is not None:
        ang = ANGULAR if angular is None else angular
        meshes = [_tube(p, tolerance) if _is_tube(p) else
                  p.tiled and _tiled(p, tolerance / 2.0, ang, tolerance, stitch=stitch) or
                  prototype_mesh(p.shape, tolerance / 2.0, ang, tolerance, p.volume() / p.count, box=p.local_bounds)
                  for _, p in parts]
    else:
        rel, ang = MESH_LEVELS[-1]
        tiled = {i: m for i, (_, p) in enumerate(parts) if p.tiled and not _is_tube(p)
                 and (m := _tiled(p, max(rel * _size(p), MESH_FLOOR_MM), ang, None, stitch=stitch)) is not None}
        coarse = {i: _coarsest(p.shape, _size(p)) for i, (_, p) in enumerate(parts)
                  if not _is_tube(p) and i not in tiled}
        tubes = {i: _tube(p, None) for i, (_, p) in enumerate(parts) if _is_tube(p)}
        fixed = sum(len(tubes[i].faces) * p.count for i, (_, p) in enumerate(parts) if i in tubes)
        fixed += sum(len(c[2][1]) * parts[i][1].count for i, c in coarse.items() if c[2][2].all())
        fixed += sum(m.triangles * parts[i][1].count for i, m in tiled.items() if not m.tolerance_mm)
        curved = [i for i, c in coarse.items() if not c[2][2].all()]
        curved += [i for i, m in tiled.items() if m.tolerance_mm]
        share = max(max_triangles - fixed, 0) / max(sum(parts[i][1].count for i in curved), 1)
        for i, (_, p) in enumerate(parts):
            if i in tubes or i in tiled:
                meshes.append(tubes[i] if i in tubes else _tiled_within(p, share, tiled[i], stitch) if i in curved
                              else tiled[i])
                continue
            deflection, ang, mesh = (coarse[i] if i not in curved else
                                     _finest_within(p.shape, _size(p), share, coarse[i]))
            meshes.append(prototype_mesh(p.shape, deflection, ang, None, p.volume() / p.count, mesh, p.local_bounds))
    pieces = {id(p.shape): m for (name, p), m in zip(parts, meshes) if name is None}
    out: dict[str, list[ProtoMesh]] = {body.name: [] for body in stack}
    for (name, p), m in zip(parts, meshes):
        if name is not None:
            out[name].append(_joined(m, p, pieces) if _is_tube(p) else m)
    return out


def stack_mesh(stack: Stack, tolerance: float | None = None, angular: float | None = None,
               max_triangles: int = MAX_TRIANGLES) -> dict[str, trimesh.Trimesh]:
    """One triangle mesh per body (mm), keyed by body name, in stack order: the prototypes of
    :func:`prototype_meshes` (``tolerance`` mm, ``angular`` rad, ``max_triangles`` as there) tiled over their
    placements with numpy and concatenated. Every member is a closed copy of its prototype's mesh, so a body is
    watertight when its prototypes are. Each mesh's ``metadata`` holds ``name``, ``material``, ``triangles``,
    ``tolerance_mm`` (the largest bound of its prototypes) and ``volume_error_pct`` (mesh against solid volume)."""
    protos = prototype_meshes(stack, tolerance, angular, max_triangles)
    out: dict[str, trimesh.Trimesh] = {}
    for body in stack:
        meshes = protos[body.name]
        verts, faces = concat([tile(m.vertices, m.faces, p.placements) for m, p in zip(meshes, body.parts)])
        solid = [m.solid_volume * p.count for m, p in zip(meshes, body.parts)]
        error = sum(s * m.volume_error for s, m in zip(solid, meshes)) / sum(solid) if sum(solid) else 0.0
        out[body.name] = trimesh.Trimesh(verts, faces, process=False, metadata={
            "name": body.name, "material": body.material_name, "triangles": len(faces),
            "tolerance_mm": max(m.tolerance_mm for m in meshes), "volume_error_pct": 100.0 * error})
    return out


def mesh_record(meshes: Mapping[str, trimesh.Trimesh], tolerance: float | None) -> dict:
    """The manifest's ``mesh`` section of :func:`stack_mesh` ``meshes``: the requested chordal tolerance (mm, null
    for the default budgeted quality), the volume bound (%), and per body its triangles, the tolerance its mesh
    meets (mm) and its volume error (%)."""
    return {
        "tolerance_mm": tolerance,
        "default": None if tolerance is not None else (
            f"finest of MESH_LEVELS within a {MAX_TRIANGLES:,}-triangle budget, then volume-checked"),
        "volume_bound_pct": 100.0 * VOLUME_BOUND,
        "triangles": sum(len(m.faces) for m in meshes.values()),
        "bodies": {k: {key: m.metadata[key] for key in ("triangles", "tolerance_mm", "volume_error_pct")}
                   for k, m in meshes.items()},
    }


def combined(meshes: Mapping[str, trimesh.Trimesh]) -> trimesh.Trimesh:
    verts, faces = concat([(np.asarray(m.vertices), np.asarray(m.faces)) for m in meshes.values()])
    return trimesh.Trimesh(verts, faces, process=False)


def mesh_bounds(meshes: Mapping[str, trimesh.Trimesh]) -> np.ndarray:
    """``[xmin, ymin, zmin, xmax, ymax, zmax]`` of all mesh vertices (mm): what a picture shows, and much cheaper
    than the B-rep bounds of many swept members."""
    pts = [np.asarray(m.vertices) for m in meshes.values() if len(m.vertices)]
    if not pts:
        return np.zeros(6)
    return np.concatenate([np.min([p.min(axis=0) for p in pts], axis=0), np.max([p.max(axis=0) for p in pts], axis=0)])
