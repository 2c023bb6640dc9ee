"""Hostile inputs (issue 14): every reproducer under tests/hostile/ ends with its expected exit code, a short
message without "Traceback" and no control character on stderr; cases built here because they cannot be small
files (a 200,000-level dotted key, a FIFO, /dev/zero, an oversized file) are refused fast, in one line."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from geometry.cli import main
from tests.hostile import cases, control_characters

CASE_TIMEOUT = 60
"""Seconds a case may run in-process before SIGALRM stops it (a hang is a failure, not a stuck suite)."""
MAX_STDERR = 4_000
"""Characters a refusal may print: one line per problem, echoes cut."""


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def run(argv: list[str], capsys, timeout: float = CASE_TIMEOUT) -> tuple[int, str, float]:
    """``pkgcad argv`` in-process: (exit code, stderr, seconds); a run past ``timeout`` fails the test."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(timeout))
    t = time.perf_counter()
    try:
        code = main(argv)
    except SystemExit as e:  # argparse
        code = e.code if isinstance(e.code, int) else 2
    except Hang:
        pytest.fail(f"pkgcad {' '.join(argv)[:200]} still running after {timeout} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, capsys.readouterr().err, time.perf_counter() - t


def assert_clean(code: int, err: str, expect: int) -> None:
    assert code == expect, err[-2000:]
    assert "Traceback" not in err
    assert not control_characters(err), control_characters(err)
    assert len(err) < MAX_STDERR, f"{len(err)} characters on stderr"
    if expect == 2:
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err[:2000]


CASES = cases()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else [])
                                  for c in CASES])
def test_hostile_case(case, tmp_path, capsys):
    code, err, _ = run(case.argv(tmp_path), capsys)
    assert_clean(code, err, case.expect)
    for text in case.stderr:
        assert text.replace("{tmp}", str(tmp_path)) in err
    for name in case.files:
        f = Path(name.replace("{tmp}", str(tmp_path)))
        assert f.is_file(), f
        if case.absent:  # a text file the case names: none of the texts, no control character
            body = f.read_text(encoding="utf-8")
            assert not [t for t in case.absent if t in body]
            assert not control_characters(body), control_characters(body)


def test_every_class_has_cases():
    assert {"reading", "nesting", "messages", "budget"} <= {c.cls for c in CASES}


def _recipe_text() -> str:
    text = (Path(__file__).parent.parent / "builds/flip-chip/fc-basic.toml").read_text()
    return text[text.index("name = "):]


@pytest.mark.parametrize("label, text, needle", [
    ("dotted key 200,000 deep", _recipe_text() + "\nx" + ".a" * 200_000 + " = 1\n", "more than 32 parts"),
    ("in [bumps]", _recipe_text().replace("[bumps]\n", "[bumps]\npitch" + ".a" * 200_000 + " = 1\n"),
     "more than 32 parts"),
    ("oversized", _recipe_text() + "\n" + "# padding\n" * 120_000, "larger than 1,000,000 bytes"),
    ("900 KB name", _recipe_text().replace('name = "fc-basic"', f'name = "{"n" * 900_000}"'),
     "(900,000 characters)"),
])
def test_large_hostile_text_is_refused_fast(tmp_path, capsys, label, text, needle):
    p = tmp_path / "r.toml"
    p.write_text(text)
    code, err, _ = run(["check", str(p)], capsys, timeout=30)
    assert_clean(code, err, 2)
    assert needle in err


@pytest.mark.parametrize("kind", ["fifo", "directory", "/dev/zero", "/dev/urandom"])
def test_special_files_are_refused_by_kind(tmp_path, capsys, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.toml"
        os.mkfifo(path)  # no writer: opening it to read would block
        needle = "named pipe"
    elif kind == "directory":
        path = tmp_path / "folder.toml"
        path.mkdir()
        needle = "directory"
    else:
        path = Path(kind)
        needle = "character device"
    for argv in (["section", str(path), "-o", str(tmp_path / "s.png")],
                 ["picture", str(path), "--view", "bottom", "-o", str(tmp_path / "b.png")]):
        code, err, _ = run(argv, capsys, timeout=20)
        assert_clean(code, err, 2)
        assert needle in err


def test_sweep_base_fifo_is_refused(tmp_path, capsys):
    os.mkfifo(tmp_path / "base.toml")
    spec = tmp_path / "s.toml"
    spec.write_text('name = "s"\nbase = "base.toml"\n[axes]\n"bumps.pitch" = [0.2, 0.3]\n')
    code, err, _ = run(["sweep", str(spec), "-o", str(tmp_path / "out")], capsys, timeout=20)
    assert_clean(code, err, 2)
    assert "named pipe" in err
