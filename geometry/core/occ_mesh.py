"""Triangulation of B-rep shapes (kernel layer, OCCT's ``BRepMesh``): absolute linear and angular deflection,
every face's nodes read in one pass from OCCT's binary triangulation block. mm."""

from __future__ import annotations

import io
from collections.abc import Sequence

import cadquery as cq
import numpy as np
from OCP.BinTools import BinTools_ShapeSet
from OCP.BRep import BRep_Builder, BRep_Tool
from OCP.BRepBuilderAPI import BRepBuilderAPI_Copy
from OCP.BRepMesh import BRepMesh_IncrementalMesh
from OCP.GeomAbs import GeomAbs_Plane
from OCP.GeomAdaptor import GeomAdaptor_Surface
from OCP.TopAbs import TopAbs_FACE, TopAbs_REVERSED
from OCP.TopExp import TopExp_Explorer
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS, TopoDS_Compound, TopoDS_Face
from OCP.TopTools import TopTools_IndexedMapOfShape

from .occ import KernelError

__all__ = ["triangulate", "triangulate_faces"]


def triangulate(shape: cq.Shape, deflection: float, angular: float) -> tuple[np.ndarray, np.ndarray]:
    """Triangulate a copy of ``shape`` with an absolute linear ``deflection`` (mm) and ``angular`` deflection (rad).

    Unlike cadquery's ``Shape.tessellate`` (relative deflection, mesh cached on the shape itself), the result
    depends only on the arguments and ``shape`` is left without a mesh. Returns vertices (n, 3) in mm, one block per face (shared
    edge nodes are repeated, not merged), and outward-oriented triangle indices (m, 3).
    """
    v, f, _ = triangulate_faces(shape, deflection, angular)
    return v, f


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenated index ranges ``starts[i] .. starts[i] + counts[i] - 1``."""
    total = int(counts.sum())
    return np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)


def _triangulation_arrays(polys: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(nodes (n, 3) mm, triangles (m, 3) with 1-based node numbers per triangulation, nodes and triangles per
    triangulation) of the ``Poly_Triangulation`` handles ``polys``, read in one pass: each is put on a bare face of one
    compound, written with OCCT's binary shape format (``BinTools_ShapeSet.WriteTriangulation``, format 4:
    little-endian int32 node and triangle counts, two flag bytes, float64 deflection, float64 nodes, optional
    float64 UV pairs, int32 triangle nodes, optional float32 normals) and parsed with numpy, instead of one Python
    call per node. KernelError when the bytes do not have that layout or the counts differ from the handles'."""
    builder, holder = BRep_Builder(), TopoDS_Compound()
    builder.MakeCompound(holder)
    for poly in polys:
        bare = TopoDS_Face()
        builder.MakeFace(bare, poly)
        builder.Add(holder, bare)
    shapes = BinTools_ShapeSet()
    shapes.SetWithTriangles(True)
    shapes.Add(holder)
    stream = io.BytesIO()
    shapes.WriteTriangulation(stream)
    raw = stream.getvalue()
    head = raw.index(b"\n") + 1
    want = np.array([[p.NbNodes(), p.NbTriangles()] for p in polys], dtype=np.int64).reshape(-1, 2)
    if raw[:head] != f"Triangulations {len(polys)}\n".encode():
        raise KernelError(f"triangulate: unexpected OCCT triangulation block header {raw[:head][:40]!r}")
    pos, node_blocks, tri_blocks = head, [], []
    for nodes, tris in want.tolist():
        counts, flags = np.frombuffer(raw, "<i4", 2, pos), raw[pos + 8:pos + 10]
        if counts.tolist() != [nodes, tris] or flags not in (b"\0\0", b"\1\0", b"\0\1", b"\1\1"):
            raise KernelError("triangulate: OCCT's binary triangulation layout is not the expected one (format 4)")
        node_blocks.append(np.frombuffer(raw, "<f8", 3 * nodes, pos + 18))
        pos += 18 + 24 * nodes + (16 * nodes if flags[0] else 0)
        tri_blocks.append(np.frombuffer(raw, "<i4", 3 * tris, pos))
        pos += 12 * tris + (12 * nodes if flags[1] else 0)
    if pos != len(raw):
        raise KernelError(f"triangulate: {len(raw) - pos} bytes left after the OCCT triangulations")
    return (np.concatenate(node_blocks).reshape(-1, 3).astype(float),
            np.concatenate(tri_blocks).reshape(-1, 3).astype(np.int64), want[:, 0], want[:, 1])


def triangulate_faces(shape: cq.Shape, deflection: float,
                      angular: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`triangulate`, plus a (m,) bool array: whether each triangle lies on a planar B-rep face. Faces in
    explorer order, each with its own node block; the nodes of all faces read at once
    (:func:`_triangulation_arrays`), each face located copy of one triangulation read once."""
    work = BRepBuilderAPI_Copy(shape.wrapped, True, False).Shape()
    BRepMesh_IncrementalMesh(work, float(deflection), False, float(angular), False)
    polys, which, reversed_, planar, moved = [], [], [], [], {}
    seen = TopTools_IndexedMapOfShape()
    explorer = TopExp_Explorer(work, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face_s(explorer.Current())
        explorer.Next()
        loc = TopLoc_Location()
        poly = BRep_Tool.Triangulation_s(face, loc)
        if poly is None or poly.NbTriangles() == 0:
            continue
        k = seen.Add(face.Located(TopLoc_Location())) - 1
        if k == len(polys):
            polys.append(poly)
        if not loc.IsIdentity():
            m = loc.Transformation()
            moved[len(which)] = np.array([[m.Value(r, c) for c in range(1, 5)] for r in range(1, 4)])
        which.append(k)
        reversed_.append(face.Orientation() == TopAbs_REVERSED)
        planar.append(GeomAdaptor_Surface(BRep_Tool.Surface_s(face, TopLoc_Location())).GetType() == GeomAbs_Plane)
    if not which:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=bool)
    nodes, tris, n_nodes, n_tris = _triangulation_arrays(polys)
    which_ = np.array(which)
    nn, nt = n_nodes[which_], n_tris[which_]
    v = nodes[_ranges((np.cumsum(n_nodes) - n_nodes)[which_], nn)]
    first = np.cumsum(nn) - nn
    for i, m in moved.items():
        v[first[i]:first[i] + nn[i]] = v[first[i]:first[i] + nn[i]] @ m[:, :3].T + m[:, 3]
    owner = np.repeat(np.arange(len(which_)), nt)
    t = tris[_ranges((np.cumsum(n_tris) - n_tris)[which_], nt)] - 1
    flip = np.array(reversed_)[owner]
    t[flip] = t[flip][:, [0, 2, 1]]
    return v, t + first[owner][:, None], np.array(planar)[owner]
