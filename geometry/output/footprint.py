"""The KiCad footprint of a BGA from its ball map: one IPC-7351B land per ball, named by its JEDEC ball name, with
courtyard, fabrication and silkscreen outlines and the package's STEP model.

File format: KiCad 8 footprint library file (``.kicad_mod``, s-expression ``(footprint "NAME" (version 20240108)
(generator "pkgcad") ...)``, as documented at dev-docs.kicad.org/en/file-formats/sexpr-footprint). The functions are
pure: :func:`design_footprint` reads a build, :func:`bga_footprint` returns the text; ``pkgcad footprint`` writes it.

Coordinates: the ball centres come in package coordinates (mm, seen from the top, x right, y up), the frame the
package STEP is written in. A footprint is drawn seen from the board's top with KiCad's y axis pointing down, so a
ball at (x, y) gets a pad at (x, -y). KiCad places a footprint's 3D model at world (x + ox, y + oy, z + oz) for a
model point (x, y, z) and offset (ox, oy, oz) in mm, with world y = -(footprint y) and world z = 0 on the board
surface (KiCad 3D viewer, ``RENDER_3D_OPENGL::get3dModelsFromFootprint``: the footprint at (pos.x, -pos.y, zpos),
then ``translate(offset)``, rotations and scale; ``FP_3DMODEL::m_Offset`` is in mm). So the model needs no x, y
offset, and ``oz`` = minus the seating-plane z of the STEP (:func:`design_footprint`: z = 0 of a pkgcad STEP is the
substrate's ball-side surface, the lowest ball apex at z = -A1), which puts the balls on the board.

Lands (:func:`ipc7351b_land_diameter`): the IPC-7351B BGA land approximation table for collapsing (eutectic or
SAC) balls, which reduces the nominal ball diameter by a percentage set by the ball size: 15 % for 0.15-0.20 mm
balls, 20 % for 0.25-0.50 mm, 25 % for 0.55-0.75 mm, each row with its nominal land and a land variation of
+/- 0.05 mm (the 0.1 mm manufacturing allowance between maximum and least material condition). The standard itself
was not available here, so its table number is not cited; the rows come from these reproductions of it: the
table as reproduced on mokotechnology.com ("How can I determine BGA land pad diameter for given ball diameter?":
0.15, 0.20 mm 15 %; 0.25, 0.30, 0.35 mm 20 %; 0.55 mm 25 %, with lands 0.13, 0.17, 0.20, 0.25, 0.30, 0.40 mm), an
SMTnet forum answer citing IPC-7095 (0.75 mm 25 % land 0.55, variation 0.60-0.50; 0.60 mm 25 % land 0.45,
0.50-0.40; 0.50 mm 20 % land 0.40, 0.45-0.35), PCB Libraries' collapsing-ball table (forum, Tom H., 2022) and the
percentage table of Autodesk's IPC-7351B package generator (``ipc_rules.py``), which all agree. The lands of the
0.17, 0.40, 0.45 and 0.65 mm rows (0.15, 0.30, 0.35, 0.50 mm) were not found in a source read here: they are
ball x (1 - reduction) rounded to 0.05 mm, the rounding every confirmed row from 0.25 mm up follows (an
assumption). A ball between rows takes the row below it (PCB Libraries forum, Tom H., 2025: "the new ball size will
take the lower values"; Autodesk's generator likewise); its land is then ball x (1 - reduction) rounded to 0.01
mm, which no table gives. The pad is the NOMINAL land; PCB Libraries' calculator uses the maximum of the land
variation instead (forum, Tom H., 2015: IPC-7351 "prefers the Maximum Material Condition for all BGA land sizes"),
which is ``BgaLand.land_max``: give it as ``BgaFootprint.land_diameter`` for that choice.

Mask and paste: non-solder-mask-defined (NSMD) lands, the mask opening ``mask_margin`` = 0.05 mm larger than the
land all round (the common published land-to-mask clearance, e.g. Rabbit 3000 manual table 5-3 "Land to Mask
Clearance (min.) 0.050", and KiCad library BGA footprints such as UFBGA-201; not an IPC-7351B table value); paste
the size of the land.

Courtyard: IPC-7351B courtyard excess for BGA 2.0 / 1.0 / 0.5 mm at the most / nominal / least density level
(Autodesk's generator table, ``curtyardExcessMaxMedMin`` 2000/1000/500 um; the KiCad library convention's 1 mm for
BGA is the nominal one), around the body and the lands, rounded out to 0.01 mm. Fabrication and silkscreen follow
the KiCad library convention: fab outline 0.1 mm wide with the A1 corner chamfered by min(1 mm, a quarter of the
shorter side); silkscreen 0.12 mm wide, 0.11 mm outside the body, and a filled A1 triangle outside the A1 corner.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy.spatial import cKDTree

from geometry.core.jedec import parse_name

from .folder import design_files

if TYPE_CHECKING:
    from geometry.core.flow import Build

FORMAT_VERSION = 20240108
"""The KiCad 8 footprint file format version written."""
GENERATOR = "pkgcad"

IPC7351B_COLLAPSING_BALL: tuple[tuple[float, float, float], ...] = (
    (0.15, 0.15, 0.13),
    (0.17, 0.15, 0.15),
    (0.20, 0.15, 0.17),
    (0.25, 0.20, 0.20),
    (0.30, 0.20, 0.25),
    (0.35, 0.20, 0.30),
    (0.40, 0.20, 0.30),
    (0.45, 0.20, 0.35),
    (0.50, 0.20, 0.40),
    (0.55, 0.25, 0.40),
    (0.60, 0.25, 0.45),
    (0.65, 0.25, 0.50),
    (0.75, 0.25, 0.55),
)
"""IPC-7351B collapsing-ball BGA lands: (nominal ball diameter mm, land reduction, nominal land diameter mm); see
the module docstring for the sources and the four lands assumed."""

LAND_VARIATION = 0.05
"""IPC-7351B land variation (mm) either side of the nominal land: 0.1 mm between maximum and least material."""

Density = Literal["most", "nominal", "least"]
IPC7351B_BGA_COURTYARD_EXCESS: dict[str, float] = {"most": 2.0, "nominal": 1.0, "least": 0.5}
"""IPC-7351B BGA courtyard excess (mm) by density level."""

NSMD_MASK_MARGIN = 0.05
"""Mask opening beyond the land, all round (mm), for NSMD lands."""
FAB_WIDTH, SILK_WIDTH, COURTYARD_WIDTH = 0.10, 0.12, 0.05
SILK_OFFSET = 0.11
"""Silkscreen line centre outside the body (mm)."""
_ROW_MATCH = 5e-4


@dataclass(frozen=True)
class BgaLand:
    """The IPC-7351B land of one ball size (mm); ``tabulated``: the ball is a row of the table (else the row
    below gave the reduction)."""

    ball_diameter: float
    reduction: float
    land_diameter: float
    tabulated: bool

    @property
    def land_min(self) -> float:
        """Least material condition of the land (mm): nominal less the 0.05 mm land variation."""
        return round(self.land_diameter - LAND_VARIATION, 6)

    @property
    def land_max(self) -> float:
        """Maximum material condition of the land (mm): nominal plus the 0.05 mm land variation."""
        return round(self.land_diameter + LAND_VARIATION, 6)


def ipc7351b_land_diameter(ball_diameter: float) -> BgaLand:
    """IPC-7351B land (mm) of a collapsing BGA ball of nominal ``ball_diameter`` (mm), 0.15 to 0.75 mm."""
    d = ball_diameter
    lo, hi = IPC7351B_COLLAPSING_BALL[0][0], IPC7351B_COLLAPSING_BALL[-1][0]
    if isinstance(d, bool) or not isinstance(d, (int, float)) or not math.isfinite(d):
        raise ValueError(f"ball diameter {d!r} must be a number of mm")
    if not lo - _ROW_MATCH <= d <= hi + _ROW_MATCH:
        raise ValueError(f"ball diameter {d:g} mm is outside the IPC-7351B collapsing-ball table ({lo:g} to "
                         f"{hi:g} mm): give the land diameter from the package maker's drawing instead")
    for ball, reduction, land in reversed(IPC7351B_COLLAPSING_BALL):
        if abs(d - ball) <= _ROW_MATCH:
            return BgaLand(float(d), reduction, land, True)
        if d > ball:
            return BgaLand(float(d), reduction, round(d * (1 - reduction), 2), False)
    raise AssertionError("unreachable: the range check covers the table")


@dataclass(frozen=True, eq=False)
class BgaFootprint:
    """What a BGA footprint is built from (lengths in mm).

    ``centres``: (N, 2) ball centres in package coordinates (seen from the top, y up, centred on the body);
    ``ball_names``: their JEDEC names (pad numbers), one each; ``pitch_x``, ``pitch_y``: ball pitch along x and y;
    ``ball_diameter``: nominal ball diameter; ``body_x``, ``body_y``: body size along x and y (the drawing's D and
    E, whichever lies along x); ``model_path``: the 3D model as KiCad should find it, e.g.
    ``${KIPRJMOD}/design.step``; ``model_offset``: its offset (mm, KiCad's 3D frame); ``land_diameter``: the
    maker's land, or None for IPC-7351B; ``density``: IPC-7351B level, which sets the courtyard excess."""

    name: str
    centres: np.ndarray
    ball_names: tuple[str, ...]
    pitch_x: float
    pitch_y: float
    ball_diameter: float
    body_x: float
    body_y: float
    model_path: str
    model_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    land_diameter: float | None = None
    mask_margin: float = NSMD_MASK_MARGIN
    density: Density = "nominal"
    description: str = ""


def _num(v: float) -> str:
    """A length as KiCad writes it: fixed point, at most 6 decimals, no trailing zeros, no '-0'."""
    s = f"{float(v):.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _positive(what: str, v: float) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise ValueError(f"{what} {v!r} must be a positive number of mm")


def _validate(fp: BgaFootprint, centres: np.ndarray) -> None:
    if not fp.name or re.search(r'[\x00-\x1f"\\/:]', fp.name):
        raise ValueError(f"footprint name {fp.name!r} must be non-empty, without quotes, backslashes, '/', ':' "
                         f"or control characters (KiCad library names)")
    if not fp.model_path or re.search(r'[\x00-\x1f"]', fp.model_path):
        raise ValueError(f"model path {fp.model_path!r} must be non-empty, without quotes or control characters")
    for what in ("pitch_x", "pitch_y", "ball_diameter", "body_x", "body_y"):
        _positive(what, getattr(fp, what))
    if fp.land_diameter is not None:
        _positive("land_diameter", fp.land_diameter)
    if isinstance(fp.mask_margin, bool) or not math.isfinite(fp.mask_margin) or fp.mask_margin < 0:
        raise ValueError(f"mask_margin {fp.mask_margin!r} must be a number of mm, at least 0")
    if fp.density not in IPC7351B_BGA_COURTYARD_EXCESS:
        raise ValueError(f"density {fp.density!r} must be one of {', '.join(IPC7351B_BGA_COURTYARD_EXCESS)}")
    if len(fp.model_offset) != 3 or not all(math.isfinite(v) for v in fp.model_offset):
        raise ValueError(f"model offset {fp.model_offset!r} must be three finite numbers (mm)")
    if centres.ndim != 2 or centres.shape[1] != 2 or len(centres) == 0 or not np.all(np.isfinite(centres)):
        raise ValueError(f"centres of shape {centres.shape} must be (N, 2) finite mm with N >= 1")
    if len(fp.ball_names) != len(centres):
        raise ValueError(f"{len(fp.ball_names)} ball names for {len(centres)} centres: give one name per ball")
    if len(set(fp.ball_names)) != len(fp.ball_names):
        dup = next(n for n in fp.ball_names if fp.ball_names.count(n) > 1)
        raise ValueError(f"ball name {dup!r} is given twice: pad numbers must be unique")
    outside = (np.abs(centres[:, 0]) > fp.body_x / 2) | (np.abs(centres[:, 1]) > fp.body_y / 2)
    if np.any(outside):
        i = int(np.argmax(outside))
        raise ValueError(f"ball {fp.ball_names[i]} at ({centres[i, 0]:g}, {centres[i, 1]:g}) mm lies outside the "
                         f"{fp.body_x:g} x {fp.body_y:g} mm body: centres must be centred on the body")


def _land(fp: BgaFootprint, centres: np.ndarray) -> float:
    land = fp.land_diameter
    if land is None:
        land = ipc7351b_land_diameter(fp.ball_diameter).land_diameter
    if len(centres) > 1:
        gap, _ = cKDTree(centres).query(centres, k=2)
        nearest = float(gap[:, 1].min())
        if nearest <= land + 2 * fp.mask_margin:
            raise ValueError(f"lands of {land:g} mm with {fp.mask_margin:g} mm mask margin overlap at the nearest "
                             f"ball spacing of {nearest:g} mm")
    return land


def _a1_corner(centre: np.ndarray) -> tuple[float, float]:
    """Signs (sx, sy), in package coordinates, of the body corner on the side of the first ball's ``centre``."""
    return (1.0 if centre[0] >= 0 else -1.0), (1.0 if centre[1] >= 0 else -1.0)


class _Writer:
    """Collects the footprint's items, each with a uuid derived from the footprint name and its position."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[str] = []

    def uid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pkgcad:footprint:{self.name}:{len(self.items)}"))

    def add(self, body: str) -> None:
        self.items.append(body.replace("$UUID", _quote(self.uid())))

    def text(self, kind: str, value: str, x: float, y: float, layer: str, size: float) -> None:
        head = f"(property {_quote(kind)} {_quote(value)}" if kind != "user" else f"(fp_text user {_quote(value)}"
        self.add(f"{head} (at {_num(x)} {_num(y)} 0) (layer {_quote(layer)}) (uuid $UUID) "
                 f"(effects (font (size {_num(size)} {_num(size)}) (thickness {_num(0.15 * size)}))))")

    def rect(self, x0: float, y0: float, x1: float, y1: float, layer: str, width: float) -> None:
        self.add(f"(fp_rect (start {_num(x0)} {_num(y0)}) (end {_num(x1)} {_num(y1)}) "
                 f"(stroke (width {_num(width)}) (type solid)) (fill none) (layer {_quote(layer)}) (uuid $UUID))")

    def poly(self, pts: list[tuple[float, float]], layer: str, width: float, fill: bool) -> None:
        xy = " ".join(f"(xy {_num(x)} {_num(y)})" for x, y in pts)
        self.add(f"(fp_poly (pts {xy}) (stroke (width {_num(width)}) (type solid)) "
                 f"(fill {'solid' if fill else 'none'}) (layer {_quote(layer)}) (uuid $UUID))")


def _courtyard_half(body: float, along: np.ndarray, land: float, excess: float) -> float:
    """Half size (mm) of the courtyard along one axis: body and lands plus ``excess``, rounded out to 0.01 mm."""
    reach = max(body / 2, float(np.abs(along).max()) + land / 2) + excess
    return math.ceil(reach * 100 - 1e-6) / 100


def _chamfered_body(bx: float, by: float, sx: float, sy: float, ch: float) -> list[tuple[float, float]]:
    """The body outline (half sizes ``bx``, ``by``) with the corner on the side (``sx``, ``sy``) cut by ``ch``."""
    out: list[tuple[float, float]] = []
    for k, (x, y) in enumerate([(-bx, -by), (bx, -by), (bx, by), (-bx, by)]):
        if x * sx < 0 or y * sy < 0:
            out.append((x, y))
            continue
        along_y, along_x = (x, y - sy * ch), (x - sx * ch, y)
        out += [along_y, along_x] if k % 2 == 0 else [along_x, along_y]
    return out


def _outlines(w: _Writer, fp: BgaFootprint, corner: tuple[float, float], half: tuple[float, float]) -> None:
    """Courtyard, fabrication outline with the A1 chamfer, silkscreen outline and A1 marker (KiCad y down)."""
    bx, by = fp.body_x / 2, fp.body_y / 2
    w.rect(-half[0], -half[1], half[0], half[1], "F.CrtYd", COURTYARD_WIDTH)
    sx, sy = corner[0], -corner[1]
    w.poly(_chamfered_body(bx, by, sx, sy, min(1.0, min(fp.body_x, fp.body_y) / 4)), "F.Fab", FAB_WIDTH, fill=False)
    ox, oy = bx + SILK_OFFSET, by + SILK_OFFSET
    w.rect(-ox, -oy, ox, oy, "F.SilkS", SILK_WIDTH)
    gap, size = 0.25, 0.6
    cx, cy = sx * (ox + gap), sy * (oy + gap)
    w.poly([(cx, cy), (cx + sx * size, cy), (cx, cy + sy * size)], "F.SilkS", SILK_WIDTH, fill=True)


def bga_footprint(fp: BgaFootprint) -> str:
    """The ``.kicad_mod`` text (KiCad 8 format) of the BGA ``fp``: SMD circular pads on F.Cu, F.Paste and F.Mask
    named by JEDEC ball name, IPC-7351B lands (unless ``fp.land_diameter`` is given), NSMD mask margin, courtyard,
    fabrication and silkscreen outlines with A1 markers, reference and value texts and the 3D model."""
    centres = np.asarray(fp.centres, dtype=float)
    _validate(fp, centres)
    order = sorted(range(len(centres)), key=lambda i: parse_name(fp.ball_names[i]))
    land = _land(fp, centres)
    excess = IPC7351B_BGA_COURTYARD_EXCESS[fp.density]
    half = (_courtyard_half(fp.body_x, centres[:, 0], land, excess),
            _courtyard_half(fp.body_y, centres[:, 1], land, excess))
    w = _Writer(fp.name)
    text = min(1.0, max(0.25, min(fp.body_x, fp.body_y) / 5))
    w.text("Reference", "REF**", 0, -(half[1] + 0.8), "F.SilkS", 1.0)
    w.text("Value", fp.name, 0, half[1] + 0.8, "F.Fab", 1.0)
    _outlines(w, fp, _a1_corner(centres[order[0]]), half)
    w.text("user", "${REFERENCE}", 0, 0, "F.Fab", text)
    for i in order:
        x, y = centres[i]
        w.add(f"(pad {_quote(fp.ball_names[i])} smd circle (at {_num(x)} {_num(-y)}) (size {_num(land)} "
              f"{_num(land)}) (property pad_prop_bga) (layers \"F.Cu\" \"F.Paste\" \"F.Mask\") "
              f"(solder_mask_margin {_num(fp.mask_margin)}) (uuid $UUID))")
    ox, oy, oz = fp.model_offset
    w.items.append(f"(model {_quote(fp.model_path)} (offset (xyz {_num(ox)} {_num(oy)} {_num(oz)})) "
                   f"(scale (xyz 1 1 1)) (rotate (xyz 0 0 0)))")
    descr = fp.description or (f"BGA-{len(centres)}, body {_num(fp.body_x)} x {_num(fp.body_y)} mm, pitch "
                               f"{_num(fp.pitch_x)} x {_num(fp.pitch_y)} mm, ball {_num(fp.ball_diameter)} mm, "
                               f"land {_num(land)} mm NSMD "
                               f"({'IPC-7351B' if fp.land_diameter is None else 'given'})")
    head = [f"(footprint {_quote(fp.name)}", f"(version {FORMAT_VERSION})", f"(generator {_quote(GENERATOR)})",
            '(layer "F.Cu")', f"(descr {_quote(descr)})", f'(tags "BGA {len(centres)} {_num(fp.pitch_x)}")']
    return "\n\t".join(head + w.items[:2] + ["(attr smd)"] + w.items[2:]) + "\n)\n"


MODEL_DIR = "${KIPRJMOD}"
"""KiCad's path variable of the project folder, where the model reference looks for the package STEP."""


def model_path(name: str) -> str:
    """The 3D model reference of design ``name``: ``${KIPRJMOD}/<name>.step``, the design's package STEP copied
    beside the KiCad project (the file name the design folder gives it, :func:`~geometry.output.folder.design_files`)."""
    return f"{MODEL_DIR}/{design_files(name)['.step']}"


def design_footprint(build: Build, density: Density = "nominal", land_diameter: float | None = None) -> BgaFootprint:
    """The footprint of a built BGA package (lengths in mm): one pad per ball of the flow's ball map (JEDEC names and
    centres, depopulated sites left out), pitch from the flow's outline, body from the ball map's substrate
    outline, and the model offset that puts the STEP's seating plane (the lowest ball apex, the outline's overall
    height A below the package top) on the board; ``land_diameter`` (mm) replaces the IPC-7351B land. ValueError
    for a flow without a ball grid."""
    views, outline = build.flow.views, build.flow.outline
    if views.ball_map is None or outline is None:
        raise ValueError(f"the {build.flow.name} flow has no ball grid: no footprint")
    balls, o = views.ball_map(build.design), outline(build)
    seat = float(build.stack.bounds()[5]) - o.A
    name = build.design.name
    return BgaFootprint(name=name, centres=balls.centres, ball_names=balls.names, pitch_x=o.e_x, pitch_y=o.e_y,
                        ball_diameter=balls.diameter, body_x=balls.body[0], body_y=balls.body[1],
                        model_path=model_path(name), model_offset=(0.0, 0.0, round(-seat, 9)),
                        land_diameter=land_diameter, density=density)
