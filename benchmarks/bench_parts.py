"""Time the flow steps, each check and the STEP write of a recipe, with the peak memory after each (issue 13: one
solid per physical part must keep the build, checks and STEP at about their former cost).

Usage: python benchmarks/bench_parts.py [RECIPE ...]   (default: fc-basic, fc-bga15-map, fc-production)
Run by hand; prints a table: recipe, step/phase, seconds (wall clock on this machine), peak RSS MB
(``resource.getrusage`` ru_maxrss of the process so far). Each recipe runs in a fresh process.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this tree's geometry, not an installed one
DEFAULT = [ROOT / f"builds/flip-chip/{n}.toml" for n in ("fc-basic", "fc-bga15-map", "fc-production")]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(recipe: Path) -> list[tuple[str, float, float]]:
    from geometry import api
    from geometry.output.step import write_step

    rows: list[tuple[str, float, float]] = []

    def timed(label, fn, *args):
        t = time.perf_counter()
        out = fn(*args)
        rows.append((label, time.perf_counter() - t, _peak_mb()))
        return out

    design = api.load(recipe)
    flow = api.FLOWS[design.flow]
    t0 = time.perf_counter()
    clock = [t0]

    def before(step) -> None:
        now = time.perf_counter()
        if len(clock) > 1:
            rows.append((f"step {clock[-1]}", now - clock[-2], _peak_mb()))
        clock[-2:] = [now, step.key]

    build = flow.run(design, before_step=before)
    rows.append((f"step {clock[-1]}", time.perf_counter() - clock[-2], _peak_mb()))
    rows.append(("flow", time.perf_counter() - t0, _peak_mb()))
    t1 = time.perf_counter()
    failed = []
    for fn in flow.checks:
        failed += [r.name for r in timed(f"check {fn.__name__}", fn, build) if not r.passed]
    rows.append(("checks", time.perf_counter() - t1, _peak_mb()))
    with tempfile.TemporaryDirectory() as tmp:
        timed("STEP", write_step, build.stack, design.name, Path(tmp) / "p.step")
    rows.append(("flow + checks + STEP", sum(s for k, s, _ in rows if k in {"flow", "checks", "STEP"}), _peak_mb()))
    counts = ", ".join(f"{b.name} {b.count}" for b in build.stack if b.count > 1 or "encapsulant" in b.name)
    print(f"# {design.name}: {sum(b.count for b in build.stack)} solids; {counts}; failed: {failed or 'none'}",
          file=sys.stderr)
    return rows


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--one":
        for label, s, mb in bench(Path(argv[1])):
            print(f"{label}\t{s:.3f}\t{mb:.0f}")
        return
    recipes = [Path(a) for a in argv] or DEFAULT
    print(f"{'recipe':<16} {'step/phase':<44} {'seconds':>9} {'peak RSS MB':>12}")
    for r in recipes:
        out = subprocess.run([sys.executable, __file__, "--one", str(r)], check=True, capture_output=True, text=True,
                             cwd=ROOT)
        sys.stderr.write(out.stderr)
        for line in out.stdout.splitlines():
            label, s, mb = line.split("\t")
            print(f"{r.stem:<16} {label:<44} {float(s):>9.2f} {float(mb):>12.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
