"""JEDEC-style thermal resistances of a package model (:mod:`.package`) from three 3D solves (:mod:`.fem`).

* ``theta_jc`` (JESD51-1 junction-to-case, top): the package alone, its whole top face (z = top) an
  isothermal cold plate, every other face adiabatic; ``(T_J - T_plate) / P``.
* ``theta_jb`` (JESD51-8 junction-to-board): the package on the 2s2p board (:mod:`.board`, JESD51-7/-9) with
  copper land pads under its balls, the board clamped on both faces by a ring cold plate from
  ``ring_gap`` mm outside the package body to the board edge, the package top and the rest adiabatic;
  ``(T_J - T_B) / P`` with T_B the board's top surface temperature 1 mm outside the middle of the package's
  -x side (the JESD51-8 board reference point). ``theta_j_ring`` is the same to the cold plate itself.
* ``theta_ja`` (JESD51-2 still air, as a lumped coefficient): the package on the board, every face losing
  ``h (T - T_ambient)`` with one combined convection and radiation coefficient ``h`` (default 10 W/(m2.K), a
  usual still-air figure; JESD51-2 prescribes an enclosure, not an h); ``psi_jt = (T_J - T_top) / P`` with
  T_top the package top at its centre, and ``top_share`` the fraction of the heat leaving through the package's
  own faces (the rest leaves through the board).

T_J is the junction layer's maximum temperature. Power 1 W unless the model says otherwise (the problem is
linear, so resistances do not depend on it). Steady state, temperature-independent conductivities, no contact
resistances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .board import Board2s2p, board_boxes, land_pattern
from .model import TOL, Box, Convection, Faces, FaceSelector, Isothermal, Rect, every_face, in_rect, top
from .package import PackageModel, z_graded

if TYPE_CHECKING:
    from .fem import Solution

STILL_AIR_H = 10.0
"""Combined convection and radiation coefficient of still air, W/(m2.K) (a usual figure for a horizontal board
in JESD51-2 still air)."""

RING_GAP = 5.0
"""mm from the package body to the inner edge of the JESD51-8 ring cold plate (assumed; JESD51-8 leaves it to
the fixture)."""

BOARD_POINT = 1.0
"""mm outside the package edge at which T_B is read on the board's top surface (JESD51-8)."""

BOARD_LEVELS = 8
"""The board is cut into this many equal slices through its thickness near the package (mesh lines only). At
refine 1 and the former defaults (0.25 mm package mesh), 16 slices instead of 8 moved theta_jb +0.5 % on
cavity-equal and +0.4 % on fc-basic, at +60,000 nodes; kept at 8, a small share of the refinement change
beside the package's x-y and substrate z resolution. Fewer do not pay: with the graded z lines at 0.2 mm, 4
slices read cavity-equal's theta_jb 25.15 K/W instead of 25.45 (refine 1)."""

UPPER_LEVELS = 3
"""The board's FR-4 between its upper plane and its top face (under the land pads, where the heat of each land
spreads down to the plane) is meshed in z this many times finer than :data:`BOARD_LEVELS` gives (graded, as all
FR-4). With the graded lines at 0.2 mm and refine 1, halving every z edge moved cavity-equal's theta_jb from 25.45
to 25.69 K/W, of it 25.62 from this layer and the top signal layer alone; at 2 times finer 25.58 (316,252
nodes), at 3 times 25.63 (352,216 nodes; 292,276 without)."""

EDGE_GRADING = ((BOARD_POINT, 2.0),)
"""Frames around the package body, (reach mm outside its edge, x-y element edge cap as a multiple of the
package's :attr:`Settings.mesh`), finer inside: the board between the package edge and the T_B point carries
the heat spreading out of the outer land pads. With one 1 mm element there (the former mesh), halving the
board's x-y edges over the ring gap moved theta_jb -0.7 % on cavity-equal and -0.3 % on fc-basic (T_B read
high), against the package's own x-y refinement, so the uniform refinement hid part of the error."""

BOARD_MESH = 5.0
"""Largest element edge on the board far from the package, mm."""

