"""The flip-chip flow of 000_9630dddb18a83760.txt, claims 1-8: bumps on the substrate, a first encapsulant flush
with their flat ends (optionally polished), the chip face-down on the ends, a second encapsulant (chip back covered
or exposed, optional heat sink) and solder balls. :data:`FLIP_CHIP` binds its model, steps, checks, claims, thermal
network and views."""

from __future__ import annotations

from ...core.flow import Flow
from . import checks, claims, fills, names, steps, thermal, views
from .params import FlipChipDesign

FLIP_CHIP = Flow(
    name="flip-chip",
    claims_file="000_9630dddb18a83760.txt",
    model=FlipChipDesign,
    plan=steps.plan,
    all_steps=tuple(steps.STEPS.values()),
    checks=checks.CHECKS,
    claims=claims.CLAIMS,
    thermal=thermal.of_build,
    views=views.VIEWS,
    claim_checks=names.CLAIM_LIMITATIONS,
    outline=views.outline,
    fills=fills.chip_gap_fills,
)

__all__ = ["FLIP_CHIP", "FlipChipDesign"]
