"""STEP files of a stack: an AP214 (or AP242) assembly (mm), one named, coloured component per body, arrays instanced
(one solid definition per prototype, every member a named reference to it), written atomically; and a reader of
top-level component counts and volumes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..core import occ_step
from ..core.params import ParameterError
from ..core.stack import Body, Instances, Stack, translations
from .files import atomic
from .versions import pkgcad_version

FIXED_EPOCH = 0
"""The STEP header time (s since 1970-01-01 UTC) of :func:`reproducible_timestamp` when ``SOURCE_DATE_EPOCH`` is
not set: the Unix epoch, plainly a placeholder, not a plausible date of writing. Not the recipe file's mtime,
which a git checkout or a plain copy changes, so the same recipe would give different bytes."""


def reproducible_timestamp() -> str:
    """The FILE_NAME time stamp of STEP files written by ``pkgcad`` (ISO 8601, UTC): ``SOURCE_DATE_EPOCH`` (the
    reproducible-builds.org convention, whole seconds since 1970-01-01 UTC) when set, else :data:`FIXED_EPOCH`,
    so the same recipe gives byte-identical STEP files in every run, folder and hash seed. ParameterError when
    ``SOURCE_DATE_EPOCH`` is not a whole number of seconds from 0 to 253402300799 (year 9999)."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        seconds = FIXED_EPOCH
    elif text.isdigit() and len(text) <= 12 and int(text) <= 253402300799:
        seconds = int(text)
    else:
        raise ParameterError(f"SOURCE_DATE_EPOCH {text[:40]!r} must be a whole number of seconds since "
                         f"1970-01-01 UTC, at most 253402300799 (year 9999)")
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _material(body: Body) -> occ_step.XMaterial:
    m = body.material
    return occ_step.XMaterial(m.name, m.description, m.density)


def _part_definitions(body: Body) -> list[occ_step.XPart]:
    """One STEP solid definition per prototype of ``body``."""
    many = len(body.parts) > 1
    return [occ_step.XPart(f"{body.name}_proto{k}" if many else f"{body.name}_proto", part.shape,
                           body.material.color, _material(body)) for k, part in enumerate(body.parts)]


