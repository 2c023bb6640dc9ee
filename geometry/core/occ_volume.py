"""Exact volume of a solid made of located copies of few faces (the holes of an encapsulant), integrating each
distinct face once, where OCCT's ``BRepGProp.VolumeProperties`` integrates every copy: 4.4 against 1.9 CPU s for a
40,000-hole block (the rest being its unique planar faces), 2.7 against 0.8 for fc-production's encapsulant. Kept
apart from :mod:`geometry.core.occ` for its size. Units: mm, mm2, mm3."""

from __future__ import annotations

import cadquery as cq
import numpy as np
from OCP.BRep import BRep_Tool
from OCP.BRepGProp import BRepGProp_Domain, BRepGProp_Face, BRepGProp_Vinert
from OCP.gp import gp_Pnt, gp_XYZ
from OCP.TopAbs import TopAbs_FACE, TopAbs_VERTEX
from OCP.TopExp import TopExp_Explorer
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS

from .occ import measured

__all__ = ["shared_volume"]


def _cone(face, point: gp_Pnt) -> float:
    """(1/3) ∫ (x - point)·n dA over the face (mm3): the signed volume of the cone from point to the face."""
    face = TopoDS.Face_s(face)
    return BRepGProp_Vinert(BRepGProp_Face(face), BRepGProp_Domain(face), point).Mass()


def _moved_areas(faces, normal_area) -> tuple[np.ndarray, np.ndarray, list]:
    """(N, 3) translations t (mm) and rotated area vectors R A (mm2) of the faces whose location is rigid, and the
    faces whose location scales (integrated in place)."""
    moves, images, other = [], [], []
    for face in faces:
        trsf = face.Location().Transformation()
        if abs(trsf.ScaleFactor() - 1.0) > 1e-12:
            other.append(face)
            continue
        image = gp_XYZ(*normal_area)
        trsf.Transforms(image)
        moves.append(trsf.TranslationPart().Coord())
        images.append(image.Coord())
    moves = np.array(moves, dtype=float).reshape(-1, 3)
    return moves, np.array(images, dtype=float).reshape(-1, 3) - moves, other


def shared_volume(shape: cq.Shape) -> float:
    """Volume in mm3 of a solid or compound of solids as ``occ.volume`` (to some 1e-12 relative: OCCT's own
    error; OCCT's volume of free faces or shells is no enclosed volume), each (TShape, orientation)
    integrated once. A face that is a located copy (rotation R, translation t) of a face F adds, about a point c of
    the shape (its first vertex), V0 + (t - c)·(R A) / 3, where V0 = (1/3)∫x·n dA and A = ∫n dA of F (from its
    cones about the origin and the three unit points); a face met once is integrated in place about c. Computed
    once per shape and orientation while the shape lives (the valid-solids check and the geometry digest both ask
    for the encapsulant's: 1.7 CPU s each at fc-production; :func:`geometry.core.occ.measured`)."""
    return measured(shape, "shared_volume", lambda: _integrated(shape))


def _integrated(shape: cq.Shape) -> float:
    if shape.wrapped.IsNull():
        return 0.0
    vertex = TopExp_Explorer(shape.wrapped, TopAbs_VERTEX)
    if not vertex.More():
        return 0.0
    corner = BRep_Tool.Pnt_s(TopoDS.Vertex_s(vertex.Current()))
    centre = np.array(corner.Coord())
    groups: dict = {}
    explorer = TopExp_Explorer(shape.wrapped, TopAbs_FACE)
    while explorer.More():
        face = explorer.Current()
        explorer.Next()
        groups.setdefault((face.TShape(), face.Orientation()), []).append(face)
    total = 0.0
    unit = [gp_Pnt(0, 0, 0), gp_Pnt(1, 0, 0), gp_Pnt(0, 1, 0), gp_Pnt(0, 0, 1)]
    for faces in groups.values():
        if len(faces) == 1:
            total += _cone(faces[0], corner)
            continue
        base = faces[0].Located(TopLoc_Location())
        v0, *shifted = (_cone(base, p) for p in unit)
        normal_area = 3.0 * (v0 - np.array(shifted))
        moves, areas, other = _moved_areas(faces, normal_area)
        total += len(moves) * v0 + float(np.einsum("ni,ni->", moves - centre, areas)) / 3.0
        total += sum(_cone(face, corner) for face in other)
    return total
