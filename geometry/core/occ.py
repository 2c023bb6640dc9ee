"""The kernel layer: every direct OpenCascade (OCP) call of pkgcad lives here.

Everything above this module speaks ``cadquery.Shape`` and numpy arrays. Boolean operations run with OCCT's own
parallelism off (pkgcad parallelises across processes instead) and take many tools in one call, so an array is
never fused or cut member by member. Units are millimetres throughout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import cadquery as cq
import numpy as np
from OCP.Bnd import Bnd_Box
from OCP.BOPAlgo import BOPAlgo_Builder, BOPAlgo_GlueShift
from OCP.BRep import BRep_Builder, BRep_Tool
from OCP.BRepAdaptor import BRepAdaptor_Surface
from OCP.BRepAlgoAPI import (
    BRepAlgoAPI_BooleanOperation,
    BRepAlgoAPI_Common,
    BRepAlgoAPI_Cut,
    BRepAlgoAPI_Fuse,
)
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepBuilderAPI import BRepBuilderAPI_Copy, BRepBuilderAPI_MakeFace
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepClass3d import BRepClass3d_SolidClassifier
from OCP.BRepExtrema import BRepExtrema_DistShapeShape
from OCP.BRepGProp import BRepGProp
from OCP.BRepMesh import BRepMesh_IncrementalMesh
from OCP.BRepTools import BRepTools
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
    TopAbs_WIRE,
)
from OCP.TopExp import TopExp, TopExp_Explorer
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS, TopoDS_Shape, TopoDS_Shell, TopoDS_Solid
from OCP.TopTools import TopTools_IndexedMapOfShape, TopTools_ListOfShape

__all__ = [
    "bounds",
    "box",
    "common",
    "common_volume",
    "compound",
    "contact_area",
    "cut",
    "cylinder",
    "face_contact_area",
    "fragment",
    "fuse",
    "fuse_solid",
    "holed_block",
    "is_closed",
    "is_valid",
    "location",
    "lowest_point",
    "min_distance",
    "point_inside",
    "sphere",
    "topology",
    "triangulate",
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


def fuse(shapes: Sequence[cq.Shape], glue: bool = False) -> cq.Shape:
    """Union of ``shapes`` in one operation."""
    if len(shapes) == 1:
        return shapes[0]
    return _boolean(BRepAlgoAPI_Fuse(), "fuse", shapes[:1], shapes[1:], glue)


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


def _face_bounds(face: TopoDS_Shape) -> np.ndarray:
    bb = Bnd_Box()
    BRepBndLib.AddOptimal_s(face, bb, False, False)
    return np.array(bb.Get())


def _cell_faces(cell: cq.Shape, tol: float) -> tuple[list, list, list]:
    """The faces of a tile ``cell`` (a box less holes that open only through its top and bottom faces) inside its
    box, and the hole wires of its top and bottom faces; :class:`KernelError` when the cell is not of that kind."""
    b = bounds(cell)
    inner, top, bottom = [], [], []
    side_area, caps = 0.0, {0: 0, 1: 0}
    explorer = TopExp_Explorer(cell.wrapped, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face_s(explorer.Current())
        explorer.Next()
        fb = _face_bounds(face)
        flat = BRepAdaptor_Surface(face).GetType() == GeomAbs_Plane
        level = next((k for k, z in ((0, b[2]), (1, b[5])) if abs(fb[2] - z) < tol and abs(fb[5] - z) < tol), None)
        on_side = any(abs(fb[i] - fb[i + 3]) < tol and min(abs(fb[i] - b[i]), abs(fb[i] - b[i + 3])) < tol
                      for i in (0, 1))
        if flat and level is not None:
            outer = BRepTools.OuterWire_s(face)
            if np.abs(_face_bounds(outer)[[0, 1, 3, 4]] - b[[0, 1, 3, 4]]).max() > tol:
                raise KernelError("holed block: a hole reaches the side of its cell")
            caps[level] += 1
            wires = TopExp_Explorer(face, TopAbs_WIRE)
            while wires.More():
                if not wires.Current().IsSame(outer):
                    (top if level else bottom).append(wires.Current())
                wires.Next()
        elif flat and on_side:
            side_area += cq.Face(face).Area()
        else:
            inner.append(face)
    if caps != {0: 1, 1: 1} or abs(side_area - 2 * (b[3] - b[0] + b[4] - b[1]) * (b[5] - b[2])) > tol:
        raise KernelError("holed block: a cell's top, bottom or sides are not whole")
    return inner, top, bottom


def _strip_cuts(holes: Sequence[TopoDS_Shape], y0: float, y1: float) -> list[float]:
    """The y-levels (mm) that split [``y0``, ``y1``] into one strip per row of ``holes``: the middles of the gaps
    between the merged y-extents of the hole wires, so no cut line crosses a hole."""
    spans = sorted((b[1], b[4]) for b in (_face_bounds(w) for w in holes))
    cuts, top = [], None
    for lo, hi in spans:
        if top is not None and lo > top:
            cuts.append((top + lo) / 2)
        top = hi if top is None else max(top, hi)
    return [c for c in cuts if y0 < c < y1]


def _strip_block(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float,
                 cuts: Sequence[float]) -> TopoDS_Shape:
    """The box as one solid whose faces are split at the y-levels ``cuts``: plain strip boxes fused with OCCT's glue
    and no same-domain unification, so the top and bottom faces are one face per strip, edges shared with the
    split sides."""
    ys = [y0, *cuts, y1]
    strips = [box(x0, a, z0, x1, b, z1) for a, b in pairwise(ys)]
    if len(strips) == 1:
        return strips[0].wrapped
    solid = _boolean(BRepAlgoAPI_Fuse(), "fuse", strips[:1], strips[1:], True, clean=False)
    if len(solid.Solids()) != 1:
        raise KernelError(f"holed block: {len(strips)} strips fused into {len(solid.Solids())} solids")
    return solid.Solids()[0].wrapped


def holed_block(block: Sequence[float], cells: Sequence[tuple[cq.Shape, np.ndarray]], tol: float = 1e-7) -> cq.Solid:
    """One solid: the box ``block`` (x0, y0, z0, x1, y1, z1, mm) less the holes of the tiles that fill it, built
    without a boolean. ``cells`` are (prototype, (N, 4, 4) placements): each prototype a cell box less holes that
    open only through its top and bottom faces, the placed cells tiling the block; tiles without holes may be left
    out. The hole faces of every placed cell are shared as they are (located copies) and its hole wires are added to
    the block's top and bottom faces, so the result has the volume the tiles sum to.

    The top and bottom faces are split into strips, one per row of holes (:func:`_strip_cuts`), each carrying its
    row's hole wires: OCCT's cost of a face grows about quadratically with its inner wires (the 10,000 holes of one
    face took 349 s to write to STEP and 19 minutes to check). Linear in the number of tiles otherwise, where a glue
    fuse of the tiles takes minutes for 10,000; :class:`KernelError` when a cell is not of that kind."""
    x0, y0, z0, x1, y1, z1 = map(float, block)
    faces, holes = [], {0: [], 1: []}
    for shape, placements in cells:
        inner, top, bottom = _cell_faces(shape, tol)
        for m in placements:
            loc = location(m).wrapped
            faces += [f.Moved(loc) for f in inner]
            holes[1] += [w.Moved(loc) for w in top]
            holes[0] += [w.Moved(loc) for w in bottom]
    rows = {k: [(float(np.mean(_face_bounds(w)[[1, 4]])), w) for w in ws] for k, ws in holes.items()}
    block_shape = _strip_block(x0, y0, z0, x1, y1, z1, _strip_cuts(holes[0] + holes[1], y0, y1))
    shell = TopoDS_Shell()
    builder = BRep_Builder()
    builder.MakeShell(shell)
    explorer = TopExp_Explorer(block_shape, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face_s(explorer.Current())
        explorer.Next()
        fb = _face_bounds(face)
        level = 0 if fb[5] < z0 + tol else 1 if fb[2] > z1 - tol else None
        inside = [w for y, w in rows[level] if fb[1] < y < fb[4]] if level is not None else []
        if inside:
            make = BRepBuilderAPI_MakeFace(face)
            for w in inside:
                make.Add(TopoDS.Wire_s(w))
            face = make.Face()
        builder.Add(shell, face)
    for f in faces:
        builder.Add(shell, f)
    shell.Closed(True)
    solid = TopoDS_Solid()
    builder.MakeSolid(solid)
    builder.Add(solid, shell)
    return cq.Solid(solid)


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


def volume(shape: cq.Shape) -> float:
    """Volume in mm3 (0 for an empty shape)."""
    return 0.0 if shape.wrapped.IsNull() else float(shape.Volume())


def bounds(shape: cq.Shape) -> np.ndarray:
    """Tight axis-aligned bounds ``[xmin, ymin, zmin, xmax, ymax, zmax]`` (mm)."""
    bb = Bnd_Box()
    BRepBndLib.AddOptimal_s(shape.wrapped, bb, False, False)
    return np.array(bb.Get())


def is_valid(shape: cq.Shape) -> bool:
    """OCCT's topology and geometry check (BRepCheck_Analyzer)."""
    return bool(BRepCheck_Analyzer(shape.wrapped).IsValid())


