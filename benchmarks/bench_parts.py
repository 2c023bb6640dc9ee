"""Time the flow steps, each check and the STEP write of a recipe, with the peak memory after each (issue 13: one
solid per physical part must keep the build, checks and STEP at about their former cost).

Usage: python benchmarks/bench_parts.py [--root DIR] [RECIPE ...]   (default: fc-basic, fc-bga15-map, fc-production)
Run by hand; prints a table: recipe, step/phase, seconds (wall clock on this machine), CPU seconds of the process
(``time.process_time``: on a shared machine the steadier figure), peak RSS MB (``resource.getrusage`` ru_maxrss of
the process so far). Each recipe runs in a fresh process. ``--root DIR`` measures the pkgcad tree at DIR instead of
this one (e.g. main, for a before/after table under the same load).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
NAMES = ("fc-basic", "fc-bga15-map", "fc-production")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(recipe: Path) -> list[tuple[str, float, float, float]]:
    from geometry import api
    from geometry.output.step import write_step

    rows: list[tuple[str, float, float, float]] = []

    def now() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def since(label: str, t: tuple[float, float]) -> None:
        wall, cpu = now()
        rows.append((label, wall - t[0], cpu - t[1], _peak_mb()))

    design = api.load(recipe)
    flow = api.FLOWS[design.flow]
    start = now()
    clock: list = [start, None]

    def before(step) -> None:
        if clock[1] is not None:
            since(f"step {clock[1]}", clock[0])
        clock[:] = [now(), step.key]

    build = flow.run(design, before_step=before)
    since(f"step {clock[1]}", clock[0])
    since("flow", start)
    t = now()
    failed = []
    for fn in flow.checks:
        c = now()
        failed += [r.name for r in fn(build) if not r.passed]
        since(f"check {fn.__name__}", c)
    since("checks", t)
    with tempfile.TemporaryDirectory() as tmp:
        t = now()
        write_step(build.stack, design.name, Path(tmp) / "p.step")
        since("STEP", t)
    since("flow + checks + STEP", start)
    counts = ", ".join(f"{b.name} {b.count}" for b in build.stack if b.count > 1 or "encapsulant" in b.name)
    print(f"# {design.name}: {sum(b.count for b in build.stack)} solids; {counts}; failed: {failed or 'none'}",
          file=sys.stderr)
    return rows


def main(argv: list[str]) -> None:
    root = HERE
    if argv[:1] == ["--root"]:
        root, argv = Path(argv[1]).resolve(), argv[2:]
    if argv[:1] == ["--one"]:
        sys.path.insert(0, str(root))  # that tree's geometry, not an installed one
        for label, wall, cpu, mb in bench(Path(argv[1])):
            print(f"{label}\t{wall:.3f}\t{cpu:.3f}\t{mb:.0f}")
        return
    recipes = [Path(a).resolve() for a in argv] or [root / f"builds/flip-chip/{n}.toml" for n in NAMES]
    print(f"# tree: {root}")
    print(f"{'recipe':<16} {'step/phase':<40} {'seconds':>9} {'cpu s':>9} {'peak RSS MB':>12}")
    for r in recipes:
        out = subprocess.run([sys.executable, __file__, "--root", str(root), "--one", str(r)], check=True,
                             capture_output=True, text=True, cwd=root)
        sys.stderr.write(out.stderr)
        for line in out.stdout.splitlines():
            label, wall, cpu, mb = line.split("\t")
            print(f"{r.stem:<16} {label:<40} {float(wall):>9.2f} {float(cpu):>9.2f} {float(mb):>12.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
