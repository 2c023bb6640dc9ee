"""First-order thermal resistance network of a built package (K/W), read from the built bodies.

This is a first-order estimate, not a sign-off analysis. Each element is a one-dimensional conduction resistance
R = t / (k A) (t in mm, A in mm2, k in W/(m.K); R = 1000 t / (k A) K/W), combined in series and parallel. Every
thickness and area comes from the built stack (body bounds, prototype volumes, instance counts); conductivities
come from :data:`geometry.materials.MATERIALS` with their public sources.

Two paths leave the junction:

* ``theta_jtop``: junction to the package top surface. Flip-chip (junction at the chip's face-down active face):
  through the chip, then the mold cover over the chip footprint (claim 6), nothing more for an exposed back
  (claim 7), or with a heat sink (claim 8) the mold gap over the chip, the copper plate and the mold cover over the
  plate's footprint. Cavity (junction at the die's top, wire-bonded face): the mold cover over the die footprint.
* ``theta_jboard``: junction to the board (the balls' seating plane). Flip-chip: chip pads, bumps and bump pads
  (each array in parallel), the substrate through its thickness over the chip footprint, ball pads and balls (all
  in parallel). Cavity: the die, its adhesive (layer by layer, areas measured by slicing the body), the heat slug,
  then two parallel branches to the board: across the standoff gap under the slug (claim 3 keeps it open; taken as
  still air), and through the slice adhesive, radially through the substrate laminate from the slug's outline to
  the nearest bottom pad, then the bottom pads and balls. Without contact between the die's adhesive and the slug
  the slug path is open and ``theta_jboard`` is infinite.

Assumptions: steady state, uniform heat flux over the junction face, isothermal top,
board and junction; no lateral spreading in the layers except where named (the heat-sink plate and the slug are
isothermal across their footprint, the radial substrate term); array members in parallel, each with its mean
cross-section (volume over height: exact for discs and prisms, approximate for bumps and balls); the substrate is
plain laminate (no copper planes or thermal vias); the bond wires, the heat-sink legs, the first encapsulant
beside the bumps (the chip face meets it only through its pads), the gap fill beside a smaller die and convection
or radiation are left out; contact resistances are zero.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cadquery as cq
import numpy as np

from . import occ
from .checks_cavity import contact
from .materials import material
from .stack import Body, Stack

AIR_CONDUCTIVITY = 0.026
"""Still air at 300 K, W/(m.K)."""
AIR_SOURCE = "CRC Handbook of Chemistry and Physics, thermal conductivity of air at 300 K (0.026)"


@dataclass(frozen=True)
class Element:
    """One conduction resistance: ``count`` parallel members of thickness ``t_mm`` and area ``area_mm2`` each
    (or a formula, named in ``note``), in material ``material`` of conductivity ``k``; ``r`` in K/W."""

    path: str
    name: str
    material: str
    k: float
    t_mm: float
    area_mm2: float
    count: int
    r: float
    note: str = ""


def slab(path: str, name: str, mat: str, t_mm: float, area_mm2: float, count: int = 1, note: str = "",
         k: float | None = None) -> Element:
    """``count`` parallel slabs: R = 1000 t / (k A count) in K/W (t mm, A mm2, k W/(m.K))."""
    k = material(mat).conductivity if k is None else k
    r = math.inf if area_mm2 <= 0 or count <= 0 else 1000.0 * t_mm / (k * area_mm2 * count)
    return Element(path, name, mat, k, t_mm, area_mm2, count, r, note)


@dataclass(frozen=True)
class Thermal:
    """The network's elements per path and the two resistances (K/W)."""

    elements: tuple[Element, ...]
    theta_jtop: float
    theta_jboard: float
    assumptions: str = __doc__ or ""

    @property
    def theta_j(self) -> float:
        """Both paths in parallel (top and board at one temperature), K/W."""
        g = sum(1 / r for r in (self.theta_jtop, self.theta_jboard) if r > 0 and math.isfinite(r))
        return 1 / g if g else math.inf

    @property
    def top_share(self) -> float:
        """Fraction of the heat leaving through the top when top and board are at one temperature."""
        gt = 0.0 if not math.isfinite(self.theta_jtop) else 1 / self.theta_jtop
        gb = 0.0 if not math.isfinite(self.theta_jboard) else 1 / self.theta_jboard
        return gt / (gt + gb) if gt + gb else math.nan

    @property
    def dominant(self) -> str:
        """``top`` or ``board``: the path with the lower resistance, which carries most of the heat."""
        return "top" if self.theta_jtop < self.theta_jboard else "board"

    def materials(self) -> list[tuple[str, float, str]]:
        """(material, conductivity W/(m.K), source) of every material in the network."""
        out = {}
        for e in self.elements:
            if e.material == "air":
                out["air"] = (AIR_CONDUCTIVITY, AIR_SOURCE)
            else:
                m = material(e.material)
                out[e.material] = (m.conductivity, m.source)
        return [(n, k, s) for n, (k, s) in out.items()]


