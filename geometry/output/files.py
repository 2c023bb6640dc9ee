"""The one atomic file writer of pkgcad: every file is written to a hidden temporary sibling, flushed to disk and
renamed over its target, so a reader never sees a half-written file. The design folder, the pictures, the report
and the sweep's tables and cache all write through it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def _temp_sibling(path: Path, suffix: str = ".tmp") -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def atomic(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` on a temporary sibling of ``path``, flush it to disk and rename it over ``path``."""
    path = Path(path)
    tmp = _temp_sibling(path)
    try:
        write(tmp)
        if not tmp.is_file():
            raise OSError(f"writer produced no file for {path}")
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: Path | str, data: bytes) -> Path:
    """``data`` written atomically (also PNG pictures rendered in memory)."""
    return atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: Path | str, text: str) -> Path:
    """``text`` as a UTF-8 file, written atomically (HTML, Markdown, CSV)."""
    return write_bytes(path, text.encode("utf-8"))


def write_figure(fig, path: Path | str, dpi: int = 200) -> Path:
    """Save a matplotlib figure atomically as PNG or SVG, by the suffix of ``path``."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure {path.name!r}: the suffix must be .png or .svg")
    return atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi))
