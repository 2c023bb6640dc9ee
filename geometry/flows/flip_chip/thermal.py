"""The flip-chip flow's first-order thermal network (K/W), read from the finished stack; a quick estimate, not a
sign-off analysis (:mod:`geometry.thermal.network` states the assumptions).

Junction at each chip's face-down active face. ``theta_jtop`` runs through the chip, then the mold cover over the
chip footprint (claim 6), nothing more for an exposed back (claim 7), or with a heat sink (claim 8) the mold gap
over the chip, the copper plate (isothermal) and the mold cover over the plate's footprint. ``theta_jboard`` runs
through the chip pads, the conductive elements (pillars and caps, or bumps) and the bond pads (each array in
parallel), the substrate through its thickness over the chip footprint, the ball pads and the balls (all in
parallel) to the seating plane. Several chips are parallel paths up to the substrate's second surface (and to the
heat-sink plate), their junctions at one temperature; the plate, its cover, the ball pads and the balls are
shared.
"""

from __future__ import annotations

from ...core import occ
from ...core.flow import Build
from ...core.stack import Stack
from ...thermal.network import Element, Thermal, array, footprint, parallel, series, slab
from . import names as n
from .sites import Site


def _labelled(e: Element, site: Site) -> Element:
    return Element(e.path, f"{e.name} ({site.name})", e.material, e.k, e.t_mm, e.area_mm2, e.count, e.r, e.note) \
        if site.name else e


def of_build(build: Build) -> Thermal:
    """The flip-chip network of a finished build, over its chip sites."""
    return network(build.stack, build.design.sites())


def network(stack: Stack, sites: tuple[Site, ...] | None = None) -> Thermal:
    """The flip-chip network (module doc) of the finished ``stack``; ``sites`` default to one site of plain body
    names."""
    mold, sub = stack[n.SECOND_ENCAPSULANT], stack[n.SUBSTRATE]
    mb, sb = mold.bounds(), sub.bounds()
    names = [s.body(n.CHIP) for s in sites] if sites else [n.CHIP]
    labels = list(sites) if sites else [None]
    sink = stack.get(n.HEAT_SINK)
    tops, boards, elements, plate = [], [], [], None
    for chip_name, site in zip(names, labels, strict=True):
        chip = stack[chip_name]
        cb = chip.bounds()
        a_chip = footprint(chip)

        def body(base: str, site=site) -> str:
            return site.body(base) if site is not None else base

        top = [slab("top", "chip", chip.material_name, cb[5] - cb[2], a_chip, note="chip footprint")]
        if sink is not None:
            hb = sink.bounds()
            column_box = occ.box(cb[0], cb[1], cb[5], cb[3], cb[4], hb[5])
            thickness = occ.common_volume(occ.compound(sink.placed()), [column_box]) / a_chip
            plate = thickness if plate is None else plate
            top.append(slab("top", "mold gap to heat sink", mold.material_name, hb[5] - thickness - cb[5], a_chip,
                            note="over the chip footprint"))
        elif mb[5] - cb[5] > 1e-9:
            top.append(slab("top", "mold cover", mold.material_name, mb[5] - cb[5], a_chip, note="over the chip"))
        board = [array("board", stack[body(n.CHIP_PADS)])]
        board += [array("board", stack[body(x)]) for x in (n.BUMPS, n.PILLARS) if body(x) in stack]
        if body(n.SUBSTRATE_PADS) in stack:
            board.append(array("board", stack[body(n.SUBSTRATE_PADS)]))
        board.append(slab("board", "substrate", sub.material_name, sb[5] - sb[2], a_chip,
                          note="through its thickness over the chip footprint"))
        if site is not None:
            top, board = [_labelled(e, site) for e in top], [_labelled(e, site) for e in board]
        tops.append(series(top))
        boards.append(series(board))
        elements += top + board
    shared_top = []
    if sink is not None:
        hb = sink.bounds()
        shared_top = [slab("top", "heat_sink plate", sink.material_name, plate, footprint(sink),
                           note="plate thickness over the chip (copper volume / chip area); isothermal plate"),
                      slab("top", "mold cover over heat sink", mold.material_name, mb[5] - hb[5], footprint(sink),
                           note="over the plate footprint")]
    shared_board = [array("board", stack[n.BALL_PADS]), array("board", stack[n.SOLDER_BALLS])]
    top_r = (tops[0] if len(tops) == 1 else parallel(*tops)) + series(shared_top)
    board_r = (boards[0] if len(boards) == 1 else parallel(*boards)) + series(shared_board)
    ordered = [e for e in elements if e.path == "top"] + shared_top + [e for e in elements if e.path == "board"]
    return Thermal(tuple(ordered + shared_board), top_r, board_r)
