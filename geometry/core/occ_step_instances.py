"""STEP text for the components of large assemblies: an array body of fc-production is an assembly of 10,000
located references to one solid definition, and OCCT's STEPCAFControl_Writer Transfer costs about 300 us a
component. :func:`runs` cuts an assembly's components into runs of one definition; OCCT writes the assembly with
the first component of each run only (its instance named with a tag), and :func:`splice` repeats that component's
entities for the rest of its run: the ISO 10303-44/-42 entities OCCT writes for an assembly component
(CONTEXT_DEPENDENT_SHAPE_REPRESENTATION, REPRESENTATION_RELATIONSHIP_WITH_TRANSFORMATION,
ITEM_DEFINED_TRANSFORMATION, PRODUCT_DEFINITION_SHAPE, NEXT_ASSEMBLY_USAGE_OCCURRENCE and the component's
AXIS2_PLACEMENT_3D with its point and directions), each with its own instance name and placement (the point OCCT
would write, in its number format), numbered after the file's last entity and written right after the first
component of the run, so that the components keep their order. Only translated components (no rotation) with plain
ASCII names are written so; other assemblies are left to OCCT. Only :mod:`geometry.core.occ_step` calls these
functions. mm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .occ import KernelError
from .occ_step_copies import occt_real

LEAST = 50
"""The fewest components of an assembly for it to be written as text; smaller assemblies are left to OCCT."""

_SAFE = re.compile(r"^[A-Za-z0-9_. -]*$")


@dataclass
class Run:
    """Components of one definition in a row: the index of the first (written by OCCT), the translations (N, 3, mm)
    and instance names of the others (written as text)."""

    first: int
    moves: np.ndarray
    names: list[str]


def translation(m: np.ndarray) -> tuple[float, float, float] | None:
    """The translation (mm) of the 4x4 placement ``m`` when it moves without turning, else None."""
    m = np.asarray(m, dtype=float)
    if m.shape != (4, 4) or not np.array_equal(m[:3, :3], np.eye(3)) or not np.array_equal(m[3], [0, 0, 0, 1]):
        return None
    return float(m[0, 3]), float(m[1, 3]), float(m[2, 3])


def runs(components: list, least: int | None = None) -> list[Run] | None:
    """The runs of ``components`` (``(definition, 4x4 placement, instance name)``), or None when the assembly is
    not to be written as text: fewer than ``least`` (default :data:`LEAST`) components, a rotated placement, a name
    that is not plain ASCII (letters, digits, '_', '.', '-', space) or not fewer runs than half the components."""
    least = LEAST if least is None else least
    if len(components) < least:
        return None
    mats = np.array([m for _, m, _ in components], dtype=float)
    if mats.shape[1:] != (4, 4) or not (mats[:, :3, :3] == np.eye(3)).all() or not (mats[:, 3] == [0, 0, 0, 1]).all():
        return None
    if not all(_SAFE.match(name) for _, _, name in components):
        return None
    starts = [i for i, (node, _, _) in enumerate(components) if i == 0 or node is not components[i - 1][0]]
    if 2 * len(starts) >= len(components):
        return None
    ends = starts[1:] + [len(components)]
    moves = mats[:, :3, 3]
    return [Run(a, moves[a + 1:b], [n for _, _, n in components[a + 1:b]]) for a, b in zip(starts, ends, strict=True)]


def tag(assembly: int, run: int) -> str:
    """The instance name under which OCCT writes the first component of run ``run`` of the ``assembly``-th
    assembly written as text, for :func:`splice` to find."""
    return f"pkgcad-i{assembly}-{run}"


_TAG = re.compile(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('(\d+)','pkgcad-i(\d+)-(\d+)',")
_LAST = re.compile(r"#(\d+) = ")
_REF = re.compile(r"#(\d+)")
_WRAP = re.compile(r"\n +")
_RR = re.compile(r"^\( REPRESENTATION_RELATIONSHIP\('','',#(\d+),#(\d+)\) ?\n?"
                 r"REPRESENTATION_RELATIONSHIP_WITH_TRANSFORMATION\(#(\d+)\) ?\n?SHAPE_REPRESENTATION_RELATIONSHIP\(\) \)$")
_FORMS = {
    "cdsr": re.compile(r"^CONTEXT_DEPENDENT_SHAPE_REPRESENTATION\(#(\d+),#(\d+)\)$"),
    "idt": re.compile(r"^ITEM_DEFINED_TRANSFORMATION\('','',#(\d+),#(\d+)\)$"),
    "pds": re.compile(r"^PRODUCT_DEFINITION_SHAPE\('Placement','Placement of an item',#(\d+)\)$"),
    "nauo": re.compile(r"^NEXT_ASSEMBLY_USAGE_OCCURRENCE\('\d+','pkgcad-i\d+-\d+','',#(\d+),#(\d+),\$\)$"),
    "axis": re.compile(r"^AXIS2_PLACEMENT_3D\('',#(\d+),#(\d+),#(\d+)\)$"),
    "point": re.compile(r"^CARTESIAN_POINT\('',\(([^,()]+),([^,()]+),([^,()]+)\)\)$"),
    "dir": re.compile(r"^DIRECTION\('',\([^()]*\)\)$"),
    "sr": re.compile(r"^SHAPE_REPRESENTATION\('',\(([#\d,]*)\),#\d+\)$"),
}


def _entity(text: str, k: int, before: int) -> tuple[int, int, str]:
    """(start, end, one-line body) of entity ``#k`` in ``text``, searched backwards from ``before``."""
    start = text.rfind(f"\n#{k} = ", 0, before) + 1
    if start == 0:
        raise KernelError(f"STEP instances: entity #{k} not found")
    end = text.index(";\n", start)
    return start, end + 2, text[start + len(f"#{k} = "):end]


