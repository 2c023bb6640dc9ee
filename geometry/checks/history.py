"""Checks of the build history and the materials: steps in the claimed order, a body made of an allowed or a
conductive material."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.results import CheckResult
from ..core.stack import Stack


def step_order(build, name: str, keys: Sequence[str], claim: str = "", also: Sequence[tuple[str, bool]] = ()
               ) -> CheckResult:
    """The steps ``keys`` all ran, in this order (other steps may lie between), and every ``(fault, bad)`` of
    ``also`` is clear. Value: the number of faults."""
    seen = [r.step.key for r in build.history]
    faults = [f"no step {k}" for k in keys if k not in seen]
    if not faults:
        pos = [seen.index(k) for k in keys]
        faults += [f"{a} does not come before {b}" for a, b, i, j in zip(keys, keys[1:], pos, pos[1:], strict=False)
                   if i >= j]
    faults += [f for f, bad in also if bad]
    return CheckResult(name, claim, float(len(faults)), 0.0, "faults", not faults, "; ".join(faults),
                       " -> ".join(keys))


def material_is(stack: Stack, name: str, body: str, allowed: Sequence[str], claim: str = "") -> CheckResult:
    """Body ``body`` is made of one of ``allowed`` (material names). Value: 1 when it is not, else 0."""
    m = stack[body].material_name
    ok = m in allowed
    return CheckResult(name, claim, 0.0 if ok else 1.0, 0.0, "faults", ok,
                       "" if ok else f"{body} is {m}, not {' or '.join(allowed)}", f"{body}: {m}")


def conductive(stack: Stack, name: str, body: str, claim: str = "") -> CheckResult:
    """Body ``body`` is made of an electrical conductor (a metal: what "conductive" means in a claim). Value: 1
    when it is not, else 0."""
    b = stack[body]
    m = b.material
    return CheckResult(name, claim, 0.0 if m.conductor else 1.0, 0.0, "faults", m.conductor,
                       "" if m.conductor else f"{b.name} is {m.name} ({m.description}), not a conductor",
                       f"{b.name}: {m.name}, {m.description}")
