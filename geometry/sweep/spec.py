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

Everything here is pure and deterministic: :func:`expand` turns a spec into the same variants, in the same order,
with the same hashes, on every machine.
"""

from __future__ import annotations

import ast
import copy
import difflib
import hashlib
import itertools
import json
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..params import ParameterError, design_models, format_error
from ..recipes import read_toml

MAX_VARIANTS = 200_000
"""A spec that expands to more variants than this is refused."""
MAX_SPEC_BYTES = 1_000_000
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
RESERVED = ("name", "flow", "description")
"""Recipe keys a sweep never varies."""
_MISSING = object()

Number = int | float


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else repr(v)


def _round(v: float) -> float:
    """Floats of computed values rounded to 12 significant digits: 0.1 + 0.2 is 0.3, hashes stay stable."""
    return float(f"{v:.12g}")


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
                raise ValueError(f"stop {_num(self.stop)} and start {_num(self.start)} are both required for a range")
            if (self.step is None) == (self.count is None):
                raise ValueError("step or count: a range needs exactly one of them")
            if self.stop < self.start:
                raise ValueError(f"stop {_num(self.stop)} must not be below start {_num(self.start)}")
            if self.step is not None and (self.stop - self.start) / self.step > 100_000:
                raise ValueError(f"step {_num(self.step)} makes more than 100000 values")
        elif self.step is not None or self.count is not None:
            raise ValueError("step and count belong to a range (start, stop)")
        if forms[2]:
            if self.low is None or self.high is None:
                raise ValueError(f"high {_num(self.high)} and low {_num(self.low)} are both required")
            if self.high < self.low:
                raise ValueError(f"high {_num(self.high)} must not be below low {_num(self.low)}")
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
        return [round(float(v)) if ints else _round(float(v)) for v in vals]

    def pick(self, u: float) -> Any:
        """The axis value at the unit-interval coordinate ``u`` (random and Latin-hypercube sampling)."""
        if self.continuous:
            if _is_int(self.low) and _is_int(self.high):
                return int(min(self.low + math.floor(u * (self.high - self.low + 1)), self.high))
            return _round(self.low + u * (self.high - self.low))
        lv = self.levels()
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
                raise ValueError(f"high {_num(self.high)} must not be below low {_num(self.low)}")
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
    against ``x``). ``check = "all"`` means every check."""

    kind: Literal["map", "metric", "yield"]
    x: str
    y: str | None = None
    check: str = "all"

    @model_validator(mode="after")
    def _y(self) -> Plot:
        if self.kind in ("map", "metric") and not self.y:
            raise ValueError(f"y is required for kind = \"{self.kind}\"")
        if self.kind == "yield" and self.y:
            raise ValueError("y is not used by kind = \"yield\" (the share passing `check` is plotted)")
        return self


class SweepSpec(SpecModel):
    """A validated sweep: a base recipe (as a dictionary) and what to vary in it."""

    name: Annotated[str, Field(pattern=NAME)]
    description: str = ""
    base: dict[str, Any]
    base_path: str | None = None
    seed: Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)] = 0
    timeout: Annotated[float, Field(gt=0, le=7 * 86400)] = 600.0
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


# ---------------------------------------------------------------------------------------------------------------
# Loading


_LEAF_KEYS = {"axes": set(Axis.model_fields), "tolerances": set(Tolerance.model_fields)}