PACKAGE_MESH = 0.2
"""Default element edge cap (mm) in x-y over the package (and so the board under it). What moves the board
figures, each ingredient of the mesh halved alone at refine 1 and 0.25 mm (measured on a shared machine):
theta_jb of fc-basic 37.17 K/W, package x-y edges 37.50 (+0.9 %; 37.53 with x-y halved over the package only,
37.14 outside it), every z edge 37.56 (+1.0 %, of it the substrate +0.20 and the board's upper FR-4 +0.17
K/W, now graded: :func:`geometry.thermal.package.z_graded`); cavity-equal 24.81: x-y +1.9 %, z +1.4 %. With
the z grading, x-y remains: 0.2 mm and the package's cosine-graded x-y lines
(:meth:`geometry.thermal.package.PackageModel.with_mesh`) give cavity-equal 25.45 K/W at 292,276 nodes
(0.25 mm: 25.08 at 206,877; 0.25 mm with every x-y edge halved: 25.61 at 817,007), fc-basic 37.69 at 361,556
nodes (both before :data:`UPPER_LEVELS`; with it 25.63 and 37.88 K/W at 352,216 and 428,246 nodes; with
:data:`geometry.thermal.package.ANISOTROPY` 1 too, 25.70 and 37.93 K/W at 404,200 and 502,210 nodes). The added
nodes cost CPU time (``benchmarks/bench_thermal.py``, the three solves of fc-basic, each pair back to back):
20.8 s at 0.25 mm against 29.4 s with the grading and :data:`UPPER_LEVELS` (shared machine), then 27.4 s at
:data:`geometry.thermal.package.ANISOTROPY` 2 against 37.2 s at 1 (quiet machine, one BLAS thread);
:data:`SOLVE_RTOL` pays for part of them."""

SOLVE_RTOL = 1e-6
"""Relative residual of the iterative solves: fc-basic's theta_jb at the default mesh is 37.689336 K/W at 1e-8
and at 1e-6 (equal to 8 digits) and its solve took 12.0 CPU s instead of 20.2 (one run each, shared machine)."""


JESD51_9_BOARD = Board2s2p()
"""The 2s2p board of JESD51-7/-9 with its published figures."""


@dataclass(frozen=True)
class Settings:
    """Mesh and boundary conditions: ``mesh`` mm (element edge cap in the package), ``refine`` (every interval
    cut that many times more), ``h`` W/(m2.K), ``ring_gap`` mm, the board."""

    mesh: float = PACKAGE_MESH
    refine: int = 1
    h: float = STILL_AIR_H
    ring_gap: float = RING_GAP
    board: Board2s2p = JESD51_9_BOARD

    def __post_init__(self) -> None:
        if self.mesh <= 0 or self.refine < 1 or self.h <= 0 or self.ring_gap <= 0:
            raise ValueError("mesh, refine, h and ring gap must be positive")


@dataclass(frozen=True, eq=False)
class Figures:
    """The figures (K/W) and the three solutions they come from."""

    theta_jc: float
    theta_jb: float
    theta_j_ring: float
    theta_ja: float
    psi_jt: float
    top_share: float
    solutions: dict[str, Solution]
    settings: Settings

    def summary(self, model: PackageModel) -> dict[str, Any]:
        """What ``thermal.json`` holds: figures, conditions, mesh sizes and solve times."""
        s, b = self.settings, self.settings.board
        info = {k: {"nodes": v.info.nodes, "elements": v.info.elements, "method": v.info.method,
                    "iterations": v.info.iterations,
                    "seconds": round(v.info.seconds_mesh + v.info.seconds_assembly + v.info.seconds_solve, 3),
                    "balance_error": v.balance_error()} for k, v in self.solutions.items()}
        return {"design": model.name, "theta_jc_KW": self.theta_jc, "theta_jb_KW": self.theta_jb,
                "theta_j_ring_KW": self.theta_j_ring, "theta_ja_KW": self.theta_ja, "psi_jt_KW": self.psi_jt,
                "heat_top_share": self.top_share, "power_W": model.power,
                "board": {"standard": "JESD51-7/-9 2s2p", "width_mm": b.width, "length_mm": b.length,
                          "thickness_mm": b.thickness, "planes": "2 x 0.035 mm Cu, 0.5 mm below each face",
                          "fr4_k_WmK": list(b.fr4_k), "copper_k_WmK": b.copper_k,
                          "land_pads": len(model.lands), "land_side_mm": model.land_side},
                "conditions": {"theta_jc": "package alone, top face isothermal, rest adiabatic",
                               "theta_jb": f"ring cold plate on both board faces from {s.ring_gap} mm outside the "
                                           f"package to the board edge; T_B {BOARD_POINT} mm outside the package "
                                           "edge on the board top; package top adiabatic",
                               "theta_ja": f"every face h = {s.h} W/(m2.K) to ambient (still air, convection and "
                                           "radiation lumped)",
                               "junction": "max temperature of the junction layer",
                               "mesh": f"package x-y element edges at most {s.mesh} mm; coarse meshes make theta_jb "
                                       "and theta_ja read low (pkgcad thermal --converge solves again with every "
                                       "edge halved and extrapolates each figure with an error band)"},
                "mesh": {"package_mm": s.mesh, "board_mm": BOARD_MESH, "refine": s.refine},
                "solves": info, "model": list(model.notes)}

    def temperature_map(self, model: PackageModel) -> TemperatureMap:
        """What the temperature pictures draw: the still-air (theta_ja) solution of ``model``."""
        x0, y0, x1, y1 = model.outline
        hx, hy = (x1 - x0) / 2, (y1 - y0) / 2
        top = self.settings.board.thickness
        return TemperatureMap(model.name, self.solutions["ja"], (-hx, -hy, hx, hy), top + model.z_top - model.z_seat,
                              top, model.power)


