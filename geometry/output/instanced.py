"""A stack's meshes as prototypes and placements (mm): each prototype tessellated once per build
(:func:`geometry.output.mesh.prototype_meshes`) and its members kept as (N, 4, 4) placements, so the STL, GLB, HTML
viewer and manifest of one build all read one set of :class:`~geometry.output.mesh.ProtoMesh` and tiled arrays are
made only where a file needs every triangle (STL). The viewers (GLB, HTML) draw :meth:`BodyMeshes.views`: the same
meshes, except that a solid built from tiles is drawn as its visible tile meshes instanced (:class:`ViewMesh`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import trimesh

from ..core.stack import Stack
from .mesh import MAX_TRIANGLES, VOLUME_BOUND, ProtoMesh, concat, prototype_meshes, tile


@dataclass(frozen=True)
class ViewMesh:
    """One mesh a viewer draws instanced (local mm): ``vertices`` (n, 3), ``faces`` (m, 3), ``placements``
    (k, 4, 4) in the body's frame; ``prototype`` its prototype's index in the body, ``first`` the index of that
    prototype's first member in the body and ``per_member`` how many consecutive placements make one member (1;
    for the tiles of a tiled prototype, its tiles of this kind)."""

    vertices: np.ndarray
    faces: np.ndarray
    placements: np.ndarray
    prototype: int
    first: int
    per_member: int


#: What a viewer draws of a tiled body, as the manifest and the GLB state it.
TILED_VIEW = ("the visible surface of the solid as its tile meshes instanced (the walls between tiles dropped, "
              "tiles meeting at T-junctions), the same tile meshes as the welded, watertight mesh of the STL")


@dataclass(frozen=True)
class BodyMeshes:
    """One body's prototype meshes (local mm) and, per prototype, the (N, 4, 4) placements of its members."""

    name: str
    material: str
    meshes: tuple[ProtoMesh, ...]
    placements: tuple[np.ndarray, ...]

    @property
    def count(self) -> int:
        return sum(len(p) for p in self.placements)

    @property
    def triangles(self) -> int:
        """Triangles of the tiled body (every member)."""
        return sum(len(m.faces) * len(p) for m, p in zip(self.meshes, self.placements))

    def tiled(self) -> tuple[np.ndarray, np.ndarray]:
        """(vertices (n, 3) mm, faces (m, 3)) of every member, as :func:`geometry.output.mesh.stack_mesh` tiles."""
        return concat([tile(m.vertices, m.faces, p) for m, p in zip(self.meshes, self.placements)])

    def views(self, tiles: bool = True) -> tuple[ViewMesh, ...]:
        """What a viewer draws: each prototype's mesh at its members' placements, or with ``tiles`` a tiled
        prototype's :attr:`ProtoMesh.tiles` at each member's placement times the tiles' (member-major)."""
        out, first = [], 0
        for i, (m, p) in enumerate(zip(self.meshes, self.placements)):
            if tiles and m.tiles:
                out.extend(ViewMesh(v, f, np.einsum("nij,kjl->nkil", p, q).reshape(-1, 4, 4), i, first, len(q))
                           for v, f, q in m.tiles)
            else:
                out.append(ViewMesh(m.vertices, m.faces, p, i, first, 1))
            first += len(p)
        return tuple(out)

    @property
    def tiled_view(self) -> bool:
        """Whether :meth:`views` draws tiles (a prototype built from tiles)."""
        return any(m.tiles for m in self.meshes)

    def view_record(self) -> dict:
        """What the viewers draw of a tiled body (:data:`TILED_VIEW`): its meshes, instances and triangles (every
        instance), and the chordal tolerance (mm) of its tile meshes."""
        views = self.views()
        return {"drawn_as": TILED_VIEW, "meshes": len(views), "instances": sum(len(v.placements) for v in views),
                "triangles": sum(len(v.faces) * len(v.placements) for v in views),
                "tolerance_mm": max(m.tolerance_mm for m in self.meshes)}

    def bounds(self) -> np.ndarray:
        """``[xmin, ymin, zmin, xmax, ymax, zmax]`` (mm) of the tiled vertices, computed per distinct linear part of
        the placements (few: the rotations of a body), not per member."""
        lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
        for m, p in zip(self.meshes, self.placements):
            if not len(p) or not len(m.vertices):
                continue
            linear, inverse = linear_groups(p)
            for k, a in enumerate(linear):
                local = m.vertices @ a.reshape(3, 3).T
                t = p[inverse == k, :3, 3]
                lo = np.minimum(lo, local.min(axis=0) + t.min(axis=0))
                hi = np.maximum(hi, local.max(axis=0) + t.max(axis=0))
        return np.concatenate([lo, hi])

    def metadata(self) -> dict:
        """What :func:`geometry.output.mesh.stack_mesh` states per body: ``name``, ``material``, ``triangles``,
        ``tolerance_mm`` (largest prototype bound, mm) and ``volume_error_pct`` (mesh against solid volume)."""
        solid = [m.solid_volume * len(p) for m, p in zip(self.meshes, self.placements)]
        error = sum(s * m.volume_error for s, m in zip(solid, self.meshes)) / sum(solid) if sum(solid) else 0.0
        return {"name": self.name, "material": self.material, "triangles": self.triangles,
                "tolerance_mm": max(m.tolerance_mm for m in self.meshes), "volume_error_pct": 100.0 * error}


