"""The flip-chip flow's process steps, one per claimed step of 000_9630dddb18a83760.txt (claims 1-8), in mm.

z = 0 is the substrate's second surface (the ball side); the first surface is at ``substrate.thickness``.
"""

from __future__ import annotations

from ...core import parts, process
from ...core.flow import Step
from ...core.process import at_height
from ...core.stack import Body, Instances, Stack
from . import names as n
from .params import FlipChipDesign


def prepare_substrate(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 1): substrate with its chip-mounting area; bond pads on that area (claim 5) and ball pads on the
    second surface."""
    s = d.substrate
    bodies = [Body.one(n.SUBSTRATE, s.material, parts.slab(s.width, s.length, 0.0, s.thickness),
                       note=f"chip-mounting area {d.chip_area.width:g} x {d.chip_area.length:g} mm on top")]
    if d.bump_pads.enabled:
        bodies.append(process.pad_array(n.SUBSTRATE_PADS, d.bump_pads, d.bump_sites, s.thickness))
    bodies.append(process.pad_array(n.BALL_PADS, d.ball_pads, d.solder_balls.positions(), -d.ball_pads.thickness))
    return process.attach(stack, *bodies)


def dispose_bumps(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 2): conductive bumps (claims 2-3) with flat ends on the chip-mounting area, on the pads; bumps of one
    height (``bumps.height_spread``) share a prototype."""
    b = d.bumps
    bumps = Instances.grouped(lambda h: parts.bump(b.diameter, h), d.bump_heights(),
                              at_height(d.bump_sites, d.z_bump_base))
    return process.attach(stack, Body(n.BUMPS, b.material, tuple(bumps)))


def form_first_encapsulant(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 3): first encapsulant over the chip-mounting area around the bumps, tiled cell by site kind; formed
    flush with the bump ends unless a thicker deposit is to be polished (claim 4)."""
    a, b = d.chip_area, d.bumps
    members = [n.SUBSTRATE_PADS, n.BUMPS] if d.bump_pads.enabled else [n.BUMPS]
    rect = (-a.width / 2, -a.length / 2, a.width / 2, a.length / 2)
    return process.encapsulate_tiled(stack, n.FIRST_ENCAPSULANT, d.first_encapsulant.material, rect,
                                     d.z_first_surface, d.z_encapsulant_deposited, b.pitch, b.sites(),
                                     b.populated(), members)


def polish_first_encapsulant(stack: Stack, d: FlipChipDesign) -> Stack:
    """Claim 4: polish the first encapsulant and the bumps together down to the polish plane."""
    return process.polish(stack, d.z_first_top, [n.FIRST_ENCAPSULANT, n.BUMPS])


def mount_chip(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 4): chip face-down on the first encapsulant's top, each bond pad on one exposed bump end."""
    c = d.chip
    pads = Body(n.CHIP_PADS, c.pad_material, (Instances.at(parts.disc(c.pad_diameter, c.pad_thickness),
                                                           at_height(d.chip_pad_sites, d.z_first_top)),))
    chip = Body.one(n.CHIP, c.material, parts.slab(c.width, c.length, d.z_chip_face, d.z_chip_back,
                                                   c.offset_x, c.offset_y), note="active face down")
    return process.attach(stack, pads, chip)


def attach_heat_sink(stack: Stack, d: FlipChipDesign) -> Stack:
    """Claim 8: heat sink standing on the first surface over the chip, to be encapsulated in step 5)."""
    h = d.heat_sink
    sink = parts.heat_sink(h.width, h.length, h.thickness, h.standoff, h.leg_width, d.z_first_surface)
    return process.attach(stack, Body.one(n.HEAT_SINK, h.material, sink))


def form_second_encapsulant(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 5): second encapsulant on the first surface around the first encapsulant, the chip and any heat
    sink; the chip back is covered (claim 6) or left flush and exposed (claim 7)."""
    a, c = d.chip_area, d.chip
    w, length = d.mold_footprint
    region = parts.slab(w, length, d.z_first_surface, d.z_mold_top)
    exclude = [parts.slab(a.width, a.length, d.z_first_surface, d.z_first_top),
               parts.slab(c.width, c.length, d.z_first_top, d.z_chip_back, c.offset_x, c.offset_y)]
    if n.HEAT_SINK in stack:
        exclude.append(stack[n.HEAT_SINK].parts[0].shape)
    return process.encapsulate(stack, n.SECOND_ENCAPSULANT, d.second_encapsulant.material, region, exclude)


def implant_solder_balls(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 6): solder balls on the ball pads of the second surface."""
    return process.place_balls(stack, n.SOLDER_BALLS, d.solder_balls, -d.ball_pads.thickness, d.seed)


STEPS = {
    s.key: s
    for s in (
        Step(n.PREPARE_SUBSTRATE, "Prepare the substrate with a chip-mounting area", "1", "1)", prepare_substrate),
        Step(n.DISPOSE_BUMPS, "Dispose conductive bumps with flat ends on the chip-mounting area", "1", "2)",
             dispose_bumps),
        Step(n.FORM_FIRST_ENCAPSULANT, "Form the first encapsulant, top coplanar with the bump ends", "1", "3)",
             form_first_encapsulant),
        Step(n.POLISH, "Polish the first encapsulant and the bumps", "4", "", polish_first_encapsulant),
        Step(n.MOUNT_CHIP, "Mount the chip face-down, bond pads on the bump ends", "1", "4)", mount_chip),
        Step(n.ATTACH_HEAT_SINK, "Attach a heat sink to the first surface", "8", "", attach_heat_sink),
        Step(n.FORM_SECOND_ENCAPSULANT, "Form the second encapsulant over the chip", "1", "5)",
             form_second_encapsulant),
        Step(n.IMPLANT_SOLDER_BALLS, "Implant solder balls on the second surface", "1", "6)", implant_solder_balls),
    )
}
"""Every step of the flow, by key, in process order."""


def plan(d: FlipChipDesign) -> tuple[Step, ...]:
    """The steps ``d`` calls for: claim 4 adds the polish, claim 8 the heat sink."""
    skip = set()
    if not d.first_encapsulant.polish:
        skip.add(n.POLISH)
    if d.heat_sink is None:
        skip.add(n.ATTACH_HEAT_SINK)
    return tuple(s for k, s in STEPS.items() if k not in skip)