@dataclass(frozen=True, eq=False)
class TemperatureMap:
    """The temperature field the pictures show: the theta_ja solve (package on the 2s2p board in still air) of
    design ``name``, its package body ``outline`` (x0, y0, x1, y1) mm centred on the board's origin, the package
    top at ``top_z`` mm and the board's top face at ``board_top`` mm above the board's bottom face, ``power`` W
    (temperatures are rises over ambient, K)."""

    name: str
    solution: Solution
    outline: Rect
    top_z: float
    board_top: float
    power: float


def board_ring(outer: Rect, inner: Rect, z: float, sign: int) -> FaceSelector:
    """Faces at height ``z`` with normal ``sign`` along z inside ``outer`` and not strictly inside ``inner``."""
    x0, y0, x1, y1 = inner

    def select(faces: Faces) -> np.ndarray:
        x, y = faces.centre[:, 0], faces.centre[:, 1]
        inside = (x > x0 + TOL) & (x < x1 - TOL) & (y > y0 + TOL) & (y < y1 - TOL)
        return ((faces.normal[:, 2] == sign) & (np.abs(faces.centre[:, 2] - z) <= TOL)
                & in_rect(faces.centre, outer) & ~inside)

    return select


def above(z: float) -> FaceSelector:
    """Faces whose centre lies above height ``z`` (mm): the package's own faces over the board."""
    return lambda faces: faces.centre[:, 2] > z + TOL


def on_board(model: PackageModel, s: Settings) -> list[Box]:
    """The board, its land pads and the package centred on it. Around the package the board is meshed more
    finely (:func:`near_board`)."""
    boxes = board_boxes(s.board)
    lands = land_pattern(model.lands, model.land_side * 2 / np.sqrt(np.pi), s.board)
    return [boxes[0], *near_board(model, s), *boxes[1:], *lands, *model.boxes]


def near_board(model: PackageModel, s: Settings) -> list[Box]:
    """FR-4 boxes (the board's own material, so they change nothing but the mesh) over the package and the
    ring gap: element edges of at most ``max(2 mesh, 1)`` mm in x-y, finer in the frames of
    :data:`EDGE_GRADING` around the package, and a :data:`BOARD_LEVELS`-th of the board's thickness in z (so
    that every dielectric has elements through it; cosine-graded towards each layer's faces, since FR-4
    conducts worse through than in-plane: :func:`geometry.thermal.package.z_graded`), :data:`UPPER_LEVELS`
    times finer above the upper plane, and a grid line at the T_B point."""
    b = s.board
    x0, y0, x1, y1 = model.outline
    m = max(x1 - x0, y1 - y0) / 2 + s.ring_gap
    size = max(s.mesh * 2, 1.0)
    dz = b.thickness / BOARD_LEVELS
    out = [Box("board", "FR-4", (-m, -m, 0.0), (m, m, b.thickness), b.fr4_k, mesh_size=(size, size, dz),
               graded=z_graded(b.fr4_k))]
    for reach, times in EDGE_GRADING:
        g = min(reach, s.ring_gap)
        out.append(Box("board", "FR-4", (x0 - g, y0 - g, 0.0), (x1 + g, y1 + g, b.thickness), b.fr4_k,
                       mesh_size=(times * s.mesh, times * s.mesh, dz)))
    under = b.layers()["plane_1"][1]
    out.append(Box("board", "FR-4", (-m, -m, under), (m, m, b.thickness), b.fr4_k,
                   mesh_size=(size, size, dz / UPPER_LEVELS), graded=z_graded(b.fr4_k)))
    out.append(Box("board", "FR-4", (x0 - BOARD_POINT, -m, 0.0), (x0, m, b.thickness), b.fr4_k))
    return out


def point_temperature(solution: Solution, x: float, y: float, z: float) -> float:
    """Temperature (degC) at (x, y) on the plane z (mm), bilinear between grid nodes."""
    return solution.point(x, y, z)


def _solve(boxes: list[Box], conditions: list, **options: Any) -> Solution:
    """:func:`geometry.thermal.fem.solve`, imported on the first solve: scipy's sparse solvers and scikit-fem load
    only when a figure is solved, not with the design report or a flow."""
    from .fem import solve

    return solve(boxes, conditions, **options)


