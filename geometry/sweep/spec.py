"""Sweep specs: what to vary, how to sample it, what to keep; and their pure expansion into resolved variants.

A spec is a TOML file (``builds/sweeps/<name>.toml``)::

    name = "ball-grid"
    base = "../flip-chip/fc-basic.toml"      # a recipe, relative to this file (or an inline [base] table)
    seed = 7                                  # every random draw of the sweep derives from it
    filter = "solder_balls.diameter < 0.9 * solder_balls.pitch"   # design points to keep (optional)

    [sample]
    method = "grid"          # grid: every combination of the axes; random or lhs: `count` points
    replicates = 1           # Monte Carlo: variants per design point, each with fresh tolerance draws

    [axes]                   # dotted parameter paths
    "solder_balls.pitch" = [0.8, 1.0]                                  # a list of values
    "solder_balls.diameter" = { start = 0.5, stop = 0.7, step = 0.05 } # a range (stop included), or count = N
    "chip.thickness" = { low = 0.3, high = 0.5 }                       # random / lhs only: a continuous interval

    [fixed]                  # set for every variant
    "first_encapsulant.polish" = true

    [derived]                # computed from other parameters (after the axes, before the filter)
    "solder_balls.height" = "0.8 * solder_balls.diameter"

    [tolerances]             # per-variant Monte Carlo draws around the nominal value
    "metal_slice.thickness" = { dist = "normal", sigma = 0.005, truncate = 3 }
    "chip.thickness" = { dist = "uniform", low = -0.01, high = 0.01 }  # offsets from the nominal (mm)

    [keep]
    checks = true            # check results and margins
    bodies = true            # per-body volume and mass
    parameters = "swept"     # "swept" (axes, fixed, derived, tolerances, seed) or "all"
    step = "none"            # export STEP (+ STL, GLB, manifest): "none", "failing" or "all"

    [[plot]]                 # optional; without any, a default set is drawn
    kind = "map"             # map (pass share over x and y), metric (y column against x), yield (against x)
    x = "solder_balls.pitch"
    y = "solder_balls.diameter"

Parameter paths are checked against the base's design model (:mod:`.paths`), expressions are parsed by
:mod:`geometry.core.expr`, and :func:`geometry.sweep.expand.expand` turns a spec into its variants.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..core.expr import Expression, num, rounded
from ..core.params import ParameterError, format_error
from ..recipes import read_toml, with_site_files
from .paths import check_path, design_model

MAX_VARIANTS = 200_000
"""A spec that expands to more variants than this is refused."""


MAX_SPEC_BYTES = 1_000_000


MIN_TIMEOUT, MAX_TIMEOUT = 1.0, 7 * 86400.0
"""Seconds a variant may take: at least 1 s (validating a recipe and starting a build take that long; a shorter
deadline times every variant out), at most a week."""


NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


RESERVED = ("name", "flow", "description")
"""Recipe keys a sweep never varies."""


Number = int | float


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class SpecModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Axis(SpecModel):
    """One swept parameter: ``values``, a range ``start``/``stop`` with ``step`` or ``count`` (stop included when
    it falls on a step), or, for random and Latin-hypercube sampling, a continuous interval ``low``/``high``
    (integers when both are integers)."""

    values: Annotated[list[Any], Field(min_length=1, max_length=100_000)] | None = None
    start: Number | None = None
    stop: Number | None = None
    step: Annotated[Number, Field(gt=0)] | None = None
    count: Annotated[int, Field(ge=1, le=100_000, strict=True)] | None = None
    low: Number | None = None
    high: Number | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Axis:
        forms = [self.values is not None, self.start is not None or self.stop is not None,
                 self.low is not None or self.high is not None]
        if sum(forms) != 1:
            raise ValueError("axis needs exactly one of: values = [...]; start, stop with step or count; low, high")
        if forms[1]:
            if self.start is None or self.stop is None:
                raise ValueError(f"stop {num(self.stop)} and start {num(self.start)} are both required for a range")
            if (self.step is None) == (self.count is None):
                raise ValueError("step or count: a range needs exactly one of them")
            if self.stop < self.start:
                raise ValueError(f"stop {num(self.stop)} must not be below start {num(self.start)}")
            if self.step is not None and (self.stop - self.start) / self.step > 100_000:
                raise ValueError(f"step {num(self.step)} makes more than 100000 values")
        elif self.step is not None or self.count is not None:
            raise ValueError("step and count belong to a range (start, stop)")
        if forms[2]:
            if self.low is None or self.high is None:
                raise ValueError(f"high {num(self.high)} and low {num(self.low)} are both required")
            if self.high < self.low:
                raise ValueError(f"high {num(self.high)} must not be below low {num(self.low)}")
        return self

    @property
    def continuous(self) -> bool:
        return self.low is not None

    def levels(self) -> list[Any]:
        """The discrete values of the axis (not for a continuous one)."""
        if self.values is not None:
            return list(self.values)
        if self.start is None:
            raise ValueError("a continuous axis has no levels")
        ints = all(_is_int(v) for v in (self.start, self.stop, self.step) if v is not None)
        if self.step is not None:
            n = math.floor((self.stop - self.start) / self.step + 1e-9) + 1
            vals = [self.start + i * self.step for i in range(n)]
        else:
            vals = [self.start] if self.count == 1 else list(np.linspace(self.start, self.stop, self.count))
            ints = ints and all(float(v).is_integer() for v in vals)
        return [round(float(v)) if ints else rounded(float(v)) for v in vals]

    def pick(self, u: float, levels: list[Any] | None = None) -> Any:
        """The axis value at the unit-interval coordinate ``u`` (random and Latin-hypercube sampling); ``levels``
        are the axis's :meth:`levels`, when already made."""
        if self.continuous:
            if _is_int(self.low) and _is_int(self.high):
                return int(min(self.low + math.floor(u * (self.high - self.low + 1)), self.high))
            return rounded(self.low + u * (self.high - self.low))
        lv = self.levels() if levels is None else levels
        return lv[min(int(u * len(lv)), len(lv) - 1)]


