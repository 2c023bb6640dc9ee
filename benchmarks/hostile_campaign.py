"""Hostile-input campaign (issue 14): every reproducer under tests/hostile/<class>/ (see tests/hostile/__init__.py
for the header convention; other classes added there are picked up) plus built-in cases that cannot be small files
(/dev/zero, /dev/urandom, a FIFO with no writer, a directory, a 200,000-level dotted key at the top level and in
[bumps], a file over the 1 MB limit, a 900 KB name, a sweep whose base is /dev/zero, symbolic links in the output,
a simulated read-only and a simulated full file system, SIGTERM during a build, ``pkgcad schema``), each run as
``python -m geometry.cli`` in a subprocess with a timeout (a simulated fault patches ``os`` in that child first).

Each case is of one of two kinds. A *fast* case must answer without loading OpenCascade: every refusal of an input
or an output found before the build, and ``schema``; it must take under 2 CPU s and 500 MB. A *build* case loads
the kernel: a valid design (exit 0 or 1, e.g. the 3,996-ball perimeter array that passes the budget), a fault that
only the write finds (a disk filling during the build), SIGTERM during a build; its time is the build's, not a
refusal's, and is listed by case.

Prints per class: attempts, clean outcomes (the expected exit code, no Traceback, no control character on stderr, a
refusal in one line, the expected text), hangs (killed at the timeout), tracebacks, then for the fast cases and for
the builds their number, the largest CPU time (s, user + system of the child from wait4: the wall time of a loaded
machine is noisy) and the largest peak memory (MB, the child's own max RSS from wait4). Times include the
interpreter and package import (a refusal some 0.3-0.8 CPU s and 50-180 MB, against some 2 CPU s and 470 MB for
``import cadquery`` alone).

Run from the repository root: python benchmarks/hostile_campaign.py [--timeout S] [--fast] [--verbose]
(``--fast`` skips the build cases).
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile import cases, control_characters


@dataclass
class Outcome:
    case: str
    cls: str
    kind: str
    code: int | None
    seconds: float
    cpu: float
    peak_mb: float
    hang: bool
    traceback: bool
    clean: bool
    note: str


@dataclass
class Todo:
    """One case to run: its class, name, pkgcad arguments, expected exit code, texts stderr must hold, kind
    ("fast" or "build"), Python run in the child before the CLI (a simulated fault), seconds after which SIGTERM
    is sent, and a check of what the case left (returns a problem, or "")."""

    cls: str
    name: str
    argv: list[str]
    expect: int
    needles: tuple[str, ...] = ()
    kind: str = "fast"
    prelude: str = ""
    term_after: float | None = None
    after: Callable[[], str] | None = None


def run_one(t: Todo, timeout: float, cwd: Path) -> Outcome:
    """Run ``pkgcad argv`` in a child process; its exit code, time, own peak memory and whether it was clean."""
    code_text = f"{t.prelude}\nimport sys\nfrom geometry.cli import main\nsys.exit(main({t.argv!r}))"
    with tempfile.TemporaryFile() as err_file:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code_text], cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err_file, start_new_session=True)
        hang, status, usage, termed = False, None, None, False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.perf_counter() - start
            if t.term_after is not None and not termed and elapsed > t.term_after:
                os.kill(proc.pid, signal.SIGTERM)
                termed = True
            if elapsed > timeout:
                hang = True
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read().decode("utf-8", "replace")
    code = None if hang else proc.returncode
    tb = "Traceback" in err
    lines = err.strip().splitlines()
    one_line = t.expect not in (2, 3) or (len(lines) == 1 and lines[0].startswith("error: "))
    left = t.after() if t.after is not None and not hang else ""
    clean = (not hang and code == t.expect and not tb and not control_characters(err) and one_line
             and all(n in err for n in t.needles) and not left)
    note = "" if clean else left or (lines[-1][:160] if lines else "(no stderr)")
    cpu = usage.ru_utime + usage.ru_stime
    return Outcome(f"{t.cls}/{t.name}", t.cls, t.kind, code, seconds, cpu, usage.ru_maxrss / 1024, hang, tb, clean,
                   note)


READ_ONLY = """import errno, os
_open = os.open
def _read_only(path, flags, *a, **k):
    if str(path).startswith({root!r}) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
    return _open(path, flags, *a, **k)
