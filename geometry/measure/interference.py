"""The interference engine: every overlap between bodies, or members of one body, in arrays of tens of thousands.

A broad phase on member bounding boxes (k-d trees per size class), then exact OCCT booleans computed once per
distinct geometric situation (prototype pair and relative placement), or, where a big shape meets many members at
distinct offsets, a few region booleans that prove the members clear in bulk (see :class:`_Regions`). Overlap
volumes come from :func:`occ.common_volume`, the uncleaned boolean: the cleaned :func:`occ.common` can corrupt
sphere-sphere intersections. Volumes in mm3.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ..core import occ
from ..core.stack import Stack
from .broad import box_pairs
from .members import Members


class Interference(NamedTuple):
    """Overlap between two bodies (or two members of one body): the volume of the worst member pair (mm3)."""

    body_a: str
    body_b: str
    overlap_mm3: float
    where: str


FEW_KEYS = 4
"""A body pair with more distinct situations than this is first tried with one region boolean."""


MAX_KEYS = 32
"""A body pair with more distinct geometric situations than this is proved clear by region booleans instead."""


LEAF_PAIRS = 8
"""Region refinement stops at this many candidate pairs and computes them exactly."""


MAX_REGION_OPS = 256
"""Booleans per body pair for region refinement. Past it, refinement stops if an overlap has been found (the
verdict is settled; the rest is reported as not measured), else remaining nodes go whole into multi-tool commons."""


MAX_ATTRIBUTED = 64
"""Past this many overlaps found by region refinement, overlapping leaves are reported whole, not pair by pair."""


REGION_SIDE = 8
"""A region test intersects a box with at most this many members of one side (compounds of curved solids are
slow in OCCT: 50 solder balls against a box take about 2 s)."""


def _relative_keys(m: Members, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canonical situation key per pair (prototype pair, inv(A) @ B rounded to 1e-6); pairs of one prototype are
    oriented so that (a, b) and (b, a) share a key. Returns the possibly swapped i, j and the keys."""
    pa, pb = m.placement[i], m.placement[j]

    def rel(pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
        rt = np.transpose(pa[:, :3, :3], (0, 2, 1))
        r = rt @ pb[:, :3, :3]
        t = np.einsum("nij,nj->ni", rt, pb[:, :3, 3] - pa[:, :3, 3])
        return np.rint(np.concatenate([r.reshape(-1, 9), t], axis=1) * 1e6).astype(np.int64)

    fwd, back = rel(pa, pb), rel(pb, pa)
    same = m.part[i] == m.part[j]
    diff = back - fwd
    nz = diff != 0
    first = np.argmax(nz, axis=1)
    swap = same & nz.any(axis=1) & (diff[np.arange(len(i)), first] < 0)
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    key = np.where(swap[:, None], back, fwd)
    return i, j, np.column_stack([m.part[i], m.part[j], key])


def _row_ids(rows: np.ndarray) -> np.ndarray:
    """Dense id of every integer row, equal rows sharing one: a fast ``np.unique(rows, axis=0,
    return_inverse=True)[1]`` (one 1-D unique per column instead of a sort of row records)."""
    ids = np.zeros(len(rows), dtype=np.int64)
    for col in rows.T:
        _, inv = np.unique(col, return_inverse=True)
        _, ids = np.unique(ids * (int(inv.max()) + 1) + inv, return_inverse=True)
    return ids.ravel()


def _colour(i: np.ndarray, j: np.ndarray) -> dict[int, int]:
    """Greedy colouring of the candidate graph: members of one colour are never candidates of each other."""
    nbrs: dict[int, list[int]] = {}
    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        nbrs.setdefault(a, []).append(b)
        nbrs.setdefault(b, []).append(a)
    colour: dict[int, int] = {}
    for n in sorted(nbrs):
        used = {colour[x] for x in nbrs[n] if x in colour}
        colour[n] = next(c for c in range(len(used) + 1) if c not in used)
    return colour


class _Regions:
    """Proves candidate pairs between two disjoint member sets clear with few region booleans.

    A node holds pairs (a, b). If the members on one side have no material inside the box where both sides'
    bounds meet (one boolean of that side with the box), no pair of the node can overlap. Otherwise the pairs
    are split at the median along the widest axis, down to leaves of ``LEAF_PAIRS`` computed exactly (one
    multi-tool common, then pair by pair when it finds an overlap). This replaces a minimum-distance test of the
    big shape against a compound of its candidates, which OCCT takes 47 s to do for a mold against 10,000 bumps;
    the box boolean takes 3 ms.
    """

    def __init__(self, m: Members, tol: float):
        self.m, self.tol, self.ops, self.reported = m, tol, 0, 0
        self.lo, self.hi = m.bounds[:, :3], m.bounds[:, 3:]

    def _material_in(self, side: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
        self.ops += 1
        shape = occ.compound([self.m.placed(k) for k in side])
        return occ.common_volume(shape, [occ.box(*lo, *hi)])

    def _box(self, a: np.ndarray, b: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray] | None:
        """Where the bounds of member sets ``a`` and ``b`` meet, shrunk by ``eps``; None when they do not."""
        lo = np.maximum(self.lo[a].min(axis=0), self.lo[b].min(axis=0)) + eps
        hi = np.minimum(self.hi[a].max(axis=0), self.hi[b].max(axis=0)) - eps
        return None if np.any(hi <= lo) else (lo, hi)

    def clear(self, i: np.ndarray, j: np.ndarray, eps: float) -> bool:
        """True when one region boolean proves all pairs (i, j) clear: the smaller side (at most ``REGION_SIDE``
        members) has no material where the two sides' bounds meet."""
        a, b = np.unique(i), np.unique(j)
        if len(np.intersect1d(a, b)):
            return False
        box = self._box(a, b, eps)
        side = min(a, b, key=len)
        return box is None or (len(side) <= REGION_SIDE and self._material_in(side, *box) <= self.tol)

    def run(self, i: np.ndarray, j: np.ndarray, eps: float) -> tuple[list[tuple[float, str]], int]:
        """Overlaps (volume mm3, where) among the pairs (i, j), and how many candidate pairs were left unmeasured:
        once the boolean budget is spent and an overlap has been found the verdict is settled, so refinement
        stops; without an overlap it goes on until every pair is proved clear or measured."""
        found: list[tuple[float, str]] = []
        todo = [(i, j)]
        while todo:
            if found and self.ops >= MAX_REGION_OPS:
                return found, sum(len(p) for p, _ in todo)
            pi, pj = todo.pop()
            a, b = np.unique(pi), np.unique(pj)
            box = self._box(a, b, eps)
            if box is None:
                continue
            lo, hi = box
            budget_left = self.ops < MAX_REGION_OPS
            if budget_left:
                clear = False
                for side in sorted((a, b), key=len):
                    if len(side) <= REGION_SIDE and self._material_in(side, lo, hi) <= self.tol:
                        clear = True
                        break
                if clear:
                    continue
            if len(pi) <= LEAF_PAIRS or not budget_left:
                found.extend(self._leaf(pi, pj, a, b))
                continue
            mid = (np.maximum(self.lo[pi], self.lo[pj]) + np.minimum(self.hi[pi], self.hi[pj])) / 2
            axis = int(np.argmax(np.ptp(mid, axis=0)))
            order = np.argsort(mid[:, axis], kind="stable")
            h = len(order) // 2
            todo.append((pi[order[:h]], pj[order[:h]]))
            todo.append((pi[order[h:]], pj[order[h:]]))
        return found, 0

    def _leaf(self, pi: np.ndarray, pj: np.ndarray, a: np.ndarray, b: np.ndarray) -> list[tuple[float, str]]:
        self.ops += 1
        m = self.m
        v = occ.common_volume(occ.compound([m.placed(k) for k in a]), [m.placed(k) for k in b])
        if v <= self.tol:
            return []
        if len(pi) > LEAF_PAIRS or self.reported >= MAX_ATTRIBUTED:
            self.reported += 1
            return [(v, f"{m.label(pi[0])} & {m.label(pj[0])} (combined over {len(pi)} candidate pairs)")]
        out = []
        for x, y in zip(pi, pj, strict=True):
            vx = occ.common_volume(m.placed(x), [m.placed(y)])
            if vx > self.tol:
                out.append((vx, f"{m.label(x)} & {m.label(y)}"))
        self.reported += len(out)
        return out


def interferences(stack: Stack, tol_volume: float = 1e-9, eps: float = 1e-6,
                  ignore: Iterable[tuple[str, str]] = ()) -> list[Interference]:
    """Every overlap between two bodies, or two members of one body, larger than ``tol_volume`` (mm3).

    Designed contacts (shared faces) have zero overlap volume and pass. Member bounds are shrunk by ``eps`` (mm)
    so face contacts drop out of the broad phase; overlaps thinner than ``eps`` count as contact. ``ignore``
    lists body-name pairs whose overlap is designed. Results are sorted by volume, largest first; each names the
    first member pair and how many pairs share the same situation.
    """
    m = Members.of(stack.bodies)
    skip = {frozenset(p) for p in ignore}
    lo, hi = m.bounds[:, :3] + eps, m.bounds[:, 3:] - eps
    alive = np.flatnonzero(np.all(hi > lo, axis=1))
    i, j = box_pairs(lo[alive], hi[alive])
    i, j = alive[i], alive[j]
    if skip:
        keep = np.array([frozenset((m.names[m.body[x]], m.names[m.body[y]])) not in skip
                         for x, y in zip(i, j, strict=True)], dtype=bool)
        i, j = i[keep], j[keep]
    if len(i) == 0:
        return []
    i, j, keys = _relative_keys(m, i, j)
    ba, bb = np.minimum(m.body[i], m.body[j]), np.maximum(m.body[i], m.body[j])
    key_id = _row_ids(keys)
    code = ba * len(m.names) + bb
    order = np.argsort(code, kind="stable")
    cuts = np.flatnonzero(np.diff(code[order])) + 1
    found: list[Interference] = []
    for sel in np.split(order, cuts):
        pair = (ba[sel[0]], bb[sel[0]])
        na, nb = m.names[pair[0]], m.names[pair[1]]
        si, sj = i[sel], j[sel]
        regions = _Regions(m, tol_volume)
        kid = key_id[sel]
        first = np.unique(kid, return_index=True)[1]
        if len(first) > FEW_KEYS and regions.clear(si, sj, eps):
            continue
        if len(first) <= MAX_KEYS:
            for f in first:
                x, y = si[f], sj[f]
                rel = np.linalg.inv(m.placement[x]) @ m.placement[y]
                v = occ.common_volume(m.shapes[m.part[x]], [m.shapes[m.part[y]].moved(occ.location(rel))])
                if v > tol_volume:
                    n = int(np.count_nonzero(kid == kid[f]))
                    more = f" (+{n - 1} pairs alike)" if n > 1 else ""
                    found.append(Interference(na, nb, v, f"{m.label(x)} & {m.label(y)}{more}"))
            continue
        if pair[0] != pair[1]:
            flip = m.body[si] != pair[0]
            si, sj = np.where(flip, sj, si), np.where(flip, si, sj)
            batches = [(si, sj)]
        else:
            colour = _colour(si, sj)
            ci = np.array([colour[x] for x in si.tolist()])
            cj = np.array([colour[x] for x in sj.tolist()])
            flip = ci > cj
            si, sj = np.where(flip, sj, si), np.where(flip, si, sj)
            ci, cj = np.minimum(ci, cj), np.maximum(ci, cj)
            batches = [(si[(ci == u) & (cj == w)], sj[(ci == u) & (cj == w)])
                       for u, w in np.unique(np.column_stack([ci, cj]), axis=0)]
        pair_found, unmeasured = [], 0
        for bi, bj in batches:
            got, left = regions.run(bi, bj, eps)
            pair_found.extend(got)
            unmeasured += left
        pair_found.sort(key=lambda f: -f[0])
        if unmeasured:
            v, w = pair_found[0]
            pair_found[0] = (v, f"{w}; {unmeasured} more candidate pairs not measured")
        found.extend(Interference(na, nb, v, w) for v, w in pair_found)
    return sorted(found, key=lambda f: -f.overlap_mm3)