class Tolerance(SpecModel):
    """A per-variant random deviation from the nominal value: ``normal`` with ``sigma`` (optionally truncated at
    ``truncate`` sigmas), or ``uniform`` between the offsets ``low`` and ``high``."""

    dist: Literal["normal", "uniform"]
    sigma: Annotated[float, Field(gt=0)] | None = None
    truncate: Annotated[float, Field(ge=0.1, le=100)] | None = None
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _form(self) -> Tolerance:
        if self.dist == "normal":
            if self.sigma is None:
                raise ValueError("sigma is required for dist = \"normal\"")
            if self.low is not None or self.high is not None:
                raise ValueError("low and high belong to dist = \"uniform\"")
        else:
            if self.low is None or self.high is None:
                raise ValueError("low and high (offsets from the nominal) are required for dist = \"uniform\"")
            if self.high < self.low:
                raise ValueError(f"high {num(self.high)} must not be below low {num(self.low)}")
            if self.sigma is not None or self.truncate is not None:
                raise ValueError("sigma and truncate belong to dist = \"normal\"")
        return self

    def draw(self, rng: np.random.Generator) -> float:
        """One deviation from the nominal."""
        if self.dist == "uniform":
            return float(rng.uniform(self.low, self.high))
        z = float(rng.standard_normal())
        while self.truncate is not None and abs(z) > self.truncate:
            z = float(rng.standard_normal())
        return self.sigma * z


