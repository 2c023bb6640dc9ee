"""Contacts between bodies as areas (mm2) and unfilled volumes (mm3), one boolean each.

``occ.contact_area`` moves one solid by ``d`` into the other and divides the shared volume by ``d``.
"""

from __future__ import annotations

from collections.abc import Sequence

import cadquery as cq

from ..core import occ
from ..core.stack import Body, Stack

CONTACT_D = 1e-4
"""Displacement (mm) used to measure contact areas."""


def body_shape(body: Body) -> cq.Shape:
    """The body as one shape: its single member in place, or a compound of all members."""
    if body.count == 1:
        p = body.parts[0]
        return p.shape.moved(occ.location(p.placements[0]))
    return occ.compound(body.placed())


def contact(stack: Stack, a: str, b: str, d: float = CONTACT_D) -> float:
    """Horizontal face-contact area (mm2) between bodies ``a`` and ``b``, whichever lies on the other."""
    sa, sb = body_shape(stack[a]), body_shape(stack[b])
    return occ.contact_area(sa, sb, d) + occ.contact_area(sb, sa, d)


def side_contact(a: cq.Shape, b: cq.Shape, d: float) -> float:
    """Vertical face-contact area (mm2) between ``a`` and ``b``: ``b`` moved by ``d`` along +x, -x, +y, -y."""
    return sum(occ.contact_area(a, b, d, v) for v in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0)))


def void_volume(region: cq.Shape, fillers: Sequence[Body]) -> float:
    """Volume (mm3) of ``region`` that no member of ``fillers`` occupies: one boolean."""
    tools = [s for b in fillers for s in b.placed()]
    return occ.volume(region) - (occ.common_volume(region, tools) if tools else 0.0)