def _flatten_table(table: Any, section: str, leaf: Callable[[Any], bool], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``, stopping at leaves, so unquoted dotted TOML keys work too."""
    if not isinstance(table, dict):
        raise ParameterError(f"{section} {_num(table)} must be a table of dotted parameter paths")
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
            data["base"] = read_toml(path, "recipe", MAX_SPEC_BYTES)
        except ParameterError as e:
            raise ParameterError(f"base {base!r}: {e}") from None
        data.setdefault("base_path", str(path))
    elif base is not None and not isinstance(base, dict):
        raise ParameterError(f"base {_num(base)} must be a recipe path or a table")
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


# ---------------------------------------------------------------------------------------------------------------
# Parameter paths against the design models


def _submodels(annotation: Any) -> list[type[BaseModel]]:
    args = get_args(annotation) or (annotation,)
    return [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]


def design_model(flow: str) -> type[BaseModel]:
    models = design_models()
    if flow not in models:
        raise ParameterError(f"base.flow {_num(flow)} must be one of {', '.join(repr(k) for k in models)}")
    return models[flow]


def _leaf_field(model: type[BaseModel], path: str) -> Any:
    cls: type[BaseModel] | None = model
    f = None
    for p in path.split("."):
        if cls is None or p not in cls.model_fields:
            return None
        f = cls.model_fields[p]
        subs = _submodels(f.annotation)
        cls = subs[0] if subs else None
    return f


def _real(model: type[BaseModel], path: str) -> bool:
    """Whether the parameter at ``path`` is a real number (a float field)."""
    f = _leaf_field(model, path)
    return f is not None and float in _types(f.annotation)


def _types(annotation: Any) -> set[Any]:
    """The plain types inside an annotation (through Optional, unions and Annotated)."""
    args = get_args(annotation)
    if not args:
        return {annotation}
    if get_origin(annotation) is Annotated:
        return _types(args[0])
    return set().union(*(_types(a) for a in args))


def check_path(model: type[BaseModel], path: str, where: str) -> None:
    """Raise :class:`ParameterError` unless ``path`` names a parameter (or section) of ``model``."""
    parts = path.split(".")
    cls: type[BaseModel] | None = model
    for i, p in enumerate(parts):
        if cls is None:
            raise ParameterError(f"{where} {'.'.join(parts[:i])} is a value, not a section: {path!r} is not a "
                                 "parameter")
        fields = cls.model_fields
        if p not in fields:
            near = difflib.get_close_matches(p, list(fields), n=1)
            hint = f", did you mean {'.'.join([*parts[:i], near[0]])!r}?" if near else ""
            raise ParameterError(f"{where} {path!r} is not a parameter of the {model.model_fields['flow'].default} "
                                 f"design{hint}")
        subs = _submodels(fields[p].annotation)
        cls = subs[0] if subs else None


def default_value(model: type[BaseModel], recipe: Mapping[str, Any], path: str) -> Any:
    """The value of ``path`` that validation of ``recipe`` will use: the recipe's own, else the default (a section
    given in the recipe takes its class defaults; a section left out, its field default)."""
    node: Any = recipe
    cls: type[BaseModel] | None = model
    parts = path.split(".")
    for i, p in enumerate(parts):
        if isinstance(node, Mapping) and p in node:
            node = node[p]
            subs = _submodels(cls.model_fields[p].annotation) if cls is not None and p in cls.model_fields else []
            cls = subs[0] if subs else None
            continue
        if cls is None or p not in cls.model_fields:
            return _MISSING
        f = cls.model_fields[p]
        value = f.get_default(call_default_factory=True)
        subs = _submodels(f.annotation)
        for q in parts[i + 1:]:
            if isinstance(value, BaseModel):
                value = getattr(value, q, _MISSING)
                subs = []
            elif value is None and subs and q in subs[0].model_fields:
                g = subs[0].model_fields[q]
                value, subs = g.get_default(call_default_factory=True), _submodels(g.annotation)
            else:
                return _MISSING
        return value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return node


def get_path(recipe: Mapping[str, Any], path: str) -> Any:
    node: Any = recipe
    for p in path.split("."):
        if not isinstance(node, Mapping) or p not in node:
            return _MISSING
        node = node[p]
    return node


def set_path(recipe: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in ``recipe`` in place, creating sections as needed."""
    parts = path.split(".")
    node = recipe
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[parts[-1]] = copy.deepcopy(value)


# ---------------------------------------------------------------------------------------------------------------
# Expressions (filter, derived): arithmetic and comparisons over dotted parameter names, nothing else


