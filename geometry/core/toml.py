"""Reading TOML from a file that may be hostile: a regular file only (directories, pipes, devices and sockets
refused by kind, without blocking on a pipe), at most a size limit, UTF-8 without a byte-order mark, and nested
within bounds checked by a linear pre-scan before :mod:`tomllib` (which takes quadratic time in a dotted key's
depth). Light (no OpenCascade), so the CLI reads every recipe and spec it is given before loading the kernel: a
refusal answers in a fraction of a second."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from .errors import ParameterError

MAX_RECIPE_BYTES = 1_000_000
MAX_KEY_PARTS = 32
"""Most parts of one dotted key or table header (``bumps.pitch`` has 2): a deeper key is refused before parsing."""
MAX_NESTING = 32
"""Deepest nesting of arrays and inline tables in a TOML file, and of tables in the parsed result."""

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
_TOKENS = re.compile(r'"""|\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}.=,\n]')


def _kind(mode: int) -> str | None:
    """What a file of ``mode`` is when it is not a regular file ("a directory", "a named pipe (FIFO)", ...)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_bytes(path: str | Path, what: str, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes``; a directory, pipe, device or socket is
    refused by its kind without reading (a pipe is opened non-blocking, so one with no writer cannot hang)."""
    p = Path(path)
    try:
        kind = _kind(os.stat(p).st_mode)
        if kind:
            raise ParameterError(f"{p}: is {kind}, not a {what} file")
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            kind = _kind(os.fstat(fd).st_mode)  # the file may have been replaced since the stat
            if kind:
                raise ParameterError(f"{p}: is {kind}, not a {what} file")
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read(max_bytes + 1)
        finally:
            os.close(fd)
    except OSError as e:
        raise ParameterError(f"{p}: cannot be read: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise ParameterError(f"{p}: larger than {max_bytes:,} bytes, not a {what}")
    return data


def decode(data: bytes, source: str) -> str:
    """The UTF-8 text of a recipe's bytes; bytes that are not UTF-8 are refused in one line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParameterError(f"{source}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}): a recipe "
                             "is a UTF-8 TOML file") from None


def prescan(text: str, source: str) -> None:
    """Refuse, before any parsing, TOML whose dotted keys or table headers have more than :data:`MAX_KEY_PARTS`
    parts or whose arrays and inline tables nest deeper than :data:`MAX_NESTING` (tomllib takes quadratic time
    in a key's depth: 200,000 levels take minutes). A linear scan that skips strings and comments."""
    dots = depth = 0
    pos, line = 0, 1
    while True:
        m = _TOKENS.search(text, pos)
        if m is None:
            return
        tok, pos = m.group(), m.end()
        if tok in ('"""', "'''"):
            end = text.find(tok, pos)
            if end < 0:
                return  # an unterminated string: tomllib says where
            line += text.count("\n", pos, end)
            pos = end + 3
        elif tok == ".":
            dots += 1
            if dots >= MAX_KEY_PARTS:
                raise ParameterError(f"{source}: line {line}: a dotted key or table name of more than "
                                     f"{MAX_KEY_PARTS} parts: recipes nest at most {MAX_KEY_PARTS} tables deep")
        elif tok in "[{":
            dots, depth = 0, depth + 1
            if depth > MAX_NESTING:
                raise ParameterError(f"{source}: line {line}: arrays or tables nested more than {MAX_NESTING} deep")
        elif tok in "]}":
            dots, depth = 0, max(depth - 1, 0)
        elif tok in "=,\n":
            dots = 0
            line += tok == "\n"


def check_depth(data: dict, source: str) -> None:
    """Refuse a parsed table nested deeper than :data:`MAX_NESTING` + :data:`MAX_KEY_PARTS` (headers, dotted keys
    and inline tables together); iterative, so no depth can overflow the stack."""
    todo: list[tuple[Any, int]] = [(data, 1)]
    limit = MAX_NESTING + MAX_KEY_PARTS
    while todo:
        node, d = todo.pop()
        if d > limit:
            raise ParameterError(f"{source}: tables or arrays nested more than {limit} deep")
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        todo += [(c, d + 1) for c in children if isinstance(c, (dict, list))]


def loads(text: str, source: str) -> dict:
    """TOML ``text`` as a table, bounded (:func:`prescan`, :func:`check_depth`); errors name ``source``."""
    if text.startswith("\ufeff"):
        raise ParameterError(f"{source}: the file starts with a UTF-8 byte-order mark (bytes EF BB BF), which TOML "
                             "does not allow: save it as UTF-8 without a BOM")
    prescan(text, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ParameterError(f"{source}: not valid TOML: {e}") from None
    except RecursionError:
        raise ParameterError(f"{source}: not valid TOML: arrays or tables nested too deeply") from None
    except ValueError as e:  # an integer beyond Python's digit limit for int(str)
        raise ParameterError(f"{source}: not valid TOML: {str(e).split(';')[0]}") from None
    check_depth(data, source)
    return data


def read_toml(path: str | Path, what: str = "recipe", max_bytes: int = MAX_RECIPE_BYTES) -> dict:
    """The table of the TOML file at ``path``: a regular file of at most ``max_bytes``, UTF-8 without BOM, nested
    within bounds; anything else raises :class:`ParameterError` naming the file and ``what`` it should be."""
    p = Path(path)
    return loads(decode(read_bytes(p, what, max_bytes), str(p)), str(p))
