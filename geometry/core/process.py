"""Generic process operations: pure functions ``Stack -> Stack`` that add or reshape bodies (mm).

Operations that treat every member of an array alike (a polish at one plane, a tiled encapsulant, a ball
attach) act on each prototype once and keep the placements, so their cost does not grow with the member count.
"""

from __future__ import annotations

from collections.abc import Sequence

import cadquery as cq
import numpy as np

from . import occ, occ_block, parts
from .models import BallPads, SolderBalls
from .stack import Body, Instances, Stack


class ProcessError(RuntimeError):
    """A process step cannot be carried out on the stack it was given."""


def attach(stack: Stack, *bodies: Body) -> Stack:
    """Add bodies to the stack; a name already present is refused."""
    for b in bodies:
        if b.name in stack:
            raise ProcessError(f"body {b.name!r} is already in the stack")
    return stack.add(*bodies)


def encapsulate(stack: Stack, name: str, material: str, region: cq.Shape, exclude: Sequence[cq.Shape]) -> Stack:
    """Fill ``region`` with ``material``, less the ``exclude`` shapes (envelopes of what is already there), in one
    boolean; the result is one body ``name``."""
    shape = occ.cut(region, list(exclude))
    if occ.volume(shape) <= 0:
        raise ProcessError(f"{name}: nothing left to fill")
    return attach(stack, Body.one(name, material, shape))


def encapsulate_tiled(stack: Stack, name: str, material: str, rect: tuple[float, float, float, float],
                      z0: float, z1: float, cell: tuple[float, float], sites: np.ndarray, populated: np.ndarray,
                      members: Sequence[str]) -> Stack:
    """:func:`tiles` attached as one body ``name`` of ``material``: one solid, built from its tiles."""
    parts = tiles(stack, name, rect, z0, z1, cell, sites, populated, members)
    return attach(stack, Body(name, material, parts, note="one solid, built from one cell prototype per site kind"))


def tiled_solid(rect: tuple[float, float, float, float], z0: float, z1: float,
                pieces: Sequence[Instances]) -> Instances:
    """The one solid that the tiles ``pieces`` (world placements) make of the block ``rect`` x [``z0``, ``z1``]
    (mm), placed once and keeping the tiles as its pieces (:func:`geometry.core.occ_block.holed_block`, no boolean)."""
    try:
        solid = occ_block.holed_block((rect[0], rect[1], z0, rect[2], rect[3], z1),
                                [(p.shape, p.placements) for p in pieces])
    except occ.KernelError:  # tiles of another kind: glue them (minutes for 10,000 tiles)
        solid = occ.fuse_solid([s for p in pieces for s in p.placed()], "tiles", glue=True)
    return Instances(solid, np.eye(4)[None], pieces=tuple(pieces))


def encapsulant_parts(region: cq.Shape, exclude: Sequence[cq.Shape], name: str) -> tuple[Instances, ...]:
    """``region`` less the ``exclude`` shapes in one boolean, as the parts of an encapsulant body (mm)."""
    shape = occ.cut(region, list(exclude))
    if occ.volume(shape) <= 0:
        raise ProcessError(f"{name}: nothing left to fill")
    return (Instances.single(shape),)


def tiles(stack: Stack, name: str, rect: tuple[float, float, float, float], z0: float, z1: float,
          cell: tuple[float, float], sites: np.ndarray, populated: np.ndarray,
          members: Sequence[str]) -> tuple[Instances, ...]:
    """The encapsulant that fills the rectangle ``rect`` (x0, y0, x1, y1) from ``z0`` to ``z1`` around an array:
    one solid (:func:`tiled_solid`) whose pieces are its tiles (mm).

    The array's rectangular lattice (``sites``, cells ``cell`` = (pitch_x, pitch_y)) is covered by one cell prototype
    per kind of site: a cell
    around each distinct combination of ``members`` prototypes (every member body placed once on every populated
    site; members of several sizes give several kinds), each built with one cut, and an empty cell for the
    unpopulated sites; four strips fill the margin between the grid and ``rect``. Adjacent tiles share faces.
    """
    hx, hy = cell[0] / 2, cell[1] / 2
    occupied = sites[populated]
    site_of = {tuple(xy): k for k, xy in enumerate(np.round(occupied, 9))}
    kinds = np.full((len(occupied), len(members)), -1)
    located: list[list[cq.Shape]] = []
    for mi, m in enumerate(members):
        located.append([])
        for pi, part in enumerate(stack[m].parts):
            dz = np.unique(np.round(part.origins[:, 2], 9))
            if len(dz) != 1:
                raise ProcessError(f"{name}: members of {m} sit at {len(dz)} heights; a tile needs one")
            located[mi].append(part.shape.moved(cq.Location((0, 0, float(dz[0])))))
            for xy in np.round(part.origins[:, :2], 9):
                k = site_of.get(tuple(xy))
                if k is None or kinds[k, mi] >= 0:
                    raise ProcessError(f"{name}: {m} is not placed once on every populated site of the array")
                kinds[k, mi] = pi
    if (kinds < 0).any():
        raise ProcessError(f"{name}: some populated sites of the array carry no {members}")
    box = occ.box(-hx, -hy, z0, hx, hy, z1)
    keys, which = np.unique(kinds, axis=0, return_inverse=True)
    parts = []
    for i, key in enumerate(keys):
        content = [located[mi][pi] for mi, pi in enumerate(key)]
        xy = occupied[which.ravel() == i]
        parts.append(Instances.at(occ.cut(box, content), np.column_stack([xy, np.zeros(len(xy))])))
    if (~populated).any():
        empty = sites[~populated]
        parts.append(Instances.at(box, np.column_stack([empty, np.zeros(len(empty))])))
    x0, y0, x1, y1 = rect
    gx0, gy0 = sites.min(axis=0) - [hx, hy]
    gx1, gy1 = sites.max(axis=0) + [hx, hy]
    if gx0 < x0 - 1e-9 or gy0 < y0 - 1e-9 or gx1 > x1 + 1e-9 or gy1 > y1 + 1e-9:
        raise ProcessError(f"{name}: the array's cells overrun the region {rect}")
    strips = [(x0, y0, gx0, y1), (gx1, y0, x1, y1), (gx0, y0, gx1, gy0), (gx0, gy1, gx1, y1)]
    for a, b, c, d in strips:
        if c - a > 1e-9 and d - b > 1e-9:
            parts.append(Instances.single(occ.box(a, b, z0, c, d, z1)))
    return (tiled_solid(rect, z0, z1, parts),)


