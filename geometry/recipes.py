"""Recipes: TOML files that name a design, its flow and its parameters (mm)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from .params import Design, ParameterError, load_design

MAX_RECIPE_BYTES = 1_000_000


def parse(text: str, source: str = "<recipe>") -> Design:
    """Validate TOML ``text`` into a design; raises :class:`ParameterError` naming ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ParameterError(f"{source}: not valid TOML: {e}") from None
    try:
        return load_design(data)
    except ParameterError as e:
        raise ParameterError(f"{source}: {e}") from None


def load(path: str | Path) -> Design:
    """Read and validate one recipe file."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_RECIPE_BYTES:
            raise ParameterError(f"{p}: larger than {MAX_RECIPE_BYTES} bytes, not a recipe")
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ParameterError(f"{p}: cannot be read: {e}") from None
    return parse(text, str(p))
