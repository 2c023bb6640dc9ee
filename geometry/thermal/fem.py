"""3D steady-state heat conduction in a package (and its test board) described as axis-aligned boxes.

Units: lengths in mm, conductivity in W/(m.K), power in W, heat transfer coefficient in W/(m2.K), temperatures
in degC (any common offset works: the problem is linear). Lengths are converted to metres before assembly, so
resistances come out in K/W.

Model. A list of :class:`Box` (name, material, bounds, diagonal conductivity (kx, ky, kz), optional power
spread uniformly over the box). Later boxes override earlier ones where they overlap (a substrate, then its
pads, ...); the power of a box is spread over the part of it that stays visible, so the total power is kept.
Space covered by no box is NOT part of the domain (its faces are adiabatic unless a boundary condition selects
them), unless a :class:`Filler` is given: then every uncovered cell of the bounding box of all boxes is that
material.

Mesh. A structured tensor-product grid of trilinear hexahedra (scikit-fem ``MeshHex``, ``ElementHex1`` node
order) whose x, y and z lines contain every box boundary, so each element lies in one box: the mesh is
conformal to all layers. Each interval between box boundaries is cut into ``ceil(length / size)`` parts,
where ``size`` is ``max_size`` or the smaller ``mesh_size`` of a box spanning the interval on that axis, equal
or cosine-graded towards the interval's ends where a spanning box grades that axis (``Box.graded``), and each
part into ``refine`` equal ones.

Assembly. On an axis-aligned box the trilinear element's Jacobian is constant and diagonal, so its conduction
matrix is exactly ``sum_a k_a V / h_a**2 * R_a`` with ``R_a`` the unit-cube matrix of direction ``a`` (a
tensor product of the 1D stiffness and mass matrices). That is assembled vectorised over all elements; it is
the matrix scikit-fem's generic ``Basis``/``BilinearForm`` assembly gives (checked in the tests to round-off),
at a fraction of the time and memory (scikit-fem's isoparametric hexahedral basis needs about 23 s and 2.7 GB
for 100,000 nodes on the development machine). Heat sources and convection faces use the consistent (exact)
load and face-mass matrices of the same element.

Boundary conditions (JESD51-1 idealisations): :class:`Isothermal` faces (a cold plate: the package top, or the
JESD51-8 ring cold plate under the board), :class:`Convection` faces ``q = h (T - T_ambient)`` (a lumped
still-air or forced-air coefficient standing in for JESD51-2/-6 environments), adiabatic elsewhere. Faces are
chosen by a predicate on the :class:`Faces` of the domain boundary (centres, outward normals, areas);
:mod:`geometry.thermal.model` builds the usual ones (``top``, ``bottom``, ``ring``, ``plane_faces``). As for boxes, a later
condition overrides an earlier one on the faces both select.

Solution. Nodal temperatures, per-region (box name) max, mean and min temperatures, the heat leaving through
each boundary set (from the nodal reactions of the isothermal sets and the integral of h (T - T_ambient) over
the convection sets), and JESD51-1 thermal resistances theta_JX = (T_J - T_X) / P. Solver: sparse direct
(SuperLU) up to :data:`DIRECT_LIMIT` unknowns, otherwise conjugate gradients preconditioned by a geometric
multigrid V-cycle (x-y semicoarsening, z-line relaxation: :class:`Multigrid`), built from scipy alone.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.interpolate import RegularGridInterpolator
from scipy.sparse.csgraph import connected_components

from .grid import (
    BoundaryFaces,
    Mesh,
    assign_faces,
    boundary_faces,
    build_mesh,
    conduction_matrix,
    dirichlet_nodes,
    element_volumes,
    robin_terms,
    source_vector,
)
from .model import MM, TOL, Box, Condition, Filler, Isothermal
from .multigrid import solve_linear


@dataclass(frozen=True)
class SolveInfo:
    """What the solve did: sizes, method (``direct``: SuperLU; ``cg-multigrid`` / ``cg-jacobi``:
    preconditioned conjugate gradients), iterations (0 for direct) and wall times in s (mesh and face
    selection, assembly, preconditioner set-up and solve)."""

    nodes: int
    elements: int
    unknowns: int
    method: str
    iterations: int
    seconds_mesh: float
    seconds_assembly: float
    seconds_solve: float


def check_connected(matrix: sp.csr_matrix, anchored: np.ndarray, mesh: Mesh) -> None:
    """Raise if a connected part of the domain has no isothermal node and no convection face (singular)."""
    count, label = connected_components(matrix, directed=False)
    ok = np.zeros(count, dtype=bool)
    ok[label[anchored]] = True
    if not ok.all():
        bad = np.isin(label[mesh.t[0]], np.flatnonzero(~ok))
        names = sorted({mesh.regions[i].name for i in np.unique(mesh.element_owner[bad])})
        raise ValueError(f"part of the domain has no isothermal or convection boundary (regions {names})")


@dataclass(frozen=True)
class RegionStats:
    """Temperatures (degC) of a named region (every box of that name): max, volume-weighted mean, min; its
    visible volume (mm3) and its power (W)."""

    name: str
    t_max: float
    t_mean: float
    t_min: float
    volume: float
    power: float


@dataclass(frozen=True, eq=False)
class Plane:
    """Temperatures sampled on a plane: ``temperature[i, j]`` at (``u[i]``, ``v[j]``) mm along axes
    ``axes``; NaN outside the domain. ``height`` (mm), for the top surface, is the z of each sample."""

    axes: tuple[str, str]
    u: np.ndarray
    v: np.ndarray
    temperature: np.ndarray
    height: np.ndarray | None = None


def region_stats(mesh: Mesh, temperature: np.ndarray) -> dict[str, RegionStats]:
    """Per region name: max and min over its element nodes, volume-weighted mean (exact for trilinear
    fields)."""
    names = sorted({r.name for r in mesh.regions})
    group = np.array([names.index(r.name) for r in mesh.regions])[mesh.element_owner]
    nodal = temperature[mesh.t]
    volume = element_volumes(mesh)
    t_max = np.full(len(names), -np.inf)
    t_min = np.full(len(names), np.inf)
    np.maximum.at(t_max, group, nodal.max(axis=0))
    np.minimum.at(t_min, group, nodal.min(axis=0))
    v = np.bincount(group, weights=volume, minlength=len(names))
    weighted = np.bincount(group, weights=volume * nodal.mean(axis=0), minlength=len(names))
    mean = weighted / np.where(v > 0, v, 1)
    power = {name: 0.0 for name in names}
    for r in mesh.regions:
        power[r.name] += r.power
    return {name: RegionStats(name, float(t_max[i]), float(mean[i]), float(t_min[i]), float(v[i]),
                              power[name])
            for i, name in enumerate(names) if v[i] > 0}


@dataclass(frozen=True, eq=False)
class Solution:
    """The solved temperature field and what is derived from it (see the module docstring).

    ``heat_out[name]``: W leaving the domain through each boundary condition (positive out);
    ``reference[name]``: that condition's temperature (isothermal) or ambient (convection), degC."""

    mesh: Mesh
    temperature: np.ndarray
    regions: dict[str, RegionStats]
    heat_out: dict[str, float]
    reference: dict[str, float]
    power: float
    info: SolveInfo

    def junction(self, region: str) -> RegionStats:
        """Temperatures of the heat-source region ``region`` (the junction of JESD51-1)."""
        try:
            return self.regions[region]
        except KeyError:
            raise KeyError(f"no region {region!r}; regions: {sorted(self.regions)}") from None

    def theta(self, junction: str, boundary: str, statistic: Literal["max", "mean"] = "max") -> float:
        """theta_JX = (T_J - T_X) / P in K/W (JESD51-1): T_J the max (or mean) of region ``junction``, T_X the
        temperature (isothermal) or ambient (convection) of condition ``boundary``, P the total power."""
        if self.power <= 0:
            raise ValueError("no power dissipated")
        stats = self.junction(junction)
        tj = stats.t_max if statistic == "max" else stats.t_mean
        return (tj - self.reference[boundary]) / self.power

    def element_temperature(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, max) temperature (degC) of each element, in the mesh's element order (the mean of a
        trilinear field over a box is the mean of its 8 nodal values)."""
        nodal = self.temperature[self.mesh.t]
        return nodal.mean(axis=0), nodal.max(axis=0)

    def balance_error(self) -> float:
        """|sum of heat_out - power| / power."""
        return abs(sum(self.heat_out.values()) - self.power) / self.power

    def grid_temperature(self) -> np.ndarray:
        """Nodal temperatures on the full (nx, ny, nz) grid, NaN at grid nodes outside the domain."""
        out = np.full(math.prod(self.mesh.shape), np.nan)
        out[self.mesh.node_grid] = self.temperature
        return out.reshape(self.mesh.shape)

    def section(self, axis: Literal["x", "y", "z"], value: float) -> Plane:
        """Temperatures on the plane ``axis = value`` (mm) at the grid nodes of the other two axes, linearly
        interpolated between the two nearest grid planes (e.g. ``section("y", 0.0)`` for a vertical cut)."""
        a = "xyz".index(axis)
        lines = (self.mesh.x, self.mesh.y, self.mesh.z)
        g = lines[a]
        if not g[0] - TOL <= value <= g[-1] + TOL:
            raise ValueError(f"{axis} = {value} outside the domain [{g[0]}, {g[-1]}]")
        i = int(np.clip(np.searchsorted(g, value) - 1, 0, len(g) - 2))
        w = float(np.clip((value - g[i]) / (g[i + 1] - g[i]), 0.0, 1.0))
        grid = self.grid_temperature()
        lower, upper = np.take(grid, i, axis=a), np.take(grid, i + 1, axis=a)
        if w <= 1e-12:
            values = lower
        elif w >= 1 - 1e-12:
            values = upper
        else:
            values = (1 - w) * lower + w * upper
        u, v = (b for b in range(3) if b != a)
        return Plane(("xyz"[u], "xyz"[v]), lines[u], lines[v], values)

    def point(self, x: float, y: float, z: float) -> float:
        """Temperature (degC) at (x, y) on the plane z (mm), bilinear between grid nodes (scipy's
        ``RegularGridInterpolator``)."""
        plane = self.section("z", z)
        return float(RegularGridInterpolator((plane.u, plane.v), plane.temperature)((x, y)))

    def top_surface(self) -> Plane:
        """Temperatures seen from above: at each (x, y) grid node the temperature of the highest domain node,
        with its height; NaN where the column holds no node."""
        grid = self.grid_temperature()
        present = ~np.isnan(grid)
        nz = grid.shape[2]
        highest = nz - 1 - np.argmax(present[:, :, ::-1], axis=2)
        any_node = present.any(axis=2)
        values = np.take_along_axis(grid, highest[:, :, None], axis=2)[:, :, 0]
        height = np.where(any_node, self.mesh.z[highest], np.nan)
        return Plane(("x", "y"), self.mesh.x, self.mesh.y, np.where(any_node, values, np.nan), height)


def fixed_temperatures(node_owner: np.ndarray, conditions: Sequence[Condition]) -> np.ndarray:
    """Nodal temperatures with the isothermal nodes set (0 elsewhere)."""
    temperature = np.zeros(len(node_owner))
    for index, condition in enumerate(conditions):
        if isinstance(condition, Isothermal):
            temperature[node_owner == index] = condition.temperature
    return temperature


def heat_flows(conditions: Sequence[Condition], temperature: np.ndarray, reaction: np.ndarray,
               node_owner: np.ndarray, bf: BoundaryFaces, face_owner: np.ndarray) -> dict[str, float]:
    """W leaving through each condition: the summed nodal reactions of an isothermal set, the integral of
    h (T - T_ambient) over a convection set (exact for the bilinear trace: face area times its mean)."""
    out = {}
    for index, condition in enumerate(conditions):
        if isinstance(condition, Isothermal):
            out[condition.name] = float(reaction[node_owner == index].sum())
        else:
            sel = face_owner == index
            mean_t = temperature[bf.nodes[sel]].mean(axis=1)
            area = bf.faces.area[sel] * MM**2
            out[condition.name] = float(condition.h * np.sum(area * (mean_t - condition.ambient)))
    return out


def solve(boxes: Sequence[Box], conditions: Sequence[Condition], *, max_size: float = 1.0, refine: int = 1,
          filler: Filler | None = None, solver: Literal["auto", "direct", "cg", "cg-jacobi"] = "auto",
          rtol: float = 1e-10) -> Solution:
    """Steady-state temperatures of ``boxes`` under ``conditions`` (see the module docstring for units and
    rules); ``max_size`` (mm) and ``refine`` set the mesh, ``solver`` and ``rtol`` (relative residual of the
    iterative solvers) the linear solve."""
    if not conditions:
        raise ValueError("no boundary condition: the steady problem has no solution")
    start = time.perf_counter()
    mesh = build_mesh(boxes, max_size, refine, filler)
    bf = boundary_faces(mesh)
    face_owner = assign_faces(bf.faces, conditions)
    meshed = time.perf_counter()
    n = mesh.nnodes
    conduction = conduction_matrix(mesh)
    robin, robin_load = robin_terms(bf, face_owner, conditions, n)
    matrix = (conduction + robin).tocsr()
    load = source_vector(mesh) + robin_load
    node_owner = dirichlet_nodes(bf, face_owner, conditions, n)
    fixed = node_owner >= 0
    cooled = np.zeros(n, dtype=bool)
    cooled[robin.nonzero()[0]] = True
    check_connected(conduction, np.flatnonzero(fixed | cooled), mesh)
    temperature = fixed_temperatures(node_owner, conditions)
    free = np.flatnonzero(~fixed)
    rows = matrix[free]
    a = rows[:, free]
    b = load[free] - rows[:, np.flatnonzero(fixed)] @ temperature[fixed]
    assembled = time.perf_counter()
    reference = {c.name: (c.temperature if isinstance(c, Isothermal) else c.ambient) for c in conditions}
    x0 = np.full(len(free), float(np.mean(list(reference.values()))))
    temperature[free], method, iterations = solve_linear(a, b, x0, solver, rtol, mesh.node_grid[free], mesh)
    solved = time.perf_counter()
    heat_out = heat_flows(conditions, temperature, load - matrix @ temperature, node_owner, bf, face_owner)
    info = SolveInfo(n, mesh.nelements, len(free), method, iterations, meshed - start, assembled - meshed,
                     solved - assembled)
    return Solution(mesh, temperature, region_stats(mesh, temperature), heat_out, reference,
                    float(sum(b.power for b in boxes)), info)
