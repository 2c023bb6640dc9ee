"""The flip-chip flow of 000_9630dddb18a83760.txt, claims 1-8: bumps on the substrate, a first encapsulant flush
with their flat ends (optionally polished), the chip face-down on the ends, a second encapsulant (chip back covered
or exposed, optional heat sink) and solder balls. :data:`FLIP_CHIP` binds its model and claims, and loads its
steps, checks, thermal network, views and gap fills (the modules that import OpenCascade) on first use."""

from __future__ import annotations

from ...core.flow import Flow, Kernel
from . import claims, names
from .params import FlipChipDesign


def _kernel() -> Kernel:
    """The steps, checks, thermal network, views and gap fills, imported only when a design is built."""
    from . import checks, fills, steps, thermal, views

    return Kernel(plan=steps.plan, all_steps=tuple(steps.STEPS.values()), checks=checks.CHECKS,
                  thermal=thermal.of_build, views=views.VIEWS, outline=views.outline, fills=fills.chip_gap_fills)


FLIP_CHIP = Flow(
    name="flip-chip",
    claims_file="000_9630dddb18a83760.txt",
    model=FlipChipDesign,
    claims=claims.CLAIMS,
    load=_kernel,
    claim_checks=names.CLAIM_LIMITATIONS,
    step_texts=names.STEP_TEXTS,
)

__all__ = ["FLIP_CHIP", "FlipChipDesign"]
