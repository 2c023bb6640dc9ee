"""Check-only sweep throughput on a mid-size flip-chip design, for 1 and 2 local worker processes.

Usage: python benchmarks/bench_sweep.py [--variants N] [--workers 1 2 ...]

The design: 17 x 17 mm substrate, 40 x 40 = 1,600 bumps at 0.2 mm, 16 x 16 = 256 balls at 1.0 mm, 6,919 solids;
the sweep varies the mold cap thickness over N values (every variant valid and distinct, nothing cached) and keeps
check results, margins, volumes and masses; no export. Each worker count runs in a fresh process with an empty
output folder, so worker start-up (the fork server importing CadQuery) is included in the wall-clock figure;
the steady rate counts from the first finished variant to the last. Target: at least 60 variants per minute with
2 workers on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MID = {
    "name": "mid",
    "flow": "flip-chip",
    "description": "mid-size flip-chip: 1,600 bumps, 256 balls",
    "substrate": {"width": 17.0, "length": 17.0, "thickness": 0.56},
    "chip_area": {"width": 10.0, "length": 10.0},
    "bumps": {"pitch": 0.2, "count_x": 40, "count_y": 40, "diameter": 0.12, "height": 0.09},
    "chip": {"width": 8.4, "length": 8.4, "thickness": 0.4},
    "second_encapsulant": {"cap_thickness": 0.8},
    "solder_balls": {"pitch": 1.0, "count_x": 16, "count_y": 16},
}
TARGET_2_WORKERS = 60.0


def spec(n: int):
    from geometry import sweep

    return sweep.parse_spec({
        "name": "bench-mid",
        "base": MID,
        "axes": {"second_encapsulant.cap_thickness": {"start": 0.6, "stop": 1.2, "count": n}},
        "keep": {"checks": True, "bodies": True, "step": "none"},
    })


def one(workers: int, n: int) -> dict:
    """Run the sweep once in this process; returns the figures."""
    from geometry import sweep

    stamps: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        result = sweep.run_sweep(spec(n), tmp, workers=workers, progress=False, plots=False,
                                 on_row=lambda row: stamps.append(time.monotonic()))
        wall = time.monotonic() - t0
    jobs = [r["elapsed_s"] for r in result.rows]
    steady = 60 * (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else float("nan")
    return {"workers": workers, "variants": len(result.rows), "status": result.status, "wall_s": wall,
            "per_min_wall": 60 * len(result.rows) / wall, "per_min_steady": steady,
            "first_row_s": stamps[0] - t0 if stamps else float("nan"), "job_median_s": statistics.median(jobs),
            "passed": sum(1 for r in result.rows if r["passed"] is True)}


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=40)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:
        print(json.dumps(one(args.one, args.variants)))
        return
    rows = []
    for w in args.workers:
        out = subprocess.run([sys.executable, __file__, "--one", str(w), "--variants", str(args.variants)],
                             check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"check-only sweep of {args.variants} variants of a mid-size flip-chip design (1,600 bumps, 256 balls), "
          "local worker processes, no export")
    head = ("workers", "variants", "ok", "wall s", "first row s", "job median s", "variants/min (wall)",
            "variants/min (steady)")
    table = [head] + [(str(r["workers"]), str(r["variants"]), str(r["status"]["ok"]), f"{r['wall_s']:.1f}",
                       f"{r['first_row_s']:.1f}", f"{r['job_median_s']:.2f}", f"{r['per_min_wall']:.1f}",
                       f"{r['per_min_steady']:.1f}") for r in rows]
    widths = [max(len(t[i]) for t in table) for i in range(len(head))]
    for t in table:
        print("  ".join(v.rjust(w) for v, w in zip(t, widths, strict=True)))
    two = [r for r in rows if r["workers"] == 2]
    if two:
        verdict = "met" if two[0]["per_min_wall"] >= TARGET_2_WORKERS else "NOT met"
        print(f"target: >= {TARGET_2_WORKERS:g} variants/min with 2 workers (wall clock, start-up included): {verdict}")


if __name__ == "__main__":
    main(sys.argv[1:])
