"""Checks of arrays: flat ends coplanar and exposed, pads on ends, members seated on what carries them, pads bare
from below, ball coplanarity, the web between round neighbours (mm, mm2)."""

from __future__ import annotations

import math
from collections.abc import Callable

import cadquery as cq
import numpy as np
from scipy.spatial import cKDTree

from ..core import occ
from ..core.results import Z_TOL, CheckResult
from ..core.stack import Body, Stack
from ..measure.broad import box_pairs
from ..measure.contacts import CONTACT_D
from ..measure.faces import covering_top, flat_ends
from ..measure.members import member_label, placed_member
from ..measure.seating import coplanarity_limit, seating_heights
from ..measure.tubes import part_bounds


def flat_end_coplanarity(stack: Stack, name: str, ends: str, surface: str, limit: float = 1e-3,
                         claim: str = "", within: tuple[float, float, float, float] | None = None) -> CheckResult:
    """Coplanarity (mm) of the flat ends of array ``ends`` with the top of the tiled body ``surface``.

    Each end's height is its prototype's top planar face plus the member placement (B-rep); the surface top is
    the highest tile top, among the tiles whose xy bounds lie ``within`` (x0, y0, x1, y1; default all). Value: the
    largest deviation of any end or of those tile tops from that plane.
    """
    body, cover = stack[ends], stack[surface]
    centres, _ = flat_ends(body)
    mb = cover.member_bounds()
    keep = np.ones(len(mb), dtype=bool) if within is None else (
        (mb[:, 0] >= within[0] - Z_TOL) & (mb[:, 1] >= within[1] - Z_TOL)
        & (mb[:, 3] <= within[2] + Z_TOL) & (mb[:, 4] <= within[3] + Z_TOL))
    index = np.flatnonzero(keep)
    tops = mb[index, 5]
    ref = float(tops.max())
    dev_e, dev_t = np.abs(centres[:, 2] - ref), np.abs(tops - ref)
    if dev_e.max() >= dev_t.max():
        k = int(np.argmax(dev_e))
        where = member_label(body, k, centres[k])
    else:
        k = int(index[np.argmax(dev_t)])
        b = mb[k]
        where = member_label(cover, k, (b[:2] + b[3:5]) / 2)
    value = float(max(dev_e.max(), dev_t.max()))
    return CheckResult(name, claim, value, limit, "mm", value <= limit,
                       where if value > limit else "",
                       f"{surface} top at z = {ref:.6g} mm; {len(centres)} ends between z = "
                       f"{centres[:, 2].min():.6g} and {centres[:, 2].max():.6g} mm")


def ends_exposed(stack: Stack, name: str, ends: str, cover: str, design_area: float | Callable[[np.ndarray], np.ndarray],
                 tol: float = Z_TOL, area_rtol: float = 1e-3, claim: str = "") -> CheckResult:
    """Every flat end of array ``ends`` is exposed through body ``cover`` with its designed area (mm2).

    ``design_area`` is one area for every end, or a function of the ends' world centres (N, 3) giving each its
    own (members of several sizes). An end is exposed when no member of ``cover`` over it rises above it (by more
    than ``tol`` mm). Its area is the B-rep area of the prototype's top face. Value: the worst relative area error,
    an unexposed end counting as 1 (no exposed area); a design area of zero fails the end.
    """
    body = stack[ends]
    centres, areas = flat_ends(body)
    want = np.broadcast_to(design_area(centres) if callable(design_area) else design_area, areas.shape)
    covered = covering_top(stack[cover], centres[:, :2]) > centres[:, 2] + tol
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(covered | (want <= 0), 1.0, np.abs(areas - want) / np.where(want > 0, want, 1.0))
    k = int(np.argmax(err))
    value = float(err[k])
    return CheckResult(name, claim, value, area_rtol, "relative", value <= area_rtol,
                       member_label(body, k, centres[k]) if value > area_rtol else "",
                       f"{int(covered.sum())} of {len(centres)} ends covered by {cover}; end area "
                       f"{areas.min():.6g}..{areas.max():.6g} mm2, designed {want.min():.6g}..{want.max():.6g} mm2")


