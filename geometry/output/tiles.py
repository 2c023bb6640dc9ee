"""Triangle meshes tiled over placements (mm), and the surface mesh of a solid built from tiles: each tile
prototype's mesh placed on its members, the walls between tiles dropped, and the hole-free box tiles (the strips
around a bump array) re-triangulated as fans through every vertex on their edges, so no T-junction is left. The
one-solid first encapsulant of fc-production (30,402 faces) meshes as one cell prototype tiled 10,000 times
instead of one OCCT tessellation of the whole solid. Also the enclosed volume of a closed mesh (mm3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import trimesh
from scipy.spatial import cKDTree

EPS_MM = 1e-7
"""Distance (mm) within which a vertex counts as lying on a plane or an edge of a tile."""


def _placed(v: np.ndarray, placements: np.ndarray) -> np.ndarray:
    """(N, n, 3): the vertices ``v`` (n, 3) placed by each of the (N, 4, 4) ``placements``."""
    vh = np.hstack([v, np.ones((len(v), 1))])
    return np.einsum("nij,kj->nki", placements[:, :3, :], vh)


def tile(v: np.ndarray, f: np.ndarray, placements: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mesh (v, f) copied to each of the (N, 4, 4) placements; mirrored placements get reversed winding."""
    n = len(placements)
    verts = _placed(v, placements).reshape(-1, 3)
    faces = np.repeat(f[None], n, axis=0)
    mirrored = np.linalg.det(placements[:, :3, :3]) < 0
    if mirrored.any():
        faces[mirrored] = faces[mirrored][:, :, ::-1]
    faces += (np.arange(n, dtype=np.int64) * len(v))[:, None, None]
    return verts, faces.reshape(-1, 3)


VOLUME_CHUNK = 1 << 15
"""Faces whose triple products :func:`signed_volume` makes at a time."""


def signed_volume(v: np.ndarray, f: np.ndarray) -> float:
    """Enclosed volume (mm3) of the closed, outward-wound triangle mesh (v, f): the sum of the faces' triple
    products over 6, each made :data:`VOLUME_CHUNK` faces at a time (the same products, bit for bit, as from the
    whole mesh at once, summed as one array; without the whole mesh's corner and cross-product temporaries, 0.14
    instead of 0.3-1.9 CPU s for fc-100k's 3.0 M-face encapsulant)."""
    d = np.empty(len(f))
    for s in range(0, len(f), VOLUME_CHUNK):
        g = f[s:s + VOLUME_CHUNK]
        d[s:s + VOLUME_CHUNK] = np.einsum("ij,ij->i", v[g[:, 0]], np.cross(v[g[:, 1]], v[g[:, 2]]))
    return float(d.sum() / 6.0)


def _on(values: np.ndarray, level: float) -> np.ndarray:
    return np.abs(values - level) < EPS_MM


def _world_boxes(b: np.ndarray, placements: np.ndarray) -> np.ndarray:
    corners = np.array([[x, y, z, 1.0] for x in b[[0, 3]] for y in b[[1, 4]] for z in b[[2, 5]]])
    world = np.einsum("nij,kj->nki", placements[:, :3, :], corners)
    return np.concatenate([world.min(axis=1), world.max(axis=1)], axis=1)


def _is_box(v: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all([(_on(v[:, a], b[a]) | _on(v[:, a], b[a + 3])).all() for a in range(3)]))


def _fan(points: np.ndarray, axis: int, outward: float) -> tuple[np.ndarray, np.ndarray]:
    """A fan through the mean of the convex polygon ``points`` (its boundary, any order) in the plane normal to
    ``axis``, wound so its normal is ``outward`` (+1 or -1) times that axis."""
    u, w = [a for a in range(3) if a != axis]
    centre = points.mean(axis=0)
    order = np.argsort(np.arctan2(points[:, w] - centre[w], points[:, u] - centre[u]))
    ring = np.arange(1, len(points) + 1)
    v = np.vstack([centre, points[order]])
    f = np.column_stack([np.zeros(len(ring), np.int64), ring, np.roll(ring, -1)])
    normal = np.cross(v[f[0, 1]] - v[f[0, 0]], v[f[0, 2]] - v[f[0, 0]])
    return v, f if np.sign(normal[axis]) == np.sign(outward) else f[:, [0, 2, 1]]