os.open = _read_only
"""
"""A read-only file system under ``root`` (a chmod does not stop root, who may run this)."""

FULL_BEFORE = """import os
class _Full:
    f_bavail, f_frsize, f_blocks = 256, 4096, 1_000_000
os.statvfs = lambda path: _Full()
"""
"""A file system with 1 MB free, as ``os.statvfs`` reports it."""

FULL_DURING = """import errno, os
from geometry.output import files
_fsync = files._fsync
def _full(path):
    if path.name.startswith(".fc-basic.stl"):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    _fsync(path)
files._fsync = _full
"""
"""A file system that fills during the build: the STL's write fails with ENOSPC (the free-space check passed)."""


def _left_only(folder: Path, names: set[str]) -> Callable[[], str]:
    """A check that ``folder`` holds exactly ``names`` (no hidden work folder, backup or lock left)."""
    def check() -> str:
        found = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        return "" if found == names else f"{folder} holds {sorted(found)}, expected {sorted(names)}"
    return check


def built_in(tmp: Path) -> list[Todo]:
    """The cases made here."""
    text = (ROOT / "builds/flip-chip/fc-basic.toml").read_text()
    recipe = text[text.index("name = "):]
    basic = str(ROOT / "builds/flip-chip/fc-basic.toml")
    fifo = tmp / "pipe.toml"
    os.mkfifo(fifo)
    folder = tmp / "folder.toml"
    folder.mkdir()
    (tmp / "deep.toml").write_text(recipe + "\nx" + ".a" * 200_000 + " = 1\n")
    (tmp / "deep-bumps.toml").write_text(recipe.replace("[bumps]\n", "[bumps]\npitch" + ".a" * 200_000 + " = 1\n"))
    (tmp / "big.toml").write_text(recipe + "# padding\n" * 120_000)
    (tmp / "long-name.toml").write_text(recipe.replace('name = "fc-basic"', f'name = "{"n" * 900_000}"'))
    (tmp / "spec.toml").write_text('name = "s"\nbase = "/dev/zero"\n[axes]\n"bumps.pitch" = [0.2, 0.3]\n')
    (tmp / "fc-basic.toml").write_text(text)
    (tmp / "link-spec.toml").write_text('name = "s"\nbase = "fc-basic.toml"\n[axes]\n"chip.thickness" = [0.3]\n'
                                        '[keep]\nstep = "all"\n')
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    for out, link in (("linked-build", "fc-basic"), ("linked-sweep", "designs")):
        (tmp / out).mkdir()
        (tmp / out / link).symlink_to(elsewhere)
    ro, full, term = tmp / "read-only", tmp / "full", tmp / "term"
    ro.mkdir()
    return [
        Todo("devices", "dev-zero", ["check", "/dev/zero"], 2, ("character device",)),
        Todo("devices", "dev-urandom", ["check", "/dev/urandom"], 2, ("character device",)),
        Todo("devices", "fifo-no-writer", ["check", str(fifo)], 2, ("named pipe",)),
        Todo("devices", "directory-as-recipe", ["section", str(folder), "-o", str(tmp / "s.png")], 2,
             ("directory",)),
        Todo("devices", "sweep-base-dev-zero", ["sweep", str(tmp / "spec.toml"), "-o", str(tmp / "out")], 2,
             ("character device",)),
        Todo("nesting", "dotted-key-200000", ["check", str(tmp / "deep.toml")], 2, ("more than 32 parts",)),
        Todo("nesting", "bumps-dotted-key-200000", ["check", str(tmp / "deep-bumps.toml")], 2,
             ("more than 32 parts",)),
        Todo("reading", "over-1-MB", ["check", str(tmp / "big.toml")], 2, ("larger than",)),
        Todo("messages", "name-900-KB", ["check", str(tmp / "long-name.toml")], 2, ("(900,000 characters)",)),
        Todo("output", "symlinked-design-folder", ["build", basic, "-o", str(tmp / "linked-build")], 3,
             ("symbolic link",), after=_left_only(elsewhere, set())),
        Todo("output", "sweep-symlinked-designs", ["sweep", str(tmp / "link-spec.toml"), "-o",
                                                   str(tmp / "linked-sweep")], 3, ("symbolic link",),
             after=_left_only(elsewhere, set())),
        Todo("output", "read-only-folder", ["build", basic, "-o", str(ro / "out")], 3, ("Read-only file system",),
             prelude=READ_ONLY.format(root=str(ro))),
        Todo("output", "full-disk-before-build", ["build", basic, "-o", str(full / "before")], 3, ("MB free",),
             prelude=FULL_BEFORE),
        Todo("output", "full-disk-during-build", ["build", basic, "-o", str(full / "during"), "-q"], 3,
             ("No space left on device",), kind="build", prelude=FULL_DURING,
             after=_left_only(full / "during", set())),
        Todo("output", "section-into-missing-folder", ["section", basic, "-o", str(tmp / "new" / "deep" / "a.svg")],
             0, kind="build"),
        Todo("swap", "sigterm-during-build", ["build", basic, "-o", str(term), "-q", "--steps"], 143,
             ("interrupted (SIGTERM)",), kind="build", term_after=4.0, after=_left_only(term, set())),
        Todo("kernel-free", "schema-json", ["schema", "flip-chip"], 0),
        Todo("kernel-free", "schema-markdown", ["schema", "cavity", "--markdown", "-o", str(tmp / "c.md")], 0),
    ]