def _form(kind: str, body: str) -> tuple[str, ...]:
    m = (_RR if kind == "rr" else _FORMS[kind]).match(body if kind == "rr" else _WRAP.sub("", body))
    if m is None:
        raise KernelError(f"STEP instances: a component's {kind} entity is not as OCCT writes it: {body[:80]!r}")
    return m.groups()


@dataclass
class _Template:
    """The entities of one run's first component, as found in the file: ids and fixed texts."""

    nauo_end: int
    refs: dict[str, int]
    texts: dict[str, str]


def _template(text: str, at: int) -> _Template:
    """The component whose NEXT_ASSEMBLY_USAGE_OCCURRENCE starts at ``at`` (its ``#`` in ``text``), checked entity by
    entity against the layout OCCT writes (:class:`KernelError` when it differs)."""
    head = _LAST.match(text, at)
    nauo = int(head[1])
    _, nauo_end, nauo_body = _entity(text, nauo, at + len(head[0]))
    pa, pd = _form("nauo", nauo_body)
    _, _, cdsr_body = _entity(text, nauo - 4, at)
    rr, pds = map(int, _form("cdsr", cdsr_body))
    _, _, rr_body = _entity(text, nauo - 3, at)
    rep_def, rep_asm, idt = map(int, _form("rr", rr_body))
    _, _, idt_body = _entity(text, nauo - 2, at)
    origin, axis = map(int, _form("idt", idt_body))
    _, _, pds_body = _entity(text, nauo - 1, at)
    if (rr, pds, idt, int(_form("pds", pds_body)[0])) != (nauo - 3, nauo - 1, nauo - 2, nauo):
        raise KernelError("STEP instances: a component's entities are not numbered as OCCT writes them")
    _, _, axis_body = _entity(text, axis, at)
    point, z, x = map(int, _form("axis", axis_body))
    _, _, point_body = _entity(text, point, at)
    xyz = _form("point", point_body)
    _, _, z_body = _entity(text, z, at)
    _, _, x_body = _entity(text, x, at)
    _form("dir", z_body)
    _form("dir", x_body)
    return _Template(nauo_end, {"pa": int(pa), "pd": int(pd), "def": rep_def, "asm": rep_asm, "origin": origin,
                                "axis": axis},
                     {"point": ",".join(xyz), "z": _WRAP.sub("", z_body), "x": _WRAP.sub("", x_body)})


_SIZE = 9
"""Entities of one component written as text."""


