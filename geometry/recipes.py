"""Recipes: TOML files that name a design, its flow and its parameters (mm), read with bounds
(:mod:`geometry.core.toml`) and validated into the flow's design model (:func:`geometry.flows.load_design`), within
the resource budget when asked (:func:`load_all`); CSV site files an array names (``sites_file``, read into its
``sites``); and which defaults a recipe took (:func:`defaults_taken`, printed by ``pkgcad check --explain``). None
of it loads OpenCascade: a recipe is refused in a fraction of a second."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel

from .core.params import ParameterError, submodel
from .core.text import echo
from .core.toml import loads, read_toml
from .flows import FLOWS, load_design
from .flows.budget import check_budget, estimate
from .flows.schema import recipe_schema


def parse(text: str, source: str = "<recipe>") -> Any:
    """Validate TOML ``text`` into a design; raises :class:`ParameterError` naming ``source``."""
    data = loads(text, source)
    try:
        return load_design(data)
    except ParameterError as e:
        raise ParameterError(f"{source}: {e}") from None


def load(path: str | Path, data: dict[str, Any] | None = None) -> Any:
    """Read and validate one recipe file; a ``sites_file`` it names is read relative to the recipe's folder.
    ``data``: the file's table as already read (:func:`~geometry.core.toml.read_toml`), so it is read once."""
    if data is None:
        data = read_toml(path)
    try:
        return load_design(with_site_files(data, Path(path).parent))
    except ParameterError as e:
        raise ParameterError(f"{path}: {e}") from None


def recipe_paths(items: list[str]) -> list[Path]:
    """Files as given; folders expand to their ``*.toml`` recipes (sweep specs under ``sweeps/`` excluded)."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += sorted(q for q in p.rglob("*.toml") if "sweeps" not in q.relative_to(p).parts)
        else:
            out.append(p)
    return out


def load_all(items: list[str], budget: float | None = None, read: dict[Path, dict[str, Any]] | None = None) -> list:
    """Every recipe of ``items`` (files, or folders of recipes), validated; design names must be unique. Every
    invalid recipe is reported (one message each), not only the first. With ``budget``, each must be within the
    resource budget times ``budget`` (:func:`~geometry.flows.budget.check_budget`). ``read``: tables already read,
    by path, taken instead of reading those files again; the tables this call reads are added to it."""
    paths = recipe_paths(items)
    if not paths:
        raise ParameterError("no recipe given")
    designs, errors = [], []
    for p in paths:
        try:
            if read is not None and p not in read:
                read[p] = read_toml(p)
            d = load(p, None if read is None else read[p])
            if budget is not None:
                check_budget(d, budget)
            designs.append(d)
        except ParameterError as e:
            errors.append(str(e))
    if errors:
        raise ParameterError("\n".join(errors) + (f"\n{len(errors)} of {len(paths)} recipes are invalid"
                                                  if len(errors) > 1 else ""))
    names = [d.name for d in designs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParameterError(f"name {dup[0]!r} is used by more than one recipe; design names must be unique")
    return designs


def output_bytes(designs: list) -> int:
    """Bytes the STEP, STL and GLB of ``designs`` are estimated to take (:func:`~geometry.flows.budget.estimate`),
    which ``pkgcad build`` wants free on its output's file system before it builds."""
    return sum(estimate(d).output_bytes for d in designs)


def listing(items: list[str]) -> list[str]:
    """``pkgcad list``: each flow with its steps (key, claim reference, title), then each recipe found under
    ``items`` with its name, flow and description, or the first line of why it is invalid. From the flows'
    step texts and design models alone: no OpenCascade."""
    lines = []
    for name, flow in FLOWS.items():
        lines.append(f"flow {name} ({flow.claims_file})")
        lines += [f"  {s.key:<26} {s.reference:<18} {s.title}" for s in flow.step_texts]
    paths = recipe_paths(items)
    if paths:
        lines.append("recipes:")
    for p in paths:
        try:
            d = load(p)
            lines.append(f"  {p!s:<44} {d.name:<20} {d.flow:<10} {echo(d.description)}")
        except ParameterError as e:
            lines.append(f"  {p!s:<44} INVALID: {str(e).splitlines()[0]}")
    return lines


def schema_of(flow_name: str) -> dict[str, Any]:
    """The JSON Schema of a ``flow_name`` recipe (:func:`geometry.flows.schema.recipe_schema`), from its design
    model alone: ``pkgcad schema`` answers without OpenCascade."""
    return recipe_schema(flow_name)


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
