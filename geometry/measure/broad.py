"""Broad phase: index pairs of overlapping axis-aligned boxes through k-d trees on their centres, one tree per size
class, never a dense N x M comparison (mm)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def size_classes(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres, largest half-extent and power-of-two size class of each box."""
    half = (hi - lo) / 2
    s = half.max(axis=1)
    return (lo + hi) / 2, s, np.floor(np.log2(np.maximum(s, 1e-12))).astype(int)


def box_pairs(lo_a: np.ndarray, hi_a: np.ndarray, lo_b: np.ndarray | None = None, hi_b: np.ndarray | None = None,
               strict: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) of overlapping boxes: within one set (i < j) when ``lo_b`` is None, else across sets.

    ``strict`` demands a positive overlap on every axis (touching boxes are not paired); otherwise closed boxes
    (points in boxes) are paired. Candidates come from Chebyshev-radius queries between size classes.
    """
    same = lo_b is None
    if same:
        lo_b, hi_b = lo_a, hi_a
    ca, sa, ka = size_classes(lo_a, hi_a)
    cb, sb, kb = size_classes(lo_b, hi_b)
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
