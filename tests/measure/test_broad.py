"""The broad phase (geometry.measure.broad): box pairs against a dense overlap test."""

from __future__ import annotations

import numpy as np

from geometry.measure.broad import box_pairs


def test_broad_phase_matches_dense_overlap_test():
    rng = np.random.default_rng(3)
    lo = rng.uniform(0, 10, (400, 3))
    hi = lo + np.exp(rng.uniform(np.log(0.01), np.log(8.0), (400, 3)))
    i, j = box_pairs(lo, hi)
    dense = np.all((lo[:, None] < hi[None]) & (lo[None] < hi[:, None]), axis=2)
    expected = {(a, b) for a, b in zip(*np.nonzero(np.triu(dense, 1)), strict=True)}
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == expected
    pts = rng.uniform(0, 10, (300, 3))
    pi, bj = box_pairs(pts, pts, lo, hi, strict=False)
    inside = np.all((lo[None] <= pts[:, None]) & (pts[:, None] <= hi[None]), axis=2)
    assert set(zip(pi.tolist(), bj.tolist(), strict=True)) == set(zip(*np.nonzero(inside), strict=True))
