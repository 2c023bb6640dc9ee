"""Binary glTF 2.0 (GLB) of a stack's prototype meshes, written with numpy and json (Khronos glTF 2.0 and its
``EXT_mesh_gpu_instancing`` extension): one mesh per prototype, one node per body named after it (scaled mm -> m)
and each prototype's members either as ``EXT_mesh_gpu_instancing`` TRANSLATION/ROTATION/SCALE accessors (the
default: the file grows with prototypes, not members; a solid built from tiles drawn as its tile meshes instanced)
or as one child node per member with its matrix (every glTF reader, trimesh included, sees each member). This module writes no file: :func:`geometry.output.meshfiles.write_glb`
does."""

from __future__ import annotations

import json
import struct

import numpy as np

from ..core.stack import Stack
from .instanced import BodyMeshes, StackMeshes, ViewMesh

#: glTF lengths are metres; each body node scales the millimetre geometry by this factor.
GLB_SCALE = 1e-3

#: The glTF extension that draws one mesh at many transforms.
INSTANCING = "EXT_mesh_gpu_instancing"

_FLOAT, _UINT16, _UINT32 = 5126, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """Linear-light values (0-1) of sRGB-encoded ones (IEC 61966-2-1 transfer function): glTF 2.0 stores
    ``baseColorFactor`` in linear light, the material palette is sRGB as the HTML viewer and STEP show it."""
    c = np.asarray(rgb, dtype=float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def quaternions(rot: np.ndarray) -> np.ndarray:
    """Unit quaternions (x, y, z, w), w >= 0, of the (N, 3, 3) proper rotation matrices ``rot`` (Shepperd's method:
    each from the largest of w, x, y, z, so half-turns keep the relative signs of their components)."""
    r = rot
    d0, d1, d2 = r[:, 0, 0], r[:, 1, 1], r[:, 2, 2]
    s21, s02, s10 = r[:, 2, 1] - r[:, 1, 2], r[:, 0, 2] - r[:, 2, 0], r[:, 1, 0] - r[:, 0, 1]
    a01, a02, a12 = r[:, 0, 1] + r[:, 1, 0], r[:, 0, 2] + r[:, 2, 0], r[:, 1, 2] + r[:, 2, 1]
    big = np.stack([1 + d0 + d1 + d2, 1 + d0 - d1 - d2, 1 - d0 + d1 - d2, 1 - d0 - d1 + d2], axis=1)
    cand = np.stack([np.stack([s21, s02, s10, big[:, 0]], axis=1),
                     np.stack([big[:, 1], a01, a02, s21], axis=1),
                     np.stack([a01, big[:, 2], a12, s02], axis=1),
                     np.stack([a02, a12, big[:, 3], s10], axis=1)], axis=1)
    q = cand[np.arange(len(r)), np.argmax(big, axis=1)]
    q /= np.linalg.norm(q, axis=1)[:, None]
    return np.where(q[:, 3:] < 0, -q, q)


def trs(placements: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(translations (N, 3), unit quaternions x, y, z, w (N, 4), scales (N, 3)) with T R S = each of the (N, 4, 4)
    placements (a mirror is a scale of -1 along x), or None when one is not of that form (a shear)."""
    linear = placements[:, :3, :3]
    scale = np.linalg.norm(linear, axis=1)
    scale[np.linalg.det(linear) < 0, 0] *= -1.0
    if np.any(scale == 0.0):
        return None
    rot = linear / scale[:, None, :]
    if np.abs(np.einsum("nji,njk->nik", rot, rot) - np.eye(3)).max() > 1e-9:
        return None
    return placements[:, :3, 3], quaternions(rot), scale


class _Buffer:
    """The BIN chunk being built: bufferViews and accessors appended, each view 4-byte aligned."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def accessor(self, a: np.ndarray, kind: str, component: int, target: int | None = None,
                 bounds: bool = False) -> int:
        data = np.ascontiguousarray(a).tobytes()
        view = {"buffer": 0, "byteOffset": self.size, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.chunks.append(data + b"\0" * (-len(data) % 4))
        self.size += len(data) + (-len(data) % 4)
        self.views.append(view)
        acc = {"bufferView": len(self.views) - 1, "componentType": component, "count": len(a), "type": kind}
        if bounds:
            acc["min"] = [float(x) for x in a.min(axis=0)]
            acc["max"] = [float(x) for x in a.max(axis=0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1


def _material(body, material_index: dict[str, int], materials: list[dict]) -> int:
    if body.material_name not in material_index:
        rgba = np.asarray(body.material.color, dtype=float)
        rgba = np.append(srgb_to_linear(rgba[:3]), rgba[3])
        materials.append({"name": body.material_name, "alphaMode": "BLEND" if rgba[3] < 1.0 else "OPAQUE",
                          "pbrMetallicRoughness": {"baseColorFactor": [float(c) for c in rgba],
                                                   "metallicFactor": 0.0, "roughnessFactor": 0.6}})
        material_index[body.material_name] = len(materials) - 1
    return material_index[body.material_name]


def _instances(buf: _Buffer, placements: np.ndarray) -> dict | None:
    """The ``EXT_mesh_gpu_instancing`` object of ``placements`` (identity rotations and scales left out), or None
    when they are not all translation-rotation-scale."""
    parts = trs(placements)
    if parts is None:
        return None
    t, q, s = parts
    attributes = {"TRANSLATION": buf.accessor(t.astype("<f4"), "VEC3", _FLOAT)}
    if np.abs(q - [0.0, 0.0, 0.0, 1.0]).max() > 0.0:
        attributes["ROTATION"] = buf.accessor(q.astype("<f4"), "VEC4", _FLOAT)
    if np.abs(s - 1.0).max() > 0.0:
        attributes["SCALE"] = buf.accessor(s.astype("<f4"), "VEC3", _FLOAT)
    return {INSTANCING: {"attributes": attributes}}


def _body_nodes(buf: _Buffer, body: BodyMeshes, views: tuple[ViewMesh, ...], mesh_ids: list[int],
                nodes: list[dict], instancing: bool) -> tuple[dict, bool]:
    """The body's node (name, scale, mesh or children) with its members appended to ``nodes``; and whether
    ``EXT_mesh_gpu_instancing`` was used. A tiled body's node states in its ``extras`` what it draws
    (:data:`~geometry.output.instanced.TILED_VIEW`); each of its tile nodes names its prototype, that prototype's
    member count and the instances per member."""
    node: dict = {"name": body.name, "scale": [GLB_SCALE] * 3}
    tiled = instancing and body.tiled_view
    if tiled:
        node["extras"] = body.view_record()
    used, children = False, []
    for i, (mesh, view) in enumerate(zip(mesh_ids, views)):
        ext = _instances(buf, view.placements) if instancing else None
        extras = {"prototype": view.prototype, "members": len(body.placements[view.prototype]),
                  "per_member": view.per_member} if tiled else None
        if ext is not None:
            used = True
            if len(views) == 1 and not tiled:
                node.update(mesh=mesh, extensions=ext)
                return node, used
            child = {"name": f"{body.name}.{i}", "mesh": mesh, "extensions": ext}
            children.append({**child, "extras": extras} if extras else child)
            continue
        for k, m in enumerate(view.placements):
            child = {"name": f"{body.name}.{i}.{k}", "mesh": mesh}
            if not np.array_equal(m, np.eye(4)):
                child["matrix"] = [float(x) for x in m.T.ravel()]
            children.append(child)
    node["children"] = list(range(len(nodes), len(nodes) + len(children)))
    nodes.extend(children)
    return node, used


def glb(stack: Stack, meshes: StackMeshes, instancing: bool = True) -> bytes:
    """The GLB of ``stack`` from its prototype ``meshes``: one mesh per prototype (float32 POSITION in mm, uint16
    or uint32 indices; no normals, so readers shade flat as glTF requires), one material per material name (sRGB
    palette converted to the linear ``baseColorFactor`` glTF 2.0 expects, alpha blended when translucent), one
    root node per body named ``body.name`` scaling mm to m (:data:`GLB_SCALE`). Members are
    ``EXT_mesh_gpu_instancing`` transforms of that node's mesh (or of one child node per prototype) with
    ``instancing``, else one child node per member holding its placement matrix. With ``instancing`` a solid
    built from tiles is drawn as its visible tile meshes instanced
    (:meth:`~geometry.output.instanced.BodyMeshes.views`: one mesh per kind of tile, the file growing with tile
    prototypes, not tiles); without, as its welded mesh, as in the STL."""
    buf = _Buffer()
    materials: list[dict] = []
    material_index: dict[str, int] = {}
    gltf_meshes: list[dict] = []
    nodes: list[dict] = []
    roots: list[int] = []
    used = False
    for body, bm in zip(stack, meshes):
        material = _material(body, material_index, materials)
        views = bm.views(tiles=instancing)
        ids = []
        for i, m in enumerate(views):
            v = np.asarray(m.vertices, dtype="<f4")
            itype = ("<u2", _UINT16) if len(v) <= 65535 else ("<u4", _UINT32)
            position = buf.accessor(v, "VEC3", _FLOAT, _ARRAY_BUFFER, bounds=True)
            index = buf.accessor(np.asarray(m.faces).astype(itype[0]).ravel(), "SCALAR", itype[1],
                                 _ELEMENT_ARRAY_BUFFER)
            gltf_meshes.append({"name": bm.name if len(views) == 1 else f"{bm.name}.{i}", "primitives": [
                {"attributes": {"POSITION": position}, "indices": index, "material": material, "mode": 4}]})
            ids.append(len(gltf_meshes) - 1)
        node, uses = _body_nodes(buf, bm, views, ids, nodes, instancing)
        used |= uses
        roots.append(len(nodes))
        nodes.append(node)
    doc: dict = {"asset": {"version": "2.0", "generator": "pkgcad"}, "scene": 0,
                 "scenes": [{"name": "package", "nodes": roots}], "nodes": nodes, "meshes": gltf_meshes,
                 "materials": materials, "accessors": buf.accessors, "bufferViews": buf.views,
                 "buffers": [{"byteLength": buf.size}]}
    if used:
        doc["extensionsUsed"] = [INSTANCING]
    text = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)
    binary = b"".join(buf.chunks)
    total = 12 + 8 + len(text) + 8 + len(binary)
    return b"".join([struct.pack("<4sII", b"glTF", 2, total), struct.pack("<I4s", len(text), b"JSON"), text,
                     struct.pack("<I4s", len(binary), b"BIN\0"), binary])
