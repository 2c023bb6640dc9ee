"""The Python API: everything the CLI does, as functions (the one facade of the CLI, notebooks and sweeps).

    from geometry import api

    design = api.load("builds/flip-chip/fc-basic.toml")  # validated, frozen parameters (mm)
    build = api.run(design)                              # every intermediate stack: build.history
                                                         # (within the resource budget, see run)
    results = api.check(build)                           # list of CheckResult
    rows, _ = api.claims(build, results)                 # the claim matrix
    api.export(build, results, "exports", steps=True)    # STEP, STL, GLB, HTML viewer, manifest
    stack = api.conformal(build)                         # no overlaps: mold cut around what it embeds, gaps filled
    api.report(build, results, "exports")                # report.html and report.md beside them

The output layer (meshes, STEP, pictures, report: trimesh and the drawing modules) is imported by the functions
that write, so loading, running and checking a design (``pkgcad check``, a sweep's worker) does not load it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.claims import ClaimResult, evaluate
from .core.conformal import conformal as conformal_stack
from .core.flow import Build
from .core.results import CheckResult
from .core.stack import Stack
from .flows import FLOWS
from .flows.budget import check_budget
from .output.step import reproducible_timestamp
from .recipes import load, parse

if TYPE_CHECKING:
    from .output.instanced import StackMeshes


def run(design: Any, budget: float | None = 1.0) -> Build:
    """Run ``design`` through its flow; returns a Build with every intermediate stack.

    First, from the parameters alone, the design must fit the resource budget (members, distinct prototypes,
    triangles, output bytes: :data:`~geometry.flows.budget.BUDGET`) times ``budget``, as ``pkgcad --budget``
    applies it; over it, :class:`~geometry.flows.budget.BudgetError` (a ``ParameterError``) names the estimate and
    the factor that admits it, in milliseconds rather than after minutes of building. ``budget=2.0`` doubles every
    limit; ``budget=None`` checks nothing (a large design on a machine with the time and memory)."""
    if budget is not None:
        check_budget(design, budget)
    return FLOWS[design.flow].run(design)


def check(build: Build) -> list[CheckResult]:
    """Every check of the build's flow, as CheckResult records."""
    return build.flow.check(build)


def claims(build: Build, results: Sequence[CheckResult] | None = None) -> tuple[list[ClaimResult], list[CheckResult]]:
    """The claim matrix of ``build`` and the check results it used (run when not given)."""
    return evaluate(build, results)


def conformal(build: Build) -> Stack:
    """The finished package of ``build`` with no overlaps and no unintended voids: every body that embeds others
    cut around them in one boolean, and the flow's gap fills added (:func:`geometry.core.conformal.conformal`)."""
    return _conformal(build)


def _conformal(build: Build) -> Stack:
    return conformal_stack(build.stack, build.flow.fills(build) if build.flow.fills else ())


def manifest(build: Build, results: Sequence[CheckResult], stack: Stack | None = None) -> dict:
    """The manifest content of a checked build: parameters, bodies, checks, claims, steps, versions. ``stack``
    (e.g. :func:`conformal`) replaces the finished stack in the bodies, and the manifest says ``conformal``."""
    from .output.manifest import manifest as build_manifest

    design = build.design
    steps = [{"index": r.index, "key": r.step.key, "title": r.step.title, "claim": r.step.claim,
              "reference": r.step.reference, "bodies": list(r.stack.names)} for r in build.history]
    rows, _ = evaluate(build, results)
    claim_rows = [{"number": r.number, "text": r.text, "depends_on": r.depends_on, "intended": r.intended,
                   "embodied": r.embodied, "not_embodied_because": list(r.failing)} for r in rows]
    outline = build.flow.outline(build).to_dict() if build.flow.outline else None
    balls = []
    if build.flow.views.ball_map is not None:
        m = build.flow.views.ball_map(design)
        balls = [{"name": n, "x": float(x), "y": float(y)} for n, (x, y) in zip(m.names, m.centres, strict=True)]
    m = build_manifest(design.name, build.flow.name, design.model_dump(mode="json"),
                       build.stack if stack is None else stack,
                       [c.to_dict() for c in results], steps, claim_rows, outline, balls)
    m["conformal"] = stack is not None
    return m


