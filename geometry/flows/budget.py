"""The resource budget of a design, estimated from its parameters before any geometry is made.

A design's cost grows with its members (every pad, bump, ball and wire placed: physical parts), its distinct
prototypes (each made in OpenCascade once, so a spread or a ring of different wire spans costs a boolean each)
and the triangles its STL and GLB need: the exporter shares its 1 M-triangle budget
(:data:`~geometry.output.mesh.MAX_TRIANGLES`) among the members, but never meshes a member coarser than its
coarsest level, so past some 20,000 curved members the mesh outgrows the budget (40,000 bumps and 40,000 balls:
12.4 M triangles, a 620 MB STL, 102 s and 4.9 GB). :func:`estimate` counts what a build would make;
:func:`check_budget` refuses a design over :data:`BUDGET` times ``scale`` in one line that names the estimate and
``--budget``, the option that raises it. Calibrated against the recipes in ``builds/``
(``benchmarks/budget_calibration.py`` prints estimate against build).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..core.arrays import Grid
from ..core.params import SPREAD_LEVELS, ParameterError

STL_BYTES_PER_TRIANGLE = 50
"""Binary STL: 50 bytes a triangle (normal, three vertices, attribute count), after an 84-byte header."""
GLB_BYTES_PER_TRIANGLE = 20
"""GLB of the same mesh, per triangle (indexed vertices as float32, indices as uint32; measured ~18-22)."""
STEP_BYTES_PER_MEMBER = 700
"""STEP per placed member (its placement, representation and product entities; measured on builds/)."""
STEP_BYTES_PER_PROTOTYPE = 40_000
"""STEP per distinct prototype (its B-rep: faces, edges, curves; measured on builds/)."""


@dataclass(frozen=True)
class Cost:
    """What a build of a design is expected to make: ``members`` placed, ``prototypes`` distinct solids,
    ``triangles`` of its default STL/GLB, and ``output_bytes`` of its STEP, STL and GLB together."""

    members: int
    prototypes: int
    triangles: int
    output_bytes: int

    def over(self, limit: Cost) -> list[str]:
        """The quantities of this cost above ``limit``, as "estimate > limit" phrases."""
        out = []
        for key, what in (("members", "members"), ("prototypes", "distinct prototypes"),
                          ("triangles", "triangles"), ("output_bytes", "bytes of output")):
            v, cap = getattr(self, key), getattr(limit, key)
            if v > cap:
                out.append(f"{v / 1e6:,.0f} MB of output (budget {cap / 1e6:,.0f} MB)" if key == "output_bytes"
                           else f"{v:,} {what} (budget {cap:,})")
        return out


BUDGET = Cost(members=100_000, prototypes=400, triangles=3_000_000, output_bytes=300_000_000)
"""The default budget: about three times the largest recipe in builds/ (fc-production, 32,316 members and
2.1 M triangles) and what builds in a few minutes and about 2 GB; ``--budget F`` multiplies every limit by F."""

EXPORT_TRIANGLES = 1_000_000
"""The exporter's triangle budget, :data:`geometry.output.mesh.MAX_TRIANGLES` (flows do not import the output
layer; a test keeps the two equal): a design whose coarsest mesh fits meshes finer, up to it."""

FILL = 4.6
"""Below the budget the exporter refines past the coarsest level, up to its finest level or the budget: fc-basic
meshes to 503,116 triangles from a coarsest estimate of 108,000 (4.6 x); cavity-bga23, cavity-production and
fc-two-chip reach 0.91-0.95 M of the 1 M budget (``benchmarks/budget_calibration.py``)."""

# Per member: (bodies a site carries, their coarsest triangles together), calibrated on builds/.
BUMP_SITE = (3, 220)
"""A bump site: substrate pad, bump and chip pad (its cell of the first encapsulant is part of that one solid,
counted in :data:`FIXED`; its triangles are counted here)."""
PILLAR_EXTRA = (1, 60)
"""A copper pillar under a pillar bump's solder cap."""
BALL_SITE = (2, 150)
"""A ball site: ball pad and solder ball."""
WIRE_SITE = (3, 450)
"""A bond wire: die pad, bond finger and the wire (ball bond, swept loop and stitch, one solid)."""
FIXED = (12, 5_000)
"""The one-member bodies (substrate, chip, encapsulants, slice, adhesives, heat sink...)."""
OTHER_SITE = (1, 100)
"""A member of an array this module does not know by name."""


