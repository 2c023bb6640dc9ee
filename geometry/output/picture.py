"""A 3D picture of a stack as PNG bytes, rendered offscreen by VTK (imported inside the functions: an optional heavy
import) from the tiled meshes of :func:`geometry.output.mesh.stack_mesh`. This module writes no file."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import numpy as np
import trimesh

from ..core.stack import Stack
from .mesh import mesh_bounds, stack_mesh

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


def _polydata(m: trimesh.Trimesh):
    from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
    from vtkmodules.vtkCommonCore import vtkPoints
    from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData

    pts = vtkPoints()
    pts.SetData(numpy_to_vtk(np.ascontiguousarray(m.vertices, dtype=np.float64), deep=True))
    f = np.asarray(m.faces, dtype=np.int64)
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtkIdTypeArray(np.arange(0, 3 * len(f) + 1, 3, dtype=np.int64), deep=True),
                  numpy_to_vtkIdTypeArray(np.ascontiguousarray(f.ravel()), deep=True))
    pd = vtkPolyData()
    pd.SetPoints(pts)
    pd.SetPolys(cells)
    return pd


def picture_png(stack: Stack, width: int = 1200, height: int = 900,
                meshes: Mapping[str, trimesh.Trimesh] | None = None, cut_y: float | None = None,
                cut: bool = True) -> bytes:
    """A 3D picture of ``stack`` as PNG bytes of ``width`` x ``height`` pixels, seen from above its front-left
    (-x, -y) corner, z up: the tiled meshes (:func:`geometry.output.mesh.stack_mesh`, or ``meshes``) rendered offscreen
    by VTK, one actor per body in its material colour.

    With ``cut`` (default) the package is cut away in front of the vertical plane y = ``cut_y`` (mm; default the
    middle of the stack's bounds): every body is clipped there and its cut face closed (``vtkClipClosedSurface``),
    so the section shows in 3D. Translucent materials (alpha < 1: the encapsulants) are lightened halfway to white
    and drawn at :data:`PICTURE_SHELL_OPACITY` (depth peeling), so chip, bumps, wires and die show through them.
    RuntimeError when VTK cannot open an offscreen OpenGL context."""
    from vtkmodules.vtkCommonDataModel import vtkPlane, vtkPlaneCollection
    from vtkmodules.vtkFiltersCore import vtkPolyDataNormals
    from vtkmodules.vtkFiltersGeneral import vtkClipClosedSurface
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
    meshes = stack_mesh(stack) if meshes is None else meshes
    bounds = mesh_bounds(meshes)
    centre = (bounds[:3] + bounds[3:]) / 2
    planes = vtkPlaneCollection()
    if cut:
        plane = vtkPlane()
        plane.SetOrigin(0.0, float(centre[1] if cut_y is None else cut_y), 0.0)
        plane.SetNormal(0.0, 1.0, 0.0)
        planes.AddItem(plane)
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
    for body in stack:
        m = meshes[body.name]
        if not len(m.faces):
            continue
        source = _polydata(m)
        if cut:
            clip = vtkClipClosedSurface()
            clip.SetInputData(source)
            clip.SetClippingPlanes(planes)
            clip.Update()
            source = clip.GetOutput()
            if not source.GetNumberOfCells():
                continue
        normals = vtkPolyDataNormals()
        normals.SetInputData(source)
        normals.SetFeatureAngle(40.0)
        normals.SplittingOn()
        mapper = vtkPolyDataMapper()
        mapper.SetInputConnection(normals.GetOutputPort())
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
    cam = ren.GetActiveCamera()
    cam.SetFocalPoint(*centre)
    cam.SetPosition(*(centre + np.array([-0.45, -0.85, 0.45]) * float(np.linalg.norm(bounds[3:] - bounds[:3]))))
    cam.SetViewUp(0.0, 0.0, 1.0)
    cam.SetViewAngle(30.0)
    ren.ResetCamera()
    cam.Zoom(1.3)
    rw.Render()
    grab = vtkWindowToImageFilter()
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
