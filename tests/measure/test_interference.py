"""The interference engine (geometry.measure.interference) agrees with brute force and analytic overlaps: balls of
one array, many distinct situations against a big shape, irregular members of one body, summarised overlaps,
designed overlaps ignored, touching members clear."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from geometry import flows
from geometry.core import occ
from geometry.core.stack import Body, Instances, Stack
from geometry.flows import load_design
from geometry.measure.interference import MAX_ATTRIBUTED, MAX_KEYS, interferences
from tests.conftest import small_recipe


def test_overlapping_balls_of_one_array():
    d = load_design(small_recipe())
    balls = d.solder_balls.model_copy(update={"pitch": 0.5})
    pads = d.ball_pads.model_copy(update={"diameter": 0.45})
    found = interferences(flows.run(d.model_copy(update={"solder_balls": balls, "ball_pads": pads})).stack)
    assert {(f.body_a, f.body_b) for f in found} == {("solder_balls", "solder_balls")}
    r, dist = 0.3, 0.5
    lens = math.pi * (4 * r + dist) * (2 * r - dist) ** 2 / 12
    assert all(f.overlap_mm3 == pytest.approx(lens, rel=1e-6) for f in found)
    assert sum(int(f.where.split("+")[1].split()[0]) + 1 for f in found) == 2 * 5 * 4


def _studs(xy, z0, size=0.1):
    return Instances.at(occ.box(-size / 2, -size / 2, 0.0, size / 2, size / 2, size), np.column_stack([xy, z0]))


def test_many_distinct_situations_against_a_big_shape_match_brute_force(small):
    """36 irregular studs under the substrate: more situations than MAX_KEYS, so regions prove them."""
    good = flows.run(small)
    rng = np.random.default_rng(1)
    grid = np.array(list(itertools.product(np.arange(-2.5, 3.0, 1.0), repeat=2)))
    xy = grid + rng.uniform(-0.1, 0.1, grid.shape)
    sunk = rng.random(len(xy)) < 0.5
    z0 = np.where(sunk, -0.05, -0.2 + rng.uniform(0, 0.05, len(xy)))
    stack = good.stack.add(Body("studs", "Cu", (_studs(xy, z0),)))
    found = interferences(stack)
    assert {(f.body_a, f.body_b) for f in found} == {("substrate", "studs")}
    assert len(found) == sunk.sum() > MAX_KEYS / 4
    assert all(f.overlap_mm3 == pytest.approx(0.1 * 0.1 * 0.05, rel=1e-6) for f in found)
    sub = good.stack["substrate"].parts[0].shape
    brute = sum(occ.volume(occ.common(sub, [s])) > 1e-9 for s in stack["studs"].placed())
    assert brute == len(found)
    clear = good.stack.add(Body("studs", "Cu", (_studs(xy, np.full(len(xy), -0.2)),)))
    assert interferences(clear) == []


def test_irregular_members_of_one_body_match_analytic_overlaps():
    rng = np.random.default_rng(7)
    n, size = 60, 0.1
    xyz = np.column_stack([rng.uniform(0, 1.0, (n, 2)), rng.uniform(0, 0.02, n)])
    stack = Stack((Body("cloud", "Cu", (_studs(xyz[:, :2], xyz[:, 2], size),)),))
    found = interferences(stack)
    expected = []
    for a, b in itertools.combinations(range(n), 2):
        ov = np.clip(size - np.abs(xyz[a] - xyz[b]), 0, None)
        if ov.prod() > 1e-9:
            expected.append(ov.prod())
    assert MAX_KEYS < len(expected) < MAX_ATTRIBUTED
    assert sorted(f.overlap_mm3 for f in found) == pytest.approx(sorted(expected), rel=1e-6)


def test_many_overlaps_are_summarised_with_the_same_total():
    """Past MAX_ATTRIBUTED overlaps, leaves are reported whole: fewer entries, the same total volume."""
    rng = np.random.default_rng(7)
    n, size = 70, 0.1
    xyz = np.column_stack([rng.uniform(0, 1.0, (n, 2)), rng.uniform(0, 0.02, n)])
    found = interferences(Stack((Body("cloud", "Cu", (_studs(xyz[:, :2], xyz[:, 2], size),)),)))
    expected = [np.clip(size - np.abs(xyz[a] - xyz[b]), 0, None).prod()
                for a, b in itertools.combinations(range(n), 2)]
    expected = [v for v in expected if v > 1e-9]
    assert len(expected) > MAX_ATTRIBUTED
    assert sum(f.overlap_mm3 for f in found) == pytest.approx(sum(expected), rel=1e-6)
    assert any("combined" in f.where for f in found)


def test_designed_overlap_can_be_ignored(small):
    good = flows.run(small)
    z = good.design.z_chip_face
    stack = good.stack.add(Body.one("intruder", "Cu", occ.box(-0.2, -0.2, z + 0.1, 0.2, 0.2, z + 0.2)))
    assert interferences(stack, ignore=[("intruder", "chip")]) == []


def test_touching_members_do_not_interfere():
    cube = occ.box(0, 0, 0, 1, 1, 1)
    xyz = np.array(list(itertools.product(range(3), repeat=3)), dtype=float)
    stack = Stack((Body("bricks", "Cu", (Instances.at(cube, xyz),)),
                   Body.one("floor", "BT", occ.box(-1, -1, -1, 4, 4, 0))))
    assert interferences(stack) == []
