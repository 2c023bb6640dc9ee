"""Arrays of sites (geometry/core/arrays.py): character maps, depopulation by JEDEC names, x and y pitches,
staggered rows, offsets and explicit sites, measured by position and name; and the refusals."""

from __future__ import annotations

import numpy as np
import pytest

from geometry.core.models import SolderBalls
from geometry.core.params import ParameterError, validate


def balls(**kw) -> SolderBalls:
    base = {"pitch": 1.0, "diameter": 0.6, "height": 0.5}
    return validate(SolderBalls, {**base, **kw})


def test_map_gives_counts_positions_and_names():
    """A 3 x 4 map in the top view, first row at +y: 'o' a ball, '.' empty."""
    b = balls(map=["oo.o", "o..o", "oooo"])
    assert (b.layout, b.count_x, b.count_y, b.count) == ("map", 4, 3, 9)
    pos = {n: tuple(p) for n, p in zip(b.names(), b.positions(), strict=True)}
    # A1 at the bottom view's top-left: the package's +x, +y corner; columns count towards -x
    assert pos["A1"] == pytest.approx((1.5, 1.0)) and pos["A4"] == pytest.approx((-1.5, 1.0))
    assert "A2" not in pos and pos["A3"] == pytest.approx((-0.5, 1.0))
    assert set(pos) == {"A1", "A3", "A4", "B1", "B4", "C1", "C2", "C3", "C4"}


def test_bottom_view_map_is_mirrored():
    top = balls(map=["o...", "oooo"])
    bottom = balls(map=["...o", "oooo"], map_view="bottom")
    assert sorted(map(tuple, top.positions())) == sorted(map(tuple, bottom.positions()))


def test_depopulate_names_and_ranges():
    b = balls(count_x=6, count_y=6, depopulate=["A1", "C3:D4"])
    names = set(b.names())
    assert b.count == 36 - 1 - 4 and "A1" not in names and "C3" not in names and "D4" not in names
    assert "A2" in names and "E5" in names
    with pytest.raises(ParameterError, match="depopulate .* is not a list of balls of this array"):
        balls(count_x=4, count_y=4, depopulate=["G1"])


def test_pitch_x_and_y_and_offset():
    b = balls(count_x=3, count_y=2, pitch_x=0.8, pitch_y=1.2, offset_x=0.5, offset_y=-1.0, diameter=0.5,
              height=0.4)
    p = b.positions()
    assert sorted(set(np.round(p[:, 0], 9))) == pytest.approx([-0.3, 0.5, 1.3])
    assert sorted(set(np.round(p[:, 1], 9))) == pytest.approx([-1.6, -0.4])
    assert b.spacing == pytest.approx(0.8) and b.span_x == pytest.approx(2.6)


def test_staggered_rows_are_offset_by_half_a_pitch_and_named_on_the_half_lattice():
    b = balls(count_x=4, count_y=4, stagger=True)
    p = b.positions()
    rows = {round(y, 6): sorted(p[np.isclose(p[:, 1], y), 0]) for y in np.unique(np.round(p[:, 1], 6))}
    xs = list(rows.values())
    assert xs[0] == pytest.approx([-1.75, -0.75, 0.25, 1.25]) and xs[1] == pytest.approx([-1.25, -0.25, 0.75, 1.75])
    assert p[:, 0].mean() == pytest.approx(0.0, abs=1e-12)
    parity = {row: {int(n[1:]) % 2 for n in b.names() if n[0] == row} for row in "ABCD"}
    assert all(len(v) == 1 for v in parity.values()) and parity["A"] != parity["B"] and parity["A"] == parity["C"]
    assert set(b.names()) >= {"A1", "B2", "D2"} and b.min_spacing == pytest.approx(1.0)


def test_explicit_sites_with_names_and_nets():
    sites = [{"name": "VDD1", "x": 0.0, "y": 0.0, "net": "VDD"}, {"name": "G2", "x": 1.5, "y": 0.0, "net": "GND"},
             {"name": "S3", "x": 0.0, "y": 2.0}]
    b = balls(sites=sites, offset_x=1.0)
    assert b.layout == "sites" and b.count == 3 and b.names() == ("VDD1", "G2", "S3")
    assert b.nets() == ("VDD", "GND", "") and b.positions()[1] == pytest.approx((2.5, 0.0))
    with pytest.raises(ParameterError, match="sites 'G2' is the name of more than one site"):
        balls(sites=[*sites, {"name": "G2", "x": 5.0, "y": 5.0}])
    with pytest.raises(ParameterError, match=r"sites\[3\] 'X' at \(0, 0.5\) is 0.5 mm from VDD1 at \(0, 0\), not "):
        balls(sites=[*sites, {"name": "X", "x": 0.0, "y": 0.5}], offset_x=1.0)


@pytest.mark.parametrize("kw, message", [
    ({"map": ["oo", "o"]}, "has 1 sites where the first row has 2"),
    ({"map": ["oz", "oo"]}, "uses 'z'"),
    ({"map": ["..", ".."]}, "leaves no member"),
    ({"map": ["oo", "oo"], "count_x": 3}, "disagrees with the map of 2 rows of 2"),
    ({"layout": "map"}, 'map None is required when layout is "map"'),
    ({"count_x": 3, "count_y": 3, "pitch_x": 0.5}, "pitch_x 0.5 must be larger than the diameter"),
])
def test_refusals_name_the_key_and_the_rule(kw, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        balls(**{"count_x": 2, "count_y": 2, **kw})