def centred(model: PackageModel, s: Settings) -> PackageModel:
    """``model`` centred on the origin, seated on the board's top face, meshed at ``s.mesh``."""
    cx, cy = model.centre
    return model.moved(-cx, -cy, s.board.thickness - model.z_seat).with_mesh(s.mesh)


def case_solve(model: PackageModel, s: Settings) -> tuple[float, Solution]:
    """theta_jc (K/W) and its solution: the package alone, the top isothermal (module doc)."""
    pkg = centred(model, s)
    alone = _solve(pkg.boxes, [Isothermal("case", top(pkg.outline, at=pkg.z_top))], max_size=s.mesh,
                  refine=s.refine, rtol=SOLVE_RTOL)
    return alone.theta(pkg.junction, "case"), alone


def board_solve(model: PackageModel, s: Settings) -> tuple[float, float, Solution]:
    """theta_jb to T_B and to the ring cold plate (K/W), and the solution (module doc)."""
    pkg = centred(model, s)
    x0, y0, x1, y1 = pkg.outline
    g = s.ring_gap
    inner = (x0 - g, y0 - g, x1 + g, y1 + g)
    edge = s.board.outline
    ring = [Isothermal("ring_top", board_ring(edge, inner, s.board.thickness, 1)),
            Isothermal("ring_bottom", board_ring(edge, inner, 0.0, -1))]
    jb = _solve(on_board(pkg, s), ring, max_size=BOARD_MESH, refine=s.refine, rtol=SOLVE_RTOL)
    tj = jb.junction(pkg.junction).t_max
    tb = point_temperature(jb, x0 - BOARD_POINT, 0.0, s.board.thickness)
    return (tj - tb) / model.power, jb.theta(pkg.junction, "ring_top"), jb


def air_solve(model: PackageModel, s: Settings) -> tuple[float, float, float, Solution]:
    """theta_ja, psi_jt (K/W), the package's share of the heat and the solution (module doc)."""
    pkg = centred(model, s)
    ja = _solve(on_board(pkg, s), [Convection("board", every_face(), s.h),
                                  Convection("package", above(s.board.thickness), s.h)],
               max_size=BOARD_MESH, refine=s.refine, rtol=SOLVE_RTOL)
    tj = ja.junction(pkg.junction).t_max
    t_top = point_temperature(ja, 0.0, 0.0, pkg.z_top)
    p = model.power
    return ja.theta(pkg.junction, "board"), (tj - t_top) / p, ja.heat_out["package"] / p, ja


def figures(model: PackageModel, s: Settings | None = None) -> Figures:
    """theta_jc, theta_jb, theta_ja and psi_jt of ``model`` (module doc) under ``s`` (default
    :class:`Settings`)."""
    s = s or Settings()
    theta_jc, jc = case_solve(model, s)
    theta_jb, theta_ring, jb = board_solve(model, s)
    theta_ja, psi_jt, share, ja = air_solve(model, s)
    return Figures(theta_jc, theta_jb, theta_ring, theta_ja, psi_jt, share, {"jc": jc, "jb": jb, "ja": ja}, s)


METRICS = ("theta_jc_KW", "theta_jb_KW", "theta_ja_KW", "psi_jt_KW", "heat_top_share")
"""The report and sweep metrics of the 3D solve (``heat_top_share``: the package faces' share of the heat in
still air; the first-order network reports no split)."""


def solved_metrics(thermal: Any) -> dict[str, float | None]:
    """The 3D figures of a first-order network object that carries them (``thermal.solved``), None each when
    the recipe did not ask for the solve (``thermal.solve = false``)."""
    solved = getattr(thermal, "solved", None) or {}
    return {k: solved.get(k) for k in METRICS}


def solved_table(thermal: Any) -> tuple[str, str, list[str], list[list[str]]] | None:
    """The report table of the 3D figures (heading, intro, header, rows), None without them."""
    s = getattr(thermal, "solved", None)
    if not s:
        return None
    rows = [[k, f"{s[k]:.4g}"] for k in METRICS]
    rows += [[f"condition {k}", v] for k, v in s["conditions"].items()]
    rows += [[f"mesh {k}", f"{v['nodes']} nodes, {v['method']}, {v['seconds']} s"] for k, v in s["solves"].items()]
    rows += [["model", note] for note in s["model"]]
    return ("3D thermal resistances (JEDEC-style)", ("JEDEC-style figures from a 3D steady conduction solve of the built "
            "package on the JESD51-7/-9 2s2p board (geometry.thermal.jedec states every assumption), 1 W in the "
            "junction layer."), ["figure", "value (K/W, or as stated)"], rows)
