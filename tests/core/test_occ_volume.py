"""occ_volume.shared_volume against OCCT's volume of the whole shape."""

from __future__ import annotations

import math

import cadquery as cq
import numpy as np
from OCP.BRep import BRep_Builder
from OCP.TopoDS import TopoDS_Shell, TopoDS_Solid

from geometry.core import occ, occ_block, occ_volume
from geometry.core.stack import translations


def _holed(n):
    cell = occ.cut(occ.box(-0.5, -0.5, 0, 0.5, 0.5, 0.2), [occ.cylinder(0.3, -1, 1)])
    cells = translations([(x, y, 0) for x in range(n) for y in range(n)])
    return occ_block.holed_block((-0.5, -0.5, 0, n - 0.5, n - 0.5, 0.2), [(cell, cells)])


def _rotation(angle, t):
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, 0, s, t[0]], [0, 1, 0, t[1]], [-s, 0, c, t[2]], [0, 0, 0, 1.0]])


def test_shared_volume_of_holed_block_and_its_rotated_copy_is_occts_and_the_exact_one():
    block = _holed(12)
    exact = 12 * 12 * 0.2 - 144 * math.pi * 0.3**2 * 0.2
    rotated = block.moved(occ.location(_rotation(0.7, (3.0, -2.0, 5.0))))
    for shape in (block, rotated, block.mirror("YZ")):
        shared = occ_volume.shared_volume(shape)
        assert abs(shared - occ.volume(shape)) < 1e-11 * exact
        assert abs(shared - exact) < 1e-11 * exact


def test_shared_volume_of_rotated_and_moved_copies_of_a_box_counts_each_face_where_it_lies():
    """Five located copies of a 1 x 2 x 3 mm box, each face with a nonzero area vector: 30 mm3, as OCCT's."""
    box = occ.box(0, 0, 0, 1, 2, 3)
    copies = occ.compound([box.moved(occ.location(_rotation(0.3 * k, (4.0 * k, 1.0, -2.0 * k)))) for k in range(5)])
    assert abs(occ_volume.shared_volume(copies) - 30.0) < 1e-12 * 30
    assert abs(occ_volume.shared_volume(copies) - occ.volume(copies)) < 1e-12 * 30


def _halves(lift: float):
    """A 2 mm cube as its lower half-shell (bottom and four sides, z in [-1, 0]) and that half turned half a turn
    about x (the upper half), the upper half lifted ``lift`` mm; the whole moved by a rotation and a translation.
    One solid of one shell (not sewn); the halves are located copies of the same faces, whose area vectors do not cancel within a half."""
    lower = [f for f in occ.box(-1, -1, -1, 1, 1, 0).Faces() if f.Center().z < -1e-9 or abs(f.normalAt().z) < 0.5]
    turn = np.diag([1.0, -1.0, -1.0, 1.0])
    turn[2, 3] = lift
    whole = _rotation(0.4, (3.0, 4.0, 5.0))
    builder = BRep_Builder()
    shell, solid = TopoDS_Shell(), TopoDS_Solid()
    builder.MakeShell(shell)
    for face in (f.moved(occ.location(m)) for m in (whole, whole @ turn) for f in lower):
        builder.Add(shell, face.wrapped)
    builder.MakeSolid(solid)
    builder.Add(solid, shell)
    return cq.Shape.cast(solid)


def test_a_misplaced_half_changes_shared_volume_as_it_changes_occts():
    """Closed, the cube is 8 mm3; its upper half lifted 0.5 mm adds 4/3 x 0.5 mm3 (the flux of the lifted top; the
    gap left open carries none of the area vectors'), as OCCT finds."""
    for lift, expected in ((0.0, 8.0), (0.5, 8.0 + 4.0 / 3.0 * 0.5)):
        shape = _halves(lift)
        assert len(shape.Faces()) == 10
        assert abs(occ_volume.shared_volume(shape) - expected) < 1e-12 * expected
        assert abs(occ.volume(shape) - expected) < 1e-12 * expected


def test_shared_volume_is_kept_per_shape_and_orientation():
    block = _holed(4)
    first = occ_volume.shared_volume(block)
    assert occ_volume.shared_volume(block) == first
    flipped = cq.Shape.cast(block.wrapped.Reversed())
    assert abs(occ_volume.shared_volume(flipped) + first) < 1e-12 * first
    other = _holed(3)
    assert abs(occ_volume.shared_volume(other) - occ.volume(other)) < 1e-11 * occ.volume(other) < first
