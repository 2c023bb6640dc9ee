"""Hostile-input campaign (issue 14): every reproducer under tests/hostile/<class>/ (see tests/hostile/__init__.py
for the header convention; other classes added there are picked up) plus built-in cases that cannot be small files
(/dev/zero, /dev/urandom, a FIFO with no writer, a directory, a 200,000-level dotted key at the top level and in
[bumps], a file over the 1 MB limit, a sweep whose base is /dev/zero), each run as ``python -m geometry.cli`` in a
subprocess with a timeout. Prints per class: attempts, clean outcomes (the expected exit code, no Traceback, no
control character on stderr, a refusal in one line), hangs (killed at the timeout), tracebacks, the slowest case
(wall s, and CPU s, user + system, from wait4: the wall time of a loaded machine is noisy) and the peak memory of
one case (MB, the child's own max RSS from wait4). Times include the interpreter and package import; a refusal
never imports OpenCascade (inputs are read, validated and budgeted first), so it takes some 0.5 CPU s and 75 MB,
against some 2 CPU s and 470 MB for ``import cadquery`` alone; the cases that build (exit 0 or 1, and a refusal
that needs the build, such as a full disk) load it.

Run from the repository root: python benchmarks/hostile_campaign.py [--timeout S] [--fast] [--verbose]
(``--fast`` skips the cases that build geometry).
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile import cases, control_characters


@dataclass
class Outcome:
    case: str
    cls: str
    code: int | None
    seconds: float
    cpu: float
    peak_mb: float
    hang: bool
    traceback: bool
    clean: bool
    note: str


def run_one(cls: str, name: str, argv: list[str], expect: int, needles: tuple[str, ...], timeout: float,
            cwd: Path) -> Outcome:
    """Run ``pkgcad argv`` in a child process; its exit code, time, own peak memory and whether it was clean."""
    with tempfile.TemporaryFile() as err_file:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "geometry.cli", *argv], cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err_file, start_new_session=True)
        hang, status, usage = False, None, None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t > timeout:
                hang = True
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read().decode("utf-8", "replace")
    code = None if hang else proc.returncode
    tb = "Traceback" in err
    lines = err.strip().splitlines()
    one_line = expect != 2 or (len(lines) == 1 and lines[0].startswith("error: "))
    clean = (not hang and code == expect and not tb and not control_characters(err) and one_line
             and all(n in err for n in needles))
    note = "" if clean else (lines[-1][:160] if lines else "(no stderr)")
    cpu = usage.ru_utime + usage.ru_stime
    return Outcome(f"{cls}/{name}", cls, code, seconds, cpu, usage.ru_maxrss / 1024, hang, tb, clean, note)


def built_in(tmp: Path) -> list[tuple[str, str, list[str], int, tuple[str, ...]]]:
    """(class, name, argv, expected code, stderr needles) of the cases made here."""
    text = (ROOT / "builds/flip-chip/fc-basic.toml").read_text()
    recipe = text[text.index("name = "):]
    fifo = tmp / "pipe.toml"
    os.mkfifo(fifo)
    folder = tmp / "folder.toml"
    folder.mkdir()
    (tmp / "deep.toml").write_text(recipe + "\nx" + ".a" * 200_000 + " = 1\n")
    (tmp / "deep-bumps.toml").write_text(recipe.replace("[bumps]\n", "[bumps]\npitch" + ".a" * 200_000 + " = 1\n"))
    (tmp / "big.toml").write_text(recipe + "# padding\n" * 120_000)
    (tmp / "spec.toml").write_text('name = "s"\nbase = "/dev/zero"\n[axes]\n"bumps.pitch" = [0.2, 0.3]\n')
    return [
        ("devices", "dev-zero", ["check", "/dev/zero"], 2, ("character device",)),
        ("devices", "dev-urandom", ["check", "/dev/urandom"], 2, ("character device",)),
        ("devices", "fifo-no-writer", ["check", str(fifo)], 2, ("named pipe",)),
        ("devices", "directory-as-recipe", ["section", str(folder), "-o", str(tmp / "s.png")], 2, ("directory",)),
        ("devices", "sweep-base-dev-zero", ["sweep", str(tmp / "spec.toml"), "-o", str(tmp / "out")], 2,
         ("character device",)),
        ("nesting", "dotted-key-200000", ["check", str(tmp / "deep.toml")], 2, ("more than 32 parts",)),
        ("nesting", "bumps-dotted-key-200000", ["check", str(tmp / "deep-bumps.toml")], 2, ("more than 32 parts",)),
        ("reading", "over-1-MB", ["check", str(tmp / "big.toml")], 2, ("larger than",)),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a case counts as a hang")
    ap.add_argument("--fast", action="store_true", help="skip the cases that build geometry")
    ap.add_argument("--verbose", action="store_true", help="one line per case")
    args = ap.parse_args()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        todo: list[tuple[str, str, list[str], int, tuple[str, ...]]] = built_in(tmp)
        for c in cases():
            if args.fast and c.slow:
                continue
            work = tmp / "cases" / c.cls / c.name
            work.mkdir(parents=True)
            todo.append((c.cls, c.name, c.argv(work), c.expect, tuple(n.replace("{tmp}", str(work))
                                                                        for n in c.stderr)))
        for cls, name, argv, expect, needles in todo:
            o = run_one(cls, name, argv, expect, needles, args.timeout, ROOT)
            outcomes.append(o)
            if args.verbose or not o.clean:
                flag = "ok" if o.clean else "HANG" if o.hang else "FAIL"
                print(f"  {flag:<4} {o.case:<44} exit {o.code} {o.seconds:6.1f} s {o.cpu:6.1f} cpu s "
                      f"{o.peak_mb:6.0f} MB {o.note}", flush=True)
    by = collections.defaultdict(list)
    for o in outcomes:
        by[o.cls].append(o)
    print(f"{'class':<12} {'attempts':>8} {'clean':>6} {'hangs':>6} {'tracebacks':>10} {'max s':>7} {'max cpu s':>9} "
          f"{'peak MB':>8}")
    for cls, os_ in [*sorted(by.items()), ("all", outcomes)]:
        print(f"{cls:<12} {len(os_):>8} {sum(o.clean for o in os_):>6} {sum(o.hang for o in os_):>6} "
              f"{sum(o.traceback for o in os_):>10} {max(o.seconds for o in os_):>7.1f} "
              f"{max(o.cpu for o in os_):>9.2f} {max(o.peak_mb for o in os_):>8.0f}")
    over = [o for o in outcomes if o.cpu > 2.0 or o.peak_mb > 500]
    for o in sorted(over, key=lambda o: -o.peak_mb):
        print(f"  over 2 CPU s or 500 MB: {o.case:<44} exit {o.code} {o.cpu:6.2f} cpu s {o.peak_mb:6.0f} MB")


if __name__ == "__main__":
    main()
