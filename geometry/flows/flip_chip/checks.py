"""The flip-chip flow's checks (claims of 000_9630dddb18a83760.txt): the generic checks bound to its bodies, design
and claims, measured from the geometry (mm, mm2, mm3), once per chip site where they concern a chip. :data:`CHECKS`
lists them in report order; a check of several sites gives one result per site, named alike (a claim needs every
one to pass)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.spatial import cKDTree

from ...checks import arrays, enclosure, history, solids
from ...core.flow import Build
from ...core.results import Z_TOL, CheckResult
from ...core.stack import Stack
from ...measure.tubes import constituents
from . import names as n
from .sites import Site


def _tiled(build: Build) -> Stack:
    """The final stack with every body as its :func:`~geometry.measure.tubes.constituents`: the first encapsulant
    as its tiles, which the checks measure as before (one boolean per tile kind, not one of a solid with 10,000
    holes)."""
    return Stack(tuple(constituents(b) for b in build.stack))


def _step3(d) -> str:
    return "claim 1, step 3)" + ("; claim 4" if d.first_encapsulant.polish else "")


def _on(site: Site, r: CheckResult) -> CheckResult:
    """``r`` with the site named in its detail (several sites only)."""
    return dataclasses.replace(r, detail=f"{site.label}: {r.detail}" if r.detail else site.label) if site.name else r


def bump_end_coplanarity(build: Build) -> list[CheckResult]:
    """Claim 1 step 3 (claim 4 when polished): element ends coplanar with the first encapsulant's top over their
    chip-mounting area, 1 um."""
    return [_on(s, arrays.flat_end_coplanarity(_tiled(build), n.BUMPS_END_COPLANARITY, s.body(n.BUMPS),
                                               n.FIRST_ENCAPSULANT, 1e-3, _step3(build.design), within=s.area_rect))
            for s in build.design.sites()]


def bump_ends_exposed(build: Build) -> list[CheckResult]:
    """Claim 1 step 3: every element end exposed with its designed flat area (each element's own, when heights
    spread)."""
    d = build.design
    top_plane = d.z_first_surface + d.first_encapsulant.polish_plane if d.first_encapsulant.polish else None
    out = []
    for s in d.sites():
        tree = cKDTree(s.bump_sites())
        heights = s.bump_heights()
        top = (top_plane if top_plane is not None else s.z_first_top) - s.z_bump_base

        def area(centres: np.ndarray, s=s, tree=tree, heights=heights, top=top) -> np.ndarray:
            h = heights[tree.query(centres[:, :2])[1]]
            r = np.array([s.bumps.end_radius(min(top, hi), hi, s.pad_diameter) for hi in h])
            return math.pi * r * r

        out.append(_on(s, arrays.ends_exposed(_tiled(build), n.BUMPS_ENDS_EXPOSED, s.body(n.BUMPS),
                                              n.FIRST_ENCAPSULANT, area, claim=_step3(d))))
    return out


def chip_pads_on_bump_ends(build: Build) -> list[CheckResult]:
    """Claim 1 step 4, claim 5: each chip pad on exactly one element end."""
    return [_on(s, arrays.pads_on_ends(build.stack, n.CHIP_PADS_ON_BUMPS, s.body(n.CHIP_PADS), s.body(n.BUMPS),
                                       claim="claim 1, step 4); claim 5")) for s in build.design.sites()]


def no_interference(build: Build) -> list[CheckResult]:
    """Claim 1: no two bodies or members overlap."""
    return [solids.no_interference(_tiled(build), n.NO_INTERFERENCE, claim="claim 1")]


def chip_back(build: Build) -> list[CheckResult]:
    """Claim 6 (chip back encapsulated) or claim 7 (chip back exposed, flush with the mold top), per chip."""
    out = []
    for s in build.design.sites():
        if s.back == "encapsulated":
            out.append(_on(s, enclosure.chip_back_covered(build.stack, n.CHIP_BACK_ENCAPSULATED, s.body(n.CHIP),
                                                          n.SECOND_ENCAPSULANT,
                                                          build.design.second_encapsulant.min_cover, "claim 6")))
        else:
            out.append(_on(s, enclosure.chip_back_exposed(build.stack, n.CHIP_BACK_EXPOSED, s.body(n.CHIP),
                                                          n.SECOND_ENCAPSULANT, "claim 7")))
    return out


def heat_sink(build: Build) -> list[CheckResult]:
    """Claim 8, when the package has a heat sink: encapsulated and clear of every chip."""
    s = build.stack
    if n.HEAT_SINK not in s:
        return []
    out = [enclosure.sink_encapsulated(s, n.HEAT_SINK_ENCAPSULATED, n.HEAT_SINK, n.SECOND_ENCAPSULANT, "claim 8")]
    for site in build.design.sites():
        out.append(_on(site, enclosure.clearance(s, n.HEAT_SINK_CLEARANCE, n.HEAT_SINK, site.body(n.CHIP),
                                                 build.design.heat_sink.min_clearance, "claim 8")))
    return out


def ball_coplanarity(build: Build) -> list[CheckResult]:
    """Claim 1 step 6: solder-ball coplanarity against the JEDEC-style limit for the ball pitch."""
    return [arrays.ball_coplanarity(build.stack, n.SOLDER_BALLS_COPLANARITY, n.SOLDER_BALLS,
                                    build.design.solder_balls.pitch, claim="claim 1, step 6)")]


def gaps(build: Build) -> list[CheckResult]:
    """Design rules: the least web (mm) between neighbouring elements (per site), substrate pads (per site, when
    present), ball pads and solder balls, > 0 (touching neighbours bridge or short)."""
    s = build.stack
    out = []
    for site in build.design.sites():
        out.append(_on(site, arrays.member_gap(s, n.BUMPS_GAP, site.body(n.BUMPS), claim="claim 1, step 2)")))
        if site.body(n.SUBSTRATE_PADS) in s:
            out.append(_on(site, arrays.member_gap(s, n.SUBSTRATE_PADS_GAP, site.body(n.SUBSTRATE_PADS),
                                                   claim="claim 5")))
    return [*out, arrays.member_gap(s, n.BALL_PADS_GAP, n.BALL_PADS, claim="claim 1, step 6)"),
            arrays.member_gap(s, n.SOLDER_BALLS_GAP, n.SOLDER_BALLS, claim="claim 1, step 6)")]


def valid_solids(build: Build) -> list[CheckResult]:
    """Every body: valid, closed solids."""
    return [solids.valid_solids(build.stack, n.VALID_SOLIDS, claim="claim 1")]


def on_first_surface(stack: Stack) -> CheckResult:
    """Step 1): the chip-mounting areas (the first encapsulant's footprint) lie on the substrate's first surface,
    within its outline, and the ball pads hang on the second surface. Value: worst offset (mm)."""
    sb, fb = stack[n.SUBSTRATE].bounds(), stack[n.FIRST_ENCAPSULANT].bounds()
    pads = stack[n.BALL_PADS].member_bounds()
    xy = min(fb[0] - sb[0], fb[1] - sb[1], sb[3] - fb[3], sb[4] - fb[4])
    dz = max(abs(fb[2] - sb[5]), float(np.abs(pads[:, 5] - sb[2]).max()))
    faults = [f for f, bad in (("chip-mounting area beyond the substrate", xy < -Z_TOL),
                               ("chip-mounting area or ball pads off the substrate surfaces", dz > Z_TOL)) if bad]
    return CheckResult(n.CHIP_MOUNTING_AREA, "claim 1, step 1)", dz, Z_TOL, "mm", not faults, "; ".join(faults),
                       f"first encapsulant {fb[3] - fb[0]:.6g} x {fb[4] - fb[1]:.6g} mm on the first surface at "
                       f"z = {sb[5]:.6g}; ball pads under the second surface at z = {sb[2]:.6g}")


def _site_limitations(build: Build, site: Site) -> tuple[list[CheckResult], list[CheckResult]]:
    """Claims 1, 2, 3, 5 for one chip site: (elements seated and the chip wrapped; elements conductive, claim-3
    solders and pads seated)."""
    s = build.stack
    pads = site.body(n.SUBSTRATE_PADS)
    base = pads if pads in s else n.SUBSTRATE
    if site.bumps.shape == "pillar":
        seat = [arrays.seated(s, n.PILLARS_SEATED, site.body(n.PILLARS), base, claim="claim 1, step 2); claim 5"),
                arrays.seated(s, n.BUMPS_SEATED, site.body(n.BUMPS), site.body(n.PILLARS), claim="claim 1, step 2)")]
        metal = [history.conductive(s, n.PILLARS_CONDUCTIVE, site.body(n.PILLARS), "claim 1, step 2)")]
    else:
        seat = [arrays.seated(s, n.BUMPS_SEATED, site.body(n.BUMPS), base, claim="claim 1, step 2); claim 5")]
        metal = []
    seat.append(enclosure.chip_encapsulated(s, n.CHIP_ENCAPSULATED, site.body(n.CHIP), n.SECOND_ENCAPSULANT,
                                            n.SUBSTRATE, claim="claim 1, step 5)"))
    metal += [history.conductive(s, n.BUMPS_CONDUCTIVE, site.body(n.BUMPS), "claim 2"),
              history.material_is(s, n.BUMP_MATERIAL, site.body(n.BUMPS), n.SOLDERS_CLAIM_3, "claim 3")]
    if pads in s:
        metal.append(arrays.seated(s, n.SUBSTRATE_PADS_SEATED, pads, n.SUBSTRATE, claim="claim 5"))
    return [_on(site, r) for r in seat], [_on(site, r) for r in metal]


def claim_limitations(build: Build) -> list[CheckResult]:
    """Claims 1-5, 8: surfaces, seating, element materials, the polish and the heat sink in step order."""
    s = build.stack
    sites = build.design.sites()
    groups = [_site_limitations(build, site) for site in sites]
    out = [on_first_surface(s), *(r for seat, _ in groups for r in seat),
           arrays.seated(s, n.BALL_PADS_SEATED, n.BALL_PADS, n.SUBSTRATE, under=True, claim="claim 1, step 6)"),
           arrays.seated(s, n.SOLDER_BALLS_SEATED, n.SOLDER_BALLS, n.BALL_PADS, under=True, claim="claim 1, step 6)"),
           *(r for _, metal in groups for r in metal)]
    if build.ran(n.POLISH):
        before, after = build.after(n.FORM_FIRST_ENCAPSULANT), build.after(n.POLISH)
        bodies = [n.FIRST_ENCAPSULANT, *(site.body(n.BUMPS) for site in sites)]
        removed = [(f"polish removed nothing from {b}", after[b].volume() >= before[b].volume() - 1e-12)
                   for b in bodies]
        out.append(history.step_order(build, n.POLISH_AFTER_FIRST_ENCAPSULANT,
                                      (n.FORM_FIRST_ENCAPSULANT, n.POLISH, n.MOUNT_CHIP), "claim 4", removed))
    if n.HEAT_SINK in s:
        gap = abs(s[n.HEAT_SINK].bounds()[2] - s[n.SUBSTRATE].bounds()[5])
        out.append(history.step_order(build, n.HEAT_SINK_ATTACHED,
                                      (n.MOUNT_CHIP, n.ATTACH_HEAT_SINK, n.FORM_SECOND_ENCAPSULANT), "claim 8",
                                      [(f"heat sink {gap:.4g} mm off the first surface", gap > Z_TOL)]))
    return out


CHECKS = (bump_end_coplanarity, bump_ends_exposed, chip_pads_on_bump_ends, no_interference, chip_back, heat_sink,
          ball_coplanarity, gaps, valid_solids, claim_limitations)
"""The flow's checks, in report order."""
