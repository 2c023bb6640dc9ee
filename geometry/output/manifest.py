"""The manifest of a design: parameters, per-body material, count, volumes and mass, the geometry digest, checks,
steps and versions, as strict JSON (keys sorted, no NaN), written atomically."""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cadquery as cq
import numpy as np
import OCP
import trimesh

from ..core.conformal import embedded_volumes
from ..core.stack import Stack
from .digest import stack_digest
from .files import write_bytes
from .versions import distribution_version, pkgcad_version


def _versions() -> dict[str, str | None]:
    ocp = distribution_version("cadquery-ocp") or getattr(OCP, "__version__", None)
    return {
        "pkgcad": pkgcad_version(),
        "cadquery": getattr(cq, "__version__", None) or distribution_version("cadquery"),
        "OCP": ocp,
        "trimesh": trimesh.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _bounds_record(b: np.ndarray) -> dict[str, list[float]]:
    return {"min": [float(x) for x in b[:3]], "max": [float(x) for x in b[3:]]}


def manifest(design_name: str, flow: str, params: dict, stack: Stack, checks: list[dict],
             steps: list[dict], claims: list[dict] | None = None, outline: dict | None = None,
             balls: list[dict] | None = None) -> dict:
    """Manifest content: parameters as given, per body its solid volume (mm3, what the STEP holds), net volume
    (less embedded bodies), the bodies it embeds and the volume by which it overlaps each (``embedded_mm3``, what
    a CAD interference check reports; the conformal output has none), mass (mg, of the net volume) and bounds
    (mm); the geometry digest of the stack (:func:`geometry.output.digest.stack_digest`); checks (each a design ``rule`` or a ``claim`` limitation) and
    whether every design rule passes; the claims (intended, embodied, why not); the JEDEC-style outline numbers
    (mm) and the balls by JEDEC name with their centres (mm, top view); steps, versions."""
    bodies = [
        {
            "name": b.name,
            "material": b.material_name,
            "density_g_cm3": b.material.density,
            "count": b.count,
            "volume_mm3": b.volume(),
            "net_volume_mm3": stack.net_volume(b.name),
            "mass_mg": stack.mass_mg(b.name),
            "embeds": list(b.embeds),
            "embedded_mm3": embedded_volumes(stack, b.name),
            "bounds_mm": _bounds_record(b.bounds()),
        }
        for b in stack
    ]
    return {
        "name": design_name,
        "flow": flow,
        "units": {"length": "mm", "volume": "mm3", "mass": "mg", "density": "g/cm3"},
        "parameters": params,
        "bodies": bodies,
        "totals": {
            "bodies": len(bodies),
            "members": sum(b["count"] for b in bodies),
            "volume_mm3": sum(b["net_volume_mm3"] for b in bodies),
            "mass_mg": sum(b["mass_mg"] for b in bodies),
            "bounds_mm": _bounds_record(stack.bounds()) if len(stack) else None,
        },
        "geometry_digest": stack_digest(stack) if len(stack) else None,
        "checks": list(checks),
        "design_rules_pass": all(c.get("passed", True) for c in checks if c.get("kind", "rule") == "rule"),
        "claims": list(claims or []),
        "outline": outline,
        "balls": list(balls or []),
        "steps": list(steps),
        "versions": _versions(),
    }


def plain(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays, tuples, sets, paths and pydantic models converted; non-finite
    floats become null (strict JSON has no NaN or Infinity)."""
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(plain(v) for v in obj)
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, np.generic):
        return plain(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "model_dump"):
        return plain(obj.model_dump(mode="json"))
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    raise TypeError(f"manifest value of type {type(obj).__name__} is not JSON serialisable: {obj!r}")


def write_manifest(data: dict, path: Path | str) -> Path:
    """``data`` as UTF-8 JSON, indent 2, keys sorted (stable diffs between builds), trailing newline."""
    text = json.dumps(plain(data), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    return write_bytes(path, text.encode("utf-8"))
