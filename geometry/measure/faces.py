"""Faces and points of members (mm, mm2): flat ends and their areas, the top of a covering body, the bodies that
hold a point, planar faces and the outlines of holes in them. Exact from the B-rep."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cadquery as cq
import numpy as np

from ..core import occ
from ..core.stack import Body, Instances, Stack
from .broad import box_pairs


def require_vertical(part: Instances) -> None:
    if not np.allclose(part.placements[:, 2, :3], [0.0, 0.0, 1.0], atol=1e-9):
        raise ValueError("this check needs members whose local z axis is vertical")


def flat_face(shape: cq.Shape, up: bool) -> tuple[np.ndarray, float] | None:
    """Centre (local, mm) and area (mm2) of the highest planar face facing up (or lowest facing down)."""
    best = None
    sign = 1.0 if up else -1.0
    for f in shape.Faces():
        if f.geomType() != "PLANE" or f.normalAt().z * sign < 1 - 1e-9:
            continue
        c = np.array(f.Center().toTuple())
        if best is None or c[2] * sign > best[0][2] * sign:
            best = (c, float(f.Area()))
    return best


def flat_ends(body: Body, up: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """World centres (N, 3) and areas (N,) of every member's flat end (top face, or bottom with ``up=False``)."""
    centres, areas = [], []
    for p in body.parts:
        require_vertical(p)
        face = flat_face(p.shape, up)
        if face is None:
            raise ValueError(f"{body.name}: a prototype has no flat {'top' if up else 'bottom'} face")
        c, a = face
        centres.append(np.einsum("nij,j->ni", p.placements, np.append(c, 1.0))[:, :3])
        areas.append(np.full(p.count, a))
    return np.concatenate(centres), np.concatenate(areas)


def covering_top(body: Body, xy: np.ndarray) -> np.ndarray:
    """For each point (N, 2), the highest top (mm) of ``body``'s members whose xy bounds hold it; -inf if none."""
    b = body.member_bounds()
    pts = np.column_stack([xy, np.zeros(len(xy))])
    lo_b = np.column_stack([b[:, :2], np.zeros(len(b))])
    hi_b = np.column_stack([b[:, 3:5], np.zeros(len(b))])
    i, j = box_pairs(pts, pts, lo_b, hi_b, strict=False)
    top = np.full(len(xy), -np.inf)
    np.maximum.at(top, i, b[j, 5])
    return top


def bodies_containing(stack: Stack, points: np.ndarray, names: Iterable[str] | None = None) -> list[list[str]]:
    """For each point (K, 3), the names of the bodies (among ``names``, default all) with a member strictly
    containing it (mm). Only members whose bounds hold a point are classified (one OCCT call each)."""
    pts = np.atleast_2d(np.asarray(points, dtype=float))
    homo = np.column_stack([pts, np.ones(len(pts))])
    out: list[list[str]] = [[] for _ in pts]
    for body in stack.bodies if names is None else [stack[n] for n in names]:
        for part in body.parts:
            b = part.bounds()
            for k, p in enumerate(homo):
                if body.name in out[k]:
                    continue
                inside = np.flatnonzero(np.all((b[:, :3] <= p[:3]) & (p[:3] <= b[:, 3:]), axis=1))
                if any(occ.point_inside(part.shape, (np.linalg.inv(part.placements[m]) @ p)[:3]) for m in inside):
                    out[k].append(body.name)
    return out


def flat_faces(shape: cq.Shape, up: bool) -> list[cq.Face]:
    sign = 1.0 if up else -1.0
    return [f for f in shape.Faces() if f.geomType() == "PLANE" and f.normalAt().z * sign > 1 - 1e-9]


def hole_outlines(shape: cq.Shape, deflection: float = 1e-5, up: bool = True) -> list[np.ndarray]:
    """Polylines (K, 3) along the holes of ``shape``'s top planar face (bottom with ``up=False``): every edge of its
    inner wires sampled within ``deflection`` (mm) of the curve."""
    faces = flat_faces(shape, up)
    if not faces:
        return []
    face = (max if up else min)(faces, key=lambda f: f.Center().z)
    out = []
    for w in face.innerWires():
        for e in w.Edges():
            pts, _ = e.sample(float(deflection))
            line = np.array([p.toTuple() for p in pts])
            out.append(np.vstack([line, line[:1]]) if e.IsClosed() else line)
    return out


def xy_box(lines: Sequence[np.ndarray]) -> np.ndarray:
    p = np.vstack(lines)
    return np.concatenate([p.min(axis=0), p.max(axis=0)])
