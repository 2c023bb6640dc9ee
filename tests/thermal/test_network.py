"""Elements of the first-order network (geometry/thermal/network.py): slabs, arrays of members, columns cut layer by
layer, series and parallel, and what a Thermal reports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geometry.core import occ
from geometry.core.stack import Body, Instances
from geometry.thermal.network import (
    AIR_CONDUCTIVITY,
    ASSUMPTIONS,
    Thermal,
    array,
    column,
    parallel,
    series,
    slab,
)
from tests.conftest import THERMAL_K, series_r


def test_slab_is_t_over_k_a() -> None:
    e = slab("board", "substrate", "BT", 0.5, 4.0, count=2)
    assert e.r == pytest.approx(series_r(0.5, THERMAL_K["BT"], 4.0, 2), rel=1e-12)
    assert slab("board", "gap", "air", 0.1, 4.0, k=AIR_CONDUCTIVITY).r == pytest.approx(1000 * 0.1 / (0.026 * 4.0))
    assert math.isinf(slab("board", "none", "Cu", 0.1, 0.0).r)


def test_series_and_parallel() -> None:
    a, b = slab("top", "a", "Cu", 1.0, 1.0), slab("top", "b", "Cu", 2.0, 1.0)
    assert series([a, b]) == pytest.approx(a.r + b.r)
    assert parallel(a.r, b.r) == pytest.approx(a.r * b.r / (a.r + b.r))
    assert parallel(a.r, math.inf) == pytest.approx(a.r) and math.isinf(parallel(math.inf))


def test_array_of_discs_in_parallel() -> None:
    """Nine copper discs of diameter 0.2 and thickness 0.05: mean cross-section = volume / height is exact."""
    disc = occ.cylinder(0.1, 0.0, 0.05)
    body = Body("pads", "Cu", (Instances.at(disc, np.zeros((9, 3))),))
    e = array("board", body)
    assert e.count == 9 and e.r == pytest.approx(series_r(0.05, THERMAL_K["Cu"], math.pi * 0.01, 9), rel=1e-9)


def test_column_cuts_a_stepped_body_layer_by_layer() -> None:
    """A 2 x 2 x 0.1 plate under a 1 x 1 x 0.2 post: two layers in series, areas 4 and 1 mm2."""
    shape = occ.fuse([occ.box(-1, -1, 0.0, 1, 1, 0.1), occ.box(-0.5, -0.5, 0.1, 0.5, 0.5, 0.3)])
    e = column("board", Body.one("post", "Cu", shape))
    k = THERMAL_K["Cu"]
    assert e.r == pytest.approx(series_r(0.1, k, 4.0) + series_r(0.2, k, 1.0), rel=1e-9)
    assert e.area_mm2 == pytest.approx(1.0, rel=1e-9) and e.t_mm == pytest.approx(0.3)


def test_thermal_paths_together_and_share() -> None:
    top, board = slab("top", "t", "Cu", 1.0, 1.0), slab("board", "b", "Cu", 3.0, 1.0)
    th = Thermal((top, board), top.r, board.r)
    assert th.theta_j == pytest.approx(top.r * board.r / (top.r + board.r))
    assert th.top_share == pytest.approx(0.75) and th.dominant == "top"
    assert th.assumptions == ASSUMPTIONS and th.materials() == [("Cu", 398.0, th.materials()[0][2])]
    open_top = Thermal((board,), math.inf, board.r)
    assert open_top.top_share == 0.0 and open_top.theta_j == pytest.approx(board.r)