def is_closed(shape: cq.Shape) -> bool:
    """True when ``shape`` has shells and every one is closed (each edge shared by two faces)."""
    shells = shape.Shells()
    return bool(shells) and all(BRep_Tool.IsClosed_s(s.wrapped) for s in shells)


def _distinct(shape: cq.Shape, kind) -> TopTools_IndexedMapOfShape:
    found = TopTools_IndexedMapOfShape()
    TopExp.MapShapes_s(shape.wrapped, kind, found)
    return found


def topology(shape: cq.Shape) -> dict[str, int]:
    """Number of distinct solids, shells, faces, edges and vertices of ``shape``."""
    kinds = {"solids": TopAbs_SOLID, "shells": TopAbs_SHELL, "faces": TopAbs_FACE, "edges": TopAbs_EDGE,
             "vertices": TopAbs_VERTEX}
    return {k: _distinct(shape, v).Extent() for k, v in kinds.items()}


def vertices(shape: cq.Shape) -> np.ndarray:
    """(n, 3) coordinates (mm) of the distinct vertices of ``shape``, in OCCT's traversal order."""
    found = _distinct(shape, TopAbs_VERTEX)
    pts = (BRep_Tool.Pnt_s(TopoDS.Vertex_s(found.FindKey(i))) for i in range(1, found.Extent() + 1))
    return np.array([(p.X(), p.Y(), p.Z()) for p in pts], dtype=float).reshape(-1, 3)


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


