"""Parameter validation: every refusal names the field, the value and the rule."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from geometry.core.params import MAX_ARRAY_MEMBERS, ParameterError
from geometry.flows import load_design
from geometry.recipes import parse
from tests.conftest import small_recipe


def refused(recipe: dict) -> str:
    with pytest.raises(ParameterError) as e:
        load_design(recipe)
    return str(e.value)


def test_defaults_and_small_design_are_accepted():
    d = load_design({"name": "x", "flow": "flip-chip"})
    assert d.bumps.count == 400 and d.solder_balls.count == 100
    assert load_design(small_recipe()).bumps.count == 30


def test_models_are_frozen(small):
    with pytest.raises(ValidationError, match="frozen"):
        small.chip.width = 1.0


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"bumps": {"pitchh": 0.2}}, "bumps.pitchh is not a known parameter, did you mean 'pitch'?"),
        ({"colour": "red"}, "colour is not a known parameter"),
        ({"chip": {"width": "wide"}}, "chip.width 'wide'"),
        ({"chip": {"width": math.nan}}, "chip.width nan"),
        ({"chip": {"thickness": math.inf}}, "chip.thickness inf"),
        ({"chip": {"thickness": 0.0}}, "chip.thickness 0.0 input should be greater than or equal to 0.001"),
        ({"substrate": {"width": -1.0}}, "substrate.width -1"),
        ({"bumps": {"count_x": 2.5}}, "bumps.count_x 2.5"),
        ({"bumps": {"pitch": 0.1}}, "bumps.pitch 0.1 must be larger than the diameter 0.12"),
        ({"bumps": {"height": 0.13}}, "bumps.height 0.13 plus 3 x height_spread 0 must stay below the diameter 0.12"),
        ({"bumps": {"height_spread": 0.04}}, "bumps.height 0.09 plus 3 x height_spread 0.04 must stay below"),
        ({"bumps": {"count_x": 20}}, "outside the chip-mounting area 3 x 3"),
        ({"chip": {"width": 7.0}}, "chip.width 7 x length 2"),
        ({"chip_area": {"width": 7.0}}, "must fit on the substrate"),
        ({"first_encapsulant": {"polish": True, "polish_plane": 0.01, "thickness": 0.2}},
         "first_encapsulant.polish_plane 0.01 removes every bump whole"),
        ({"first_encapsulant": {"polish": True, "polish_plane": 0.12, "thickness": 0.2}},
         "first_encapsulant.polish_plane 0.12 leaves the bump ends unexposed"),
        ({"first_encapsulant": {"polish": True}}, "first_encapsulant.polish_plane None is required"),
        ({"heat_sink": {"width": 5.0, "length": 5.0, "standoff": 0.3, "thickness": 0.1, "leg_width": 0.5}},
         "heat_sink.standoff 0.3 touches the chip"),
        ({"heat_sink": {"width": 5.6, "length": 5.6, "standoff": 0.5, "thickness": 0.3, "leg_width": 0.5}},
         "so the heat sink is encapsulated"),
        ({"solder_balls": {"pitch": 0.5}}, "solder_balls.pitch 0.5 must be larger than the diameter 0.6"),
        ({"solder_balls": {"count_x": 7}}, "beyond the substrate"),
        ({"solder_balls": {"count_x": 300, "count_y": 300}}, f"exceeds the limit of {MAX_ARRAY_MEMBERS}"),
        ({"second_encapsulant": {"cap_thickness": 0.85, "chip_back": "exposed"}},
         "when chip_back is \"exposed\" (claim 7)"),
        ({"second_encapsulant": {"cap_thickness": 0.45}}, "by at least min_cover 0.05 (claim 6)"),
        ({"flow": "wire-bond"}, "flow 'wire-bond' must be one of"),
        ({"name": "../escape"}, "name '../escape'"),
    ],
)
def test_bad_values_get_one_clear_message(changes, expected):
    msg = refused(small_recipe(**changes))
    assert expected in msg
    assert "Traceback" not in msg and len(msg.splitlines()) == 1


def test_toml_errors_name_the_source():
    with pytest.raises(ParameterError, match="r.toml: not valid TOML"):
        parse("name = ", "r.toml")
    with pytest.raises(ParameterError, match=r"r.toml: bumps.pitch 0.1"):
        parse('name = "a"\nflow = "flip-chip"\n[bumps]\npitch = 0.1\n', "r.toml")


def test_derived_levels(small):
    # z = 0 at the second surface; pads 0.015, bumps 0.09, chip pads 0.005, chip 0.3
    assert small.z_first_surface == pytest.approx(0.5)
    assert small.z_bump_end == pytest.approx(0.605)
    assert small.z_first_top == pytest.approx(0.605)
    assert small.z_chip_back == pytest.approx(0.91)
    assert small.z_mold_top == pytest.approx(1.1)
    assert small.z_seating_plane == pytest.approx(-0.52)


def test_perimeter_layout_counts():
    d = load_design(small_recipe(solder_balls={"layout": "perimeter", "rows": 1}))
    assert d.solder_balls.count == 16
    assert refused(small_recipe(solder_balls={"layout": "perimeter", "rows": 3})).startswith("solder_balls.rows 3")


def test_chip_sites_are_refused_in_the_words_of_the_recipe():
    """A [[chips]] list: item keys as the recipe writes them (chips[1].chip...), one message per problem."""
    site = {"chip_area": {"width": 4.2, "length": 4.2}, "chip": {"width": 4.0, "length": 4.0, "thickness": 0.3}}
    base = small_recipe(chip_area=None, bumps=None, bump_pads=None, chip=None,
                        substrate={"width": 10.0, "length": 6.0})
    ok = {**base, "chips": [{"name": "a", **site, "chip": {**site["chip"], "offset_x": -2.5}},
                            {"name": "b", **site, "chip": {**site["chip"], "offset_x": 2.5}}]}
    assert [s.name for s in load_design(ok).sites()] == ["a", "b"]
    text = refused({**base, "chips": [{"name": "a", "bumps": {"pitch": -0.2}},
                                      {"name": "b", **site, "chip": {**site["chip"], "thicknes": 0.2}}]})
    assert text.splitlines() == ["chips[0].chip_area is required",
                                 "chips[0].bumps.pitch -0.2 input should be greater than or equal to 0.001",
                                 "chips[1].chip.thicknes is not a known parameter, did you mean 'thickness'?"]
    assert refused({**ok, "chip": {"width": 2.0}}).startswith("chip is a single-chip section: with [[chips]]")
    dup = {**ok, "chips": [ok["chips"][0], {**ok["chips"][1], "name": "a"}]}
    assert refused(dup) == "chips 'a' names more than one chip site: each needs its own name"
