"""Output folders (geometry.output.folder, geometry.output.files): the checks made before any build, write faults
as one OutputError, and the design-folder swap under kills and concurrent writers. Plain folders of small files
stand in for designs: the swap and the checks never look inside."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from geometry.output import files, folder
from geometry.output.files import OutputError, atomic, probe, write_text
from geometry.output.folder import (
    check_output_dir,
    check_output_file,
    inside,
    make_temp_dir,
    remove_stale,
    swap_in,
)
from tests.conftest import ROOT

PAYLOAD = 64 * 1024
"""Bytes of the file in each stand-in design: large enough that a torn copy would show."""


def _design(root: Path, name: str, tag: str) -> Path:
    """A work folder holding one file ``data`` of :data:`PAYLOAD` bytes, all ``tag``."""
    tmp = make_temp_dir(root, name)
    (tmp / "data").write_bytes(tag.encode()[:1] * PAYLOAD)
    return tmp


def _whole(target: Path) -> bytes:
    """The one byte a complete stand-in design is made of; fails on a missing or torn design."""
    data = (target / "data").read_bytes()
    assert len(data) == PAYLOAD and len(set(data)) == 1
    return data[:1]


def test_output_dir_checks_name_the_path_and_the_reason(tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(OutputError, match=r"file.txt: it is a file, not a folder$"):
        check_output_dir(a_file)
    with pytest.raises(OutputError, match=r"file.txt/out/deeper: .*file.txt is a file, not a folder$"):
        check_output_dir(a_file / "out" / "deeper")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError, match="dangling is a symbolic link to .*nowhere, which does not exist"):
        check_output_dir(tmp_path / "dangling" / "out")
    with pytest.raises(OutputError, match="it is a folder, not a file"):
        check_output_file(tmp_path)
    with pytest.raises(OutputError, match="file.txt/x.png: .*file.txt is a file, not a folder"):
        check_output_file(a_file / "x.png")
    assert check_output_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert check_output_file(tmp_path / "new" / "x.png") == tmp_path / "new" / "x.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "file.txt"]  # checks create nothing


def test_probe_reports_the_os_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert probe(tmp_path) is None and list(tmp_path.iterdir()) == []

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "write", full)
    reason = probe(tmp_path)
    monkeypatch.undo()
    assert reason == "No space left on device" and list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match="No space left on device"):
        monkeypatch.setattr(folder, "probe", lambda p: "No space left on device")
        check_output_dir(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root: a chmod'ed folder stays writable, so the "
                                              "read-only case is covered by the simulated faults only")
def test_read_only_folder_is_refused(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="ro: Permission denied"):
            check_output_dir(ro)
        with pytest.raises(OutputError, match="Permission denied"):
            write_text(ro / "a.txt", "x")
    finally:
        ro.chmod(0o700)
    assert list(ro.iterdir()) == []


def test_full_disk_mid_write_is_one_output_error_and_keeps_the_file(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.txt", "previous")

    def half_then_full(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))

    with pytest.raises(OutputError) as e:
        atomic(path, half_then_full)
    assert str(e.value) == f"cannot write {path}: No space left on device" and e.value.errno == errno.ENOSPC
    assert path.read_text() == "previous" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_writer_librarys_own_error_on_a_full_disk_is_an_output_error(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """OCCT's STEP writer answers a full disk with a status, not an OSError: the folder is probed."""
    def kernel_fails(tmp: Path) -> None:
        tmp.write_bytes(b"torn")
        raise RuntimeError("OCCT STEP writer failed")

    with pytest.raises(RuntimeError, match="OCCT"):  # a healthy folder: the library's error stands
        atomic(tmp_path / "a.step", kernel_fails)
    monkeypatch.setattr(files, "probe", lambda p: "No space left on device")
    with pytest.raises(OutputError, match=r"a.step: No space left on device$"):
        atomic(tmp_path / "a.step", kernel_fails)
    assert list(tmp_path.iterdir()) == []


def test_inside_refuses_links_leading_out_and_files(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "designs").symlink_to(elsewhere)
    (out / "cache").write_text("x")
    (out / "near").symlink_to(out / "cache")
    with pytest.raises(OutputError, match="designs: it is a symbolic link to .*elsewhere, outside the output"):
        inside(out, "designs")
    with pytest.raises(OutputError, match="cache: it is a file, not a folder"):
        inside(out, "cache")
    with pytest.raises(OutputError, match="near: it is a file"):
        inside(out, "near")
    assert inside(out, "fresh") == out.resolve() / "fresh"


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_swap_replaces_and_leaves_nothing_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr(folder, "_rename", lambda *a: False)
    target = tmp_path / "d"
    swap_in(_design(tmp_path, "d", "a"), target)
    assert _whole(target) == b"a"
    swap_in(_design(tmp_path, "d", "b"), target)
    assert _whole(target) == b"b" and [p.name for p in tmp_path.iterdir()] == ["d"]


