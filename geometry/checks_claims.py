"""Claim-level checks that read the build history and the materials: seating of pads, bumps and balls on what
carries them, conductive and claimed materials, steps in the claimed order, the chip wrapped by its mold, the
substrate's opening. Registered for both flows (after the geometric checks of :mod:`geometry.checks` and
:mod:`geometry.checks_cavity`), so ``pkgcad check``, the manifest and the claim matrix all see them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

from . import occ
from .checks import FC, Z_TOL, CheckResult, register
from .checks_cavity import CAV, hole_outlines
from .stack import Body, Stack

SOLDERS_CLAIM_3 = ("Sn", "Pb", "SnPb63")
"""Bump materials of flip-chip claim 3: tin, lead or tin/lead alloy."""


def seated(stack: Stack, member: str, base: str, under: bool = False, tol: float = Z_TOL,
           claim: str = "") -> CheckResult:
    """Every member of ``member`` rests on ``base``: its bottom at the top of the ``base`` member under its centre
    (``under=True``: its top at the bottom of the ``base`` member above it, hanging under it), within ``tol``
    (mm). Against an array the ``base`` member is the nearest in xy, and the centre must lie within its smaller
    half-extent; against a single solid a probe 1 um across the face must lie inside it (an opening does not
    count). Value: the number of members not seated."""
    mb, bb = stack[member].member_bounds(), stack[base].member_bounds()
    centre = (mb[:, :2] + mb[:, 3:5]) / 2
    face = mb[:, 5] if under else mb[:, 2]
    if len(bb) == 1:
        base_face = np.full(len(mb), bb[0, 2] if under else bb[0, 5])
        probe = np.column_stack([centre, face + (1e-3 if under else -1e-3)])
        part = stack[base].parts[0]
        inv = np.linalg.inv(part.placements[0])
        inside = np.array([occ.point_inside(part.shape, (inv @ np.append(p, 1.0))[:3]) for p in probe])
    else:
        bc = (bb[:, :2] + bb[:, 3:5]) / 2
        dist, k = cKDTree(bc).query(centre)
        half = np.minimum(bb[k, 3] - bb[k, 0], bb[k, 4] - bb[k, 1]) / 2
        inside = dist <= half
        base_face = bb[k, 2] if under else bb[k, 5]
    bad = ~inside | (np.abs(face - base_face) > tol)
    where = ""
    if bad.any():
        i = int(np.argmax(bad))
        where = (f"{member}[{i}] at ({centre[i, 0]:.4g}, {centre[i, 1]:.4g}): "
                 + (f"not over {base}" if not inside[i] else f"{abs(face[i] - base_face[i]):.3g} mm off {base}"))
    return CheckResult(f"{member}_seated", claim, float(bad.sum()), 0.0, "members", not bad.any(), where,
                       f"{len(mb)} {member} {'under' if under else 'on'} {base}")


def _steps(build) -> list[str]:
    return [r.step.key for r in build.history]


def step_order(build, name: str, keys: Sequence[str], claim: str = "", also: Sequence[tuple[str, bool]] = ()
               ) -> CheckResult:
    """The steps ``keys`` all ran, in this order (other steps may lie between), and every ``(fault, bad)`` of
    ``also`` is clear. Value: the number of faults."""
    seen = _steps(build)
    faults = [f"no step {k}" for k in keys if k not in seen]
    if not faults:
        pos = [seen.index(k) for k in keys]
        faults += [f"{a} does not come before {b}" for a, b, i, j in zip(keys, keys[1:], pos, pos[1:], strict=False)
                   if i >= j]
    faults += [f for f, bad in also if bad]
    return CheckResult(name, claim, float(len(faults)), 0.0, "faults", not faults, "; ".join(faults),
                       " -> ".join(keys))


def material_is(stack: Stack, body: str, allowed: Sequence[str], name: str, claim: str = "") -> CheckResult:
    """Body ``body`` is made of one of ``allowed`` (material names). Value: 1 when it is not, else 0."""
    m = stack[body].material_name
    ok = m in allowed
    return CheckResult(name, claim, 0.0 if ok else 1.0, 0.0, "faults", ok,
                       "" if ok else f"{body} is {m}, not {' or '.join(allowed)}", f"{body}: {m}")


def _conductive(body: Body, name: str, claim: str) -> CheckResult:
    m = body.material
    return CheckResult(name, claim, 0.0 if m.conductor else 1.0, 0.0, "faults", m.conductor,
                       "" if m.conductor else f"{body.name} is {m.name} ({m.description}), not a conductor",
                       f"{body.name}: {m.name}, {m.description}")


def _on_first_surface(stack: Stack) -> CheckResult:
    """Flip-chip step 1): the chip-mounting area (the first encapsulant's footprint) lies on the substrate's first
    surface, within its outline, and the ball pads hang on the second surface. Value: worst offset (mm)."""
    sb, fb = stack["substrate"].bounds(), stack["first_encapsulant"].bounds()
    pads = stack["ball_pads"].member_bounds()
    xy = min(fb[0] - sb[0], fb[1] - sb[1], sb[3] - fb[3], sb[4] - fb[4])
    dz = max(abs(fb[2] - sb[5]), float(np.abs(pads[:, 5] - sb[2]).max()))
    faults = [f for f, bad in (("chip-mounting area beyond the substrate", xy < -Z_TOL),
                               ("chip-mounting area or ball pads off the substrate surfaces", dz > Z_TOL)) if bad]
    return CheckResult("chip_mounting_area", "claim 1, step 1)", dz, Z_TOL, "mm", not faults, "; ".join(faults),
                       f"first encapsulant {fb[3] - fb[0]:.6g} x {fb[4] - fb[1]:.6g} mm on the first surface at "
                       f"z = {sb[5]:.6g}; ball pads under the second surface at z = {sb[2]:.6g}")


def chip_encapsulated(stack: Stack, chip: str = "chip", mold: str = "second_encapsulant",
                      base: str = "substrate", claim: str = "") -> CheckResult:
    """The mold stands on the first surface and wraps the chip's four sides: a probe 1 um outside the middle of
    each side, at mid-height, lies inside the mold. Value: the number of faults."""
    cb, mb, sb = stack[chip].bounds(), stack[mold].bounds(), stack[base].bounds()
    x, y, z = (cb[0] + cb[3]) / 2, (cb[1] + cb[4]) / 2, (cb[2] + cb[5]) / 2
    e = 1e-3
    probes = {"-x": (cb[0] - e, y, z), "+x": (cb[3] + e, y, z), "-y": (x, cb[1] - e, z), "+y": (x, cb[4] + e, z)}
    part = stack[mold].parts[0]
    inv = np.linalg.inv(part.placements[0])
    faults = [f"{side} side of {chip} not in {mold}" for side, p in probes.items()
              if not occ.point_inside(part.shape, (inv @ np.append(p, 1.0))[:3])]
    if abs(mb[2] - sb[5]) > Z_TOL:
        faults.append(f"{mold} bottom z = {mb[2]:.6g} not on the first surface z = {sb[5]:.6g}")
    return CheckResult("chip_encapsulated", claim, float(len(faults)), 0.0, "faults", not faults,
                       "; ".join(faults), f"{mold} from z = {mb[2]:.6g} to {mb[5]:.6g}; {chip} sides probed")


@register(FC)
def fc_claim_limitations(build) -> list[CheckResult]:
    """Flip-chip claims 1-5, 8: surfaces, seating, bump materials, the polish and the heat sink in step order."""
    s = build.stack
    out = [_on_first_surface(s),
           seated(s, "bumps", "substrate_pads" if "substrate_pads" in s else "substrate",
                  claim="claim 1, step 2); claim 5"),
           chip_encapsulated(s, claim="claim 1, step 5)"),
           seated(s, "ball_pads", "substrate", under=True, claim="claim 1, step 6)"),
           seated(s, "solder_balls", "ball_pads", under=True, claim="claim 1, step 6)"),
           _conductive(s["bumps"], "bumps_conductive", "claim 2"),
           material_is(s, "bumps", SOLDERS_CLAIM_3, "bump_material", "claim 3")]
    if "substrate_pads" in s:
        out.append(seated(s, "substrate_pads", "substrate", claim="claim 5"))
    if "polish" in _steps(build):
        before, after = build.after("form_first_encapsulant"), build.after("polish")
        removed = [(f"polish removed nothing from {n}", after[n].volume() >= before[n].volume() - 1e-12)
                   for n in ("first_encapsulant", "bumps")]
        out.append(step_order(build, "polish_after_first_encapsulant",
                              ("form_first_encapsulant", "polish", "mount_chip"), "claim 4", removed))
    if "heat_sink" in s:
        gap = abs(s["heat_sink"].bounds()[2] - s["substrate"].bounds()[5])
        out.append(step_order(build, "heat_sink_attached",
                              ("mount_chip", "attach_heat_sink", "form_second_encapsulant"), "claim 8",
                              [(f"heat sink {gap:.4g} mm off the first surface", gap > Z_TOL)]))
    return out


@register(CAV)
def cav_claim_limitations(build) -> list[CheckResult]:
    """Cavity claims 1, 2, 9-11: opening, pad and ball seating, etch and ball steps in order, copper."""
    s = build.stack
    sub = s["substrate"].parts[0].shape
    holes = len(hole_outlines(sub)), len(hole_outlines(sub, up=False))
    opening = CheckResult("substrate_opening", "claim 1", float(min(holes)), 1.0, "hole edges", min(holes) >= 1,
                          "" if min(holes) >= 1 else "no through opening in the substrate",
                          f"{holes[0]} hole edges in the top face, {holes[1]} in the bottom face")
    sliced = build.after("dispose_slice")["metal_slice"]
    slug = s["heat_slug"]
    sl, gb = sliced.bounds(), slug.bounds()
    inside = bool(np.all(gb[:3] >= sl[:3] - Z_TOL) and np.all(gb[3:] <= sl[3:] + Z_TOL))
    etched = step_order(build, "slice_etched", ("dispose_slice", "form_mold", "etch_slice"), "claim 1; claim 11", [
        ("the slug is no smaller than the slice", slug.volume() >= sliced.volume() - 1e-12),
        ("the slug reaches beyond the slice", not inside)])
    balls = seated(s, "solder_balls", "bottom_pads", under=True, claim="claim 2")
    order = step_order(build, "balls_after_etch", ("etch_slice", "form_solder_balls"))
    if not order.passed:
        balls = CheckResult(balls.name, balls.claim, balls.value + order.value, 0.0, balls.unit, False,
                            "; ".join(x for x in (balls.where, order.where) if x), balls.detail)
    return [opening, seated(s, "bottom_pads", "substrate", under=True, claim="claim 1"), etched, balls,
            material_is(build.after("dispose_slice"), "metal_slice", ("Cu",), "slice_material", "claim 9"),
            material_is(s, "heat_slug", ("Cu",), "slug_material", "claim 10")]
