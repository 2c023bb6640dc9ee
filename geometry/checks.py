"""Verification of a built package against its claims, measured from the geometry (mm, mm2, mm3).

Every check returns :class:`CheckResult` values: what was measured, the limit, the claim it verifies, and where
the worst member sits. The generic checks take body names and numbers, so any flow can reuse them; each flow
registers the list it needs in :data:`CHECKS`, and :func:`run_checks` dispatches on ``build.flow``.

The interference engine (:func:`interferences`) scales to arrays of tens of thousands of members: a broad phase on
member bounding boxes (k-d trees per size class), then exact OCCT booleans computed once per distinct geometric
situation (prototype pair and relative placement), or, where a big shape meets many members at distinct offsets,
a few region booleans that prove the members clear in bulk (see :class:`_Regions`). Overlap volumes come from
:func:`occ.common_volume`, the uncleaned boolean: the cleaned :func:`occ.common` can corrupt sphere-sphere
intersections.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple

import cadquery as cq
import numpy as np
from scipy.spatial import ConvexHull, QhullError, cKDTree

from . import occ
from .stack import Body, Instances, Stack

__all__ = [
    "CHECKS",
    "CheckResult",
    "Interference",
    "ball_coplanarity",
    "chip_back",
    "coplanarity_limit",
    "ends_exposed",
    "flat_end_coplanarity",
    "heat_sink",
    "interferences",
    "no_interference",
    "pads_on_ends",
    "register",
    "run_checks",
    "seating_heights",
    "valid_solids",
]

Z_TOL = 1e-6
"""Tolerance on heights and flushness (mm)."""


@dataclass(frozen=True)
class CheckResult:
    """One measured requirement. ``value`` and ``limit`` are in ``unit``; ``where`` names the worst member."""

    name: str
    claim: str
    value: float
    limit: float
    unit: str
    passed: bool
    where: str = ""
    detail: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["value"], d["limit"], d["passed"] = float(self.value), float(self.limit), bool(self.passed)
        return d


# ---------------------------------------------------------------------------------------------------------------
# Members: every placed solid of a stack, flattened


@dataclass(frozen=True, eq=False)
class _Members:
    """All members of some bodies as flat arrays; ``part`` indexes ``shapes`` (one prototype per part)."""

    names: tuple[str, ...]
    counts: tuple[int, ...]
    shapes: tuple[cq.Shape, ...]
    body: np.ndarray
    part: np.ndarray
    index: np.ndarray
    placement: np.ndarray
    bounds: np.ndarray

    @classmethod
    def of(cls, bodies: Sequence[Body]) -> _Members:
        shapes, body, part, index, placement, bounds = [], [], [], [], [], []
        for bi, b in enumerate(bodies):
            k = 0
            for p in b.parts:
                shapes.append(p.shape)
                body.append(np.full(p.count, bi))
                part.append(np.full(p.count, len(shapes) - 1))
                index.append(np.arange(k, k + p.count))
                placement.append(p.placements)
                bounds.append(p.bounds())
                k += p.count
        return cls(tuple(b.name for b in bodies), tuple(b.count for b in bodies), tuple(shapes),
                   np.concatenate(body), np.concatenate(part), np.concatenate(index),
                   np.concatenate(placement), np.concatenate(bounds))

    def placed(self, i: int) -> cq.Shape:
        return self.shapes[self.part[i]].moved(occ.location(self.placement[i]))

    def label(self, i: int) -> str:
        """``bumps[17] at (0.3, -1.1)``: body, index in the body, centre of its bounds in xy (mm)."""
        b = self.body[i]
        c = (self.bounds[i, :2] + self.bounds[i, 3:5]) / 2
        name = self.names[b] if self.counts[b] == 1 else f"{self.names[b]}[{self.index[i]}]"
        return f"{name} at ({c[0]:.4g}, {c[1]:.4g})"


def _member_label(body: Body, i: int, xy: Sequence[float]) -> str:
    name = body.name if body.count == 1 else f"{body.name}[{i}]"
    return f"{name} at ({xy[0]:.4g}, {xy[1]:.4g})"


# ---------------------------------------------------------------------------------------------------------------
# Broad phase: box pairs through k-d trees on centres, one tree per size class (never dense N x M)


def _size_classes(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres, largest half-extent and power-of-two size class of each box."""
    half = (hi - lo) / 2
    s = half.max(axis=1)
    return (lo + hi) / 2, s, np.floor(np.log2(np.maximum(s, 1e-12))).astype(int)