def _rows(part: Instances) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Members grouped into rows that share one x pattern: [(row x offsets, row placements)], or None when rows
    would not save references (members rotated, or no two rows alike)."""
    m = part.placements
    if not np.allclose(m[:, :3, :3], np.eye(3)):
        return None
    xyz = np.round(m[:, :3, 3], 9)
    rows: dict[tuple[float, float], list[float]] = {}
    for x, y, z in xyz:
        rows.setdefault((y, z), []).append(x)
    patterns: dict[tuple[float, ...], list[tuple[float, float]]] = {}
    for yz, xs in rows.items():
        patterns.setdefault(tuple(sorted(xs)), []).append(yz)
    if len(rows) + sum(len(p) for p in patterns) >= part.count:
        return None
    out = []
    for xs, yzs in patterns.items():
        offsets = np.column_stack([xs, np.zeros((len(xs), 2))])
        at = np.column_stack([np.zeros(len(yzs)), np.array(yzs)])
        out.append((translations(offsets), translations(at)))
    return out


def _place(xyz: np.ndarray) -> tuple[float, float, float]:
    return tuple(float(v) for v in np.round(xyz, 6))


def _places(xyz: np.ndarray) -> list[tuple[float, float, float]]:
    """:func:`_place` of each row of an (N, 3) array (mm), in one numpy rounding."""
    return [tuple(r) for r in np.round(xyz, 6).tolist()]


def _names_by_place(body: Body) -> dict[tuple[float, float, float], str]:
    """The member names of ``body`` (empty without them) by the rounded origin of each member (mm)."""
    if not body.member_names:
        return {}
    origins = np.vstack([p.origins for p in body.parts])
    return dict(zip(_places(origins), body.member_names, strict=True))


def _letters(name: str) -> str:
    """The row letters of a JEDEC name ('AB12' -> 'AB'); empty for another name."""
    letters = name.rstrip("0123456789")
    return letters if letters and letters.isalpha() and letters != name else ""


def _columns(name: str) -> str:
    """The column number of a JEDEC name ('AB12' -> '12'); empty for another name."""
    return name[len(_letters(name)):] if _letters(name) else ""


def step_tree(stack: Stack, name: str, rows: bool = False) -> occ_step.XAssembly:
    """The STEP assembly ``name``: one component per body, named ``body.name``.

    A single-member body is its solid. An array body is an assembly of references to its prototype solid(s), one
    per member, named ``<body>_<member>`` (``solder_balls_A1`` by the JEDEC name, else ``bumps_17`` by index): every
    name in the tree is unique, as ``cadquery.Assembly.load`` and FreeCAD need (they name a sub-assembly by its
    definition, so a definition referenced twice gives two objects of one name).
    ``rows=True`` groups members on regular rows into shared row assemblies (``<body>_row<k>``), so a 100 x 100
    bump grid is written as one solid, one row of 100 references and 100 row references instead of 10,000
    references: a file 4-35 times smaller that OCCT and gmsh read, but whose row names repeat (``cadquery`` refuses
    it). Its row references are ``solder_balls_A`` holding ``solder_balls_1`` ...
    """
    root = occ_step.XAssembly(name)
    for body in stack:
        protos = _part_definitions(body)
        if body.count == 1:
            root.components.append((occ_step.XPart(body.name, body.parts[0].shape, body.material.color,
                                                   _material(body)),
                                    body.parts[0].placements[0], body.name))
            continue
        assy = occ_step.XAssembly(body.name)
        names = _names_by_place(body)
        i = 0
        for k, (part, proto) in enumerate(zip(body.parts, protos)):
            grouped = _rows(part) if rows else None
            if grouped is None:
                for m, place in zip(part.placements, _places(part.origins), strict=True):
                    label = names.get(place, str(i))
                    assy.components.append((proto, m, f"{body.name}_{label}"))
                    i += 1
                continue
            for r, (offsets, at) in enumerate(grouped):
                first = at[0][:3, 3]
                columns = [_columns(names.get(_place(first + o[:3, 3]), "")) or f"p{k}_r{r}_{j}"
                           for j, o in enumerate(offsets)]
                row_name = f"{body.name}_p{k}_row{r}" if len(body.parts) > 1 else f"{body.name}_row{r}"
                row = occ_step.XAssembly(row_name, [(proto, m, f"{body.name}_{c}") for m, c in zip(offsets, columns)])
                for m in at:
                    letters = _letters(names.get(_place(m[:3, 3] + offsets[0][:3, 3]), ""))
                    assy.components.append((row, m, f"{body.name}_{letters or i}"))
                    i += 1
        root.components.append((assy, np.eye(4), body.name))
    return root


def write_step(stack: Stack, name: str, path: Path | str, rows: bool = False, timestamp: str | None = None,
               ap242: bool = False, description: str | None = None, copies: bool = True,
               instances: bool = True) -> Path:
    """Write ``stack`` as a STEP assembly (mm) whose root product is ``name``; returns ``path``. AP214
    (automotive_design), or AP242 (ISO 10303-242, managed model based 3D engineering) with ``ap242``. The header
    names the design (FILE_NAME) and pkgcad with its version (originating system, FILE_DESCRIPTION); every solid
    carries its body's sRGB colour and material (name, description, density in g/cm3).
    ``rows`` as in :func:`step_tree`. ``timestamp`` (ISO 8601) replaces the current time in the header, so the same
    stack gives the same bytes on every run. ``description`` replaces the header's default FILE_DESCRIPTION text
    (``<name>: semiconductor package assembly``); the writer is appended either way. ``copies`` as in
    :func:`geometry.core.occ_step.write_step` (the same solids; False: every face through OCCT's transfer), and so is
    ``instances`` (the same components; False: every component through OCCT's transfer)."""
    if not len(stack):
        raise ValueError(f"cannot write STEP {name!r}: the stack has no bodies")
    tree = step_tree(stack, name, rows)
    system = f"pkgcad {pkgcad_version()}"
    text = description or f"{name}: semiconductor package assembly"
    header = occ_step.XHeader(name, system, f"{text} written by {system}")
    return atomic(path, lambda tmp: occ_step.write_step(tree, str(tmp), timestamp, header, ap242, copies,
                                                                   instances))


def read_step(path: Path | str) -> dict[str, dict[str, float]]:
    """Per top-level component of a STEP assembly: ``{"count": solids, "volume": mm3}`` (placements applied)."""
    return {k: {"count": c, "volume": v} for k, (c, v) in occ_step.read_step(str(path)).items()}