def linear_groups(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct linear parts (rounded to 1e-12) of the (N, 4, 4) placements ``p``, as (K, 9) rows in
    ``np.unique`` order, and each placement's row index (N,). One shared linear part (every array of a flat
    translation grid) is found by one comparison instead of sorting N rows."""
    rows = np.round(p[:, :3, :3], 12).reshape(len(p), 9)
    if (rows == rows[0]).all():
        return rows[:1], np.zeros(len(p), dtype=np.intp)
    linear, inverse = np.unique(rows, axis=0, return_inverse=True)
    return linear, inverse.ravel()


@dataclass(frozen=True)
class StackMeshes:
    """Per body (stack order) its :class:`BodyMeshes`; ``tolerance`` the requested chordal tolerance (mm) or None
    for the budgeted default quality."""

    bodies: tuple[BodyMeshes, ...]
    tolerance: float | None

    def __iter__(self) -> Iterator[BodyMeshes]:
        return iter(self.bodies)

    def __getitem__(self, name: str) -> BodyMeshes:
        return next(b for b in self.bodies if b.name == name)

    @property
    def triangles(self) -> int:
        return sum(b.triangles for b in self.bodies)

    def bounds(self) -> np.ndarray:
        """``[xmin, ymin, zmin, xmax, ymax, zmax]`` (mm) of every tiled vertex (zeros for an empty set)."""
        boxes = np.array([b.bounds() for b in self.bodies if b.triangles])
        if not len(boxes):
            return np.zeros(6)
        return np.concatenate([boxes[:, :3].min(axis=0), boxes[:, 3:].max(axis=0)])

    def trimeshes(self) -> dict[str, trimesh.Trimesh]:
        """The tiled meshes, one per body, exactly as :func:`geometry.output.mesh.stack_mesh` returns them."""
        return {b.name: trimesh.Trimesh(*b.tiled(), process=False, metadata=b.metadata()) for b in self.bodies}

    def record(self) -> dict:
        """The manifest's ``mesh`` section, as :func:`geometry.output.mesh.mesh_record` states it for the tiled
        meshes (requested tolerance mm, volume bound %, triangles, per body triangles, tolerance met, volume
        error %), without tiling; ``viewer`` says per tiled body what the GLB and HTML viewer draw instead
        (:meth:`BodyMeshes.view_record`)."""
        bodies = {b.name: b.metadata() for b in self.bodies}
        return {
            "tolerance_mm": self.tolerance,
            "default": None if self.tolerance is not None else (
                f"finest of MESH_LEVELS within a {MAX_TRIANGLES:,}-triangle budget, then volume-checked"),
            "volume_bound_pct": 100.0 * VOLUME_BOUND,
            "triangles": self.triangles,
            "bodies": {k: {key: m[key] for key in ("triangles", "tolerance_mm", "volume_error_pct")}
                       for k, m in bodies.items()},
            "viewer": {b.name: b.view_record() for b in self.bodies if b.tiled_view},
        }


def stack_meshes(stack: Stack, tolerance: float | None = None, angular: float | None = None,
                 max_triangles: int = MAX_TRIANGLES) -> StackMeshes:
    """The prototype meshes of ``stack`` (:func:`geometry.output.mesh.prototype_meshes`: ``tolerance`` mm,
    ``angular`` rad, ``max_triangles`` as there), each made once, with their members' placements."""
    protos = prototype_meshes(stack, tolerance, angular, max_triangles)
    return StackMeshes(tuple(
        BodyMeshes(body.name, body.material_name, tuple(protos[body.name]),
                   tuple(np.asarray(p.placements, dtype=float) for p in body.parts))
        for body in stack), tolerance)
