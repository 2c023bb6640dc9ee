"""The design folder written with its STEP in a forked child (geometry.output.background) against all of it in one
process: the wall seconds of the flow and checks, then wall and CPU seconds (the process and its children) of
``api.export`` (STEP, tessellation, STL,
GLB, HTML, manifest, and the report as ``pkgcad build --report`` writes it) after a build and its checks, the two ways alternating ``--repeat`` times, each in a fresh
process (a build caches what it measures, so a second export in the same process costs less).

Usage: python benchmarks/bench_background.py [--designs fc-production,cavity-production,fc-100k] [--repeat 2]
       [--no-report] [--fuses 289,625 | '']
The loop-of-fuses baseline of bench_build (each ball fused into the substrate one by one, then STEP) is timed
after, in its own process (wall s, its imports included), to compare the whole build with.
Run by hand on an otherwise idle machine (the forked way needs a second free core to gain); prints a table.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_build import design_for


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def child(name: str, way: str, report: bool) -> None:
    i0 = time.perf_counter()
    import importlib

    from geometry import api
    from geometry.output import background

    for module in ("geometry.output.design", "geometry.output.report"):  # what a build with report imports
        importlib.import_module(module)
    imports = time.perf_counter() - i0

    if way == "one":
        background.cores = lambda: 1
    design, _ = design_for(name)
    w0 = time.perf_counter()
    build = api.run(design, budget=None)
    results = api.check(build)
    with tempfile.TemporaryDirectory() as tmp:
        w, c = time.perf_counter(), cpu()
        api.export(build, results, tmp, beside=lambda folder, meshes: api.report(build, results, tmp, meshes,
                                                                                 folder=folder) if report else None)
        end = time.perf_counter()
        print(f"{name:<20}{way:<10}{'yes' if report else 'no':<8}{imports:>9.2f}{w - w0:>14.2f}{end - w:>10.2f}"
              f"{cpu() - c:>8.2f}{end - w0 + imports:>9.2f}", flush=True)


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--designs", default="fc-production,cavity-production,fc-100k")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-report", action="store_true", help="without the report (pictures, Markdown, HTML)")
    ap.add_argument("--fuses", default="289", help="balls of the loop-of-fuses baselines, comma separated ('' none)")
    ap.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child, not args.no_report)
        return
    print(f"{'design':<20}{'way':<10}{'report':<8}{'imports':>9}{'flow+checks':>14}{'export':>10}{'CPU':>8}"
          f"{'whole':>9}   (wall s; CPU: the export's CPU s, its child included)", flush=True)
    for name in args.designs.split(","):
        for _ in range(args.repeat):
            for way in ("forked", "one"):
                subprocess.run([sys.executable, __file__, "--child", name, way,
                                *(["--no-report"] if args.no_report else [])], check=True)
    for n in filter(None, args.fuses.split(",")):
        w = time.perf_counter()
        subprocess.run([sys.executable, str(HERE / "bench_build.py"), "--fuses-child", n], check=True,
                       capture_output=True)
        print(f"loop-of-fuses {n} balls (bench_build.child_fuses, one process): {time.perf_counter() - w:.2f} s wall")


if __name__ == "__main__":
    main(sys.argv[1:])