def pads_on_ends(stack: Stack, name: str, pads: str, ends: str, tol: float = Z_TOL, claim: str = "") -> CheckResult:
    """Each member of ``pads`` lands on exactly one flat end of ``ends``, and no end carries two pads.

    In xy the pad's bottom-face centre must lie within exactly one end disc (radius from the end face's area);
    in z the pad bottom must equal that end's height within ``tol`` (mm). Value: the number of failing pads.
    """
    pb, eb = stack[pads], stack[ends]
    pc, _ = flat_ends(pb, up=False)
    ec, ea = flat_ends(eb)
    radius = np.sqrt(ea / math.pi)
    hits = cKDTree(pc[:, :2]).sparse_distance_matrix(cKDTree(ec[:, :2]), float(radius.max()) * (1 + 1e-9),
                                                     output_type="ndarray")
    hits = hits[hits["v"] <= radius[hits["j"]] * (1 + 1e-9)]
    n_ends = np.bincount(hits["i"], minlength=len(pc))
    n_pads = np.bincount(hits["j"], minlength=len(ec))
    end_of = np.full(len(pc), -1)
    end_of[hits["i"]] = hits["j"]
    dz = np.where(end_of >= 0, np.abs(pc[:, 2] - ec[end_of, 2]), np.inf)
    bad = (n_ends != 1) | (dz > tol) | ((end_of >= 0) & (n_pads[end_of] > 1))
    where = ""
    if bad.any():
        k = int(np.argmax(bad))
        why = (f"on {n_ends[k]} ends" if n_ends[k] != 1 else
               f"shares {ends}[{end_of[k]}]" if n_pads[end_of[k]] > 1 else f"bottom {dz[k]:.3g} mm off the end")
        where = f"{member_label(pb, k, pc[k])}: {why}"
    return CheckResult(name, claim, float(bad.sum()), 0.0, "pads", not bad.any(), where,
                       f"{len(pc)} pads, {len(ec)} ends")


def ball_coplanarity(stack: Stack, name: str, balls: str, pitch: float | None = None, limit: float | None = None,
                     claim: str = "") -> CheckResult:
    """JEDEC coplanarity (mm) of array ``balls``: the largest apex height above the seating plane.

    Apexes are each prototype's lowest B-rep point plus the member placement. ``limit`` defaults to
    :func:`coplanarity_limit` of ``pitch`` (default: the measured nearest-neighbour apex spacing).
    """
    body = stack[balls]
    apex = []
    for p in body.parts:
        rot = np.rint(p.placements[:, :3, :3].reshape(-1, 9) * 1e9).astype(np.int64)
        out = np.empty((p.count, 3))
        for r in np.unique(rot, axis=0):
            sel = np.flatnonzero(np.all(rot == r, axis=1))
            rm = np.eye(4)
            rm[:3, :3] = p.placements[sel[0], :3, :3]
            low = occ.lowest_point(p.shape.moved(occ.location(rm)))
            out[sel] = low + p.placements[sel, :3, 3]
        apex.append(out)
    apex = np.concatenate(apex)
    if pitch is None:
        pitch = float(cKDTree(apex[:, :2]).query(apex[:, :2], k=2)[0][:, 1].min()) if len(apex) > 1 else 1.0
    if limit is None:
        limit = coplanarity_limit(pitch)
    h = seating_heights(apex)
    k = int(np.argmax(h))
    value = float(h[k])
    return CheckResult(name, claim, value, limit, "mm", value <= limit,
                       member_label(body, k, apex[k]) if value > limit else "",
                       f"{len(apex)} apexes, pitch {pitch:g} mm, lowest apex z = {apex[:, 2].min():.6g} mm")


