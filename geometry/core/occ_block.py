"""A solid box less the holes of the tiles that fill it, built from the tiles' faces without a boolean
(:func:`holed_block`): the one-solid first encapsulant of a flip-chip (claim 1's underfill region). OCP calls, mm."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import cadquery as cq
import numpy as np
from OCP.Bnd import Bnd_Box
from OCP.BRep import BRep_Builder
from OCP.BRepAdaptor import BRepAdaptor_Surface
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeFace
from OCP.BRepTools import BRepTools
from OCP.GeomAbs import GeomAbs_Plane
from OCP.TopAbs import TopAbs_FACE, TopAbs_WIRE
from OCP.TopExp import TopExp_Explorer
from OCP.TopoDS import TopoDS, TopoDS_Shape, TopoDS_Shell, TopoDS_Solid

from .occ import KernelError, bounds, box, fuse, top_location

__all__ = ["holed_block"]


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


def _strip_cuts(spans: np.ndarray, y0: float, y1: float) -> list[float]:
    """The y-levels (mm) that split [``y0``, ``y1``] into one strip per row of holes whose y-extents are ``spans``
    ((H, 2), mm): the middles of the gaps between the merged extents, so no cut line crosses a hole."""
    cuts, top = [], None
    for lo, hi in spans[np.argsort(spans[:, 0], kind="stable")].tolist():
        if top is not None and lo > top:
            cuts.append((top + lo) / 2)
        top = hi if top is None else max(top, hi)
    return [c for c in cuts if y0 < c < y1]


def _placed_spans(wires: Sequence[TopoDS_Shape], placements: np.ndarray) -> np.ndarray:
    """The y-extents (N * W, 2; mm, placement-major) of prototype ``wires`` placed by ``placements`` ((N, 4, 4)):
    each wire's bounding-box corners moved by each placement, so a wire is bounded once, not once per copy (exact
    for translations, a superset under rotation)."""
    if not wires:
        return np.zeros((0, 2))
    b = np.array([_face_bounds(w) for w in wires])
    corners = np.stack([b[:, [i, j, k]] for i in (0, 3) for j in (1, 4) for k in (2, 5)], axis=1)
    y = np.einsum("nj,wcj->nwc", placements[:, 1, :3], corners) + placements[:, 1, 3, None, None]
    return np.stack([y.min(axis=2), y.max(axis=2)], axis=2).reshape(-1, 2)


def _strip_block(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float,
                 cuts: Sequence[float]) -> TopoDS_Shape:
    """The box as one solid whose faces are split at the y-levels ``cuts``: plain strip boxes fused with OCCT's glue
    and no same-domain unification, so the top and bottom faces are one face per strip, edges shared with the
    split sides."""
    ys = [y0, *cuts, y1]
    strips = [box(x0, a, z0, x1, b, z1) for a, b in pairwise(ys)]
    if len(strips) == 1:
        return strips[0].wrapped
    solid = fuse(strips, glue=True, clean=False)
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
    faces, holes, spans = [], {0: [], 1: []}, {0: [], 1: []}
    for shape, placements in cells:
        inner, top, bottom = _cell_faces(shape, tol)
        placements = np.asarray(placements, dtype=float)
        for m in placements:
            loc = top_location(m)
            faces += [f.Moved(loc) for f in inner]
            holes[1] += [w.Moved(loc) for w in top]
            holes[0] += [w.Moved(loc) for w in bottom]
        spans[1].append(_placed_spans(top, placements))
        spans[0].append(_placed_spans(bottom, placements))
    spans = {k: np.concatenate(v) if v else np.zeros((0, 2)) for k, v in spans.items()}
    block_shape = _strip_block(x0, y0, z0, x1, y1, z1, _strip_cuts(np.concatenate([spans[0], spans[1]]), y0, y1))
    rows = {}
    for k, ws in holes.items():
        middle = spans[k].mean(axis=1)
        order = np.argsort(middle, kind="stable")
        rows[k] = (middle[order], [ws[i] for i in order])
    shell = TopoDS_Shell()
    builder = BRep_Builder()
    builder.MakeShell(shell)
    explorer = TopExp_Explorer(block_shape, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face_s(explorer.Current())
        explorer.Next()
        fb = _face_bounds(face)
        level = 0 if fb[5] < z0 + tol else 1 if fb[2] > z1 - tol else None
        inside = []
        if level is not None:
            middle, ws = rows[level]
            inside = ws[np.searchsorted(middle, fb[1], side="right"):np.searchsorted(middle, fb[4], side="left")]
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
