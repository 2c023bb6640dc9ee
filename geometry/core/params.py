"""Parameter base types: typed, frozen, validated values in millimetres, and the one-line error messages.

Each model refuses unknown keys, wrong types, NaN/infinite and non-positive sizes. A rule that fails raises one
message naming the field, the value and the rule (:func:`fail`); :func:`format_error` turns a pydantic error into
that text, one line per problem, with a did-you-mean hint for a misspelt key and a "lengths are in mm" hint for a
length that reads as micrometres (:func:`looks_like_micrometres`).
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Annotated, Any, Literal, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from .errors import ParameterError
from .materials import MATERIALS
from .text import echo, quoted

MAX_ARRAY_MEMBERS = 40_000
"""Upper limit on the members of one array (bumps, pads, balls): larger counts are refused as absurd."""
MAX_SIZE = 200.0
"""Upper limit on any length (mm)."""
TOL = 1e-9

MIN_SIZE = 1e-3
"""Lower limit on any length (mm): 1 um. Thinner features are below the modelling resolution, and near OCCT's
tolerance (1e-7 mm) its primitives fail: a box 1e-12 mm thick raises Standard_DomainError, a cylinder that thin is
an invalid solid (both found by benchmarks/fuzz_campaign.py)."""

MM = {"unit": "mm"}
"""The ``unit`` keyword a length adds to its JSON Schema (read by the recipe reference and the micrometre hint)."""
DEGREES = {"unit": "degrees"}
"""The ``unit`` keyword of an angle's JSON Schema."""

Length = Annotated[float, Field(ge=MIN_SIZE, le=MAX_SIZE, allow_inf_nan=False, strict=True, json_schema_extra=MM)]
"""A length in mm, at least :data:`MIN_SIZE`. Numbers only (strict): a bool or a string such as "0.2 mm" is
refused, not converted."""
Offset = Annotated[float, Field(ge=-MAX_SIZE, le=MAX_SIZE, allow_inf_nan=False, strict=True, json_schema_extra=MM)]
"""A signed displacement in mm."""
Count = Annotated[int, Field(ge=1, le=1000, strict=True)]
"""A number of members or rows (no unit)."""
Spread = Annotated[float, Field(ge=0, le=0.1, allow_inf_nan=False, strict=True, json_schema_extra=MM)]
"""A standard deviation in mm of a size that varies member to member."""
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, strict=True)]
DesignName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
"""A design's name: it names the output folder, so only letters, digits, '.', '_' and '-'."""
SPREAD_STEP = 5e-4
"""Finest rounding of sampled member sizes (mm)."""
SPREAD_LEVELS = 13
"""Sampled member sizes take at most this many values (3 sigma either side, half a sigma apart when 13), so a
spread array is built from a few prototypes whatever its member count."""
MaterialName = Literal[tuple(MATERIALS)]  # type: ignore[valid-type]