def footprint(body: Body) -> float:
    """Area (mm2) of the xy bounds of ``body``."""
    b = body.bounds()
    return float((b[3] - b[0]) * (b[4] - b[1]))


def array(path: str, body: Body, note: str = "") -> Element:
    """All members of ``body`` in parallel, each its prototype's height and mean cross-section (volume over
    height); several prototypes add their conductances. Reported thickness and area: of the first prototype."""
    k = body.material.conductivity
    g = 0.0
    for p in body.parts:
        lb = p.local_bounds
        t = float(lb[5] - lb[2])
        a = occ.volume(p.shape) / t
        g += p.count * k * a / (1000.0 * t)
    p0 = body.parts[0]
    t0 = float(p0.local_bounds[5] - p0.local_bounds[2])
    return Element(path, body.name, body.material_name, k, t0, occ.volume(p0.shape) / t0, body.count, 1 / g,
                   note or "members in parallel, mean cross-section = volume / height")


def _levels(shapes: Sequence[cq.Shape]) -> list[float]:
    z = set()
    for s in shapes:
        for f in s.Faces():
            if f.geomType() == "PLANE" and abs(f.normalAt().z) > 1 - 1e-9:
                z.add(round(f.Center().z, 9))
    return sorted(z)


def column(path: str, body: Body, z0: float | None = None, z1: float | None = None) -> Element:
    """``body`` crossed vertically between ``z0`` and ``z1`` (default its bounds), layer by layer between its
    horizontal faces: each layer's area is the body's volume in that layer over its thickness (one boolean per
    layer), and the layers add in series. Reported area: the smallest layer's."""
    shapes = body.placed()
    b = body.bounds()
    z0 = b[2] if z0 is None else z0
    z1 = b[5] if z1 is None else z1
    levels = [z for z in _levels(shapes) if z0 < z < z1]
    zs = [z0, *levels, z1]
    k = body.material.conductivity
    r, areas = 0.0, []
    for lo, hi in itertools.pairwise(zs):
        if hi - lo <= 1e-9:
            continue
        layer = occ.box(b[0] - 1, b[1] - 1, lo, b[3] + 1, b[4] + 1, hi)
        a = sum(occ.common_volume(s, [layer]) for s in shapes) / (hi - lo)
        areas.append(a)
        r += math.inf if a <= 1e-12 else 1000.0 * (hi - lo) / (k * a)
    note = f"{len(areas)} layers in series, areas " + ", ".join(f"{a:.4g}" for a in areas) + " mm2"
    return Element(path, body.name, body.material_name, k, float(z1 - z0), min(areas) if areas else 0.0, 1, r, note)


def _sum(elements: Sequence[Element]) -> float:
    return sum(e.r for e in elements)


def _parallel(*rs: float) -> float:
    g = sum(1 / r for r in rs if math.isfinite(r) and r > 0)
    return 1 / g if g else math.inf


