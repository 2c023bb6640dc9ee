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

from ...core.flow import Build
from ...core.materials import MATERIALS, material
from ...core.stack import Stack
from ...measure.contacts import contact
from ...thermal.jedec import Settings, figures
from ...thermal.network import (
    Element,
    Thermal,
    array,
    column,
    footprint,
    parallel,
    series,
    slab,
)
from ...thermal.package import (
    AIR_K,
    PASTE_K,
    PackageModel,
    body_box,
    columns,
    junction_boxes,
    laminate_k,
    power_note,
    rect_of,
)
from . import names as n

STANDOFF = {"air": ("air", AIR_K), "paste": ("thermal paste", PASTE_K)}
"""Standoff fills other than solder: (material, W/(m.K)); solder takes the balls' material."""


def of_build(build: Build) -> Thermal:
    """The cavity network of a finished build (the standoff as the recipe chooses); with ``thermal.solve`` the
    3D figures (:func:`box_model`, :func:`geometry.thermal.jedec.figures`) in ``solved`` and the still-air field in
    ``temperature``."""
    th = network(build.stack, build.design.thermal.standoff, substrate_k(build.stack, build.design))
    if not build.design.thermal.solve:
        return th
    model = box_model(build)
    result = figures(model, Settings(mesh=build.design.thermal.mesh))
    return replace(th, solved=result.summary(model), temperature=result.temperature_map(model))


def network(stack: Stack, standoff: str = "air", k_sub: tuple[float, float, float] | None = None) -> Thermal:
    """The cavity network (module doc) of the finished ``stack``: junction at the die's top face; ``standoff``
    the fill under the slug (air, paste or solder), ``k_sub`` the laminate's (kx, ky, kz) with its copper planes
    (default: the plain laminate), whose in-plane value carries the radial term."""
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
    balls_body = stack[n.SOLDER_BALLS]
    fill, k_fill = STANDOFF.get(standoff, (balls_body.material_name, balls_body.material.conductivity))
    gap = slab("board", f"standoff under slug ({fill})", fill if fill in MATERIALS else "air", float(gb[2] - seat),
               a_slug, k=k_fill, note=f"branch A: slug bottom to the seating plane, {fill} {k_fill:g} W/(m.K)")
    adhesive = column("board", stack[n.SLICE_ADHESIVE])
    pads = stack[n.BOTTOM_PADS].member_bounds()
    pc = (pads[:, :2] + pads[:, 3:5]) / 2
    dx = np.maximum.reduce([gb[0] - pc[:, 0], pc[:, 0] - gb[3], np.zeros(len(pc))])
    dy = np.maximum.reduce([gb[1] - pc[:, 1], pc[:, 1] - gb[4], np.zeros(len(pc))])
    r1 = math.sqrt(footprint(slug) / math.pi)
    r2 = r1 + float(np.hypot(dx, dy).min())
    t_sub = float(sb[5] - sb[2])
    k_sub = sub.material.conductivity if k_sub is None else k_sub[0]
    radial = Element("board", "substrate, radially slug to pads", sub.material_name, k_sub, t_sub, 0.0, 1,
                     1000.0 * math.log(r2 / r1) / (2 * math.pi * k_sub * t_sub) if r2 > r1 else 0.0,
                     f"ln(r2/r1) / (2 pi k t), k in-plane with the copper planes: r1 = {r1:.4g} mm (slug "
                     f"footprint as a disc), r2 = {r2:.4g} mm (to the nearest pad centre)")
    balls = [replace(e, note="branch B: " + e.note) for e in
             (adhesive, radial, array("board", stack[n.BOTTOM_PADS]), array("board", stack[n.SOLDER_BALLS]))]
    branches = parallel(gap.r, series(balls))
    return Thermal(tuple(top + board + [gap] + balls), series(top), series(board) + branches)


