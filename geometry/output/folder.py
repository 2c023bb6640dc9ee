"""Design folders: the name rule, the names of a design's files, the folder of a design inside an output folder,
the checks of an output path made before any build, the hidden work folder a design is written into and the swap
that puts it in place, the lock that serialises writers of one design folder, and the removal (or, for a
replaced design, the restoring) of work folders that killed writers left.

The swap is crash-safe at every instant: on Linux the new folder and the previous design exchange names in one
``renameat2(RENAME_EXCHANGE)``, so the design folder always holds a complete design; elsewhere the previous design
is renamed to a hidden ``.old-`` backup first, and a writer killed between the two renames leaves that backup,
which the next writer of the folder renames back in place before anything else (:func:`remove_stale`)."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

from .files import OutputError, probe

NAME_RULE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


_NAME = re.compile(NAME_RULE)


def check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{what} {name!r} is not allowed: it must match {NAME_RULE} (a letter or digit, then up "
                         f"to 63 letters, digits, '.', '_' or '-'), so it can never write outside the output folder")
    return name


_STALE = re.compile(r"^\..+\.(?:tmp|old)-(?P<host>\w+)-(?P<pid>\d+)-[0-9a-f]{8}$")
"""Hidden work folders of :func:`write_design` (a new design being written, a previous one being replaced), tagged
with the writer's host and process id."""


_LOCK = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.lock$")
"""The lock file of a design folder (:func:`design_lock`), left only by a writer killed while it held it."""


def _owner() -> str:
    """``<host>-<pid>`` of this process, the host reduced to word characters (a folder shared by several hosts,
    as a Dask sweep's may be, is cleaned only of the work of dead processes of this host)."""
    return f"{host_tag()}-{os.getpid()}"


def host_tag() -> str:
    return re.sub(r"\W", "_", socket.gethostname())[:40] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(out_dir: Path | str) -> list[Path]:
    """Delete the hidden work folders that a killed :func:`write_design` left in ``out_dir`` (those whose writer
    process is gone); returns what was removed. A kill (SIGKILL, power loss) cannot be cleaned up by the process
    itself: its half-written design stays hidden, never in place of a design, until the next write here. The
    backup of a design a killed writer had moved aside (the two-rename swap) is renamed back in place instead
    (:func:`restore`), and lock files no writer holds are removed."""
    root = Path(out_dir)
    gone = []
    for p in sorted(root.iterdir()) if root.is_dir() else ():
        m = _STALE.match(p.name)
        if m and m["host"] == host_tag() and int(m["pid"]) != os.getpid() and not _alive(int(m["pid"])):
            if ".old-" in p.name and restore(p):
                continue
            remove_tree(p)
            gone.append(p)
        elif _LOCK.match(p.name):
            with design_lock(p.with_name(p.name[1:-5])):  # waits out a live writer; removed on release
                pass
    return gone


def restore(backup: Path) -> bool:
    """Rename the hidden backup ``.<name>.old-...`` of a writer killed between the two renames of the fallback swap
    back to ``<name>`` when no ``<name>`` took its place; returns whether it did (under the folder's lock)."""
    name = backup.name[1:backup.name.index(".old-")]
    target = backup.with_name(name)
    with design_lock(target):
        if not backup.is_dir() or target.exists() or target.is_symlink():
            return False
        try:
            if not _rename(backup, target, _NOREPLACE):
                os.rename(backup, target)  # no renameat2: the lock and the check above keep target absent
        except OSError as e:
            if e.errno in (errno.EEXIST, errno.ENOTEMPTY):
                return False
            raise
    return True


def design_files(name: str) -> dict[str, str]:
    """The file names of design ``name`` in its folder by suffix: ``{".step": "<name>.step", ...}``."""
    return {s: f"{name}{s}" for s in (".step", ".stl", ".glb", ".html")}


BODIES = "bodies"
"""The sub-folder of a design folder that holds one STEP and one STL per body (``--split``)."""


def body_file(name: str, body: str, suffix: str) -> str:
    """The file name of body ``body`` of design ``name`` in its ``bodies/`` folder: ``<name>-<body><suffix>``
    (``fc-basic-bumps.step``), so one body's files copied out of two design folders never collide."""
    return f"{name}-{body}{suffix}"


def step_file(name: str, index: int, key: str) -> str:
    """The file name of step ``index`` (from 1) ``key`` of design ``name`` in its ``steps/`` folder."""
    return f"{name}-{index:02d}-{key}.step"


def design_folder(out_dir: Path | str, name: str) -> Path:
    """The resolved folder ``out_dir/name`` of a design; ValueError unless ``name`` matches :data:`NAME_RULE`,
    :class:`OutputError` unless the folder lies directly in ``out_dir`` and is not a file (:func:`inside`)."""
    check_name(name, "design name")
    return inside(out_dir, name)


def inside(out_dir: Path | str, name: str) -> Path:
    """The resolved path ``out_dir/name`` (``name`` one plain path component); :class:`OutputError` when it is a
    symbolic link leading out of ``out_dir`` or exists and is not a folder."""
    root = Path(out_dir).resolve()
    target = root / name
    if target.resolve().parent != root:
        raise OutputError(target, f"it is a symbolic link to {target.resolve()}, outside the output folder {root} "
                                  f"(remove the link, or give its destination as the output folder)")
    if target.exists() and not target.is_dir():
        raise OutputError(target, "it is a file, not a folder")
    return target


