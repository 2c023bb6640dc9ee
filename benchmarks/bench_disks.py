"""Hostile disks, for real (issue 14): a full 20 MB tmpfs, a read-only file system, outputs that are files or lie
below one, a symlinked design folder, section/picture onto a folder, SIGTERM mid-write, two concurrent builds of
one design. Each case runs ``pkgcad`` in a fresh process; the table gives the exit status against the expected
one, whether stderr ended in one ``error:`` line (no traceback), wall-clock seconds, the process's peak resident
memory and what was left hidden in the output folder, and whether a previous design stayed byte-identical.

Usage: python benchmarks/bench_disks.py   (the tmpfs cases need root and ``mount``; skipped otherwise, said so)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FC = ROOT / "builds" / "flip-chip"
RECIPE = FC / "fc-basic.toml"
SMALL = ROOT / "tests" / "hostile" / "output" / "build-onto-a-file.toml"
"""A 6 x 6 mm flip-chip design (30 bumps, 1.5 MB of files), design name ``hostile-output``."""


def pkgcad(*args: str, term_when: Path | None = None) -> tuple[int, str, float, float]:
    """Run ``pkgcad args``: (exit status, stderr, seconds, peak MB); SIGTERM once a work folder in
    ``term_when`` has a file."""
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "geometry.cli", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if term_when is not None:
        while p.poll() is None:
            work = [w for w in term_when.glob(".*.tmp-*") if any(w.iterdir())] if term_when.exists() else []
            if work:
                p.send_signal(signal.SIGTERM)
                break
            time.sleep(0.002)
    err = p.stderr.read().decode()
    _, status, usage = os.wait4(p.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return code, err, time.perf_counter() - t0, usage.ru_maxrss / 1024


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(folder).as_posix().encode() + f.read_bytes())
    return h.hexdigest()


def hidden(folder: Path) -> str:
    names = [p.name for p in folder.iterdir() if p.name.startswith(".")] if folder.is_dir() else []
    return ", ".join(names) or "-"


def one_line(err: str) -> bool:
    lines = err.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith(("error: ", "interrupted")) or not lines


class Tmpfs:
    """A tmpfs of ``size`` mounted on a fresh folder (root only)."""

    def __init__(self, size: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="pkgcad-disk-"))
        self.ok = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(self.path)],
                                 capture_output=True, check=False).returncode == 0

    def remount(self, mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.path)], check=True)

    def close(self) -> None:
        if self.ok:
            subprocess.run(["umount", str(self.path)], check=False)
        shutil.rmtree(self.path, ignore_errors=True)


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of ``folder`` until ``leave`` bytes are free."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize - leave
    with open(folder / "filler", "wb") as fh:
        while free > 0:
            n = min(free, 1 << 20)
            fh.write(b"\0" * n)
            free -= n


def main() -> None:
    rows = []

    def row(case: str, expect: int, result: tuple[int, str, float, float], out: Path, kept: str = "") -> None:
        code, err, secs, mb = result
        rows.append((case, expect, code, "yes" if one_line(err) else "NO", f"{secs:.2f}", f"{mb:.0f}",
                     hidden(out), kept, err.strip().splitlines()[-1][:90] if err.strip() else ""))

    scratch = Path(tempfile.mkdtemp(prefix="pkgcad-bench-disks-"))
    try:
        taken = scratch / "taken.txt"
        taken.write_text("x")
        row("output is a file", 3, pkgcad("build", str(RECIPE), "-o", str(taken)), scratch)
        row("output below a file", 3, pkgcad("build", str(RECIPE), "-o", str(taken / "out")), scratch)
        out, elsewhere = scratch / "out", scratch / "elsewhere"
        out.mkdir()
        elsewhere.mkdir()
        (out / "fc-basic").symlink_to(elsewhere)
        row("symlinked design folder", 3, pkgcad("build", str(RECIPE), "-o", str(out)), out)
        (scratch / "dir.png").mkdir()
        row("section onto a folder", 3, pkgcad("section", str(RECIPE), "-o", str(scratch / "dir.png")), scratch)
        row("picture onto a folder", 3, pkgcad("picture", str(RECIPE), "-o", str(scratch / "dir.png")), scratch)
        row("section into a missing folder", 0,
            pkgcad("section", str(RECIPE), "-o", str(scratch / "new" / "a.svg")), scratch / "new")
        term = scratch / "term"
        row("SIGTERM mid-write", 143, pkgcad("build", str(RECIPE), "-o", str(term), "-q", term_when=term), term)
        both = scratch / "both"
        procs = [subprocess.Popen([sys.executable, "-m", "geometry.cli", "build", str(SMALL), "-o", str(both), "-q"],
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
        t0 = time.perf_counter()
        codes = [p.wait() for p in procs]
        rows.append(("two concurrent builds", 0, max(codes), "yes", f"{time.perf_counter() - t0:.2f}", "", hidden(both),
                     "", f"exit {codes}, folder files {len(list((both / 'hostile-output').iterdir()))}"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    disk = Tmpfs("20m")
    try:
        if not disk.ok:
            print("tmpfs cases skipped: mount needs root (run as root to measure a full and a read-only disk)")
        else:
            out = disk.path / "exports"
            row("full disk (20 MB), fresh", 3, pkgcad("build", str(RECIPE), "-o", str(out), "-q"), out)
            assert pkgcad("build", str(SMALL), "-o", str(out), "-q")[0] == 0
            before = digest(out / "hostile-output")
            fill(disk.path, 64 * 1024)
            result = pkgcad("build", str(SMALL), "-o", str(out), "-q", "--steps")
            row("full disk, previous design", 3, result, out,
                "kept" if digest(out / "hostile-output") == before else "CHANGED")
            (disk.path / "filler").unlink()
            disk.remount("ro")
            row("read-only file system", 3, pkgcad("build", str(SMALL), "-o", str(out), "-q"), out,
                "kept" if digest(out / "hostile-output") == before else "CHANGED")
            disk.remount("rw")
    finally:
        disk.close()

    head = ("case", "expect", "exit", "one line", "s", "peak MB", "hidden left", "previous", "last stderr line")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
