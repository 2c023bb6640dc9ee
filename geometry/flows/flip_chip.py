"""The flip-chip flow of 000_9630dddb18a83760.txt, claims 1-8, one step per claimed step.

z = 0 is the substrate's second surface (the ball side); the first surface is at ``substrate.thickness``.
"""

from __future__ import annotations

import numpy as np

from .. import parts, steps
from ..params import FlipChipDesign
from ..stack import Body, Instances, Stack
from .base import Flow, Step


def _at(xy: np.ndarray, z: float) -> np.ndarray:
    return np.column_stack([xy, np.full(len(xy), z)])


def prepare_substrate(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 1): substrate with its chip-mounting area; bond pads on that area (claim 5) and ball pads on the
    second surface."""
    s = d.substrate
    bodies = [Body.one("substrate", s.material, parts.slab(s.width, s.length, 0.0, s.thickness),
                       note=f"chip-mounting area {d.chip_area.width:g} x {d.chip_area.length:g} mm on top")]
    if d.bump_pads.enabled:
        p = d.bump_pads
        bodies.append(Body("substrate_pads", p.material,
                           (Instances.at(parts.disc(p.diameter, p.thickness), _at(d.bump_sites, s.thickness)),)))
    bp = d.ball_pads
    bodies.append(Body("ball_pads", bp.material, (Instances.at(parts.disc(bp.diameter, bp.thickness),
                                                               _at(d.solder_balls.positions(), -bp.thickness)),)))
    return steps.attach(stack, *bodies)


def dispose_bumps(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 2): conductive bumps (claims 2-3) with flat ends on the chip-mounting area, on the pads; bumps of one
    height (``bumps.height_spread``) share a prototype."""
    b = d.bumps
    bumps = Instances.grouped(lambda h: parts.bump(b, h), d.bump_heights(), _at(d.bump_sites, d.z_bump_base))
    return steps.attach(stack, Body("bumps", b.material, tuple(bumps)))


def form_first_encapsulant(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 3): first encapsulant over the chip-mounting area around the bumps, tiled cell by site kind; formed
    flush with the bump ends unless a thicker deposit is to be polished (claim 4)."""
    a, b = d.chip_area, d.bumps
    members = ["substrate_pads", "bumps"] if d.bump_pads.enabled else ["bumps"]
    rect = (-a.width / 2, -a.length / 2, a.width / 2, a.length / 2)
    return steps.encapsulate_tiled(stack, "first_encapsulant", d.first_encapsulant.material, rect,
                                   d.z_first_surface, d.z_encapsulant_deposited, b.pitch, b.sites(),
                                   b.populated(), members)


def polish_first_encapsulant(stack: Stack, d: FlipChipDesign) -> Stack:
    """Claim 4: polish the first encapsulant and the bumps together down to the polish plane."""
    return steps.polish(stack, d.z_first_top, ["first_encapsulant", "bumps"])


def mount_chip(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 4): chip face-down on the first encapsulant's top, each bond pad on one exposed bump end."""
    c = d.chip
    pads = Body("chip_pads", c.pad_material,
                (Instances.at(parts.disc(c.pad_diameter, c.pad_thickness), _at(d.chip_pad_sites, d.z_first_top)),))
    chip = Body.one("chip", c.material, parts.slab(c.width, c.length, d.z_chip_face, d.z_chip_back,
                                                     c.offset_x, c.offset_y), note="active face down")
    return steps.attach(stack, pads, chip)


def attach_heat_sink(stack: Stack, d: FlipChipDesign) -> Stack:
    """Claim 8: heat sink standing on the first surface over the chip, to be encapsulated in step 5)."""
    h = d.heat_sink
    return steps.attach(stack, Body.one("heat_sink", h.material, parts.heat_sink(h, d.z_first_surface)))


def form_second_encapsulant(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 5): second encapsulant on the first surface around the first encapsulant, the chip and any heat
    sink; the chip back is covered (claim 6) or left flush and exposed (claim 7)."""
    a, c = d.chip_area, d.chip
    w, length = d.mold_footprint
    region = parts.slab(w, length, d.z_first_surface, d.z_mold_top)
    exclude = [parts.slab(a.width, a.length, d.z_first_surface, d.z_first_top),
               parts.slab(c.width, c.length, d.z_first_top, d.z_chip_back, c.offset_x, c.offset_y)]
    if "heat_sink" in stack:
        exclude.append(stack["heat_sink"].parts[0].shape)
    return steps.encapsulate(stack, "second_encapsulant", d.second_encapsulant.material, region, exclude)


def implant_solder_balls(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 6): solder balls on the ball pads of the second surface."""
    s = d.solder_balls
    balls = Instances.grouped(lambda dia: parts.solder_ball(s, dia), s.diameters(d.seed),
                              _at(s.positions(), -d.ball_pads.thickness))
    return steps.attach(stack, Body("solder_balls", s.material, tuple(balls)))


STEPS = {
    s.key: s
    for s in (
        Step("prepare_substrate", "Prepare the substrate with a chip-mounting area", "1", "1)", prepare_substrate),
        Step("dispose_bumps", "Dispose conductive bumps with flat ends on the chip-mounting area", "1", "2)",
             dispose_bumps),
        Step("form_first_encapsulant", "Form the first encapsulant, top coplanar with the bump ends", "1", "3)",
             form_first_encapsulant),
        Step("polish", "Polish the first encapsulant and the bumps", "4", "", polish_first_encapsulant),
        Step("mount_chip", "Mount the chip face-down, bond pads on the bump ends", "1", "4)", mount_chip),
        Step("attach_heat_sink", "Attach a heat sink to the first surface", "8", "", attach_heat_sink),
        Step("form_second_encapsulant", "Form the second encapsulant over the chip", "1", "5)",
             form_second_encapsulant),
        Step("implant_solder_balls", "Implant solder balls on the second surface", "1", "6)", implant_solder_balls),
    )
}


def plan(d: FlipChipDesign) -> tuple[Step, ...]:
    """The steps ``d`` calls for: claim 4 adds the polish, claim 8 the heat sink."""
    skip = set()
    if not d.first_encapsulant.polish:
        skip.add("polish")
    if d.heat_sink is None:
        skip.add("attach_heat_sink")
    return tuple(s for k, s in STEPS.items() if k not in skip)


FLIP_CHIP = Flow("flip-chip", "000_9630dddb18a83760.txt", plan, tuple(STEPS.values()))

__all__ = ["FLIP_CHIP", "STEPS", "plan"]
