"""The Python API: everything the CLI does, as functions.

    from geometry import api

    design = api.load("builds/flip-chip/fc-basic.toml")  # validated, frozen parameters (mm)
    build = api.run(design)                              # every intermediate stack: build.history
    results = api.check(build)                           # list of CheckResult
    api.export(build, results, "exports", steps=True)    # STEP, STL, GLB, manifest
"""

from __future__ import annotations

from pathlib import Path

from .params import Design
from .recipes import load, parse


def run(design: Design):
    """Run ``design`` through its flow; returns a Build with every intermediate stack."""
    from . import flows

    return flows.run(design)


def check(build) -> list:
    """Every check of the build's flow, as CheckResult records."""
    from .checks import run_checks

    return run_checks(build)


def manifest(build, results: list) -> dict:
    """The manifest content of a checked build: parameters, bodies, checks, steps, versions."""
    from .export import manifest as build_manifest

    design = build.design
    steps = [{"index": r.index, "key": r.step.key, "title": r.step.title, "claim": r.step.claim,
              "reference": r.step.reference, "bodies": list(r.stack.names)} for r in build.history]
    return build_manifest(design.name, build.flow, design.model_dump(mode="json"), build.stack,
                       [c.to_dict() for c in results], steps)


def export(build, results: list, out_dir: str | Path, steps: bool = False) -> Path:
    """Write ``out_dir/<name>/`` (package.step, .stl, .glb, .html, manifest.json; ``steps/`` when asked)."""
    from .export import write_design

    history = [(f"{r.step.key}", r.stack) for r in build.history] if steps else None
    return write_design(Path(out_dir), build.design.name, build.stack, manifest(build, results), history)


__all__ = ["check", "export", "load", "manifest", "parse", "run"]
