"""Time a recipe end to end (load, flow, checks, STEP, STL, GLB, HTML viewer, PNG picture) and report peak memory.

Usage: python benchmarks/bench_build.py [RECIPE ...]   (default: both production-scale recipes)
Run by hand; prints a table. Figures are wall-clock seconds on this machine and peak resident memory (ru_maxrss).
Each recipe runs in a fresh process, so its memory figure is its own.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "builds/flip-chip/fc-production.toml", ROOT / "builds/cavity/cavity-production.toml"]


def bench(recipe: Path) -> list[tuple[str, float]]:
    t0 = time.perf_counter()
    from geometry import api
    from geometry.output.design import write_html
    from geometry.output.files import write_bytes
    from geometry.output.meshfiles import write_glb, write_stl
    from geometry.output.picture import picture_png
    from geometry.output.step import write_step

    rows = [("import", time.perf_counter() - t0)]

    def timed(label, fn, *args):
        t = time.perf_counter()
        out = fn(*args)
        rows.append((label, time.perf_counter() - t))
        return out

    design = timed("load recipe", api.load, recipe)
    build = timed("flow", api.run, design)
    results = timed("checks", api.check, build)
    failed = [c.name for c in results if not c.passed]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        timed("STEP", write_step, build.stack, design.name, out / "p.step")
        core_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        timed("STL", write_stl, build.stack, out / "p.stl")
        timed("GLB", write_glb, build.stack, out / "p.glb")
        timed("HTML viewer", write_html, build.stack, design.name, out / "p.html")
        timed("PNG picture", lambda: write_bytes(out / "p.png", picture_png(build.stack)))
        sizes = {p.suffix: p.stat().st_size / 1e6 for p in out.iterdir()}
    core = sum(s for k, s in rows if k in {"flow", "checks", "STEP"})
    rows.append(("flow + checks + STEP", core))
    rows.append(("peak MB to STEP", core_peak))
    rows.append(("peak MB with meshes", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    print(f"\n{design.name}: {sum(b.count for b in build.stack)} solids in {len(build.stack)} bodies; "
          f"checks failed: {failed or 'none'}; sizes MB: " + ", ".join(f"{k} {v:.1f}" for k, v in sizes.items()))
    return rows


def main(argv: list[str]) -> None:
    recipes = [Path(a) for a in argv] or DEFAULT
    if len(recipes) > 1:
        for recipe in recipes:
            subprocess.run([sys.executable, __file__, str(recipe)], check=True)
        return
    rows = bench(recipes[0])
    print(f"{'stage':<22}{'value':>10}")
    for label, v in rows:
        print(f"{label:<22}{v:>10.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
