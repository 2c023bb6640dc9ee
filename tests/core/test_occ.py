"""Kernel helpers of geometry.core.occ against OCCT used directly."""

from __future__ import annotations

import cadquery as cq
import numpy as np
from OCP.BRepClass3d import BRepClass3d_SolidClassifier
from OCP.gp import gp_Pnt
from OCP.TopAbs import TopAbs_IN

from geometry.core import occ, occ_block, occ_mesh
from geometry.core.stack import translations


def _fresh(shape, p, tol=1e-7) -> bool:
    return BRepClass3d_SolidClassifier(shape.wrapped, gp_Pnt(*map(float, p)), tol).State() == TopAbs_IN


def test_point_inside_reused_classifier_answers_as_a_new_one_per_probe():
    holed = occ.cut(occ.box(-1, -1, 0, 1, 1, 0.5), [occ.cylinder(0.4, -1, 1)])
    ball = occ.sphere(0.3, 2.0)
    rng = np.random.default_rng(7)
    for shape in (holed, ball, holed):
        b = occ.bounds(shape)
        probes = rng.uniform(b[:3] - 0.2, b[3:] + 0.2, size=(300, 3))
        faces = np.array([[0.0, 0.0, 0.25], [0.4, 0.0, 0.25], [1.0, 0.2, 0.2], [0.5, 0.5, 0.5], [0.0, 0.0, 2.3],
                          [0.0, 0.0, 1.7], [0.7, 0.7, 0.0]])
        answers = [occ.point_inside(shape, p) for p in np.vstack([probes, faces])]
        assert answers == [_fresh(shape, p) for p in np.vstack([probes, faces])]
        assert 30 < sum(answers) < 270
    assert not occ.point_inside(holed, (0.4, 0.0, 0.25)) and not occ.point_inside(holed, (1.0, 0.2, 0.2))
    assert occ.point_inside(holed, (0.7, 0.0, 0.25)) and not occ.point_inside(holed, (0.0, 0.0, 0.25))


def test_points_inside_answers_as_point_inside_probe_by_probe():
    holed = occ.cut(occ.box(-1, -1, 0, 1, 1, 0.5), [occ.cylinder(0.4, -1, 1)])
    probes = np.random.default_rng(3).uniform((-1.2, -1.2, -0.2), (1.2, 1.2, 0.7), size=(400, 3))
    got = occ.points_inside(holed, probes)
    assert got.dtype == bool and got.shape == (400,)
    assert got.tolist() == [_fresh(holed, p) for p in probes]
    assert 50 < got.sum() < 350
    assert occ.points_inside(holed, np.zeros((0, 3))).shape == (0,)


def test_curve_points_are_edge_sample_points():
    spline = cq.Edge.makeSpline([cq.Vector(0, 0, 0), cq.Vector(0.4, 0, 0.3), cq.Vector(1.2, 0, 0.1)],
                                tangents=[cq.Vector(0, 0, 1), cq.Vector(1, 0, 0)], scale=True)
    circle = cq.Edge.makeCircle(0.5, cq.Vector(1, 2, 3))
    for edge, n in ((spline, 2), (spline, 57), (circle, 12)):
        pts, _ = edge.sample(n)
        got = occ.curve_points(edge, n)
        assert got.shape == (len(pts), 3)
        assert np.array_equal(got, np.array([p.toTuple() for p in pts]))
    assert len(occ.curve_points(circle, 12)) == 12


def _open_solid() -> cq.Shape:
    """A solid whose shell is five faces of a box: open, which BRepCheck reports."""
    from OCP.BRep import BRep_Builder
    from OCP.TopoDS import TopoDS_Shell, TopoDS_Solid

    builder = BRep_Builder()
    shell, solid = TopoDS_Shell(), TopoDS_Solid()
    builder.MakeShell(shell)
    for face in occ.box(0, 0, 0, 1, 1, 1).Faces()[:5]:
        builder.Add(shell, face.wrapped)
    builder.MakeSolid(solid)
    builder.Add(solid, shell)
    return cq.Shape.cast(solid)


def test_validity_is_brepchecks_and_kept_per_shape():
    from OCP.BRepCheck import BRepCheck_Analyzer

    good, bad = occ.box(0, 0, 0, 1, 1, 1), _open_solid()
    for shape in (good, bad, good, bad):
        assert occ.is_valid(shape) == bool(BRepCheck_Analyzer(shape.wrapped).IsValid())
    assert occ.is_valid(good) and not occ.is_valid(bad)


def test_area_of_located_copies_equals_shape_area_and_measures_are_kept_per_shape():
    solid = _holed()
    assert occ.area(solid) == solid.Area()
    assert occ.volume(solid) == solid.Volume()
    b = occ.bounds(solid)
    b[0] = 99.0  # the caller's copy, not the kept bounds
    assert occ.bounds(solid)[0] == -1.5
    moved = solid.moved(occ.location(np.array([[1.0, 0, 0, 3], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])))
    assert occ.bounds(moved)[0] == 1.5 and occ.volume(moved) == moved.Volume()
    flipped = cq.Shape.cast(solid.wrapped.Reversed())
    assert occ.volume(flipped) == flipped.Volume() < 0


