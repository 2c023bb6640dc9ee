"""Recipes: TOML files that name a design, its flow and its parameters (mm), read with a size bound and validated
into the flow's design model (:func:`geometry.flows.load_design`); CSV site files an array names
(``sites_file``, read into its ``sites``); and which defaults a recipe took (:func:`defaults_taken`, printed by
``pkgcad check --explain``)."""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel

from .core.params import ParameterError, submodel
from .flows import load_design

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


def parse(text: str, source: str = "<recipe>") -> Any:
    """Validate TOML ``text`` into a design; raises :class:`ParameterError` naming ``source``."""
    data = loads(text, source)
    try:
        return load_design(data)
    except ParameterError as e:
        raise ParameterError(f"{source}: {e}") from None


def load(path: str | Path) -> Any:
    """Read and validate one recipe file; a ``sites_file`` it names is read relative to the recipe's folder."""
    data = read_toml(path)
    try:
        return load_design(with_site_files(data, Path(path).parent))
    except ParameterError as e:
        raise ParameterError(f"{path}: {e}") from None


MAX_SITES_BYTES = 4_000_000
SITE_COLUMNS = ("name", "x", "y")
"""The columns a site file must have (any order, a header row first); ``net`` is optional."""


def read_sites(path: Path, key: str) -> list[dict[str, Any]]:
    """The sites of the CSV file at ``path``: one dict per row with name, x, y (mm, top view) and net. Errors name
    the recipe ``key``, the file, the line and the rule."""
    where = f"{key} {str(path)!r}"
    try:
        if not path.is_file():
            raise ParameterError(f"{where} is not a file (the path is relative to the recipe)")
        if path.stat().st_size > MAX_SITES_BYTES:
            raise ParameterError(f"{where} is larger than {MAX_SITES_BYTES} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ParameterError(f"{where} cannot be read: {e}") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ParameterError(f"{where} is empty: it needs a header row name,x,y[,net] and one row per site")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in SITE_COLUMNS if c not in header]
    if missing:
        raise ParameterError(f"{where}: the header {','.join(rows[0])!r} has no {missing[0]!r} column: write "
                             "name,x,y[,net]")
    col = {c: header.index(c) for c in (*SITE_COLUMNS, "net") if c in header}
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in row):
            continue
        need = max(col[c] for c in SITE_COLUMNS) + 1
        if len(row) < need:
            raise ParameterError(f"{where} line {line}: {len(row)} values where name, x and y need {need}")
        net = row[col["net"]].strip() if "net" in col and col["net"] < len(row) else ""
        site: dict[str, Any] = {"name": row[col["name"]].strip(), "net": net}
        for axis in ("x", "y"):
            try:
                v = float(row[col[axis]])
            except ValueError:
                raise ParameterError(f"{where} line {line}: {axis} {row[col[axis]]!r} is not a number of mm") from None
            if not math.isfinite(v):
                raise ParameterError(f"{where} line {line}: {axis} {v} is not a finite number of mm")
            site[axis] = v
        out.append(site)
    return out


def with_site_files(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``data`` with every table's ``sites_file`` read into its ``sites`` (a copy; ``data`` is left as it is)."""
    def walk(node: Any, key: str) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v, f"{key}.{k}" if key else k) for k, v in node.items()}
            if isinstance(out.get("sites_file"), str):
                if "sites" in out:
                    raise ParameterError(f"{key}.sites and {key}.sites_file are both given: give one")
                out["sites"] = read_sites(folder / out["sites_file"], f"{key}.sites_file")
            return out
        if isinstance(node, list):
            return [walk(v, f"{key}[{i}]") for i, v in enumerate(node)]
        return node

    return walk(data, "")


class Default(NamedTuple):
    """A key or section a recipe left out: its dotted ``path``, the ``value`` validation used (a section's as a
    dict, None for an optional key or section left unset) and whether it is a whole ``section``."""

    path: str
    value: Any
    section: bool


def defaults_taken(data: dict[str, Any], design: BaseModel) -> list[Default]:
    """Every key of ``design`` that the recipe table ``data`` did not write, with the value validation used, in
    model order: a section left out as one entry (its values as a dict, or None for an optional section such as
    ``heat_sink``), a key left out of a written section by its dotted path (``bumps.layout``)."""
    out: list[Default] = []

    def walk(node: dict[str, Any], model: BaseModel, prefix: str) -> None:
        for key, field in type(model).model_fields.items():
            value = getattr(model, key)
            section = isinstance(value, BaseModel) or submodel(field.annotation) is not None
            if key not in node:
                out.append(Default(prefix + key, value.model_dump() if isinstance(value, BaseModel) else value,
                                   section))
            elif isinstance(value, BaseModel) and isinstance(node[key], dict):
                walk(node[key], value, f"{prefix}{key}.")

    walk(data, design, "")
    return out
