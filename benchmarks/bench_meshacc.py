"""Mesh accuracy of the STL/GLB meshes: per recipe the triangles, binary STL size, mesh time and the worst
per-body volume error of :func:`geometry.output.mesh.stack_mesh` at its default quality.

Usage: python benchmarks/bench_meshacc.py [--tolerance MM] [RECIPE ...]
(default: fc-basic, cavity-production, fc-production at the default, budgeted quality)
Run by hand; prints a table. Times are wall-clock seconds on this machine; the STL size is 84 + 50 bytes per
triangle (binary STL); volume errors are (mesh - solid) / solid per body, in %.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT = [ROOT / "builds/flip-chip/fc-basic.toml", ROOT / "builds/cavity/cavity-production.toml",
           ROOT / "builds/flip-chip/fc-production.toml"]


def bench(recipe: Path, tolerance: float | None = None) -> dict:
    from geometry import api
    from geometry.output.mesh import stack_mesh

    build = api.run(api.load(recipe))
    t = time.perf_counter()
    meshes = stack_mesh(build.stack, tolerance=tolerance)
    seconds = time.perf_counter() - t
    errors = {b.name: 100.0 * (meshes[b.name].volume - b.volume()) / b.volume() for b in build.stack}
    worst = max(errors, key=lambda k: abs(errors[k]))
    triangles = sum(len(m.faces) for m in meshes.values())
    return {"recipe": build.design.name + (f" @{tolerance:g}" if tolerance else ""), "triangles": triangles, "stl_mb": (84 + 50 * triangles) / 1e6,
            "seconds": seconds, "worst": worst, "worst_pct": errors[worst], "errors": errors,
            "per_body": {k: len(m.faces) for k, m in meshes.items()}}


def main(argv: list[str]) -> None:
    tolerance = None
    if argv[:1] == ["--tolerance"]:
        tolerance, argv = float(argv[1]), argv[2:]
    rows = [bench(Path(p), tolerance) for p in (argv or DEFAULT)]
    for r in rows:
        print(f"\n{r['recipe']}: per body triangles / volume error %")
        for k, n in r["per_body"].items():
            print(f"  {k:28s} {n:>10,d} {r['errors'][k]:+8.3f}")
    print(f"\n{'recipe':22s} {'triangles':>11s} {'STL MB':>8s} {'mesh s':>7s} {'worst body':>24s} {'error %':>8s}")
    for r in rows:
        print(f"{r['recipe']:22s} {r['triangles']:>11,d} {r['stl_mb']:>8.1f} {r['seconds']:>7.1f} "
              f"{r['worst']:>24s} {r['worst_pct']:>+8.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