class Model(BaseModel):
    """Base of every parameter model: frozen, unknown keys refused, finite numbers, defaults validated."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=True)


def sampled(nominal: float, sigma: float, n: int, seed: int, stream: int) -> np.ndarray:
    """``n`` sizes drawn from a normal distribution (mean ``nominal``, std ``sigma``, mm) truncated at 3 sigma and
    rounded to the coarser of :data:`SPREAD_STEP` and 6 sigma / (:data:`SPREAD_LEVELS` - 1); reproducible from
    ``seed`` and a per-quantity ``stream``. All equal to ``nominal`` when ``sigma`` is 0."""
    if sigma == 0:
        return np.full(n, nominal)
    step = max(SPREAD_STEP, 6 * sigma / (SPREAD_LEVELS - 1))
    z = np.clip(np.random.default_rng([seed, stream]).standard_normal(n), -3.0, 3.0)
    return nominal + np.round(z * sigma / step) * step


def fmt(v: Any) -> str:
    """A value as a message shows it: floats compact (``%g``), strings quoted with control characters escaped and
    cut to :data:`~geometry.core.text.MAX_ECHO` characters (:func:`~geometry.core.text.clip`)."""
    return f"{v:g}" if isinstance(v, float) else quoted(v) if isinstance(v, str) else echo(str(v))


def as_written(v: Any) -> str:
    """A recipe's value as the recipe wrote it: ``20.0`` stays ``20.0`` (not ``20``), booleans ``true``/``false``,
    strings quoted, escaped and cut as :func:`fmt` does."""
    if isinstance(v, bool):
        return str(v).lower()
    return repr(v) if isinstance(v, float) else fmt(v)


def fail(field: str, value: Any, rule: str) -> None:
    """Raise the one-line message ``field value rule`` (a ValueError inside a validator)."""
    raise ValueError(f"{field} {fmt(value)} {rule}")


WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
"""Names Windows reserves for devices (with any extension): a folder so named cannot be created or copied there."""


def check_portable_name(name: str) -> None:
    """Refuse a design ``name`` that is a Windows device name, so output folders copy to any file system."""
    if WINDOWS_DEVICES.match(name):
        fail("name", name, "is a device name reserved by Windows (CON, PRN, AUX, NUL, COM0-9, LPT0-9); "
             "choose another")


def _loc(loc: tuple[Any, ...]) -> str:
    """A validation location as the recipe writes it: ``chips[0].bumps.pitch``, ``solder_balls.map[2]``."""
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else f".{echo(str(p))}" if out else echo(str(p))
    return out


def submodel(annotation: Any) -> type[BaseModel] | None:
    """The model class inside a field's annotation (through Optional), or None for a value."""
    inner = [a for a in (get_args(annotation) or (annotation,)) if isinstance(a, type) and issubclass(a, BaseModel)]
    return inner[0] if inner else None


