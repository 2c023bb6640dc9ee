"""Time the conformal stack (`pkgcad build --conformal`'s modelling) and `pkgcad mesh` of recipes, with peak memory.

Usage: python benchmarks/bench_mesh.py [--size-max MM] [--curvature N] [--order 1|2] [RECIPE ...]
(default: fc-basic, cavity-smaller, cavity-equal; the mesh defaults of MeshOptions: size 0.5 mm, curvature 14 per
2 pi, 10-node tetrahedra; `--order 1 --curvature 40` for 4-node ones)
Run by hand; prints a table. Wall-clock seconds on this machine (gmsh on one thread, its default), the mesh's CPU seconds (all
threads; on shared cores the honest figure), its stages (fragment, surfaces, volumes) and peak resident memory
(ru_maxrss, MiB), the elements straightened, whether the 3D mesh was retried on one thread, and the worst body's
volume error against its conformal solid (%, the elements' exact volumes; every body's on the line below); each
recipe runs in a fresh process, so its memory figure is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "builds/flip-chip/fc-basic.toml", ROOT / "builds/cavity/cavity-smaller.toml",
           ROOT / "builds/cavity/cavity-equal.toml"]


def bench(recipe: Path, size_max: float, curvature: int, order: int) -> dict:
    from geometry import api
    from geometry.output.volume_mesh import MeshOptions, write_volume_mesh

    build = api.run(api.load(recipe))
    t0 = time.perf_counter()
    stack = api.conformal(build)
    t1 = time.perf_counter()
    peak_conformal = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c1 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        s = write_volume_mesh(stack, Path(tmp) / "package.msh", MeshOptions(size_max=size_max, curvature=curvature,
                                                                          order=order), progress=False)
    t2 = time.perf_counter()
    errors = {b.name: 100 * (s["volumes_mm3"][b.name] - b.volume()) / b.volume() for b in stack}
    worst = max(errors, key=lambda k: abs(errors[k]))
    return {"recipe": recipe.stem, "conformal_s": t1 - t0, "conformal_MiB": peak_conformal, "mesh_s": t2 - t1,
            "mesh_cpu_s": time.process_time() - c1, "stages": s["seconds"],
            "peak_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "tets": s["tetrahedra"],
            "straightened": s["straightened"], "retried": s["retried"], "worst": worst, "worst_pct": errors[worst],
            "errors": errors}


def main() -> None:
    sys.path.insert(0, str(ROOT))  # this checkout's MeshOptions, as the runs below
    from geometry.output.volume_mesh import MeshOptions

    ap = argparse.ArgumentParser()
    ap.add_argument("recipes", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--size-max", type=float, default=MeshOptions.size_max)
    ap.add_argument("--curvature", type=int, default=MeshOptions.curvature)
    ap.add_argument("--order", type=int, default=MeshOptions.order)
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(bench(a.recipes[0], a.size_max, a.curvature, a.order)))
        return
    print(f"size_max {a.size_max} mm, curvature {a.curvature}, order {a.order}")
    print(f"{'recipe':<20} {'conformal s':>12} {'MiB':>7} {'mesh s':>8} {'cpu s':>7} {'fragment':>9} {'2D':>6} "
          f"{'3D':>6} {'peak MiB':>9} {'tets':>10} {'straight':>9} {'retried':>8} {'worst body':>20} {'err %':>7}")
    for r in a.recipes:
        out = subprocess.run([sys.executable, __file__, "--one", "--size-max", str(a.size_max), "--curvature",
                              str(a.curvature), "--order", str(a.order), str(r)], check=False, capture_output=True, text=True, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})  # this checkout's geometry, not the installed one
        if out.returncode:
            print(f"{r.stem:<20} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        d = json.loads(out.stdout.strip().splitlines()[-1])
        st = d["stages"]
        print(f"{d['recipe']:<20} {d['conformal_s']:12.1f} {d['conformal_MiB']:7.0f} {d['mesh_s']:8.1f} "
              f"{d['mesh_cpu_s']:7.1f} {st['fragment']:9.1f} {st['surfaces']:6.1f} {st['volumes']:6.1f} "
              f"{d['peak_MiB']:9.0f} {d['tets']:10d} {d['straightened']:9d} {d['retried']:8d} {d['worst']:>20} "
              f"{d['worst_pct']:+7.3f}",
              flush=True)
        print("  per body, volume error %: " + ", ".join(f"{k} {v:+.3f}" for k, v in d["errors"].items()), flush=True)


if __name__ == "__main__":
    main()
