"""Claim matrix: every claim of a flow, whether a design embodies it, and the checks that verify each limitation.

A :class:`Claim` holds its number, a short text, the claim it depends on, a predicate on the design saying whether
the design embodies it, and its limitations, each naming the check results (:class:`~geometry.checks.CheckResult`
names) that verify it. :func:`evaluate` matches the table against the results of
:func:`geometry.checks.run_checks`, which include the claim-level checks of :mod:`geometry.checks_claims`
(seating of pads, bumps and balls, materials, step order).

A claim is embodied when its own predicate holds and its parent is embodied. It passes when it is embodied, every
check of its limitations is present and passes, and its parent passes (a dependent claim includes its parent's
limitations). A limitation whose check is missing from the results fails as ``missing``: an error in the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .checks import CheckResult, run_checks
from .checks_claims import SOLDERS_CLAIM_3


@dataclass(frozen=True)
class Limitation:
    """One limitation of a claim and the names of the checks that verify it."""

    text: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Claim:
    """A claim: ``number``, short ``text``, the claim it depends on (None: independent), whether a design embodies
    it (``embodies(design)``, before the parent's condition), and its limitations."""

    number: int
    text: str
    depends_on: int | None
    embodies: Callable[[object], bool]
    limitations: tuple[Limitation, ...]


def _always(d) -> bool:
    return True


L = Limitation

FLIP_CHIP_CLAIMS: tuple[Claim, ...] = (
    Claim(1, "Packaging process: substrate, bumps with flat ends, first encapsulant flush with the ends, chip "
             "face-down on the ends, second encapsulant over the chip, solder balls", None, _always, (
        L("1) substrate with a first and a second surface, chip-mounting area on the first",
          ("chip_mounting_area", "valid_solids")),
        L("2) conductive elements on the chip-mounting area, connected to the substrate, each with a flat end",
          ("bumps_seated", "bumps_ends_exposed")),
        L("3) first encapsulant on the chip-mounting area, top coplanar with the element ends, ends exposed",
          ("bumps_end_coplanarity", "bumps_ends_exposed")),
        L("4) chip mounted face-down on the first encapsulant, bond pads on the exposed ends",
          ("chip_pads_on_bumps", "no_interference")),
        L("5) second encapsulant on the first surface encapsulating the chip", ("chip_encapsulated",)),
        L("6) solder balls on the second surface, connected to the substrate",
          ("ball_pads_seated", "solder_balls_seated", "solder_balls_coplanarity")),
    )),
    Claim(2, "The conductive elements are conductive bumps", 1, _always, (
        L("elements are bumps of an electrically conductive material", ("bumps_conductive",)),
    )),
    Claim(3, "The bumps are made of tin, lead or tin/lead alloy", 2,
          lambda d: d.bumps.material in SOLDERS_CLAIM_3, (
              L("bump material Sn, Pb or Sn/Pb", ("bump_material",)),
          )),
    Claim(4, "Polishing the first encapsulant and the elements after step 3)", 1,
          lambda d: d.first_encapsulant.polish, (
              L("a polish after forming the first encapsulant, removing encapsulant and bumps",
                ("polish_after_first_encapsulant",)),
              L("polished ends coplanar with the encapsulant and exposed",
                ("bumps_end_coplanarity", "bumps_ends_exposed")),
          )),
    Claim(5, "Bond pads on the chip-mounting area bonded to the elements, connected to the substrate", 1,
          lambda d: d.bump_pads.enabled, (
              L("a bond pad on the substrate under each element", ("substrate_pads_seated", "bumps_seated")),
              L("chip pads bonded to the element ends", ("chip_pads_on_bumps",)),
          )),
    Claim(6, "The chip's back (no bond pads) encapsulated by the second encapsulant", 1,
          lambda d: d.second_encapsulant.chip_back == "encapsulated", (
              L("chip back covered by the second encapsulant", ("chip_back_encapsulated",)),
          )),
    Claim(7, "The chip's back exposed to the atmosphere", 1,
          lambda d: d.second_encapsulant.chip_back == "exposed", (
              L("chip back flush with the mold top and bare", ("chip_back_exposed",)),
          )),
    Claim(8, "A heat sink attached to the first surface after step 4), encapsulated in step 5)", 1,
          lambda d: d.heat_sink is not None, (
              L("attached to the first surface after mounting the chip, before the second encapsulant",
                ("heat_sink_attached",)),
              L("encapsulated by the second encapsulant, clear of the chip",
                ("heat_sink_encapsulated", "heat_sink_clearance")),
          )),
)

CAVITY_CLAIMS: tuple[Claim, ...] = (
    Claim(1, "Method: substrate with an opening and bottom pads, metal slice under it, die in or over the "
             "opening, bond wires, mold compound, slice partly removed into a heat slug", None, _always, (
        L("substrate with an opening and bond pads on its bottom surface",
          ("substrate_opening", "bottom_pads_seated")),
        L("metal slice on the bottom surface covering the opening and the pads", ("slice_covers",)),
        L("die on the slice inside the opening, or on the top surface over it", ("die_attached",)),
        L("bond wires from the die top to the substrate top",
          ("bond_wires_connect", "bond_wires_clear", "bond_wires_clearance", "ball_bond_clearance",
           "wires_clear_of_die_edges")),
        L("mold compound covering the die, the wires and part of the substrate top",
          ("die_encapsulated", "bond_wires_cover", "embedded_in_mold_compound", "mold_on_substrate")),
        L("part of the slice removed: a heat slug thermally connected to the die, the pads exposed",
          ("thermal_path", "bottom_pads_exposed", "slice_etched")),
        L("the package as a whole: valid solids, no overlaps", ("valid_solids", "no_interference")),
    )),
    Claim(2, "Solder balls flush with each other on the pads, after removing the slice part", 1, _always, (
        L("balls on the bond pads, formed after the removal", ("solder_balls_seated",)),
        L("balls flush with each other", ("solder_balls_coplanarity",)),
    )),
    Claim(3, "The heat slug thinner than each solder ball is tall", 2, _always, (
        L("slug thickness below every ball height", ("heat_slug_below_solder_balls",)),
    )),
    Claim(4, "The metal slice disposed with an adhesive agent", 1, _always, (
        L("slice held to the substrate's bottom by an adhesive", ("slice_attached",)),
    )),
    Claim(5, "Die smaller than the opening on the slice by adhesive, the gap filled with another adhesive", 1,
          lambda d: d.die.placement == "inside" and d.die_fit == "smaller", (
              L("die on an adhesive on the slice, inside the opening", ("die_attached",)),
              L("gap between die and opening wall filled with another adhesive", ("gap_filled",)),
          )),
    Claim(6, "Die equal to the opening on the slice by adhesive", 1,
          lambda d: d.die.placement == "inside" and d.die_fit == "equal", (
              L("die on an adhesive on the slice, inside the opening", ("die_attached",)),
              L("die fills the opening wall to wall", ("no_gap",)),
          )),
    Claim(7, "Die larger than the opening on the substrate top by adhesive, the adhesive filling the opening", 1,
          lambda d: d.die.placement == "over", (
              L("die on an adhesive on the top surface, over the opening", ("die_attached",)),
              L("adhesive fills the opening between die and slice", ("opening_filled",)),
          )),
    Claim(8, "The die thermally connected to the heat slug by the adhesive", 7, _always, (
        L("continuous adhesive path from die to slug", ("thermal_path",)),
    )),
    Claim(9, "The metal slice made of copper", 1, lambda d: d.metal_slice.material == "Cu", (
        L("slice material copper", ("slice_material",)),
    )),
    Claim(10, "The heat slug made of copper", 9, _always, (
        L("slug material copper", ("slug_material",)),
    )),
    Claim(11, "Removing by etching the slice into a heat slug thermally connected to the die", 1, _always, (
        L("slice etched through a mask into the slug, pads exposed", ("slice_etched", "bottom_pads_exposed")),
        L("slug thermally connected to the die", ("thermal_path",)),
    )),
)

CLAIMS: dict[str, tuple[Claim, ...]] = {"flip-chip": FLIP_CHIP_CLAIMS, "cavity": CAVITY_CLAIMS}
"""The claim table of each flow, in claim order."""


# ---------------------------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class LimitationResult:
    text: str
    checks: tuple[CheckResult, ...]
    missing: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.missing and all(c.passed for c in self.checks)


@dataclass(frozen=True)
class ClaimResult:
    """One row of the matrix. ``failing`` names the failing or missing checks (and ``claim N`` for a failing
    parent); ``passed`` is None when the claim is not embodied."""

    number: int
    text: str
    depends_on: int | None
    embodied: bool
    limitations: tuple[LimitationResult, ...]
    passed: bool | None
    failing: tuple[str, ...]

    @property
    def status(self) -> str:
        return "not embodied" if not self.embodied else "pass" if self.passed else "FAIL"


def evaluate(build, results: Sequence[CheckResult] | None = None) -> tuple[list[ClaimResult], list[CheckResult]]:
    """The claim matrix of ``build`` and the check results it used: ``results`` (default
    :func:`~geometry.checks.run_checks`). Checks are matched by name; a name that occurs several times must pass
    every time."""
    every = list(run_checks(build) if results is None else results)
    by_name: dict[str, list[CheckResult]] = {}
    for c in every:
        by_name.setdefault(c.name, []).append(c)
    rows: dict[int, ClaimResult] = {}
    for claim in CLAIMS[build.flow]:
        parent = rows.get(claim.depends_on) if claim.depends_on is not None else None
        embodied = bool(claim.embodies(build.design)) and (parent is None or parent.embodied)
        lims = []
        for lim in claim.limitations:
            found = tuple(c for n in lim.checks for c in by_name.get(n, []))
            lims.append(LimitationResult(lim.text, found, tuple(n for n in lim.checks if n not in by_name)))
        failing: list[str] = []
        passed = None
        if embodied:
            for lim in lims:
                failing += [c.name for c in lim.checks if not c.passed] + [f"{n} (missing)" for n in lim.missing]
            if parent is not None and not parent.passed:
                failing.append(f"claim {parent.number}")
            failing = list(dict.fromkeys(failing))
            passed = not failing
        rows[claim.number] = ClaimResult(claim.number, claim.text, claim.depends_on, embodied, tuple(lims), passed,
                                         tuple(failing))
    return list(rows.values()), every


def embodied(rows: Sequence[ClaimResult]) -> set[int]:
    """Numbers of the embodied claims."""
    return {r.number for r in rows if r.embodied}