def triangulate(shape: cq.Shape, deflection: float, angular: float) -> tuple[np.ndarray, np.ndarray]:
    """Triangulate a copy of ``shape`` with an absolute linear ``deflection`` (mm) and ``angular`` deflection (rad).

    Unlike cadquery's ``Shape.tessellate`` (relative deflection, mesh cached on the shape itself), the result
    depends only on the arguments and ``shape`` is left without a mesh. Returns vertices (n, 3) in mm, one block per face (shared
    edge nodes are repeated, not merged), and outward-oriented triangle indices (m, 3).
    """
    v, f, _ = triangulate_faces(shape, deflection, angular)
    return v, f


def triangulate_faces(shape: cq.Shape, deflection: float,
                      angular: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`triangulate`, plus a (m,) bool array: whether each triangle lies on a planar B-rep face."""
    work = BRepBuilderAPI_Copy(shape.wrapped, True, False).Shape()
    BRepMesh_IncrementalMesh(work, float(deflection), False, float(angular), False)
    verts: list[np.ndarray] = []
    tris: list[np.ndarray] = []
    planar: list[np.ndarray] = []
    offset = 0
    explorer = TopExp_Explorer(work, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face_s(explorer.Current())
        explorer.Next()
        loc = TopLoc_Location()
        poly = BRep_Tool.Triangulation_s(face, loc)
        if poly is None or poly.NbTriangles() == 0:
            continue
        node, triangle = poly.Node, poly.Triangle
        v = np.array([node(i).Coord() for i in range(1, poly.NbNodes() + 1)], dtype=float)
        if not loc.IsIdentity():
            m = loc.Transformation()
            m = np.array([[m.Value(r, c) for c in range(1, 5)] for r in range(1, 4)])
            v = v @ m[:, :3].T + m[:, 3]
        verts.append(v)
        t = np.array([triangle(i).Get() for i in range(1, poly.NbTriangles() + 1)], dtype=np.int64) - 1
        if face.Orientation() == TopAbs_REVERSED:
            t = t[:, [0, 2, 1]]
        tris.append(t + offset)
        planar.append(np.full(len(t), BRepAdaptor_Surface(face).GetType() == GeomAbs_Plane))
        offset += poly.NbNodes()
    if not tris:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=bool)
    return np.vstack(verts), np.vstack(tris), np.concatenate(planar)


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


def location(m: np.ndarray) -> cq.Location:
    """cadquery Location of a rigid 4x4 matrix (rotation and translation only)."""
    t = gp_Trsf()
    t.SetValues(*(float(v) for v in m[:3, :4].ravel()))
    return cq.Location(TopLoc_Location(t))


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