def seated(stack: Stack, name: str, member: str, base: str, under: bool = False, tol: float = Z_TOL,
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
        inside = occ.points_inside(part.shape, probe @ inv[:3, :3].T + inv[:3, 3])
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
    return CheckResult(name, claim, float(bad.sum()), 0.0, "members", not bad.any(), where,
                       f"{len(mb)} {member} {'under' if under else 'on'} {base}")


def pads_exposed(stack: Stack, name: str, pads: str, design_area: float, d: float = CONTACT_D, area_rtol: float = 1e-3,
                 claim: str = "") -> CheckResult:
    """Every member of ``pads`` has its bottom face bare, with its designed area ``design_area`` (mm2).

    Covered area: what any other body touches from below, measured as a contact area (one boolean per candidate
    part, members paired by bounds: those reaching below the pad bottom and up to within ``d`` of it). The bottom
    face area comes from the B-rep. Value per pad: the larger of the covered fraction and the relative area error;
    the worst pad is reported, limit ``area_rtol``.
    """
    body = stack[pads]
    centre, area = flat_ends(body, up=False)
    pb = body.member_bounds()
    zb = centre[:, 2]
    lo = np.column_stack([pb[:, :2], zb - d])
    hi = np.column_stack([pb[:, 3:5], zb])
    covered = np.zeros(len(centre))
    tree = cKDTree(centre[:, :2])
    up = cq.Location(cq.Vector(0, 0, d))
    n_ops = 0
    for other in stack:
        if other.name == pads:
            continue
        for part in other.parts:
            ob = part_bounds(part)
            i, j = box_pairs(lo, hi, ob[:, :3], ob[:, 3:], strict=False)
            keep = ob[j, 2] < zb[i] - 1e-9
            i, j = i[keep], j[keep]
            if not len(i):
                continue
            n_ops += 1
            tools = [part.shape.moved(occ.location(m)).moved(up) for m in part.placements[np.unique(j)]]
            members = [placed_member(body, k) for k in np.unique(i)]
            hit = occ.common(occ.compound(members), [occ.compound(tools)])
            for s in hit.Solids():
                c = occ.bounds(s)
                _, k = tree.query([(c[0] + c[3]) / 2, (c[1] + c[4]) / 2])
                covered[k] += occ.volume(s) / d
    frac = covered / design_area
    err = np.abs(area - design_area) / design_area
    score = np.maximum(frac, err)
    k = int(np.argmax(score))
    value = float(score[k])
    ok = value <= area_rtol
    return CheckResult(name, claim, value, area_rtol, "relative", ok,
                       "" if ok else member_label(body, k, centre[k]),
                       f"{int((frac > area_rtol).sum())} of {len(centre)} pads covered from below (worst "
                       f"{frac.max():.4g} of the designed {design_area:.6g} mm2, {n_ops} booleans); bottom face "
                       f"area {area.min():.6g}..{area.max():.6g} mm2")


def round_members(body: Body) -> tuple[np.ndarray, np.ndarray]:
    """Plan centres (N, 2) and radii (N,) of the round members of ``body`` (spheres, discs, cylinders, possibly
    turned about z), mm: each prototype's tight bounds, its plan centre placed, its radius half its smaller plan
    extent."""
    xy, radius = [], []
    for p in body.parts:
        b = p.local_bounds
        c = np.append((b[:3] + b[3:]) / 2, 1.0)
        xy.append((p.placements @ c)[:, :2])
        radius.append(np.full(p.count, min(b[3] - b[0], b[4] - b[1]) / 2))
    return np.concatenate(xy), np.concatenate(radius)


def min_web(xy: np.ndarray, radius: np.ndarray) -> tuple[float, int, int]:
    """The least web (mm) between round members, centre distance less both radii, and its pair (i, j); inf and
    (-1, -1) for fewer than two members. Exact: every pair closer than the nearest-neighbour bound is measured."""
    if len(xy) < 2:
        return math.inf, -1, -1
    tree = cKDTree(xy)
    dist, nn = tree.query(xy, k=2)
    bound = float((dist[:, 1] - radius - radius[nn[:, 1]]).min())
    pairs = tree.query_pairs(bound + 2 * float(radius.max()) + 1e-9, output_type="ndarray")
    web = np.linalg.norm(xy[pairs[:, 0]] - xy[pairs[:, 1]], axis=1) - radius[pairs[:, 0]] - radius[pairs[:, 1]]
    k = int(np.argmin(web))
    return float(web[k]), int(pairs[k, 0]), int(pairs[k, 1])


def member_gap(stack: Stack, name: str, members: str, limit: float = 0.0, claim: str = "") -> CheckResult:
    """The least web (mm) between neighbouring round members of array ``members`` (balls, bumps, pads): plan
    centre distance less both radii (:func:`round_members`, from the B-rep bounds). A design rule: neighbours
    closer than ``limit`` (default 0: touching) bridge or short; passes when the web exceeds ``limit`` by more than
    Z_TOL (mm)."""
    body = stack[members]
    xy, radius = round_members(body)
    value, i, j = min_web(xy, radius)
    ok = value > limit + Z_TOL
    where = "" if ok else (f"{member_label(body, i, xy[i])} and "
                           f"{member_label(body, j, xy[j])}")
    return CheckResult(name, claim, value, limit, "mm", ok, where,
                       f"{len(xy)} members, radius {radius.min():.6g}..{radius.max():.6g} mm")
