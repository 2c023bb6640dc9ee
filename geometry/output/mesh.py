"""Triangle meshes of a stack (mm): each prototype tessellated once and tiled over its placements with numpy, swept
wires meshed from their centre lines, within a triangle budget shared by the bodies."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import cadquery as cq
import numpy as np
import trimesh

from ..core import occ
from ..core.stack import Stack

#: Mesh quality ladder, finest first: (linear deflection as a fraction of the prototype's bbox diagonal, angular
#: deflection in rad). Measured per sphere: 2,020 / 866 / 304 / 180 / 130 triangles, mesh volume -0.7 / -1.7 / -4.7
#: / -7.8 / -10.4 %; per 0.1 mm truncated-sphere bump: 1,258 / 598 / 252 / 166 / 112 triangles, -0.6 / -1.3 / -3.3 /
#: -5.3 / -8.2 %.
MESH_LEVELS: tuple[tuple[float, float], ...] = ((0.005, 0.2), (0.01, 0.3), (0.02, 0.5), (0.03, 0.65), (0.05, 0.8),
                                                (0.1, 1.1), (0.15, 1.4))


#: Absolute floor of the linear deflection (mm), so tiny prototypes are not meshed below 1 um.
MESH_FLOOR_MM = 1e-3


#: Default triangle budget of a whole stack for :func:`stack_mesh` (about 50 MB of binary STL), shared among the
#: bodies in proportion to their member counts.
MAX_TRIANGLES = 1_000_000


def _deflection(shape: cq.Shape, relative: float) -> float:
    b = occ.bounds(shape)
    return max(relative * float(np.linalg.norm(b[3:] - b[:3])), MESH_FLOOR_MM)


def _prototype_mesh(shape: cq.Shape, deflection: float, angular: float) -> tuple[np.ndarray, np.ndarray]:
    """Welded, cleaned triangulation of one prototype: vertices (n, 3) mm and faces (m, 3)."""
    v, f = occ.triangulate(shape, deflection, angular)
    m = trimesh.Trimesh(v, f, process=False)
    m.merge_vertices()
    m.update_faces(m.nondegenerate_faces() & m.unique_faces())
    m.remove_unreferenced_vertices()
    return np.asarray(m.vertices, dtype=float), np.asarray(m.faces, dtype=np.int64)


def tile(v: np.ndarray, f: np.ndarray, placements: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mesh (v, f) copied to each of the (N, 4, 4) placements; mirrored placements get reversed winding."""
    n = len(placements)
    vh = np.hstack([v, np.ones((len(v), 1))])
    verts = np.einsum("nij,kj->nki", placements[:, :3, :], vh).reshape(-1, 3)
    faces = np.repeat(f[None], n, axis=0)
    mirrored = np.linalg.det(placements[:, :3, :3]) < 0
    if mirrored.any():
        faces[mirrored] = faces[mirrored][:, :, ::-1]
    faces += (np.arange(n, dtype=np.int64) * len(v))[:, None, None]
    return verts, faces.reshape(-1, 3)


