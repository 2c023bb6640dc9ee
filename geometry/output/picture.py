"""A 3D picture of a stack as PNG bytes, rendered offscreen by VTK (imported inside the functions: an optional heavy
import) from its prototype meshes (:func:`geometry.output.instanced.stack_meshes`, e.g. the export's): each
prototype's normals are computed once, members the cut plane crosses are clipped once per distinct (rotation,
offset from the plane) and every placement is applied with numpy. This module writes no file."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

import numpy as np
import trimesh

from ..core.stack import Stack
from .instanced import StackMeshes, linear_groups, stack_meshes
from .mesh import signed_volume, tile

#: Opacity of translucent materials (alpha < 1: the encapsulants) in the PNG picture, so the interior shows.
PICTURE_SHELL_OPACITY = 0.25


def _render_window():
    """An offscreen VTK render window: on Linux without a display, EGL, then OSMesa; elsewhere the default."""
    import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (registers the OpenGL implementations of VTK's classes)
    from vtkmodules.vtkRenderingCore import vtkRenderWindow

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        from vtkmodules import vtkRenderingOpenGL2 as gl

        for cls in ("vtkEGLRenderWindow", "vtkOSOpenGLRenderWindow"):
            if hasattr(gl, cls):
                rw = getattr(gl, cls)()
                rw.SetOffScreenRendering(1)
                if rw.SupportsOpenGL():
                    return rw
    rw = vtkRenderWindow()
    rw.SetOffScreenRendering(1)
    return rw


def _polydata(v: np.ndarray, f: np.ndarray, normals: np.ndarray | None = None):
    """A vtkPolyData of triangles (vertices (n, 3) mm, faces (m, 3)), with point ``normals`` (n, 3) when given."""
    from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
    from vtkmodules.vtkCommonCore import vtkPoints
    from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData

    pts = vtkPoints()
    pts.SetData(numpy_to_vtk(np.ascontiguousarray(v, dtype=np.float64), deep=True))
    f = np.asarray(f, dtype=np.int64)
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtkIdTypeArray(np.arange(0, 3 * len(f) + 1, 3, dtype=np.int64), deep=True),
                  numpy_to_vtkIdTypeArray(np.ascontiguousarray(f.ravel()), deep=True))
    pd = vtkPolyData()
    pd.SetPoints(pts)
    pd.SetPolys(cells)
    if normals is not None:
        pd.GetPointData().SetNormals(numpy_to_vtk(np.ascontiguousarray(normals, dtype=np.float64), deep=True))
    return pd


def _arrays(pd) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vertices, triangles, point normals) of a triangulated vtkPolyData carrying normals."""
    from vtkmodules.util.numpy_support import vtk_to_numpy

    if not pd.GetNumberOfCells():
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64), np.zeros((0, 3))
    v = vtk_to_numpy(pd.GetPoints().GetData()).astype(np.float64)
    f = vtk_to_numpy(pd.GetPolys().GetConnectivityArray()).astype(np.int64).reshape(-1, 3)
    return v, f, vtk_to_numpy(pd.GetPointData().GetNormals()).astype(np.float64)


def _shaded(pd) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``pd`` triangulated with split point normals (feature angle 40 degrees), as arrays (:func:`_arrays`). The
    filter's consistency pass (re-winding polygons by a traversal of the mesh) is off: every mesh drawn is closed
    and outward-wound already (the prototype meshes, and their clipped copies, capped by
    ``vtkClipClosedSurface`` the same way), and the pass took half the filter's time (0.4 of 0.8 CPU s for
    fc-production's clipped encapsulant) for the same arrays."""
    from vtkmodules.vtkFiltersCore import vtkPolyDataNormals, vtkTriangleFilter

    tri = vtkTriangleFilter()
    tri.SetInputData(pd)
    normals = vtkPolyDataNormals()
    normals.SetInputConnection(tri.GetOutputPort())
    normals.SetFeatureAngle(40.0)
    normals.SplittingOn()
    normals.ConsistencyOff()
    normals.Update()
    return _arrays(normals.GetOutput())