_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
        ast.NotEq: operator.ne}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_FUNCS: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max, "round": round, "sqrt": math.sqrt}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


class Expression:
    """A safe expression such as ``solder_balls.diameter < 0.9 * solder_balls.pitch``: numbers, strings, dotted
    parameter names, + - * / // % **, comparisons, and/or/not, ``x if c else y``, abs/min/max/round/sqrt."""

    def __init__(self, text: str, where: str):
        self.text, self.where = text, where
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            raise ParameterError(f"{where} {text!r} is not a valid expression: {e.msg}") from None
        self.names: list[str] = []
        self._fn = self._compile(tree.body)

    def _bad(self, what: str) -> ParameterError:
        return ParameterError(f"{self.where} {self.text!r} uses {what}, which is not allowed: only numbers, "
                              "parameter names, arithmetic, comparisons, and/or/not and abs/min/max/round/sqrt")

    def _compile(self, n: ast.AST) -> Callable[[Callable[[str], Any]], Any]:
        c = self._compile
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float, str, bool)):
            v = n.value
            return lambda get: v
        name = _dotted(n)
        if name is not None:
            if name in ("True", "False"):
                return (lambda get: True) if name == "True" else (lambda get: False)
            self.names.append(name)
            return lambda get: get(name)
        if isinstance(n, ast.BinOp) and type(n.op) in _BIN:
            op, a, b = _BIN[type(n.op)], c(n.left), c(n.right)
            if isinstance(n.op, ast.Pow):
                def power(get):
                    x, y = a(get), b(get)
                    if abs(y) > 64:
                        raise ParameterError(f"{self.where} {self.text!r}: exponent {_num(y)} is too large")
                    return x**y
                return power
            return lambda get: op(a(get), b(get))
        if isinstance(n, ast.UnaryOp) and type(n.op) in _UNARY:
            op, a = _UNARY[type(n.op)], c(n.operand)
            return lambda get: op(a(get))
        if isinstance(n, ast.BoolOp):
            parts = [c(v) for v in n.values]
            if isinstance(n.op, ast.And):
                return lambda get: all(p(get) for p in parts)
            return lambda get: any(p(get) for p in parts)
        if isinstance(n, ast.Compare) and all(type(o) in _CMP for o in n.ops):
            first, ops, rest = c(n.left), [_CMP[type(o)] for o in n.ops], [c(v) for v in n.comparators]

            def compare(get):
                left = first(get)
                for op, r in zip(ops, rest, strict=True):
                    right = r(get)
                    if not op(left, right):
                        return False
                    left = right
                return True
            return compare
        if isinstance(n, ast.IfExp):
            t, body, other = c(n.test), c(n.body), c(n.orelse)
            return lambda get: body(get) if t(get) else other(get)
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _FUNCS and not n.keywords):
            fn, args = _FUNCS[n.func.id], [c(a) for a in n.args]
            return lambda get: fn(*(a(get) for a in args))
        raise self._bad(type(n).__name__)

    def __call__(self, get: Callable[[str], Any]) -> Any:
        try:
            return self._fn(get)
        except ParameterError:
            raise
        except Exception as e:  # noqa: BLE001 - any evaluation error is a bad spec
            raise ParameterError(f"{self.where} {self.text!r} cannot be evaluated: {type(e).__name__}: {e}") from None


def _check_against_design(spec: SweepSpec) -> None:
    """Every path and expression name must be a parameter of the base's design model."""
    model = design_model(spec.flow)
    for table in ("axes", "fixed", "derived", "tolerances"):
        for path in getattr(spec, table):
            check_path(model, path, table)
    exprs = [Expression(t, f"derived.{p}") for p, t in spec.derived.items()]
    if spec.filter:
        exprs.append(Expression(spec.filter, "filter"))
    for e in exprs:
        for name in e.names:
            check_path(model, name, e.where)
    for p in spec.plot:
        for axis in (p.x, p.y if p.kind == "map" else None):
            if axis is not None:
                check_path(model, axis, f"plot.{p.kind}")


