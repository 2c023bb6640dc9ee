"""Hostile disks through the command line (issue 14): every writing command refuses an output it cannot write in
one line with exit 3, before any build; a write that fails mid-way (full disk, permission) is one line with exit
3, leaves nothing partial and keeps the previous output; SIGTERM cleans up like Ctrl-C; the same recipe gives
byte-identical files whatever the hash seed, folder and working directory. tests/hostile/output/ holds the
reproducers that are a single file."""

from __future__ import annotations

import errno
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geometry.cli import Terminated, main, signals_held
from geometry.core.params import ParameterError
from geometry.output import files
from geometry.output.step import reproducible_timestamp
from tests.conftest import RECIPES, ROOT, files_under, small_recipe, write_recipe

HOSTILE = sorted((ROOT / "tests" / "hostile" / "output").glob("*.toml"))


def _one_error_line(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: cannot write "), err
    return err


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    return write_recipe(tmp_path / "small.toml", small_recipe())


@pytest.mark.parametrize("command", [
    "build {r} -o {file}", "build {r} -o {file}/out", "report {r} -o {file}/out", "section {r} -o {tmp}/a.svg",
    "section {r} -o {file}/a.svg", "picture {r} -o {file}/a.png", "picture {r} --view bottom -o {tmp}/a.png",
    "mesh {r} -o {file}/a.msh", "footprint {r} -o {file}", "sweep {r} -o {file}/s", "schema flip-chip -o {tmp}/x",
])
def test_an_output_that_cannot_be_written_is_refused_before_anything(tmp_path, capsys, recipe, command):
    file = tmp_path / "taken.txt"
    file.write_text("keep")
    (tmp_path / "a.svg").mkdir()
    (tmp_path / "a.png").mkdir()
    (tmp_path / "x").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    args = shlex.split(command.format(r=recipe, file=file, tmp=tmp_path))
    assert main(args) == 3
    err = _one_error_line(capsys)
    assert "it is a file, not a folder" in err or "is a file, not a folder" in err or "it is a folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before and file.read_text() == "keep"


def test_a_symlinked_design_folder_is_refused_before_the_build(tmp_path, capsys, recipe, monkeypatch):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "small").symlink_to(elsewhere)
    monkeypatch.setattr("geometry.api.run", lambda d: pytest.fail("built before the output was checked"))
    assert main(["build", str(recipe), "-o", str(out)]) == 3
    assert "small: it is a symbolic link to" in _one_error_line(capsys)
    assert list(elsewhere.iterdir()) == []


def test_a_sweep_refuses_a_designs_folder_linked_out_as_build_does(tmp_path, capsys, recipe):
    spec = tmp_path / "s.toml"
    spec.write_text('name = "s"\nbase = "small.toml"\n[axes]\n"chip.thickness" = [0.3]\n[keep]\nstep = "all"\n')
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "designs").symlink_to(elsewhere)
    assert main(["sweep", str(spec), "-o", str(out), "--workers", "1"]) == 3
    assert "designs: it is a symbolic link to" in _one_error_line(capsys)
    assert list(elsewhere.iterdir()) == [] and sorted(p.name for p in out.iterdir()) == ["designs"]


class _Statvfs:
    """What ``os.statvfs`` says of a nearly full file system: ``blocks`` free blocks of 4,096 bytes."""

    def __init__(self, blocks: int, size: int = 1_000_000) -> None:
        self.f_bavail, self.f_frsize, self.f_blocks = blocks, 4096, size


