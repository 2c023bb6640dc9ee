"""The conformal tensor-product hexahedral grid of a box model and its exact element matrices (see
:mod:`geometry.thermal.fem` for the method), assembled vectorised over all elements.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from skfem import MeshHex

from .model import MM, TOL, Box, Condition, Convection, Faces, Filler, Isothermal

OFFSETS = np.array([(0, 0, 0), (0, 1, 0), (1, 0, 0), (0, 0, 1), (1, 1, 0), (0, 1, 1), (1, 0, 1), (1, 1, 1)])
"""Local node offsets (dx, dy, dz) of a hexahedron, in scikit-fem's ``MeshHex.init_tensor`` order."""


STIFFNESS_1D = np.array([[1.0, -1.0], [-1.0, 1.0]])


MASS_1D = np.array([[1.0, 0.5], [0.5, 1.0]]) / 3.0


def merged_lines(values: Sequence[float]) -> np.ndarray:
    """Sorted coordinates with values closer than :data:`TOL` merged."""
    v = np.sort(np.asarray(values, dtype=float))
    keep = np.concatenate(([True], np.diff(v) > TOL))
    return v[keep]


def line_index(lines: np.ndarray, value: float) -> int:
    """Index of the grid line at ``value`` (mm)."""
    i = int(np.argmin(np.abs(lines - value)))
    if abs(lines[i] - value) > TOL:
        raise ValueError(f"{value} is not a grid line")
    return i


def interval_lines(a: float, c: float, parts: int, refine: int, graded: bool) -> np.ndarray:
    """The grid lines (mm) after ``a`` up to ``c``: ``parts`` elements, equal or, if ``graded``, cosine-spaced
    (``(1 - cos(pi i / parts)) / 2``: finer towards both ends, the middle element about pi / 2 times the
    equal part), each then cut into ``refine`` equal parts (so that refinement nests)."""
    u = np.linspace(0.0, 1.0, parts + 1)
    if graded:
        u = (1.0 - np.cos(np.pi * u)) / 2.0
    u = np.interp(np.linspace(0.0, parts, parts * refine + 1), np.arange(parts + 1), u)
    return a + (c - a) * u[1:]


def axis_lines(boxes: Sequence[Box], axis: int, max_size: float, refine: int) -> np.ndarray:
    """Grid lines (mm) along ``axis``: every box boundary, each interval cut into ``ceil(length / size)``
    parts (``size``: ``max_size`` or a spanning box's ``mesh_size``), cosine-graded where a spanning box
    grades that axis (:attr:`Box.graded`, :func:`interval_lines`), then each part into ``refine``."""
    bounds = merged_lines([b.lo[axis] for b in boxes] + [b.hi[axis] for b in boxes])
    parts = [bounds[:1]]
    for a, c in itertools.pairwise(bounds):
        spanning = [b for b in boxes if b.lo[axis] <= a + TOL and b.hi[axis] >= c - TOL]
        size = min([max_size] + [b.sizes[axis] for b in spanning if b.mesh_size is not None])
        n = max(1, math.ceil((c - a) / size - 1e-9))
        parts.append(interval_lines(a, c, n, refine, any(axis in b.graded for b in spanning)))
    return np.concatenate(parts)


@dataclass(frozen=True)
class Region:
    """One material region of the mesh: a box (or the filler) with its conductivity and power."""

    name: str
    material: str
    kxyz: tuple[float, float, float]
    power: float


