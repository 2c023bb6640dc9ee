"""``pkgcad thermal RECIPE... -o DIR`` (issue 17): per design, the JEDEC-style resistances of the built package
from the 3D conduction solve (:mod:`geometry.thermal.jedec`) in ``DIR/<design>/thermal.json`` and its
temperature pictures (``section.png``: a vertical section through the package centre; ``top.png``: the package
top), from the theta_ja solve (package on the 2s2p board in still air). Each file is written atomically.
With ``--converge`` the design is solved again with every element edge halved (refine ``2 r``) and
``thermal.json`` gains ``convergence``: per figure the coarse and fine values, their relative change, Richardson's
extrapolation and its two-grid error band (:mod:`geometry.thermal.convergence`); the figures and pictures stay
those of the coarse (requested) mesh.

The flow's box model (``geometry.flows.<flow>.thermal.box_model``) is looked up by flow name here, above the
flows in the layers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..api import run as build_design
from ..core.flow import Build
from ..core.params import ParameterError
from ..flows.cavity import thermal as cavity_thermal
from ..flows.flip_chip import thermal as fc_thermal
from ..output.files import write_figure, write_text
from ..output.folder import check_output_dir, design_folder
from ..output.temperature import section_figure, top_figure
from ..thermal.convergence import FIGURES, convergence
from ..thermal.jedec import Figures, Settings, TemperatureMap, figures
from ..thermal.package import PackageModel

BOX_MODELS: dict[str, Callable[[Build], PackageModel]] = {"flip-chip": fc_thermal.box_model,
                                                           "cavity": cavity_thermal.box_model}
"""Each flow's box model for the 3D solve."""


def box_model(build: Build) -> PackageModel:
    """The box model of ``build`` by its flow."""
    try:
        return BOX_MODELS[build.design.flow](build)
    except KeyError:
        raise ParameterError(f"{build.design.name}: the {build.design.flow!r} flow has no thermal box model") from None


def analyse(build: Build, settings: Settings | None = None,
            converge: bool = False) -> tuple[PackageModel, Figures, dict[str, Any]]:
    """Model, figures and the ``thermal.json`` summary (with CPU and wall seconds) of a finished build; with
    ``converge`` also the refinement study (module doc) in ``summary["convergence"]``."""
    cpu, wall = time.process_time(), time.perf_counter()
    model = box_model(build)
    if converge:
        study = convergence(model, settings)
        result = study.coarse
        summary = result.summary(model)
        summary["convergence"] = study.summary()
    else:
        result = figures(model, settings)
        summary = result.summary(model)
    summary["solve_cpu_s"] = round(time.process_time() - cpu, 2)
    summary["solve_wall_s"] = round(time.perf_counter() - wall, 2)
    return model, result, summary


def draw(tm: TemperatureMap, path_section: Path, path_top: Path) -> None:
    """The section through the package centre and the package top of ``tm``
    (:mod:`geometry.output.temperature`), as PNG figures."""
    write_figure(section_figure(tm), path_section, dpi=150)
    write_figure(top_figure(tm), path_top, dpi=150)


def write(out: Path, model: PackageModel, result: Figures, summary: dict[str, Any]) -> list[Path]:
    """``out/<design>/thermal.json``, ``section.png`` and ``top.png``, each atomically."""
    folder = Path(out) / model.name
    text = json.dumps(summary, indent=1, allow_nan=False, default=float) + "\n"
    paths = [write_text(folder / "thermal.json", text), folder / "section.png", folder / "top.png"]
    draw(result.temperature_map(model), paths[1], paths[2])
    return paths


def thermal(args, solve: Callable[[Build, Settings, bool], tuple] = analyse) -> int:
    """``pkgcad thermal RECIPE... -o DIR [--converge]``: each design built, solved and written (module doc);
    the figures printed one line per design (with ``--converge``, each figure's change over the refinement).
    0 done."""
    out = check_output_dir(args.output)
    for d in args.designs:
        design_folder(out, d.name)
    for d in args.designs:
        build = build_design(d, args.budget)
        settings = Settings(mesh=args.mesh or build.design.thermal.mesh, refine=args.refine, h=args.h)
        model, result, summary = solve(build, settings, getattr(args, "converge", False))
        paths = write(out, model, result, summary)
        print(f"{d.name}: theta_jc {result.theta_jc:.3g}, theta_jb {result.theta_jb:.3g}, theta_ja "
              f"{result.theta_ja:.3g}, psi_jt {result.psi_jt:.3g} K/W; {summary['solve_cpu_s']} s CPU; wrote "
              f"{paths[0].parent}")
        if "convergence" in summary:
            c = summary["convergence"]
            print(f"{d.name}: refine {c['refine'][0]} to {c['refine'][1]}: " + ", ".join(
                f"{k} {100 * c[k]['change']:+.1f} % (extrapolated {c[k]['extrapolated_KW']:.4g} +/- "
                f"{c[k]['error_KW']:.2g})" for k in FIGURES))
    return 0
