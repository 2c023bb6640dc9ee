"""The flip-chip flow's first-order thermal network (K/W), read from the finished stack; a quick estimate, not a
sign-off analysis (:mod:`geometry.thermal.network` states the assumptions).

Junction at the chip's face-down active face. ``theta_jtop`` runs through the chip, then the mold cover over the
chip footprint (claim 6), nothing more for an exposed back (claim 7), or with a heat sink (claim 8) the mold gap
over the chip, the copper plate (isothermal) and the mold cover over the plate's footprint. ``theta_jboard`` runs
through the chip pads, bumps and bump pads (each array in parallel), the substrate through its thickness over the
chip footprint, the ball pads and the balls (all in parallel) to the seating plane.
"""

from __future__ import annotations

from ...core import occ
from ...core.stack import Stack
from ...thermal.network import Thermal, array, footprint, series, slab
from . import names as n


def network(stack: Stack) -> Thermal:
    """The flip-chip network (module doc) of the finished ``stack``."""
    chip, mold, sub = stack[n.CHIP], stack[n.SECOND_ENCAPSULANT], stack[n.SUBSTRATE]
    cb, mb = chip.bounds(), mold.bounds()
    a_chip = footprint(chip)
    top = [slab("top", "chip", chip.material_name, cb[5] - cb[2], a_chip, note="chip footprint")]
    if n.HEAT_SINK in stack:
        sink = stack[n.HEAT_SINK]
        hb = sink.bounds()
        column_box = occ.box(cb[0], cb[1], cb[5], cb[3], cb[4], hb[5])
        plate = occ.common_volume(occ.compound(sink.placed()), [column_box]) / a_chip
        top += [slab("top", "mold gap to heat sink", mold.material_name, hb[5] - plate - cb[5], a_chip,
                     note="over the chip footprint"),
                slab("top", "heat_sink plate", sink.material_name, plate, footprint(sink),
                     note="plate thickness over the chip (copper volume / chip area); isothermal plate"),
                slab("top", "mold cover over heat sink", mold.material_name, mb[5] - hb[5], footprint(sink),
                     note="over the plate footprint")]
    elif mb[5] - cb[5] > 1e-9:
        top.append(slab("top", "mold cover", mold.material_name, mb[5] - cb[5], a_chip, note="over the chip"))
    sb = sub.bounds()
    board = [array("board", stack[n.CHIP_PADS]), array("board", stack[n.BUMPS])]
    if n.SUBSTRATE_PADS in stack:
        board.append(array("board", stack[n.SUBSTRATE_PADS]))
    board += [slab("board", "substrate", sub.material_name, sb[5] - sb[2], a_chip,
                   note="through its thickness over the chip footprint"),
              array("board", stack[n.BALL_PADS]), array("board", stack[n.SOLDER_BALLS])]
    return Thermal(tuple(top + board), series(top), series(board))