def export(build: Build, results: Sequence[CheckResult], out_dir: str | Path, steps: bool = False,
           ap242: bool = False, tolerance: float | None = None, split: bool = False,
           conformal: bool = False, timestamp: str | None = None, meshes: StackMeshes | None = None,
           staged: bool = False, beside: Callable[[Path, StackMeshes], None] | None = None) -> Path:
    """Write ``out_dir/<name>/`` (<name>.step, .stl, .glb, .html, manifest.json; ``steps/`` when asked; STEP as
    AP242 with ``ap242``). ``tolerance``: chordal tolerance (mm) of the STL and GLB (default: the budgeted
    quality, see :func:`geometry.output.mesh.stack_mesh`); ``split``: also ``bodies/<name>-<body>.step`` (AP242
    with ``ap242``) and ``.stl`` per body. ``conformal`` writes the conformal stack (:func:`conformal`: no overlaps, gaps filled) instead of
    the finished stack, whose embedded bodies overlap their host (the manifest says by how much). ``timestamp``:
    the STEP header time (ISO 8601), by default :func:`~geometry.output.step.reproducible_timestamp`
    (``SOURCE_DATE_EPOCH`` or a fixed epoch), so the same recipe gives byte-identical files. ``meshes``
    (:func:`meshes` of ``build`` to ``tolerance``) reuses a tessellation of the finished stack, e.g. one the report
    draws too; ignored with ``conformal`` (a different stack). ``staged`` writes everything into a hidden work
    folder in ``out_dir`` and returns it without putting it in place: :func:`publish` does, later. The STEP files
    are written by a forked child while this process makes the meshes and the other files, and then calls
    ``beside(folder, meshes)`` with the folder being written and the meshes it holds (e.g. :func:`report` into
    that folder; the child then computes the manifest); the files are the same as when written in one process
    (:func:`geometry.output.design.write_design`)."""
    from .output.design import write_design

    history = [(r.step.key, r.stack) for r in build.history] if steps else None
    stack = _conformal(build) if conformal else None
    return write_design(Path(out_dir), build.design.name, build.stack if stack is None else stack,
                        lambda: manifest(build, results, stack), history, ap242=ap242, tolerance=tolerance,
                        split=split, timestamp=reproducible_timestamp() if timestamp is None else timestamp,
                        meshes=meshes if stack is None else None, staged=staged, beside=beside)


def publish(work: Path) -> Path:
    """Put a design folder written by :func:`export` with ``staged=True`` in place (one swap); returns it."""
    from .output.design import publish as publish_design

    return publish_design(work)


def meshes(build: Build, tolerance: float | None = None) -> StackMeshes:
    """The prototype meshes of the finished stack of ``build`` (:func:`geometry.output.instanced.stack_meshes`:
    each prototype tessellated once, to the chordal ``tolerance`` mm or the budgeted default quality): what
    :func:`export` writes and :func:`report` draws, made once when both are handed it."""
    from .output.instanced import stack_meshes

    return stack_meshes(build.stack, tolerance=tolerance)


def report(build: Build, results: Sequence[CheckResult] | None, out_dir: str | Path,
           meshes: StackMeshes | None = None, folder: Path | None = None) -> tuple[Path, dict]:
    """Write ``out_dir/<name>/report.md`` and ``report.html``; returns the design folder and the report content
    (:func:`geometry.output.report.content`: claim rows, checks, bill of materials, thermal network, metrics).
    The pictures are drawn from ``meshes`` (:func:`meshes`, e.g. the ones :func:`export` just wrote) when given.
    ``folder`` (a work folder :func:`export` staged) takes the two files instead of ``out_dir/<name>/``."""
    from .output import report as reports
    from .output.design import write_report, write_report_files

    c = reports.content(build, results, meshes=meshes)
    md, page = reports.markdown(c), reports.html(c)
    if folder is not None:
        return write_report_files(Path(folder), md, page), c
    return write_report(out_dir, build.design.name, md, page), c


__all__ = ["check", "claims", "conformal", "export", "load", "manifest", "meshes", "parse", "publish", "report",
           "run"]