def _box_pairs(lo_a: np.ndarray, hi_a: np.ndarray, lo_b: np.ndarray | None = None, hi_b: np.ndarray | None = None,
               strict: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) of overlapping boxes: within one set (i < j) when ``lo_b`` is None, else across sets.

    ``strict`` demands a positive overlap on every axis (touching boxes are not paired); otherwise closed boxes
    (points in boxes) are paired. Candidates come from Chebyshev-radius queries between size classes.
    """
    same = lo_b is None
    if same:
        lo_b, hi_b = lo_a, hi_a
    ca, sa, ka = _size_classes(lo_a, hi_a)
    cb, sb, kb = _size_classes(lo_b, hi_b)
    groups_a = {k: np.flatnonzero(ka == k) for k in np.unique(ka)}
    groups_b = groups_a if same else {k: np.flatnonzero(kb == k) for k in np.unique(kb)}
    trees_a = {k: cKDTree(ca[ix]) for k, ix in groups_a.items()}
    trees_b = trees_a if same else {k: cKDTree(cb[ix]) for k, ix in groups_b.items()}
    out_i, out_j = [], []
    for u, iu in groups_a.items():
        for v, iv in groups_b.items():
            if same and v < u:
                continue
            r = (sa[iu].max() + sb[iv].max()) * (1 + 1e-9) + 1e-12
            if same and u == v:
                p = trees_a[u].query_pairs(r, p=np.inf, output_type="ndarray")
                i, j = p[:, 0], p[:, 1]
            else:
                p = trees_a[u].sparse_distance_matrix(trees_b[v], r, p=np.inf, output_type="ndarray")
                i, j = p["i"], p["j"]
            out_i.append(iu[i])
            out_j.append(iv[j])
    if not out_i:
        return np.zeros(0, int), np.zeros(0, int)
    i, j = np.concatenate(out_i), np.concatenate(out_j)
    if strict:
        keep = np.all((lo_a[i] < hi_b[j]) & (lo_b[j] < hi_a[i]), axis=1)
    else:
        keep = np.all((lo_a[i] <= hi_b[j]) & (lo_b[j] <= hi_a[i]), axis=1)
    i, j = i[keep], j[keep]
    if same:
        i, j = np.minimum(i, j), np.maximum(i, j)
    return i, j


# ---------------------------------------------------------------------------------------------------------------
# Interference engine


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


def _relative_keys(m: _Members, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    def __init__(self, m: _Members, tol: float):
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
    m = _Members.of(stack.bodies)
    skip = {frozenset(p) for p in ignore}
    lo, hi = m.bounds[:, :3] + eps, m.bounds[:, 3:] - eps
    alive = np.flatnonzero(np.all(hi > lo, axis=1))
    i, j = _box_pairs(lo[alive], hi[alive])
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


# ---------------------------------------------------------------------------------------------------------------
# Measuring helpers


def _vertical(part: Instances) -> None:
    if not np.allclose(part.placements[:, 2, :3], [0.0, 0.0, 1.0], atol=1e-9):
        raise ValueError("this check needs members whose local z axis is vertical")


def _flat_face(shape: cq.Shape, up: bool) -> tuple[np.ndarray, float] | None:
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


def _flat_ends(body: Body, up: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """World centres (N, 3) and areas (N,) of every member's flat end (top face, or bottom with ``up=False``)."""
    centres, areas = [], []
    for p in body.parts:
        _vertical(p)
        face = _flat_face(p.shape, up)
        if face is None:
            raise ValueError(f"{body.name}: a prototype has no flat {'top' if up else 'bottom'} face")
        c, a = face
        centres.append(np.einsum("nij,j->ni", p.placements, np.append(c, 1.0))[:, :3])
        areas.append(np.full(p.count, a))
    return np.concatenate(centres), np.concatenate(areas)


