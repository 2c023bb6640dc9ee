"""A built package as axis-aligned boxes for the 3D solve (:mod:`.fem`): the rules that turn bodies into boxes.

Each flow's ``thermal.box_model`` orders the boxes (later boxes override earlier ones where they overlap) with
these helpers; lengths in mm, conductivities in W/(m.K) from :data:`geometry.core.materials.MATERIALS`.

Rules (the homogenisation of a compact thermal model, JESD15 series):

* a single body (substrate, mold, chip, heat slug) is its bounding box (:func:`body_box`);
* an array under a chip (bumps, pillars, chip and substrate pads) is ONE layer over the array's x-y bounds
  and z span, of effective orthotropic conductivity from :func:`geometry.thermal.model.homogenised_layer` at the
  members' area fraction ``f = V / (h A)`` (V: the members' measured volume, h: the layer's height, A: the
  layer's area): parallel (area-weighted) in z, series (harmonic, the lower Wiener bound) in x-y
  (:func:`array_layer`);
* a ball array (and its pads) keeps its members, because the balls stand where the board's land pads are:
  each member is a square column of side ``s`` (the land pad's equal-area square) whose conductivity is the
  member material's scaled by ``A_mean / s**2`` (A_mean: the member's mean cross-section, volume over height),
  which keeps each member's vertical conductance exactly (:func:`columns`);
* the heat is generated in a thin junction layer (:data:`JUNCTION_DEPTH`) of the chip at its active face
  (:func:`junction_box`): uniformly, or as the recipe's power map of rectangular hot spots over a uniform rest
  (:func:`junction_boxes`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..core.models import HotSpot, ThermalChoices
from ..core.params import ParameterError
from ..core.stack import Body
from .model import TOL, Box, Conductivity, Rect, homogenised_layer

JUNCTION_DEPTH = 0.01
"""Thickness (mm) of the chip layer at its active face that dissipates the power (the junction of JESD51-1)."""

Z_PARTS = 3
"""Elements at least through the thickness of every box of a package thicker than :data:`THIN` (thick layers
conduct laterally)."""

THIN = 0.05
"""mm: a box thinner than this (the junction layer, pads) gets one element through its thickness. On fc-basic
theta_jb is the same to 5 digits as with :data:`Z_PARTS` elements, at 12 % fewer nodes, which pays for the finer
x-y mesh (:data:`geometry.thermal.jedec.PACKAGE_MESH`)."""

ANISOTROPY = 1.0
"""Height over width allowed to an element of an orthotropic box in the coordinates where its conduction is
isotropic (:func:`z_size`). Measured at refine 1 on cavity-equal (former 0.25 mm mesh): theta_jb 24.69 K/W
with a third of the substrate's thickness per element, 24.96 at 2 (+16,000 nodes), 25.13 at 1 (+40,000), 25.14
with every z edge of the model halved. At the graded 0.2 mm defaults, 1 instead of 2 takes cavity-equal's theta_jb
change from refine 1 to 2 from 2.03 to 1.91 % (25.63 to 25.70 K/W at refine 1, 352,216 to 404,200 nodes;
fc-basic 1.3 to 1.2 %, 428,246 to 502,210 nodes; ``pkgcad thermal --converge``)."""

POWER = 1.0
"""W dissipated in the junction layer (the problem is linear: the resistances do not depend on it)."""

AIR_K = 0.026
"""Still air at 300 K, W/(m.K): CRC Handbook of Chemistry and Physics."""

PASTE_K = 3.0
"""Thermal paste (interface material) between slug and board, W/(m.K): silicone greases with metal-oxide filler,
datasheets 1-5 W/(m.K) (e.g. Dow DOWSIL TC-5622: 4.3; Arctic MX-4 about 3); a mid value."""


@dataclass(frozen=True)
class PackageModel:
    """A package as boxes in its own coordinates: ``boxes`` (seating plane at ``z_seat``, top at ``z_top``),
    the junction region name ``junction``, the body ``outline`` (x0, y0, x1, y1) mm, the balls' x-y centres
    ``lands`` (n, 2) mm and the side ``land_side`` mm of their square columns, ``power`` W, and the rules
    applied (``notes``, one sentence each, for the report)."""

    name: str
    boxes: tuple[Box, ...]
    junction: str
    outline: Rect
    z_seat: float
    z_top: float
    lands: np.ndarray
    land_side: float
    power: float
    notes: tuple[str, ...] = ()

    @property
    def centre(self) -> tuple[float, float]:
        """x-y centre of the outline, mm."""
        x0, y0, x1, y1 = self.outline
        return ((x0 + x1) / 2, (y0 + y1) / 2)

    def moved(self, dx: float, dy: float, dz: float) -> PackageModel:
        """The model translated by (dx, dy, dz) mm."""
        boxes = tuple(replace(b, lo=(b.lo[0] + dx, b.lo[1] + dy, b.lo[2] + dz),
                              hi=(b.hi[0] + dx, b.hi[1] + dy, b.hi[2] + dz)) for b in self.boxes)
        x0, y0, x1, y1 = self.outline
        return replace(self, boxes=boxes, outline=(x0 + dx, y0 + dy, x1 + dx, y1 + dy), z_seat=self.z_seat + dz,
                       z_top=self.z_top + dz, lands=self.lands + np.array([dx, dy]))

    def with_mesh(self, size: float) -> PackageModel:
        """Every box capped to element edges of ``size`` mm in x-y and to :data:`Z_PARTS` elements through its
        thickness, one element through a box thinner than :data:`THIN`; in z at most ``size`` times
        ``sqrt(kz / kxy)`` where that is below 1 (:func:`z_size`). The package's x-y intervals of three elements
        or more are cosine-graded towards their ends (the box edges: pads, balls, the chip and array edges,
        :attr:`geometry.thermal.model.Box.graded`), and in z those of a box conducting worse through its
        thickness than in-plane (:func:`z_graded`); neither adds a node."""
        def z_cap(b: Box) -> float:
            t = b.hi[2] - b.lo[2]
            return t if t < THIN else min(z_size(size, b.kxyz), t / Z_PARTS)

        return replace(self, boxes=tuple(replace(b, mesh_size=(size, size, z_cap(b)), graded=(0, 1, *z_graded(b.kxyz)))
                                         for b in self.boxes))


def z_size(size: float, kxyz: tuple[float, float, float]) -> float:
    """The z element edge cap (mm) of a box meshed at ``size`` mm in x-y: ``ANISOTROPY size sqrt(kz / kxy)``
    (kxy the smaller in-plane conductivity), at most ``size``. Scaling z by ``sqrt(kxy / kz)`` makes an
    orthotropic box's conduction isotropic; there its elements are then at most :data:`ANISOTROPY` times
    taller than wide. A laminate substrate (kz about 0.4, kxy 26-40 W/(m.K) with its copper planes) gets
    elements about 0.02-0.025 mm high at the 0.2 mm default instead of a third of its thickness (0.12-0.19 mm),
    which was most of the change of the package's figures under z refinement (cavity-equal: theta_jb +1.8 %
    with every z edge halved, +0.5 % of it from the board's slices)."""
    kx, ky, kz = kxyz
    return size * min(1.0, ANISOTROPY * math.sqrt(kz / min(kx, ky)))


