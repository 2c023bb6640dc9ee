"""The claimed processes: one folder per flow, and :data:`FLOWS`, the one registry that names them.

Adding a process means a new folder beside ``flip_chip/`` and ``cavity/`` whose ``__init__`` builds its
:class:`~geometry.core.flow.Flow`, and one entry here.
"""

from __future__ import annotations

from typing import Any

from ..core.flow import Build, Flow
from ..core.params import ParameterError, fmt, validate
from .cavity import CAVITY
from .flip_chip import FLIP_CHIP

FLOWS: dict[str, Flow] = {f.name: f for f in (FLIP_CHIP, CAVITY)}
"""Every flow by name: the one registry."""


def flow_named(name: object) -> Flow:
    """The flow called ``name``; :class:`ParameterError` names the known flows."""
    if not isinstance(name, str) or name not in FLOWS:
        raise ParameterError(f"flow {fmt(name)} must be one of {', '.join(repr(k) for k in FLOWS)}")
    return FLOWS[name]


def load_design(data: dict[str, Any]) -> Any:
    """Validate a recipe dictionary into a frozen design of its ``flow``; raises :class:`ParameterError`."""
    return validate(flow_named(data.get("flow")).model, data)


def run(design: Any) -> Build:
    """Run ``design`` through the flow its ``flow`` field names."""
    return FLOWS[design.flow].run(design)


__all__ = ["FLOWS", "flow_named", "load_design", "run"]
