"""Yield answers (issue 16): for each value of one axis, the limit of another at which a fast path's yield (all
checks, or one ``check``) reaches a target with stated confidence, found by bisection. The fast path is the base
recipe's flow's: :mod:`geometry.flows.flip_chip.tolerance` or :mod:`geometry.flows.cavity.tolerance`.

A yield spec is TOML beside the sweep specs::

    name = "polish-plane-for-spread"            # builds/sweeps/yields/, not run as a sweep
    base = "../../flip-chip/fc-polished.toml"  # a flip-chip or cavity recipe, relative to the spec
    target = 0.99                              # yield to reach (fraction)
    check = "all"                              # all checks, or one of the fast path's checks
    confidence = 0.95                          # one-sided Clopper-Pearson lower bound >= target
    draws = 2000                               # draws per evaluated point
    seed = 0
    [tolerances]                               # sigmas (mm) of the draws, geometry.flows.<flow>.tolerance
    polish_plane = 0.001
    [recipe]                                   # recipe keys set on the base for every point (optional)
    "solder_balls.diameter" = 0.6
    [per]                                      # the axis answered for each value
    key = "tolerances.bump_height"
    values = [0.001, 0.002, 0.003]
    [find]                                     # the axis searched
    key = "first_encapsulant.polish_plane"
    low = 0.08
    high = 0.105
    resolution = 0.0005
    direction = "highest"                      # the highest value that reaches the target ("lowest": the lowest)

Keys are a recipe key (``first_encapsulant.polish_plane``) or ``tolerances.<field>`` (mm). The search assumes the
yield falls monotonically towards ``high`` (``direction = "highest"``) or towards ``low`` (``"lowest"``); every
point uses the same seed (common random numbers), so neighbouring points differ by the change, not by the noise.
A value the recipe rules refuse counts as not reaching the target and is reported as refused.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..core.params import ParameterError, format_error
from ..flows import load_design
from ..measure.stats import lower_bound
from ..output.files import write_figure, write_text
from ..output.folder import check_output_dir
from ..recipes import read_toml, with_site_files
from .montecarlo import FAST_PATHS

TOLERANCE = "tolerances."
"""Prefix of a key that sets a tolerance sigma (mm) instead of a recipe value."""
MAX_STEPS = 60
"""Bisection steps at most per value (a resolution finer than range / 2**60 stops there)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerAxis(_Strict):
    key: str = Field(description="Recipe key or tolerances.<field> answered for each value.")
    values: list[float] = Field(min_length=1, description="Its values (mm for lengths and sigmas).")


class FindAxis(_Strict):
    key: str = Field(description="Recipe key or tolerances.<field> searched.")
    low: float
    high: float
    resolution: float = Field(gt=0, description="Bisection stops when the bracket is this narrow (key's unit).")
    direction: Literal["highest", "lowest"] = "highest"

    @model_validator(mode="after")
    def _ordered(self) -> FindAxis:
        if not self.low < self.high:
            raise ValueError(f"find.low {self.low:g} must be below find.high {self.high:g}")
        return self


class YieldSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    description: str = ""
    base: str
    target: float = Field(gt=0, lt=1)
    confidence: float = Field(0.95, gt=0, lt=1)
    draws: int = Field(2000, ge=10, le=1_000_000)
    seed: int = 0
    check: str = Field("all", description="The yield targeted: all checks, or one check of the fast path.")
    tolerances: dict[str, float] = {}
    recipe: dict[str, int | float] = Field({}, description="Recipe keys (dotted) set on the base for every point.")
    per: PerAxis
    find: FindAxis

    @model_validator(mode="after")
    def _known_tolerances(self) -> YieldSpec:
        known = set().union(*(m.Tolerances.__dataclass_fields__ for m in FAST_PATHS.values()))
        for k in self.tolerance_keys:
            if k not in known:
                raise ValueError(f"tolerance {k!r} is not one of {', '.join(sorted(known))}")
        return self

    @property
    def tolerance_keys(self) -> list[str]:
        """The tolerance fields the spec names (its table and its axes)."""
        return [*self.tolerances, *(a.key[len(TOLERANCE):] for a in (self.per, self.find)
                                    if a.key.startswith(TOLERANCE))]


