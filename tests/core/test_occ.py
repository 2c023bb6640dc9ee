"""Kernel helpers of geometry.core.occ against OCCT used directly."""

from __future__ import annotations

import cadquery as cq
import numpy as np
from OCP.BRepClass3d import BRepClass3d_SolidClassifier
from OCP.gp import gp_Pnt
from OCP.TopAbs import TopAbs_IN

from geometry.core import occ, occ_block
from geometry.core.stack import translations


def _fresh(shape, p, tol=1e-7) -> bool:
    return BRepClass3d_SolidClassifier(shape.wrapped, gp_Pnt(*map(float, p)), tol).State() == TopAbs_IN


def test_point_inside_reused_classifier_answers_as_a_new_one_per_probe():
    holed = occ.cut(occ.box(-1, -1, 0, 1, 1, 0.5), [occ.cylinder(0.4, -1, 1)])
    ball = occ.sphere(0.3, 2.0)
    rng = np.random.default_rng(7)
    for shape in (holed, ball, holed):
        b = occ.bounds(shape)
        probes = rng.uniform(b[:3] - 0.2, b[3:] + 0.2, size=(300, 3))
        faces = np.array([[0.0, 0.0, 0.25], [0.4, 0.0, 0.25], [1.0, 0.2, 0.2], [0.5, 0.5, 0.5], [0.0, 0.0, 2.3],
                          [0.0, 0.0, 1.7], [0.7, 0.7, 0.0]])
        answers = [occ.point_inside(shape, p) for p in np.vstack([probes, faces])]
        assert answers == [_fresh(shape, p) for p in np.vstack([probes, faces])]
        assert 30 < sum(answers) < 270
    assert not occ.point_inside(holed, (0.4, 0.0, 0.25)) and not occ.point_inside(holed, (1.0, 0.2, 0.2))
    assert occ.point_inside(holed, (0.7, 0.0, 0.25)) and not occ.point_inside(holed, (0.0, 0.0, 0.25))


def test_area_of_located_copies_equals_shape_area_and_measures_are_kept_per_shape():
    solid = _holed()
    assert occ.area(solid) == solid.Area()
    assert occ.volume(solid) == solid.Volume()
    b = occ.bounds(solid)
    b[0] = 99.0  # the caller's copy, not the kept bounds
    assert occ.bounds(solid)[0] == -1.5
    moved = solid.moved(occ.location(np.array([[1.0, 0, 0, 3], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])))
    assert occ.bounds(moved)[0] == 1.5 and occ.volume(moved) == moved.Volume()
    flipped = cq.Shape.cast(solid.wrapped.Reversed())
    assert occ.volume(flipped) == flipped.Volume() < 0


def _holed():
    cell = occ.cut(occ.box(-0.5, -0.5, 0, 0.5, 0.5, 0.2), [occ.cylinder(0.3, -1, 1)])
    cells = translations([(x, y, 0) for x in (-1, 0, 1) for y in (-0.5, 0.5)])
    return occ_block.holed_block((-1.5, -1, 0, 1.5, 1, 0.2), [(cell, cells)])
