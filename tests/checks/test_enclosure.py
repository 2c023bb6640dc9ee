"""Generic enclosure checks (geometry.checks.enclosure) called directly: an exposed chip back covered by a lid
(flip-chip claim 7), members embedded in a drafted mold. Each check takes the name of its result second; the
tests pass the names the old checks produced."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geometry import flows
from geometry.checks import enclosure
from geometry.core import occ
from geometry.core.stack import Body, Instances, Stack
from geometry.flows import load_design
from geometry.flows.flip_chip import names as n
from tests.conftest import small_recipe


def test_covered_exposed_chip_back_fails_claim_7():
    recipe = small_recipe(second_encapsulant=None) | {"second_encapsulant": {"chip_back": "exposed"}}
    b = flows.run(load_design(recipe))
    cb = b.stack["chip"].bounds()
    lid = Body.one("lid", "EMC", occ.box(cb[0], cb[1], cb[5], cb[3], cb[4], cb[5] + 0.1))
    r = enclosure.chip_back_exposed(b.stack.add(lid), n.CHIP_BACK_EXPOSED, "chip", "second_encapsulant",
                                    claim="claim 7")
    assert not r.passed and r.value <= 1e-9 and "inside lid" in r.where


def test_embedded_margin_respects_the_draft():
    mold = Body.one("mold", "EMC", occ.box(-1, -1, 0, 1, 1, 1), embeds=("bits",))
    bits = Body("bits", "Cu", (Instances.at(occ.box(0, 0, 0, 0.1, 0.1, 0.1), np.array([[0.8, 0.0, 0.5]])),))
    stack = Stack((mold, bits))
    r = enclosure.embedded_margin(stack, "embedded_in_mold", "mold", 0.0, 10.0)
    assert not r.passed
    assert r.value == pytest.approx(1 - 0.6 * math.tan(math.radians(10)) - 0.9)
    assert enclosure.embedded_margin(stack, "embedded_in_mold", "mold", 0.0, 0.0).value == pytest.approx(0.1)
