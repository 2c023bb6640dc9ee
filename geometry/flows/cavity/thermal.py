"""The cavity flow's first-order thermal network (K/W), read from the finished stack; a quick estimate, not a
sign-off analysis (:mod:`geometry.thermal.network` states the assumptions).

Junction at the die's top (wire-bonded) face. ``theta_jtop`` runs through the mold cover over the die footprint.
``theta_jboard`` runs through the die, its adhesive (layer by layer, areas measured by slicing the body), the heat
slug, then two parallel branches to the board: across the standoff gap under the slug (claim 3 keeps it open;
taken as still air), and through the slice adhesive, radially through the substrate laminate from the slug's
outline to the nearest bottom pad, then the bottom pads and balls. Without contact between the die's adhesive and
the slug the slug path is open and ``theta_jboard`` is infinite.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ...core.stack import Stack
from ...measure.contacts import contact
from ...thermal.network import (
    AIR_CONDUCTIVITY,
    Element,
    Thermal,
    array,
    column,
    footprint,
    parallel,
    series,
    slab,
)
from . import names as n


def network(stack: Stack) -> Thermal:
    """The cavity network (module doc) of the finished ``stack``: junction at the die's top face."""
    die, mold, slug, sub = stack[n.DIE], stack[n.MOLD_COMPOUND], stack[n.HEAT_SLUG], stack[n.SUBSTRATE]
    db, mb, gb, sb = die.bounds(), mold.bounds(), slug.bounds(), sub.bounds()
    a_die = footprint(die)
    top = [slab("top", "mold cover", mold.material_name, mb[5] - db[5], a_die, note="over the die footprint")]
    board = [slab("board", "die", die.material_name, db[5] - db[2], a_die, note="die footprint")]
    glue = [stack[n.DIE_ADHESIVE]]
    board.append(column("board", glue[0]))
    touching = contact(stack, n.DIE_ADHESIVE, n.HEAT_SLUG)
    if touching <= 1e-9:
        board.append(Element("board", "die_adhesive to heat_slug", "die_attach", 0.0, 0.0, 0.0, 0, math.inf,
                             "no contact: the slug path is open"))
    t_slug = float(gb[5] - gb[2])
    a_slug = slug.volume() / t_slug
    board.append(slab("board", "heat_slug", slug.material_name, t_slug, a_slug,
                      note="isothermal slug: full footprint (volume / thickness)"))
    seat = float(stack[n.SOLDER_BALLS].bounds()[2])
    gap = slab("board", "standoff gap under slug (air)", "air", float(gb[2] - seat), a_slug, k=AIR_CONDUCTIVITY,
               note="branch A: slug bottom to the seating plane")
    adhesive = column("board", stack[n.SLICE_ADHESIVE])
    pads = stack[n.BOTTOM_PADS].member_bounds()
    pc = (pads[:, :2] + pads[:, 3:5]) / 2
    dx = np.maximum.reduce([gb[0] - pc[:, 0], pc[:, 0] - gb[3], np.zeros(len(pc))])
    dy = np.maximum.reduce([gb[1] - pc[:, 1], pc[:, 1] - gb[4], np.zeros(len(pc))])
    r1 = math.sqrt(footprint(slug) / math.pi)
    r2 = r1 + float(np.hypot(dx, dy).min())
    t_sub = float(sb[5] - sb[2])
    k_sub = sub.material.conductivity
    radial = Element("board", "substrate, radially slug to pads", sub.material_name, k_sub, t_sub, 0.0, 1,
                     1000.0 * math.log(r2 / r1) / (2 * math.pi * k_sub * t_sub) if r2 > r1 else 0.0,
                     f"ln(r2/r1) / (2 pi k t): r1 = {r1:.4g} mm (slug footprint as a disc), r2 = {r2:.4g} mm "
                     "(to the nearest pad centre)")
    balls = [replace(e, note="branch B: " + e.note) for e in
             (adhesive, radial, array("board", stack[n.BOTTOM_PADS]), array("board", stack[n.SOLDER_BALLS]))]
    branches = parallel(gap.r, series(balls))
    return Thermal(tuple(top + board + [gap] + balls), series(top), series(board) + branches)