MERGE_DIGITS = trimesh.util.decimal_to_digits(trimesh.tol.merge)
"""Decimal digits (of mm) to which :func:`merged` rounds vertices before comparing them: trimesh's (8)."""


def _sorted_runs(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, new) of the (n, 3) array ``a``: its rows' stable ``lexsort`` (first column first, equal rows in
    their original order) and whether each sorted row starts a run of equal rows."""
    order = np.lexsort((a[:, 2], a[:, 1], a[:, 0]))
    s = a[order]
    new = np.ones(len(s), dtype=bool)
    new[1:] = (s[1:] != s[:-1]).any(axis=1)
    return order, new


def unique_rows(a: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct row of the (n, 3) float array ``a``, in lexicographic
    order of the rows: ``np.unique(a, axis=0, return_index=True)[1]``, from one stable ``lexsort`` of the columns
    instead of a sort of row records."""
    order, new = _sorted_runs(a)
    return order[new]


def merged(v: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mesh (v, f) with its vertices that are equal when rounded to :data:`MERGE_DIGITS` digits (mm) merged
    and unreferenced ones dropped: what ``trimesh.Trimesh(v, f, process=False)`` gives after ``merge_vertices()``
    and ``remove_unreferenced_vertices()``, vertex for vertex (each kept at its first occurrence, in order of first
    occurrence), with one stable ``lexsort`` of the three rounded columns instead of trimesh's sort of 24-byte row
    keys. :func:`stitched` gives what this gives of every tile placed, welding only the vertices that can meet
    another tile's (:func:`_welded`)."""
    used = np.zeros(len(v), dtype=bool)
    used[f] = True
    ids = np.flatnonzero(used)
    order, new = _sorted_runs((v[ids] * 10.0 ** MERGE_DIGITS).round().astype(np.int64))
    group = np.cumsum(new) - 1
    first = order[new]
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    inverse = np.zeros(len(v), dtype=np.int64)
    inverse[ids[order]] = rank[group]
    return np.asarray(v[ids[np.sort(first)]], dtype=float), inverse[f].astype(np.int64)


def _closed_edges(edges: np.ndarray, n: int) -> bool:
    """Whether each of the directed ``edges`` (m, 2) over ``n`` vertices occurs once and its reverse occurs too:
    for all the edges of a mesh, that it is closed and consistently wound, every edge in two faces that run it
    opposite ways (trimesh's ``is_watertight and is_winding_consistent``, without its edge graph)."""
    forward = np.sort(edges[:, 0] * n + edges[:, 1])
    backward = np.sort(edges[:, 1] * n + edges[:, 0])
    return bool((forward[1:] != forward[:-1]).all()) and bool((forward == backward).all())


def _edges(f: np.ndarray) -> np.ndarray:
    """The directed edges (3 m, 2) of the faces ``f`` (m, 3), each face's three in turn."""
    return f[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)


GRID_CELLS = 10_000_000
"""Most cells of the grid on which :func:`_apart` counts how often the tiles cover each part of the plane."""


def _apart(world: np.ndarray) -> bool:
    """Whether the xy rectangles of the (n, 6) world boxes overlap nowhere but on their edges (bounds rounded to
    1e-9 mm): every cell of the grid of their distinct x and y bounds covered at most once, counted with a
    two-dimensional difference array. False also when that grid has more than :data:`GRID_CELLS` cells."""
    x, y = np.round(world[:, [0, 3]], 9), np.round(world[:, [1, 4]], 9)
    xs, ys = np.unique(x), np.unique(y)
    if len(xs) * len(ys) > GRID_CELLS:
        return False
    ix, iy = np.searchsorted(xs, x), np.searchsorted(ys, y)
    cover = np.zeros((len(xs), len(ys)), dtype=np.int64)
    for i, j, s in ((0, 0, 1), (1, 0, -1), (0, 1, -1), (1, 1, 1)):
        np.add.at(cover, (ix[:, i], iy[:, j]), s)
    return bool(cover.cumsum(axis=0).cumsum(axis=1).max() <= 1)


WELD_MARGIN_MM = 3 * EPS_MM
"""Distance (mm) from a tile's side walls beyond which :func:`stitched` leaves a vertex out of the weld."""

APART_MM = 2 * 10.0 ** -MERGE_DIGITS
"""Distance (mm) at or beyond which two vertices never round to the same :data:`MERGE_DIGITS` digits (1e-8 mm per
coordinate, under sqrt(3) * 1e-8 mm apart)."""


def _private(v: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Which vertices of the tile prototype mesh ``v`` (local mm, box ``b``) coincide, at each of its members
    ``p`` (N, 4, 4), with no other vertex of a stitched mesh whose tiles are :func:`_apart`: those farther than
    :data:`WELD_MARGIN_MM` from the box's side walls, when the placements are rigid and keep the z axis, ``v`` lies in
    ``b`` (to 1e-9 mm) and no two vertices of ``v`` are closer than :data:`APART_MM` (else none). Another tile's
    vertices lie in its own rectangle, which meets this one's at most on its edges, and so do the box tiles' fans;
    and the vertices of one member, welded or not, stay distinct."""
    none = np.zeros(len(v), dtype=bool)
    r = p[:, :3, :3]
    rigid = (np.abs(r[:, 2, :2]).max(initial=0.0) < 1e-12 and np.abs(r[:, :2, 2]).max(initial=0.0) < 1e-12
             and np.abs(np.einsum("nji,njk->nik", r, r) - np.eye(3)).max(initial=0.0) < 1e-9)
    if not len(p) or not rigid or (v < b[:3] - 1e-9).any() or (v > b[3:] + 1e-9).any():
        return none
    if len(cKDTree(v).query_pairs(APART_MM, output_type="ndarray")):
        return none
    return ((v[:, :2] - b[:2] > WELD_MARGIN_MM) & (b[3:5] - v[:, :2] > WELD_MARGIN_MM)).all(axis=1)


@dataclass(frozen=True)
class _Piece:
    """Copies of one mesh of ``size`` vertices in a stitched mesh: ``vertices`` (k * size, 3) mm, copy after copy,
    ``private`` which of them are not welded, ``kept`` (k,) how many faces each copy keeps and ``groups`` the copies
    that keep the same faces the same way round, as (copies (j,) in order, their faces (m, 3) as indices into a
    copy, in order, and which of those faces have two welded vertices)."""

    vertices: np.ndarray
    private: np.ndarray
    size: int
    kept: np.ndarray
    groups: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]


def stitched(meshes: Sequence[tuple[np.ndarray, np.ndarray]], placements: Sequence[np.ndarray],
             boxes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """The welded surface mesh (v, f) of the solid that the tiles fill: ``meshes`` the closed, outward-wound mesh
    of each tile prototype (local mm), ``placements`` its (N, 4, 4) members, ``boxes`` its local bounds (the cell,
    mm). Walls of a tile that do not lie on the outside of the whole are dropped; a tile whose mesh is its box is
    replaced by fans through every vertex of the result on its outer faces' edges. None when the result is not a
    closed, consistently wound mesh (tiles of another kind).

    The result is that of placing every tile, welding all its vertices with :func:`merged` and checking all its
    edges with :func:`_closed_edges`, vertex for vertex and face for face, but only the vertices that can meet another tile's are
    welded: when the tiles are :func:`_apart`, a tile's :func:`_private` vertices (fc-100k's encapsulant cell: 45
    of 53) are each their own vertex of the result, and the edges with a private end, which only faces of the same
    member hold (faces never dropped), are checked once per prototype; only the edges between two welded vertices
    are checked over the whole."""
    world = [_world_boxes(b, p) for b, p in zip(boxes, placements, strict=True)]
    allb = np.vstack(world)
    block = np.concatenate([allb[:, :3].min(axis=0), allb[:, 3:].max(axis=0)])
    outside = [(a, block[a]) for a in range(3)] + [(a, block[a + 3]) for a in range(3)]
    apart = _apart(allb)
    pieces: list[_Piece] = []
    box_members: list[np.ndarray] = []
    for (v, f), p, b, wb in zip(meshes, placements, boxes, world, strict=True):
        if _is_box(v, b):
            box_members.append(wb)
            continue
        wall = np.zeros(len(f), dtype=bool)
        for a in (0, 1):
            for level in (b[a], b[a + 3]):
                wall |= _on(v[:, a], level)[f].all(axis=1)
        own = _private(v, b, p) if apart else np.zeros(len(v), dtype=bool)
        inner = _edges(f[~wall])
        if len(p) and not _closed_edges(inner[own[inner].any(axis=1)], len(v)):
            return None
        tv = _placed(v, p)
        keep = np.tile(~wall, (len(p), 1))
        wv, wf = np.unique(f[wall], return_inverse=True)
        if len(wv):
            on = np.zeros((len(p), int(wall.sum())), dtype=bool)
            for a, level in outside:
                on |= _on(tv[:, wv, a], level)[:, wf.reshape(-1, 3)].all(axis=2)
            keep[:, wall] = on
        mirrored = np.linalg.det(p[:, :3, :3]) < 0
        rows = np.column_stack([keep, mirrored])
        if (rows == rows[:1]).all():
            kinds, which = rows[:1], np.zeros(len(p), dtype=np.intp)
        else:
            kinds, which = np.unique(rows, axis=0, return_inverse=True)
        touching = (~own[f]).sum(axis=1) > 1
        groups = []
        for k, kind in enumerate(kinds):
            faces = f[kind[:-1]]
            groups.append((np.flatnonzero(which.ravel() == k), faces[:, ::-1] if kind[-1] else faces,
                           touching[kind[:-1]]))
        pieces.append(_Piece(tv.reshape(-1, 3), np.tile(own, len(p)), len(v), keep.sum(axis=1), tuple(groups)))
    if box_members:
        corners = np.array([[wb[i], wb[j], wb[k]] for wb in np.vstack(box_members)
                            for i in (0, 3) for j in (1, 4) for k in (2, 5)])
        cand = np.vstack([*(q.vertices[~q.private] for q in pieces), corners])
        near = np.zeros(len(cand), dtype=bool)
        for a, level in outside:
            near |= _on(cand[:, a], level)
        cand = cand[near]
        cand = cand[unique_rows(np.round(cand, 8))]  # as merge_vertices rounds
        for wb in np.vstack(box_members):
            for a in range(3):
                for level, outward in ((wb[a], -1.0), (wb[a + 3], 1.0)):
                    if not np.isclose(level, block[a + (3 if outward > 0 else 0)], rtol=0, atol=EPS_MM):
                        continue
                    u, w = [x for x in range(3) if x != a]
                    pts = cand[_on(cand[:, a], level)]
                    inside = ((pts[:, u] > wb[u] - EPS_MM) & (pts[:, u] < wb[u + 3] + EPS_MM)
                              & (pts[:, w] > wb[w] - EPS_MM) & (pts[:, w] < wb[w + 3] + EPS_MM))
                    edge = (_on(pts[:, u], wb[u]) | _on(pts[:, u], wb[u + 3]) | _on(pts[:, w], wb[w])
                            | _on(pts[:, w], wb[w + 3]))
                    fv, ff = _fan(pts[inside & edge], a, outward)
                    pieces.append(_Piece(fv, np.zeros(len(fv), dtype=bool), len(fv), np.array([len(ff)]),
                                         ((np.zeros(1, dtype=np.intp), ff, np.ones(len(ff), dtype=bool)),)))
    v, f, welded, touching = _welded(pieces)
    edges = _edges(touching)
    if not len(f) or not _closed_edges(edges[welded[edges].all(axis=1)], len(v)):
        return None
    return v, f


def _welded(pieces: Sequence[_Piece]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`merged` of the pieces' meshes one after the other (each copy's kept faces in turn), when their
    ``private`` vertices equal no other vertex to :data:`MERGE_DIGITS` digits: only the others go through the
    ``lexsort``, and the faces of the result are gathered group by group, not made for the whole first. Also
    returns which vertices of the result were welded (not private) and the faces with two welded vertices."""
    starts = np.cumsum([0] + [len(q.vertices) for q in pieces])
    private = np.concatenate([q.private for q in pieces])
    used = np.zeros(starts[-1], dtype=bool)
    for q, o in zip(pieces, starts):
        for members, faces, _ in q.groups:
            used[o:o + len(q.vertices)].reshape(-1, q.size)[members[:, None], np.unique(faces)] = True
    shared = np.flatnonzero(used & ~private)
    local = np.split(shared, np.searchsorted(shared, starts[1:-1]))
    coords = np.vstack([q.vertices[i - o] for q, i, o in zip(pieces, local, starts)])
    order, new = _sorted_runs((coords * 10.0 ** MERGE_DIGITS).round().astype(np.int64))
    first = shared[order[new]]
    head = used & private
    head[first] = True
    inverse = np.cumsum(head) - 1
    inverse[shared[order]] = inverse[first][np.cumsum(new) - 1]
    v = np.vstack([q.vertices[head[o:o + len(q.vertices)]] for q, o in zip(pieces, starts)])
    f = np.empty((sum(int(q.kept.sum()) for q in pieces), 3), dtype=np.int64)
    flat = f.reshape(-1)
    touching = []
    row = 0
    for q, o in zip(pieces, starts):
        index = inverse[o:o + len(q.vertices)].reshape(-1, q.size)
        if len(q.groups) == 1 and len(q.groups[0][0]) == len(q.kept):
            _, faces, touch = q.groups[0]
            block = f[row:row + int(q.kept.sum())].reshape(len(q.kept), -1)
            np.take(index, faces.ravel(), axis=1, out=block)
            touching.append(block.reshape(len(q.kept), -1, 3)[:, touch].reshape(-1, 3))
        else:
            first_row = row + np.cumsum(q.kept) - q.kept
            for members, faces, touch in q.groups:
                block = np.take(index[members], faces.ravel(), axis=1)
                flat[(3 * first_row[members])[:, None] + np.arange(block.shape[1])] = block
                touching.append(block.reshape(len(members), -1, 3)[:, touch].reshape(-1, 3))
        row += int(q.kept.sum())
    return np.asarray(v, dtype=float), f, ~private[head], np.vstack(touching)


def _wall_faces(v: np.ndarray, f: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(4, m) bool: which triangles of the tile mesh (v, f) lie on each side wall of its box ``b`` (x min, x max,
    y min, y max)."""
    local = v[f]
    return np.array([_on(local[:, :, a], level).all(axis=1) for a in (0, 1) for level in (b[a], b[a + 3])])


def visible_tiles(meshes: Sequence[tuple[np.ndarray, np.ndarray]], placements: Sequence[np.ndarray],
                  boxes: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The surface of the solid that the tiles fill (arguments as :func:`stitched`) as instanced pieces for a
    viewer: per tile prototype and per set of its side walls that lie on the outside of the whole, the tile's mesh
    without its other side walls (they lie between tiles and are never seen) and the (k, 4, 4) placements of the
    members with that set, as (vertices mm, faces, placements). Unlike :func:`stitched` nothing is welded or
    re-triangulated: tiles meet at T-junctions, and the pieces enclose the tiles' volume (each dropped wall has an
    opposite one on the same plane). The file then grows with tile prototypes, not tiles."""
    world = np.vstack([_world_boxes(b, p) for b, p in zip(boxes, placements, strict=True)])
    block = np.concatenate([world[:, :3].min(axis=0), world[:, 3:].max(axis=0)])
    out = []
    for (v, f), p, b in zip(meshes, placements, boxes, strict=True):
        walls = _wall_faces(v, f, b)
        mids = np.tile(np.append((b[:3] + b[3:]) / 2.0, 1.0), (4, 1))
        mids[[0, 1], 0], mids[[2, 3], 1] = b[[0, 3]], b[[1, 4]]
        placed = np.einsum("nij,kj->nki", p[:, :3, :], mids)
        outside = np.zeros(placed.shape[:2], dtype=bool)
        for a in range(3):
            outside |= _on(placed[:, :, a], block[a]) | _on(placed[:, :, a], block[a + 3])
        sets, which = np.unique(outside, axis=0, return_inverse=True)
        for k, kept in enumerate(sets):
            drop = walls[~kept].any(axis=0)
            used, faces = np.unique(f[~drop], return_inverse=True)
            out.append((v[used], faces.reshape(-1, 3).astype(np.int64), p[which.ravel() == k]))
    return out


def fewest_triangles(meshes: Sequence[tuple[np.ndarray, np.ndarray]], placements: Sequence[np.ndarray],
                     boxes: Sequence[np.ndarray]) -> int:
    """A lower bound on the triangles of :func:`stitched` (same arguments), without stitching: every triangle of
    a tile that is not a box and does not lie on a side wall of its cell, times its members (the stitched mesh
    keeps them all, and adds outer walls and the box tiles' fans)."""
    return sum(int((~_wall_faces(v, f, b).any(axis=0)).sum()) * len(p)
               for (v, f), p, b in zip(meshes, placements, boxes, strict=True) if not _is_box(v, b))
