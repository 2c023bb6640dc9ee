"""CPU time and peak memory of the 3D thermal solve (issue 17): build, box model and the three JEDEC solves
(theta_jc, theta_jb, theta_ja) per recipe, each recipe in a fresh process so that its memory figure is its own.

Usage: python benchmarks/bench_thermal.py [--mesh MM] [RECIPE ...]
(default: fc-basic as the mid-size design, then fc-production and cavity-production)
Run by hand; prints a table: CPU seconds (user + system of the process, the figure that counts on a shared
machine), nodes of each solve, the figures, and peak resident memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "builds/flip-chip/fc-basic.toml", ROOT / "builds/flip-chip/fc-production.toml",
           ROOT / "builds/cavity/cavity-production.toml"]


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def bench(recipe: Path, mesh: float) -> dict:
    from geometry import api
    from geometry.sweep.thermal import box_model
    from geometry.thermal.jedec import Settings, figures

    t0 = cpu()
    build = api.run(api.load(recipe), budget=None)
    t1 = cpu()
    model = box_model(build)
    t2 = cpu()
    f = figures(model, Settings(mesh=mesh))
    t3 = cpu()
    return {"recipe": recipe.stem, "build_s": t1 - t0, "model_s": t2 - t1, "solve_s": t3 - t2,
            "nodes": {k: s.info.nodes for k, s in f.solutions.items()},
            "theta_jc": f.theta_jc, "theta_jb": f.theta_jb, "theta_ja": f.theta_ja,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mesh", type=float, default=0.5)
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("recipes", nargs="*", type=Path, default=DEFAULT)
    a = p.parse_args()
    if a.one:
        print(json.dumps(bench(a.recipes[0], a.mesh)))
        return
    print(f"{'recipe':24} {'build s':>8} {'solve s':>8} {'nodes jc/jb/ja':>24} {'jc':>7} {'jb':>7} {'ja':>7} "
          f"{'MB':>6}  (CPU s, K/W, peak RSS)")
    for r in a.recipes:
        w = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--one", "--mesh", str(a.mesh), str(r)], check=False,
                             capture_output=True,
                             text=True, cwd=ROOT)
        if out.returncode:
            print(f"{r.stem:24} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        d = json.loads(out.stdout.strip().splitlines()[-1])
        n = "/".join(str(d["nodes"][k]) for k in ("jc", "jb", "ja"))
        print(f"{d['recipe']:24} {d['build_s']:8.1f} {d['solve_s']:8.1f} {n:>24} {d['theta_jc']:7.3g} "
              f"{d['theta_jb']:7.3g} {d['theta_ja']:7.3g} {d['rss_mb']:6.0f}  (wall {time.perf_counter() - w:.0f} s)")


if __name__ == "__main__":
    main()
