"""Linear solvers of the conduction system: sparse direct, Jacobi-preconditioned CG, and CG preconditioned by a
geometric multigrid V-cycle (x-y semicoarsening, exact solves along each vertical grid line), scipy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.linalg import lapack

from .grid import Mesh

DIRECT_LIMIT = 20_000
"""Largest number of unknowns solved with the sparse direct solver by ``solver="auto"``."""


def coarse_lines(lines: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
    """Every other grid line (both ends kept) and the 1D linear interpolation (fine x coarse) from them; a
    grid of 3 lines or fewer is not coarsened."""
    n = len(lines)
    if n <= 3:
        return np.arange(n), sp.identity(n, format="csr")
    keep = np.arange(0, n, 2)
    if keep[-1] != n - 1:
        keep = np.append(keep, n - 1)
    cell = np.clip(np.searchsorted(keep, np.arange(n), side="right") - 1, 0, len(keep) - 2)
    lo, hi = lines[keep[cell]], lines[keep[cell + 1]]
    w = (lines - lo) / (hi - lo)
    rows, cols = np.tile(np.arange(n), 2), np.concatenate([cell, cell + 1])
    p = sp.csr_matrix((np.concatenate([1 - w, w]), (rows, cols)), shape=(n, len(keep)))
    p.eliminate_zeros()
    return keep, p


@dataclass(frozen=True, eq=False)
class Level:
    """One multigrid level: its matrix, the flat grid index (C order over ``shape``) of each unknown, the grid
    lines (mm), the LDL' factors ``d``, ``e`` of its z-line blocks and its smoothing weight ``omega``."""

    matrix: sp.csr_matrix
    grid: np.ndarray
    shape: tuple[int, int, int]
    lines: tuple[np.ndarray, np.ndarray, np.ndarray]
    d: np.ndarray
    e: np.ndarray
    omega: float

    def line_solve(self, r: np.ndarray) -> np.ndarray:
        """Solve the z-line (vertical column) blocks of the matrix for ``r``."""
        return lapack.dpttrs(self.d, self.e, r)[0]


