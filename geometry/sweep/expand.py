"""The pure expansion of a sweep spec into resolved variants: the same variants, in the same order, with the same
hashes, on every machine."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.expr import Expression, num, rounded
from ..core.params import ParameterError
from .paths import MISSING, default_value, design_model, is_real, set_path
from .spec import MAX_VARIANTS, SweepSpec


def canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def variant_key(recipe: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a resolved recipe, less its name and description."""
    body = {k: v for k, v in recipe.items() if k not in ("name", "description")}
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def _words(text: str, n: int = 2) -> list[int]:
    d = hashlib.sha256(text.encode()).digest()
    return [int.from_bytes(d[4 * i:4 * i + 4], "little") for i in range(n)]


@dataclass(frozen=True)
class Variant:
    """One resolved design of a sweep: ``recipe`` is complete and ready for :func:`geometry.flows.load_design`."""

    index: int
    point: int
    replicate: int
    values: dict[str, Any]
    recipe: dict[str, Any]
    key: str
    nominal: dict[str, Any] = field(default_factory=dict)
    """Values of the toleranced parameters before their draw."""

    @property
    def name(self) -> str:
        return self.recipe["name"]


@dataclass(frozen=True)
class Plan:
    """The expansion of a spec: variants in run order (the first ``limit`` when expanded with one), the design
    points of the whole sweep (counted, never listed), and how many of the design points examined the filter
    removed. ``complete``: every design point was examined, so ``variants`` is the whole sweep."""

    spec: SweepSpec
    variants: list[Variant]
    points: int
    filtered: int
    seed_varied: bool
    nominal_columns: list[str] = field(default_factory=list)
    examined: int = 0
    complete: bool = True

    @property
    def total(self) -> int | None:
        """Variants of the whole sweep: known unless a filter has design points left to examine."""
        if self.complete:
            return len(self.variants)
        if not self.spec.filter:
            return self.points * self.spec.sample.replicates
        return None

    @property
    def most(self) -> int:
        """An upper bound of :attr:`total`: every design point not yet examined kept."""
        return (self.points - self.filtered) * self.spec.sample.replicates


def _unit_points(spec: SweepSpec) -> np.ndarray:
    """(count, axes) coordinates in [0, 1) for random or Latin-hypercube sampling."""
    n, d = spec.sample.count, len(spec.axes)
    rng = np.random.default_rng([spec.seed, 0])
    if spec.sample.method == "random":
        return rng.random((n, d))
    u = np.empty((n, d))
    for j in range(d):
        u[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return u


def _points(spec: SweepSpec) -> tuple[int, Iterator[dict[str, Any]]]:
    """The number of design points (by multiplication for a grid) and a lazy iterator over them, so the first N
    variants cost O(N), not O(grid)."""
    axes = list(spec.axes.items())
    names = [p for p, _ in axes]
    levels = [None if ax.continuous else ax.levels() for _, ax in axes]
    if spec.sample.method == "grid":
        n = math.prod(len(lv) for lv in levels)
        if n * spec.sample.replicates > MAX_VARIANTS:
            raise ParameterError(f"axes expand to {n * spec.sample.replicates} variants (with sample.replicates "
                                 f"{spec.sample.replicates}), more than the limit of {MAX_VARIANTS}")
        return n, (dict(zip(names, combo, strict=True)) for combo in itertools.product(*levels))
    if spec.sample.count * spec.sample.replicates > MAX_VARIANTS:
        raise ParameterError(f"sample.count {spec.sample.count} x replicates {spec.sample.replicates} exceeds the "
                             f"limit of {MAX_VARIANTS} variants")
    u = _unit_points(spec)
    return len(u), ({p: ax.pick(float(u[i, j]), levels[j]) for j, (p, ax) in enumerate(axes)}
                    for i in range(len(u)))


def expand(spec: SweepSpec, limit: int | None = None) -> Plan:
    """Every variant of ``spec``, in order, or only the first ``limit``: design points (grid order, or sample
    order), each repeated ``sample.replicates`` times with its own tolerance draws; the filter drops design points
    before the draws. Points are made and filtered lazily: the first ``limit`` variants cost O(limit) design points
    (plus those the filter drops on the way), whatever the size of the grid.

    Deterministic: tolerance draws and varied design seeds derive from ``spec.seed``, the design point's values and
    the replicate number, so extending an axis keeps every earlier variant (and its cache entry)."""
    model = design_model(spec.flow)
    base = copy.deepcopy(spec.base)
    for path, value in spec.fixed.items():
        set_path(base, path, value)
    derived = {p: Expression(t, f"derived.{p}") for p, t in spec.derived.items()}
    filt = Expression(spec.filter, "filter") if spec.filter else None
    vary_seed = (spec.sample.member_seed == "vary" and "seed" in model.model_fields
                 and "seed" not in spec.axes and "seed" not in spec.fixed and "seed" not in spec.derived)
    variants: list[Variant] = []
    filtered = examined = 0
    n_points, points = _points(spec)
    complete = True
    for pi, values in enumerate(points):
        if limit is not None and len(variants) >= limit:
            complete = False
            break
        examined += 1
        recipe = copy.deepcopy(base)
        for path, value in values.items():
            set_path(recipe, path, value)

        def get(name: str, recipe=recipe) -> Any:
            v = default_value(model, recipe, name)
            if v is MISSING:
                raise ParameterError(f"{name} has no value in the base recipe or the design defaults")
            return v

        for path, expr in derived.items():
            v = expr.value(get, path)
            set_path(recipe, path, rounded(v) if isinstance(v, float) else v)
        if filt is not None and not filt(get):
            filtered += 1
            continue
        point_id = canonical({"values": values, "fixed": spec.fixed, "derived": spec.derived})
        words = _words(point_id)
        for rep in range(spec.sample.replicates):
            if limit is not None and len(variants) >= limit:
                complete = False
                break
            r = copy.deepcopy(recipe)
            nominals: dict[str, Any] = {}
            for path, tol in spec.tolerances.items():
                nominal = nominals[path] = get(path, recipe)
                if not isinstance(nominal, (int, float)) or isinstance(nominal, bool) or not is_real(model, path):
                    raise ParameterError(f"tolerances.{path} applies to a real-valued parameter; its nominal value "
                                         f"is {num(nominal)}")
                rng = np.random.default_rng([spec.seed, 1, rep, *words, *_words(path)])
                set_path(r, path, rounded(nominal + tol.draw(rng)))
            if vary_seed:
                r["seed"] = _words(f"{spec.seed}/{point_id}/{rep}", 1)[0]
            key = variant_key(r)
            r["name"] = f"{spec.name[:40]}-{key[:12]}"
            r["description"] = f"sweep {spec.name}, point {pi}, replicate {rep}"
            variants.append(Variant(len(variants), pi, rep, dict(values), r, key, nominals))
    nominal = [p for p in spec.tolerances if p in spec.axes or p in spec.derived]
    return Plan(spec, variants, n_points, filtered, vary_seed, nominal, examined, complete)
