"""CPU time, peak memory and mesh convergence of the 3D thermal solve (issue 17): build, box model and the three
JEDEC solves (theta_jc, theta_jb, theta_ja) per recipe and per mesh level, each (recipe, level) in a fresh
process so that its memory figure is its own.

Usage: python benchmarks/bench_thermal.py [--levels MESH:REFINE,...] [RECIPE ...]
(default: fc-basic as the mid-size design, then fc-production and cavity-production, at the default mesh;
``--levels 0.5:1,0.25:1,0.25:2`` runs each recipe at those levels: package element edge cap MESH mm, every
interval cut REFINE times more finely, and prints each figure's change from the previous level; where a level
doubles the previous one's refine at the same mesh, also Richardson's extrapolation of each figure with its
two-grid error band, :mod:`geometry.thermal.convergence`)
Run by hand; prints a table: CPU seconds (user + system of the process, the figure that counts on a shared
machine) of the build and of the three solves, nodes of each solve, the figures, and peak resident memory
(ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from geometry.thermal.convergence import richardson

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "builds/flip-chip/fc-basic.toml", ROOT / "builds/flip-chip/fc-production.toml",
           ROOT / "builds/cavity/cavity-production.toml"]
FIGURES = ("theta_jc", "theta_jb", "theta_ja")


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def bench(recipe: Path, mesh: float | None, refine: int) -> dict:
    from geometry import api
    from geometry.sweep.thermal import box_model
    from geometry.thermal.jedec import Settings, figures

    t0 = cpu()
    build = api.run(api.load(recipe), budget=None)
    t1 = cpu()
    model = box_model(build)
    t2 = cpu()
    s = Settings(refine=refine) if mesh is None else Settings(mesh=mesh, refine=refine)
    f = figures(model, s)
    t3 = cpu()
    return {"recipe": recipe.stem, "mesh": s.mesh, "refine": refine, "build_s": t1 - t0, "model_s": t2 - t1,
            "solve_s": t3 - t2, "nodes": {k: v.info.nodes for k, v in f.solutions.items()},
            **{k: getattr(f, k) for k in FIGURES}, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def levels(text: str | None) -> list[tuple[float | None, int]]:
    """``MESH:REFINE,...`` as (mesh mm, refine) pairs; None: the default mesh, refine 1."""
    if not text:
        return [(None, 1)]
    out = []
    for item in text.split(","):
        mesh, _, refine = item.partition(":")
        out.append((float(mesh), int(refine or 1)))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--levels", default=None, help="MESH:REFINE,... (default: the default mesh)")
    p.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("recipes", nargs="*", type=Path, default=DEFAULT)
    a = p.parse_args()
    if a.one:
        mesh = None if a.one[0] == "default" else float(a.one[0])
        print(json.dumps(bench(a.recipes[0], mesh, int(a.one[1]))))
        return
    print(f"{'recipe':20} {'mesh':>5} {'ref':>3} {'build s':>7} {'solve s':>7} {'nodes jc/jb/ja':>24} {'jc':>7} "
          f"{'jb':>7} {'ja':>7} {'change jc/jb/ja %':>18} {'MB':>6}  (CPU s, K/W, peak RSS)")
    for r in a.recipes:
        previous = None
        for mesh, refine in levels(a.levels):
            w = time.perf_counter()
            out = subprocess.run([sys.executable, __file__, "--one", "default" if mesh is None else str(mesh),
                                  str(refine), str(r)], check=False, capture_output=True, text=True, cwd=ROOT)
            if out.returncode:
                print(f"{r.stem:20} failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            d = json.loads(out.stdout.strip().splitlines()[-1])
            n = "/".join(str(d["nodes"][k]) for k in ("jc", "jb", "ja"))
            change = "" if previous is None else "/".join(
                f"{100 * (d[k] - previous[k]) / d[k]:+.1f}" for k in FIGURES)
            print(f"{d['recipe']:20} {d['mesh']:5.3g} {d['refine']:3d} {d['build_s']:7.1f} {d['solve_s']:7.1f} "
                  f"{n:>24} {d['theta_jc']:7.4g} {d['theta_jb']:7.4g} {d['theta_ja']:7.4g} {change:>18} "
                  f"{d['rss_mb']:6.0f}  (wall {time.perf_counter() - w:.0f} s)", flush=True)
            if previous is not None and previous["mesh"] == d["mesh"] and d["refine"] == 2 * previous["refine"]:
                est = [richardson(previous[k], d[k]) for k in FIGURES]
                print(f"{'':20} extrapolated jc/jb/ja: " + ", ".join(
                    f"{e.extrapolated:.4g} +/- {e.error:.2g} ({100 * e.relative_error:.1f} %)" for e in est))
            previous = d


if __name__ == "__main__":
    main()
