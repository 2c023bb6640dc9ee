"""Statistics an engineer can quote for a tolerance study: yield with a binomial confidence interval (Wilson score
or Clopper-Pearson exact), defects per million opportunities, and the process capability index Cpk of a margin
sample against its limit(s). Pure numpy/scipy; no geometry kernel. ``scipy.stats`` (some 0.8 s to import) is
imported by the intervals that use it, so a sweep or a worker that draws no yield never loads it.

Standards realised: the Wilson score interval (Wilson 1927) and the Clopper-Pearson interval (1934) from the beta
distribution, as in NIST/SEMATECH e-Handbook 7.2.4.1; Cpk = min(USL - mean, mean - LSL) / (3 s) as in ISO 22514-2
(s the sample standard deviation), one-sided when only one limit applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Method = Literal["wilson", "clopper-pearson"]


@dataclass(frozen=True)
class Yield:
    """``passed`` of ``n`` draws: the yield and its two-sided confidence interval (fractions 0..1)."""

    passed: int
    n: int
    low: float
    high: float
    confidence: float
    method: str

    @property
    def value(self) -> float:
        """The observed yield, passed / n (0 for no draws)."""
        return self.passed / self.n if self.n else 0.0

    def as_dict(self) -> dict:
        return {"yield": self.value, "ci_low": self.low, "ci_high": self.high, "passed": self.passed,
                "draws": self.n, "confidence": self.confidence, "method": self.method}


def _counts(k: int, n: int) -> tuple[int, int]:
    k, n = int(k), int(n)
    if n < 0 or not 0 <= k <= max(n, 0):
        raise ValueError(f"passed {k} of {n} draws: need 0 <= passed <= draws")
    return k, n


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (fractions) for ``k`` successes in ``n`` trials, two-sided at ``confidence``."""
    k, n = _counts(k, n)
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if k == 0 else max(0.0, centre - half)
    return low, 1.0 if k == n else min(1.0, centre + half)


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson exact interval (fractions) for ``k`` successes in ``n`` trials, two-sided at
    ``confidence``: the beta quantiles, 0 at k = 0 and 1 at k = n."""
    k, n = _counts(k, n)
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import beta

    a = 1 - confidence
    low = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    return low, high


def yield_ci(k: int, n: int, confidence: float = 0.95, method: Method = "wilson") -> Yield:
    """The yield of ``k`` passing draws of ``n`` with its interval by ``method``."""
    fn = {"wilson": wilson, "clopper-pearson": clopper_pearson}.get(method)
    if fn is None:
        raise ValueError(f"method {method!r} must be 'wilson' or 'clopper-pearson'")
    low, high = fn(k, n, confidence)
    return Yield(int(k), int(n), low, high, confidence, method)


def lower_bound(k: int, n: int, confidence: float = 0.95) -> float:
    """One-sided lower confidence bound (fraction) of the yield, Clopper-Pearson: the yield is at least this with
    probability ``confidence`` (0 at k = 0). What "yield >= 99 % at 95 % confidence" compares."""
    k, n = _counts(k, n)
    if k == 0 or n == 0:
        return 0.0
    from scipy.stats import beta

    return float(beta.ppf(1 - confidence, k, n - k + 1))


def dpm(defects: int, opportunities: int) -> float:
    """Defects per million opportunities (members x draws): 1e6 defects / opportunities (0 with none)."""
    if opportunities < 0 or defects < 0:
        raise ValueError(f"defects {defects} and opportunities {opportunities} must be >= 0")
    return 1e6 * defects / opportunities if opportunities else 0.0


def cpk(sample: np.ndarray, lower: float | None = None, upper: float | None = None) -> float:
    """Process capability index of ``sample`` (any unit) against the limits given: min(upper - mean, mean -
    lower) / (3 s), one-sided with one limit, s the sample standard deviation (ddof 1). A sample without spread
    gives +inf inside its limits and -inf outside; NaN with fewer than two values."""
    if lower is None and upper is None:
        raise ValueError("cpk needs a lower or an upper limit")
    x = np.asarray(sample, dtype=float).ravel()
    if len(x) < 2:
        return math.nan
    m, s = float(x.mean()), float(x.std(ddof=1))
    sides = [v for v in ((upper - m) if upper is not None else None, (m - lower) if lower is not None else None)
             if v is not None]
    worst = min(sides)
    if s == 0:
        return math.inf if worst >= 0 else -math.inf
    return worst / (3 * s)


def margin_summary(sample: np.ndarray, unit: str, lower: float | None = None, upper: float | None = None) -> dict:
    """Distribution of a margin sample (its ``unit``): mean, standard deviation, min, 1st/50th/99th percentile,
    max, the limits and Cpk against them, over its finite values (``non_finite`` counts the others: a margin
    with nothing to measure, e.g. no exposed end)."""
    raw = np.asarray(sample, dtype=float).ravel()
    x = raw[np.isfinite(raw)]
    p1, p50, p99 = (np.percentile(x, [1, 50, 99]) if len(x) else (math.nan,) * 3)
    return {"unit": unit, "mean": float(x.mean()) if len(x) else math.nan,
            "std": float(x.std(ddof=1)) if len(x) > 1 else math.nan, "min": float(x.min()) if len(x) else math.nan,
            "p1": float(p1), "p50": float(p50), "p99": float(p99), "max": float(x.max()) if len(x) else math.nan,
            "lower": lower, "upper": upper, "cpk": cpk(x, lower, upper), "non_finite": int(len(raw) - len(x))}


@dataclass(frozen=True, eq=False)
class Study:
    """A Monte Carlo tolerance study of ``n`` draws about ``nominal``: per draw and margin (um) its value, per
    check (and ``"all"``) whether the draw passed; ``limits`` each margin's (lower, upper) limit (um) for Cpk;
    ``defects`` per defect kind (defective members, members examined) over every draw."""

    nominal: Any
    tolerances: Any
    seed: int
    margins: dict[str, np.ndarray]
    passed: dict[str, np.ndarray]
    limits: dict[str, tuple[float | None, float | None]]
    defects: dict[str, tuple[int, int]]

    @classmethod
    def merged(cls, nominal: Any, tolerances: Any, seed: int, limits: dict[str, tuple[float | None, float | None]],
               passed: list[dict[str, np.ndarray]],
               counts: list[tuple[dict[str, np.ndarray], dict[str, tuple[int, int]]]]) -> Study:
        """The study of consecutive chunks of draws: per chunk its passes (per check and ``"all"``) and its
        (margins, defects) as a flow's ``counts`` gives them."""
        return cls(nominal, tolerances, seed,
                   {k: np.concatenate([m[k] for m, _ in counts]) for k in counts[0][0]},
                   {k: np.concatenate([p[k] for p in passed]) for k in passed[0]}, limits,
                   {k: (sum(d[k][0] for _, d in counts), sum(d[k][1] for _, d in counts)) for k in counts[0][1]})

    @property
    def n(self) -> int:
        return len(self.passed["all"])

    def summary(self, confidence: float = 0.95, method: str = "wilson") -> dict:
        """Per check and for all checks the yield with its interval; defects per million members; each margin's
        distribution and Cpk against its limit (um). One denominator: every draw."""
        return {
            "draws": self.n, "seed": self.seed, "tolerances_mm": vars(self.tolerances),
            "yield": {k: yield_ci(int(v.sum()), self.n, confidence, method).as_dict() for k, v in self.passed.items()},
            "dpm": {k: dpm(int(bad), int(total)) for k, (bad, total) in self.defects.items()},
            "margins": {k: margin_summary(v, "um", *self.limits[k]) for k, v in self.margins.items()},
        }
