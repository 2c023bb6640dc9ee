"""The flip-chip flow's checks (claims of 000_9630dddb18a83760.txt): the generic checks bound to its bodies, design
and claims, measured from the geometry (mm, mm2, mm3). :data:`CHECKS` lists them in report order."""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

from ...checks import arrays, enclosure, history, solids
from ...core.flow import Build
from ...core.results import Z_TOL, CheckResult
from ...core.stack import Stack
from . import names as n


def _step3(d) -> str:
    return "claim 1, step 3)" + ("; claim 4" if d.first_encapsulant.polish else "")


def bump_end_coplanarity(build: Build) -> list[CheckResult]:
    """Claim 1 step 3 (claim 4 when polished): bump ends coplanar with the first encapsulant's top, 1 um."""
    return [arrays.flat_end_coplanarity(build.stack, n.BUMPS_END_COPLANARITY, n.BUMPS, n.FIRST_ENCAPSULANT, 1e-3,
                                        _step3(build.design))]


def bump_ends_exposed(build: Build) -> list[CheckResult]:
    """Claim 1 step 3: every bump end exposed with its designed flat area (each bump's own, when heights spread)."""
    d = build.design
    tree = cKDTree(d.bump_sites)
    heights = d.bump_heights()
    top = d.z_first_top - d.z_bump_base

    def area(centres: np.ndarray) -> np.ndarray:
        h = heights[tree.query(centres[:, :2])[1]]
        r = np.array([d.bumps.end_radius(min(top, hi), hi) for hi in h])
        return math.pi * r * r

    return [arrays.ends_exposed(build.stack, n.BUMPS_ENDS_EXPOSED, n.BUMPS, n.FIRST_ENCAPSULANT, area,
                                claim=_step3(d))]


def chip_pads_on_bump_ends(build: Build) -> list[CheckResult]:
    """Claim 1 step 4, claim 5: each chip pad on exactly one bump end."""
    return [arrays.pads_on_ends(build.stack, n.CHIP_PADS_ON_BUMPS, n.CHIP_PADS, n.BUMPS,
                                claim="claim 1, step 4); claim 5")]


def no_interference(build: Build) -> list[CheckResult]:
    """Claim 1: no two bodies or members overlap."""
    return [solids.no_interference(build.stack, n.NO_INTERFERENCE, claim="claim 1")]


def chip_back(build: Build) -> list[CheckResult]:
    """Claim 6 (chip back encapsulated) or claim 7 (chip back exposed, flush with the mold top)."""
    se = build.design.second_encapsulant
    if se.chip_back == "encapsulated":
        return [enclosure.chip_back_covered(build.stack, n.CHIP_BACK_ENCAPSULATED, n.CHIP, n.SECOND_ENCAPSULANT,
                                            se.min_cover, "claim 6")]
    return [enclosure.chip_back_exposed(build.stack, n.CHIP_BACK_EXPOSED, n.CHIP, n.SECOND_ENCAPSULANT, "claim 7")]


def heat_sink(build: Build) -> list[CheckResult]:
    """Claim 8, when the package has a heat sink: encapsulated and clear of the chip."""
    s = build.stack
    if n.HEAT_SINK not in s:
        return []
    return [enclosure.sink_encapsulated(s, n.HEAT_SINK_ENCAPSULATED, n.HEAT_SINK, n.SECOND_ENCAPSULANT, "claim 8"),
            enclosure.clearance(s, n.HEAT_SINK_CLEARANCE, n.HEAT_SINK, n.CHIP, build.design.heat_sink.min_clearance,
                                "claim 8")]


def ball_coplanarity(build: Build) -> list[CheckResult]:
    """Claim 1 step 6: solder-ball coplanarity against the JEDEC-style limit for the ball pitch."""
    return [arrays.ball_coplanarity(build.stack, n.SOLDER_BALLS_COPLANARITY, n.SOLDER_BALLS,
                                    build.design.solder_balls.pitch, claim="claim 1, step 6)")]


def valid_solids(build: Build) -> list[CheckResult]:
    """Every body: valid, closed solids."""
    return [solids.valid_solids(build.stack, n.VALID_SOLIDS, claim="claim 1")]


def on_first_surface(stack: Stack) -> CheckResult:
    """Step 1): the chip-mounting area (the first encapsulant's footprint) lies on the substrate's first surface,
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


def claim_limitations(build: Build) -> list[CheckResult]:
    """Claims 1-5, 8: surfaces, seating, bump materials, the polish and the heat sink in step order."""
    s = build.stack
    base = n.SUBSTRATE_PADS if n.SUBSTRATE_PADS in s else n.SUBSTRATE
    out = [on_first_surface(s),
           arrays.seated(s, n.BUMPS_SEATED, n.BUMPS, base, claim="claim 1, step 2); claim 5"),
           enclosure.chip_encapsulated(s, n.CHIP_ENCAPSULATED, n.CHIP, n.SECOND_ENCAPSULANT, n.SUBSTRATE,
                                       claim="claim 1, step 5)"),
           arrays.seated(s, n.BALL_PADS_SEATED, n.BALL_PADS, n.SUBSTRATE, under=True, claim="claim 1, step 6)"),
           arrays.seated(s, n.SOLDER_BALLS_SEATED, n.SOLDER_BALLS, n.BALL_PADS, under=True, claim="claim 1, step 6)"),
           history.conductive(s, n.BUMPS_CONDUCTIVE, n.BUMPS, "claim 2"),
           history.material_is(s, n.BUMP_MATERIAL, n.BUMPS, n.SOLDERS_CLAIM_3, "claim 3")]
    if n.SUBSTRATE_PADS in s:
        out.append(arrays.seated(s, n.SUBSTRATE_PADS_SEATED, n.SUBSTRATE_PADS, n.SUBSTRATE, claim="claim 5"))
    if build.ran(n.POLISH):
        before, after = build.after(n.FORM_FIRST_ENCAPSULANT), build.after(n.POLISH)
        removed = [(f"polish removed nothing from {b}", after[b].volume() >= before[b].volume() - 1e-12)
                   for b in (n.FIRST_ENCAPSULANT, n.BUMPS)]
        out.append(history.step_order(build, n.POLISH_AFTER_FIRST_ENCAPSULANT,
                                      (n.FORM_FIRST_ENCAPSULANT, n.POLISH, n.MOUNT_CHIP), "claim 4", removed))
    if n.HEAT_SINK in s:
        gap = abs(s[n.HEAT_SINK].bounds()[2] - s[n.SUBSTRATE].bounds()[5])
        out.append(history.step_order(build, n.HEAT_SINK_ATTACHED,
                                      (n.MOUNT_CHIP, n.ATTACH_HEAT_SINK, n.FORM_SECOND_ENCAPSULANT), "claim 8",
                                      [(f"heat sink {gap:.4g} mm off the first surface", gap > Z_TOL)]))
    return out


CHECKS = (bump_end_coplanarity, bump_ends_exposed, chip_pads_on_bump_ends, no_interference, chip_back, heat_sink,
          ball_coplanarity, valid_solids, claim_limitations)
"""The flow's checks, in report order."""
