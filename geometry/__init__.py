"""pkgcad: parametric 3D CAD of two claimed semiconductor packaging processes, built step by step and checked.

The geometry modules import CadQuery, which is slow to load; the names below load on first use.
"""

from __future__ import annotations

__all__ = ["load", "parse", "run", "check", "export", "manifest"]


def __getattr__(name: str):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'geometry' has no attribute {name!r}")