def _suggest(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """", did you mean 'x'?" for a misspelt key, from the fields of the model that ``loc`` points into."""
    for part in loc[:-1]:
        if isinstance(part, int):  # an item of a list of tables ([[chips]])
            continue
        field = model.model_fields.get(str(part))
        inner = submodel(getattr(field, "annotation", None))
        if inner is None:
            return ""
        model = inner
    near = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f", did you mean {near[0]!r}?" if near else ""


def describe(value: Any) -> str:
    """A recipe value as a message shows it: a TOML table as "a table", an array of tables as "a list of 2
    tables" (never a Python dict), anything else as written (:func:`as_written`)."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return f"a list of {len(value)} table{'s' if len(value) > 1 else ''}"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return f"a list of {len(value)} values"
    return as_written(value)


UM_FACTOR = 100.0
"""A length at least this many times its default size reads as micrometres (:func:`looks_like_micrometres`)."""


def _field_at(model: type[BaseModel], path: tuple[str, ...]) -> tuple[FieldInfo | None, Any]:
    """The field at ``path`` in ``model`` and the size the design gives it by default: its value in the default
    of its section (``second_encapsulant.cap_thickness`` is 0.8 there), else the field's own default."""
    cls: type[BaseModel] | None = model
    info, default = None, None
    for part in path:
        if cls is None or part not in cls.model_fields:
            return None, None
        info = cls.model_fields[part]
        default = getattr(default, part, info.default) if isinstance(default, BaseModel) else info.default
        cls = submodel(info.annotation)
    return info, default


def _length_bounds(info: FieldInfo) -> tuple[float, float] | None:
    """(lower, upper) bounds (mm) of a length field, through Optional; None when the field is not a length."""
    sets = [(info.json_schema_extra, info.metadata)]
    for arg in get_args(info.annotation):
        sets += [(m.json_schema_extra, m.metadata) for m in getattr(arg, "__metadata__", ())
                 if isinstance(m, FieldInfo)]
    for extra, metadata in sets:
        if isinstance(extra, dict) and extra.get("unit") == "mm":
            lo = [v for m in metadata for v in (getattr(m, "ge", None), getattr(m, "gt", None)) if v is not None]
            hi = [v for m in metadata for v in (getattr(m, "le", None), getattr(m, "lt", None)) if v is not None]
            return (min(lo, default=-math.inf), max(hi, default=math.inf))
    return None


def looks_like_micrometres(value: Any, bounds: tuple[float, float], typical: Any) -> bool:
    """Whether a length ``value`` (in a recipe, so meant as mm) reads as micrometres: ``value`` / 1000 lies within
    the field's ``bounds`` (mm) and is at least 1 um (:data:`MIN_SIZE`) while ``value`` itself is out of bounds, or
    is at least :data:`UM_FACTOR` times the field's ``typical`` size (its default in the design).
    ``bumps.height = 100`` (default 0.09) and ``solder_balls.diameter = 450`` (above the 200 mm bound) do;
    ``chip.width = 25`` (default 6) and ``bumps.height_spread = 0.5`` (0.5 um) do not."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value == 0:
        return False
    lo, hi = bounds
    if not lo <= value / 1000 <= hi or abs(value) / 1000 < MIN_SIZE:
        return False
    if value > hi or (lo < 0 and value < lo):
        return True
    scale = typical if isinstance(typical, (int, float)) and not isinstance(typical, bool) else 0.0
    return scale != 0 and abs(value) >= UM_FACTOR * abs(scale)


def micrometre_suspects(model: type[BaseModel], data: dict[str, Any] | None,
                        err: ValidationError) -> dict[str, Any]:
    """Dotted path -> value of every length in ``data`` (the recipe) or in the refused inputs of ``err`` that
    :func:`looks_like_micrometres`, in recipe order."""
    leaves: list[tuple[tuple[str, ...], Any]] = []

    def walk(node: dict[str, Any], prefix: tuple[str, ...]) -> None:
        for k, v in node.items():
            if isinstance(v, dict):
                walk(v, (*prefix, str(k)))
            else:
                leaves.append(((*prefix, str(k)), v))

    if isinstance(data, dict):
        walk(data, ())
    leaves += [(tuple(str(p) for p in e["loc"]), e.get("input")) for e in err.errors(include_url=False) if e["loc"]]
    out: dict[str, Any] = {}
    for path, value in leaves:
        info, typical = _field_at(model, path)
        bounds = _length_bounds(info) if info is not None else None
        if bounds is not None and looks_like_micrometres(value, bounds, typical):
            out.setdefault(".".join(path), value)
    return out


def add_micrometre_hints(lines: list[str], suspects: dict[str, Any]) -> list[str]:
    """``lines`` with "(lengths are in mm: 100 um is 0.1 mm)" after each line that names a suspect length (its
    message starts with the field's path); a suspect no line names is pointed out at the end of the first line,
    so the hint reaches the user whichever rule the value broke."""
    lines = list(lines)
    for path, value in suspects.items():
        um = f"{fmt(value)} um is {fmt(value / 1000)} mm"
        named = [i for i, line in enumerate(lines) if line.startswith(f"{path} ")]
        for i in named:
            lines[i] += f" (lengths are in mm: {um})"
        if not named and lines:
            lines[0] += f" ({path} {fmt(value)}: lengths are in mm, {um})"
    return lines


def format_error(err: ValidationError, model: type[BaseModel], data: dict[str, Any] | None = None) -> str:
    """One line per problem: ``field value rule``; a table or list of tables is named by its kind
    (:func:`describe`), and a length that reads as micrometres gets a hint (:func:`add_micrometre_hints`; given
    the recipe ``data``, also when it made another field's rule fail)."""
    lines = []
    for e in err.errors(include_url=False):
        loc = _loc(e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "value_error":
            lines.append(f"{loc}.{msg}" if loc else msg)
        elif e["type"] == "extra_forbidden":
            lines.append(f"{loc} is not a known parameter{_suggest(model, e['loc'])}")
        elif e["type"] == "missing":
            lines.append(f"{loc} is required")
        else:
            value = e.get("input")
            line = f"{loc} {describe(value)} {msg[:1].lower()}{msg[1:]}"
            if e["type"] == "model_type" and isinstance(value, list) and value and all(
                    isinstance(v, dict) for v in value):
                line += f": write one [{loc}] table, not [[{loc}]]"
            lines.append(line)
    return "\n".join(add_micrometre_hints(lines, micrometre_suspects(model, data, err)))


def validate(model: type[Model], data: dict[str, Any]) -> Model:
    """``data`` validated into ``model``; any problem raises :class:`ParameterError` with :func:`format_error`'s
    text."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ParameterError(format_error(e, model, data)) from None
