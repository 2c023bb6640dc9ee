"""The cavity flow of 003_f6beeb7f75e78ceb.txt, claims 1-11: a substrate with an opening and bottom pads, a copper
slice under it, the die in or over the opening, bond wires, mold compound, the slice etched into a heat slug that
exposes the pads, and solder balls flush with each other. :data:`CAVITY` binds its model, steps, checks, claims,
thermal network and views."""

from __future__ import annotations

from ...core.flow import Flow
from . import checks, claims, names, steps, thermal, views
from .params import CavityDesign

CAVITY = Flow(
    name="cavity",
    claims_file="003_f6beeb7f75e78ceb.txt",
    model=CavityDesign,
    plan=steps.plan,
    all_steps=tuple(steps.STEPS.values()),
    checks=checks.CHECKS,
    claims=claims.CLAIMS,
    thermal=lambda build: thermal.network(build.stack),
    views=views.VIEWS,
    claim_checks=names.CLAIM_LIMITATIONS,
    outline=views.outline,
)

__all__ = ["CAVITY", "CavityDesign"]
