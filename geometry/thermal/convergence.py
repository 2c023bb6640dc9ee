"""Mesh convergence of the JEDEC-style figures (issue 17): each figure at two uniform refinements and
Richardson's extrapolation to zero element size, with an error band.

Refinement. :func:`convergence` solves the model at ``settings`` (every interval between box boundaries cut
``refine`` times, :mod:`.grid`) and again with every interval cut twice as many times (``2 refine``: every
element edge halved on all three axes, package and board alike, so 8 times the nodes and about 8 times the
CPU time and memory).

Extrapolation. Trilinear elements converge as ``f(h) = f_0 + C h^p`` with ``p = 2`` for a smooth field, so
from the coarse and fine figures ``f_1``, ``f_2`` (ratio ``r = 2``) Richardson's estimate is
``f_0 = f_2 + (f_2 - f_1) / (r^p - 1)``. Its error band is Roache's grid convergence index for two grids,
``F_s |f_2 - f_1| / (r^p - 1)`` with the factor of safety ``F_s = 3`` (P. J. Roache, "Perspective: a method for
uniform reporting of grid refinement studies", J. Fluids Eng. 116 (1994) 405-413; 1.25 only when a third
grid confirms the order). The measured behaviour at the default mesh (0.2 mm in x-y over the package, graded
towards box edges: :data:`geometry.thermal.jedec.PACKAGE_MESH`), ``pkgcad thermal --converge``, refine 1 to 2:
fc-basic theta_jc +0.3, psi_jt +0.8, theta_ja +0.9, theta_jb +1.2 %; cavity-equal +0.4, +0.9, +1.4 and +1.9 %
(theta_jb 25.70 to 26.20 K/W; README, thermal section): every figure under the 2 % of issue 17, and each figure's
extrapolated value is reported with its band beside it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from .jedec import Figures, Settings, figures
from .package import PackageModel

ORDER = 2.0
"""Convergence order assumed for trilinear elements (temperature error O(h^2))."""

SAFETY = 3.0
"""Roache's factor of safety for a two-grid convergence index."""

FIGURES = ("theta_jc", "theta_jb", "theta_ja", "psi_jt")
"""The figures extrapolated (K/W)."""


@dataclass(frozen=True)
class Estimate:
    """One figure (K/W) on the coarse and the fine mesh (element edges ``ratio`` times smaller), Richardson's
    extrapolation to zero element size and its error band (module doc)."""

    coarse: float
    fine: float
    extrapolated: float
    error: float
    ratio: float

    @property
    def change(self) -> float:
        """(fine - coarse) / fine: the figure's relative change over the refinement."""
        return (self.fine - self.coarse) / self.fine

    @property
    def relative_error(self) -> float:
        """The error band over the extrapolated value."""
        return self.error / abs(self.extrapolated)


def richardson(coarse: float, fine: float, ratio: float = 2.0, order: float = ORDER,
               safety: float = SAFETY) -> Estimate:
    """Richardson's extrapolation of a figure from two meshes whose element edges differ by ``ratio``, and
    its two-grid convergence index (module doc)."""
    if ratio <= 1 or order <= 0 or safety < 1:
        raise ValueError("ratio must exceed 1, order be positive and the safety factor at least 1")
    step = (fine - coarse) / (ratio**order - 1)
    return Estimate(coarse, fine, fine + step, safety * abs(step), ratio)


@dataclass(frozen=True, eq=False)
class Convergence:
    """The figures on the coarse and the fine mesh, the estimate of each (:data:`FIGURES`) and the CPU seconds
    (this process) of the coarse and of the fine solves."""

    coarse: Figures
    fine: Figures
    estimates: dict[str, Estimate]
    cpu_s: tuple[float, float] = (0.0, 0.0)

    def summary(self) -> dict[str, Any]:
        """Per figure: coarse, fine, change, extrapolated value and error band (K/W); the refinements, their
        nodes (the theta_jb solve) and CPU seconds."""
        out: dict[str, Any] = {"refine": [self.coarse.settings.refine, self.fine.settings.refine],
                               "order": ORDER, "safety_factor": SAFETY,
                               "nodes_jb": [f.solutions["jb"].info.nodes for f in (self.coarse, self.fine)],
                               "cpu_s": [round(t, 2) for t in self.cpu_s]}
        for k, e in self.estimates.items():
            out[k] = {"coarse_KW": e.coarse, "fine_KW": e.fine, "change": e.change,
                      "extrapolated_KW": e.extrapolated, "error_KW": e.error}
        return out


def convergence(model: PackageModel, settings: Settings | None = None) -> Convergence:
    """The figures of ``model`` at ``settings`` and with every interval cut twice as often, and their
    Richardson estimates (module doc)."""
    s = settings or Settings()
    t0 = time.process_time()
    coarse = figures(model, s)
    t1 = time.process_time()
    fine = figures(model, replace(s, refine=2 * s.refine))
    t2 = time.process_time()
    return Convergence(coarse, fine, {k: richardson(getattr(coarse, k), getattr(fine, k)) for k in FIGURES},
                       (t1 - t0, t2 - t1))
