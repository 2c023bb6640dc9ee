"""The one atomic file writer of pkgcad: every file is written to a hidden temporary sibling, flushed to disk and
renamed over its target, so a reader never sees a half-written file. The design folder, the pictures, the report
and the sweep's tables and cache all write through it.

Every failure to write (a full disk, a read-only or forbidden folder) is raised as :class:`OutputError`: one line
naming the path and the operating system's reason, which ``pkgcad`` prints with exit status 3."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class OutputError(OSError):
    """A file or folder could not be written: ``path`` and the operating system's ``reason`` (e.g. "No space left
    on device"), or a refused output path (a file where a folder must be, a symbolic link leaving the output
    folder)."""

    def __init__(self, path: Path | str, reason: str, errno_: int | None = None) -> None:
        super().__init__(errno_, reason, str(path))
        self.path, self.reason = Path(path), reason

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"

    def __reduce__(self):
        return type(self), (self.path, self.reason, self.errno)


def _reason(e: OSError) -> str:
    return e.strerror or str(e) or type(e).__name__


def probe(folder: Path) -> str | None:
    """Why ``folder`` (an existing folder) cannot take a new file, or None: one byte written to a hidden file,
    flushed and removed, so a read-only, forbidden or full file system answers as the real write would."""
    p = folder / f".pkgcad-probe-{secrets.token_hex(4)}"
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"\0")
            os.fsync(fd)
        finally:
            os.close(fd)
            p.unlink(missing_ok=True)
    except OSError as e:
        return _reason(e)
    return None


@contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Raise every OSError of the block as an :class:`OutputError` naming ``path``."""
    try:
        yield
    except OutputError:
        raise
    except OSError as e:
        raise OutputError(path, _reason(e), e.errno) from e


def library_fault(path: Path | str, error: BaseException) -> OutputError | None:
    """For a writer library's own error (OCCT's STEP writer answers a full disk with a status, not an OSError):
    an :class:`OutputError` naming ``path`` when its folder cannot take a file now (:func:`probe`; call it before
    removing the partial output, which frees the space it took), else None."""
    folder = Path(path).parent
    if isinstance(error, OSError) or not isinstance(error, Exception) or not folder.is_dir():
        return None
    reason = probe(folder)
    return None if reason is None else OutputError(path, reason)


def _temp_sibling(path: Path, suffix: str = ".tmp") -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def atomic(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` on a temporary sibling of ``path``, flush it to disk and rename it over ``path`` (its
    folder created when missing). On any error the sibling is removed and ``path`` is left as it was; an OSError
    is raised as :class:`OutputError`."""
    path = Path(path)
    tmp = _temp_sibling(path)
    with writing(path):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write(tmp)
            if not tmp.is_file():
                raise OSError(f"writer produced no file for {path}")
            _fsync(tmp)
            os.replace(tmp, path)
        except BaseException as e:
            fault = library_fault(path, e)
            tmp.unlink(missing_ok=True)
            if fault is not None:
                raise fault from e
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