@pytest.mark.parametrize("output", ["{tmp}/out", "{tmp}/new/deeper"], ids=["existing-parent", "missing-folders"])
def test_a_disk_too_full_for_the_estimated_output_is_refused_before_the_build(tmp_path, capsys, recipe,
                                                                              monkeypatch, output):
    from geometry.flows.budget import estimate
    from geometry.recipes import load

    need = estimate(load(recipe)).output_bytes
    seen: list[Path] = []

    def statvfs(path):
        seen.append(Path(path))
        return _Statvfs(need // 4096 - 1)

    monkeypatch.setattr("geometry.output.folder.os.statvfs", statvfs)
    monkeypatch.setattr("geometry.api.run", lambda d: pytest.fail("built before the free space was checked"))
    out = Path(output.format(tmp=tmp_path))
    assert main(["build", str(recipe), "-o", str(out)]) == 3
    err = _one_error_line(capsys)
    free = (need // 4096 - 1) * 4096
    assert err == (f"error: cannot write {out}: the output needs an estimated {need / 1e6:,.1f} MB and the file "
                   f"system of {tmp_path} has {free / 1e6:,.1f} MB free (free some space or give another -o)")
    assert seen == [tmp_path] and not (tmp_path / "out").exists() and not (tmp_path / "new").exists()


@pytest.mark.parametrize("blocks, size", [(None, 1_000_000), (0, 0)], ids=["room", "size-unknown"])
def test_a_disk_with_room_for_the_estimate_or_that_does_not_say_builds(tmp_path, capsys, recipe, monkeypatch,
                                                                       blocks, size):
    from geometry.flows.budget import estimate
    from geometry.recipes import load

    need = estimate(load(recipe)).output_bytes
    free = need // 4096 + 1 if blocks is None else blocks
    monkeypatch.setattr("geometry.output.folder.os.statvfs", lambda path: _Statvfs(free, size))
    assert main(["build", str(recipe), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert (tmp_path / "out" / "small" / "small.step").is_file()


def test_section_into_a_missing_folder_creates_it_as_build_does(tmp_path, capsys, recipe):
    out = tmp_path / "new" / "deeper" / "row.svg"
    assert main(["section", str(recipe), "-o", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("fault", [errno.ENOSPC, errno.EACCES, errno.EROFS], ids=["ENOSPC", "EACCES", "EROFS"])
def test_a_write_failing_mid_design_is_one_line_exit_3_and_keeps_the_previous(tmp_path, capsys, recipe,
                                                                              monkeypatch, fault):
    out = tmp_path / "out"
    assert main(["build", str(recipe), "-o", str(out), "-q"]) == 0
    before = {p.relative_to(out): p.read_bytes() for p in files_under(out)}
    capsys.readouterr()
    fsync = files._fsync

    def fails_on_the_glb(path: Path) -> None:
        if path.name.startswith(".small.glb"):
            raise OSError(fault, os.strerror(fault), str(path))
        fsync(path)

    monkeypatch.setattr(files, "_fsync", fails_on_the_glb)
    assert main(["build", str(recipe), "-o", str(out), "-q", "--steps"]) == 3
    err = _one_error_line(capsys)
    assert err == f"error: cannot write {out.resolve() / 'small' / 'small.glb'}: {os.strerror(fault)}"
    assert {p.relative_to(out): p.read_bytes() for p in files_under(out)} == before
    assert [p.name for p in out.iterdir()] == ["small"]  # no work folder, backup or lock left


def test_sigterm_removes_the_work_folder_like_ctrl_c(tmp_path):
    """A cancelled CI job: SIGTERM while the design folder is being written leaves no hidden work folder."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "geometry.cli", "build", str(RECIPES / "flip-chip" /
                             "fc-basic.toml"), "-o", str(out), "-q"], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            work = [p for p in out.iterdir() if p.name.startswith(".fc-basic.tmp-")] if out.exists() else []
            if work and any(work[0].iterdir()):
                proc.send_signal(signal.SIGTERM)
                break
            time.sleep(0.002)
    finally:
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    assert err.strip().splitlines()[-1] == "interrupted (SIGTERM)"
    assert list(out.iterdir()) == []


SIGNAL_IN_THE_KERNEL_IMPORT = """
import os, signal, sys
class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "OCP.OCP":
            os.kill(os.getpid(), signal.{sig})
        return None
sys.meta_path.insert(0, SignalOnImport())
from geometry.cli import main
sys.exit(main(sys.argv[1:]))
"""
"""A child that sends itself ``sig`` just as OpenCascade's extension module starts to load."""


@pytest.mark.parametrize("sig, status, message", [("SIGTERM", 143, "interrupted (SIGTERM)"),
                                                  ("SIGINT", 130, "interrupted")])
def test_a_signal_while_the_kernel_loads_is_a_clean_stop(tmp_path, recipe, sig, status, message):
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-c", SIGNAL_IN_THE_KERNEL_IMPORT.format(sig=sig), "build", str(recipe),
                        "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == status, p.stderr[-2000:]
    assert p.stderr.strip() == message and not out.exists()


def test_signals_held_acts_on_the_signal_after_the_block():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with pytest.raises(KeyboardInterrupt) as e, signals_held():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        reached = True
    assert reached and isinstance(e.value, Terminated)
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.slow
def test_sigterm_stops_a_sweep_like_ctrl_c_with_its_rows_kept(tmp_path, recipe):
    spec = tmp_path / "s.toml"
    spec.write_text('name = "t"\nbase = "small.toml"\n[axes]\n"chip.thickness" = [0.30, 0.31, 0.32, 0.33, 0.34, '
                    '0.35, 0.36, 0.37]\n')
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "geometry.cli", "sweep", str(spec), "-o", str(out), "--workers",
                             "1", "--no-plots"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if list((out / "cache").glob("*.json")) if (out / "cache").is_dir() else []:
                proc.send_signal(signal.SIGTERM)
                break
            time.sleep(0.01)
    finally:
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    assert "interrupted: finished variants are kept" in err
    assert (out / "results.csv").is_file() and not [p for p in out.rglob(".*")]


def test_same_recipe_byte_identical_files_across_hash_seeds_and_folders(tmp_path):
    """Two builds (STEP with every step, STL, GLB, HTML, manifest, report) with other hash seeds, working
    directories and output folders give the same bytes in every file; the STEP header holds the fixed epoch."""
    recipe = write_recipe(tmp_path / "small.toml", small_recipe())
    runs = []
    for seed in ("1", "2"):
        cwd, out = tmp_path / f"cwd{seed}", tmp_path / f"cwd{seed}" / f"out{seed}"
        cwd.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        p = subprocess.run([sys.executable, "-m", "geometry.cli", "build", str(recipe), "-o", out.name, "--steps",
                            "--report", "-q"], cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
                           env={**env, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)})
        assert p.returncode == 0, p.stderr[-2000:]
        runs.append({q.relative_to(out): q.read_bytes() for q in files_under(out)})
    a, b = runs
    assert a.keys() == b.keys() and len(a) >= 10
    assert [str(k) for k in a if a[k] != b[k]] == []
    assert b"FILE_NAME('small','1970-01-01T00:00:00'" in a[Path("small") / "small.step"]


def test_source_date_epoch_sets_the_step_time(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert reproducible_timestamp() == "1970-01-01T00:00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert reproducible_timestamp() == "2026-01-01T00:00:00"
    for bad in ("-1", "1.5", "soon", "9" * 13):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", bad)
        with pytest.raises(ParameterError, match="SOURCE_DATE_EPOCH"):
            reproducible_timestamp()


def _reproducer(path: Path, tmp: Path) -> tuple[list[str], int]:
    """The command (``# pkgcad: <args>``, ``{path}`` the file, ``{tmp}`` a scratch folder) and the exit status
    (``# expect: N``) on the first two lines of a reproducer."""
    first, second = path.read_text().splitlines()[:2]
    assert first.startswith("# pkgcad: ") and second.startswith("# expect: ")
    args = first.removeprefix("# pkgcad: ").replace("{path}", str(path)).replace("{tmp}", str(tmp))
    return shlex.split(args), int(second.removeprefix("# expect: "))


@pytest.mark.parametrize("case", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_hostile_output_reproducers(tmp_path, capsys, case):
    args, expect = _reproducer(case, tmp_path)
    before = case.read_bytes()
    assert main(args) == expect
    if expect == 3:
        _one_error_line(capsys)
    assert case.read_bytes() == before and list(tmp_path.iterdir()) == []
