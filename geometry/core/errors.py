"""The error of a bad input, in a module that imports nothing, so the command line can catch it, and the bounded
TOML reader and the spec pre-check can raise it, without loading pydantic and numpy with the parameter models
(``pkgcad --help`` and argument errors; issue 15). :mod:`geometry.core.params` re-exports it."""

from __future__ import annotations


class ParameterError(ValueError):
    """A design parameter breaks a rule; ``str()`` names field, value and rule."""
