"""Generic solid checks (geometry.checks.solids) called directly: an open shell is not a valid solid, a solid built
from tiles is checked against their volume."""

from __future__ import annotations

import cadquery as cq
import numpy as np

from geometry import flows
from geometry.checks import solids
from geometry.core import occ, occ_block
from geometry.core.stack import Body, Instances, translations
from geometry.flows.flip_chip import names as n


def test_open_shell_is_not_a_valid_solid(small):
    faces = occ.box(0, 0, 0, 1, 1, 1).Faces()
    shell = cq.Shell.makeShell(faces[:-1])
    r = solids.valid_solids(flows.run(small).stack.add(Body.one("open", "Cu", shell)), n.VALID_SOLIDS)
    assert not r.passed and r.value == 1 and r.where.startswith("open part 0")


def _tiled(radius_of_tiles: float) -> Body:
    """A 3 x 2 mm block with six 0.3 mm holes built from its tiles (no boolean), the tiles' holes of the radius
    given: equal to the solid's only at 0.3 mm."""
    cell = occ.cut(occ.box(-0.5, -0.5, 0, 0.5, 0.5, 0.2), [occ.cylinder(0.3, -1, 1)])
    sites = translations([(x, y, 0) for x in (-1, 0, 1) for y in (-0.5, 0.5)])
    solid = occ_block.holed_block((-1.5, -1, 0, 1.5, 1, 0.2), [(cell, sites)])
    tile = occ.cut(occ.box(-0.5, -0.5, 0, 0.5, 0.5, 0.2), [occ.cylinder(radius_of_tiles, -1, 1)])
    return Body("tiled", "EMC", (Instances(solid, np.eye(4)[None], pieces=(Instances(tile, sites),)),))


def test_a_solid_built_from_tiles_is_checked_by_its_tiles_volume(small):
    stack = flows.run(small).stack
    assert solids.valid_solids(stack.add(_tiled(0.3)), n.VALID_SOLIDS).passed
    r = solids.valid_solids(stack.add(_tiled(0.29)), n.VALID_SOLIDS)
    assert not r.passed and r.value == 1 and r.where.startswith("tiled part 0: volume")
