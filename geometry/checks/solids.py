"""Checks of the package as a whole: no overlaps between bodies or members, valid closed solids."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import cadquery as cq

from ..core import occ, occ_volume
from ..core.results import CheckResult
from ..core.stack import Stack
from ..measure.interference import interferences
from ..measure.tubes import solid_parts


def no_interference(stack: Stack, name: str, tol_volume: float = 1e-9, claim: str = "",
                    ignore: Iterable[tuple[str, str]] = ()) -> CheckResult:
    """No two bodies, and no two members of one body, overlap beyond ``tol_volume``. Value: worst overlap (mm3)."""
    found = interferences(stack, tol_volume, ignore=ignore)
    worst = found[0] if found else None
    detail = "; ".join(f"{f.body_a}/{f.body_b} {f.overlap_mm3:.3g} mm3" for f in found[:5])
    return CheckResult(name, claim, worst.overlap_mm3 if worst else 0.0, tol_volume, "mm3",
                       worst is None, worst.where if worst else "",
                       f"{len(found)} overlapping situations: {detail}" if found else "")


def interference_without_sweeps(stack: Stack, name: str, claim: str = "") -> CheckResult:
    """:func:`no_interference` over every body's non-swept pieces (:func:`solid_parts`: a wire's ball bond and
    stitch, not its loop), ignoring the overlaps of embedded
    bodies with their host (designed). Swept members are left to :func:`tube_clearance` and
    :func:`wire_clearance`: OCCT booleans of swept solids at many distinct placements take minutes."""
    kept, swept = [], 0
    for b in stack:
        solid = solid_parts(b)
        swept += sum(p.count for p in b.parts if p.spine is not None)
        if solid is not None:
            kept.append(solid)
    ignore = [(b.name, e) for b in stack for e in b.embeds]
    r = no_interference(Stack(tuple(kept)), name, claim=claim, ignore=ignore)
    note = f"{swept} swept members measured by tube_clearance/wire_clearance" if swept else ""
    return dataclasses.replace(r, detail="; ".join(x for x in (r.detail, note) if x))


def _solid_problem(shape: cq.Shape) -> str:
    """Empty when ``shape`` is a valid closed solid with positive volume, else what is wrong."""
    if not shape.Solids():
        return "not a solid"
    if not occ.is_valid(shape):
        return "invalid B-rep"
    if not occ.is_closed(shape):
        return "open shell"
    if occ.volume(shape) <= 0:
        return "no volume"
    return ""


def _built_problem(part) -> str:
    """Empty when a solid built from its tiles (``part.pieces``, no spine) is one closed solid whose tiles are
    valid solids and sum to its volume (1e-9 relative), else what is wrong. BRepCheck of the whole took 19 minutes
    for the 10,000 holes of fc-production; its tiles take a second. The solid's volume is integrated once per distinct
    face (:func:`geometry.core.occ_volume.shared_volume`)."""
    shape = part.shape
    if len(shape.Solids()) != 1 or not occ.is_closed(shape):
        return "not one closed solid"
    problem = next((p for p in (_solid_problem(q.shape) for q in part.pieces) if p), "")
    if problem:
        return f"a tile: {problem}"
    tiles = part.volume() / part.count
    volume = occ_volume.shared_volume(shape)
    if abs(volume - tiles) > 1e-9 * tiles:
        return f"volume {volume:.9g} mm3, its tiles {tiles:.9g} mm3"
    return ""


def valid_solids(stack: Stack, name: str, names: Iterable[str] | None = None, claim: str = "") -> CheckResult:
    """Every prototype of the named bodies (default all) is a valid solid (OCCT's BRepCheck), its shells closed,
    with positive volume; a solid built from tiles is checked through them (:func:`_built_problem`). Value: the
    number of bad prototypes."""
    bad = []
    total = 0
    for body in stack.bodies if names is None else [stack[n] for n in names]:
        for k, part in enumerate(body.parts):
            total += 1
            built = part.tiled
            problem = _built_problem(part) if built else _solid_problem(part.shape)
            if problem:
                bad.append(f"{body.name} part {k}: {problem}")
    return CheckResult(name, claim, float(len(bad)), 0.0, "prototypes", not bad, bad[0] if bad else "",
                       f"{total} prototypes checked" + (f"; {'; '.join(bad[:5])}" if bad else ""))
