"""STEP text for the located copies of faces in a solid: the holed first encapsulant of a flip-chip
(:func:`geometry.core.occ_block.holed_block`) is one solid whose 30,000 hole faces are located copies of a few
prototype faces, and OCCT's STEP transfer of it costs about 300 us a face (its shape processing, SplitCommonVertex and
DirectFaces, cannot be switched off through OCP). :func:`split` takes such a solid apart into a placeholder (its
other faces, without the copies' hole wires), which OCCT writes, and one template per prototype group, which OCCT
writes once at its prototype place; :func:`copies_text` repeats a template's entities for every copy (ids offset,
points moved: the located points OCCT would write, in its number format) and :func:`splice` adds them to the file
written with the placeholder: the copies' faces to its closed shell, their hole loops to their host faces. The
entities are those OCCT writes for the solid itself (ISO 10303-42 advanced faces, edge loops shared with the hosts),
numbered after the file's last entity. Only :mod:`geometry.core.occ_step` calls these functions. mm.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np
from OCP.BRep import BRep_Builder
from OCP.IFSelect import IFSelect_RetDone
from OCP.Interface import Interface_Static
from OCP.STEPConstruct import STEPConstruct
from OCP.STEPControl import STEPControl_AsIs, STEPControl_Writer
from OCP.TCollection import TCollection_HAsciiString
from OCP.TopAbs import TopAbs_FORWARD, TopAbs_SHELL, TopAbs_SOLID
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS_Iterator, TopoDS_Shape, TopoDS_Shell, TopoDS_Solid

from .occ import KernelError

LEAST = 100
"""The fewest copies of one prototype group written as text; fewer are left to OCCT."""


@dataclass
class _Copy:
    """One placed copy: its placement, its faces ``(face, own location)``, its hole wires ``(host index, wire,
    own location)`` in plain faces and its translation (mm; None when the placement turns)."""

    loc: TopLoc_Location
    faces: list = field(default_factory=list)
    wires: list = field(default_factory=list)
    move: tuple[float, float, float] | None = None


@dataclass
class Template:
    """A prototype group: the copies (N), and once written (:func:`write_template`) its entities' text with
    ``{}`` placeholders (first the entity ids, then each point's coordinates), the points (P, 3, mm), the local
    indices of its faces and of its hole bounds, the host index of each bound, and the number of entities."""

    copies: list[_Copy]
    text: str = ""
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    refs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    faces: list[int] = field(default_factory=list)
    bounds: list[int] = field(default_factory=list)
    hosts: list[int] = field(default_factory=list)
    size: int = 0


@dataclass
class Split:
    """A solid taken apart: the placeholder solid written by OCCT, its shell, the host faces (placeholder faces that
    get hole bounds) and the templates of the copies."""

    placeholder: TopoDS_Solid
    shell: TopoDS_Shell
    hosts: list
    templates: list[Template]


def _children(shape: TopoDS_Shape) -> list:
    it, out = TopoDS_Iterator(shape), []
    while it.More():
        out.append(it.Value())
        it.Next()
    return out


def _translation(loc: TopLoc_Location) -> tuple[float, float, float] | None:
    """The translation (mm) of ``loc`` when it moves without turning, else None."""
    t = loc.Transformation()
    if abs(t.ScaleFactor() - 1.0) > 0 or any(t.Value(i, j) != float(i == j) for i in (1, 2, 3) for j in (1, 2, 3)):
        return None
    return t.TranslationPart().Coord()


def _placement(loc: TopLoc_Location) -> tuple[TopLoc_Location, TopLoc_Location] | None:
    """``loc`` as (placement, own) with ``loc = placement * own``: the placement is the elementary location applied
    last (a copy's place, as :func:`geometry.core.occ_block.holed_block` moves its cells), ``own`` the prototype's
    location; None when that location is not applied once."""
    last, power, rest = None, 0, loc
    while not rest.IsIdentity():
        last, power, rest = rest.FirstDatum(), rest.FirstPower(), rest.NextLocation()
    if last is None or power != 1:
        return None
    place = TopLoc_Location(last)
    return place, loc.Predivided(place)


def split(shape: TopoDS_Shape, least: int | None = None) -> Split | None:
    """``shape`` taken apart for :func:`splice`, or None when it is not a one-shell solid with at least ``least``
    (default :data:`LEAST`) translated copies of one group of prototype faces (hole wires of the copies may lie in faces of the solid's own
    place, its plain faces)."""
    if shape.ShapeType() != TopAbs_SOLID or not shape.Location().IsIdentity():
        return None
    shells = _children(shape)
    if len(shells) != 1 or shells[0].ShapeType() != TopAbs_SHELL or not shells[0].Location().IsIdentity():
        return None
    copies: dict[int, _Copy] = {}
    seen: dict[int, list] = {}

    def placement(loc: TopLoc_Location) -> tuple[TopLoc_Location, TopLoc_Location] | None:
        """:func:`_placement` of ``loc``, once per distinct location (a copy's faces and wires share theirs)."""
        bucket = seen.setdefault(loc.HashCode(), [])
        for known, placed in bucket:
            if known.IsEqual(loc):
                return placed
        placed = _placement(loc)
        bucket.append((loc, placed))
        return placed

    def copy_of(loc: TopLoc_Location) -> tuple[_Copy, TopLoc_Location] | None:
        placed = placement(loc)
        if placed is None:
            return None
        copy = copies.setdefault(placed[0].HashCode(), _Copy(placed[0]))
        return (copy, placed[1]) if copy.loc.IsEqual(placed[0]) else None

    plain = []
    for face in _children(shells[0]):
        if face.Location().IsIdentity():
            plain.append(face)
            continue
        found = copy_of(face.Location())
        if found is None:
            return None
        found[0].faces.append((face, found[1]))
    kept: list[list] = []
    for k, face in enumerate(plain):
        mine = []
        for wire in _children(face.Oriented(TopAbs_FORWARD)):
            found = None if wire.Location().IsIdentity() else copy_of(wire.Location())
            if found is None:
                mine.append(wire)
            else:
                found[0].wires.append((k, wire, found[1]))
        kept.append(mine)
    groups: dict[tuple, list[_Copy]] = {}
    for copy in copies.values():
        key = (tuple((hash(f.Located(own)), f.Orientation()) for f, own in copy.faces),
               tuple((plain[k].Orientation(), hash(w.Located(own)), w.Orientation()) for k, w, own in copy.wires))
        groups.setdefault(key, []).append(copy)
    least = LEAST if least is None else least
    for copy in copies.values():
        copy.move = _translation(copy.loc)
    templates = [Template(g) for g in groups.values() if len(g) >= least and all(c.move is not None for c in g)]
    if not templates:
        return None
    written = {id(c) for t in templates for c in t.copies}
    others = [c for c in copies.values() if id(c) not in written]
    builder = BRep_Builder()
    shell = TopoDS_Shell()
    builder.MakeShell(shell)
    hosts = []
    for k, face in enumerate(plain):
        mine = kept[k] + [w for c in others for kk, w, _ in c.wires if kk == k]
        if len(mine) == len(_children(face)):
            hosts.append(face)
        else:
            new = face.Oriented(TopAbs_FORWARD).EmptyCopied()
            for wire in mine:
                builder.Add(new, wire)
            hosts.append(new.Oriented(face.Orientation()))
        builder.Add(shell, hosts[-1])
    for copy in others:
        for face, _ in copy.faces:
            builder.Add(shell, face)
    shell.Closed(True)
    solid = TopoDS_Solid()
    builder.MakeSolid(solid)
    builder.Add(solid, shell)
    return Split(solid, shell, hosts, templates)


def prepared(shape: TopoDS_Shape) -> Split | None:
    """``shape`` taken apart (:func:`split`) with its templates written (:func:`write_template`), or None when it
    has no copies to write as text or OCCT's template text is not as expected (then with a RuntimeWarning)."""
    taken = split(shape)
    if taken is None:
        return None
    try:
        for template in taken.templates:
            write_template(template, taken.hosts)
    except KernelError as e:
        warnings.warn(f"STEP copies not written as text ({e}); OCCT writes every face", RuntimeWarning, stacklevel=2)
        return None
    return taken


_ENTITY = re.compile(r"^#(\d+) = (.*?);$", re.MULTILINE | re.DOTALL)
_REF = re.compile(r"#(\d+)")
_WRAP = re.compile(r"\n +")
_POINT = re.compile(r"^CARTESIAN_POINT\('',\(([^()]*)\)\)$")


def _data(text: str) -> dict[int, str]:
    """The entities of a STEP file's DATA section, id -> one-line text (without the trailing ';')."""
    start, end = text.find("\nDATA;\n"), text.rfind("\nENDSEC;")
    return {int(m[1]): _WRAP.sub("", m[2]) for m in _ENTITY.finditer(text[start + 7:end + 1])}


def tag(finder, shape: TopoDS_Shape, name: str) -> bool:
    """Name the STEP entity that ``shape`` was transferred to (``finder``: the writer's FinderProcess) ``name``, so
    that it can be found in the written text; False when it has none."""
    entity = STEPConstruct.FindEntity_s(finder, shape)
    if entity is None or entity.Name().ToCString():
        return False
    entity.SetName(TCollection_HAsciiString(name))
    return True


def write_template(template: Template, hosts: list) -> None:
    """Write the first copy of ``template`` at its prototype place with OCCT (in memory): its faces, and each hole
    wire in a face of its own on its host's surface and side (``hosts``: the solid's plain faces), so OCCT writes the
    wire's edge loop and bound as for the solid. Keeps the entities reached from those faces and bounds as text
    with placeholders (:class:`Template`); :class:`KernelError` when OCCT's text does not have the expected form."""
    first = template.copies[0]
    builder = BRep_Builder()
    shell = TopoDS_Shell()
    builder.MakeShell(shell)
    faces = [f.Located(own) for f, own in first.faces]
    for k, wire, own in first.wires:
        face = hosts[k].Oriented(TopAbs_FORWARD).EmptyCopied()
        builder.Add(face, wire.Located(own))
        faces.append(face.Oriented(hosts[k].Orientation()))
    for f in faces:
        builder.Add(shell, f)
    writer = STEPControl_Writer()
    Interface_Static.SetIVal_s("write.surfacecurve.mode", 0)
    if writer.Transfer(shell, STEPControl_AsIs) != IFSelect_RetDone:
        raise KernelError("OCCT STEP writer failed on a face template")
    finder = writer.WS().TransferWriter().FinderProcess()
    if not all(tag(finder, f, f"pkgcad-t{i}") for i, f in enumerate(faces)):
        raise KernelError("face template: a face was not transferred")
    stream = io.BytesIO()
    if writer.WriteStream(stream) != IFSelect_RetDone:
        raise KernelError("OCCT STEP writer failed on a face template")
    data = _data(stream.getvalue().decode("latin-1"))
    named = {m[1]: k for k, v in data.items() if (m := _TAGGED.match(v))}
    if sorted(named) != sorted(f"t{i}" for i in range(len(faces))):
        raise KernelError("face template: OCCT did not write every face")
    face_ids = [named[f"t{i}"] for i in range(len(first.faces))]
    bound_ids = []
    for i in range(len(first.faces), len(faces)):
        refs = _REF.findall(data[named[f"t{i}"]].split("(", 2)[2].split(")", 1)[0])
        if len(refs) != 1:
            raise KernelError("face template: a hole face was written with more than one bound")
        bound_ids.append(int(refs[0]))
    seen: set[int] = set()
    stack = face_ids + bound_ids
    while stack:
        k = stack.pop()
        if k not in seen:
            seen.add(k)
            stack.extend(int(r) for r in _REF.findall(data[k]))
    order = sorted(seen)
    local = {k: i for i, k in enumerate(order)}
    model = writer.WS().Model()
    points, lines, slots = [], [], []

    def ref(m: re.Match) -> str:
        slots.append(local[int(m[1])])
        return "#%d"

    for k in order:
        body = _TAGGED.sub("ADVANCED_FACE(''", data[k])
        slots.append(local[k])
        if _POINT.match(body):
            entity = model.Value(k)
            if entity.DynamicType().Name() != "StepGeom_CartesianPoint" or entity.NbCoordinates() != 3:
                raise KernelError("face template: OCCT's entity numbers are not its file's")
            slots += [-1 - 3 * len(points) - a for a in range(3)]
            points.append([entity.CoordinatesValue(j) for j in (1, 2, 3)])
            lines.append("#%d = CARTESIAN_POINT('',(%s,%s,%s));\n")
            continue
        lines.append("#%d = " + _REF.sub(ref, body.replace("%", "%%")) + ";\n")
    template.text = "".join(lines)
    template.points = np.array(points, dtype=float).reshape(-1, 3)
    template.refs = np.array(slots, dtype=np.int64)
    template.faces = [local[k] for k in face_ids]
    template.bounds = [local[k] for k in bound_ids]
    template.size = len(order)


_TAGGED = re.compile(r"^ADVANCED_FACE\('pkgcad-(t\d+)'")


def occt_real(value: float) -> str:
    """``value`` as OCCT's STEP writer prints a real (Interface_FloatWriter with 12 digits and zero suppression:
    '%.12f' from 0.1 to 1000, else '%.12E'; trailing zeros and 'E+00' dropped, and a fixed text cut at 15
    characters), so a copy's points read back as those OCCT would write for it."""
    if 0.1 <= abs(value) < 1000.0:
        text, exp = format(value, ".12f")[:15], ""
    else:
        text, _, e = format(value, ".12E").partition("E")
        exp = "" if e == "+00" else "E" + e
    return text.rstrip("0") + exp


def copies_text(template: Template, first: int) -> tuple[str, np.ndarray, np.ndarray]:
    """The entities of every copy of ``template``, numbered from ``first`` on (``template.size`` a copy): the text,
    the ids of the copies' faces (N, F) and of their hole bounds (N, B)."""
    n = len(template.copies)
    base = first + template.size * np.arange(n, dtype=np.int64)
    moves = np.array([c.move for c in template.copies], dtype=float)
    coords = (template.points[None, :, :] + moves[:, None, :]).reshape(n, -1)
    values, inverse = np.unique(coords, return_inverse=True)
    texts = np.array([occt_real(float(v)) for v in values], dtype=object)[inverse.reshape(coords.shape)]
    is_ref = template.refs >= 0
    ids = (base[:, None] + template.refs[None, is_ref]).tolist()
    # the slots in text order: refs (from the id block) and coordinates (after it)
    n_ref = int(is_ref.sum())
    perm = np.empty(len(template.refs), dtype=np.int64)
    perm[is_ref] = np.arange(n_ref)
    perm[~is_ref] = n_ref + (-1 - template.refs[~is_ref])
    pick = _getter(perm.tolist())
    fmt = template.text
    rows = texts.tolist()
    parts = [fmt % pick(i + r) for i, r in zip(ids, rows, strict=True)]
    faces = base[:, None] + np.array(template.faces, dtype=np.int64)[None, :]
    bounds = base[:, None] + np.array(template.bounds, dtype=np.int64).reshape(1, -1)
    for j in {0, n - 1}:
        _check_copy(parts[j], int(base[j]), template.size, faces[j].tolist(), bounds[j].tolist())
    return "".join(parts), faces, bounds


_BOUND = ("FACE_BOUND(", "FACE_OUTER_BOUND(")


def _check_copy(text: str, first: int, size: int, faces: list[int], bounds: list[int]) -> None:
    """KernelError unless the entities ``text`` of one copy are numbered ``first`` to ``first + size - 1`` in
    order, refer only to each other, and ``faces``/``bounds`` are advanced faces and face bounds among them."""
    data = {int(m[1]): m[2] for m in _ENTITY.finditer(text)}
    if list(data) != list(range(first, first + size)):
        raise KernelError(f"STEP splice: a copy's entities are not numbered #{first} to #{first + size - 1}")
    if any(not first <= int(r) < first + size for body in data.values() for r in _REF.findall(body)):
        raise KernelError(f"STEP splice: a copy's entity refers outside #{first} to #{first + size - 1}")
    if not all(data[k].startswith("ADVANCED_FACE(") for k in faces) or not all(
            data[k].startswith(_BOUND) for k in bounds):
        raise KernelError("STEP splice: a copy's face or hole bound is another entity")


def _getter(index: list[int]):
    get = itemgetter(*index)
    return get if len(index) > 1 else (lambda row: (get(row),))


_TAG = re.compile(r"\('pkgcad-([sh])(\d+)-(\d+)',\(")
_LAST = re.compile(r"#(\d+) = ")


def tag_split(finder, split: Split, index: int) -> bool:
    """Name the closed shell and the host faces of ``split`` (the ``index``-th of a file) in the writer's entities
    (``finder``: its FinderProcess) for :func:`splice`; False when one of them was not transferred."""
    used = sorted({k for t in split.templates for c in t.copies for k, _, _ in c.wires})
    return tag(finder, split.shell, f"pkgcad-s{index}-0") and all(
        tag(finder, split.hosts[k], f"pkgcad-h{index}-{k}") for k in used)


def _ref_list(ids: list[int]) -> str:
    return "".join(f",#{v}" if i % 8 else f",\n    #{v}" for i, v in enumerate(ids))


def splice(text: str, splits: list[Split]) -> str:
    """The STEP file ``text``, written with the placeholders of ``splits`` tagged (:func:`tag_split`, the i-th
    split as ``i``), with every copy's entities added after its last entity, their faces in the closed shell and
    their hole bounds in their host faces, and the tags removed; :class:`KernelError` when a tag is missing."""
    end = text.rfind("\nENDSEC;")
    last = text.rfind("\n#", 0, end)
    next_id = int(_LAST.match(text, last + 1)[1]) + 1
    added: list[str] = []
    extra: dict[tuple[str, int, int], list[int]] = {}
    for i, split in enumerate(splits):
        shell = extra.setdefault(("s", i, 0), [])
        for template in split.templates:
            body, faces, bounds = copies_text(template, next_id)
            next_id += template.size * len(template.copies)
            added.append(body)
            shell += faces.ravel().tolist()
            hosts = np.array([[k for k, _, _ in c.wires] for c in template.copies], dtype=np.int64).reshape(bounds.shape)
            for k, ids in zip(hosts.ravel().tolist(), bounds.ravel().tolist(), strict=True):
                extra.setdefault(("h", i, k), []).append(ids)
    pieces, at, found = [], 0, 0
    for m in _TAG.finditer(text, 0, end):
        ids = extra.get((m[1], int(m[2]), int(m[3])))
        if ids is None:
            raise KernelError(f"STEP splice: an unexpected tag {m[0]}")
        close = text.index(")", m.end())
        pieces += [text[at:m.start()], "('',(", text[m.end():close], _ref_list(ids)]
        at, found = close, found + 1
    if found != len(extra):
        raise KernelError(f"STEP splice: {len(extra) - found} tagged entities are missing from the file")
    return "".join(pieces) + text[at:end + 1] + "".join(added) + text[end + 1:]
