"""Recipe fuzzing shared by tests/test_fuzz.py and benchmarks/fuzz_campaign.py.

:func:`recipes` is a Hypothesis strategy of mostly-valid recipes of both flows: a small base design (the test
fixtures and the builds/ recipes with their arrays capped) with a few mutations: numeric fields scaled over wide
ranges or set to extreme values (0, negative, NaN, infinities, 1e300, huge counts), keys dropped, misspelt or
added, values of the wrong type or with units, optional sections switched on. :func:`judge` runs one recipe the
way the tool does and classifies the outcome as ``accepted`` (validated, built, every solid valid and closed with a
positive volume, a complete check report), ``rejected`` (a :class:`~geometry.core.params.ParameterError`
whose every line names a field, and a value or the rule) or ``crash`` (anything else). It never raises, so it can be the job
of the sweep's local pool, which turns a hung or dying worker into a ``timeout`` or ``error`` row.
"""

from __future__ import annotations

import copy
import math
import os
import re
import time
import tomllib
import traceback
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from hypothesis import strategies as st
from pydantic import BaseModel

from geometry import api
from geometry.core import occ
from geometry.core.params import ParameterError
from geometry.flows import FLOWS, load_design
from tests.conftest import RECIPES, small_cavity, small_recipe

CAP_COUNT = 8
"""Array counts of the base designs are capped at this, so an accepted design builds in about a second."""

SPECIAL = [0, 0.0, -1.0, -0.0, 1e-12, 1e300, -1e300, math.nan, math.inf, -math.inf, 10**6, 10**18, 2**64, True]
"""Extreme values any field may be set to."""

WRONG_TYPES = ["abc", "1.0 mm", "0.2mm", "", [1.0, 2.0], {"value": 1.0}, None, "nan", "inf", "1e999"]
"""Values of the wrong type, or numbers with units, as strings, lists and tables."""

_FC = 'name = "m"\nflow = "flip-chip"\n'