def _cut_above(part: Instances, z: float) -> list[Instances]:
    """Remove everything of ``part`` above the world plane ``z``, once per distinct member height. A solid made of
    tiles (:func:`tiled_solid`) has its tiles cut and is made again from them."""
    if part.pieces and part.placements.shape[0] == 1 and np.allclose(part.placements[0], np.eye(4)):
        pieces = [q for p in part.pieces for q in _cut_above(p, z)]
        if not pieces:
            return []
        b = part.local_bounds
        return [tiled_solid((b[0], b[1], b[3], b[4]), b[2], min(z, b[5]), pieces)]
    m = part.placements
    if not np.allclose(m[:, 2, :3], [0.0, 0.0, 1.0]):
        raise ProcessError("polishing needs members whose local z axis is vertical")
    heights = np.round(m[:, 2, 3], 9)
    b = occ.bounds(part.shape)
    out = []
    for dz in np.unique(heights):
        members = m[heights == dz]
        plane = z - dz
        if b[2] >= plane - 1e-9:
            continue
        if b[5] <= plane + 1e-9:
            out.append(Instances(part.shape, members))
            continue
        pad = 1.0 + float(np.ptp(b[[0, 3]]) + np.ptp(b[[1, 4]]))
        knife = occ.box(b[0] - pad, b[1] - pad, plane, b[3] + pad, b[4] + pad, b[5] + pad)
        out.append(Instances(occ.cut(part.shape, [knife]), members))
    return out


def polish(stack: Stack, z: float, names: Sequence[str]) -> Stack:
    """Planar removal of every named body above the plane ``z`` (mm), as grinding and polishing do (claim 4).

    Each prototype is cut once per distinct member height; a body wholly above the plane is refused.
    """
    for n in names:
        body = stack[n].map_parts(lambda p: _cut_above(p, z))
        if body is None:
            raise ProcessError(f"polishing at z = {z:g} removes all of {n}")
        if body.count != stack[n].count:
            raise ProcessError(f"polishing at z = {z:g} removes {stack[n].count - body.count} members of {n}")
        stack = stack.replace(body)
    return stack


def at_height(xy: np.ndarray, z: float) -> np.ndarray:
    """(N, 3) points: the (N, 2) plan positions ``xy`` at height ``z`` (mm)."""
    return np.column_stack([xy, np.full(len(xy), z)])


def pad_array(name: str, pads: BallPads, xy: np.ndarray, z: float) -> Body:
    """Round pads of ``pads.diameter`` and ``pads.thickness`` (any pad model with those fields and a
    ``material``), bottoms at height ``z``, on the (N, 2) plan positions ``xy`` (mm): one disc prototype placed N
    times."""
    return Body(name, pads.material, (Instances.at(parts.disc(pads.diameter, pads.thickness), at_height(xy, z)),))


def place_balls(stack: Stack, name: str, balls: SolderBalls, z_contact: float, seed: int) -> Stack:
    """Solder balls hanging from their pads: every ball of ``balls`` with its flat contact at height
    ``z_contact`` (mm), diameters drawn from ``seed`` (``balls.diameter_spread``) and heights scaled with them;
    balls of one diameter share a prototype; members carry their JEDEC names. The ball attach of both flows."""
    sizes, xyz, names = balls.diameters(seed), at_height(balls.positions(), z_contact), balls.names()
    placed, ordered = [], []
    for v in np.unique(sizes):
        group = sizes == v
        placed.append(Instances.at(parts.solder_ball(float(v), balls.height * float(v) / balls.diameter), xyz[group]))
        ordered += [n for n, g in zip(names, group, strict=True) if g]
    return attach(stack, Body(name, balls.material, tuple(placed), member_names=tuple(ordered)))
