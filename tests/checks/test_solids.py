"""Generic solid checks (geometry.checks.solids) called directly: an open shell is not a valid solid."""

from __future__ import annotations

import cadquery as cq

from geometry import flows
from geometry.checks import solids
from geometry.core import occ
from geometry.core.stack import Body
from geometry.flows.flip_chip import names as n


def test_open_shell_is_not_a_valid_solid(small):
    faces = occ.box(0, 0, 0, 1, 1, 1).Faces()
    shell = cq.Shell.makeShell(faces[:-1])
    r = solids.valid_solids(flows.run(small).stack.add(Body.one("open", "Cu", shell)), n.VALID_SOLIDS)
    assert not r.passed and r.value == 1 and r.where.startswith("open part 0")
