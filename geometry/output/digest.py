"""Geometry digest of a stack: one SHA-256 that changes when, and only when, the resolved shapes change.

It hashes, per body in stack order, its name, material and embedded bodies, and per prototype a canonical
description of the shape: topology counts, volume (mm3), area (mm2), tight bounds and the sorted coordinates of its
distinct vertices (mm), all rounded (:data:`DIGITS` decimals of a millimetre, :data:`SIGNIFICANT` significant digits
for volume and area), then its placements, centre line and sweep radius rounded the same way. Nothing depends on
timestamps, file paths or Python object identity, so the same recipe gives the same digest in every process.

The volume of a solid built from tiles is integrated once per distinct face
(:func:`geometry.core.occ_volume.shared_volume`, which the valid-solids check has computed already): it equals OCCT's
integration of every face to some 1e-13 relative, far inside the digits kept (the same digits on every recipe of
builds/), where integrating every face again took 5.6 CPU s at fc-production.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from ..core import occ, occ_volume
from ..core.stack import Instances, Stack

__all__ = ["DIGITS", "SIGNIFICANT", "prototype_record", "stack_digest"]

DIGITS = 6
"""Decimals of a millimetre kept for coordinates and placements (1 nm)."""
SIGNIFICANT = 10
"""Significant digits kept for volumes and areas."""


def _rounded(a: np.ndarray) -> np.ndarray:
    """``a`` rounded to :data:`DIGITS` decimals, with -0.0 made 0.0 so both hash alike."""
    return np.round(np.asarray(a, dtype=float), DIGITS) + 0.0


def _array_hash(a: np.ndarray | None) -> str | None:
    if a is None:
        return None
    r = np.ascontiguousarray(_rounded(a), dtype="<f8")
    return hashlib.sha256(str(r.shape).encode() + r.tobytes()).hexdigest()


def _sig(x: float) -> str:
    return f"{float(x):.{SIGNIFICANT}g}"


def prototype_record(part: Instances) -> dict:
    """The canonical, JSON-ready description of one instanced prototype (see the module doc)."""
    shape = part.shape
    verts = _rounded(occ.vertices(shape))
    verts = verts[np.lexsort(verts.T[::-1])] if len(verts) else verts
    return {
        "topology": occ.topology(shape),
        "volume_mm3": _sig(occ_volume.shared_volume(shape) if part.tiled else occ.volume(shape)),
        "area_mm2": _sig(occ.area(shape)),
        "bounds_mm": [f"{v:.{DIGITS}f}" for v in _rounded(part.local_bounds)],  # a tiled solid's from its tiles
        "vertices": _array_hash(verts),
        "placements": _array_hash(part.placements),
        "spine": _array_hash(part.spine),
        "sweep_radius": None if part.sweep_radius is None else _sig(part.sweep_radius),
    }


def stack_digest(stack: Stack) -> str:
    """Hex SHA-256 of the canonical description of every body of ``stack`` (see the module doc)."""
    record = [{"name": b.name, "material": b.material_name, "embeds": list(b.embeds),
               "parts": [prototype_record(p) for p in b.parts]} for b in stack]
    text = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