def concat(pieces: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.cumsum([0] + [len(v) for v, _ in pieces[:-1]])
    verts = np.vstack([v for v, _ in pieces]) if pieces else np.zeros((0, 3))
    faces = np.vstack([f + o for (_, f), o in zip(pieces, offsets)]) if pieces else np.zeros((0, 3), np.int64)
    return verts, faces


TUBE_SIDES = 12
"""Facets around a swept wire's section in meshes."""


TUBE_STEP_MM = 0.025
"""Longest step along a swept wire's centre line in meshes (mm)."""


def tube_mesh(spine: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed triangle mesh of a circle of ``radius`` swept along the polyline ``spine`` (K, 3), mm: rings of
    :data:`TUBE_SIDES` vertices carried by rotation-minimising frames (double reflection), capped at both ends."""
    seg = np.linalg.norm(np.diff(spine, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    n = int(np.clip(np.ceil(cum[-1] / TUBE_STEP_MM), 8, 400)) + 1
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
    a = np.linspace(0, 2 * np.pi, TUBE_SIDES, endpoint=False)
    ring = pts[:, None, :] + radius * (np.cos(a)[None, :, None] * u[:, None, :] + np.sin(a)[None, :, None] * w[:, None, :])
    verts = np.vstack([ring.reshape(-1, 3), pts[[0, -1]]])
    k = np.arange(TUBE_SIDES)
    i = np.arange(n - 1)[:, None] * TUBE_SIDES
    a0, a1 = i + k, i + (k + 1) % TUBE_SIDES
    b0, b1 = a0 + TUBE_SIDES, a1 + TUBE_SIDES
    side = np.concatenate([np.stack([a0, a1, b1], -1), np.stack([a0, b1, b0], -1)], axis=1).reshape(-1, 3)
    start, end = len(verts) - 2, len(verts) - 1
    caps = np.concatenate([np.column_stack([np.full(TUBE_SIDES, start), (k + 1) % TUBE_SIDES, k]),
                           np.column_stack([np.full(TUBE_SIDES, end), (n - 1) * TUBE_SIDES + k,
                                            (n - 1) * TUBE_SIDES + (k + 1) % TUBE_SIDES])])
    faces = np.vstack([side, caps]).astype(np.int64)
    if trimesh.Trimesh(verts, faces, process=False).volume < 0:
        faces = faces[:, ::-1]
    return verts, faces


def _finest_within(shape: cq.Shape, levels: Sequence[tuple[float, float, float | None]],
                   budget: float) -> tuple[np.ndarray, np.ndarray]:
    """The finest of ``levels`` (finest first) whose mesh of ``shape`` has at most ``budget`` triangles, else the
    coarsest. Tried from the coarsest up, so slender swept shapes with tight budgets mesh only once or twice."""
    best = None
    for rel, ang, tol in reversed(levels):
        mesh = _prototype_mesh(shape, _deflection(shape, rel) if tol is None else tol, ang)
        if best is not None and len(mesh[1]) > budget:
            break
        best = mesh
    return best


def stack_mesh(stack: Stack, tolerance: float | None = None, angular: float | None = None,
               max_triangles: int = MAX_TRIANGLES) -> dict[str, trimesh.Trimesh]:
    """One triangle mesh per body (mm), keyed by body name, in stack order.

    Each prototype is triangulated once, welded, and tiled over its placements with numpy; parts are then
    concatenated. Every member is a closed copy of its prototype's mesh, so a body is watertight when its
    prototypes are. Vertices lie on the B-rep surfaces, so mesh volumes are slightly low on curved bodies.

    Default quality (``tolerance`` and ``angular`` both None): ``max_triangles`` is shared among the bodies in
    proportion to their member counts (but never less than 10,000 per body), and a body's share among its
    prototypes by their member counts; each prototype gets the finest level of :data:`MESH_LEVELS` whose mesh
    fits its share per member, else the coarsest level. Swept wires that carry their centre line are meshed from
    it (:func:`tube_mesh`), not by triangulating the swept B-rep, which is slow and poor at coarse levels. The linear deflection is a
    fraction of each prototype's bbox diagonal, at least :data:`MESH_FLOOR_MM`. Per 0.1 mm bump the levels give
    1,258 / 598 / 252 / 166 / 112 triangles (volume -0.6 / -1.3 / -3.3 / -5.3 / -8.2 %) and fewer below.

    Explicit quality: ``tolerance`` is an absolute linear deflection (mm; default the finest relative level) and
    ``angular`` an angular deflection (rad; default 0.2); no triangle budget applies.
    """
    members = max(sum(b.count for b in stack), 1)
    if tolerance is None and angular is None:
        levels = [(rel, ang, None) for rel, ang in MESH_LEVELS]
    else:
        rel0, ang0 = MESH_LEVELS[0]
        levels = [(rel0, ang0 if angular is None else angular, tolerance)]
        max_triangles = math.inf
    out: dict[str, trimesh.Trimesh] = {}
    for body in stack:
        budget = max(max_triangles * body.count / members, 10_000)
        protos = [tube_mesh(p.spine, p.sweep_radius) if p.spine is not None and p.sweep_radius else
                  _finest_within(p.shape, levels, budget / body.count) for p in body.parts]
        verts, faces = concat([tile(v, f, p.placements) for (v, f), p in zip(protos, body.parts)])
        out[body.name] = trimesh.Trimesh(verts, faces, process=False,
                                         metadata={"name": body.name, "material": body.material_name})
    return out


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
