"""Sweep expansion cost against --limit on a 200 x 999 = 199,800-variant grid of the small flip-chip design, and
the expression bounds on hostile filters: seconds and peak traced memory (tracemalloc) per case.

Usage: python benchmarks/bench_sweep_expand.py [--limits 1 10 1000 10000]

The expansion is lazy (geometry/sweep/expand.py): the first N variants cost N design points, whatever the grid,
so every limit row should scale with N, not with the 199,800 of the grid. Target: --limit 1 well under 2 s.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AXES = {"bumps.pitch": {"start": 0.01, "stop": 0.209, "count": 200},
        "chip.thickness": {"start": 0.2, "stop": 0.4, "count": 999}}
HOSTILE = ["((((10**64)**64)**64)**64)**64 > 0", "round(1, -10**9) == 0", "'ab' * 10**9 == ''", "1+" * 100_000 + "1",
           "-" * 50_000 + "1", "+".join(["1"] * 150)]


def measure(fn) -> tuple[float, float, str]:
    tracemalloc.start()
    t = time.perf_counter()
    try:
        out = fn()
    except Exception as e:  # noqa: BLE001 - a refusal is the expected outcome of the hostile rows
        out = f"{type(e).__name__}: {str(e)[:60]}"
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return elapsed, peak, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limits", type=int, nargs="+", default=[1, 10, 1000, 10000])
    args = ap.parse_args()
    from geometry import sweep
    from geometry.core.expr import Expression
    from tests.conftest import spec_dict

    spec = sweep.parse_spec(spec_dict(axes=AXES, tolerances={}))
    print(f"{'case':<44} {'s':>8} {'peak MB':>8}  result")
    for n in args.limits:
        s, mb, plan = measure(lambda n=n: sweep.expand(spec, n))
        print(f"{f'expand 199,800-grid --limit {n}':<44} {s:8.3f} {mb:8.1f}  {len(plan.variants)} variants, "
              f"{plan.examined} points examined")
    for text in HOSTILE:
        s, mb, out = measure(lambda text=text: Expression(text, "filter")(lambda name: 0))
        label = text if len(text) <= 40 else f"{text[:28]}... ({len(text)} ch)"
        print(f"{label:<44} {s:8.4f} {mb:8.1f}  {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
