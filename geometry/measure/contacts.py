"""Contacts between bodies as areas (mm2) and unfilled volumes (mm3), one boolean each (or one per distinct
situation of many member pairs: :func:`member_contacts`).

``occ.contact_area`` moves one solid by ``d`` into the other and divides the shared volume by ``d``;
``occ.face_contact_area`` intersects the facing flat faces.
"""

from __future__ import annotations

from collections.abc import Sequence

import cadquery as cq
import numpy as np

from ..core import occ
from ..core.stack import Body, Stack
from .members import Members

CONTACT_D = 1e-4
"""Displacement (mm) used to measure contact areas."""


def contact(stack: Stack, a: str, b: str, d: float = CONTACT_D) -> float:
    """Horizontal face-contact area (mm2) between bodies ``a`` and ``b``, whichever lies on the other."""
    sa, sb = stack[a].shape(), stack[b].shape()
    return occ.contact_area(sa, sb, d) + occ.contact_area(sb, sa, d)


def side_contact(a: cq.Shape, b: cq.Shape, d: float) -> float:
    """Vertical face-contact area (mm2) between ``a`` and ``b``: ``b`` moved by ``d`` along +x, -x, +y, -y."""
    return sum(occ.contact_area(a, b, d, v) for v in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0)))


def member_contacts(upper: Body, iu: np.ndarray, lower: Body, il: np.ndarray) -> tuple[np.ndarray, int]:
    """Contact area (mm2) of each pair k: member ``iu[k]`` of ``upper`` lying on member ``il[k]`` of ``lower``
    across flat faces normal to the world z axis (:func:`occ.face_contact_area`, the flat contacts of
    :func:`occ.contact_area` at a fifth of its cost), and the number of booleans it took.

    Pairs in the same geometric situation (prototype pair, placement of the upper member in the lower one's frame
    and the world z axis in that frame, rounded to 1e-6) share one boolean between the two prototypes: hundreds of
    bond-wire stitches on their fingers take one per distinct fan-out angle, not one each."""
    mu, ml = Members.of([upper]), Members.of([lower])
    iu, il = np.asarray(iu, dtype=int), np.asarray(il, dtype=int)
    if not len(iu):
        return np.zeros(0), 0
    pu, pl = mu.placement[iu], ml.placement[il]
    rt = np.transpose(pl[:, :3, :3], (0, 2, 1))
    rel = np.repeat(np.eye(4)[None], len(iu), axis=0)
    rel[:, :3, :3] = rt @ pu[:, :3, :3]
    rel[:, :3, 3] = np.einsum("nij,nj->ni", rt, pu[:, :3, 3] - pl[:, :3, 3])
    up = rt[:, :, 2]
    key = np.rint(np.column_stack([rel[:, :3, :].reshape(-1, 12), up]) * 1e6).astype(np.int64)
    key = np.column_stack([mu.part[iu], ml.part[il], key])
    _, first, group = np.unique(key, axis=0, return_index=True, return_inverse=True)
    areas = np.array([occ.face_contact_area(mu.shapes[mu.part[iu[k]]].moved(occ.location(rel[k])),
                                            ml.shapes[ml.part[il[k]]], up[k]) for k in first])
    return areas[group.ravel()], len(first)


def void_volume(region: cq.Shape, fillers: Sequence[Body]) -> float:
    """Volume (mm3) of ``region`` that no member of ``fillers`` occupies: one boolean."""
    tools = [s for b in fillers for s in b.placed()]
    return occ.volume(region) - (occ.common_volume(region, tools) if tools else 0.0)
