"""The cavity flow of 003_f6beeb7f75e78ceb.txt, claims 1-11: a substrate with an opening and bottom pads, a copper
slice under it, the die in or over the opening, bond wires, mold compound, the slice etched into a heat slug that
exposes the pads, and solder balls flush with each other. :data:`CAVITY` binds its model and claims, and loads its
steps, checks, thermal network and views (the modules that import OpenCascade) on first use."""

from __future__ import annotations

from ...core.flow import Flow, Kernel
from . import claims, names
from .params import CavityDesign


def _kernel() -> Kernel:
    """The steps, checks, thermal network and views, imported only when a design is built."""
    from . import checks, steps, thermal, views

    return Kernel(plan=steps.plan, all_steps=tuple(steps.STEPS.values()), checks=checks.CHECKS,
                  thermal=thermal.of_build, views=views.VIEWS, outline=views.outline)


CAVITY = Flow(
    name="cavity",
    claims_file="003_f6beeb7f75e78ceb.txt",
    model=CavityDesign,
    claims=claims.CLAIMS,
    load=_kernel,
    claim_checks=names.CLAIM_LIMITATIONS,
    step_texts=names.STEP_TEXTS,
)

__all__ = ["CAVITY", "CavityDesign"]
