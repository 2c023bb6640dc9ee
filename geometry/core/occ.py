"""The kernel layer: every direct OpenCascade (OCP) call of pkgcad lives here and in its ``occ_*`` siblings.

Everything above this module speaks ``cadquery.Shape`` and numpy arrays. Boolean operations run with OCCT's own
parallelism off (pkgcad parallelises across processes instead) and take many tools in one call, so an array is
never fused or cut member by member. Units are millimetres throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from weakref import WeakKeyDictionary

import cadquery as cq
import numpy as np
from OCP.Bnd import Bnd_Box
from OCP.BOPAlgo import BOPAlgo_Builder, BOPAlgo_GlueShift
from OCP.BRep import BRep_Tool
from OCP.BRepAdaptor import BRepAdaptor_Curve, BRepAdaptor_Surface
from OCP.BRepAlgoAPI import (
    BRepAlgoAPI_BooleanOperation,
    BRepAlgoAPI_Common,
    BRepAlgoAPI_Cut,
    BRepAlgoAPI_Fuse,
)
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepClass3d import BRepClass3d_SolidClassifier
from OCP.BRepExtrema import BRepExtrema_DistShapeShape
from OCP.BRepGProp import BRepGProp
from OCP.GCPnts import GCPnts_QuasiUniformAbscissa
from OCP.GeomAbs import GeomAbs_Plane
from OCP.gp import gp_Pnt, gp_Trsf
from OCP.GProp import GProp_GProps
from OCP.TopAbs import (
    TopAbs_EDGE,
    TopAbs_FACE,
    TopAbs_IN,
    TopAbs_REVERSED,
    TopAbs_SHELL,
    TopAbs_SOLID,
    TopAbs_VERTEX,
)
from OCP.TopExp import TopExp, TopExp_Explorer
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS, TopoDS_Shape
from OCP.TopTools import TopTools_IndexedMapOfShape, TopTools_ListOfShape

__all__ = [
    "area",
    "bounds",
    "box",
    "common",
    "common_volume",
    "compound",
    "contact_area",
    "curve_points",
    "cut",
    "cylinder",
    "face_contact_area",
    "fragment",
    "fuse",
    "fuse_solid",
    "is_closed",
    "is_valid",
    "location",
    "lowest_point",
    "measured",
    "min_distance",
    "point_inside",
    "points_inside",
    "sphere",
    "topology",
    "vertices",
    "volume",
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


def _listed_raw(shapes: Iterable[TopoDS_Shape]) -> TopTools_ListOfShape:
    out = TopTools_ListOfShape()
    for s in shapes:
        out.Append(s)
    return out


def _boolean(op: BRepAlgoAPI_BooleanOperation, name: str, args: Sequence[cq.Shape], tools: Sequence[cq.Shape],
             glue: bool, clean: bool = True) -> cq.Shape:
    op.SetArguments(_listed(args))
    op.SetTools(_listed(tools))
    op.SetRunParallel(False)
    if glue:
        op.SetGlue(BOPAlgo_GlueShift)
    op.Build()
    if not op.IsDone():
        raise KernelError(f"OCCT {name} failed")
    result = cq.Shape.cast(op.Shape())
    return _simplest(result.clean() if clean else result)


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
    """Intersection of ``shape`` with the union of ``tools``, in one operation.

    Not cleaned: unifying same-domain faces can corrupt an intersection of spheres (two offset solder balls came
    out as a whole sphere)."""
    return _boolean(BRepAlgoAPI_Common(), "common", [shape], tools, False, clean=False)


def common_volume(shape: cq.Shape, tools: Sequence[cq.Shape]) -> float:
    """Volume (mm3) of the intersection of ``shape`` with the union of ``tools``."""
    return volume(common(shape, tools))


def fuse(shapes: Sequence[cq.Shape], glue: bool = False, clean: bool = True) -> cq.Shape:
    """Union of ``shapes`` in one operation; ``clean``: same-domain faces unified."""
    if len(shapes) == 1:
        return shapes[0]
    return _boolean(BRepAlgoAPI_Fuse(), "fuse", shapes[:1], shapes[1:], glue, clean)


def fuse_solid(shapes: Sequence[cq.Shape], what: str, glue: bool = False) -> cq.Shape:
    """Union of ``shapes`` in one operation (``glue``: OCCT's shifted glue, for shapes that only share faces,
    about a third faster; redone without it when its result is not one valid closed solid), same-domain faces
    unified; it must come out as one valid closed solid, else :class:`KernelError` names ``what``."""
    out = fuse(shapes, glue)
    if not isinstance(out, cq.Solid) or not is_valid(out) or not is_closed(out):
        if glue:
            return fuse_solid(shapes, what)
        raise KernelError(f"fusing {what}: {len(out.Solids())} solids, valid {is_valid(out)}, closed {is_closed(out)}")
    return out


def fragment(solids: Sequence[cq.Shape], glue: bool = False) -> list[list[cq.Shape]]:
    """The general fuse of ``solids`` (OCCT's BOPAlgo_Builder, one call): per argument, the solids it became, in
    order; touching solids then share their common faces, edges and vertices (what a conformal mesh needs).
    ``glue`` (OCCT's shift glue) is valid only when the arguments touch but never overlap (about 4 times faster
    on a conformal package)."""
    op = BOPAlgo_Builder()
    for s in solids:
        op.AddArgument(s.wrapped)
    op.SetRunParallel(False)
    op.SetNonDestructive(True)
    if glue:
        op.SetGlue(BOPAlgo_GlueShift)
    op.Perform()
    if op.HasErrors():
        raise KernelError("OCCT fragment failed")
    out = []
    for s in solids:
        new = [cq.Shape.cast(m) for m in op.Modified(s.wrapped)]
        out.append(new if new or op.IsDeleted(s.wrapped) else [s])
    return out


_MEASURES: WeakKeyDictionary[cq.Shape, dict] = WeakKeyDictionary()


def measured(shape: cq.Shape, what: str, compute: Callable[[], object]):
    """``compute()`` once per shape (same TShape, location and orientation) while the shape lives: shapes are
    never modified after they are made (steps build new ones), and a prototype's volume, area or bounds were
    computed again by the checks, the manifest, the digest and the bill of materials (seconds each for the
    30,000 faces of fc-production's encapsulant), and its validity again by the checks after the flow."""
    store = _MEASURES.setdefault(shape, {})
    key = (what, shape.wrapped.Orientation())
    if key not in store:
        store[key] = compute()
    return store[key]


def volume(shape: cq.Shape) -> float:
    """Volume in mm3 (0 for an empty shape); computed once per shape (:func:`measured`)."""
    if shape.wrapped.IsNull():
        return 0.0
    return measured(shape, "volume", lambda: float(shape.Volume()))


def _face_area(face: TopoDS_Shape) -> float:
    props = GProp_GProps()
    BRepGProp.SurfaceProperties_s(face, props)
    return float(props.Mass())


def area(shape: cq.Shape) -> float:
    """Surface area in mm2: the sum of its faces' areas in OCCT's order (as ``Shape.Area``), each distinct face
    geometry integrated once (located copies of one face, e.g. the 10,000 holes of an encapsulant, have its area:
    locations are rigid); computed once per shape (:func:`measured`)."""
    def compute() -> float:
        known: dict = {}
        total = 0.0
        explorer = TopExp_Explorer(shape.wrapped, TopAbs_FACE)
        while explorer.More():
            face = explorer.Current()
            explorer.Next()
            key = face.TShape()
            if key not in known:
                known[key] = _face_area(face)
            total += known[key]
        return total

    return 0.0 if shape.wrapped.IsNull() else measured(shape, "area", compute)


def bounds(shape: cq.Shape) -> np.ndarray:
    """Tight axis-aligned bounds ``[xmin, ymin, zmin, xmax, ymax, zmax]`` (mm); computed once per shape."""
    def compute() -> np.ndarray:
        bb = Bnd_Box()
        BRepBndLib.AddOptimal_s(shape.wrapped, bb, False, False)
        return np.array(bb.Get())

    return measured(shape, "bounds", compute).copy()


def is_valid(shape: cq.Shape) -> bool:
    """OCCT's topology and geometry check (BRepCheck_Analyzer); computed once per shape (:func:`measured`: a
    fused prototype checked when it is made is not checked again by the valid-solids check)."""
    return measured(shape, "valid", lambda: bool(BRepCheck_Analyzer(shape.wrapped).IsValid()))


def is_closed(shape: cq.Shape) -> bool:
    """True when ``shape`` has shells and every one is closed (each edge shared by two faces)."""
    shells = shape.Shells()
    return bool(shells) and all(BRep_Tool.IsClosed_s(s.wrapped) for s in shells)


def _distinct(shape: cq.Shape, kind) -> TopTools_IndexedMapOfShape:
    found = TopTools_IndexedMapOfShape()
    TopExp.MapShapes_s(shape.wrapped, kind, found)
    return found


def topology(shape: cq.Shape) -> dict[str, int]:
    """Number of distinct solids, shells, faces, edges and vertices of ``shape`` (the vertices counted from
    :func:`vertices`, mapped once per shape)."""
    kinds = {"solids": TopAbs_SOLID, "shells": TopAbs_SHELL, "faces": TopAbs_FACE, "edges": TopAbs_EDGE}
    return {k: _distinct(shape, v).Extent() for k, v in kinds.items()} | {"vertices": len(vertices(shape))}


def vertices(shape: cq.Shape) -> np.ndarray:
    """(n, 3) coordinates (mm) of the distinct vertices of ``shape``, in OCCT's traversal order; computed once per
    shape (:func:`measured`: the digest reads them and their count)."""
    def compute() -> np.ndarray:
        found = _distinct(shape, TopAbs_VERTEX)
        key, pnt, vertex = found.FindKey, BRep_Tool.Pnt_s, TopoDS.Vertex_s
        pts = [pnt(vertex(key(i))).Coord() for i in range(1, found.Extent() + 1)]
        return np.array(pts, dtype=float).reshape(-1, 3)

    return measured(shape, "vertices", compute).copy()


def curve_points(edge: cq.Edge, n: int) -> np.ndarray:
    """(n, 3) points (mm) of ``edge`` at ``n`` quasi-uniform arc-length abscissae, both ends included on an open
    curve (OCCT's GCPnts_QuasiUniformAbscissa): the same points as ``cadquery.Edge.sample(n)``, read straight into
    an array (building a Vector per point took 0.9 of the cavity flow's 9 CPU s)."""
    curve = BRepAdaptor_Curve(edge.wrapped)
    closed = curve.IsClosed()
    sampler = GCPnts_QuasiUniformAbscissa(curve, n + 1 if closed else n)
    count = sampler.NbPoints() - 1 if closed else sampler.NbPoints()
    pts = (curve.Value(sampler.Parameter(i)) for i in range(1, count + 1))
    return np.array([(p.X(), p.Y(), p.Z()) for p in pts], dtype=float).reshape(-1, 3)


def min_distance(a: cq.Shape, b: cq.Shape) -> float:
    """Exact minimum distance between two shapes (mm); 0 when they touch or overlap."""
    d = BRepExtrema_DistShapeShape(a.wrapped, b.wrapped)
    d.SetMultiThread(False)
    d.Perform()
    if not d.IsDone():
        raise KernelError("OCCT distance failed")
    return float(d.Value())


_CLASSIFIERS: WeakKeyDictionary[cq.Shape, BRepClass3d_SolidClassifier] = WeakKeyDictionary()


def _classifier(shape: cq.Shape) -> BRepClass3d_SolidClassifier:
    c = _CLASSIFIERS.get(shape)
    if c is None:
        c = _CLASSIFIERS[shape] = BRepClass3d_SolidClassifier(shape.wrapped)
    return c


def point_inside(shape: cq.Shape, point: Sequence[float], tol: float = 1e-7) -> bool:
    """True when ``point`` (mm) lies strictly inside the solid ``shape`` (:func:`points_inside` of one point)."""
    return bool(points_inside(shape, np.reshape(point, (1, 3)), tol)[0])


def points_inside(shape: cq.Shape, points: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """(N,) bool: whether each of the (N, 3) ``points`` (mm) lies strictly inside the solid ``shape``. One OCCT
    classifier per shape, loaded once and kept while the shape lives (``Perform`` per probe: the same answers as a
    new classifier per probe, about 5 times faster on the probes of a bump array)."""
    c = _classifier(shape)
    out = np.zeros(len(points), dtype=bool)
    for i, (x, y, z) in enumerate(np.asarray(points, dtype=float).tolist()):
        c.Perform(gp_Pnt(x, y, z), tol)
        out[i] = c.State() == TopAbs_IN
    return out


def lowest_point(shape: cq.Shape) -> np.ndarray:
    """A point of ``shape`` with the smallest z (mm), exact from the B-rep (one of them when a face is lowest)."""
    b = bounds(shape)
    size = 2.0 * float(max(b[3] - b[0], b[4] - b[1])) + 2.0
    floor = cq.Face.makePlane(size, size, basePnt=cq.Vector((b[0] + b[3]) / 2, (b[1] + b[4]) / 2, b[2] - 1.0),
                              dir=cq.Vector(0, 0, 1))
    d = BRepExtrema_DistShapeShape(shape.wrapped, floor.wrapped)
    d.SetMultiThread(False)
    d.Perform()
    if not d.IsDone() or d.NbSolution() == 0:
        raise KernelError("OCCT lowest point failed")
    p = d.PointOnShape1(1)
    return np.array([p.X(), p.Y(), p.Z()])


def top_location(m: np.ndarray) -> TopLoc_Location:
    """OCCT location of a rigid 4x4 matrix (rotation and translation only; mm)."""
    t = gp_Trsf()
    t.SetValues(*np.asarray(m, dtype=float)[:3, :4].ravel().tolist())
    return TopLoc_Location(t)


def location(m: np.ndarray) -> cq.Location:
    """cadquery Location of a rigid 4x4 matrix (rotation and translation only; mm)."""
    return cq.Location(top_location(m))


def contact_area(upper: cq.Shape, lower: cq.Shape, d: float = 1e-4,
                 direction: Sequence[float] = (0.0, 0.0, 1.0)) -> float:
    """Area (mm2) over which ``lower`` touches ``upper`` across faces normal to ``direction``.

    ``lower`` is moved ``d`` mm along ``direction`` (default +z: its up-facing faces into ``upper``'s down-facing
    ones) and the volume it then shares with ``upper`` is divided by ``d``: one boolean. Exact for flat contacts
    between solids that do not overlap and whose other faces are more than ``d`` apart along ``direction``; a
    curved contact counts its area projected on ``direction``. 0 when the bounds do not come within ``d``.
    """
    v = np.asarray(direction, dtype=float)
    v = v / np.linalg.norm(v) * d
    a, b = bounds(upper), bounds(lower)
    b = b + np.concatenate([v, v])
    if np.any(a[:3] > b[3:] + 1e-9) or np.any(b[:3] > a[3:] + 1e-9):
        return 0.0
    return common_volume(upper, [lower.moved(cq.Location(cq.Vector(*map(float, v))))]) / d


def _planar_faces(shape: cq.Shape, v: np.ndarray) -> list[tuple[float, TopoDS_Shape]]:
    """(offset along ``v``, face) of every planar face of ``shape`` whose outward normal is ``v`` (unit)."""
    out = []
    explorer = TopExp_Explorer(shape.wrapped, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face_s(explorer.Current())
        explorer.Next()
        surface = BRepAdaptor_Surface(face)
        if surface.GetType() != GeomAbs_Plane:
            continue
        plane = surface.Plane()
        d, p = plane.Axis().Direction(), plane.Location()
        sign = -1.0 if face.Orientation() == TopAbs_REVERSED else 1.0
        if sign * (d.X() * v[0] + d.Y() * v[1] + d.Z() * v[2]) > 1 - 1e-9:
            out.append((p.X() * v[0] + p.Y() * v[1] + p.Z() * v[2], face))
    return out


def face_contact_area(upper: cq.Shape, lower: cq.Shape, direction: Sequence[float] = (0.0, 0.0, 1.0),
                      tol: float = 1e-7) -> float:
    """Area (mm2) over which ``lower`` touches ``upper`` across planar faces normal to ``direction``: ``lower``'s
    faces facing ``direction`` against ``upper``'s faces facing the other way in the same plane (within ``tol``
    mm), one face boolean per shared plane. The same area as :func:`contact_area` for flat contacts between solids
    that do not overlap, about five times faster (no solid boolean); curved contacts are not counted."""
    v = np.asarray(direction, dtype=float)
    v = v / np.linalg.norm(v)
    tops, bottoms = _planar_faces(lower, v), _planar_faces(upper, -v)
    total = 0.0
    for level in sorted({round(z / tol) for z, _ in tops}):
        a = [f for z, f in bottoms if abs(-z - level * tol) <= 2 * tol]
        b = [f for z, f in tops if abs(z - level * tol) <= 2 * tol]
        if a and b:
            op = BRepAlgoAPI_Common()
            op.SetArguments(_listed_raw(a))
            op.SetTools(_listed_raw(b))
            op.SetRunParallel(False)
            op.Build()
            if not op.IsDone():
                raise KernelError("OCCT face common failed")
            props = GProp_GProps()
            BRepGProp.SurfaceProperties_s(op.Shape(), props)
            total += float(props.Mass())
    return total
