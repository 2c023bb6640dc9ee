"""Part builders: parameters in, one prototype ``cadquery.Shape`` out (mm). No I/O and no flow knowledge.

Prototypes are built in local coordinates, centred on the z axis; steps place them. Array members (bumps, pads,
balls) are built once here and placed N times by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cadquery as cq
import numpy as np

from . import occ


def slab(width: float, length: float, z0: float, z1: float, cx: float = 0.0, cy: float = 0.0):
    """Rectangular block ``width`` x ``length`` centred on (cx, cy), from ``z0`` to ``z1`` (mm)."""
    return occ.box(cx - width / 2, cy - length / 2, z0, cx + width / 2, cy + length / 2, z1)


def disc(diameter: float, thickness: float):
    """Round pad of ``diameter``, from z = 0 up to ``thickness`` (mm)."""
    return occ.cylinder(diameter / 2, 0.0, thickness)


def bump(diameter: float, height: float):
    """Solder bump with a flat end: a sphere of ``diameter`` centred at half the ``height``, cut flat at its base
    (z = 0) and at its end (z = ``height``), mm."""
    r, h = diameter / 2, height
    return occ.common(occ.sphere(r, h / 2), [occ.box(-r, -r, 0.0, r, r, h)])


def wetting_bump(diameter: float, height: float, base_diameter: float):
    """Solder that wets a round base of ``base_diameter`` (a pad, or a pillar's top) and bulges to a sphere of
    ``diameter``, cut flat at its end (z = ``height``); base at z = 0 (mm). The sphere's centre lies
    sqrt(R^2 - r_base^2) above the base, so its section at the base is the wetted circle."""
    r, rb = diameter / 2, base_diameter / 2
    return occ.common(occ.sphere(r, math.sqrt(r * r - rb * rb)), [occ.box(-r, -r, 0.0, r, r, height)])


def solder_ball(diameter: float, height: float):
    """Reflowed solder ball hanging from its pad: a sphere of ``diameter`` cut flat at its contact (z = 0), apex
    at z = -``height`` (mm)."""
    r, h = diameter / 2, height
    return occ.common(occ.sphere(r, r - h), [occ.box(-r, -r, -h, r, r, 0.0)])


def heat_sink(width: float, length: float, thickness: float, standoff: float, leg_width: float, z_base: float):
    """Drop-in heat sink: a plate ``width`` x ``length`` x ``thickness`` whose underside is ``standoff`` above
    ``z_base``, on four square corner legs ``leg_width`` wide standing on ``z_base`` (mm). One solid."""
    top = z_base + standoff
    plate = slab(width, length, top, top + thickness)
    lx, ly = (width - leg_width) / 2, (length - leg_width) / 2
    legs = [slab(leg_width, leg_width, z_base, top, sx * lx, sy * ly) for sx in (-1, 1) for sy in (-1, 1)]
    return occ.fuse([plate, *legs])


def outline(width: float, length: float, corner_radius: float = 0.0, cx: float = 0.0, cy: float = 0.0,
            z: float = 0.0) -> cq.Wire:
    """Closed rectangular outline ``width`` x ``length`` centred on (cx, cy) at height ``z``, corners rounded to
    ``corner_radius`` (mm)."""
    w, h = width / 2, length / 2
    wire = cq.Wire.makePolygon([cq.Vector(cx + x, cy + y, z) for x, y in ((-w, -h), (w, -h), (w, h), (-w, h))],
                               close=True)
    return wire.fillet2D(corner_radius, wire.Vertices()) if corner_radius > 0 else wire


def circle(diameter: float, x: float, y: float, z: float) -> cq.Wire:
    return cq.Wire.makeCircle(diameter / 2, cq.Vector(x, y, z), cq.Vector(0, 0, 1))


def prism(outer: cq.Wire, z0: float, z1: float, holes: Sequence[cq.Wire] = (), taper: float = 0.0) -> cq.Shape:
    """Extrude a planar outline lying at ``z0`` up to ``z1`` (mm), less ``holes`` (outlines at ``z0``), walls
    drafted inwards by ``taper`` degrees. Holes go through: no boolean is needed, however many there are."""
    return cq.Solid.extrudeLinear(outer, list(holes), cq.Vector(0, 0, z1 - z0), taper=taper)


def ball_bond(diameter: float, height: float) -> cq.Shape:
    """Ball bond of a wire: a flattened ball modelled as a disc of ``diameter``, from z = 0 to ``height`` (mm)."""
    return occ.cylinder(diameter / 2, 0.0, height)


def wire_loop(span: float, rise: float, peak: float, peak_at: float, diameter: float,
              spine_step: float = 0.005) -> tuple[cq.Shape, np.ndarray]:
    """A bond wire's loop in its own frame (mm): from the ball top at the origin, leaving vertically, over a
    horizontal crest ``peak`` above the start at ``peak_at`` along the span, down a slope to ``(span, 0, rise)``
    where it lies horizontal on its finger (stitch). A circle of ``diameter`` swept along a spline whose tangent is
    set at every point, so the crest is the highest point of the centre line.

    Returns the solid and its centre line sampled about every ``spine_step`` mm, (K, 3). A loop bent tighter than
    the wire's radius folds onto itself: see :func:`min_bend_radius`.
    """
    knee = (peak_at + 0.55 * (span - peak_at), rise + 0.45 * (peak - rise))
    slope = (peak - rise) / (span - peak_at)
    pts = [cq.Vector(0, 0, 0), cq.Vector(peak_at, 0, peak), cq.Vector(knee[0], 0, knee[1]), cq.Vector(span, 0, rise)]
    tangents = [cq.Vector(0, 0, 1), cq.Vector(1, 0, 0), cq.Vector(1, 0, -1.6 * slope).normalized(),
                cq.Vector(1, 0, 0)]
    path = cq.Edge.makeSpline(pts, tangents=tangents, scale=True)
    section = cq.Wire.makeCircle(diameter / 2, cq.Vector(0, 0, 0), cq.Vector(0, 0, 1))
    solid = cq.Solid.sweep(section, [], cq.Wire.assembleEdges([path]), makeSolid=True, isFrenet=False,
                           transitionMode="right")
    return solid, occ.curve_points(path, max(math.ceil(path.Length() / spine_step) + 1, 3))


def min_bend_radius(spine: np.ndarray) -> float:
    """Smallest radius of curvature (mm) along a sampled centre line: the circumradius of each three consecutive
    points."""
    a, b, c = spine[:-2], spine[1:-1], spine[2:]
    ab, bc, ca = (np.linalg.norm(b - a, axis=1), np.linalg.norm(c - b, axis=1), np.linalg.norm(a - c, axis=1))
    area2 = np.linalg.norm(np.cross(b - a, c - a), axis=1)
    with np.errstate(divide="ignore"):
        radius = np.where(area2 > 1e-15, ab * bc * ca / (2 * np.maximum(area2, 1e-300)), np.inf)
    return float(radius.min())


def stitch(length: float, width: float, heel: float, tail: float) -> cq.Shape:
    """Stitch (second bond) of a bond wire, flattened onto its finger (mm): a wedge lying on z = 0 from its heel
    at x = 0 to its tail at x = ``length``, ``width`` across (centred on y = 0), ``heel`` thick at the heel (a
    wire diameter: the loop's end section meets its heel face) and ``tail`` thick at the tail. Its footprint is
    ``length`` x ``width``, its volume ``length * width * (heel + tail) / 2``."""
    y = -width / 2
    side = cq.Wire.makePolygon([cq.Vector(0, y, 0), cq.Vector(length, y, 0), cq.Vector(length, y, tail),
                                cq.Vector(0, y, heel)], close=True)
    return cq.Solid.extrudeLinear(side, [], cq.Vector(0, width, 0))
