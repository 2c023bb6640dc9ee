"""Fuzz campaign: thousands of generated recipes of both flows, judged in a worker process; and the time it takes
to refuse malformed recipe files.

    nice -n 10 .venv/bin/python benchmarks/fuzz_campaign.py --count 10000 --workers 1
    .venv/bin/python benchmarks/fuzz_campaign.py --malformed-only

Recipes come from the Hypothesis strategy of tests/fuzzing.py (half of them biased to plausible values so that
many are accepted), generated up front with a fixed seed (``derandomize``), then judged by ``fuzzing.judge`` on the
sweep's local pool: a recipe whose worker hangs past ``--timeout`` or dies is a ``timeout`` or ``error`` row and
counts as a crash. Every ``--export-every``-th accepted recipe is also written with ``write_design`` into a scratch
folder, which is then searched for partial files. Prints a table of counts and timings and appends each crashing recipe to
``--crashes`` (JSON lines); exits 1 when there was a crash or a partial file.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate(count: int) -> list[dict]:
    """``count`` recipes from the fuzzing strategy, reproducibly."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from tests import fuzzing

    out: list[dict] = []

    @settings(max_examples=count, database=None, derandomize=True, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(fuzzing.recipes(), fuzzing.recipes(valid_bias=True)))
    def collect(recipe):
        out.append(recipe)

    collect()
    return out


def campaign(count: int, workers: int, timeout: float, export_every: int, crash_file: str) -> int:
    from geometry.sweep.runners import run_local

    t0 = time.monotonic()
    recipes = generate(count)
    t_gen = time.monotonic() - t0
    scratch = Path(tempfile.mkdtemp(prefix="pkgcad-fuzz-"))
    tasks = []
    for i, r in enumerate(recipes):
        export = str(scratch / f"e{i}") if export_every and i % export_every == 0 else None
        tasks.append((str(i), {"recipe": r, "export_dir": export}))
    counts: collections.Counter = collections.Counter()
    crashes: list[tuple[str, str]] = []
    partial = exported = 0
    build_s: list[float] = []
    started = time.monotonic()
    last = [started]

    def on_done(key: str, row: dict) -> None:
        nonlocal partial, exported
        outcome = row.get("outcome") or ("hang" if row.get("status") == "timeout" else "crash")
        counts[outcome] += 1
        if outcome not in ("accepted", "rejected"):
            crashes.append((key, row.get("reason", "")))
            with open(crash_file, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"key": key, "row": row, "recipe": tasks[int(key)][1]["recipe"]},
                                    default=repr) + "\n")
        if outcome == "accepted":
            build_s.append(row.get("seconds", 0.0))
        if tasks[int(key)][1]["export_dir"] and outcome == "accepted":
            exported += 1
            partial += row.get("partial", 0)
        done = sum(counts.values())
        if time.monotonic() - last[0] > 60:
            last[0] = time.monotonic()
            rate = done / (last[0] - started) * 60
            print(f"  {done}/{len(tasks)} judged, {dict(counts)}, {rate:.0f}/min", flush=True)

    from tests import fuzzing

    run_local(tasks, on_done, workers=workers, timeout=timeout, fn=fuzzing.judge)
    elapsed = time.monotonic() - started
    leftovers = [p for p in scratch.rglob(".*")]
    partial += len(leftovers)
    shutil.rmtree(scratch, ignore_errors=True)
    n = sum(counts.values())
    print()
    print("| generated | accepted | rejected | crashes | hangs | exported | partial files | judge time | rate |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {len(recipes)} | {counts['accepted']} | {counts['rejected']} | {counts['crash']} | {counts['hang']} "
          f"| {exported} | {partial} | {elapsed:.0f} s | {n / elapsed * 60:.0f} / min |")
    if build_s:
        build_s.sort()
        print(f"\naccepted recipe judged (build, solids, checks, export when asked): median "
              f"{build_s[len(build_s) // 2]:.2f} s, max {build_s[-1]:.2f} s; generation {t_gen:.1f} s, "
              f"{workers} worker(s)")
    for key, reason in crashes[:20]:
        print(f"crash {key}: {reason}")
    return 1 if crashes or partial else 0


def malformed_timings(repeat: int = 3) -> None:
    """Seconds to refuse each malformed recipe of ``fuzzing.MALFORMED``: in this process (``main``) and as the
    ``pkgcad`` console script (a fresh interpreter, imports included)."""
    from geometry.cli import main
    from tests import fuzzing

    exe = Path(sys.executable).with_name("pkgcad")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label in fuzzing.MALFORMED:
            path = fuzzing.write_malformed(Path(tmp), label)
            inproc = []
            for _ in range(repeat):
                t = time.perf_counter()
                with contextlib.redirect_stderr(io.StringIO()):
                    code = main(["check", str(path)])
                inproc.append(time.perf_counter() - t)
            t = time.perf_counter()
            p = subprocess.run([str(exe), "check", str(path)], capture_output=True, text=True, check=False)
            script = time.perf_counter() - t
            rows.append((label, code, p.returncode, min(inproc), script))
    print("\n| malformed recipe | exit (main) | exit (pkgcad) | refused in-process | pkgcad check, whole process |")
    print("|---|---|---|---|---|")
    for label, c1, c2, a, b in rows:
        print(f"| {label} | {c1} | {c2} | {a * 1000:.1f} ms | {b:.2f} s |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per recipe before it counts as a hang")
    ap.add_argument("--export-every", type=int, default=50, help="write every n-th recipe when accepted (0: none)")
    ap.add_argument("--crashes", default=str(Path(tempfile.gettempdir()) / "pkgcad-fuzz-crashes.jsonl"),
                    help="file to which each crashing recipe is appended, one JSON line each")
    ap.add_argument("--malformed-only", action="store_true")
    args = ap.parse_args()
    malformed_timings()
    if args.malformed_only:
        return 0
    return campaign(args.count, args.workers, args.timeout, args.export_every, args.crashes)


if __name__ == "__main__":
    sys.exit(main())
