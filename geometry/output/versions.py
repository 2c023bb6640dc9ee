"""Installed versions of pkgcad and the libraries it records (manifest, STEP header)."""

from __future__ import annotations

import importlib.metadata


def distribution_version(dist: str) -> str | None:
    """The installed version of the distribution ``dist``, or None when it is not installed."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def pkgcad_version() -> str:
    """The installed pkgcad version ('unknown' when it is run from a source tree that is not installed)."""
    return distribution_version("pkgcad") or "unknown"
