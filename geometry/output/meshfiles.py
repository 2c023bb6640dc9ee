"""Mesh files of a stack: one binary STL of the whole package and a coloured binary glTF (GLB), from the tiled
meshes of :func:`geometry.output.mesh.stack_mesh`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import trimesh
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

from ..core.stack import Stack
from .files import write_bytes
from .mesh import combined, stack_mesh

#: glTF lengths are metres; GLB nodes scale the millimetre geometry by this factor.
GLB_SCALE = 1e-3


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """Linear-light values (0-1) of sRGB-encoded ones (IEC 61966-2-1 transfer function): glTF 2.0 stores
    ``baseColorFactor`` in linear light, the material palette is sRGB as the HTML viewer and STEP show it."""
    c = np.asarray(rgb, dtype=float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def write_stl(stack: Stack, path: Path | str, meshes: Mapping[str, trimesh.Trimesh] | None = None) -> Path:
    """Whole package as one binary STL (mm); ``meshes`` reuses a :func:`stack_mesh` result (default: its budgeted
    quality, every body volume-true within :data:`~geometry.output.mesh.VOLUME_BOUND`)."""
    meshes = stack_mesh(stack) if meshes is None else meshes
    data = combined(meshes).export(file_type="stl")
    return write_bytes(path, data)


def write_body_stl(mesh: trimesh.Trimesh, path: Path | str) -> Path:
    """One body's mesh (a :func:`stack_mesh` value) as a binary STL (mm)."""
    return write_bytes(path, trimesh.Trimesh(mesh.vertices, mesh.faces, process=False).export(file_type="stl"))


def write_glb(stack: Stack, path: Path | str, meshes: Mapping[str, trimesh.Trimesh] | None = None) -> Path:
    """Binary glTF: one node and one mesh per body, both named ``body.name``, coloured by a PBR material.

    Geometry is stored in mm and each node scales it by :data:`GLB_SCALE` so viewers see metres, as glTF requires.
    Translucent materials (alpha < 1) use alpha blending. Colours are the sRGB palette converted to the linear
    ``baseColorFactor`` glTF 2.0 expects, so glTF viewers show the palette (not a washed-out lighter shade).
    """
    meshes = stack_mesh(stack) if meshes is None else meshes
    scene = trimesh.Scene()
    scale = np.diag([GLB_SCALE, GLB_SCALE, GLB_SCALE, 1.0])
    for body in stack:
        m = meshes[body.name]
        rgba = np.asarray(body.material.color, dtype=float)
        rgba = np.append(srgb_to_linear(rgba[:3]), rgba[3])
        material = PBRMaterial(name=body.material_name, baseColorFactor=rgba, metallicFactor=0.0,
                               roughnessFactor=0.6, alphaMode="BLEND" if rgba[3] < 1.0 else "OPAQUE")
        geom = trimesh.Trimesh(m.vertices, m.faces, process=False, visual=TextureVisuals(material=material))
        scene.add_geometry(geom, node_name=body.name, geom_name=body.name, transform=scale)
    return write_bytes(path, scene.export(file_type="glb"))
