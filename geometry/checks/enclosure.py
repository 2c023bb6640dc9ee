"""Checks of what encloses what: a chip back covered or exposed, a chip wrapped by its mold, a heat sink inside the
mold, embedded bodies inside their host (mm)."""

from __future__ import annotations

import math

import numpy as np

from ..core import occ
from ..core.results import Z_TOL, CheckResult
from ..core.stack import Stack
from ..measure.faces import bodies_containing
from ..measure.members import member_label
from ..measure.tubes import constituents, member_boxes


def _probe_points(b: np.ndarray, dz: float, inset: float = 1e-3) -> np.ndarray:
    """Centre and four inset corners of the box ``b`` in xy, at ``dz`` above its top (mm)."""
    x0, y0, x1, y1 = b[0] + inset, b[1] + inset, b[3] - inset, b[4] - inset
    z = b[5] + dz
    return np.array([[(x0 + x1) / 2, (y0 + y1) / 2, z], [x0, y0, z], [x1, y0, z], [x0, y1, z], [x1, y1, z]])


def chip_back_covered(stack: Stack, name: str, chip: str, mold: str, min_cover: float = 0.0, claim: str = "",
                      dz: float = 1e-4) -> CheckResult:
    """The chip back is covered by the mold: points ``dz`` mm above it (centre and corners) lie inside ``mold``.
    Value: mold top minus chip top (mm), limit ``min_cover``."""
    cb, mb = stack[chip].bounds(), stack[mold].bounds()
    cover = float(mb[5] - cb[5])
    points = _probe_points(cb, dz)
    outside = [p for p, n in zip(points, bodies_containing(stack, points, [mold]), strict=True) if not n]
    where = f"({outside[0][0]:.4g}, {outside[0][1]:.4g}) above {chip} not in {mold}" if outside else ""
    ok = cover >= min_cover - 1e-9 and not outside
    return CheckResult(name, claim, cover, min_cover, "mm", ok, where,
                       f"{mold} top z = {mb[5]:.6g}, {chip} back z = {cb[5]:.6g} mm")


def chip_back_exposed(stack: Stack, name: str, chip: str, mold: str, claim: str = "", dz: float = 1e-4) -> CheckResult:
    """The chip back is flush with the mold top and bare: points ``dz`` mm above it (centre and corners) lie
    inside no body. Value: the height difference between mold top and chip back (mm), limit :data:`Z_TOL`."""
    cb, mb = stack[chip].bounds(), stack[mold].bounds()
    points = _probe_points(cb, dz)
    hits = [(p, n) for p, n in zip(points, bodies_containing(stack, points), strict=True) if n]
    flush = abs(float(mb[5] - cb[5]))
    where = f"({hits[0][0][0]:.4g}, {hits[0][0][1]:.4g}) above {chip} is inside {', '.join(hits[0][1])}" if hits else ""
    return CheckResult(name, claim, flush, Z_TOL, "mm", flush <= Z_TOL and not hits, where,
                       f"{mold} top z = {mb[5]:.6g}, {chip} back z = {cb[5]:.6g} mm")


def sink_encapsulated(stack: Stack, name: str, sink: str, mold: str, claim: str = "") -> CheckResult:
    """The heat sink lies inside the mold: its bounds inside the mold footprint, its top below the mold top and a
    point just above its top centre inside the mold. Value: the mold cover over the sink (mm, must be > 0)."""
    sb, mb = stack[sink].bounds(), stack[mold].bounds()
    cover = float(mb[5] - sb[5])
    inside_xy = bool(np.all(sb[:2] >= mb[:2] - Z_TOL) and np.all(sb[3:5] <= mb[3:5] + Z_TOL))
    probe = [(sb[0] + sb[3]) / 2, (sb[1] + sb[4]) / 2, sb[5] + min(1e-4, max(cover, 0.0) / 2)]
    wrapped = bool(bodies_containing(stack, [probe], [mold])[0])
    faults = {"top not below the mold top": cover <= 0, "outside the mold footprint": not inside_xy,
              "top not covered by the mold": not wrapped}
    why = ", ".join(k for k, bad in faults.items() if bad)
    return CheckResult(name, claim, cover, 0.0, "mm", not why, f"{sink}: {why}" if why else "",
                       f"{sink} top z = {sb[5]:.6g}, {mold} top z = {mb[5]:.6g} mm")


def clearance(stack: Stack, name: str, a: str, b: str, min_clearance: float, claim: str = "") -> CheckResult:
    """Exact minimum distance (mm) between bodies ``a`` and ``b`` (all members), limit ``min_clearance``."""
    gap = occ.min_distance(occ.compound(stack[a].placed()), occ.compound(stack[b].placed()))
    ok = gap >= min_clearance - 1e-9
    return CheckResult(name, claim, gap, min_clearance, "mm", ok, "" if ok else f"{a} to {b}")


def chip_encapsulated(stack: Stack, name: str, chip: str, mold: str, base: str, claim: str = "") -> CheckResult:
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
    return CheckResult(name, claim, float(len(faults)), 0.0, "faults", not faults,
                       "; ".join(faults), f"{mold} from z = {mb[2]:.6g} to {mb[5]:.6g}; {chip} sides probed")


def embedded_margin(stack: Stack, name: str, host: str, base_z: float, draft_deg: float = 0.0, claim: str = "") -> CheckResult:
    """Every member of every body embedded in ``host`` lies inside the host's footprint and below its top.

    The footprint is the host's xy bounds at ``base_z`` (mm), its walls drafted inwards by ``draft_deg`` degrees:
    at height z the wall has moved in by (z - base_z) tan(draft). A member's margin is the least of its distances
    (member bounds, spine-based for swept ones) to the four walls at the member's top and to the host top. Value:
    the worst margin (mm), negative when a member pokes out.
    """
    hb = stack[host].bounds()
    tan = math.tan(math.radians(draft_deg))
    worst, where, n = math.inf, "", 0
    for inner in stack[host].embeds:
        if inner not in stack:
            continue
        body = stack[inner]
        b = member_boxes(constituents(body))
        inset = np.maximum(b[:, 5] - base_z, 0.0) * tan
        m = np.column_stack([b[:, 0] - hb[0] - inset, hb[3] - inset - b[:, 3], b[:, 1] - hb[1] - inset,
                             hb[4] - inset - b[:, 4], hb[5] - b[:, 5]]).min(axis=1)
        k = int(np.argmin(m))
        n += len(b)
        if m[k] < worst:
            worst = float(m[k])
            where = member_label(body, k, (b[k, :2] + b[k, 3:5]) / 2)
    return CheckResult(name, claim, worst, 0.0, "mm", worst >= -Z_TOL, where if worst < -Z_TOL else "",
                       f"{n} members of {', '.join(stack[host].embeds)}; worst margin at {where}; draft "
                       f"{draft_deg:g} deg from z = {base_z:.6g}, {host} top z = {hb[5]:.6g} mm")