def _covering_top(body: Body, xy: np.ndarray) -> np.ndarray:
    """For each point (N, 2), the highest top (mm) of ``body``'s members whose xy bounds hold it; -inf if none."""
    b = body.member_bounds()
    pts = np.column_stack([xy, np.zeros(len(xy))])
    lo_b = np.column_stack([b[:, :2], np.zeros(len(b))])
    hi_b = np.column_stack([b[:, 3:5], np.zeros(len(b))])
    i, j = _box_pairs(pts, pts, lo_b, hi_b, strict=False)
    top = np.full(len(xy), -np.inf)
    np.maximum.at(top, i, b[j, 5])
    return top


def _bodies_containing(stack: Stack, points: np.ndarray, names: Iterable[str] | None = None) -> list[list[str]]:
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


# ---------------------------------------------------------------------------------------------------------------
# Generic checks


def flat_end_coplanarity(stack: Stack, ends: str, surface: str, limit: float = 1e-3,
                         claim: str = "") -> CheckResult:
    """Coplanarity (mm) of the flat ends of array ``ends`` with the top of the tiled body ``surface``.

    Each end's height is its prototype's top planar face plus the member placement (B-rep); the surface top is
    the highest tile top. Value: the largest deviation of any end or tile top from that plane.
    """
    body, cover = stack[ends], stack[surface]
    centres, _ = _flat_ends(body)
    tops = cover.member_bounds()[:, 5]
    ref = float(tops.max())
    dev_e, dev_t = np.abs(centres[:, 2] - ref), np.abs(tops - ref)
    if dev_e.max() >= dev_t.max():
        k = int(np.argmax(dev_e))
        where = _member_label(body, k, centres[k])
    else:
        k = int(np.argmax(dev_t))
        b = cover.member_bounds()[k]
        where = _member_label(cover, k, (b[:2] + b[3:5]) / 2)
    value = float(max(dev_e.max(), dev_t.max()))
    return CheckResult(f"{ends}_end_coplanarity", claim, value, limit, "mm", value <= limit,
                       where if value > limit else "",
                       f"{surface} top at z = {ref:.6g} mm; {len(centres)} ends between z = "
                       f"{centres[:, 2].min():.6g} and {centres[:, 2].max():.6g} mm")


def ends_exposed(stack: Stack, ends: str, cover: str, design_area: float | Callable[[np.ndarray], np.ndarray],
                 tol: float = Z_TOL, area_rtol: float = 1e-3, claim: str = "") -> CheckResult:
    """Every flat end of array ``ends`` is exposed through body ``cover`` with its designed area (mm2).

    ``design_area`` is one area for every end, or a function of the ends' world centres (N, 3) giving each its
    own (members of several sizes). An end is exposed when no member of ``cover`` over it rises above it (by more
    than ``tol`` mm). Its area is the B-rep area of the prototype's top face. Value: the worst relative area error,
    an unexposed end counting as 1 (no exposed area); a design area of zero fails the end.
    """
    body = stack[ends]
    centres, areas = _flat_ends(body)
    want = np.broadcast_to(design_area(centres) if callable(design_area) else design_area, areas.shape)
    covered = _covering_top(stack[cover], centres[:, :2]) > centres[:, 2] + tol
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(covered | (want <= 0), 1.0, np.abs(areas - want) / np.where(want > 0, want, 1.0))
    k = int(np.argmax(err))
    value = float(err[k])
    return CheckResult(f"{ends}_ends_exposed", claim, value, area_rtol, "relative", value <= area_rtol,
                       _member_label(body, k, centres[k]) if value > area_rtol else "",
                       f"{int(covered.sum())} of {len(centres)} ends covered by {cover}; end area "
                       f"{areas.min():.6g}..{areas.max():.6g} mm2, designed {want.min():.6g}..{want.max():.6g} mm2")


