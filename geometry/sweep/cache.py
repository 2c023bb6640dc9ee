"""The sweep cache: one JSON file per finished variant, keyed by the sha256 of its resolved recipe and reused while
the geometry code and kernel versions it was built with (the ``code`` fingerprint) are unchanged and it holds what
the spec keeps. Timeouts and dead workers are never cached."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any

from ..output.files import write_text
from .expand import Variant
from .spec import SweepSpec

CACHE_FORMAT = 1


_FINGERPRINT: str | None = None


def code_fingerprint() -> str:
    """sha256 of the geometry package's source (less the sweep reporting code) and the kernel versions: cached
    rows built by other code are rebuilt."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        root = Path(__file__).resolve().parents[1]
        h = hashlib.sha256()
        for p in sorted(root.rglob("*.py")):
            rel = p.relative_to(root).as_posix()
            if rel.startswith("sweep/") and rel != "sweep/worker.py":
                continue
            h.update(rel.encode() + b"\0" + p.read_bytes() + b"\0")
        for dist in ("cadquery", "cadquery-ocp", "numpy", "trimesh", "scipy"):
            try:
                h.update(f"{dist}={importlib.metadata.version(dist)}\0".encode())
            except importlib.metadata.PackageNotFoundError:
                pass
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


def _cache_path(cache: Path, key: str) -> Path:
    return cache / f"{key}.json"


def _needs_export(spec: SweepSpec, row: dict[str, Any]) -> bool:
    return row.get("status") == "ok" and (spec.keep.step == "all"
                                          or (spec.keep.step == "failing" and row.get("passed") is False))


def read_cache(cache: Path, v: Variant, spec: SweepSpec, code: str, export_dir: Path) -> dict[str, Any] | None:
    """The cached row of ``v`` when it can stand for a new build, else None."""
    try:
        entry = json.loads(_cache_path(cache, v.key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT or entry.get("code") != code:
        return None
    row, kept = entry.get("row"), entry.get("keep") or {}
    if not isinstance(row, dict) or entry.get("key") != v.key:
        return None
    if (spec.keep.checks and not kept.get("checks")) or (spec.keep.bodies and not kept.get("bodies")):
        return None
    if _needs_export(spec, row):
        exported = row.get("exported")
        if not exported or Path(exported).parent.resolve() != export_dir.resolve() or not Path(exported).is_dir():
            return None
    return row


def write_cache(cache: Path, v: Variant, spec: SweepSpec, code: str, row: dict[str, Any]) -> None:
    entry = {"format": CACHE_FORMAT, "key": v.key, "code": code, "sweep": spec.name, "recipe": v.recipe,
             "keep": {"checks": spec.keep.checks, "bodies": spec.keep.bodies}, "row": row}
    text = json.dumps(entry, sort_keys=True, allow_nan=False, default=str)
    write_text(_cache_path(cache, v.key), text + "\n")


def cacheable(row: dict[str, Any]) -> bool:
    """Timeouts and dead workers depend on the machine's load, not on the design: they are tried again."""
    return row.get("status") != "timeout" and not str(row.get("reason", "")).startswith(("worker ", "dask task"))