# ---------------------------------------------------------------------------------------------------------------
# Expansion


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
    """One resolved design of a sweep: ``recipe`` is complete and ready for :func:`geometry.params.load_design`."""

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
    """The expansion of a spec: variants in run order, and how many design points the filter removed."""

    spec: SweepSpec
    variants: list[Variant]
    points: int
    filtered: int
    seed_varied: bool
    nominal_columns: list[str] = field(default_factory=list)


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


def _points(spec: SweepSpec) -> list[dict[str, Any]]:
    axes = list(spec.axes.items())
    if spec.sample.method == "grid":
        levels = [ax.levels() for _, ax in axes]
        total = math.prod(len(lv) for lv in levels) * spec.sample.replicates
        if total > MAX_VARIANTS:
            raise ParameterError(f"axes expand to {total} variants (with sample.replicates "
                                 f"{spec.sample.replicates}), more than the limit of {MAX_VARIANTS}")
        return [dict(zip([p for p, _ in axes], combo, strict=True)) for combo in itertools.product(*levels)]
    if spec.sample.count * spec.sample.replicates > MAX_VARIANTS:
        raise ParameterError(f"sample.count {spec.sample.count} x replicates {spec.sample.replicates} exceeds the "
                             f"limit of {MAX_VARIANTS} variants")
    u = _unit_points(spec)
    return [{p: ax.pick(float(u[i, j])) for j, (p, ax) in enumerate(axes)} for i in range(len(u))]


def expand(spec: SweepSpec) -> Plan:
    """Every variant of ``spec``, in order: design points (grid order, or sample order), each repeated
    ``sample.replicates`` times with its own tolerance draws; the filter drops design points before the draws.

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
    filtered = 0
    points = _points(spec)
    for pi, values in enumerate(points):
        recipe = copy.deepcopy(base)
        for path, value in values.items():
            set_path(recipe, path, value)

        def get(name: str, recipe=recipe) -> Any:
            v = default_value(model, recipe, name)
            if v is _MISSING:
                raise ParameterError(f"{name} has no value in the base recipe or the design defaults")
            return v

        for path, expr in derived.items():
            v = expr(get)
            set_path(recipe, path, _round(v) if isinstance(v, float) else v)
        if filt is not None and not filt(get):
            filtered += 1
            continue
        point_id = canonical({"values": values, "fixed": spec.fixed, "derived": spec.derived})
        words = _words(point_id)
        for rep in range(spec.sample.replicates):
            r = copy.deepcopy(recipe)
            nominals: dict[str, Any] = {}
            for path, tol in spec.tolerances.items():
                nominal = nominals[path] = get(path, recipe)
                if not isinstance(nominal, (int, float)) or isinstance(nominal, bool) or not _real(model, path):
                    raise ParameterError(f"tolerances.{path} applies to a real-valued parameter; its nominal value "
                                         f"is {_num(nominal)}")
                rng = np.random.default_rng([spec.seed, 1, rep, *words, *_words(path)])
                set_path(r, path, _round(nominal + tol.draw(rng)))
            if vary_seed:
                r["seed"] = _words(f"{spec.seed}/{point_id}/{rep}", 1)[0]
            key = variant_key(r)
            r["name"] = f"{spec.name[:40]}-{key[:12]}"
            r["description"] = f"sweep {spec.name}, point {pi}, replicate {rep}"
            variants.append(Variant(len(variants), pi, rep, dict(values), r, key, nominals))
    nominal = [p for p in spec.tolerances if p in spec.axes or p in spec.derived]
    return Plan(spec, variants, len(points), filtered, vary_seed, nominal)


def resolved(recipe: Mapping[str, Any], path: str, flow: str | None = None) -> Any:
    """The value of ``path`` for ``recipe`` (its own, else the design default); None when there is none."""
    v = default_value(design_model(flow or str(recipe.get("flow"))), recipe, path)
    return None if v is _MISSING else v
