"""Parameter base types: typed, frozen, validated values in millimetres, and the one-line error messages.

Each model refuses unknown keys, wrong types, NaN/infinite and non-positive sizes. A rule that fails raises one
message naming the field, the value and the rule (:func:`fail`); :func:`format_error` turns a pydantic error into
that text, one line per problem, with a did-you-mean hint for a misspelt key.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .materials import MATERIALS

MAX_ARRAY_MEMBERS = 40_000
"""Upper limit on the members of one array (bumps, pads, balls): larger counts are refused as absurd."""
MAX_SIZE = 200.0
"""Upper limit on any length (mm)."""
TOL = 1e-9

MIN_SIZE = 1e-3
"""Lower limit on any length (mm): 1 um. Thinner features are below the modelling resolution, and near OCCT's
tolerance (1e-7 mm) its primitives fail: a box 1e-12 mm thick raises Standard_DomainError, a cylinder that thin is
an invalid solid (both found by benchmarks/fuzz_campaign.py)."""

Length = Annotated[float, Field(ge=MIN_SIZE, le=MAX_SIZE, allow_inf_nan=False, strict=True)]
"""A length in mm, at least :data:`MIN_SIZE`. Numbers only (strict): a bool or a string such as "0.2 mm" is
refused, not converted."""
Offset = Annotated[float, Field(ge=-MAX_SIZE, le=MAX_SIZE, allow_inf_nan=False, strict=True)]
Count = Annotated[int, Field(ge=1, le=1000, strict=True)]
Spread = Annotated[float, Field(ge=0, le=0.1, allow_inf_nan=False, strict=True)]
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


class ParameterError(ValueError):
    """A design parameter breaks a rule; ``str()`` names field, value and rule."""


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
    """A value as a message shows it: floats compact (``%g``), strings quoted."""
    return f"{v:g}" if isinstance(v, float) else repr(v) if isinstance(v, str) else str(v)


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
    return ".".join(str(p) for p in loc)


def _suggest(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """", did you mean 'x'?" for a misspelt key, from the fields of the model that ``loc`` points into."""
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        ann = getattr(field, "annotation", None)
        inner = [a for a in (getattr(ann, "__args__", None) or (ann,)) if isinstance(a, type)
                 and issubclass(a, BaseModel)]
        if not inner:
            return ""
        model = inner[0]
    near = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f", did you mean {near[0]!r}?" if near else ""


def format_error(err: ValidationError, model: type[BaseModel]) -> str:
    """One line per problem: ``field value rule``."""
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
            lines.append(f"{loc} {fmt(e.get('input'))} {msg[:1].lower()}{msg[1:]}")
    return "\n".join(lines)


def validate(model: type[Model], data: dict[str, Any]) -> Model:
    """``data`` validated into ``model``; any problem raises :class:`ParameterError` with :func:`format_error`'s
    text."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ParameterError(format_error(e, model)) from None
