"""Mesh files of a stack from its prototype meshes (:func:`geometry.output.instanced.stack_meshes`): one binary STL
of the whole package (every member's triangles, written with numpy in one pass) and a coloured binary glTF (GLB)
with one mesh per prototype and its members as instances (:mod:`geometry.output.gltf`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from trimesh.triangles import normals

from ..core.stack import Stack
from .files import atomic, write_bytes
from .gltf import GLB_SCALE, glb, srgb_to_linear
from .instanced import BodyMeshes, StackMeshes, stack_meshes
from .mesh import tile

__all__ = ["GLB_SCALE", "STL_CHUNK", "STL_RECORD", "srgb_to_linear", "stl_chunks", "write_body_stl", "write_glb", "write_stl"]

#: One binary STL triangle: normal, three vertices (float32, mm) and a zero attribute word; 50 bytes.
STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attribute", "<u2")])


#: Triangles :func:`stl_chunks` fills at a time: one chunk's float64 work arrays (some 5 MB) stay in cache and the
#: file is written as they are filled, instead of tiling a prototype's members and filling the whole file at once.
STL_CHUNK = 16_384


def stl_chunks(bodies: Iterable[BodyMeshes]) -> Iterator[np.ndarray]:
    """Every member's triangles of ``bodies`` (in order, members in placement order) as :data:`STL_RECORD`
    rows, in chunks of at most :data:`STL_CHUNK` (or one member's) triangles, each chunk a view of one buffer valid
    until the next is made: tiled float64 vertices, cast to float32; the normal is the unit (b - a) x (c - a)
    (zero for a degenerate triangle), as trimesh's STL writer states it, so the bytes are the same."""
    buffer = np.zeros(STL_CHUNK, dtype=STL_RECORD)
    for body in bodies:
        for m, p in zip(body.meshes, body.placements):
            step = max(1, STL_CHUNK // max(len(m.faces), 1))
            for i in range(0, len(p), step):
                v, f = tile(m.vertices, m.faces, p[i:i + step])
                for j in range(0, len(f), STL_CHUNK):
                    tri = v[f[j:j + STL_CHUNK]]
                    unit, valid = normals(tri)
                    rows = buffer[:len(tri)]
                    rows["normal"] = 0.0
                    rows["normal"][valid] = unit
                    rows["vertices"] = tri
                    yield rows


def _write_records(path: Path | str, bodies: Sequence[BodyMeshes]) -> Path:
    """Binary STL of ``bodies``: an 80-byte zero header, the uint32 triangle count, 50 bytes per triangle, written
    chunk by chunk (:func:`stl_chunks`)."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(bytes(80) + np.uint32(sum(b.triangles for b in bodies)).astype("<u4").tobytes())
            fh.writelines(memoryview(rows).cast("B") for rows in stl_chunks(bodies))
    return atomic(path, write)


def write_stl(stack: Stack, path: Path | str, meshes: StackMeshes | None = None) -> Path:
    """Whole package as one binary STL (mm); ``meshes`` reuses a :func:`stack_meshes` result (default: its budgeted
    quality, every body volume-true within :data:`~geometry.output.mesh.VOLUME_BOUND`)."""
    meshes = stack_meshes(stack) if meshes is None else meshes
    return _write_records(path, list(meshes))


def write_body_stl(body: BodyMeshes, path: Path | str) -> Path:
    """One body's members (a :class:`~geometry.output.instanced.BodyMeshes`) as a binary STL (mm)."""
    return _write_records(path, [body])


def write_glb(stack: Stack, path: Path | str, meshes: StackMeshes | None = None, instancing: bool = True) -> Path:
    """Binary glTF of :func:`geometry.output.gltf.glb`: one mesh per prototype, one node per body named
    ``body.name`` (mm scaled to m by :data:`GLB_SCALE`), coloured by a linear-light PBR material; members as
    ``EXT_mesh_gpu_instancing`` transforms, or with ``instancing=False`` one child node per member."""
    meshes = stack_meshes(stack) if meshes is None else meshes
    return write_bytes(path, glb(stack, meshes, instancing))