KILL_IN_SWAP = """
import os, sys
from pathlib import Path
from geometry.output import folder

mode, target = sys.argv[1], Path(sys.argv[2])
tmp = folder.make_temp_dir(target.parent, target.name)
(tmp / "data").write_bytes(b"n" * {payload})
if mode == "exchange":  # killed after the exchange, before the previous design is deleted
    folder.remove_tree = lambda p: os.kill(os.getpid(), 9)
else:  # no renameat2: killed between moving the previous design aside and renaming the new one in
    folder._rename = lambda *a: False
    rename = os.rename
    def once_then_die(src, dst):
        rename(src, dst)
        os.kill(os.getpid(), 9)
    folder.os.rename = once_then_die
folder.swap_in(tmp, target)
"""


@pytest.mark.parametrize("mode", ["exchange", "two-renames", "two-renames, restored without renameat2"])
def test_a_kill_inside_the_swap_never_loses_the_design(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       mode: str) -> None:
    target = tmp_path / "d"
    swap_in(_design(tmp_path, "d", "p"), target)
    if "without" in mode:
        monkeypatch.setattr(folder, "_rename", lambda *a: False)
    p = subprocess.run([sys.executable, "-c", KILL_IN_SWAP.format(payload=PAYLOAD), mode, str(target)],
                       check=False, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=60)
    assert p.returncode == -signal.SIGKILL, p.stderr.decode()[-2000:]
    hidden = [q.name for q in tmp_path.iterdir() if q.name.startswith(".") and q.name != ".d.lock"]
    if mode == "exchange":
        assert _whole(target) == b"n"  # the new design in place; the previous one under the work folder's name
        assert len(hidden) == 1 and ".d.tmp-" in hidden[0]
        assert len(remove_stale(tmp_path)) == 1
        assert _whole(target) == b"n"
    else:
        assert not target.exists()  # only the hidden backup and the new work folder are left (and the lock)
        assert sorted(h.split("-")[0] for h in hidden) == [".d.old", ".d.tmp"]
        assert len(remove_stale(tmp_path)) == 1  # the work folder removed, the backup restored
        assert _whole(target) == b"p"
    assert [q.name for q in tmp_path.iterdir()] == ["d"]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_concurrent_swaps_never_raise_and_keep_a_whole_design(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              exchange: bool) -> None:
    """Six writer threads swap the same folder 40 times each (each thread locks through its own open file, so
    they exclude each other as processes do); with renameat2 a reader finds a whole design at every look."""
    if not exchange:
        monkeypatch.setattr(folder, "_rename", lambda *a: False)
    target = tmp_path / "d"
    swap_in(_design(tmp_path, "d", "0"), target)
    errors: list[BaseException] = []
    looks = []
    done = threading.Event()

    def writer(tag: str) -> None:
        try:
            for _ in range(40):
                swap_in(_design(tmp_path, "d", tag), target)
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    def reader() -> None:
        while not done.is_set():
            try:
                looks.append(_whole(target))
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
            time.sleep(0.0005)  # let the writers run: a spinning reader holds the GIL for seconds

    threads = [threading.Thread(target=writer, args=(t,)) for t in "abcdef"]
    watcher = threading.Thread(target=reader)
    if exchange:
        watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    if exchange:
        watcher.join()
        assert len(looks) > 10
    assert errors == []
    assert _whole(target) in {t.encode() for t in "abcdef"}
    assert [p.name for p in tmp_path.iterdir()] == ["d"]  # no lock file, backup or work folder left


SWAPPER = """
import sys
from pathlib import Path
from geometry.output import folder

target = Path(sys.argv[1])
for i in range(int(sys.argv[2])):
    tmp = folder.make_temp_dir(target.parent, target.name)
    (tmp / "data").write_bytes(sys.argv[3].encode() * {payload})
    folder.swap_in(tmp, target)
"""


def test_two_processes_swapping_one_folder(tmp_path: Path) -> None:
    target = tmp_path / "d"
    swap_in(_design(tmp_path, "d", "0"), target)
    procs = [subprocess.Popen([sys.executable, "-c", SWAPPER.format(payload=PAYLOAD), str(target), "150", tag],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE)
             for tag in "xy"]
    looks = set()
    while any(p.poll() is None for p in procs):
        looks.add(_whole(target))
    for p in procs:
        assert p.wait(60) == 0, p.stderr.read().decode()[-2000:]
    assert looks <= {b"0", b"x", b"y"} and _whole(target) in {b"x", b"y"}
    assert [p.name for p in tmp_path.iterdir()] == ["d"]


def test_writers_clearing_the_same_dead_work_concurrently_never_raise(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for i in range(12):
        work = tmp_path / f".d{i}.tmp-{folder.host_tag()}-{dead.pid}-{i:08x}"
        work.mkdir()
        for k in range(40):
            (work / f"{k}.stl").write_bytes(b"x")
    errors: list[BaseException] = []

    def clear() -> None:
        try:
            remove_stale(tmp_path)
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=clear) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and list(tmp_path.iterdir()) == []
