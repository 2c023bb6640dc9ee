"""The resource budget's estimate (geometry/flows/budget.py) against real builds: for each recipe given (default:
every recipe under builds/), the estimated members, prototypes, triangles and output bytes beside what the build
made (members and prototypes of the finished stack, triangles of the default STL/GLB mesh, bytes of the STEP, STL
and GLB written), with build time and peak memory. Run: python benchmarks/budget_calibration.py [recipe.toml ...]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from geometry import api
from geometry.commands import recipe_paths
from geometry.flows.budget import estimate


def measure(path: Path) -> tuple[str, tuple, tuple, float, float]:
    design = api.load(path)
    est = estimate(design)
    t = time.perf_counter()
    build = api.run(design)
    results = api.check(build)
    with tempfile.TemporaryDirectory() as tmp:
        folder = api.export(build, results, tmp)
        files = [folder / f"{design.name}.{ext}" for ext in ("step", "stl", "glb")]
        size = sum(f.stat().st_size for f in files if f.exists())
        import json
        tri = json.loads((folder / "manifest.json").read_text())["mesh"]["triangles"]
    seconds = time.perf_counter() - t
    stack = build.stack
    members = sum(b.count for b in stack)
    protos = sum(len(b.parts) for b in stack)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return design.name, (est.members, est.prototypes, est.triangles, est.output_bytes), \
        (members, protos, tri, size), seconds, peak


def main(argv: list[str]) -> None:
    paths = recipe_paths(argv or ["builds"])
    print(f"{'design':<18} {'members est/built':>19} {'protos est/built':>17} {'triangles est/built':>23} "
          f"{'MB est/written':>15} {'s':>6} {'peak MB':>8}")
    for p in paths:
        name, e, a, s, peak = measure(p)
        print(f"{name:<18} {e[0]:>9,}/{a[0]:<9,} {e[1]:>8,}/{a[1]:<8,} {e[2]:>11,}/{a[2]:<11,} "
              f"{e[3] / 1e6:>7.1f}/{a[3] / 1e6:<7.1f} {s:>6.1f} {peak:>8.0f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
