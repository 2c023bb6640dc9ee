"""Part builders: parameters in, one prototype ``cadquery.Shape`` out (mm). No I/O and no flow knowledge.

Prototypes are built in local coordinates, centred on the z axis; steps place them. Array members (bumps, pads,
balls) are built once here and placed N times by the caller.
"""

from __future__ import annotations

from . import occ
from .params import Bumps, HeatSink, SolderBalls


def slab(width: float, length: float, z0: float, z1: float, cx: float = 0.0, cy: float = 0.0):
    """Rectangular block ``width`` x ``length`` centred on (cx, cy), from ``z0`` to ``z1`` (mm)."""
    return occ.box(cx - width / 2, cy - length / 2, z0, cx + width / 2, cy + length / 2, z1)


def disc(diameter: float, thickness: float):
    """Round pad of ``diameter``, from z = 0 up to ``thickness`` (mm)."""
    return occ.cylinder(diameter / 2, 0.0, thickness)


def bump(b: Bumps):
    """Conductive bump with a flat end (claims 1-2): a sphere of ``b.diameter`` centred at half ``b.height``,
    cut flat at its base (z = 0) and at its end (z = ``b.height``)."""
    r = b.diameter / 2
    return occ.common(occ.sphere(r, b.height / 2), [occ.box(-r, -r, 0.0, r, r, b.height)])


def solder_ball(s: SolderBalls):
    """Reflowed solder ball hanging from its pad: flat contact at z = 0, apex at z = -``s.height`` (mm)."""
    r = s.diameter / 2
    return occ.common(occ.sphere(r, r - s.height), [occ.box(-r, -r, -s.height, r, r, 0.0)])


def heat_sink(h: HeatSink, z_base: float):
    """Drop-in heat sink (claim 8): a plate ``h.thickness`` thick whose underside is ``h.standoff`` above
    ``z_base``, on four square corner legs standing on ``z_base`` (mm). One solid."""
    top = z_base + h.standoff
    plate = slab(h.width, h.length, top, top + h.thickness)
    lx, ly = (h.width - h.leg_width) / 2, (h.length - h.leg_width) / 2
    legs = [slab(h.leg_width, h.leg_width, z_base, top, sx * lx, sy * ly) for sx in (-1, 1) for sy in (-1, 1)]
    return occ.fuse([plate, *legs])
