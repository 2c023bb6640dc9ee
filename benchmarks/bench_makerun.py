"""Peak memory of ``make run``'s build step (issue 15): ``pkgcad build --report RECIPES -o OUT`` of every recipe
under builds/flip-chip and builds/cavity (the Makefile's order), in a child process of a given tree, with per
design the CPU s (user + system) it took, the peak RSS during it and the RSS left after it (once the command's
``release_memory`` ran), and the whole run's peak RSS.

Usage: python benchmarks/bench_makerun.py [--tree TREE] [RECIPE ...]  (default tree: this checkout). The child
wraps ``geometry.commands.release_memory`` (called after each design) to read ``/proc/self/status`` and resets
the peak (``/proc/self/clear_refs``), so it needs Linux. Run by hand; prints a table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["fc-basic", "fc-bga15-map", "fc-csv-balls", "fc-exposed", "fc-heat-sink", "fc-polished", "fc-production",
         "fc-stagger", "fc-two-chip"]
CAVITY = ["cavity-bga23", "cavity-equal", "cavity-over", "cavity-production", "cavity-smaller"]
DEFAULTS = [f"builds/flip-chip/{n}.toml" for n in ORDER] + [f"builds/cavity/{n}.toml" for n in CAVITY]

CHILD = r"""
import os, resource, sys
from geometry import cli, commands

def status():
    d = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(d["VmRSS"].split()[0]) / 1024, int(d["VmHWM"].split()[0]) / 1024

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

names = [os.path.basename(p)[:-5] for p in sys.argv[1:] if p.endswith(".toml")]
real, state = commands.release_memory, {"t": cpu(), "i": 0, "peak": 0.0}

def measured():
    _, hwm = status()
    real()
    now, _ = status()
    t = cpu()
    state["peak"] = max(state["peak"], hwm)
    print(f"ROW {names[state['i']]} {t - state['t']:.1f} {hwm:.0f} {now:.0f}", file=sys.stderr, flush=True)
    state["t"], state["i"] = t, state["i"] + 1
    open("/proc/self/clear_refs", "w").write("5")

commands.release_memory = measured
start = status()[0]
code = cli.main(sys.argv[1:])
print(f"END {start:.0f} {max(state['peak'], status()[1]):.0f} {cpu():.1f} {code}", file=sys.stderr, flush=True)
"""


def main(argv: list[str]) -> None:
    tree = ROOT
    if "--tree" in argv:
        i = argv.index("--tree")
        tree = Path(argv[i + 1]).resolve()
        argv = argv[:i] + argv[i + 2:]
    recipes = [str(ROOT / r) for r in (argv or DEFAULTS)]
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        res = subprocess.run([sys.executable, "-c", CHILD, "build", "-q", "--report", *recipes, "-o", out],
                             check=False, cwd=tree, env=env, capture_output=True, text=True)
    print(f"{'design':20s} {'CPU s':>7s} {'peak MB':>8s} {'after MB':>9s}")
    for line in res.stderr.splitlines():
        if line.startswith("ROW "):
            _, name, t, peak, after = line.split()
            print(f"{name:20s} {float(t):7.1f} {float(peak):8.0f} {float(after):9.0f}")
        elif line.startswith("END "):
            _, start, peak, total, code = line.split()
            print(f"start {start} MB, peak {peak} MB, CPU {total} s, exit {code}")


if __name__ == "__main__":
    main(sys.argv[1:])
