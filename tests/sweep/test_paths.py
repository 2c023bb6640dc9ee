"""Parameter paths of a sweep (geometry/sweep/paths.py): values a recipe leaves out resolve to the defaults
that validation will use."""

from __future__ import annotations

from geometry.sweep.paths import resolved
from tests.conftest import small_recipe


def test_values_not_in_the_recipe_come_from_the_design_defaults():
    r = small_recipe()
    assert resolved(r, "second_encapsulant.min_cover") == 0.05  # a section given: its class default
    assert resolved(r, "second_encapsulant.cap_thickness") == 0.6  # the recipe's own
    del r["second_encapsulant"]
    assert resolved(r, "second_encapsulant.cap_thickness") == 0.8  # a section left out: the field default
    assert resolved(r, "heat_sink.standoff") == 0.6  # an absent optional section: its class default
    assert resolved(r, "chip.nothing") is None
