"""The flip-chip flow's process steps, one per claimed step of 000_9630dddb18a83760.txt (claims 1-8), in mm.

z = 0 is the substrate's second surface (the ball side); the first surface is at ``substrate.thickness``. Every
step acts on every chip site (:mod:`.sites`); each site's bodies carry its name when there are several.
"""

from __future__ import annotations

import numpy as np

from ...core import occ, parts, process
from ...core.flow import Step
from ...core.process import at_height
from ...core.stack import Body, Instances, Stack
from . import names as n
from .params import FlipChipDesign
from .sites import Site


def prepare_substrate(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 1): substrate with its chip-mounting areas; bond pads on them (claim 5) and ball pads on the second
    surface."""
    s = d.substrate
    areas = ", ".join(f"{x.chip_area.width:g} x {x.chip_area.length:g}" for x in d.sites())
    bodies = [Body.one(n.SUBSTRATE, s.material, parts.slab(s.width, s.length, 0.0, s.thickness),
                       note=f"chip-mounting area {areas} mm on top")]
    for site in d.sites():
        if site.pads.enabled:
            bodies.append(process.pad_array(site.body(n.SUBSTRATE_PADS), site.pads, site.bump_sites(), s.thickness))
    bodies.append(process.pad_array(n.BALL_PADS, d.ball_pads, d.solder_balls.positions(), -d.ball_pads.thickness))
    return process.attach(stack, *bodies)


def _elements(site: Site) -> list[Body]:
    """The site's conductive elements: bumps of one height share a prototype; a pillar's copper and its cap are two
    bodies."""
    b = site.bumps
    xy, heights = site.bump_sites(), site.bump_heights()
    if b.shape == "ball":
        members = Instances.grouped(lambda h: parts.bump(b.diameter, h), heights, at_height(xy, site.z_bump_base))
        return [Body(site.body(n.BUMPS), b.material, tuple(members))]
    if b.shape == "wetting":
        base = b.wetted(site.pad_diameter)
        members = Instances.grouped(lambda h: parts.wetting_bump(b.diameter, h, base), heights,
                                    at_height(xy, site.z_bump_base))
        return [Body(site.body(n.BUMPS), b.material, tuple(members))]
    ph = float(b.pillar_height)
    pillars = Instances.at(parts.disc(b.pillar_diameter, ph), at_height(xy, site.z_bump_base))
    caps = Instances.grouped(lambda h: parts.wetting_bump(b.diameter, h - ph, b.pillar_diameter), heights,
                             at_height(xy, site.z_bump_base + ph))
    return [Body(site.body(n.PILLARS), b.pillar_material, (pillars,)),
            Body(site.body(n.BUMPS), b.material, tuple(caps), note="solder caps on copper pillars")]


def dispose_bumps(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 2): conductive elements (claims 2-3) with flat ends on each chip-mounting area, on the pads: solder
    bumps, or copper pillars with solder caps."""
    return process.attach(stack, *[b for site in d.sites() for b in _elements(site)])


def _first_encapsulant(stack: Stack, d: FlipChipDesign, site: Site) -> tuple[Instances, ...]:
    """The first encapsulant of one site, one solid: built from tiles on a rectangular lattice (no boolean between
    them), else its area less its elements and pads in one boolean."""
    b, rect = site.bumps, site.area_rect
    members = [site.body(n.SUBSTRATE_PADS)] if site.pads.enabled else []
    members += list(site.element_bodies)
    if b.is_rectangular:
        return process.tiles(stack, n.FIRST_ENCAPSULANT, rect, d.z_first_surface, site.z_deposited,
                             (b.lattice_x, b.lattice_y), b.all_sites() + np.array(site.centre), b.populated(),
                             members)
    region = occ.box(rect[0], rect[1], d.z_first_surface, rect[2], rect[3], site.z_deposited)
    exclude = [shape for m in members for shape in stack[m].placed()]
    return process.encapsulant_parts(region, exclude, n.FIRST_ENCAPSULANT)


