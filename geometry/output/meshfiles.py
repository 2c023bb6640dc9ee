"""Mesh files of a stack from its prototype meshes (:func:`geometry.output.instanced.stack_meshes`): one binary STL
of the whole package (every member's triangles, written with numpy in one pass) and a coloured binary glTF (GLB)
with one mesh per prototype and its members as instances (:mod:`geometry.output.gltf`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from trimesh.triangles import normals

from ..core.stack import Stack
from .files import atomic, write_bytes
from .gltf import GLB_SCALE, glb, srgb_to_linear
from .instanced import BodyMeshes, StackMeshes, stack_meshes
from .mesh import tile

__all__ = ["GLB_SCALE", "STL_RECORD", "srgb_to_linear", "stl_records", "write_body_stl", "write_glb", "write_stl"]

#: One binary STL triangle: normal, three vertices (float32, mm) and a zero attribute word; 50 bytes.
STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attribute", "<u2")])


def stl_records(bodies: Iterable[BodyMeshes]) -> np.ndarray:
    """Every member's triangles of ``bodies`` (in order, members in placement order) as :data:`STL_RECORD`
    rows, filled prototype by prototype from the tiled float64 vertices; the normal is the unit (b - a) x (c - a)
    (zero for a degenerate triangle), as trimesh's STL writer states it, so the bytes are the same."""
    bodies = list(bodies)
    out = np.zeros(sum(b.triangles for b in bodies), dtype=STL_RECORD)
    k = 0
    for body in bodies:
        for m, p in zip(body.meshes, body.placements):
            v, f = tile(m.vertices, m.faces, p)
            tri = v[f]
            unit, valid = normals(tri)
            rows = out[k:k + len(f)]
            rows["normal"][valid] = unit
            rows["vertices"] = tri
            k += len(f)
    return out


def _write_records(path: Path | str, records: np.ndarray) -> Path:
    """Binary STL of ``records``: an 80-byte zero header, the uint32 triangle count, 50 bytes per triangle."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(bytes(80) + np.uint32(len(records)).astype("<u4").tobytes())
            fh.write(memoryview(records).cast("B"))
    return atomic(path, write)


def write_stl(stack: Stack, path: Path | str, meshes: StackMeshes | None = None) -> Path:
    """Whole package as one binary STL (mm); ``meshes`` reuses a :func:`stack_meshes` result (default: its budgeted
    quality, every body volume-true within :data:`~geometry.output.mesh.VOLUME_BOUND`)."""
    meshes = stack_meshes(stack) if meshes is None else meshes
    return _write_records(path, stl_records(meshes))


def write_body_stl(body: BodyMeshes, path: Path | str) -> Path:
    """One body's members (a :class:`~geometry.output.instanced.BodyMeshes`) as a binary STL (mm)."""
    return _write_records(path, stl_records([body]))


def write_glb(stack: Stack, path: Path | str, meshes: StackMeshes | None = None, instancing: bool = True) -> Path:
    """Binary glTF of :func:`geometry.output.gltf.glb`: one mesh per prototype, one node per body named
    ``body.name`` (mm scaled to m by :data:`GLB_SCALE`), coloured by a linear-light PBR material; members as
    ``EXT_mesh_gpu_instancing`` transforms, or with ``instancing=False`` one child node per member."""
    meshes = stack_meshes(stack) if meshes is None else meshes
    return write_bytes(path, glb(stack, meshes, instancing))
