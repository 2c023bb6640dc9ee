"""Contact areas (geometry.measure.contacts measures them with occ.contact_area): stacked boxes by hand."""

from __future__ import annotations

import pytest

from geometry.core import occ


def test_contact_area_of_stacked_boxes():
    lower = occ.box(0, 0, 0, 2, 1, 1)
    upper = occ.box(1.5, 0.5, 1, 3, 3, 2)
    assert occ.contact_area(upper, lower) == pytest.approx(0.25, rel=1e-6)
    assert occ.contact_area(lower, upper) == 0.0
    assert occ.contact_area(upper, occ.box(0, 0, 0, 2, 1, 0.9)) == 0.0
