"""Generic array checks (geometry.checks.arrays) called directly on flip-chip stacks: end areas against the
design, a raised bump, a lifted pad, the ball pitch measured when not given. Each check takes the name of its
result second; the tests pass the names the flip-chip flow uses (geometry.flows.flip_chip.names)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geometry import flows
from geometry.checks import arrays
from geometry.core import parts
from geometry.core.stack import Body, Instances, Stack
from geometry.flows import load_design
from geometry.flows.flip_chip import names as n
from tests.conftest import small_recipe


def test_polished_end_area_matches_design():
    b = flows.run(load_design(small_recipe(first_encapsulant={"thickness": 0.12, "polish": True,
                                                              "polish_plane": 0.1})))
    d = b.design
    rad = d.bumps.end_radius(d.z_first_top - d.z_bump_base)
    r = arrays.ends_exposed(b.stack, n.BUMPS_ENDS_EXPOSED, "bumps", "first_encapsulant", math.pi * rad * rad)
    assert r.passed and r.value < 1e-9
    wrong = arrays.ends_exposed(b.stack, n.BUMPS_ENDS_EXPOSED, "bumps", "first_encapsulant",
                                1.01 * math.pi * rad * rad)
    assert not wrong.passed and wrong.value == pytest.approx(0.01 / 1.01, rel=1e-6)


def test_raised_bump_breaks_coplanarity(small):
    good = flows.run(small)
    bumps = good.stack["bumps"].parts[0]
    raised = bumps.placements.copy()
    raised[7, 2, 3] += 0.005
    stack = good.stack.replace(Body("bumps", "SnPb63", (Instances(bumps.shape, raised),)))
    r = arrays.flat_end_coplanarity(stack, n.BUMPS_END_COPLANARITY, "bumps", "first_encapsulant")
    assert not r.passed
    assert r.value == pytest.approx(0.005)
    assert r.where.startswith("bumps[7] at")


def test_pad_above_bump_end_fails(small):
    good = flows.run(small)
    pads = good.stack["chip_pads"].parts[0]
    lifted = pads.placements.copy()
    lifted[3, 2, 3] += 1e-4
    stack = good.stack.replace(Body("chip_pads", "Al", (Instances(pads.shape, lifted),)))
    r = arrays.pads_on_ends(stack, n.CHIP_PADS_ON_BUMPS, "chip_pads", "bumps")
    assert r.value == 1 and "chip_pads[3]" in r.where and "off the end" in r.where


def test_ball_pitch_measured_when_not_given(small):
    r = arrays.ball_coplanarity(flows.run(small).stack, n.SOLDER_BALLS_COPLANARITY, "solder_balls")
    assert r.limit == 0.15 and "pitch 1 mm" in r.detail


def test_member_gap_is_the_least_web_and_fails_touching_members():
    """Three balls 0.6 mm across (one turned about z) at x = 0, 1.0, 1.7 mm: webs 0.4 and 0.1 mm; moved to 1.6 mm
    the last two touch (web 0): the check fails, naming both."""
    ball = parts.solder_ball(0.6, 0.5)
    turn = np.eye(4)
    turn[:2, :2] = [[0.0, -1.0], [1.0, 0.0]]
    place = np.stack([np.eye(4)] * 3)
    place[1] = turn
    place[:, 0, 3] = [0.0, 1.0, 1.7]
    stack = Stack((Body("balls", "SAC305", (Instances(ball, place),)),))
    r = arrays.member_gap(stack, n.SOLDER_BALLS_GAP, "balls")
    assert r.passed and r.value == pytest.approx(0.1, abs=1e-7) and r.unit == "mm"
    place[2, 0, 3] = 1.6
    r = arrays.member_gap(Stack((Body("balls", "SAC305", (Instances(ball, place),)),)), n.SOLDER_BALLS_GAP, "balls")
    assert not r.passed and r.value == pytest.approx(0.0, abs=1e-7) and "balls[1]" in r.where and "balls[2]" in r.where