def z_graded(kxyz: tuple[float, float, float]) -> tuple[int, ...]:
    """(2,), z graded, for a box conducting worse through its thickness than in-plane (a laminate substrate, the
    board's FR-4), else (). In such a layer the heat enters and leaves through small areas on its faces (bump
    array, ball pads, land pads) and spreads in-plane, so the field bends next to the faces. Measured at refine
    1, 0.25 mm package mesh (a shared machine): halving the z edges of one layer at a time, theta_jb of
    fc-basic (37.17 K/W) moved +0.20 for the substrate, +0.17 for the board's FR-4 between the top signal
    layer and the upper plane and under +0.02 K/W for every other layer; grading those two layers' z
    elements at the same node count gave 37.49 (every z edge halved: 37.56); cavity-equal 24.81 to 25.08 (every z
    edge halved: 25.17)."""
    kx, ky, kz = kxyz
    return (2,) if kz < min(kx, ky) else ()


def rect_of(body: Body) -> Rect:
    """x-y bounds (x0, y0, x1, y1) of ``body``, mm."""
    b = body.bounds()
    return (float(b[0]), float(b[1]), float(b[3]), float(b[4]))


def rect_area(rect: Rect) -> float:
    """Area of ``rect`` in mm2."""
    return (rect[2] - rect[0]) * (rect[3] - rect[1])


def body_box(name: str, body: Body, k: Conductivity | None = None, z: tuple[float, float] | None = None,
             rect: Rect | None = None, material: str | None = None) -> Box:
    """``body`` as its bounding box (or over ``rect`` and ``z`` if given) of its material's conductivity."""
    b = body.bounds()
    x0, y0, x1, y1 = rect or rect_of(body)
    z0, z1 = z or (float(b[2]), float(b[5]))
    return Box(name, material or body.material_name, (x0, y0, z0), (x1, y1, z1),
               body.material.conductivity if k is None else k)


def array_layer(name: str, body: Body, fill_k: float, fill: str) -> tuple[Box, float]:
    """The array ``body`` as one homogenised layer over its x-y bounds and z span in a fill of ``fill_k``
    (module rules), and the members' area fraction."""
    b = body.bounds()
    rect = rect_of(body)
    h = float(b[5] - b[2])
    f = min(1.0, body.volume() / (h * rect_area(rect)))
    k = homogenised_layer(body.material.conductivity, fill_k, f)
    return body_box(name, body, k=k, material=f"{body.material_name} in {fill}"), f