def substrate_k(stack: Stack, design) -> tuple[float, float, float]:
    """The substrate laminate with the recipe's copper planes (:func:`geometry.thermal.package.laminate_k`)."""
    sub, th = stack[n.SUBSTRATE], design.thermal
    b = sub.bounds()
    return laminate_k(sub.material.conductivity, float(b[5] - b[2]), th.substrate_planes, th.plane_thickness,
                      material("Cu").conductivity)


def box_model(build: Build, plain: bool = False) -> PackageModel:
    """The finished cavity package as boxes for the 3D solve (rules: :mod:`geometry.thermal.package`), in
    override order: still air under the substrate, the mold and the substrate (bounding boxes; the substrate
    laminate with the recipe's copper planes), the slice adhesive, the opening (square corners) filled with
    mold compound, the gap fill, die adhesive and die (bounding boxes) with the junction layer at the die's top
    (wire-bonded) face, the heat slug, the standoff under it (``thermal.standoff``: air, paste or solder), then
    each bottom pad and ball as a square column of the pad's equal-area side. Bond fingers, die pads and wires
    are left out. ``plain``: the slug's copper replaced by the substrate laminate (a plain substrate of the same
    size, for comparison)."""
    stack, design = build.stack, build.design
    th = design.thermal
    sub, mold, slug = stack[n.SUBSTRATE], stack[n.MOLD_COMPOUND], stack[n.HEAT_SLUG]
    sb, gb = sub.bounds(), slug.bounds()
    balls = stack[n.SOLDER_BALLS]
    seat = float(balls.bounds()[2])
    k_sub = substrate_k(stack, design)
    boxes = [body_box("ball_layer_air", sub, k=AIR_K, z=(seat, float(sb[2])), material="air"),
             body_box(n.MOLD_COMPOUND, mold), body_box(n.SUBSTRATE, sub, k=k_sub),
             body_box(n.SLICE_ADHESIVE, stack[n.SLICE_ADHESIVE])]
    ox, oy = design.opening_centre
    w, ln = design.opening.width, design.opening.length
    boxes.append(body_box("opening", mold, rect=(ox - w / 2, oy - ln / 2, ox + w / 2, oy + ln / 2),
                          z=(design.z_floor, design.z_top)))
    for name in (n.GAP_FILL, n.DIE_ADHESIVE, n.DIE):
        if name in stack:
            boxes.append(body_box(name, stack[name]))
    boxes += junction_boxes([stack[n.DIE]], "top", th.power, th.hot_spots)
    if plain:
        boxes.append(body_box(n.HEAT_SLUG, slug, k=k_sub, material=sub.material_name))
    else:
        boxes.append(body_box(n.HEAT_SLUG, slug))
    fill, k_fill = STANDOFF.get(th.standoff, (balls.material_name, balls.material.conductivity))
    boxes.append(body_box("standoff", slug, k=k_fill, z=(seat, float(gb[2])), material=fill))
    side = float(design.bottom_pads.diameter) * math.sqrt(math.pi) / 2
    boxes += columns(n.BOTTOM_PADS, stack[n.BOTTOM_PADS], side) + columns(n.SOLDER_BALLS, balls, side)
    mb = balls.member_bounds()
    notes = ((f"substrate {sub.material_name} with {th.substrate_planes} copper planes of {th.plane_thickness} mm: "
              f"kx = ky = {k_sub[0]:.3g}, kz = {k_sub[2]:.3g} W/(m.K) (no vias)"),
             (f"heat slug {'replaced by laminate (plain substrate)' if plain else slug.material_name}; standoff "
              f"under it: {fill} ({k_fill:g} W/(m.K))"),
             (f"{balls.count} balls and pads as square columns of side {side:.4g} mm (vertical conductance kept); "
              "bond fingers, die pads and wires left out; bodies as their bounding boxes, the opening's corners "
              "square"), power_note(th))
    return PackageModel(design.name, tuple(boxes), "junction", rect_of(sub), seat, float(mold.bounds()[5]),
                        (mb[:, :2] + mb[:, 3:5]) / 2, side, th.power, notes)
