"""Recipes: TOML files that name a design, its flow and its parameters (mm), read with a size bound and validated
into the flow's design model (:func:`geometry.flows.load_design`); and which defaults a recipe took
(:func:`defaults_taken`, printed by ``pkgcad check --explain``)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel

from .core.params import ParameterError, submodel
from .flows import load_design

MAX_RECIPE_BYTES = 1_000_000


def read_toml(path: str | Path, what: str = "recipe", max_bytes: int = MAX_RECIPE_BYTES) -> dict:
    """The table of the TOML file at ``path``; unreadable, oversized or malformed files raise
    :class:`ParameterError` naming the file and ``what`` it should be."""
    p = Path(path)
    try:
        if p.stat().st_size > max_bytes:
            raise ParameterError(f"{p}: larger than {max_bytes} bytes, not a {what}")
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ParameterError(f"{p}: cannot be read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ParameterError(f"{p}: not valid TOML: {e}") from None
    except RecursionError:
        raise ParameterError(f"{p}: not valid TOML: arrays or tables nested too deeply") from None


def parse(text: str, source: str = "<recipe>") -> Any:
    """Validate TOML ``text`` into a design; raises :class:`ParameterError` naming ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ParameterError(f"{source}: not valid TOML: {e}") from None
    except RecursionError:
        raise ParameterError(f"{source}: not valid TOML: arrays or tables nested too deeply") from None
    try:
        return load_design(data)
    except ParameterError as e:
        raise ParameterError(f"{source}: {e}") from None


def load(path: str | Path) -> Any:
    """Read and validate one recipe file."""
    data = read_toml(path)
    try:
        return load_design(data)
    except ParameterError as e:
        raise ParameterError(f"{path}: {e}") from None


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