def columns(name: str, body: Body, side: float, z: tuple[float, float] | None = None) -> list[Box]:
    """Each member of ``body`` as a square column of ``side`` mm centred on the member, over ``z`` (default the
    body's span), conductivity scaled to keep the member's vertical conductance (module rules)."""
    b = body.bounds()
    z0, z1 = z or (float(b[2]), float(b[5]))
    mb = body.member_bounds()
    centres = (mb[:, :2] + mb[:, 3:5]) / 2
    a_mean = body.volume() / body.count / float(b[5] - b[2])
    k = body.material.conductivity * a_mean / side**2
    half = side / 2
    return [Box(name, body.material_name, (x - half, y - half, z0), (x + half, y + half, z1), k)
            for x, y in centres]


def junction_box(chip: Body, face: str, power: float, name: str = "junction") -> Box:
    """The chip's junction layer (:data:`JUNCTION_DEPTH` mm, or a quarter of the chip if thinner) at its
    ``face`` ("bottom" for a flip chip, "top" for a wire-bonded die), dissipating ``power`` W."""
    b = chip.bounds()
    depth = min(JUNCTION_DEPTH, float(b[5] - b[2]) / 4)
    z0, z1 = (float(b[2]), float(b[2]) + depth) if face == "bottom" else (float(b[5]) - depth, float(b[5]))
    return Box(name, chip.material_name, (float(b[0]), float(b[1]), z0), (float(b[3]), float(b[4]), z1),
               chip.material.conductivity, power=power)


def junction_boxes(chips: Sequence[Body], face: str, power: float, spots: Sequence[HotSpot] = (),
                   name: str = "junction") -> list[Box]:
    """The junction layers of ``chips`` (:func:`junction_box`) with the recipe's power map: each hot spot (x, y
    from its chip's centre, width, length in mm) is a box of the junction layer that dissipates its own ``power``
    W plus its area's share of the rest, ``power - sum(spot powers)`` W, which is spread uniformly over all chip
    faces (shared by chip area); every box is named ``name``, so T_J is the maximum over the whole junction and
    the total power is ``power``. Spots must lie on their chip's face and not overlap (ParameterError)."""
    area = [rect_area(rect_of(c)) for c in chips]
    rest = (power - sum(s.power for s in spots)) / sum(area)
    boxes, hot = [], []
    for i, spot in enumerate(spots):
        field = f"thermal.hot_spots[{i}]"
        if spot.chip >= len(chips):
            raise ParameterError(f"{field}.chip {spot.chip} names no chip: the design has {len(chips)}")
        x0, y0, x1, y1 = rect_of(chips[spot.chip])
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        r = (cx + spot.x - spot.width / 2, cy + spot.y - spot.length / 2, cx + spot.x + spot.width / 2,
             cy + spot.y + spot.length / 2)
        if r[0] < x0 - TOL or r[1] < y0 - TOL or r[2] > x1 + TOL or r[3] > y1 + TOL:
            raise ParameterError(f"{field} at ({spot.x:g}, {spot.y:g}) mm, {spot.width:g} x {spot.length:g} mm, "
                                 f"must lie on chip {spot.chip}'s face ({x1 - x0:g} x {y1 - y0:g} mm)")
        for j, (k, other) in enumerate(hot):
            if k == spot.chip and min(r[2], other[2]) - max(r[0], other[0]) > TOL \
                    and min(r[3], other[3]) - max(r[1], other[1]) > TOL:
                raise ParameterError(f"{field} overlaps thermal.hot_spots[{j}]: hot spots must not overlap")
        hot.append((spot.chip, r))
        layer = junction_box(chips[spot.chip], face, 0.0, name)
        boxes.append(replace(layer, lo=(r[0], r[1], layer.lo[2]), hi=(r[2], r[3], layer.hi[2]),
                             power=spot.power + rest * rect_area(r)))
    for i, chip in enumerate(chips):
        covered = sum(rect_area(r) for k, r in hot if k == i)
        boxes.insert(i, junction_box(chip, face, rest * (area[i] - covered), name))
    return boxes


def power_note(thermal: ThermalChoices) -> str:
    """The report's sentence on the junction power and its map."""
    spots = "; ".join(f"{s.power:g} W over {s.width:g} x {s.length:g} mm at ({s.x:g}, {s.y:g}) mm on chip {s.chip}"
                      for s in thermal.hot_spots)
    return (f"{thermal.power:g} W in the junction layer: " + (f"hot spots {spots}, the rest uniform" if spots
                                                              else "uniform over the chip faces"))


def laminate_k(k_laminate: float, thickness: float, planes: int, plane_thickness: float,
               k_copper: float) -> tuple[float, float, float]:
    """(kx, ky, kz) W/(m.K) of a laminate ``thickness`` mm holding ``planes`` solid copper planes of
    ``plane_thickness`` mm: parallel (thickness-weighted) in-plane, series through the thickness (exact for
    solid planes; vias and plane openings are left out)."""
    tc = planes * plane_thickness
    if tc >= thickness:
        raise ValueError(f"{planes} copper planes of {plane_thickness} mm do not fit a {thickness} mm substrate")
    kxy = (tc * k_copper + (thickness - tc) * k_laminate) / thickness
    kz = thickness / (tc / k_copper + (thickness - tc) / k_laminate)
    return (kxy, kxy, kz)
