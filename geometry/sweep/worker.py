"""The per-variant job: validate a recipe, run its flow and checks, and return plain data (never kernel shapes).

:func:`run_variant` runs in a worker process (local pool or Dask) and returns a JSON-ready dict:

``status``      ``ok`` (built; checks may pass or fail), ``invalid`` (refused by validation), ``error`` (the flow or
                a check raised), ``timeout`` (past the deadline)
``reason``      why, for anything but ``ok``: the validation message, or the exception and where it was raised
``passed``      every design rule passed (None when no check ran); claim limitations may not
``params``      the validated design, flattened to dotted names (None when invalid)
``checks``      per check: name, claim, unit, value, limit, passed, margin, where
``bodies``      per body: name, material, count, net volume (mm3) and mass (mg); ``totals`` the same summed
``metrics``     the design report's metrics (:func:`geometry.output.report.metrics`: claim_<n>_pass, theta_jtop_KW,
                theta_jboard_KW, mass_total_mg, mass_<body>_mg, ...), when the checks ran
``exported``    the design folder written by :func:`geometry.api.export`, when asked
``elapsed_s``, ``timings``  wall-clock seconds, in all and per phase

This module imports the modelling and report layers (OpenCascade) inside :func:`run_variant`, the only function
that builds: the sweep's parent process plans, refuses and tabulates without loading the kernel.

``margin`` is how far a check is from its limit, positive when it passes and negative when it fails, whatever
the sense of its limit (an upper bound like coplanarity or a lower bound like a cover): ``|value - limit|`` with
the sign of ``passed``.
"""

from __future__ import annotations

import json
import math
import os
import time
import traceback
from collections.abc import Mapping
from typing import Any

from ..core.params import ParameterError
from ..core.results import rules_pass
from ..flows import FLOWS, load_design
from ..flows.budget import BudgetError, check_budget

STATUSES = ("ok", "invalid", "error", "timeout")


class VariantTimeout(Exception):
    """The variant ran past its deadline (checked between the flow's steps and around the checks)."""


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts to one level of dotted keys; lists become JSON text."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, key + "."))
        elif isinstance(v, (list, tuple)):
            out[key] = json.dumps(v)
        elif isinstance(v, Mapping):
            out[key] = None
        else:
            out[key] = v
    return out


def margin(value: float, limit: float, passed: bool) -> float | None:
    """Distance to the limit, signed by the result: positive when passed, negative (or zero) when failed."""
    if not (math.isfinite(value) and math.isfinite(limit)):
        return None
    d = abs(float(value) - float(limit))
    return d if passed else -d


def _where(exc: BaseException) -> str:
    """``flows/flip_chip.py:40 in dispose_bumps``: the innermost frame inside the geometry package."""
    frames = traceback.extract_tb(exc.__traceback__)
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    inside = [f for f in frames if os.path.abspath(f.filename).startswith(pkg + os.sep)]
    f = (inside or frames or [None])[-1]
    if f is None:
        return ""
    return f"{os.path.relpath(os.path.abspath(f.filename), pkg)}:{f.lineno} in {f.name}"


def _deadline_check(deadline: float | None, started: float, what: str) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise VariantTimeout(f"past the {deadline - started:g} s timeout {what}")


def _run_flow(design, deadline: float | None, started: float):
    """The design's flow, with the deadline checked before every step."""
    return FLOWS[design.flow].run(design, lambda step: _deadline_check(deadline, started, f"before step {step.key}"))


def _checks(build) -> tuple[list | None, str]:
    """The flow's check results, or (None, why) when the flow has no checks."""
    if not build.flow.checks:
        return None, f"no checks registered for flow {build.flow.name!r}"
    return build.flow.check(build), ""