def form_first_encapsulant(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 3): first encapsulant over each chip-mounting area around its elements, one solid per site (built from
    one cell per site kind where the elements stand on a rectangular lattice); formed flush with the element ends unless a thicker deposit is to
    be polished (claim 4)."""
    regions = tuple(p for site in d.sites() for p in _first_encapsulant(stack, d, site))
    note = "one solid per site, built from one cell prototype per site kind" if all(s.bumps.is_rectangular for s in d.sites()) else ""
    return process.attach(stack, Body(n.FIRST_ENCAPSULANT, d.first_encapsulant.material, regions, note=note))


def polish_first_encapsulant(stack: Stack, d: FlipChipDesign) -> Stack:
    """Claim 4: polish the first encapsulant and the element ends together down to the polish plane."""
    ends = [site.body(n.BUMPS) for site in d.sites()]
    return process.polish(stack, d.z_first_surface + d.first_encapsulant.polish_plane, [n.FIRST_ENCAPSULANT, *ends])


def mount_chip(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 4): each chip face-down on the first encapsulant's top, each bond pad on one exposed element end."""
    bodies = []
    for site in d.sites():
        c = site.chip
        bodies.append(Body(site.body(n.CHIP_PADS), c.pad_material, (Instances.at(
            parts.disc(c.pad_diameter, c.pad_thickness), at_height(site.bump_sites(), site.z_first_top)),)))
        bodies.append(Body.one(site.body(n.CHIP), c.material, parts.slab(
            c.width, c.length, site.z_chip_face, site.z_chip_back, c.offset_x, c.offset_y), note="active face down"))
    return process.attach(stack, *bodies)


def attach_heat_sink(stack: Stack, d: FlipChipDesign) -> Stack:
    """Claim 8: heat sink standing on the first surface over the chips, to be encapsulated in step 5)."""
    h = d.heat_sink
    sink = parts.heat_sink(h.width, h.length, h.thickness, h.standoff, h.leg_width, d.z_first_surface)
    return process.attach(stack, Body.one(n.HEAT_SINK, h.material, sink))


def form_second_encapsulant(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 5): second encapsulant on the first surface around the first encapsulant, the chips and any heat
    sink; each chip back is covered (claim 6) or left flush and exposed (claim 7)."""
    w, length = d.mold_footprint
    region = parts.slab(w, length, d.z_first_surface, d.z_mold_top)
    exclude = []
    for site in d.sites():
        a, c = site.chip_area, site.chip
        exclude += [parts.slab(a.width, a.length, d.z_first_surface, site.z_first_top, c.offset_x, c.offset_y),
                    parts.slab(c.width, c.length, site.z_first_top, site.z_chip_back, c.offset_x, c.offset_y)]
    if n.HEAT_SINK in stack:
        exclude.append(stack[n.HEAT_SINK].parts[0].shape)
    return process.encapsulate(stack, n.SECOND_ENCAPSULANT, d.second_encapsulant.material, region, exclude)


def implant_solder_balls(stack: Stack, d: FlipChipDesign) -> Stack:
    """Step 6): solder balls on the ball pads of the second surface."""
    return process.place_balls(stack, n.SOLDER_BALLS, d.solder_balls, -d.ball_pads.thickness, d.seed)


APPLY = {
    n.PREPARE_SUBSTRATE: prepare_substrate,
    n.DISPOSE_BUMPS: dispose_bumps,
    n.FORM_FIRST_ENCAPSULANT: form_first_encapsulant,
    n.POLISH: polish_first_encapsulant,
    n.MOUNT_CHIP: mount_chip,
    n.ATTACH_HEAT_SINK: attach_heat_sink,
    n.FORM_SECOND_ENCAPSULANT: form_second_encapsulant,
    n.IMPLANT_SOLDER_BALLS: implant_solder_balls,
}
"""Each step's geometry, by key."""

STEPS = {t.key: Step.of(t, APPLY[t.key]) for t in n.STEP_TEXTS}
"""Every step of the flow, by key, in process order."""


def plan(d: FlipChipDesign) -> tuple[Step, ...]:
    """The steps ``d`` calls for: claim 4 adds the polish, claim 8 the heat sink."""
    skip = set()
    if not d.first_encapsulant.polish:
        skip.add(n.POLISH)
    if d.heat_sink is None:
        skip.add(n.ATTACH_HEAT_SINK)
    return tuple(s for k, s in STEPS.items() if k not in skip)