def _components(t: _Template, run: Run, first: int) -> str:
    """The entities of the components of ``run`` after its first, numbered from ``first`` on (:data:`_SIZE` each),
    on the pattern of ``t``."""
    n = len(run.names)
    values, inverse = np.unique(run.moves, return_inverse=True)
    texts = np.array([occt_real(float(v)) for v in values], dtype=object)[inverse.reshape(run.moves.shape)]
    r = t.refs
    fmt = ("#{0} = CONTEXT_DEPENDENT_SHAPE_REPRESENTATION(#{1},#{3});\n"
           "#{1} = ( REPRESENTATION_RELATIONSHIP('','',#" + str(r["def"]) + ",#" + str(r["asm"]) + ") \n"
           "REPRESENTATION_RELATIONSHIP_WITH_TRANSFORMATION(#{2}) \nSHAPE_REPRESENTATION_RELATIONSHIP() );\n"
           "#{2} = ITEM_DEFINED_TRANSFORMATION('','',#" + str(r["origin"]) + ",#{5});\n"
           "#{3} = PRODUCT_DEFINITION_SHAPE('Placement','Placement of an item',#{4});\n"
           "#{4} = NEXT_ASSEMBLY_USAGE_OCCURRENCE('0','{9}','',#" + str(r["pa"]) + ",#" + str(r["pd"]) + ",$);\n"
           "#{5} = AXIS2_PLACEMENT_3D('',#{6},#{7},#{8});\n"
           "#{6} = CARTESIAN_POINT('',({10},{11},{12}));\n"
           "#{7} = " + t.texts["z"].replace("{", "{{").replace("}", "}}") + ";\n"
           "#{8} = " + t.texts["x"].replace("{", "{{").replace("}", "}}") + ";\n").format
    ids = range(first, first + _SIZE * n, _SIZE)
    return "".join(fmt(k, k + 1, k + 2, k + 3, k + 4, k + 5, k + 6, k + 7, k + 8, name, *xyz)
                   for k, name, xyz in zip(ids, run.names, texts.tolist(), strict=True))


def splice(text: str, assemblies: list[tuple[list[Run], list[str], list]]) -> str:
    """The STEP file ``text``, written by OCCT with the first component of each run of ``assemblies`` (the i-th
    ``(runs, first names, first placements)`` tagged as :func:`tag` ``i``), with the tags replaced by those names
    and every other component's entities added right after its run's first, their placements added to the
    assembly's SHAPE_REPRESENTATION. :class:`KernelError` when a tag is missing or a first component is not written
    as expected (its entities, or its point not that of its placement)."""
    end = text.rfind("\nENDSEC;")
    last = text.rfind("\n#", 0, end)
    next_id = int(_LAST.match(text, last + 1)[1]) + 1
    found = {(int(m[2]), int(m[3])): text.rfind("\n#", 0, m.start()) + 1 for m in _TAG.finditer(text, 0, end)}
    wanted = {(a, r) for a, (rs, _, _) in enumerate(assemblies) for r in range(len(rs))}
    if set(found) != wanted:
        raise KernelError(f"STEP instances: {len(wanted - set(found))} tagged components are missing from the file")
    inserts: list[tuple[int, int, str]] = []
    for a, (rs, names, places) in enumerate(assemblies):
        axes: dict[int, list[int]] = {}
        shape_rep = None
        for r, run in enumerate(rs):
            at = found[(a, r)]
            t = _template(text, at)
            expected = ",".join(occt_real(v) for v in places[r])
            if t.texts["point"] != expected:
                raise KernelError(f"STEP instances: a first component is at ({t.texts['point']}), not ({expected})")
            if shape_rep not in (None, t.refs["asm"]):
                raise KernelError("STEP instances: the components of one assembly are in two representations")
            shape_rep = t.refs["asm"]
            tag_at = text.index("'pkgcad-i", at)
            inserts.append((tag_at + 1, text.index("'", tag_at + 1), names[r]))
            body = _components(t, run, next_id)
            axes[t.refs["axis"]] = [next_id + 5 + _SIZE * j for j in range(len(run.names))]
            next_id += _SIZE * len(run.names)
            inserts.append((t.nauo_end, t.nauo_end, body))
        start, stop, sr_body = _entity(text, shape_rep, found[(a, 0)])
        items = [int(v) for v in _REF.findall(_form("sr", sr_body)[0])]
        if not set(axes) <= set(items):
            raise KernelError("STEP instances: a first component's placement is not in its assembly's representation")
        listed = [k for i in items for k in [i, *axes.get(i, [])]]
        inner = sr_body[sr_body.index("(", len("SHAPE_REPRESENTATION(")):sr_body.rindex("),#") + 1]
        cut = text.index(inner, start, stop)
        inserts.append((cut, cut + len(inner), "(" + "".join(
            f"#{v}" if i == 0 else f",#{v}" if i % 8 else f",\n    #{v}" for i, v in enumerate(listed)) + ")"))
    pieces, at = [], 0
    for a, b, new in sorted(inserts, key=lambda p: (p[0], p[1])):
        if a < at:
            raise KernelError("STEP instances: two insertions overlap")
        pieces += [text[at:a], new]
        at = b
    return "".join(pieces) + text[at:]
