"""Check results: what one check measured, against what limit, for which claim, and where the worst member is."""

from __future__ import annotations

from dataclasses import asdict, dataclass

Z_TOL = 1e-6
"""Tolerance on heights and flushness (mm)."""


@dataclass(frozen=True)
class CheckResult:
    """One measured requirement. ``value`` and ``limit`` are in ``unit``; ``where`` names the worst member."""

    name: str
    claim: str
    value: float
    limit: float
    unit: str
    passed: bool
    where: str = ""
    detail: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["value"], d["limit"], d["passed"] = float(self.value), float(self.limit), bool(self.passed)
        return d