def run_variant(recipe: Mapping[str, Any], keep: Mapping[str, Any] | None = None, export_dir: str | None = None,
                timeout: float | None = None) -> dict[str, Any]:
    """Validate, build and check one recipe; return a row of plain data (see the module doc).

    ``keep``: ``checks`` and ``bodies`` (bool, default True), ``step`` (``none``, ``failing`` or ``all``: export
    the design under ``export_dir`` through :func:`geometry.api.export`). ``timeout`` (s) is checked between the
    flow's steps and before and after the checks; the local pool also kills a worker that overruns it.
    Never raises for a bad variant: every failure is a row with its status and reason.
    """
    from .. import api
    from ..output.report import bill_of_materials, content

    keep = dict(keep or {})
    started = time.monotonic()
    deadline = started + timeout if timeout else None
    row: dict[str, Any] = {"status": "ok", "reason": "", "passed": None, "params": None, "checks": None,
                           "bodies": None, "totals": None, "metrics": None, "exported": None, "timings": {},
                           "pid": os.getpid()}
    phase = started

    def lap(name: str) -> None:
        nonlocal phase
        now = time.monotonic()
        row["timings"][name] = round(now - phase, 6)
        phase = now

    try:
        try:
            design = load_design(dict(recipe))
        except ParameterError as e:
            row.update(status="invalid", reason=" / ".join(str(e).splitlines()))
            return row
        lap("validate")
        row["params"] = flatten(design.model_dump(mode="json"))
        build = _run_flow(design, deadline, started)
        lap("flow")
        results: list = []
        if keep.get("checks", True):
            _deadline_check(deadline, started, "before the checks")
            found, why = _checks(build)
            if found is None:
                row["reason"] = why
            else:
                results = found
                row["checks"] = [{
                    "name": c.name, "kind": c.kind, "claim": c.claim, "unit": c.unit, "value": float(c.value),
                    "limit": float(c.limit), "passed": bool(c.passed), "margin": margin(c.value, c.limit, c.passed),
                    "where": c.where,
                } for c in results]
                row["passed"] = rules_pass(results)
            lap("checks")
            _deadline_check(deadline, started, "in the checks")
        if keep.get("bodies", True):
            row["bodies"] = bill_of_materials(build.stack)
            row["totals"] = {"volume_mm3": sum(b["volume_mm3"] for b in row["bodies"]),
                             "mass_mg": sum(b["mass_mg"] for b in row["bodies"])}
            lap("bodies")
        if keep.get("metrics", True) and row["checks"] is not None:
            row["metrics"] = content(build, results, with_pictures=False)["metrics"]
            lap("metrics")
        step = keep.get("step", "none")
        if export_dir and (step == "all" or (step == "failing" and row["passed"] is False)):
            row["exported"] = str(api.export(build, results, export_dir))
            lap("export")
    except VariantTimeout as e:
        row.update(status="timeout", reason=str(e), passed=None)
    except Exception as e:  # noqa: BLE001 - a failing variant is a row, never the end of the sweep
        where = _where(e)
        msg = " ".join(str(e).split())[:500]
        row.update(status="error", reason=f"{type(e).__name__}: {msg}" + (f" (at {where})" if where else ""),
                   passed=None)
    finally:
        row["elapsed_s"] = round(time.monotonic() - started, 6)
    return row


def timeout_row(reason: str, elapsed: float) -> dict[str, Any]:
    """The row of a variant whose worker was stopped from outside."""
    return {"status": "timeout", "reason": reason, "passed": None, "params": None, "checks": None, "bodies": None,
            "totals": None, "exported": None, "timings": {}, "elapsed_s": round(elapsed, 6)}


def over_budget(recipe: Mapping[str, Any], budget: float | None) -> dict[str, Any] | None:
    """The ``invalid`` row of a variant over the resource budget times ``budget``
    (:func:`~geometry.flows.budget.check_budget`: milliseconds, no kernel), else None (within it, no budget, or
    refused by validation, which :func:`run_variant` reports)."""
    if budget is None:
        return None
    started = time.monotonic()
    try:
        check_budget(load_design(dict(recipe)), budget)
    except BudgetError as e:
        return {**timeout_row(" / ".join(str(e).splitlines()), time.monotonic() - started), "status": "invalid"}
    except ParameterError:
        return None
    return None


def error_row(reason: str, elapsed: float) -> dict[str, Any]:
    """The row of a variant whose worker died or whose task failed outside :func:`run_variant`."""
    return {**timeout_row(reason, elapsed), "status": "error"}
