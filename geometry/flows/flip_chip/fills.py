"""The flip-chip flow's gap fills for the conformal stack (:mod:`geometry.core.conformal`), mm.

Each chip stands on its bond pads, which stand on the first encapsulant's top (claim 1, step 4)): the chip face is
one pad thickness (5-6 um) above that top, and the second encapsulant is kept out of the chip's footprint from
that top up (step 5)), so a thin slab between the first encapsulant and the chip face is left empty around the
pads. The conformal stack fills it as ``chip_gap_fill`` (``chip_gap_fill_<site>`` with several chips) of
``underfill``: a gap of a few micrometres is far below the filler size of a transfer-mold compound (top cut
20-75 um), so the second encapsulant cannot flow into it; what fills a chip-face gap in production is a
capillary underfill or a non-conductive film, an epoxy of the underfill's properties.
"""

from __future__ import annotations

from ...core import occ, parts
from ...core.flow import Build
from ...core.stack import Body
from . import names as n

CHIP_GAP_FILL = "chip_gap_fill"
GAP_MATERIAL = "underfill"


def chip_gap_fills(build: Build) -> tuple[Body, ...]:
    """Per chip site, the chip's footprint between the first encapsulant's top and the chip face less the chip's
    bond pads, in one boolean per site (glued: the pads' ends lie on the slab's faces): volume = chip width x length x pad thickness - the pads' volume (mm3)."""
    stack, out = build.stack, []
    for site in build.design.sites():
        c = site.chip
        slab = parts.slab(c.width, c.length, site.z_first_top, site.z_chip_face, c.offset_x, c.offset_y)
        pads = stack[site.body(n.CHIP_PADS)].placed()
        out.append(Body.one(site.body(CHIP_GAP_FILL), GAP_MATERIAL, occ.cut(slab, pads, glue=True),
                            note="fills the chip-face gap around the chip pads"))
    return tuple(out)
