"""The claimed processes, by flow name."""

from __future__ import annotations

from .base import Build, Flow, Step, StepResult
from .cavity import CAVITY
from .flip_chip import FLIP_CHIP

FLOWS: dict[str, Flow] = {f.name: f for f in (FLIP_CHIP, CAVITY)}


def run(design) -> Build:
    """Run ``design`` through the flow its ``flow`` field names."""
    return FLOWS[design.flow].run(design)


__all__ = ["FLOWS", "Build", "Flow", "Step", "StepResult", "run"]
