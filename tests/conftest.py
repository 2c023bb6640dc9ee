"""Shared fixtures: small designs that build in well under a second."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "builds"

SMALL = {
    "name": "small",
    "flow": "flip-chip",
    "substrate": {"width": 6.0, "length": 6.0, "thickness": 0.5},
    "chip_area": {"width": 3.0, "length": 3.0},
    "bump_pads": {"diameter": 0.11, "thickness": 0.015},
    "bumps": {"pitch": 0.2, "count_x": 6, "count_y": 5, "diameter": 0.12, "height": 0.09},
    "chip": {"width": 2.0, "length": 2.0, "thickness": 0.3},
    "second_encapsulant": {"cap_thickness": 0.6},
    "solder_balls": {"pitch": 1.0, "count_x": 5, "count_y": 5},
}


def _updated(base: dict, changes: dict) -> dict:
    """A copy of ``base`` with sections updated by ``changes`` (section -> dict, or top-level key -> value; None
    removes the key)."""
    d = copy.deepcopy(base)
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(d.get(k), dict):
            d[k].update(v)
        elif v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def small_recipe(**changes) -> dict:
    """The small flip-chip design, updated as in :func:`_updated`."""
    return _updated(SMALL, changes)


@pytest.fixture
def small():
    from geometry.params import load_design

    return load_design(small_recipe())


SMALL_CAVITY = {
    "name": "small-cavity",
    "flow": "cavity",
    "substrate": {"width": 8.0, "length": 8.0, "thickness": 0.36},
    "opening": {"width": 3.0, "length": 3.0},
    "die": {"width": 2.0, "length": 2.0, "thickness": 0.25, "pads_per_side": 6, "pad_pitch": 0.15},
    "bond_fingers": {"pitch": 0.2, "gap": 0.3},
    "solder_balls": {"pitch": 0.7, "count_x": 10, "count_y": 10, "layout": "perimeter", "rows": 2},
}


def small_cavity(**changes) -> dict:
    """The small cavity design (builds in about half a second), updated as in :func:`_updated`."""
    return _updated(SMALL_CAVITY, changes)