def _clipped(v: np.ndarray, f: np.ndarray, cut_y: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mesh (v, f) less what lies in front of (y <) ``cut_y``, its cut face closed (``vtkClipClosedSurface``),
    shaded (:func:`_shaded`). Triangles wholly in front of the plane are dropped before clipping (the clip would
    drop them: half of fc-production's 980,864-triangle encapsulant); the triangles it crosses, which close the
    cut, are all kept."""
    from vtkmodules.vtkCommonDataModel import vtkPlane, vtkPlaneCollection
    from vtkmodules.vtkFiltersGeneral import vtkClipClosedSurface

    f = f[(v[:, 1] >= cut_y)[f].any(axis=1)]

    plane = vtkPlane()
    plane.SetOrigin(0.0, float(cut_y), 0.0)
    plane.SetNormal(0.0, 1.0, 0.0)
    planes = vtkPlaneCollection()
    planes.AddItem(plane)
    clip = vtkClipClosedSurface()
    clip.SetInputData(_polydata(v, f))
    clip.SetClippingPlanes(planes)
    clip.Update()
    return _shaded(clip.GetOutput())


def _turned(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The (n, 3) points or normals ``x`` turned by the 3 x 3 linear part ``a``; ``x`` itself for the identity
    (the same numbers, without a product over every point)."""
    return x if (a == np.eye(3)).all() else x @ a.T


def _placed(v: np.ndarray, f: np.ndarray, nrm: np.ndarray, placements: np.ndarray):
    """(vertices, faces, normals) of the shaded mesh copied to each of the (N, 4, 4) rigid placements, which share
    one linear part (:func:`_body` groups them so): the mesh and its normals turned once and the vertices shifted
    by each translation (numpy; for translations the same numbers as :func:`geometry.output.mesh.tile`, without
    its per-member product: 0.08 of 2.1 CPU s per 10,000-member array of fc-production)."""
    a = placements[0, :3, :3]
    n, k = len(placements), len(v)
    verts = (_turned(v, a)[None] + placements[:, None, :3, 3]).reshape(-1, 3)
    faces = np.repeat((f[:, ::-1] if np.linalg.det(a) < 0 else f)[None], n, axis=0)
    faces += (np.arange(n, dtype=np.int64) * k)[:, None, None]
    return verts, faces.reshape(-1, 3), np.broadcast_to(_turned(nrm, a), (n, k, 3)).reshape(-1, 3)


def _body(pieces, cut_y: float | None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """One body's shaded meshes and where they go, from its (prototype vertices, faces, (N, 4, 4) placements): a
    list of (vertices mm, faces, normals, (k, 4, 4) placements sharing one linear part), not yet placed
    (:func:`_placed`). Each prototype shaded once; with ``cut_y`` members wholly in front of the plane left out,
    those behind placed whole, and those it crosses clipped once per distinct (linear part, y offset) and moved
    to the others."""
    out = []
    for v, f, pl in pieces:
        if not len(pl) or not len(f):
            continue
        shaded = None
        linear, inverse = linear_groups(pl)
        for k, a in enumerate(linear):
            group = pl[inverse == k]
            y = v @ a.reshape(3, 3)[1]
            lo, hi = y.min() + group[:, 1, 3], y.max() + group[:, 1, 3]
            behind = np.ones(len(group), bool) if cut_y is None else lo >= cut_y
            if behind.any():
                shaded = _shaded(_polydata(v, f)) if shaded is None else shaded
                out.append((*shaded, group[behind]))
            if cut_y is None:
                continue
            crossing = group[(lo < cut_y) & (hi > cut_y)]
            if not len(crossing):
                continue
            _, first, sub = np.unique(np.round(crossing[:, 1, 3], 9), return_index=True, return_inverse=True)
            sub = sub.ravel()
            for j, i in enumerate(first):
                cv, cf, cn = _clipped(*tile(v, f, crossing[i:i + 1]), cut_y)
                if not len(cf):
                    continue
                moves = np.repeat(np.eye(4)[None], np.count_nonzero(sub == j), axis=0)
                moves[:, :3, 3] = crossing[sub == j, :3, 3] - crossing[i, :3, 3]
                out.append((cv, cf, cn, moves))
    return out


def _bounds(blocks) -> np.ndarray:
    """(2, 3) low and high corner (mm) of :func:`_body` ``blocks`` as placed: per block the turned mesh's bounds
    plus the translations' (the same numbers as the placed vertices' bounds: rounding is monotonic)."""
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for v, _, _, pl in blocks:
        turned = _turned(v, pl[0, :3, :3])
        lo = np.minimum(lo, turned.min(axis=0) + pl[:, :3, 3].min(axis=0))
        hi = np.maximum(hi, turned.max(axis=0) + pl[:, :3, 3].max(axis=0))
    return np.array([lo, hi])


def _joined(blocks, eye: np.ndarray | None = None, boxes: Sequence[np.ndarray] = ()):
    """One body's (vertices, faces, normals), mm: its :func:`_body` ``blocks`` placed, less the members whose
    bounds the ``boxes`` hide from ``eye`` (all eight corners, :func:`_hidden`: then every point of them)."""
    out = []
    for v, f, nrm, pl in blocks:
        if boxes:
            turned = _turned(v, pl[0, :3, :3])
            lo, hi = turned.min(axis=0), turned.max(axis=0)
            corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
            ends = (corners[None] + pl[:, None, :3, 3]).reshape(-1, 3)
            pl = pl[~_hidden(ends, np.arange(len(ends)).reshape(-1, 8), eye, boxes)]
        if len(pl):
            out.append(_placed(v, f, nrm, pl))
    if not out:
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64), np.zeros((0, 3))
    offsets = np.cumsum([0] + [len(o[0]) for o in out[:-1]])
    return (np.vstack([o[0] for o in out]), np.vstack([o[1] + k for o, k in zip(out, offsets)]),
            np.vstack([o[2] for o in out]))


def _box(v: np.ndarray, f: np.ndarray) -> np.ndarray | None:
    """The bounds (6,) of the closed mesh (v, f) (mm) when it fills them (an axis-aligned box: every vertex on a
    face of its bounds and its volume theirs to 1e-9), else None."""
    if not len(f):
        return None
    lo, hi = v.min(axis=0), v.max(axis=0)
    size = np.prod(hi - lo)
    on = (np.isclose(v, lo, rtol=0, atol=1e-9) | np.isclose(v, hi, rtol=0, atol=1e-9)).any(axis=1).all()
    return np.concatenate([lo, hi]) if on and size > 0 and abs(signed_volume(v, f) - size) <= 1e-9 * size else None


def _hidden(v: np.ndarray, f: np.ndarray, eye: np.ndarray, boxes: list[np.ndarray]) -> np.ndarray:
    """Mask of the triangles of (v, f) that an opaque box hides from the camera at ``eye`` (mm): the segments from
    all three corners to the eye pass through the inside of one box shrunk by 1 % of its thinnest side. The box
    is convex, so every ray from the eye to the triangle then meets it before the triangle: no pixel shows it."""
    hidden = np.zeros(len(f), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / (eye - v)  # inf along an axis the segment keeps; a nan (0 * inf) leaves a corner unhidden
        for b in boxes:
            m = 0.01 * float(np.min(b[3:] - b[:3]))
            t1, t2 = (b[:3] + m - v) * inv, (b[3:] - m - v) * inv
            enter = np.maximum(np.minimum(t1, t2).max(axis=1), 0.0)
            leave = np.minimum(np.maximum(t1, t2).min(axis=1), 1.0)
            hidden |= (enter < leave)[f].all(axis=1)
    return hidden


def picture_png(stack: Stack, width: int = 1200, height: int = 900,
                meshes: Mapping[str, trimesh.Trimesh] | None = None, cut_y: float | None = None,
                cut: bool = True, prototypes: StackMeshes | None = None) -> bytes:
    """A 3D picture of ``stack`` as PNG bytes of ``width`` x ``height`` pixels, seen from above its front-left
    (-x, -y) corner, z up: its prototype meshes (``prototypes``, a
    :func:`~geometry.output.instanced.stack_meshes` result such as the export's; made when not given) placed
    over their members with numpy (:func:`_body`) and rendered offscreen by VTK, one actor per body in its
    material colour. ``meshes`` may instead pass tiled meshes per body (:func:`geometry.output.mesh.stack_mesh`).

    With ``cut`` (default) the package is cut away in front of the vertical plane y = ``cut_y`` (mm; default the
    middle of the stack's bounds): the members the plane crosses are clipped there and their cut faces closed
    (``vtkClipClosedSurface``), so the section shows in 3D. Translucent materials (alpha < 1: the encapsulants)
    are lightened halfway to white and drawn at :data:`PICTURE_SHELL_OPACITY` (depth peeling), so chip, bumps,
    wires and die show through them. Members and triangles that an opaque body drawn as a box (the chip, the
    substrate) hides from the camera are neither placed nor drawn (:func:`_joined`, :func:`_hidden`: 15,922 of
    the 16,159 members of fc-production behind the cut, and 481,105 of the 490,646 triangles of its clipped
    encapsulant; the PNG bytes are the same, each actor keeping its whole body's bounds, from which VTK sets the
    depth range). The window is rendered once, by ``vtkWindowToImageFilter`` as it grabs the image (an explicit
    ``Render()`` before it drew every triangle twice, for the same PNG bytes). RuntimeError when VTK cannot open
    an offscreen OpenGL context."""
    from vtkmodules.vtkIOImage import vtkPNGWriter
    from vtkmodules.vtkRenderingCore import (
        vtkActor,
        vtkLightKit,
        vtkPolyDataMapper,
        vtkRenderer,
        vtkWindowToImageFilter,
    )

    if width < 16 or height < 16:
        raise ValueError(f"picture size {width} x {height} px must be at least 16 x 16")
    if not len(stack):
        raise ValueError("cannot draw a stack without bodies")
    if meshes is not None:
        eye = np.eye(4)[None]
        pieces = {name: [(np.asarray(m.vertices), np.asarray(m.faces), eye)] for name, m in meshes.items()}
        pts = [np.asarray(m.vertices) for m in meshes.values() if len(m.vertices)]
        bounds = (np.concatenate([np.min([q.min(axis=0) for q in pts], axis=0),
                                  np.max([q.max(axis=0) for q in pts], axis=0)]) if pts else np.zeros(6))
    else:
        prototypes = stack_meshes(stack) if prototypes is None else prototypes
        pieces = {b.name: [(m.vertices, m.faces, pl) for m, pl in zip(b.meshes, b.placements)] for b in prototypes}
        bounds = prototypes.bounds()
    centre = (bounds[:3] + bounds[3:]) / 2
    plane_y = (float(centre[1] if cut_y is None else cut_y)) if cut else None
    rw = _render_window()
    rw.SetSize(int(width), int(height))
    rw.SetAlphaBitPlanes(1)
    rw.SetMultiSamples(0)
    ren = vtkRenderer()
    ren.SetBackground(1.0, 1.0, 1.0)
    ren.SetUseDepthPeeling(1)
    ren.SetMaximumNumberOfPeels(8)
    ren.SetOcclusionRatio(0.0)
    rw.AddRenderer(ren)
    lights = vtkLightKit()
    lights.SetKeyLightIntensity(1.0)
    lights.AddLightsToRenderer(ren)
    drawn = [(body, blocks) for body in stack if (blocks := [b for b in _body(pieces.get(body.name, []), plane_y)
                                                             if len(b[1]) and len(b[3])])]
    cam = ren.GetActiveCamera()
    cam.SetFocalPoint(*centre)
    cam.SetPosition(*(centre + np.array([-0.45, -0.85, 0.45]) * float(np.linalg.norm(bounds[3:] - bounds[:3]))))
    cam.SetViewUp(0.0, 0.0, 1.0)
    cam.SetViewAngle(30.0)
    extents = [_bounds(blocks) for _, blocks in drawn]
    pts = np.array(extents).reshape(-1, 3)
    if len(pts):
        ren.ResetCamera(*np.column_stack([pts.min(axis=0), pts.max(axis=0)]).ravel())
    else:
        ren.ResetCamera()
    cam.Zoom(1.3)
    eye = np.array(cam.GetPosition())
    boxes = {body.name: b for body, blocks in drawn if body.material.color[3] >= 1.0 and len(blocks) == 1
             and len(blocks[0][3]) == 1 and (b := _box(*_joined(blocks)[:2])) is not None}
    for (body, blocks), corners in zip(drawn, extents, strict=True):
        others = [b for name, b in boxes.items() if name != body.name]
        v, f, nrm = _joined(blocks, eye, others)
        f = f[~_hidden(v, f, eye, others)]
        # the body's bounds as two unreferenced points: the actor keeps the bounds VTK sets the clipping range from
        v, nrm = np.vstack([v, corners]), np.vstack([nrm, np.zeros((2, 3))])
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(_polydata(v, f, nrm))
        mapper.ScalarVisibilityOff()
        actor = vtkActor()
        actor.SetMapper(mapper)
        r, g, b, a = body.material.color
        prop = actor.GetProperty()
        if a < 1.0:
            r, g, b = (0.5 * (1.0 + c) for c in (r, g, b))
        prop.SetColor(r, g, b)
        prop.SetOpacity(PICTURE_SHELL_OPACITY if a < 1.0 else 1.0)
        prop.SetSpecular(0.2)
        prop.SetSpecularPower(20.0)
        ren.AddActor(actor)
    if not rw.SupportsOpenGL():
        raise RuntimeError("VTK cannot open an offscreen OpenGL context on this machine (no EGL, OSMesa or X)")
    grab = vtkWindowToImageFilter()  # renders the window itself (ShouldRerender): one render, not two
    grab.SetInput(rw)
    grab.ReadFrontBufferOff()
    grab.Update()
    writer = vtkPNGWriter()
    writer.SetWriteToMemory(1)
    writer.SetInputConnection(grab.GetOutputPort())
    writer.Write()
    data = bytes(memoryview(writer.GetResult()))
    rw.Finalize()
    return data