@dataclass(frozen=True, eq=False)
class Mesh:
    """The structured hexahedral mesh: grid lines ``x``, ``y``, ``z`` (mm); ``cell_owner`` (nx-1, ny-1, nz-1),
    the index into ``regions`` of each grid cell (-1 outside the domain); for each element its flat cell index
    ``element_cell``, its nodes ``t`` (8, ne) in scikit-fem order; for each node its flat grid index
    ``node_grid`` (C order over (nx, ny, nz))."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    cell_owner: np.ndarray
    regions: tuple[Region, ...]
    element_cell: np.ndarray
    node_grid: np.ndarray
    t: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        """Number of grid lines (nx, ny, nz)."""
        return (len(self.x), len(self.y), len(self.z))

    @property
    def nnodes(self) -> int:
        return len(self.node_grid)

    @property
    def nelements(self) -> int:
        return len(self.element_cell)

    @property
    def nodes(self) -> np.ndarray:
        """Node coordinates (nnodes, 3) in mm."""
        i, j, k = np.unravel_index(self.node_grid, self.shape)
        return np.column_stack((self.x[i], self.y[j], self.z[k]))

    @property
    def element_owner(self) -> np.ndarray:
        """Region index of each element."""
        return self.cell_owner.ravel()[self.element_cell]

    def element_sizes(self) -> np.ndarray:
        """Edge lengths (ne, 3) of each element in mm."""
        i, j, k = np.unravel_index(self.element_cell, self.cell_owner.shape)
        return np.column_stack((np.diff(self.x)[i], np.diff(self.y)[j], np.diff(self.z)[k]))

    def skfem(self) -> MeshHex:
        """The mesh as a scikit-fem ``MeshHex`` in mm (for export or scikit-fem post-processing)."""
        return MeshHex(self.nodes.T.copy(), self.t)


def build_mesh(boxes: Sequence[Box], max_size: float = 1.0, refine: int = 1,
               filler: Filler | None = None) -> Mesh:
    """Mesh the boxes (later boxes override earlier ones) with elements no longer than ``max_size`` mm (or a
    box's ``mesh_size``), each interval cut ``refine`` times more finely; see the module docstring."""
    if not boxes:
        raise ValueError("no boxes")
    if max_size <= 0 or refine < 1:
        raise ValueError("max_size must be positive and refine at least 1")
    x, y, z = (axis_lines(boxes, a, max_size, refine) for a in range(3))
    outside = -1 if filler is None else len(boxes)
    owner = np.full((len(x) - 1, len(y) - 1, len(z) - 1), outside, dtype=np.int32)
    for index, box in enumerate(boxes):
        (i0, j0, k0), (i1, j1, k1) = ([line_index(g, v[a]) for a, g in enumerate((x, y, z))]
                                      for v in (box.lo, box.hi))
        owner[i0:i1, j0:j1, k0:k1] = index
    regions = tuple(Region(b.name, b.material, b.kxyz, b.power) for b in boxes)
    if filler is not None:
        regions += (Region(filler.name, filler.material, filler.kxyz, 0.0),)
    element_cell = np.flatnonzero(owner.ravel() >= 0)
    shape = (len(x), len(y), len(z))
    ci, cj, ck = np.unravel_index(element_cell, owner.shape)
    corner = np.stack([np.ravel_multi_index((ci + dx, cj + dy, ck + dz), shape) for dx, dy, dz in OFFSETS])
    used = np.zeros(math.prod(shape), dtype=bool)
    used[corner] = True
    node_grid = np.flatnonzero(used)
    number = np.cumsum(used, dtype=np.int64) - 1
    return Mesh(x, y, z, owner, regions, element_cell, node_grid, number[corner].astype(np.int32))


def unit_cube_matrices() -> np.ndarray:
    """The (3, 8, 8) unit-cube conduction matrices of the trilinear hexahedron, one per direction: entry
    ``[a, p, q]`` is the integral of d(phi_p)/dx_a d(phi_q)/dx_a over the unit cube (scikit-fem node
    order)."""
    out = np.ones((3, 8, 8))
    for a in range(3):
        for b in range(3):
            m = STIFFNESS_1D if a == b else MASS_1D
            out[a] *= m[np.ix_(OFFSETS[:, b], OFFSETS[:, b])]
    return out


def element_conductivity(mesh: Mesh) -> np.ndarray:
    """(ne, 3) diagonal conductivity of each element in W/(m.K)."""
    table = np.array([r.kxyz for r in mesh.regions])
    return table[mesh.element_owner]


def conduction_matrix(mesh: Mesh, k: np.ndarray | None = None) -> sp.csr_matrix:
    """Global conduction matrix (W/K) of the mesh for element conductivities ``k`` (ne, 3) W/(m.K) (default:
    the regions')."""
    k = element_conductivity(mesh) if k is None else k
    h = mesh.element_sizes() * MM
    volume = h.prod(axis=1)
    scale = k * (volume[:, None] / h**2)
    local = np.einsum("ea,apq->epq", scale, unit_cube_matrices())
    rows = np.broadcast_to(mesh.t.T[:, :, None], local.shape)
    cols = np.broadcast_to(mesh.t.T[:, None, :], local.shape)
    n = mesh.nnodes
    return sp.csr_matrix((local.ravel(), (rows.ravel(), cols.ravel())), shape=(n, n))


def element_volumes(mesh: Mesh) -> np.ndarray:
    """Element volumes in mm3."""
    return mesh.element_sizes().prod(axis=1)


def source_vector(mesh: Mesh) -> np.ndarray:
    """Consistent nodal heat load (W): each region's power spread uniformly over its visible volume."""
    volume = element_volumes(mesh)
    owner = mesh.element_owner
    region_volume = np.bincount(owner, weights=volume, minlength=len(mesh.regions))
    power = np.array([r.power for r in mesh.regions])
    hidden = (power > 0) & (region_volume <= 0)
    if hidden.any():
        names = [mesh.regions[i].name for i in np.flatnonzero(hidden)]
        raise ValueError(f"heated boxes fully overridden by later boxes: {names}")
    density = np.divide(power, region_volume, out=np.zeros_like(power), where=region_volume > 0)
    per_node = density[owner] * volume / 8.0
    return np.bincount(mesh.t.ravel(), weights=np.tile(per_node, 8), minlength=mesh.nnodes)


@dataclass(frozen=True, eq=False)
class BoundaryFaces:
    """The boundary faces of a mesh: their geometry (:class:`Faces`) and their 4 nodes each (nf, 4), ordered
    as a tensor product of the two in-plane axes (so the face mass matrix is ``area * M1 (x) M1``)."""

    faces: Faces
    nodes: np.ndarray


def boundary_faces(mesh: Mesh) -> BoundaryFaces:
    """Every element face not shared with another element of the domain."""
    occupied = mesh.cell_owner >= 0
    shape = mesh.shape
    inverse = np.full(math.prod(shape), -1, dtype=np.int64)
    inverse[mesh.node_grid] = np.arange(mesh.nnodes)
    lines = (mesh.x, mesh.y, mesh.z)
    centres, normals, areas, nodes = [], [], [], []
    for axis in range(3):
        u, v = (b for b in range(3) if b != axis)
        for sign in (-1, 1):
            padded = np.pad(occupied, [(1, 1) if b == axis else (0, 0) for b in range(3)])
            shift = np.take(padded, np.arange(occupied.shape[axis]) + 1 + sign, axis=axis)
            cells = np.nonzero(occupied & ~shift)
            level = cells[axis] + (1 if sign > 0 else 0)
            corners = []
            for du, dv in ((0, 0), (0, 1), (1, 0), (1, 1)):
                index = [None, None, None]
                index[axis], index[u], index[v] = level, cells[u] + du, cells[v] + dv
                corners.append(inverse[np.ravel_multi_index(tuple(index), shape)])
            nodes.append(np.column_stack(corners))
            centre = np.empty((len(level), 3))
            centre[:, axis] = lines[axis][level]
            for b in (u, v):
                centre[:, b] = 0.5 * (lines[b][cells[b]] + lines[b][cells[b] + 1])
            centres.append(centre)
            normal = np.zeros((len(level), 3))
            normal[:, axis] = sign
            normals.append(normal)
            areas.append(np.diff(lines[u])[cells[u]] * np.diff(lines[v])[cells[v]])
    lo = np.array([mesh.x[0], mesh.y[0], mesh.z[0]])
    hi = np.array([mesh.x[-1], mesh.y[-1], mesh.z[-1]])
    faces = Faces(np.concatenate(centres), np.concatenate(normals), np.concatenate(areas), lo, hi)
    return BoundaryFaces(faces, np.concatenate(nodes))


def assign_faces(faces: Faces, conditions: Sequence[Condition]) -> np.ndarray:
    """Index of the condition that owns each boundary face (-1: adiabatic); later conditions override
    earlier ones."""
    names = [c.name for c in conditions]
    if len(set(names)) != len(names):
        raise ValueError(f"boundary condition names must be unique: {names}")
    owner = np.full(len(faces.area), -1, dtype=np.int32)
    for index, condition in enumerate(conditions):
        mask = np.asarray(condition.faces(faces), dtype=bool)
        if mask.shape != owner.shape:
            raise ValueError(f"condition {condition.name!r}: selector returned shape {mask.shape}")
        if not mask.any():
            raise ValueError(f"condition {condition.name!r} selects no boundary face")
        owner[mask] = index
    for index, condition in enumerate(conditions):
        if not (owner == index).any():
            raise ValueError(f"condition {condition.name!r} is overridden on all its faces")
    return owner


def robin_terms(bf: BoundaryFaces, face_owner: np.ndarray, conditions: Sequence[Condition],
                n: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Convection matrix (W/K) and load (W) of the convection faces: ``h A M1 (x) M1`` and
    ``h T_amb A / 4``."""
    face_mass = np.kron(MASS_1D, MASS_1D)
    h = np.zeros(len(face_owner))
    ambient = np.zeros(len(face_owner))
    for index, condition in enumerate(conditions):
        if isinstance(condition, Convection):
            h[face_owner == index] = condition.h
            ambient[face_owner == index] = condition.ambient
    sel = np.flatnonzero(h > 0)
    ha = h[sel] * bf.faces.area[sel] * MM**2
    local = ha[:, None, None] * face_mass[None]
    fn = bf.nodes[sel]
    rows = np.broadcast_to(fn[:, :, None], local.shape)
    cols = np.broadcast_to(fn[:, None, :], local.shape)
    matrix = sp.csr_matrix((local.ravel(), (rows.ravel(), cols.ravel())), shape=(n, n))
    load = np.bincount(fn.ravel(), weights=np.repeat(ha * ambient[sel] / 4.0, 4), minlength=n)
    return matrix, load


def dirichlet_nodes(bf: BoundaryFaces, face_owner: np.ndarray, conditions: Sequence[Condition],
                    n: int) -> np.ndarray:
    """Index of the isothermal condition fixing each node (-1: free); later conditions override earlier."""
    owner = np.full(n, -1, dtype=np.int32)
    for index, condition in enumerate(conditions):
        if isinstance(condition, Isothermal):
            owner[bf.nodes[face_owner == index].ravel()] = index
    return owner
