"""Design folders: the name rule, the names of a design's files, the folder of a design inside an output folder, the hidden work folder a design is
written into and the swap that puts it in place, and the removal of work folders that killed writers left."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
from pathlib import Path

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
    itself: its half-written design stays hidden, never in place of a design, until the next write here."""
    root = Path(out_dir)
    gone = []
    for p in root.iterdir() if root.is_dir() else ():
        m = _STALE.match(p.name)
        if m and m["host"] == host_tag() and int(m["pid"]) != os.getpid() and not _alive(int(m["pid"])):
            remove_tree(p)
            gone.append(p)
    return gone


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
    """The resolved folder ``out_dir/name`` of a design; ValueError unless ``name`` matches :data:`NAME_RULE` and
    the folder lies directly in ``out_dir``."""
    check_name(name, "design name")
    root = Path(out_dir).resolve()
    target = root / name
    if target.resolve().parent != root:
        raise ValueError(f"design name {name!r} resolves to {target.resolve()}, outside the output folder {root}")
    return target


def make_temp_dir(root: Path, name: str) -> Path:
    while True:
        tmp = root / f".{name}.tmp-{_owner()}-{secrets.token_hex(4)}"
        try:
            tmp.mkdir()
            return tmp
        except FileExistsError:
            continue


def remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def swap_in(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; a previous ``target`` is moved aside first and deleted only afterwards."""
    old = None
    if target.exists() or target.is_symlink():
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
