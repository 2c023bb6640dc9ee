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

import math
from dataclasses import replace

from ...core import occ
from ...core.flow import Build
from ...core.materials import material
from ...core.stack import Stack
from ...thermal.jedec import Settings, figures
from ...thermal.network import Element, Thermal, array, footprint, parallel, series, slab
from ...thermal.package import (
    AIR_K,
    PackageModel,
    array_layer,
    body_box,
    columns,
    junction_boxes,
    laminate_k,
    power_note,
    rect_of,
)
from . import names as n
from .sites import Site


def _labelled(e: Element, site: Site) -> Element:
    return Element(e.path, f"{e.name} ({site.name})", e.material, e.k, e.t_mm, e.area_mm2, e.count, e.r, e.note) \
        if site.name else e


def of_build(build: Build) -> Thermal:
    """The flip-chip network of a finished build, over its chip sites; with ``thermal.solve`` the 3D figures
    (:func:`box_model`, :func:`geometry.thermal.jedec.figures`) in ``solved`` and the still-air field in
    ``temperature``."""
    th = network(build.stack, build.design.sites(), laminate(build))
    if not build.design.thermal.solve:
        return th
    model = box_model(build)
    result = figures(model, Settings(mesh=build.design.thermal.mesh))
    return replace(th, solved=result.summary(model), temperature=result.temperature_map(model))


def laminate(build: Build) -> tuple[float, float, float]:
    """The substrate's (kx, ky, kz) W/(m.K) with the recipe's copper planes."""
    sub, th = build.stack[n.SUBSTRATE], build.design.thermal
    b = sub.bounds()
    return laminate_k(sub.material.conductivity, float(b[5] - b[2]), th.substrate_planes, th.plane_thickness,
                      material("Cu").conductivity)


def spread_area(a: float, b: float, t: float, k: tuple[float, float, float], limit: float) -> float:
    """Area (mm2) a heat source ``a`` x ``b`` mm spreads to through ``t`` mm of an orthotropic layer ``k``: the
    45 degree rule in the coordinates that make the layer isotropic (half-angle atan(sqrt(kxy / kz))), at most
    ``limit``."""
    grow = 2 * t * math.sqrt(k[0] / k[2])
    return min(limit, (a + grow) * (b + grow))


def network(stack: Stack, sites: tuple[Site, ...] | None = None,
            k_sub: tuple[float, float, float] | None = None) -> Thermal:
    """The flip-chip network (module doc) of the finished ``stack``; ``sites`` default to one site of plain body
    names; ``k_sub`` the laminate's (kx, ky, kz) with its copper planes (default: the plain laminate)."""
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
        k = k_sub or (sub.material.conductivity,) * 3
        a_sub = spread_area(cb[3] - cb[0], cb[4] - cb[1], sb[5] - sb[2], k, footprint(sub))
        board.append(slab("board", "substrate", sub.material_name, sb[5] - sb[2], a_sub, k=k[2],
                          note="through its thickness, spread at atan(sqrt(kxy / kz)) from the chip footprint"))
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


def box_model(build: Build) -> PackageModel:
    """The finished flip-chip package as boxes for the 3D solve (rules: :mod:`geometry.thermal.package`), in
    override order: still air under the substrate (the ball layer's fill), the second encapsulant and the
    substrate (bounding boxes; the laminate with the recipe's copper planes), the first encapsulant, per site the substrate pads,
    bumps or pillars and chip pads (each one homogenised layer in the first encapsulant), the chip with its
    junction layer at the face-down active face (``thermal.power`` W: its power map's hot spots, the rest shared by chip
    area), the heat-sink plate (the
    sink's footprint, its thickness over the chip; the legs are left out), then each ball pad and ball as a
    square column of the ball pad's equal-area side."""
    stack, design = build.stack, build.design
    sites = design.sites()
    mold, sub = stack[n.SECOND_ENCAPSULANT], stack[n.SUBSTRATE]
    first = stack.get(n.FIRST_ENCAPSULANT)
    fill = first or mold
    sb, mb = sub.bounds(), mold.bounds()
    seat = float(stack[n.SOLDER_BALLS].bounds()[2])
    outline = rect_of(sub)
    th = design.thermal
    k_sub = laminate_k(sub.material.conductivity, float(sb[5] - sb[2]), th.substrate_planes, th.plane_thickness,
                       material("Cu").conductivity)
    boxes = [body_box("ball_layer_air", sub, k=AIR_K, z=(seat, float(sb[2])), material="air"),
             body_box(n.SECOND_ENCAPSULANT, mold), body_box(n.SUBSTRATE, sub, k=k_sub)]
    if first is not None:
        boxes.append(body_box(n.FIRST_ENCAPSULANT, first))
    notes = [(f"substrate {sub.material_name} with {th.substrate_planes} copper planes of {th.plane_thickness} mm: "
              f"kx = ky = {k_sub[0]:.3g}, kz = {k_sub[2]:.3g} W/(m.K) (no vias); the ball layer's fill is still "
              "air")]
    chips = [stack[s.body(n.CHIP)] for s in sites]
    for site, chip in zip(sites, chips, strict=True):
        for base in (n.SUBSTRATE_PADS, n.BUMPS, n.PILLARS, n.CHIP_PADS):
            name = site.body(base)
            if name in stack:
                layer, f = array_layer(name, stack[name], fill.material.conductivity, fill.material_name)
                boxes.append(layer)
                notes.append(f"{name}: {stack[name].count} members, area fraction {f:.3f}, homogenised "
                             f"(kx = ky = {layer.kxyz[0]:.3g}, kz = {layer.kxyz[2]:.3g} W/(m.K))")
        boxes.append(body_box(chip.name, chip))
    boxes += junction_boxes(chips, "bottom", th.power, th.hot_spots)
    notes.append(power_note(th))
    sink = stack.get(n.HEAT_SINK)
    if sink is not None:
        hb, cb = sink.bounds(), chips[0].bounds()
        column_box = occ.box(cb[0], cb[1], cb[5], cb[3], cb[4], hb[5])
        plate = occ.common_volume(occ.compound(sink.placed()), [column_box]) / footprint(chips[0])
        boxes.append(body_box(n.HEAT_SINK, sink, z=(float(hb[5]) - plate, float(hb[5]))))
        notes.append(f"heat sink: a {plate:.4g} mm plate over its footprint; legs left out")
    side = float(design.ball_pads.diameter) * math.sqrt(math.pi) / 2
    pads, balls = stack[n.BALL_PADS], stack[n.SOLDER_BALLS]
    boxes += columns(n.BALL_PADS, pads, side) + columns(n.SOLDER_BALLS, balls, side)
    mb_b = balls.member_bounds()
    notes.append(f"{balls.count} balls and pads as square columns of side {side:.4g} mm (vertical conductance "
                 "kept); bond pads and chips' pads as homogenised layers")
    return PackageModel(design.name, tuple(boxes), "junction", outline, seat, float(mb[5]),
                        (mb_b[:, :2] + mb_b[:, 3:5]) / 2, side, th.power, tuple(notes))