def _max(values: list[float], fmt: str) -> str:
    return format(max(values), fmt) if values else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a case counts as a hang")
    ap.add_argument("--fast", action="store_true", help="skip the build cases")
    ap.add_argument("--verbose", action="store_true", help="one line per case")
    args = ap.parse_args()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        todo = built_in(tmp)
        for c in cases():
            work = tmp / "cases" / c.cls / c.name
            work.mkdir(parents=True)
            todo.append(Todo(c.cls, c.name, c.argv(work), c.expect,
                             tuple(n.replace("{tmp}", str(work)) for n in c.stderr), "build" if c.slow else "fast"))
        for t in todo:
            if args.fast and t.kind == "build":
                continue
            o = run_one(t, args.timeout, ROOT)
            outcomes.append(o)
            if args.verbose or not o.clean:
                flag = "ok" if o.clean else "HANG" if o.hang else "FAIL"
                print(f"  {flag:<4} {o.case:<44} {o.kind:<5} exit {o.code} {o.seconds:6.1f} s {o.cpu:6.2f} cpu s "
                      f"{o.peak_mb:6.0f} MB {o.note}", flush=True)
    by = collections.defaultdict(list)
    for o in outcomes:
        by[o.cls].append(o)
    print(f"{'class':<12} {'attempts':>8} {'clean':>6} {'hangs':>6} {'tracebacks':>10} | {'fast':>4} "
          f"{'max cpu s':>9} {'max MB':>7} | {'builds':>6} {'max cpu s':>9} {'max MB':>7}")
    for cls, os_ in [*sorted(by.items()), ("all", outcomes)]:
        fast = [o for o in os_ if o.kind == "fast"]
        builds = [o for o in os_ if o.kind == "build"]
        print(f"{cls:<12} {len(os_):>8} {sum(o.clean for o in os_):>6} {sum(o.hang for o in os_):>6} "
              f"{sum(o.traceback for o in os_):>10} | {len(fast):>4} {_max([o.cpu for o in fast], '.2f'):>9} "
              f"{_max([o.peak_mb for o in fast], '.0f'):>7} | {len(builds):>6} "
              f"{_max([o.cpu for o in builds], '.2f'):>9} {_max([o.peak_mb for o in builds], '.0f'):>7}")
    print("builds (they load the kernel and make the design; not refusals):")
    for o in sorted((o for o in outcomes if o.kind == "build"), key=lambda o: -o.cpu):
        print(f"  {o.case:<44} exit {o.code} {o.cpu:6.2f} cpu s {o.peak_mb:6.0f} MB")
    over = [o for o in outcomes if o.kind == "fast" and (o.cpu > 2.0 or o.peak_mb > 500)]
    for o in over:
        print(f"  FAST CASE OVER 2 CPU s OR 500 MB: {o.case} {o.cpu:.2f} cpu s {o.peak_mb:.0f} MB")
    print(f"{sum(o.clean for o in outcomes)}/{len(outcomes)} clean; {len(over)} fast case(s) over 2 CPU s or 500 MB")


if __name__ == "__main__":
    main()
