"""Check results: what one check measured, against what limit, for which claim, and where the worst member is."""

from __future__ import annotations

from dataclasses import asdict, dataclass

Z_TOL = 1e-6
"""Tolerance on heights and flushness (mm)."""

RULE = "rule"
"""A design rule: when it fails the package cannot be built or assembled (interference, a pad off its bump,
coplanarity beyond the JEDEC limit), and the export is refused."""
CLAIM = "claim"
"""A claim limitation: when it fails the design does not embody the claims that name it; it is reported, never
treated as broken."""


@dataclass(frozen=True)
class CheckResult:
    """One measured requirement. ``value`` and ``limit`` are in ``unit``; ``where`` names the worst member;
    ``kind`` is :data:`RULE` or :data:`CLAIM` (the flow says which of its checks are claim limitations only)."""

    name: str
    claim: str
    value: float
    limit: float
    unit: str
    passed: bool
    where: str = ""
    detail: str = ""
    kind: str = RULE

    @property
    def blocks(self) -> bool:
        """A failing design rule: the package cannot be built or assembled as designed."""
        return self.kind == RULE and not self.passed

    @property
    def verdict(self) -> str:
        """``pass``, ``FAIL`` (a design rule) or ``not met`` (a claim limitation)."""
        return "pass" if self.passed else "FAIL" if self.kind == RULE else "not met"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["value"], d["limit"], d["passed"] = float(self.value), float(self.limit), bool(self.passed)
        return d


def rules_pass(results) -> bool:
    """Every design rule among ``results`` passes (claim limitations may not: the design then does not embody the
    claims that name them)."""
    return not any(r.blocks for r in results)
