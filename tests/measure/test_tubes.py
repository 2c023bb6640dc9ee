"""Swept tubes (geometry.measure.tubes): a wire's top from its spine against OCCT's bounds, its radius, and
distances from points to a body's surface."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geometry import flows
from geometry.core import occ
from geometry.core.stack import Body
from geometry.measure.tubes import surface_distances, swept_lines, tube_radius, tube_tops
from geometry.recipes import load
from tests.conftest import RECIPES


def test_tube_top_from_spine_matches_occt_bounds():
    smaller = flows.run(load(RECIPES / "cavity" / "cavity-smaller.toml"))
    wires = smaller.stack["bond_wires"]
    occt = max(p.bounds()[:, 5].max() for p in wires.parts[2:4])
    sw = swept_lines(Body(wires.name, wires.material_name, wires.parts[2:4]))
    assert tube_tops(sw).max() == pytest.approx(occt, abs=1e-6)
    assert tube_radius(wires.parts[2]) == pytest.approx(smaller.design.bond_wires.diameter / 2, rel=1e-9)


def test_surface_distance_to_a_box():
    body = Body.one("block", "Cu", occ.box(0, 0, 0, 1, 1, 0.5))
    pts = np.array([[0.5, 0.5, 0.52], [1.03, 0.5, 0.25], [1.03, 1.04, 0.6], [3.0, 3.0, 3.0]])
    d, b, m = surface_distances(pts, [body], reach=0.1)
    assert d[:3] == pytest.approx([0.02, 0.03, math.sqrt(0.03**2 + 0.04**2 + 0.1**2)])
    assert d[3] == math.inf and b[3] == -1 and m[0] == 0