MALFORMED: dict[str, tuple[str | bytes, str]] = {
    "empty file": ("", "flow None must be one of"),
    "broken TOML": ('name = "m"\nflow = \n', "not valid TOML: Invalid value (at line 2, column 8)"),
    "unterminated string": ('name = "m\n', "not valid TOML"),
    "duplicate key": (_FC + 'name = "n"\n', "not valid TOML: Cannot overwrite a value (at line 3"),
    "not UTF-8": (b'name = "\xff"\n', "not UTF-8 text (byte 0xff at offset 8)"),
    "deeply nested array": ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested more than 32 deep"),
    "misspelt key": (_FC + "[bumps]\npitchh = 0.2\n", "bumps.pitchh is not a known parameter, did you mean 'pitch'?"),
    "misspelt section": (_FC + "[bumpz]\npitch = 0.2\n", "bumpz is not a known parameter, did you mean 'bumps'?"),
    "unknown key": (_FC + "colour = \"red\"\n", "colour is not a known parameter"),
    "missing name": ('flow = "flip-chip"\n', "name is required"),
    "unknown flow": ('name = "m"\nflow = "wire-bond"\n', "flow 'wire-bond' must be one of"),
    "flow as a list": ('name = "m"\nflow = ["flip-chip"]\n', "flow ['flip-chip'] must be one of"),
    "flow as a table": ('name = "m"\n[flow]\nx = 1\n', "flow {'x': 1} must be one of"),
    "length as text": (_FC + '[chip]\nwidth = "wide"\n', "chip.width 'wide' input should be a valid number"),
    "length with a unit": (_FC + '[chip]\nwidth = "6 mm"\n', "chip.width '6 mm' input should be a valid number"),
    "length as a list": (_FC + "[chip]\nwidth = [6.0]\n", "chip.width [6.0] input should be a valid number"),
    "length as a bool": (_FC + "[chip]\nwidth = true\n", "chip.width true input should be a valid number"),
    "flag as a number": (_FC + "[first_encapsulant]\npolish = 1\n", "first_encapsulant.polish 1 input should be a valid boolean"),
    "section as a value": (_FC + "chip = 6.0\n", "chip 6.0 input should be a valid dictionary"),
    "count as a float": (_FC + "[bumps]\ncount_x = 2.5\n", "bumps.count_x 2.5 input should be a valid integer"),
    "count as text": (_FC + '[bumps]\ncount_x = "10"\n', "bumps.count_x '10' input should be a valid integer"),
    "nan": (_FC + "[chip]\nwidth = nan\n", "chip.width nan input should be a finite number"),
    "infinity": (_FC + "[chip]\nthickness = inf\n", "chip.thickness inf input should be a finite number"),
    "negative infinity": (_FC + "[chip]\noffset_x = -inf\n", "chip.offset_x -inf input should be a finite number"),
    "negative size": (_FC + "[substrate]\nwidth = -12.0\n", "substrate.width -12.0 input should be greater than or equal to 0.001"),
    "size below 1 um": (_FC + "[bump_pads]\nthickness = 1e-12\n",
                        "bump_pads.thickness 1e-12 input should be greater than or equal to 0.001"),
    "absurd size": (_FC + "[substrate]\nwidth = 1e300\n", "substrate.width 1e+300 input should be less than or"),
    "absurd count": (_FC + "[solder_balls]\ncount_x = 100000\ncount_y = 100000\n",
                     "solder_balls.count_x 100000 input should be less than or equal to 1000"),
    "absurd grid within count limits": (_FC + "[solder_balls]\ncount_x = 1000\ncount_y = 1000\n",
                                        "members exceeds the limit of 40000"),
    "integer beyond 64 bits": (_FC + "[bumps]\ncount_x = 100000000000000000000000\n",
                               "bumps.count_x 100000000000000000000000 input should be less than or equal to 1000"),
    "absurd seed": (_FC + "seed = -1\n", "seed -1 input should be greater than or equal to 0"),
    "code as a name": ('name = "__import__(\'os\').system(\'touch PWNED\')"\nflow = "flip-chip"\n',
                       "name \"__import__('os').system('touch PWNED')\" string should match pattern"),
    "path as a name": ('name = "../../escape"\nflow = "flip-chip"\n', "name '../../escape' string should match"),
}
"""Malformed recipe files: label -> (TOML text, a fragment of the one-line refusal). Every one must be refused
with exit 2 before any kernel work."""



def write_malformed(folder: Path, label: str) -> Path:
    """The malformed recipe ``label`` of :data:`MALFORMED` as a file in ``folder``."""
    data = MALFORMED[label][0]
    path = folder / f"{re.sub(r'[^a-z0-9]+', '-', label)}.toml"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


LINE = re.compile(r"^(?P<loc>[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?(\.[A-Za-z0-9_]+(\[\d+\])?)*) (?P<rest>\S.*)$")
"""One refusal line: a dotted field path (list items indexed, ``chips[1].chip_area.width``), then the value and
the rule."""


def _capped(recipe: dict) -> dict:
    r = copy.deepcopy(recipe)
    for sec in r.values():
        if isinstance(sec, dict):
            for k in ("count_x", "count_y", "pads_per_side"):
                if isinstance(sec.get(k), int):
                    sec[k] = min(sec[k], CAP_COUNT)
            if isinstance(sec.get("rows"), int):
                sec["rows"] = min(sec["rows"], 2)
    return r


def bases() -> list[dict]:
    """Small valid base recipes of both flows: the test fixtures and every non-production recipe with its arrays
    capped, where the capped design still loads (a cavity design's capped ball array moves under its heat slug)."""
    out = [small_recipe(), small_cavity()]
    for p in sorted(RECIPES.glob("*/*.toml")):
        if p.parent.name in ("flip-chip", "cavity") and "production" not in p.name:
            capped = _capped(tomllib.loads(p.read_text()))
            try:
                load_design(capped)
            except ParameterError:
                continue
            out.append(capped)
    return out


_BASES: list[dict] = []


def _bases() -> list[dict]:
    """:func:`bases`, loaded once per process (each draw samples from them; callers copy before changing one)."""
    if not _BASES:
        _BASES.extend(bases())
    return _BASES