def flip_chip(stack: Stack) -> Thermal:
    """The flip-chip network (module doc): junction at the chip's active face."""
    chip, mold, sub = stack["chip"], stack["second_encapsulant"], stack["substrate"]
    cb, mb = chip.bounds(), mold.bounds()
    a_chip = footprint(chip)
    top = [slab("top", "chip", chip.material_name, cb[5] - cb[2], a_chip, note="chip footprint")]
    if "heat_sink" in stack:
        sink = stack["heat_sink"]
        hb = sink.bounds()
        column_box = occ.box(cb[0], cb[1], cb[5], cb[3], cb[4], hb[5])
        plate = occ.common_volume(occ.compound(sink.placed()), [column_box]) / a_chip
        top += [slab("top", "mold gap to heat sink", mold.material_name, hb[5] - plate - cb[5], a_chip,
                     note="over the chip footprint"),
                slab("top", "heat_sink plate", sink.material_name, plate, footprint(sink),
                     note="plate thickness over the chip (copper volume / chip area); isothermal plate"),
                slab("top", "mold cover over heat sink", mold.material_name, mb[5] - hb[5], footprint(sink),
                     note="over the plate footprint")]
    elif mb[5] - cb[5] > 1e-9:
        top.append(slab("top", "mold cover", mold.material_name, mb[5] - cb[5], a_chip, note="over the chip"))
    sb = sub.bounds()
    board = [array("board", stack["chip_pads"]), array("board", stack["bumps"])]
    if "substrate_pads" in stack:
        board.append(array("board", stack["substrate_pads"]))
    board += [slab("board", "substrate", sub.material_name, sb[5] - sb[2], a_chip,
                   note="through its thickness over the chip footprint"),
              array("board", stack["ball_pads"]), array("board", stack["solder_balls"])]
    return Thermal(tuple(top + board), _sum(top), _sum(board))


def cavity(stack: Stack) -> Thermal:
    """The cavity network (module doc): junction at the die's top face."""
    die, mold, slug, sub = stack["die"], stack["mold_compound"], stack["heat_slug"], stack["substrate"]
    db, mb, gb, sb = die.bounds(), mold.bounds(), slug.bounds(), sub.bounds()
    a_die = footprint(die)
    top = [slab("top", "mold cover", mold.material_name, mb[5] - db[5], a_die, note="over the die footprint")]
    board = [slab("board", "die", die.material_name, db[5] - db[2], a_die, note="die footprint")]
    glue = [stack["die_adhesive"]]
    board.append(column("board", glue[0]))
    touching = contact(stack, "die_adhesive", "heat_slug")
    if touching <= 1e-9:
        board.append(Element("board", "die_adhesive to heat_slug", "die_attach", 0.0, 0.0, 0.0, 0, math.inf,
                             "no contact: the slug path is open"))
    t_slug = float(gb[5] - gb[2])
    a_slug = slug.volume() / t_slug
    board.append(slab("board", "heat_slug", slug.material_name, t_slug, a_slug,
                      note="isothermal slug: full footprint (volume / thickness)"))
    seat = float(stack["solder_balls"].bounds()[2])
    gap = slab("board", "standoff gap under slug (air)", "air", float(gb[2] - seat), a_slug, k=AIR_CONDUCTIVITY,
               note="branch A: slug bottom to the seating plane")
    adhesive = column("board", stack["slice_adhesive"])
    pads = stack["bottom_pads"].member_bounds()
    pc = (pads[:, :2] + pads[:, 3:5]) / 2
    dx = np.maximum.reduce([gb[0] - pc[:, 0], pc[:, 0] - gb[3], np.zeros(len(pc))])
    dy = np.maximum.reduce([gb[1] - pc[:, 1], pc[:, 1] - gb[4], np.zeros(len(pc))])
    r1 = math.sqrt(footprint(slug) / math.pi)
    r2 = r1 + float(np.hypot(dx, dy).min())
    t_sub = float(sb[5] - sb[2])
    k_sub = sub.material.conductivity
    radial = Element("board", "substrate, radially slug to pads", sub.material_name, k_sub, t_sub, 0.0, 1,
                     1000.0 * math.log(r2 / r1) / (2 * math.pi * k_sub * t_sub) if r2 > r1 else 0.0,
                     f"ln(r2/r1) / (2 pi k t): r1 = {r1:.4g} mm (slug footprint as a disc), r2 = {r2:.4g} mm "
                     "(to the nearest pad centre)")
    balls = [replace(e, note="branch B: " + e.note) for e in
             (adhesive, radial, array("board", stack["bottom_pads"]), array("board", stack["solder_balls"]))]
    branches = _parallel(gap.r, _sum(balls))
    return Thermal(tuple(top + board + [gap] + balls), _sum(top), _sum(board) + branches)


NETWORKS = {"flip-chip": flip_chip, "cavity": cavity}


def estimate(build) -> Thermal:
    """The first-order network of ``build``'s finished package (module doc)."""
    return NETWORKS[build.flow](build.stack)
