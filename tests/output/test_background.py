"""The background writer (geometry.output.background): a call run in a forked child, its value and its exceptions
carried back, a failed caller's child killed; and the design folder written with the STEP in the child equal, byte
for byte, to the one written in one process."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

import pytest

from geometry.core.stack import Stack
from geometry.output import background
from geometry.output.design import write_design
from geometry.output.files import OutputError

SEEN: list[int] = []


def _pid_and_seen(extra: int) -> tuple[int, list[int]]:
    SEEN.append(extra)
    return os.getpid(), list(SEEN)


def _fails() -> None:
    raise OutputError("/nowhere/x.step", "No space left on device", errno.ENOSPC)


class _Local(Exception):
    def __init__(self, a: int, b: int) -> None:  # pickles as _Local(a, b) from args (a, b): fails to load
        super().__init__(f"{a}-{b}")


def _unpicklable() -> None:
    raise _Local(1, 2)


def _nap() -> None:
    time.sleep(120)


@pytest.fixture
def forking() -> None:
    if background.cores() < 2 or not hasattr(os, "fork"):
        pytest.skip(f"one usable core ({background.cores()}): the writer runs in the caller")


def test_value_comes_back_from_a_forked_child_that_saw_the_state_at_fork(forking) -> None:
    SEEN[:] = [1]
    pending = background.start(_pid_and_seen, 2)
    assert pending.forked
    pid, seen = pending.wait()
    assert pid != os.getpid() and seen == [1, 2]
    assert SEEN == [1]  # the child's append stayed in the child


def test_kept_in_the_caller_on_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "cores", lambda: 1)
    SEEN[:] = []
    pending = background.start(_pid_and_seen, 7)
    assert not pending.forked and SEEN == []  # not run before it is waited for
    assert pending.wait() == (os.getpid(), [7])


def test_an_output_error_comes_back_whole(forking) -> None:
    with pytest.raises(OutputError) as e:
        background.start(_fails).wait()
    assert (e.value.path, e.value.reason, e.value.errno) == (Path("/nowhere/x.step"), "No space left on device",
                                                             errno.ENOSPC)


def test_an_exception_that_does_not_pickle_comes_back_as_its_traceback(forking) -> None:
    with pytest.raises(RuntimeError, match=r"(?s)_unpicklable in the background writer: Traceback.*_Local: 1-2"):
        background.start(_unpicklable).wait()


def test_stop_kills_and_reaps_the_child(forking) -> None:
    pending = background.start(_nap)
    pid = pending.pid
    assert pid is not None
    pending.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)
    pending.stop()  # a second stop does nothing


def _beside(folder: Path, meshes) -> None:
    (folder / "report.txt").write_text(f"{meshes.triangles} triangles, pid {os.getpid()}\n")


@pytest.mark.parametrize("beside", [None, _beside], ids=["alone", "with a report beside"])
def test_design_folder_same_bytes_forked_or_not(ball_stack: Stack, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, forking, beside) -> None:
    """The same files either way; with ``beside`` the child computes the manifest (a function here) and the
    parent runs ``beside`` in the folder being written."""
    steps = [("substrate", Stack(ball_stack.bodies[:1])), ("ball_attach", ball_stack)]

    def manifest() -> dict:
        return {"run": 1}

    forked = write_design(tmp_path / "a", "demo", ball_stack, manifest, steps, timestamp="2026-01-01T00:00:00",
                          beside=beside)
    monkeypatch.setattr(background, "cores", lambda: 1)
    alone = write_design(tmp_path / "b", "demo", ball_stack, manifest, steps, timestamp="2026-01-01T00:00:00",
                         beside=beside)
    files = sorted(p.relative_to(forked) for p in forked.rglob("*") if p.is_file())
    assert len(files) == (8 if beside else 7)
    assert files == sorted(p.relative_to(alone) for p in alone.rglob("*") if p.is_file())
    assert all((forked / f).read_bytes() == (alone / f).read_bytes() for f in files)
    assert json.loads((forked / "manifest.json").read_text())["run"] == 1
    if beside:
        assert (forked / "report.txt").read_text().endswith(f"pid {os.getpid()}\n")  # run here, not in the child


def test_a_step_failing_in_the_child_leaves_no_output(ball_stack: Stack, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, forking) -> None:
    def full(*args: object, **kwargs: object) -> Path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("geometry.output.design.write_step", full)
    with pytest.raises(OutputError, match="No space left on device") as e:
        write_design(tmp_path, "demo", ball_stack, {})
    assert e.value.path == tmp_path.resolve() / "demo"
    assert list(tmp_path.iterdir()) == []