def load_spec(path: str | Path) -> tuple[YieldSpec, dict[str, Any]]:
    """The yield spec at ``path`` and its base recipe's data (site files read relative to the recipe)."""
    data = read_toml(path, "yield spec")
    try:
        spec = YieldSpec.model_validate(data)
    except ValidationError as e:
        raise ParameterError(f"{path}: {format_error(e, YieldSpec, data)}") from None
    base = Path(path).parent / spec.base
    recipe = with_site_files(read_toml(base), base.parent)
    fast = FAST_PATHS.get(recipe.get("flow"))
    if fast is None:
        raise ParameterError(f"{path}: base {spec.base!r} is a {recipe.get('flow')!r} recipe; fast paths exist for "
                             f"the {' and '.join(FAST_PATHS)} flows")
    fields = fast.Tolerances.__dataclass_fields__
    for k in spec.tolerance_keys:
        if k not in fields:
            raise ParameterError(f"{path}: tolerance {k!r} is not one of the {recipe['flow']} fast path's: "
                                 f"{', '.join(sorted(fields))}")
    if spec.check != "all" and spec.check not in fast.CHECKS:
        raise ParameterError(f"{path}: check {spec.check!r} is not 'all' or one of {', '.join(fast.CHECKS)}")
    for k, v in spec.recipe.items():
        _set(recipe, k, v)
    return spec, recipe


def _set(recipe: dict[str, Any], key: str, value: float) -> None:
    *path, last = key.split(".")
    node = recipe
    for p in path:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ParameterError(f"key {key!r}: {p!r} is not a section of the recipe")
    node[last] = value


