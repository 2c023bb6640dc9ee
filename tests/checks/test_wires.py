"""Generic bond-wire checks (geometry.checks.wires) called directly: a wire inside a block, two parallel straight
wires, an edge under a wire's crest. Each check takes the name of its result second; the tests pass the names the
old checks produced (geometry.flows.cavity.names where the cavity flow uses the same one)."""

from __future__ import annotations

import cadquery as cq
import numpy as np
import pytest

from geometry import flows
from geometry.checks import wires
from geometry.core import occ
from geometry.core.stack import Body, Instances, Stack, translations
from geometry.flows.cavity import names as n
from geometry.measure.tubes import swept_lines
from geometry.recipes import load
from tests.conftest import RECIPES

SMALLER = RECIPES / "cavity" / "cavity-smaller.toml"


def test_wire_inside_a_body_is_caught():
    smaller = flows.run(load(SMALLER))
    sw = swept_lines(smaller.stack["bond_wires"])
    top = sw.lines[0][np.argmax(sw.lines[0][:, 2])]
    block = occ.box(*(top - 0.005), *(top + 0.005))
    stack = smaller.stack.add(Body.one("block", "Cu", block))
    r = wires.tube_clearance(stack, n.BOND_WIRES_CLEAR, "bond_wires")
    assert not r.passed and r.value < 0


def test_parallel_straight_wires():
    r, gap = 0.0125, 0.04
    tube = cq.Solid.makeCylinder(r, 1.0, pnt=cq.Vector(0, 0, 0), dir=cq.Vector(1, 0, 0))
    spine = np.column_stack([np.linspace(0, 1, 201), np.zeros(201), np.zeros(201)])
    w = Body("w", "Au", (Instances(tube, translations(np.array([[0, 0, 0], [0, gap, 0]])), spine),))
    res = wires.wire_clearance(Stack((w,)), "w_clearance", "w", 2 * r)
    assert not res.passed
    assert res.value == pytest.approx(gap - 2 * r)


def test_edge_under_a_crest():
    smaller = flows.run(load(SMALLER))
    sw = swept_lines(smaller.stack["bond_wires"])
    line = sw.lines[0]
    crest = line[np.argmax(line[:, 2])]
    tangent = line[-1] - line[0]
    normal = np.array([-tangent[1], tangent[0], 0.0]) / np.hypot(*tangent[:2])
    foot = crest - [0, 0, 0.02]
    edge = np.array([foot - 0.01 * normal, foot + 0.01 * normal])
    r = wires.wires_clear_of_edges(smaller.stack, "wires_clear_of_edges", "bond_wires", {"probe": [edge]}, 0.025)
    assert not r.passed
    assert r.value == pytest.approx(0.02 - sw.radius[0], abs=1e-6)