def check_output_dir(path: Path | str) -> Path:
    """Refuse, before any build, an output folder ``path`` that cannot be written: it, or the nearest of its
    parents that exists, must be a folder that takes a file (:func:`~geometry.output.files.probe`: not read-only,
    permitted, not full); nothing is created. :class:`OutputError` naming the path and the reason; returns
    ``path``."""
    path = Path(path)
    reason = _dir_fault(path, path)
    if reason is not None:
        raise OutputError(path, reason)
    return path


def check_output_file(path: Path | str) -> Path:
    """Refuse, before any build, an output file ``path`` that is a folder or whose folder cannot be written
    (as :func:`check_output_dir`; a missing folder is created by the write, as for the other commands)."""
    path = Path(path)
    reason = "it is a folder, not a file" if path.is_dir() else _dir_fault(path.parent, path)
    if reason is not None:
        raise OutputError(path, reason)
    return path


def free_bytes(path: Path | str) -> tuple[Path, int] | None:
    """(the nearest existing folder of ``path``, the bytes an unprivileged writer may still put on its file system,
    ``f_bavail * f_frsize`` of ``os.statvfs``), or None where the file system does not say (no statvfs, or a size
    of 0 blocks, as some virtual and network file systems report)."""
    existing = Path(path)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        st = os.statvfs(existing)
    except (OSError, AttributeError):
        return None
    return None if st.f_blocks == 0 else (existing, st.f_bavail * st.f_frsize)


def check_free_space(path: Path | str, need: int) -> None:
    """Refuse, before any build, an output folder ``path`` whose file system has less free space than ``need``
    bytes (the estimated output of :func:`geometry.flows.budget.estimate`): :class:`OutputError` (exit 3) naming
    the path, the need and the free space, so a full disk is found before the build, not when its write fails
    (which is still caught: :func:`~geometry.output.files.atomic`)."""
    free = free_bytes(path)
    if free is not None and need > free[1]:
        raise OutputError(path, f"the output needs an estimated {need / 1e6:,.1f} MB and the file system of "
                                f"{free[0]} has {free[1] / 1e6:,.1f} MB free (free some space or give another -o)")


def _dir_fault(folder: Path, named: Path) -> str | None:
    """Why ``folder`` cannot be made or written, said of the output path ``named`` (the folder or a file in it)."""
    existing = folder
    while not existing.exists():
        if existing.is_symlink():
            return f"{existing} is a symbolic link to {os.readlink(existing)}, which does not exist"
        existing = existing.parent
    if not existing.is_dir():
        return "it is a file, not a folder" if existing == named else f"{existing} is a file, not a folder"
    reason = probe(existing)
    return reason if reason is None or existing == named else f"{existing}: {reason}"


def make_temp_dir(root: Path, name: str) -> Path:
    while True:
        tmp = root / f".{name}.tmp-{_owner()}-{secrets.token_hex(4)}"
        try:
            tmp.mkdir()
            return tmp
        except FileExistsError:
            continue


def remove_tree(path: Path) -> None:
    """Delete the folder (or file, or link) ``path``; what another process deleted first is no error."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=_gone_is_fine)
    else:
        path.unlink(missing_ok=True)


def _gone_is_fine(fn: object, path: str, exc_info: tuple) -> None:
    if not isinstance(exc_info[1], FileNotFoundError):
        raise exc_info[1]


_NOREPLACE, _EXCHANGE = 1, 2
"""``renameat2`` flags of Linux (RENAME_NOREPLACE, RENAME_EXCHANGE)."""


def _renameat2():
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn


_RENAMEAT2 = _renameat2()
_AT_FDCWD = -100


def _rename(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2(src, dst, flags)``; False when the system or file system lacks it (the caller falls back),
    OSError on any other failure."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(dst))


@contextlib.contextmanager
def design_lock(target: Path) -> Iterator[None]:
    """Hold the lock of design folder ``target``: ``flock`` on the hidden file ``.<name>.lock`` beside it, so
    writers of one design folder swap it one at a time (the second waits, for the length of a swap). The lock
    file is removed on release; a writer that locked a file another writer had just removed tries again."""
    lock = target.with_name(f".{target.name}.lock")
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP):  # a file system without locks
                yield
                return
            raise
        try:
            if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
        os.close(fd)


def swap_in(tmp: Path, target: Path) -> None:
    """Put the folder ``tmp`` in place as ``target`` under the design folder's lock, so that ``target`` holds the
    previous or the new design at every instant: exchanged in one ``renameat2(RENAME_EXCHANGE)`` (then the
    previous design, now under ``tmp``'s name, is deleted), or where that is missing moved aside to a hidden
    ``.old-`` backup, deleted only once ``tmp`` is in place and restored by the next writer after a kill."""
    with design_lock(target):
        present = target.exists() or target.is_symlink()
        if _rename(tmp, target, _EXCHANGE if present else _NOREPLACE):
            if present:
                remove_tree(tmp)
            return
        old = None
        if present:
            old = target.with_name(f".{target.name}.old-{_owner()}-{secrets.token_hex(4)}")
            os.rename(target, old)
        try:
            os.rename(tmp, target)
        except BaseException:
            if old is not None:
                os.rename(old, target)
            raise
        if old is not None:
            remove_tree(old)
