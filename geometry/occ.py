"""The kernel layer: every direct OpenCascade (OCP) call of pkgcad lives here.

Everything above this module speaks ``cadquery.Shape`` and numpy arrays. Boolean operations run with OCCT's own
parallelism off (pkgcad parallelises across processes instead) and take many tools in one call, so an array is
never fused or cut member by member. Units are millimetres throughout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cadquery as cq
import numpy as np
from OCP.Bnd import Bnd_Box
from OCP.BOPAlgo import BOPAlgo_GlueShift
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepAlgoAPI import BRepAlgoAPI_BooleanOperation, BRepAlgoAPI_Common, BRepAlgoAPI_Cut, BRepAlgoAPI_Fuse
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepClass3d import BRepClass3d_SolidClassifier
from OCP.BRepExtrema import BRepExtrema_DistShapeShape
from OCP.gp import gp_Pnt, gp_Trsf
from OCP.TopAbs import TopAbs_IN
from OCP.TopLoc import TopLoc_Location
from OCP.TopTools import TopTools_ListOfShape

__all__ = [
    "box",
    "cylinder",
    "sphere",
    "compound",
    "cut",
    "common",
    "fuse",
    "volume",
    "bounds",
    "is_valid",
    "min_distance",
    "point_inside",
    "tessellate",
    "location",
    "matrix",
]


class KernelError(RuntimeError):
    """An OCCT operation failed; the message names the operation."""


def box(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> cq.Shape:
    """Axis-aligned box between two corners (mm)."""
    return cq.Solid.makeBox(x1 - x0, y1 - y0, z1 - z0, pnt=cq.Vector(x0, y0, z0))


def cylinder(radius: float, z0: float, z1: float, x: float = 0.0, y: float = 0.0) -> cq.Shape:
    """Vertical cylinder of ``radius`` from ``z0`` to ``z1`` (mm) on the axis through (x, y)."""
    return cq.Solid.makeCylinder(radius, z1 - z0, pnt=cq.Vector(x, y, z0))


def sphere(radius: float, zc: float) -> cq.Shape:
    """Full sphere of ``radius`` centred on the z axis at height ``zc`` (mm)."""
    return cq.Solid.makeSphere(radius, pnt=cq.Vector(0, 0, zc), angleDegrees1=-90, angleDegrees2=90)


def compound(shapes: Iterable[cq.Shape]) -> cq.Shape:
    return cq.Compound.makeCompound(list(shapes))


def _listed(shapes: Iterable[cq.Shape]) -> TopTools_ListOfShape:
    out = TopTools_ListOfShape()
    for s in shapes:
        out.Append(s.wrapped)
    return out


def _boolean(op: BRepAlgoAPI_BooleanOperation, name: str, args: Sequence[cq.Shape], tools: Sequence[cq.Shape],
             glue: bool) -> cq.Shape:
    op.SetArguments(_listed(args))
    op.SetTools(_listed(tools))
    op.SetRunParallel(False)
    if glue:
        op.SetGlue(BOPAlgo_GlueShift)
    op.Build()
    if not op.IsDone():
        raise KernelError(f"OCCT {name} failed")
    return _simplest(cq.Shape.cast(op.Shape()).clean())


def _simplest(shape: cq.Shape) -> cq.Shape:
    """A compound holding one solid becomes that solid."""
    solids = shape.Solids()
    return solids[0] if len(solids) == 1 and isinstance(shape, cq.Compound) else shape


def cut(shape: cq.Shape, tools: Sequence[cq.Shape], glue: bool = False) -> cq.Shape:
    """``shape`` minus all ``tools`` in one operation."""
    if not tools:
        return shape
    return _boolean(BRepAlgoAPI_Cut(), "cut", [shape], tools, glue)


def common(shape: cq.Shape, tools: Sequence[cq.Shape]) -> cq.Shape:
    """Intersection of ``shape`` with the union of ``tools``, in one operation."""
    return _boolean(BRepAlgoAPI_Common(), "common", [shape], tools, False)


def fuse(shapes: Sequence[cq.Shape], glue: bool = False) -> cq.Shape:
    """Union of ``shapes`` in one operation."""
    if len(shapes) == 1:
        return shapes[0]
    return _boolean(BRepAlgoAPI_Fuse(), "fuse", shapes[:1], shapes[1:], glue)


def volume(shape: cq.Shape) -> float:
    """Volume in mm3 (0 for an empty shape)."""
    return float(shape.Volume()) if not shape.wrapped.IsNull() else 0.0


def bounds(shape: cq.Shape) -> np.ndarray:
    """Tight axis-aligned bounds ``[xmin, ymin, zmin, xmax, ymax, zmax]`` (mm)."""
    bb = Bnd_Box()
    BRepBndLib.AddOptimal_s(shape.wrapped, bb, False, False)
    return np.array(bb.Get())


def is_valid(shape: cq.Shape) -> bool:
    """OCCT's topology and geometry check (BRepCheck_Analyzer)."""
    return bool(BRepCheck_Analyzer(shape.wrapped).IsValid())


def min_distance(a: cq.Shape, b: cq.Shape) -> float:
    """Exact minimum distance between two shapes (mm); 0 when they touch or overlap."""
    d = BRepExtrema_DistShapeShape(a.wrapped, b.wrapped)
    d.SetMultiThread(False)
    d.Perform()
    if not d.IsDone():
        raise KernelError("OCCT distance failed")
    return float(d.Value())


def point_inside(shape: cq.Shape, point: Sequence[float], tol: float = 1e-7) -> bool:
    """True when ``point`` lies strictly inside the solid ``shape``."""
    c = BRepClass3d_SolidClassifier(shape.wrapped, gp_Pnt(*map(float, point)), tol)
    return c.State() == TopAbs_IN


def tessellate(shape: cq.Shape, tolerance: float, angular: float) -> tuple[np.ndarray, np.ndarray]:
    """Triangulate ``shape``: vertices (n, 3) in mm and triangle indices (m, 3)."""
    verts, tris = shape.tessellate(tolerance, angular)
    v = np.array([p.toTuple() for p in verts], dtype=float).reshape(-1, 3)
    f = np.array(tris, dtype=np.int64).reshape(-1, 3)
    return v, f


def matrix(loc: cq.Location) -> np.ndarray:
    """4x4 homogeneous matrix of a cadquery Location."""
    t = loc.wrapped.Transformation()
    return np.array([[t.Value(r, c) for c in range(1, 5)] for r in range(1, 4)] + [[0.0, 0.0, 0.0, 1.0]])


def location(m: np.ndarray) -> cq.Location:
    """cadquery Location of a rigid 4x4 matrix (rotation and translation only)."""
    t = gp_Trsf()
    t.SetValues(*(float(v) for v in m[:3, :4].ravel()))
    return cq.Location(TopLoc_Location(t))