class Sample(SpecModel):
    """How design points are drawn from the axes, and how many variants each point gets.

    ``member_seed = "vary"`` gives every variant its own design ``seed`` (for designs whose members vary, e.g.
    ``bumps.height_spread``) unless ``seed`` is an axis or fixed; ``"fixed"`` keeps the recipe's."""

    method: Literal["grid", "random", "lhs"] = "grid"
    count: Annotated[int, Field(ge=1, le=MAX_VARIANTS, strict=True)] | None = None
    replicates: Annotated[int, Field(ge=1, le=MAX_VARIANTS, strict=True)] = 1
    member_seed: Literal["vary", "fixed"] = "vary"

    @model_validator(mode="after")
    def _count(self) -> Sample:
        if self.method == "grid" and self.count is not None:
            raise ValueError("count is for random and lhs sampling; a grid takes every combination of the axes")
        if self.method != "grid" and self.count is None:
            raise ValueError(f"count is required for method = \"{self.method}\"")
        return self


class Keep(SpecModel):
    """What each variant keeps: check results and margins, per-body volume and mass, which parameter columns, and
    which variants are exported (STEP, STL, GLB and manifest through :func:`geometry.api.export`)."""

    checks: bool = True
    bodies: bool = True
    parameters: Literal["swept", "all"] = "swept"
    step: Literal["none", "failing", "all"] = "none"

    @model_validator(mode="after")
    def _failing_needs_checks(self) -> Keep:
        if self.step == "failing" and not self.checks:
            raise ValueError('step "failing" needs checks = true: without checks no variant fails')
        return self


class Plot(SpecModel):
    """One PNG: ``map`` (share passing ``check`` over parameters ``x`` and ``y``), ``metric`` (column ``y``, e.g.
    ``check.solder_balls_coplanarity.margin``, against parameter ``x``) or ``yield`` (share passing ``check``
    against ``x``; ``group``: one line per value of that parameter). ``check = "all"`` means every check."""

    kind: Literal["map", "metric", "yield"]
    x: str
    y: str | None = None
    check: str = "all"
    group: str | None = None

    @model_validator(mode="after")
    def _y(self) -> Plot:
        if self.kind in ("map", "metric") and not self.y:
            raise ValueError(f"y is required for kind = \"{self.kind}\"")
        if self.kind == "yield" and self.y:
            raise ValueError("y is not used by kind = \"yield\" (the share passing `check` is plotted)")
        if self.group and self.kind != "yield":
            raise ValueError(f"group is only read by kind = \"yield\", not \"{self.kind}\"")
        return self


class SweepSpec(SpecModel):
    """A validated sweep: a base recipe (as a dictionary) and what to vary in it."""

    name: Annotated[str, Field(pattern=NAME)]
    description: str = ""
    base: dict[str, Any]
    base_path: str | None = None
    seed: Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)] = 0
    timeout: Annotated[float, Field(ge=MIN_TIMEOUT, le=MAX_TIMEOUT,
                                    description="seconds per variant, from 1 s (a shorter deadline times every "
                                                "variant out) to a week")] = 600.0
    filter: str | None = None
    sample: Sample = Sample()
    axes: dict[str, Axis] = {}
    fixed: dict[str, Any] = {}
    derived: dict[str, str] = {}
    tolerances: dict[str, Tolerance] = {}
    keep: Keep = Keep()
    plot: list[Plot] = []

    @model_validator(mode="after")
    def _rules(self) -> SweepSpec:
        if self.sample.method == "grid":
            for path, ax in self.axes.items():
                if ax.continuous:
                    raise ValueError(f"axes.{path} has low/high, a continuous interval: a grid needs values or a "
                                     "range (start, stop with step or count); use sample.method = \"lhs\" or "
                                     "\"random\" for intervals")
        seen: dict[str, str] = {}
        for table in ("axes", "fixed", "derived", "tolerances"):
            for path in getattr(self, table):
                if path.split(".")[0] in RESERVED:
                    raise ValueError(f"{table}.{path} cannot be varied: {', '.join(RESERVED)} belong to the sweep")
                if table == "tolerances" and seen.get(path) in ("axes", "fixed", "derived"):
                    continue
                if path in seen:
                    raise ValueError(f"{table}.{path} is also set in {seen[path]}: set each parameter in one place")
                seen[path] = table
        return self

    @property
    def flow(self) -> str:
        return str(self.base.get("flow"))

    @property
    def swept(self) -> list[str]:
        """Every parameter path the sweep sets, in spec order (axes, derived, tolerances, fixed)."""
        out: list[str] = []
        for path in [*self.axes, *self.derived, *self.tolerances, *self.fixed]:
            if path not in out:
                out.append(path)
        return out


