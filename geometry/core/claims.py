"""Claim matrix: every claim of a flow, whether a design embodies it, and the checks that verify each limitation.

A :class:`Claim` holds its number, a short text, the claim it depends on, a predicate on the design saying whether
the design embodies it, and its limitations, each naming the check results (:class:`~geometry.core.results.
CheckResult` names) that verify it. Each flow writes its table in its own ``claims`` module; :func:`evaluate`
matches the table of a build's flow against the results of the flow's checks, which include the claim-level
checks (seating of pads, bumps and balls, materials, step order).

A claim is embodied when its own predicate holds and its parent is embodied. It passes when it is embodied, every
check of its limitations is present and passes, and its parent passes (a dependent claim includes its parent's
limitations). A limitation whose check is missing from the results fails as ``missing``: an error in the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .results import CheckResult


@dataclass(frozen=True)
class Limitation:
    """One limitation of a claim and the names of the checks that verify it."""

    text: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Claim:
    """A claim: ``number``, short ``text``, the claim it depends on (None: independent), whether a design's
    parameters call for the variant it claims (``applies(design)``, before the parent's condition), and its
    limitations."""

    number: int
    text: str
    depends_on: int | None
    applies: Callable[[object], bool]
    limitations: tuple[Limitation, ...]


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
    """One row of the matrix. ``intended``: the design's parameters call for this claim's variant (and its parent's);
    ``embodied``: intended, every check of every limitation present and passing, and the parent embodied.
    ``failing`` says why a claim is not embodied: the failing or missing checks, ``claim N`` for a parent not
    embodied, or that the design is not this variant."""

    number: int
    text: str
    depends_on: int | None
    intended: bool
    embodied: bool
    limitations: tuple[LimitationResult, ...]
    failing: tuple[str, ...]

    @property
    def status(self) -> str:
        return "embodied" if self.embodied else "not embodied"

    @property
    def reason(self) -> str:
        """Why the claim is not embodied (empty when it is)."""
        return ", ".join(self.failing)


NOT_THIS_VARIANT = "the design is not this variant"
"""The reason a claim whose variant the design's parameters do not call for is not embodied."""


def always(design: object) -> bool:
    """The ``applies`` predicate of a claim every design of its flow is a variant of."""
    return True


def evaluate(build, results: Sequence[CheckResult] | None = None) -> tuple[list[ClaimResult], list[CheckResult]]:
    """The claim matrix of ``build`` (its flow's claim table) and the check results it used: ``results`` (default:
    the flow's checks run on ``build``). Checks are matched by name; a name that occurs several times must pass
    every time. A design that does not embody a claim is reported so, never treated as broken: only failing design
    rules (:attr:`CheckResult.kind`) say a package cannot be built."""
    every = list(build.flow.check(build) if results is None else results)
    by_name: dict[str, list[CheckResult]] = {}
    for c in every:
        by_name.setdefault(c.name, []).append(c)
    rows: dict[int, ClaimResult] = {}
    for claim in build.flow.claims:
        parent = rows.get(claim.depends_on) if claim.depends_on is not None else None
        intended = bool(claim.applies(build.design)) and (parent is None or parent.intended)
        lims = []
        for lim in claim.limitations:
            found = tuple(c for n in lim.checks for c in by_name.get(n, []))
            lims.append(LimitationResult(lim.text, found, tuple(n for n in lim.checks if n not in by_name)))
        failing: list[str] = []
        if not intended:
            failing.append(NOT_THIS_VARIANT)
        for lim in lims:
            failing += [c.name for c in lim.checks if not c.passed] + [f"{n} (missing)" for n in lim.missing]
        if parent is not None and not parent.embodied and parent.intended:
            failing.append(f"claim {parent.number}")
        failing = list(dict.fromkeys(failing))
        rows[claim.number] = ClaimResult(claim.number, claim.text, claim.depends_on, intended, not failing,
                                         tuple(lims), tuple(failing))
    return list(rows.values()), every


def embodied(rows: Sequence[ClaimResult]) -> set[int]:
    """Numbers of the embodied claims."""
    return {r.number for r in rows if r.embodied}
