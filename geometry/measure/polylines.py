"""Segments and polylines (numpy, mm): exact segment-to-segment distances, densified polylines and the closest
approach of two sets of polylines (bond-wire centre lines)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

CHUNK = 4
"""Segments per chunk in the broad phase of :func:`polyline_gap`."""


def segment_distance(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray,
                     q1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact distances (n,) between the paired segments p0-p1 and q0-q1 ((n, 3) each, mm), and the closest points
    on each (Ericson, Real-Time Collision Detection, 5.1.9). Degenerate segments are points."""
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a, e = np.einsum("ij,ij->i", d1, d1), np.einsum("ij,ij->i", d2, d2)
    b, c, f = np.einsum("ij,ij->i", d1, d2), np.einsum("ij,ij->i", d1, r), np.einsum("ij,ij->i", d2, r)
    tiny = 1e-30
    pa, pe = a > tiny, e > tiny
    sa, se = np.where(pa, a, 1.0), np.where(pe, e, 1.0)
    denom = a * e - b * b
    s = np.where(denom > 1e-12 * np.maximum(a * e, tiny), np.clip((b * f - c * e) / np.where(denom > 0, denom, 1.0),
                                                                   0.0, 1.0), 0.0)
    t = (b * s + f) / se
    s = np.where(t < 0, np.clip(-c / sa, 0.0, 1.0), np.where(t > 1, np.clip((b - c) / sa, 0.0, 1.0), s))
    t = np.clip(t, 0.0, 1.0)
    s = np.where(pe, s, np.clip(-c / sa, 0.0, 1.0))
    t = np.where(pe, t, 0.0)
    s = np.where(pa, s, 0.0)
    t = np.where(pa, t, np.where(pe, np.clip(f / se, 0.0, 1.0), 0.0))
    ca, cb = p0 + d1 * s[:, None], q0 + d2 * t[:, None]
    return np.linalg.norm(ca - cb, axis=1), ca, cb


def densify(points: np.ndarray, step: float) -> np.ndarray:
    """The polyline ``points`` (K, 3) with every segment split into pieces no longer than ``step`` (mm)."""
    p = np.asarray(points, dtype=float)
    if len(p) < 2:
        return p
    n = np.maximum(np.ceil(np.linalg.norm(np.diff(p, axis=0), axis=1) / step).astype(int), 1)
    seg = np.repeat(np.arange(len(n)), n)
    t = (np.arange(len(seg)) - np.repeat(np.cumsum(n) - n, n)) / n[seg]
    return np.vstack([p[seg] + t[:, None] * (p[seg + 1] - p[seg]), p[-1:]])


@dataclass(frozen=True)
class PolylineGap:
    """Closest approach of two polylines: centre-line distance (mm, inf when there is no pair), their indices and
    the closest points."""

    distance: float
    line_a: int
    line_b: int
    point_a: np.ndarray
    point_b: np.ndarray


class _Chunks:
    """Segments of some polylines, grouped in runs of ``CHUNK`` with a bounding sphere each."""

    def __init__(self, lines: Sequence[np.ndarray]):
        p0, p1, line, start, length = [], [], [], [], []
        s = 0
        for k, pts in enumerate(lines):
            pts = np.asarray(pts, dtype=float)
            if len(pts) == 1:
                pts = np.vstack([pts, pts])
            n = len(pts) - 1
            p0.append(pts[:-1])
            p1.append(pts[1:])
            line.append(np.full(n, k))
            first = np.arange(0, n, CHUNK)
            start.append(s + first)
            length.append(np.minimum(CHUNK, n - first))
            s += n
        self.p0, self.p1, self.line = np.vstack(p0), np.vstack(p1), np.concatenate(line)
        self.start, self.length = np.concatenate(start), np.concatenate(length)
        lo = np.minimum.reduceat(np.minimum(self.p0, self.p1), self.start, axis=0)
        hi = np.maximum.reduceat(np.maximum(self.p0, self.p1), self.start, axis=0)
        self.centre = (lo + hi) / 2
        cid = np.repeat(np.arange(len(self.start)), self.length)
        far = np.maximum(np.linalg.norm(self.p0 - self.centre[cid], axis=1),
                         np.linalg.norm(self.p1 - self.centre[cid], axis=1))
        self.radius = np.maximum.reduceat(far, self.start)
        self.chunk_line = self.line[self.start]

    def segments(self, chunks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, CHUNK) segment indices of ``chunks`` and their validity mask."""
        k = np.arange(CHUNK)
        return self.start[chunks][:, None] + k, k < self.length[chunks][:, None]


def polyline_gap(lines_a: Sequence[np.ndarray], lines_b: Sequence[np.ndarray] | None = None,
                 reach: float = 0.05, batch: int = 4096) -> PolylineGap:
    """Smallest centre-line distance (mm) between two different polylines of ``lines_a`` (``lines_b`` None) or
    between one of ``lines_a`` and one of ``lines_b``, exact segment to segment.

    Broad phase: runs of ``CHUNK`` segments bounded by spheres, paired through a k-d tree of their centres within
    ``reach`` (mm) plus the sphere radii, ``reach`` doubling until some pair is found. Candidate chunk pairs are
    refined segment by segment in the order of their lower bound until no remaining pair can beat the best.
    """
    a = _Chunks(lines_a)
    same = lines_b is None
    b = a if same else _Chunks(lines_b)
    ta = cKDTree(a.centre)
    tb = ta if same else cKDTree(b.centre)
    grow = float(a.radius.max() + b.radius.max())
    pts = np.vstack([a.centre, b.centre])
    extent = float(np.linalg.norm(np.ptp(pts, axis=0))) + 2 * grow
    r = reach
    while True:
        if same:
            pairs = ta.query_pairs(r + grow, output_type="ndarray")
            i, j = pairs[:, 0], pairs[:, 1]
            keep = a.chunk_line[i] != a.chunk_line[j]
        else:
            m = ta.sparse_distance_matrix(tb, r + grow, output_type="ndarray")
            i, j = m["i"], m["j"]
            keep = np.ones(len(i), dtype=bool)
        lb = np.linalg.norm(a.centre[i] - b.centre[j], axis=1) - a.radius[i] - b.radius[j]
        keep &= lb <= r
        if keep.any() or r > extent:
            break
        r *= 2
    i, j, lb = i[keep], j[keep], lb[keep]
    best = PolylineGap(math.inf, -1, -1, np.full(3, np.nan), np.full(3, np.nan))
    order = np.argsort(lb, kind="stable")
    for lo in range(0, len(order), batch):
        sel = order[lo:lo + batch]
        if lb[sel[0]] > best.distance:
            break
        sa, ma = a.segments(i[sel])
        sb, mb = b.segments(j[sel])
        ia = np.broadcast_to(sa[:, :, None], (len(sel), CHUNK, CHUNK))
        ib = np.broadcast_to(sb[:, None, :], (len(sel), CHUNK, CHUNK))
        ok = ma[:, :, None] & mb[:, None, :]
        ia, ib = ia[ok], ib[ok]
        d, ca, cb = segment_distance(a.p0[ia], a.p1[ia], b.p0[ib], b.p1[ib])
        k = int(np.argmin(d))
        if d[k] < best.distance:
            best = PolylineGap(float(d[k]), int(a.line[ia[k]]), int(b.line[ib[k]]), ca[k], cb[k])
    return best
