"""The cavity flow's parameters: every cross-field rule (geometry.flows.cavity.rules) refuses a bad design with one
clear message, and the wire plan's crossing test (geometry.flows.cavity.wires) that one of them relies on."""

from __future__ import annotations

import pytest

from geometry.core.params import ParameterError
from geometry.flows import load_design
from geometry.flows.cavity.wires import WirePlan, crossing
from tests.conftest import small_cavity


@pytest.mark.parametrize("changes, expected", [
    ({"die": {"width": 4.0}}, 'die.width 4 > opening.width 3 but placement is "inside"'),
    ({"die": {"width": 2.5, "placement": "over"}}, "must exceed the opening 3 x 3 on both sides"),
    ({"opening": {"corner_radius": 0.3}, "die": {"width": 3.0, "length": 3.0}}, "must be 0 for a die equal"),
    ({"heat_slug": {"margin": 1.0}}, "covers bottom pad"),
    ({"metal_slice": {"thickness": 0.4}}, "makes the slug thicker than the balls are tall"),
    ({"bond_wires": {"loop_height": 0.7}}, "needs a loop taller than the mold"),
    ({"bond_wires": {"loop_height": 0.1}}, "must rise at least two wire diameters"),
    ({"bond_fingers": {"pitch": 0.1}}, "bond_fingers.pitch 0.1 must be at least die.pad_pitch 0.15"),
    ({"die": {"pads_per_side": 13}}, "the corner pads would collide"),
    ({"slice_adhesive": {"thickness": 0.01}}, "must be at least bottom_pads.thickness"),
    ({"mold_compound": {"width": 8.0}}, "must be smaller than the substrate 8 x 8"),
    ({"solder_balls": {"rows": 5}}, "solder_balls.rows 5 must leave an empty centre"),
    ({"bond_wires": {"diameter": 0.1}}, "bond_wires.diameter 0.1"),
])
def test_cavity_rules(changes, expected):
    with pytest.raises(ParameterError) as e:
        load_design(small_cavity(**changes))
    assert expected in str(e.value) and len(str(e.value).splitlines()) == 1


def test_crossing_wires_are_found():
    a = WirePlan(start=(0, 0, 0), end=(1, 1, 0), side=0)
    b = WirePlan(start=(1, 0, 0), end=(0, 1, 0), side=0)
    c = WirePlan(start=(2, 0, 0), end=(3, 1, 0), side=0)
    assert crossing([a, b]) == (0, 1)
    assert crossing([a, c]) is None


def test_partial_bottom_pads_keep_the_cavity_defaults():
    """A [bottom_pads] section with only a diameter takes the cavity's pad thickness (0.015 mm), not the
    flip-chip ball pads' 0.02 (issue 12: cavity-production shipped with 0.02)."""
    d = load_design(small_cavity(bottom_pads={"diameter": 0.4}))
    assert d.bottom_pads.diameter == 0.4 and d.bottom_pads.thickness == 0.015
    assert load_design(small_cavity()).bottom_pads.thickness == 0.015


def test_slug_offset_past_the_slice_edge_is_refused():
    """A slug centred on an offset opening that would reach past the slice edge is refused, not silently clipped
    by the etch (issue 12: -4.5 % slug volume with every check passing)."""
    recipe = small_cavity(opening={"width": 3.0, "length": 3.0, "offset_x": 0.6}, metal_slice={"width": 7.6,
                          "length": 7.6}, solder_balls={"count_x": 10, "count_y": 10, "layout": "perimeter", "rows": 1})
    assert load_design(recipe).slug_footprint == (4.0, 4.0)
    recipe["heat_slug"] = {"width": 7.0, "length": 3.8}
    with pytest.raises(ParameterError, match=r"heat_slug.width 7 x length 3.8 centred on the opening at \(0.6, 0\) "
                                             r"reaches beyond the slice 7.6 x 7.6, centred on the substrate"):
        load_design(recipe)
