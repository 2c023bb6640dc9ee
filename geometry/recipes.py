"""Recipes: TOML files that name a design, its flow and its parameters (mm), read with a size bound and validated
into the flow's design model (:func:`geometry.flows.load_design`)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .core.params import ParameterError
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