def _holed():
    cell = occ.cut(occ.box(-0.5, -0.5, 0, 0.5, 0.5, 0.2), [occ.cylinder(0.3, -1, 1)])
    cells = translations([(x, y, 0) for x in (-1, 0, 1) for y in (-0.5, 0.5)])
    return occ_block.holed_block((-1.5, -1, 0, 1.5, 1, 0.2), [(cell, cells)])


def _per_node(shape, deflection, angular):
    """The reference reader: every face's triangulation node by node and triangle by triangle, as
    occ_mesh.triangulate_faces read them before it parsed OCCT's binary triangulation block."""
    from OCP.BRep import BRep_Tool
    from OCP.BRepAdaptor import BRepAdaptor_Surface
    from OCP.BRepBuilderAPI import BRepBuilderAPI_Copy
    from OCP.BRepMesh import BRepMesh_IncrementalMesh
    from OCP.GeomAbs import GeomAbs_Plane
    from OCP.TopAbs import TopAbs_FACE, TopAbs_REVERSED
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopLoc import TopLoc_Location
    from OCP.TopoDS import TopoDS

    work = BRepBuilderAPI_Copy(shape.wrapped, True, False).Shape()
    BRepMesh_IncrementalMesh(work, float(deflection), False, float(angular), False)
    verts, tris, planar, offset = [], [], [], 0
    explorer = TopExp_Explorer(work, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face_s(explorer.Current())
        explorer.Next()
        loc = TopLoc_Location()
        poly = BRep_Tool.Triangulation_s(face, loc)
        if poly is None or poly.NbTriangles() == 0:
            continue
        v = np.array([poly.Node(i).Coord() for i in range(1, poly.NbNodes() + 1)], dtype=float)
        if not loc.IsIdentity():
            m = loc.Transformation()
            m = np.array([[m.Value(r, c) for c in range(1, 5)] for r in range(1, 4)])
            v = v @ m[:, :3].T + m[:, 3]
        t = np.array([poly.Triangle(i).Get() for i in range(1, poly.NbTriangles() + 1)], dtype=np.int64) - 1
        if face.Orientation() == TopAbs_REVERSED:
            t = t[:, [0, 2, 1]]
        verts.append(v)
        tris.append(t + offset)
        planar.append(np.full(len(t), BRepAdaptor_Surface(face).GetType() == GeomAbs_Plane))
        offset += len(v)
    return np.vstack(verts), np.vstack(tris), np.concatenate(planar)


def test_triangulate_faces_reads_every_face_as_node_by_node_reading_does():
    """The same vertices (bit for bit), triangles and planar flags as reading each node through OCP, on a holed
    box, a sphere, a tiled block, a swept tube, a mirrored copy (reversed faces) and a compound of located copies
    of one solid (shared triangulations, non-identity locations)."""
    ball = occ.sphere(0.3, 2.0)
    holed = occ.cut(occ.box(-1, -1, 0, 1, 1, 0.5), [occ.cylinder(0.4, -1, 1)])
    tube = cq.Solid.sweep(cq.Wire.makeCircle(0.05, cq.Vector(0, 0, 0), cq.Vector(1, 0, 0)),
                          [], cq.Wire.makeHelix(1.0, 2.0, 0.5), isFrenet=True)
    mirrored = holed.mirror("YZ")
    located = occ.compound([ball.moved(occ.location(np.array([[0.0, -1, 0, x], [1, 0, 0, 0], [0, 0, 1, 0],
                                                                [0, 0, 0, 1]]))) for x in (0.0, 1.5)])
    for shape, deflection, angular in [(holed, 0.01, 0.3), (ball, 0.005, 0.2), (_holed(), 0.02, 0.5),
                                       (tube, 0.01, 0.3), (mirrored, 0.01, 0.3), (located, 0.01, 0.3)]:
        v, f, planar = occ_mesh.triangulate_faces(shape, deflection, angular)
        rv, rf, rplanar = _per_node(shape, deflection, angular)
        assert v.dtype == rv.dtype and f.dtype == rf.dtype and planar.dtype == rplanar.dtype
        np.testing.assert_array_equal(v, rv)
        np.testing.assert_array_equal(f, rf)
        np.testing.assert_array_equal(planar, rplanar)
        assert 0 < planar.sum() < len(planar) or shape is ball or shape is located or shape is tube
    empty = occ_mesh.triangulate_faces(cq.Wire.makeCircle(1.0, cq.Vector(0, 0, 0), cq.Vector(0, 0, 1)), 0.01, 0.3)
    assert [a.shape for a in empty] == [(0, 3), (0, 3), (0,)]


def test_vertices_are_measured_once_and_counted_by_topology() -> None:
    """The vertex array is cached per shape (a copy is returned) and topology counts the same vertices."""
    import cadquery as cq

    from geometry.core import occ

    box = cq.Workplane().box(1.0, 2.0, 3.0).val()
    first = occ.vertices(box)
    first[:] = 99.0
    again = occ.vertices(box)
    assert again.shape == (8, 3) and np.allclose(np.abs(again), [0.5, 1.0, 1.5])
    assert occ.topology(box) == {"solids": 1, "shells": 1, "faces": 6, "edges": 12, "vertices": 8}