def _models(flow: str) -> type[BaseModel]:
    return FLOWS[flow].model


def _leaf_fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """(path, annotation) of every scalar field of ``model``, through nested (and optional) sub-models."""
    out = []
    for name, f in model.model_fields.items():
        ann = f.annotation
        inner = [a for a in (get_args(ann) or (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if inner:
            out += _leaf_fields(inner[0], prefix + (name,))
        else:
            out.append((prefix + (name,), ann))
    return out


def _kind(ann: Any) -> str:
    """'float', 'int', 'bool', 'literal' or 'str' for a field annotation (Optional and Annotated unwrapped)."""
    if get_origin(ann) is Literal:
        return "literal"
    if get_origin(ann) is Annotated:
        return _kind(get_args(ann)[0])
    args = [a for a in get_args(ann) if a is not type(None)]
    if args:
        return _kind(args[0])
    return {bool: "bool", int: "int", float: "float"}.get(ann, "str")


def _good_value(kind: str, ann: Any, current: Any) -> st.SearchStrategy:
    """Plausible values of a field: scaled over two decades either way, small counts, any option."""
    if kind == "literal":
        return st.sampled_from(list(get_args(ann)))
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        lo = current if isinstance(current, int) and not isinstance(current, bool) else 1
        lo = min(max(lo, 1), 2 * CAP_COUNT)
        return st.integers(min_value=max(0, lo - 3), max_value=min(lo + 3, 2 * CAP_COUNT))
    if kind == "float":
        x = current if isinstance(current, (int, float)) and not isinstance(current, bool) and current else 0.5
        factor = st.one_of(st.floats(0.8, 1.25), st.floats(0.01, 100.0), st.sampled_from([0.5, 0.9, 1.1, 2.0]))
        return factor.map(lambda k: round(abs(x) * k, 6))
    return st.text(max_size=12)


def _get(recipe: dict, path: tuple[str, ...]) -> Any:
    node: Any = recipe
    for p in path:
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    return node


def _set(recipe: dict, path: tuple[str, ...], value: Any) -> None:
    node = recipe
    for p in path[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[path[-1]] = value


def _misspelt(key: str, draw) -> str:
    i = draw(st.integers(0, max(len(key) - 1, 0)))
    how = draw(st.sampled_from(["drop", "double", "swap", "upper"]))
    if how == "drop" and len(key) > 1:
        return key[:i] + key[i + 1:]
    if how == "swap" and i + 1 < len(key):
        return key[:i] + key[i + 1] + key[i] + key[i + 2:]
    if how == "upper":
        return key.upper()
    return key[:i] + key[i] + key[i:]


@st.composite
def recipes(draw, max_mutations: int = 4, valid_bias: bool = False, flow: str | None = None) -> dict:
    """A recipe dict: a base design (of ``flow`` only, when given) with 0 to ``max_mutations`` mutations. With
    ``valid_bias`` only plausible values are drawn (no extreme values, wrong types or key damage), so most recipes
    are accepted."""
    recipe = copy.deepcopy(draw(st.sampled_from([b for b in _bases() if flow in (None, b["flow"])])))
    fields = _leaf_fields(_models(recipe["flow"]))
    numeric = [(p, a) for p, a in fields if _kind(a) in ("float", "int", "bool", "literal") and p != ("flow",)]
    ops = ["good"] if valid_bias else ["good", "good", "good", "special", "wrong_type", "drop", "misspell",
                                       "unknown"]
    for _ in range(draw(st.integers(0, max_mutations))):
        op = draw(st.sampled_from(ops))
        path, ann = draw(st.sampled_from(numeric))
        if op == "good":
            _set(recipe, path, draw(_good_value(_kind(ann), ann, _get(recipe, path))))
        elif op == "special":
            _set(recipe, path, draw(st.sampled_from(SPECIAL)))
        elif op == "wrong_type":
            _set(recipe, path, copy.deepcopy(draw(st.sampled_from(WRONG_TYPES))))
        elif op in ("drop", "misspell"):
            sections = [k for k in recipe if k not in ("name", "flow")]
            if not sections:
                continue
            sec = draw(st.sampled_from(sorted(sections)))
            node = recipe[sec]
            if isinstance(node, dict) and node and draw(st.booleans()):
                key = draw(st.sampled_from(sorted(node)))
                value = node.pop(key)
                if op == "misspell":
                    node[_misspelt(key, draw)] = value
            else:
                value = recipe.pop(sec)
                if op == "misspell":
                    recipe[_misspelt(sec, draw)] = value
        else:
            _set(recipe, path[:-1] + (draw(st.sampled_from(["colour", "pitchh", "size", "units", "x"])),),
                 draw(st.one_of(st.floats(allow_nan=True), st.text(max_size=5))))
    return recipe


# ---------------------------------------------------------------------------------------------------------------
# The verdict on one recipe


def _refusal_problem(message: str) -> str:
    """Why ``message`` is not a proper refusal (empty string when it is): every line a field path and then a
    value and a rule, no traceback."""
    if not message.strip():
        return "empty message"
    if "Traceback" in message:
        return "traceback in message"
    for line in message.splitlines():
        if not LINE.match(line):
            return f"line does not start with a field path: {line[:200]!r}"
    return ""


def _stray_entries(folder: Path, name: str) -> list[str]:
    """Entries of ``folder`` other than the design folder ``name``: temporary files or folders left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name != name)


def judge(recipe: dict, export_dir: str | None = None) -> dict:
    """The outcome of one recipe (see the module doc); with ``export_dir`` an accepted design is also written
    there by :func:`geometry.api.export` and the folder is searched for partial files. Never raises."""
    started = time.monotonic()
    row: dict[str, Any] = {"outcome": "crash", "flow": recipe.get("flow") if isinstance(recipe, dict) else None,
                           "reason": "", "partial": 0, "pid": os.getpid()}
    stage = "validate"
    try:
        try:
            design = load_design(recipe)
        except ParameterError as e:
            problem = _refusal_problem(str(e))
            row.update(outcome="crash" if problem else "rejected", reason=problem or str(e).splitlines()[0])
            return row
        stage = "build"
        build = api.run(design)
        stage = "solids"
        bad = []
        for body in build.stack:
            for k, part in enumerate(body.parts):
                if not occ.is_valid(part.shape):
                    bad.append(f"{body.name} part {k} invalid")
                elif not occ.is_closed(part.shape):
                    bad.append(f"{body.name} part {k} not closed")
                elif not occ.volume(part.shape) > 0:
                    bad.append(f"{body.name} part {k} volume {occ.volume(part.shape)}")
        if bad:
            row["reason"] = "; ".join(bad[:3])
            return row
        stage = "checks"
        report = [(fn.__name__, fn(build)) for fn in FLOWS[design.flow].checks]
        for fn_name, results in report:
            for c in results:
                if not (isinstance(c.name, str) and c.name and isinstance(c.passed, bool)
                        and isinstance(c.value, float) and isinstance(c.limit, float)):
                    row["reason"] = f"{fn_name}: malformed result {c!r}"[:300]
                    return row
        names = [c.name for _, results in report for c in results]
        if "valid_solids" not in names:
            row["reason"] = f"incomplete check report: {names}"
            return row
        row["checks"] = len(names)
        row["passed"] = sum(c.passed for _, results in report for c in results)
        if export_dir:
            stage = "export"
            out = Path(export_dir)
            api.export(build, [c for _, results in report for c in results], out)
            row["partial"] = len(_stray_entries(out, design.name))
            api_dir = out / design.name
            row["partial"] += sum(1 for p in api_dir.rglob(".*"))
        row["outcome"] = "accepted"
    except BaseException as e:  # noqa: BLE001 - every escape is the finding this job reports
        tb = traceback.extract_tb(e.__traceback__)
        where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        row["reason"] = f"{stage}: {type(e).__name__}: {' '.join(str(e).split())[:300]} ({where})"
    finally:
        row["seconds"] = time.monotonic() - started
    return row
