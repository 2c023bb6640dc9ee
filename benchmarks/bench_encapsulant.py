"""CPU seconds per build phase of one recipe (default ``fc-production``, whose first encapsulant is one holed
solid of about 30,000 faces): import, load, flow, checks, manifest, STEP, tessellation, STL, GLB, HTML viewer.

Usage: python benchmarks/bench_encapsulant.py [RECIPE] [--profile PHASE] [--no-copies] [--no-instances]
Run by hand (from the repository root, ``PYTHONPATH=.``); prints a table of CPU time (user + system of this
process, ``time.process_time``: the machine is shared, so wall time is not trusted) and the peak resident memory
after each phase. ``--profile PHASE`` also prints the 25 most expensive functions of that phase (cProfile).
``--no-copies`` writes the STEP with OCCT's transfer of every face (``write_step(..., copies=False)``) instead of the
located hole copies as text (the default); ``--no-instances`` writes every assembly component through OCCT's
transfer (``write_step(..., instances=False)``) instead of the components of array bodies as text (the default).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "builds/flip-chip/fc-production.toml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("recipe", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--profile", default=None, help="phase to profile")
    ap.add_argument("--no-copies", action="store_true", help="STEP without the copies written as text")
    ap.add_argument("--no-instances", action="store_true", help="STEP without the components written as text")
    args = ap.parse_args()
    rows: list[tuple[str, float, float]] = []

    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def timed(label, fn, *a, **k):
        prof = cProfile.Profile() if args.profile == label else None
        t = time.process_time()
        if prof:
            prof.enable()
        out = fn(*a, **k)
        if prof:
            prof.disable()
        rows.append((label, time.process_time() - t, peak()))
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return out

    t0 = time.process_time()
    from geometry import api
    from geometry.output.design import write_html
    from geometry.output.instanced import stack_meshes
    from geometry.output.meshfiles import write_glb, write_stl
    from geometry.output.step import write_step

    rows.append(("import", time.process_time() - t0, peak()))
    design = timed("load", api.load, args.recipe)
    build = timed("flow", api.run, design, budget=None)
    results = timed("checks", api.check, build)
    timed("manifest", api.manifest, build, results)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        timed("STEP", write_step, build.stack, design.name, out / "p.step", copies=not args.no_copies,
              instances=not args.no_instances)
        meshes = timed("tessellation", stack_meshes, build.stack)
        timed("STL", write_stl, build.stack, out / "p.stl", meshes=meshes)
        timed("GLB", write_glb, build.stack, out / "p.glb", meshes=meshes)
        timed("HTML", write_html, build.stack, design.name, out / "p.html", meshes=meshes)
        sizes = {p.suffix: p.stat().st_size / 1e6 for p in out.iterdir()}
    failed = [c.name for c in results if not c.passed]
    print(f"\n{design.name}: {sum(b.count for b in build.stack)} members in {len(build.stack)} bodies; checks "
          f"failed: {failed or 'none'}; sizes MB: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(sizes.items())))
    print(f"{'phase':<14}{'CPU s':>8}{'peak MB':>10}")
    for label, s, mb in rows:
        print(f"{label:<14}{s:>8.2f}{mb:>10.0f}")
    print(f"{'total':<14}{sum(s for _, s, _ in rows):>8.2f}")


if __name__ == "__main__":
    main()
