"""Elements of a first-order thermal resistance network (K/W), read from built bodies.

This is a first-order estimate, not a sign-off analysis. Each element is a one-dimensional conduction resistance
R = t / (k A) (t in mm, A in mm2, k in W/(m.K); R = 1000 t / (k A) K/W), combined in series and parallel. Every
thickness and area comes from the built stack (body bounds, prototype volumes, instance counts); conductivities
come from :data:`geometry.core.materials.MATERIALS` with their public sources. Each flow builds its own network
from these elements in its ``thermal`` module and states its paths there.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cadquery as cq

from ..core import occ
from ..core.materials import material
from ..core.stack import Body

ASSUMPTIONS = (
    "Assumptions: steady state, uniform heat flux over the junction face, isothermal top, board and junction; no "
    "lateral spreading in the layers except where named (the heat-sink plate and the slug are isothermal across "
    "their footprint, the flip-chip substrate spreads from the chip at atan(sqrt(kxy / kz)), the radial substrate "
    "term of the cavity); array members in parallel, each with its mean cross-section (volume over height: exact "
    "for discs and prisms, approximate for bumps and balls); the substrate laminate holds the recipe's solid copper "
    "planes (parallel rule in-plane, series through) and no thermal vias; the standoff under a cavity slug is the "
    "recipe's choice (air, paste or solder); the bond wires, the heat-sink legs, the first encapsulant beside the "
    "bumps (the chip face meets it only through its pads), the gap fill beside a smaller die and convection or "
    "radiation are left out; contact resistances are zero. How the heat splits between top and board comes only "
    "from the 3D solve (thermal.solve, pkgcad thermal).")
"""What every first-order network here assumes (the report prints it)."""


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
    """The network's elements per path and the two resistances (K/W); with ``solved``, the 3D figures."""

    elements: tuple[Element, ...]
    theta_jtop: float
    theta_jboard: float
    assumptions: str = ASSUMPTIONS
    solved: dict | None = None
    """The 3D solve's summary (:meth:`geometry.thermal.jedec.Figures.summary`) when the recipe asks for it."""
    temperature: object | None = None
    """With ``solved``, the still-air temperature field for the pictures
    (:class:`geometry.thermal.jedec.TemperatureMap`)."""

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


def series(elements: Sequence[Element]) -> float:
    return sum(e.r for e in elements)


def parallel(*rs: float) -> float:
    g = sum(1 / r for r in rs if math.isfinite(r) and r > 0)
    return 1 / g if g else math.inf