def pads_on_ends(stack: Stack, pads: str, ends: str, tol: float = Z_TOL, claim: str = "") -> CheckResult:
    """Each member of ``pads`` lands on exactly one flat end of ``ends``, and no end carries two pads.

    In xy the pad's bottom-face centre must lie within exactly one end disc (radius from the end face's area);
    in z the pad bottom must equal that end's height within ``tol`` (mm). Value: the number of failing pads.
    """
    pb, eb = stack[pads], stack[ends]
    pc, _ = _flat_ends(pb, up=False)
    ec, ea = _flat_ends(eb)
    radius = np.sqrt(ea / math.pi)
    hits = cKDTree(pc[:, :2]).sparse_distance_matrix(cKDTree(ec[:, :2]), float(radius.max()) * (1 + 1e-9),
                                                     output_type="ndarray")
    hits = hits[hits["v"] <= radius[hits["j"]] * (1 + 1e-9)]
    n_ends = np.bincount(hits["i"], minlength=len(pc))
    n_pads = np.bincount(hits["j"], minlength=len(ec))
    end_of = np.full(len(pc), -1)
    end_of[hits["i"]] = hits["j"]
    dz = np.where(end_of >= 0, np.abs(pc[:, 2] - ec[end_of, 2]), np.inf)
    bad = (n_ends != 1) | (dz > tol) | ((end_of >= 0) & (n_pads[end_of] > 1))
    where = ""
    if bad.any():
        k = int(np.argmax(bad))
        why = (f"on {n_ends[k]} ends" if n_ends[k] != 1 else
               f"shares {ends}[{end_of[k]}]" if n_pads[end_of[k]] > 1 else f"bottom {dz[k]:.3g} mm off the end")
        where = f"{_member_label(pb, k, pc[k])}: {why}"
    return CheckResult(f"{pads}_on_{ends}", claim, float(bad.sum()), 0.0, "pads", not bad.any(), where,
                       f"{len(pc)} pads, {len(ec)} ends")


def no_interference(stack: Stack, tol_volume: float = 1e-9, claim: str = "",
                    ignore: Iterable[tuple[str, str]] = ()) -> CheckResult:
    """No two bodies, and no two members of one body, overlap beyond ``tol_volume``. Value: worst overlap (mm3)."""
    found = interferences(stack, tol_volume, ignore=ignore)
    worst = found[0] if found else None
    detail = "; ".join(f"{f.body_a}/{f.body_b} {f.overlap_mm3:.3g} mm3" for f in found[:5])
    return CheckResult("no_interference", claim, worst.overlap_mm3 if worst else 0.0, tol_volume, "mm3",
                       worst is None, worst.where if worst else "",
                       f"{len(found)} overlapping situations: {detail}" if found else "")


def _probe_points(b: np.ndarray, dz: float, inset: float = 1e-3) -> np.ndarray:
    """Centre and four inset corners of the box ``b`` in xy, at ``dz`` above its top (mm)."""
    x0, y0, x1, y1 = b[0] + inset, b[1] + inset, b[3] - inset, b[4] - inset
    z = b[5] + dz
    return np.array([[(x0 + x1) / 2, (y0 + y1) / 2, z], [x0, y0, z], [x1, y0, z], [x0, y1, z], [x1, y1, z]])


def chip_back(stack: Stack, chip: str, mold: str, mode: str, min_cover: float = 0.0, claim: str = "",
              dz: float = 1e-4) -> CheckResult:
    """The chip back is covered by the mold (``mode="encapsulated"``) or flush and bare (``"exposed"``).

    Encapsulated: points ``dz`` mm above the chip back (centre and corners) are inside ``mold``; value: mold top
    minus chip top (mm), limit ``min_cover``. Exposed: the mold top is flush with the chip back and those points
    are inside no body; value: the height difference (mm).
    """
    cb, mb = stack[chip].bounds(), stack[mold].bounds()
    cover = float(mb[5] - cb[5])
    points = _probe_points(cb, dz)
    if mode == "encapsulated":
        outside = [p for p, n in zip(points, _bodies_containing(stack, points, [mold]), strict=True) if not n]
        where = f"({outside[0][0]:.4g}, {outside[0][1]:.4g}) above {chip} not in {mold}" if outside else ""
        ok = cover >= min_cover - 1e-9 and not outside
        return CheckResult("chip_back_encapsulated", claim, cover, min_cover, "mm", ok, where,
                           f"{mold} top z = {mb[5]:.6g}, {chip} back z = {cb[5]:.6g} mm")
    if mode != "exposed":
        raise ValueError(f"chip back mode {mode!r} must be 'encapsulated' or 'exposed'")
    hits = [(p, n) for p, n in zip(points, _bodies_containing(stack, points), strict=True) if n]
    flush = abs(cover)
    where = f"({hits[0][0][0]:.4g}, {hits[0][0][1]:.4g}) above {chip} is inside {', '.join(hits[0][1])}" if hits else ""
    return CheckResult("chip_back_exposed", claim, flush, Z_TOL, "mm", flush <= Z_TOL and not hits, where,
                       f"{mold} top z = {mb[5]:.6g}, {chip} back z = {cb[5]:.6g} mm")


