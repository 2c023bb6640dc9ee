"""The kernel layer for STEP: XCAF assembly documents written and read with OCCT (AP214 or AP242, mm).

An assembly is a tree of definitions: :class:`XPart` (one solid shape, named, coloured, with its material) and
:class:`XAssembly` (named, with placed components). A definition referenced many times is written once, so an
array of N members costs one solid and N references, or fewer references still when rows of members are
themselves shared definitions. Colours are sRGB (as ISO 10303-46 colour_rgb is read by CAD systems and the
palette is given); materials are XCAF materials (name, description, density in g/cm3), written by OCCT as
material_designation and density properties. Edges are written as 3D curves only, without their parameter-space
copies on every face (pcurves, optional in AP214/AP242; readers rebuild them): that halves the file of the
single-solid first encapsulant (fc-bga15-map: 8.1 to 3.4 MB) and its write time. Only :mod:`geometry.output.step` calls these functions; it owns
the file handling.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field

import cadquery as cq
import numpy as np
from OCP.APIHeaderSection import APIHeaderSection_MakeHeader
from OCP.BinXCAFDrivers import BinXCAFDrivers
from OCP.BRepGProp import BRepGProp
from OCP.GProp import GProp_GProps
from OCP.IFSelect import IFSelect_RetDone
from OCP.Interface import Interface_Static
from OCP.Quantity import Quantity_Color, Quantity_ColorRGBA, Quantity_TOC_sRGB
from OCP.STEPCAFControl import STEPCAFControl_Reader, STEPCAFControl_Writer
from OCP.STEPControl import STEPControl_AsIs
from OCP.TCollection import TCollection_AsciiString, TCollection_ExtendedString, TCollection_HAsciiString
from OCP.TDataStd import TDataStd_Name
from OCP.TDF import TDF_Label, TDF_LabelSequence, TDF_Tool
from OCP.TDocStd import TDocStd_Document
from OCP.TopAbs import TopAbs_SOLID
from OCP.TopExp import TopExp_Explorer
from OCP.XCAFApp import XCAFApp_Application
from OCP.XCAFDoc import XCAFDoc_ColorType, XCAFDoc_DocumentTool, XCAFDoc_ShapeTool

from . import occ_step_copies, occ_step_instances
from .occ import KernelError, top_location


@dataclass(frozen=True)
class XMaterial:
    """A material as written to STEP: name, description and density (g/cm3)."""

    name: str
    description: str
    density: float


@dataclass(frozen=True)
class XHeader:
    """The STEP header: FILE_NAME's name and originating system, FILE_DESCRIPTION's text."""

    name: str
    system: str
    description: str


@dataclass(frozen=True, eq=False)
class XPart:
    """A solid definition: ``shape`` in its local coordinates (mm), a name, an sRGB colour with alpha (0-1) and
    optionally its material."""

    name: str
    shape: cq.Shape
    rgba: tuple[float, float, float, float]
    material: XMaterial | None = None


@dataclass(frozen=True, eq=False)
class XAssembly:
    """An assembly definition: components ``(definition, 4x4 placement, instance name)``."""

    name: str
    components: list[tuple[XPart | XAssembly, np.ndarray, str]] = field(default_factory=list)


def _new_document() -> TDocStd_Document:
    app = XCAFApp_Application.GetApplication_s()
    BinXCAFDrivers.DefineFormat_s(app)
    doc = TDocStd_Document(TCollection_ExtendedString("BinXCAF"))
    app.InitDocument(doc)
    return doc


def _name(label: TDF_Label, name: str) -> None:
    TDataStd_Name.Set_s(label, TCollection_ExtendedString(name))


def _label_name(label: TDF_Label) -> str:
    attr = TDataStd_Name()
    if label.FindAttribute(TDataStd_Name.GetID_s(), attr):
        return attr.Get().ToExtString()
    return ""


DENSITY_UNIT = "g/cm^3"


def write_step(root: XAssembly, path: str, timestamp: str | None = None, header: XHeader | None = None,
               ap242: bool = False, copies: bool = True, instances: bool = True) -> None:
    """Write the assembly tree ``root`` to ``path`` as STEP in mm (AP214, or AP242 with ``ap242``); each definition
    once.

    ``timestamp`` (ISO 8601 text, e.g. ``2026-01-01T00:00:00``) is written in the header's FILE_NAME instead of the
    current time, so that the same tree gives the same bytes on every run. ``header`` replaces OCCT's placeholder
    header values ('Open CASCADE Shape Model', 'Author', 'Unknown').

    With ``copies``, a solid made mostly of located copies of prototype faces (the holed first encapsulant) is
    written by :mod:`geometry.core.occ_step_copies`: OCCT transfers the rest of it and each prototype group once,
    the copies' entities are added as text (the same entities; fc-production's STEP phase 10 instead of 30 CPU s,
    benchmarks/bench_encapsulant.py); when OCCT's entities cannot be found for that, or the added text fails its
    checks (:func:`geometry.core.occ_step_copies.splice`), the file is written by OCCT alone, with a
    RuntimeWarning.

    With ``instances``, an assembly of many translated components (an array body;
    :func:`geometry.core.occ_step_instances.runs`) is written by OCCT with the first component of each run of one
    definition, the others added as text by :func:`geometry.core.occ_step_instances.splice` (the same entities;
    fc-production's STEP phase 4.5 instead of 9.8 CPU s, fc-100k's 12.5 instead of 40.8, benchmarks/bench_build.py);
    when the added text fails its checks, the file is written with every component through OCCT, with a
    RuntimeWarning."""
    Interface_Static.SetCVal_s("xstep.cascade.unit", "MM")
    Interface_Static.SetCVal_s("write.step.unit", "MM")
    splits: list[occ_step_copies.Split] = []
    instanced: list[tuple[list[occ_step_instances.Run], list[str], list]] = []
    doc = _new_document()
    tool = XCAFDoc_DocumentTool.ShapeTool_s(doc.Main())
    colors = XCAFDoc_DocumentTool.ColorTool_s(doc.Main())
    materials = XCAFDoc_DocumentTool.MaterialTool_s(doc.Main())
    XCAFDoc_ShapeTool.SetAutoNaming_s(False)
    labels: dict[int, TDF_Label] = {}
    material_labels: dict[XMaterial, TDF_Label] = {}

    def material_label(m: XMaterial) -> TDF_Label:
        if m not in material_labels:
            material_labels[m] = materials.AddMaterial(
                TCollection_HAsciiString(m.name), TCollection_HAsciiString(m.description), m.density,
                TCollection_HAsciiString("density"), TCollection_HAsciiString(DENSITY_UNIT))
        return material_labels[m]

    def define(node: XPart | XAssembly) -> TDF_Label:
        if id(node) in labels:
            return labels[id(node)]
        if isinstance(node, XPart):
            shape = node.shape.wrapped
            split = occ_step_copies.prepared(shape) if copies else None
            if split is not None:
                splits.append(split)
                shape = split.placeholder
            label = tool.AddShape(shape, False, False)
            r, g, b, a = node.rgba
            colors.SetColor(label, Quantity_ColorRGBA(Quantity_Color(r, g, b, Quantity_TOC_sRGB), a),
                            XCAFDoc_ColorType.XCAFDoc_ColorSurf)
            if node.material is not None:
                materials.SetMaterial(label, material_label(node.material))
        else:
            label = tool.NewShape()
            runs = occ_step_instances.runs(node.components) if instances else None
            if runs is None:
                for child, placement, instance in node.components:
                    comp = tool.AddComponent(label, define(child), top_location(placement))
                    _name(comp, instance)
            else:
                firsts = [node.components[run.first] for run in runs]
                for r, (child, placement, _) in enumerate(firsts):
                    comp = tool.AddComponent(label, define(child), top_location(placement))
                    _name(comp, occ_step_instances.tag(len(instanced), r))
                instanced.append((runs, [n for _, _, n in firsts],
                                  [occ_step_instances.translation(m) for _, m, _ in firsts]))
        _name(label, node.name)
        labels[id(node)] = label
        return label

    define(root)
    tool.UpdateAssemblies()
    writer = STEPCAFControl_Writer()
    # no pcurves (module docstring) and the schema: set once the writer, which initialises the STEP statics, is made
    Interface_Static.SetIVal_s("write.surfacecurve.mode", 0)
    Interface_Static.SetCVal_s("write.step.schema", "AP242DIS" if ap242 else "AP214IS")
    writer.SetColorMode(True)
    writer.SetNameMode(True)
    writer.SetMaterialMode(True)
    if not writer.Transfer(doc, STEPControl_AsIs):
        raise KernelError(f"OCCT STEP writer failed for {path}")
    finder = writer.ChangeWriter().WS().TransferWriter().FinderProcess()
    if not all(occ_step_copies.tag_split(finder, split, i) for i, split in enumerate(splits)):
        return _fallback(root, path, "copies", "face", "OCCT's entities of a solid were not found",
                         timestamp=timestamp, header=header, ap242=ap242, copies=False, instances=instances)
    made = APIHeaderSection_MakeHeader(writer.ChangeWriter().Model())
    if timestamp is not None:
        made.SetTimeStamp(TCollection_HAsciiString(timestamp))
    if header is not None:
        made.SetName(TCollection_HAsciiString(header.name))
        made.SetAuthorValue(1, TCollection_HAsciiString(""))
        made.SetOrganizationValue(1, TCollection_HAsciiString(""))
        made.SetOriginatingSystem(TCollection_HAsciiString(header.system))
        made.SetAuthorisation(TCollection_HAsciiString(""))
        made.SetDescriptionValue(1, TCollection_HAsciiString(header.description))
    stream = io.BytesIO()
    if writer.WriteStream(stream) != IFSelect_RetDone:
        raise KernelError(f"OCCT STEP writer failed for {path}")
    text = canonical_styles(stream.getvalue().decode("latin-1"))
    if splits:
        try:
            text = occ_step_copies.splice(text, splits)
        except KernelError as e:
            return _fallback(root, path, "copies", "face", str(e), timestamp=timestamp, header=header, ap242=ap242,
                             copies=False, instances=instances)
    if instanced:
        try:
            text = occ_step_instances.splice(text, instanced)
        except KernelError as e:
            return _fallback(root, path, "components", "component", str(e), timestamp=timestamp, header=header,
                             ap242=ap242, copies=copies, instances=False)
    text = _NAUO_ID.sub(_numbered_ids(), text)
    with open(path, "w", encoding="latin-1", newline="") as fh:
        fh.write(text)


def _fallback(root: XAssembly, path: str, what: str, each: str, why: str, **options) -> None:
    """:func:`write_step` again with ``options`` (copies or instances off), after a RuntimeWarning saying that the
    ``what`` were not written as text and ``why``."""
    warnings.warn(f"STEP {what} not written as text ({why}); OCCT writes every {each} of {path}", RuntimeWarning,
                  stacklevel=3)
    write_step(root, path, **options)


_NAUO_ID = re.compile(r"(NEXT_ASSEMBLY_USAGE_OCCURRENCE\(')(\d+)('[^;]*;)")
_WRAP = re.compile(r"\n +")


def _numbered_ids():
    """A substitution giving the assembly usages ids 1, 2, 3... in file order, each on one line: OCCT takes them
    from a counter that runs on across the files written by one process (and wraps lines by their length)."""
    count = iter(range(1, 1 << 62))
    return lambda m: _WRAP.sub("", f"{m[1]}{next(count)}{m[3]}")


_ENTITY = re.compile(r"^#(\d+) = ", re.MULTILINE)
_REF = re.compile(r"#(\d+)")
_STYLES = "MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION("
_FIRST_STYLE = re.compile(r"^#\d+ = " + re.escape(_STYLES), re.MULTILINE)
_HEAD_REF = re.compile(r"(?<!^)#(\d+)", re.MULTILINE)


def canonical_styles(text: str) -> str:
    """The STEP file ``text`` with its colour styles in a canonical order.

    OCCT writes the styles of assembly components last, in the order of a map hashed by memory address, so two runs
    of the same tree give files that differ in that order and its entity numbers. This renumbers that tail (from the
    first MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION on) within the same numbers: roots sorted by their
    fully expanded content, entities numbered depth first from them, each on one line. ``text`` is returned as is when it does not
    have that layout (something before the tail refers into it, or an entity of the tail is not reached)."""
    start, end = text.find("\nDATA;\n"), text.rfind("\nENDSEC;")
    if start < 0 or end < start:
        return text
    data = text[start + 7:end + 1]
    found = _FIRST_STYLE.search(data)
    if not _ENTITY.match(data) or found is None:
        return text
    head, tail = data[:found.start()], data[found.start():]
    cuts = [m.start() for m in _ENTITY.finditer(tail)]
    entities = [tail[a:b] for a, b in zip(cuts, cuts[1:] + [len(tail)])]
    body = {int(_ENTITY.match(e)[1]): e.split(" = ", 1)[1] for e in entities}
    keys = np.fromiter(body, dtype=np.int64, count=len(body))
    if np.isin(np.array(_HEAD_REF.findall(head) or [0], dtype=np.int64), keys).any():
        return text
    refs = {k: [int(r) for r in _REF.findall(v) if int(r) in body] for k, v in body.items()}
    memo: dict[int, str] = {}

    def expanded(k: int, seen: frozenset = frozenset()) -> str:
        if k not in memo:
            if k in seen:
                return "<cycle>"
            inner = seen | {k}
            memo[k] = _REF.sub(lambda m: "{" + expanded(int(m[1]), inner) + "}" if int(m[1]) in body else m[0],
                               body[k])
        return memo[k]

    roots = sorted((k for k, v in body.items() if v.startswith(_STYLES)), key=expanded)
    order: list[int] = []
    placed: set[int] = set()
    for root in roots:
        stack = [root]
        while stack:
            k = stack.pop()
            if k in placed:
                continue
            placed.add(k)
            order.append(k)
            stack.extend(reversed(refs[k]))
    if len(order) != len(body):
        return text
    new = dict(zip(order, sorted(body)))

    def renumbered(v: str) -> str:
        return _REF.sub(lambda m: f"#{new[int(m[1])]}" if int(m[1]) in new else m[0], v)

    return text[:start + 7] + head + "".join(f"#{new[k]} = {_WRAP.sub('', renumbered(body[k]))}" for k in order) \
        + text[end + 1:]


def read_step(path: str) -> dict[str, tuple[int, float]]:
    """Per top-level component of the STEP assembly at ``path``: (number of solids, total volume in mm3)."""
    reader = STEPCAFControl_Reader()
    reader.SetNameMode(True)
    reader.SetColorMode(True)
    if reader.ReadFile(path) != IFSelect_RetDone:
        raise KernelError(f"OCCT STEP reader cannot read {path}")
    doc = _new_document()
    if not reader.Transfer(doc):
        raise KernelError(f"OCCT STEP reader cannot transfer {path}")
    tool = XCAFDoc_DocumentTool.ShapeTool_s(doc.Main())
    cache: dict[str, tuple[int, float]] = {}

    def measure(label: TDF_Label) -> tuple[int, float]:
        entry = TCollection_AsciiString()
        TDF_Tool.Entry_s(label, entry)
        key = entry.ToCString()
        if key in cache:
            return cache[key]
        if XCAFDoc_ShapeTool.IsAssembly_s(label):
            count, vol = 0, 0.0
            comps = TDF_LabelSequence()
            XCAFDoc_ShapeTool.GetComponents_s(label, comps, False)
            for i in range(1, comps.Length() + 1):
                ref = TDF_Label()
                XCAFDoc_ShapeTool.GetReferredShape_s(comps.Value(i), ref)
                c, v = measure(ref)
                count, vol = count + c, vol + v
        else:
            shape = XCAFDoc_ShapeTool.GetShape_s(label)
            count, vol = 0, 0.0
            exp = TopExp_Explorer(shape, TopAbs_SOLID)
            while exp.More():
                props = GProp_GProps()
                BRepGProp.VolumeProperties_s(exp.Current(), props)
                count, vol = count + 1, vol + props.Mass()
                exp.Next()
        cache[key] = (count, vol)
        return cache[key]

    roots = TDF_LabelSequence()
    tool.GetFreeShapes(roots)
    out: dict[str, tuple[int, float]] = {}
    for i in range(1, roots.Length() + 1):
        root = roots.Value(i)
        comps = TDF_LabelSequence()
        XCAFDoc_ShapeTool.GetComponents_s(root, comps, False)
        for j in range(1, comps.Length() + 1):
            comp = comps.Value(j)
            ref = TDF_Label()
            XCAFDoc_ShapeTool.GetReferredShape_s(comp, ref)
            name = _label_name(ref) or _label_name(comp)
            c, v = measure(ref)
            prev = out.get(name, (0, 0.0))
            out[name] = (prev[0] + c, prev[1] + v)
    return out