def _grids(node: Any, skip: frozenset[str] = frozenset()) -> list[tuple[str, Grid]]:
    """Every array of ``node`` (a design) by its field name, walking sections, lists of sections and arrays."""
    out: list[tuple[str, Grid]] = []
    todo: list[tuple[str, Any]] = [("", node)]
    while todo:
        name, m = todo.pop()
        if isinstance(m, Grid):
            out.append((name, m))
        elif isinstance(m, BaseModel):
            todo += [(k, getattr(m, k)) for k in type(m).model_fields if k not in skip or m is not node]
        elif isinstance(m, (tuple, list)):
            todo += [(name, v) for v in m]
    return out


def _spread_levels(section: Any) -> int:
    """Distinct sizes of a section's members: :data:`SPREAD_LEVELS` per size with a spread, else one."""
    spreads = [getattr(section, k) for k in type(section).model_fields if k.endswith("_spread")]
    return math.prod(SPREAD_LEVELS for s in spreads if s) if spreads else 1


def estimate(design: Any) -> Cost:
    """The :class:`Cost` of building and exporting ``design``, from its parameters alone (milliseconds)."""
    members = prototypes = 0
    coarse = FIXED[1]
    sites: list[tuple[tuple[int, int], int, int]] = []  # (site kind, count, prototypes)
    if hasattr(design, "sites") and callable(design.sites):  # flip-chip: the chip sites as built
        for s in design.sites():
            n, levels = s.bumps.count, _spread_levels(s.bumps)
            sites.append((BUMP_SITE, n, 3 + levels))
            if getattr(s.bumps, "shape", None) == "pillar":
                sites.append((PILLAR_EXTRA, n, 1))
        skip = frozenset({"bumps", "chips"})
    else:
        skip = frozenset()
    if hasattr(design, "wires") and callable(design.wires):  # cavity: one wire per die pad
        plans = design.wires()
        loops = {(round(p.span, 4), p.tier) for p in plans}
        sites.append((WIRE_SITE, len(plans), 4 + len(loops)))
    for name, g in _grids(design, skip):
        sites.append((BALL_SITE if name == "solder_balls" else OTHER_SITE, g.count, _spread_levels(g)))
    for (bodies, tri), n, protos in sites:
        members += bodies * n
        prototypes += protos
        coarse += tri * n
    members += FIXED[0]
    prototypes += FIXED[0]
    triangles = max(coarse, min(EXPORT_TRIANGLES, int(FILL * coarse)))
    size = (84 + (STL_BYTES_PER_TRIANGLE + GLB_BYTES_PER_TRIANGLE) * triangles
            + STEP_BYTES_PER_MEMBER * members + STEP_BYTES_PER_PROTOTYPE * prototypes)
    return Cost(members, prototypes, triangles, size)


class BudgetError(ParameterError):
    """A design over its resource budget (bad input: exit 2), refused before any geometry."""


def check_budget(design: Any, scale: float = 1.0) -> Cost:
    """The :func:`estimate` of ``design``; over :data:`BUDGET` x ``scale`` it raises :class:`BudgetError` with the
    estimate and the ``--budget`` factor (``budget=`` of :func:`geometry.api.run`) that would admit it."""
    cost = estimate(design)
    limit = Cost(*(int(getattr(BUDGET, k) * scale) for k in ("members", "prototypes", "triangles", "output_bytes")))
    over = cost.over(limit)
    if over:
        need = max(getattr(cost, k) / getattr(BUDGET, k) for k in ("members", "prototypes", "triangles",
                                                                     "output_bytes"))
        factor = f"{math.ceil(need * 10) / 10:g}"
        raise BudgetError(f"{design.name}: over the resource budget before any geometry: estimated "
                          f"{', '.join(over)}. Reduce the design, or raise the budget with --budget {factor} "
                          f"(or more; api.run(design, budget={factor})) on a machine with the time and memory")
    return cost