def heat_sink(stack: Stack, sink: str, mold: str, chip: str, min_clearance: float,
              claim: str = "") -> list[CheckResult]:
    """The heat sink lies inside the mold and clear of the chip.

    ``heat_sink_encapsulated``: value is the mold cover over the sink (mm, must be > 0), with the sink's bounds
    inside the mold footprint and a point just above the sink's top centre inside the mold.
    ``heat_sink_clearance``: exact minimum distance sink to chip (mm), limit ``min_clearance``.
    """
    sb, mb = stack[sink].bounds(), stack[mold].bounds()
    cover = float(mb[5] - sb[5])
    inside_xy = bool(np.all(sb[:2] >= mb[:2] - Z_TOL) and np.all(sb[3:5] <= mb[3:5] + Z_TOL))
    probe = [(sb[0] + sb[3]) / 2, (sb[1] + sb[4]) / 2, sb[5] + min(1e-4, max(cover, 0.0) / 2)]
    wrapped = bool(_bodies_containing(stack, [probe], [mold])[0])
    faults = {"top not below the mold top": cover <= 0, "outside the mold footprint": not inside_xy,
              "top not covered by the mold": not wrapped}
    why = ", ".join(k for k, bad in faults.items() if bad)
    enc = CheckResult("heat_sink_encapsulated", claim, cover, 0.0, "mm", not why, f"{sink}: {why}" if why else "",
                      f"{sink} top z = {sb[5]:.6g}, {mold} top z = {mb[5]:.6g} mm")
    gap = occ.min_distance(occ.compound(stack[sink].placed()), occ.compound(stack[chip].placed()))
    clr = CheckResult("heat_sink_clearance", claim, gap, min_clearance, "mm", gap >= min_clearance - 1e-9,
                      "" if gap >= min_clearance - 1e-9 else f"{sink} to {chip}")
    return [enc, clr]


def seating_heights(apexes: np.ndarray) -> np.ndarray:
    """Height (mm) of each apex (N, 3) above the seating plane; coplanarity is the largest.

    The seating plane is the plane the package rests on: the facet of the apexes' lower convex hull that lies
    under their centroid. Apexes all on one plane (or fewer than three) give zeros; a single row of balls is
    seated on its lower hull in the row's vertical plane.
    """
    p = np.asarray(apexes, dtype=float)
    n = len(p)
    if n < 3:
        return np.zeros(n)
    c = p.mean(axis=0)
    q = p - c
    _, sv, vt = np.linalg.svd(q, full_matrices=False)
    if sv[-1] / math.sqrt(n) <= 1e-9:
        normal = vt[-1]
        if abs(normal[2]) > 1e-6:
            return np.zeros(n)
        u = np.cross(normal, [0.0, 0.0, 1.0])
        pts = np.column_stack([q @ (u / np.linalg.norm(u)), q[:, 2]])
        return _lower_hull_heights(pts, np.zeros(1))
    return _lower_hull_heights(q, np.zeros(2))