def evaluate(spec: YieldSpec, recipe: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """One point: the recipe and tolerances with ``values`` (key -> value) set, its study summarised (yield with
    its interval and one-sided lower bound, DPM, draws), or ``refused`` with the rule's message."""
    r, tol = copy.deepcopy(recipe), dict(spec.tolerances)
    for k, v in values.items():
        if k.startswith(TOLERANCE):
            tol[k[len(TOLERANCE):]] = v
        else:
            _set(r, k, v)
    point: dict[str, Any] = {"values": values}
    try:
        d = load_design(r)
    except ParameterError as e:
        return {**point, "refused": str(e), "reaches": False}
    fast = FAST_PATHS[d.flow]
    s = fast.study(d, fast.Tolerances.of(d, **tol), spec.draws, seed=spec.seed).summary(spec.confidence)
    y = s["yield"][spec.check]
    lb = lower_bound(y["passed"], y["draws"], spec.confidence)
    return {**point, "yield": y["yield"], "ci_low": y["ci_low"], "ci_high": y["ci_high"], "lower_bound": lb,
            "draws": y["draws"], "dpm": s["dpm"], "reaches": lb >= spec.target}


def find_limit(spec: YieldSpec, recipe: dict[str, Any], per_value: float) -> dict[str, Any]:
    """The limit of ``spec.find`` for one value of ``spec.per``: bisection between low and high on whether the
    yield's lower bound reaches the target. ``limit`` is None when even the safe end does not reach it."""
    f = spec.find
    highest = f.direction == "highest"
    safe, risky = (f.low, f.high) if highest else (f.high, f.low)
    points = []

    def at(v: float) -> bool:
        p = evaluate(spec, recipe, {spec.per.key: per_value, f.key: v})
        points.append(p)
        return bool(p["reaches"])

    if not at(safe):
        limit = None
    elif at(risky):
        limit = risky
    else:
        steps = 0
        while abs(risky - safe) > f.resolution and steps < MAX_STEPS:
            mid = (safe + risky) / 2
            safe, risky = (mid, risky) if at(mid) else (safe, mid)
            steps += 1
        limit = safe
    best = next((p for p in reversed(points) if p["values"][f.key] == limit), None)
    return {"per": per_value, "limit": limit, "at_limit": best, "points": points}


def run(spec: YieldSpec, recipe: dict[str, Any]) -> dict[str, Any]:
    """Every value of ``spec.per`` answered: the summary that ``summary.json`` holds."""
    rows = [find_limit(spec, recipe, v) for v in spec.per.values]
    return {"name": spec.name, "description": spec.description, "target": spec.target,
            "confidence": spec.confidence, "check": spec.check, "rule": "one-sided Clopper-Pearson lower bound of the "
            f"{_what(spec.check)} yield >= target; every draw counts, a refused design reaches nothing",
            "per": spec.per.key,
            "find": spec.find.key, "direction": spec.find.direction, "rows": rows}


def _what(check: str) -> str:
    return "all-checks" if check == "all" else f"{check!r}"


def table(summary: dict[str, Any]) -> str:
    """The answer as a text table: per value, the limit and the yield there with its interval."""
    head = (f"{summary['find']} ({summary['direction']}) with {_what(summary.get('check', 'all'))} yield >= "
            f"{summary['target']:.4g} at "
            f"{summary['confidence']:.0%} confidence, per {summary['per']}")
    lines = [head, f"{summary['per']:>28} {'limit':>12} {'yield':>8} {'95 % CI':>19} {'lower':>8} {'draws':>7}"]
    for r in summary["rows"]:
        p = r["at_limit"]
        if r["limit"] is None or p is None:
            lines.append(f"{r['per']:>28g} {'none':>12}")
            continue
        lines.append(f"{r['per']:>28g} {r['limit']:>12.6g} {p['yield']:>8.4f} [{p['ci_low']:.4f}, {p['ci_high']:.4f}]"
                     f" {p['lower_bound']:>8.4f} {p['draws']:>7}")
    return "\n".join(lines)


def write(summary: dict[str, Any], out: str | Path) -> Path:
    """``out/summary.json``, written atomically."""
    return write_text(Path(out) / "summary.json", json.dumps(summary, indent=1, allow_nan=False, default=float) + "\n")


def _unit(key: str) -> str:
    return "" if key.split(".")[-1] in ("count_x", "count_y", "seed") else " (mm)"


def plot(summary: dict[str, Any], path: str | Path) -> Path:
    """The answer as a PNG: the limit against the ``per`` value (left), and the yield at each limit with its
    interval, its lower bound and the target (right). matplotlib is imported here (an optional heavy import)."""
    from matplotlib.figure import Figure

    rows = [r for r in summary["rows"] if r["limit"] is not None and r["at_limit"] is not None]
    fig = Figure(figsize=(10.0, 4.2), layout="constrained")
    a, b = fig.subplots(1, 2)
    x = [r["per"] for r in rows]
    a.plot(x, [r["limit"] for r in rows], "o-", label=f"{summary['direction']} value reaching the target")
    a.set_xlabel(summary["per"] + _unit(summary["per"]))
    a.set_ylabel(summary["find"] + _unit(summary["find"]))
    a.set_title(f"yield >= {summary['target']:.4g} at {summary['confidence']:.0%} confidence")
    a.legend(fontsize=8)
    y = np.array([r["at_limit"]["yield"] for r in rows])
    lo = np.array([r["at_limit"]["ci_low"] for r in rows])
    hi = np.array([r["at_limit"]["ci_high"] for r in rows])
    b.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o", capsize=4, label=f"yield, {summary['confidence']:.0%} interval")
    b.plot(x, [r["at_limit"]["lower_bound"] for r in rows], "v", label="one-sided lower bound")
    b.axhline(summary["target"], color="k", lw=0.8, ls="--", label="target")
    b.set_xlabel(summary["per"] + _unit(summary["per"]))
    b.set_ylabel(f"{_what(summary.get('check', 'all'))} yield at the limit (fraction of every draw)")
    b.legend(fontsize=8, loc="lower left")
    for ax in (a, b):
        ax.set_xticks(x, [f"{v:g}" for v in x])
    return write_figure(fig, path, dpi=110)


def yield_study(args) -> int:
    """``pkgcad yield SPEC -o DIR``: the answer printed as a table, written to ``DIR/summary.json`` and drawn in
    ``DIR/limits.png`` (default DIR: exports/yields/<spec name>); 0 done; a bad spec raises :class:`ParameterError` for the caller (exit 2)."""
    spec, recipe = load_spec(args.yield_spec)
    out = Path(args.output) if args.output else Path("exports") / "yields" / spec.name
    check_output_dir(out)
    summary = run(spec, recipe)
    print(table(summary))
    print(f"wrote {write(summary, out)}, {plot(summary, out / 'limits.png')}")
    return 0
