"""What each command imports and what it costs (issue 15), against ``import cadquery`` alone.

Every case runs ``--repeat`` times (default 3) in a fresh interpreter under ``python -X importtime``; the self times
it prints are summed by top-level package. Cases:

``cadquery``  ``import cadquery`` (the floor of anything that builds)
``help``      ``pkgcad --help``
``refusal``   ``pkgcad check builds/flip-chip/fc-basic.toml --budget 0.01``: validated, refused by the budget (exit 2)
``check``     ``pkgcad check builds/flip-chip/fc-basic.toml`` (the whole command: its imports include those a flow
              makes when it first runs its steps, checks and views)
``build``     the import phase of ``pkgcad build --report`` as ``benchmarks/bench_build.py`` times it
``worker``    a sweep worker: the fork server's preload (:data:`geometry.sweep.runners.PRELOAD`) and then one
              variant (fc-basic) run by :func:`geometry.sweep.worker.run_variant`, whose imports come on first use

Columns: ``cpu s``, the CPU seconds (user + system) of the imports (for ``help``, ``refusal`` and ``check`` of the
whole command, ``import`` then ``main``; for ``worker`` of the preload); ``process cpu s``, of the whole process
(interpreter start included; for ``worker`` with the variant, whose first run imports the flow's steps and checks);
``importtime s``, the sum of the self times ``-X importtime`` reports (wall clock: a loaded machine inflates it);
then the packages costing most. Run by hand, from the repository root:

    python benchmarks/bench_imports.py [--repeat 3] [--cases cadquery,help,refusal,check,build,worker] [--top 8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = "builds/flip-chip/fc-basic.toml"
CPU = "import resource as _r\ndef _cpu():\n    u = _r.getrusage(_r.RUSAGE_SELF)\n    return u.ru_utime + u.ru_stime\n"
MAIN = ("import contextlib, io\n_t = _cpu()\nfrom geometry.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        _rc = main({argv!r})\n    except SystemExit as _e:\n        _rc = _e.code\n"
        "assert _rc == {status}, _rc\n_c = _cpu() - _t\n")
CASES = {
    "cadquery": "_t = _cpu()\nimport cadquery\n_c = _cpu() - _t\n",
    "help": MAIN.format(argv=["--help"], status=0),
    "refusal": MAIN.format(argv=["check", RECIPE, "--budget", "0.01"], status=2),
    "check": MAIN.format(argv=["check", RECIPE], status=0),
    "build": ("_t = _cpu()\nfrom geometry import api\nfrom geometry.output.design import write_html\n"
              "from geometry.output.drawing import build_figure\nfrom geometry.output.manifest import write_manifest\n"
              "from geometry.output.meshfiles import write_glb, write_stl\n"
              "from geometry.output.picture import picture_png\n"
              "from geometry.output.report import content, html, markdown\n"
              "from geometry.output.step import write_step\n_c = _cpu() - _t\n"),
    "worker": ("_t = _cpu()\nimport importlib\nfrom geometry.sweep.runners import PRELOAD\n"
               "for _m in PRELOAD:\n    importlib.import_module(_m)\n_c = _cpu() - _t\n"
               "import tomllib\nfrom geometry.sweep.worker import run_variant\n"
               f"_row = run_variant(tomllib.loads(open({RECIPE!r}, encoding='utf-8').read()))\n"
               "assert _row['status'] == 'ok', _row\n"),
}


def run_case(code: str) -> tuple[list[float], dict[str, float]]:
    """([CPU s of the imports, CPU s of the process], importtime self s by top-level package) of ``code`` in a fresh
    interpreter at the repository root."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    probe = CPU + code + "import json, sys\nprint(json.dumps([_c, _cpu()]), file=sys.stdout)\n"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", probe], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"case failed:\n{done.stderr[-3000:]}")
    by_package: dict[str, float] = defaultdict(float)
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line[len("import time:"):].split("|"))
        by_package[name.split(".")[0]] += int(self_us) / 1e6
    return json.loads(done.stdout.strip().splitlines()[-1]), dict(by_package)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--json", default=None, help="also write every run to this JSON file")
    args = ap.parse_args()
    runs: dict[str, list] = {}
    for name in args.cases.split(","):
        runs[name] = [run_case(CASES[name]) for _ in range(args.repeat)]
        cpus = [c for (c, _), _ in runs[name]]
        whole = [w for (_, w), _ in runs[name]]
        totals = [sum(p.values()) for _, p in runs[name]]
        mean: dict[str, float] = defaultdict(float)
        for _, p in runs[name]:
            for k, v in p.items():
                mean[k] += v / len(runs[name])
        top = sorted(mean.items(), key=lambda kv: -kv[1])[: args.top]
        print(f"{name:<9} cpu s {min(cpus):.2f}-{max(cpus):.2f}  process cpu s {min(whole):.2f}-{max(whole):.2f}  "
              f"importtime s {min(totals):.2f}-{max(totals):.2f}  {len(mean)} packages")
        print("          " + ", ".join(f"{k} {v:.2f}" for k, v in top))
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