def _lower_hull_heights(pts: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Heights above the lower hull facet under ``centre`` (horizontal coordinates); pts: (N, d), last = z."""
    try:
        hull = ConvexHull(pts)
    except QhullError:
        return np.zeros(len(pts))
    d = pts.shape[1]
    best, best_gap = None, np.inf
    for simplex, eq in zip(hull.simplices, hull.equations, strict=True):
        if eq[d - 1] >= -1e-12:
            continue
        v = pts[simplex, : d - 1]
        if d == 2:
            gap = max(min(v[:, 0]) - centre[0], centre[0] - max(v[:, 0]), 0.0)
        else:
            t = np.column_stack([v[1] - v[0], v[2] - v[0]])
            if abs(np.linalg.det(t)) < 1e-18:
                continue
            w = np.linalg.solve(t, centre - v[0])
            gap = max(-w[0], -w[1], w[0] + w[1] - 1, 0.0)
        if gap < best_gap:
            best, best_gap = eq, gap
            if gap == 0.0:
                break
    if best is None:
        return np.zeros(len(pts))
    h = -(pts @ best[:d] + best[d])
    return np.maximum(h, 0.0)


def coplanarity_limit(pitch: float) -> float:
    """Ball coplanarity limit (mm) by ball pitch (mm), JEDEC-style BGA table (cf. JEDEC JEP95 design guides):
    pitch >= 1.0: 0.15; >= 0.8: 0.12; finer: 0.08. Check the package outline drawing for a specific part."""
    if pitch >= 1.0 - 1e-9:
        return 0.15
    if pitch >= 0.8 - 1e-9:
        return 0.12
    return 0.08


def ball_coplanarity(stack: Stack, balls: str, pitch: float | None = None, limit: float | None = None,
                     claim: str = "") -> CheckResult:
    """JEDEC coplanarity (mm) of array ``balls``: the largest apex height above the seating plane.

    Apexes are each prototype's lowest B-rep point plus the member placement. ``limit`` defaults to
    :func:`coplanarity_limit` of ``pitch`` (default: the measured nearest-neighbour apex spacing).
    """
    body = stack[balls]
    apex = []
    for p in body.parts:
        rot = np.rint(p.placements[:, :3, :3].reshape(-1, 9) * 1e9).astype(np.int64)
        out = np.empty((p.count, 3))
        for r in np.unique(rot, axis=0):
            sel = np.flatnonzero(np.all(rot == r, axis=1))
            rm = np.eye(4)
            rm[:3, :3] = p.placements[sel[0], :3, :3]
            low = occ.lowest_point(p.shape.moved(occ.location(rm)))
            out[sel] = low + p.placements[sel, :3, 3]
        apex.append(out)
    apex = np.concatenate(apex)
    if pitch is None:
        pitch = float(cKDTree(apex[:, :2]).query(apex[:, :2], k=2)[0][:, 1].min()) if len(apex) > 1 else 1.0
    if limit is None:
        limit = coplanarity_limit(pitch)
    h = seating_heights(apex)
    k = int(np.argmax(h))
    value = float(h[k])
    return CheckResult(f"{balls}_coplanarity", claim, value, limit, "mm", value <= limit,
                       _member_label(body, k, apex[k]) if value > limit else "",
                       f"{len(apex)} apexes, pitch {pitch:g} mm, lowest apex z = {apex[:, 2].min():.6g} mm")


def _solid_problem(shape: cq.Shape) -> str:
    """Empty when ``shape`` is a valid closed solid with positive volume, else what is wrong."""
    if not shape.Solids():
        return "not a solid"
    if not occ.is_valid(shape):
        return "invalid B-rep"
    if not occ.is_closed(shape):
        return "open shell"
    if occ.volume(shape) <= 0:
        return "no volume"
    return ""


def valid_solids(stack: Stack, names: Iterable[str] | None = None, claim: str = "") -> CheckResult:
    """Every prototype of the named bodies (default all) is a valid solid (OCCT's BRepCheck), its shells closed,
    with positive volume. Value: the number of bad prototypes."""
    bad = []
    total = 0
    for body in stack.bodies if names is None else [stack[n] for n in names]:
        for k, part in enumerate(body.parts):
            total += 1
            problem = _solid_problem(part.shape)
            if problem:
                bad.append(f"{body.name} part {k}: {problem}")
    return CheckResult("valid_solids", claim, float(len(bad)), 0.0, "prototypes", not bad, bad[0] if bad else "",
                       f"{total} prototypes checked" + (f"; {'; '.join(bad[:5])}" if bad else ""))


# ---------------------------------------------------------------------------------------------------------------
# Registry

FlowCheck = Callable[[object], list[CheckResult]]
CHECKS: dict[str, list[FlowCheck]] = {}
"""The checks of each flow, by flow name, in report order."""


def register(flow: str) -> Callable[[FlowCheck], FlowCheck]:
    """Decorator adding a ``build -> list[CheckResult]`` function to ``flow``'s checks."""

    def add(fn: FlowCheck) -> FlowCheck:
        CHECKS.setdefault(flow, []).append(fn)
        return fn

    return add


def run_checks(build) -> list[CheckResult]:
    """Run every check registered for ``build.flow`` on the finished package."""
    if build.flow not in CHECKS:
        raise KeyError(f"no checks registered for flow {build.flow!r}; flows: {', '.join(CHECKS)}")
    return [r for fn in CHECKS[build.flow] for r in fn(build)]


# ---------------------------------------------------------------------------------------------------------------
# Flip-chip (claims of 000_9630dddb18a83760.txt)

FC = "flip-chip"


def _step3(d) -> str:
    return "claim 1, step 3)" + ("; claim 4" if d.first_encapsulant.polish else "")


@register(FC)
def fc_bump_end_coplanarity(build) -> list[CheckResult]:
    """Claim 1 step 3 (claim 4 when polished): bump ends coplanar with the first encapsulant's top, 1 um."""
    return [flat_end_coplanarity(build.stack, "bumps", "first_encapsulant", 1e-3, _step3(build.design))]


@register(FC)
def fc_bump_ends_exposed(build) -> list[CheckResult]:
    """Claim 1 step 3: every bump end exposed with its designed flat area (each bump's own, when heights spread)."""
    d = build.design
    tree = cKDTree(d.bump_sites)
    heights = d.bump_heights()
    top = d.z_first_top - d.z_bump_base

    def area(centres: np.ndarray) -> np.ndarray:
        h = heights[tree.query(centres[:, :2])[1]]
        r = np.array([d.bumps.end_radius(min(top, hi), hi) for hi in h])
        return math.pi * r * r

    return [ends_exposed(build.stack, "bumps", "first_encapsulant", area, claim=_step3(d))]


@register(FC)
def fc_chip_pads_on_bump_ends(build) -> list[CheckResult]:
    """Claim 1 step 4, claim 5: each chip pad on exactly one bump end."""
    return [pads_on_ends(build.stack, "chip_pads", "bumps", claim="claim 1, step 4); claim 5")]


@register(FC)
def fc_no_interference(build) -> list[CheckResult]:
    """Claim 1: no two bodies or members overlap."""
    return [no_interference(build.stack, claim="claim 1")]


@register(FC)
def fc_chip_back(build) -> list[CheckResult]:
    """Claim 6 (chip back encapsulated) or claim 7 (chip back exposed, flush with the mold top)."""
    se = build.design.second_encapsulant
    claim = "claim 6" if se.chip_back == "encapsulated" else "claim 7"
    return [chip_back(build.stack, "chip", "second_encapsulant", se.chip_back, se.min_cover, claim)]


@register(FC)
def fc_heat_sink(build) -> list[CheckResult]:
    """Claim 8, when the package has a heat sink: encapsulated and clear of the chip."""
    if "heat_sink" not in build.stack:
        return []
    return heat_sink(build.stack, "heat_sink", "second_encapsulant", "chip",
                     build.design.heat_sink.min_clearance, "claim 8")


@register(FC)
def fc_ball_coplanarity(build) -> list[CheckResult]:
    """Claim 1 step 6: solder-ball coplanarity against the JEDEC-style limit for the ball pitch."""
    return [ball_coplanarity(build.stack, "solder_balls", build.design.solder_balls.pitch,
                             claim="claim 1, step 6)")]


@register(FC)
def fc_valid_solids(build) -> list[CheckResult]:
    """Every body: valid, closed solids."""
    return [valid_solids(build.stack, claim="claim 1")]
from . import checks_cavity, checks_claims  # noqa: F401  register the cavity and claim-level checks