def make_level(matrix: sp.csr_matrix, grid: np.ndarray, shape: tuple[int, int, int],
               lines: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Level:
    """A level: the z-line blocks (unknowns are ordered column by column, z fastest, so they are the
    tridiagonal band without the links between columns) factorised, and the weight 4 / (3 lambda_max) of the
    line-Jacobi smoother, lambda_max of (line blocks)^-1 A estimated by power iteration."""
    column = grid // shape[2]
    e = matrix.diagonal(1).copy()
    e[column[1:] != column[:-1]] = 0.0
    d, e, info = lapack.dpttrf(matrix.diagonal().copy(), e)
    if info != 0:
        raise RuntimeError(f"z-line block not positive definite (LAPACK dpttrf info {info})")
    v = np.random.default_rng(0).random(matrix.shape[0])
    lam = 1.0
    for _ in range(15):
        v = lapack.dpttrs(d, e, matrix @ v)[0]
        lam = float(np.linalg.norm(v))
        v /= lam
    return Level(matrix, grid, shape, lines, d, e, 4.0 / (3.0 * 1.05 * lam))


@dataclass(frozen=True, eq=False)
class Multigrid:
    """Geometric multigrid with x-y semicoarsening and z-line relaxation on the tensor grid (for layered
    structures, whose thin layers couple strongly in z): Galerkin coarse matrices, every other x and y grid
    line dropped per level, z kept; a symmetric V-cycle with damped line-Jacobi smoothing and a sparse direct
    solve on the coarsest level, used as the preconditioner of conjugate gradients."""

    levels: tuple[Level, ...]
    prolongations: tuple[sp.csr_matrix, ...]
    coarsest: spla.SuperLU
    sweeps: int = 1

    def cycle(self, r: np.ndarray, index: int = 0) -> np.ndarray:
        """One V-cycle from level ``index`` for residual ``r``."""
        if index == len(self.levels) - 1:
            return self.coarsest.solve(r)
        level, p = self.levels[index], self.prolongations[index]
        x = level.omega * level.line_solve(r)
        for _ in range(self.sweeps - 1):
            x += level.omega * level.line_solve(r - level.matrix @ x)
        x += p @ self.cycle(p.T @ (r - level.matrix @ x), index + 1)
        for _ in range(self.sweeps):
            x += level.omega * level.line_solve(r - level.matrix @ x)
        return x

    def operator(self) -> spla.LinearOperator:
        """The V-cycle as a linear operator (the CG preconditioner)."""
        n = self.levels[0].matrix.shape[0]
        return spla.LinearOperator((n, n), self.cycle)


def build_multigrid(matrix: sp.csr_matrix, grid: np.ndarray, shape: tuple[int, int, int],
                    lines: tuple[np.ndarray, np.ndarray, np.ndarray], coarsest: int = 4000) -> Multigrid:
    """The multigrid hierarchy of ``matrix`` whose unknowns sit at the flat indices ``grid`` (increasing, C
    order over ``shape``) of the grid with ``lines``; coarsened until at most ``coarsest`` unknowns remain."""
    levels = [make_level(matrix, grid, shape, lines)]
    prolongations = []
    while levels[-1].matrix.shape[0] > coarsest:
        fine = levels[-1]
        (keep_x, px), (keep_y, py) = coarse_lines(fine.lines[0]), coarse_lines(fine.lines[1])
        if px.shape == (px.shape[0],) * 2 and py.shape == (py.shape[0],) * 2:
            break
        nz = fine.shape[2]
        full = sp.kron(px, sp.kron(py, sp.identity(nz, format="csr"), format="csr"), format="csr")
        p = full[fine.grid]
        used = np.flatnonzero(np.diff(p.tocsc().indptr) > 0)
        p = p[:, used].tocsr()
        coarse = (p.T @ fine.matrix @ p).tocsr()
        prolongations.append(p)
        lines_c = (fine.lines[0][keep_x], fine.lines[1][keep_y], fine.lines[2])
        levels.append(make_level(coarse, used, (px.shape[1], py.shape[1], nz), lines_c))
    return Multigrid(tuple(levels), tuple(prolongations), spla.splu(levels[-1].matrix.tocsc()))


def solve_linear(a: sp.csr_matrix, b: np.ndarray, x0: np.ndarray, method: str, rtol: float,
                 grid: np.ndarray, mesh: Mesh) -> tuple[np.ndarray, str, int]:
    """Solve the SPD system of the unknowns at flat grid indices ``grid``: ``direct`` (SuperLU), ``cg``
    (conjugate gradients preconditioned by :class:`Multigrid`), ``cg-jacobi`` (Jacobi-preconditioned CG, for
    comparison) or ``auto`` (direct up to :data:`DIRECT_LIMIT` unknowns, else ``cg``); returns the solution,
    the method used and the iteration count."""
    if method == "auto":
        method = "direct" if a.shape[0] <= DIRECT_LIMIT else "cg"
    if method == "direct":
        return spla.spsolve(a.tocsc(), b, permc_spec="MMD_AT_PLUS_A"), "direct", 0
    if method == "cg":
        preconditioner = build_multigrid(a, grid, mesh.shape, (mesh.x, mesh.y, mesh.z)).operator()
        name = "cg-multigrid"
    elif method == "cg-jacobi":
        preconditioner = sp.diags(1.0 / a.diagonal())
        name = "cg-jacobi"
    else:
        raise ValueError(f"unknown solver {method!r}")
    iterations = [0]

    def count(_: np.ndarray) -> None:
        iterations[0] += 1

    x, status = spla.cg(a, b, x0=x0, rtol=rtol, atol=0.0, maxiter=max(1000, 10 * a.shape[0]),
                        M=preconditioner, callback=count)
    if status != 0:
        raise RuntimeError(f"{name} did not converge to rtol {rtol} in {iterations[0]} iterations")
    return x, name, iterations[0]