_LEAF_KEYS = {"axes": set(Axis.model_fields), "tolerances": set(Tolerance.model_fields)}


def _flatten_table(table: Any, section: str, leaf: Callable[[Any], bool], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``, stopping at leaves, so unquoted dotted TOML keys work too."""
    if not isinstance(table, dict):
        raise ParameterError(f"{section} {num(table)} must be a table of dotted parameter paths")
    out: dict[str, Any] = {}
    for k, v in table.items():
        path = f"{prefix}{k}"
        if leaf(v):
            out[path] = v
        else:
            out.update(_flatten_table(v, section, leaf, path + "."))
    return out


def _leaf(section: str) -> Callable[[Any], bool]:
    keys = _LEAF_KEYS.get(section)
    if section == "fixed":
        return lambda v: not isinstance(v, dict) or not v
    if section == "derived":
        return lambda v: not isinstance(v, dict)
    return lambda v: not isinstance(v, dict) or bool(keys & set(v))


def parse_spec(data: Mapping[str, Any], source: str = "<spec>", root: str | Path | None = None) -> SweepSpec:
    """Validate a spec dictionary; a string ``base`` is a recipe path relative to ``root`` (default: the current
    folder). Raises :class:`ParameterError` with one line per problem, naming ``source``."""
    try:
        return _parse(dict(data), source, Path(root) if root is not None else Path.cwd())
    except ParameterError as e:
        raise ParameterError(f"{source}: {e}") from None


def _parse(data: dict[str, Any], source: str, root: Path) -> SweepSpec:
    base = data.get("base")
    if isinstance(base, str):
        path = (root / base).resolve() if not Path(base).is_absolute() else Path(base)
        try:
            data["base"] = with_site_files(read_toml(path, "recipe", MAX_SPEC_BYTES), path.parent)
        except ParameterError as e:
            raise ParameterError(f"base {base!r}: {e}") from None
        data.setdefault("base_path", str(path))
    elif base is not None and not isinstance(base, dict):
        raise ParameterError(f"base {num(base)} must be a recipe path or a table")
    for section in ("axes", "fixed", "derived", "tolerances"):
        if section in data:
            data[section] = _flatten_table(data[section], section, _leaf(section))
    if isinstance(data.get("axes"), dict):
        data["axes"] = {k: {"values": v} if isinstance(v, list) else v for k, v in data["axes"].items()}
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as e:
        raise ParameterError(format_error(e, SweepSpec)) from None
    _check_against_design(spec)
    return spec


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec TOML file; its ``base`` is resolved relative to the file."""
    p = Path(path)
    return parse_spec(read_toml(p, "sweep spec", MAX_SPEC_BYTES), str(p), p.parent)


def _check_against_design(spec: SweepSpec) -> None:
    """Every path and expression name must be a parameter of the base's design model."""
    model = design_model(spec.flow)
    for table in ("axes", "fixed", "derived", "tolerances"):
        for path in getattr(spec, table):
            check_path(model, path, table)
    exprs = [Expression(t, f"derived.{p}") for p, t in spec.derived.items()]
    for (p, _), e in zip(spec.derived.items(), exprs, strict=True):
        if not e.names:  # a constant: its value is known now
            e.value(lambda name: None, p)
    if spec.filter:
        exprs.append(Expression(spec.filter, "filter"))
    for e in exprs:
        for name in e.names:
            check_path(model, name, e.where)
    for p in spec.plot:
        for axis in (p.x, p.y if p.kind == "map" else None):
            if axis is not None:
                check_path(model, axis, f"plot.{p.kind}")
