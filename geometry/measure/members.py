"""Members: every placed solid of some bodies as flat arrays, and how a message names one of them (mm)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cadquery as cq
import numpy as np

from ..core import occ
from ..core.stack import Body


@dataclass(frozen=True, eq=False)
class Members:
    """All members of some bodies as flat arrays; ``part`` indexes ``shapes`` (one prototype per part)."""

    names: tuple[str, ...]
    counts: tuple[int, ...]
    shapes: tuple[cq.Shape, ...]
    body: np.ndarray
    part: np.ndarray
    index: np.ndarray
    placement: np.ndarray
    bounds: np.ndarray

    @classmethod
    def of(cls, bodies: Sequence[Body]) -> Members:
        shapes, body, part, index, placement, bounds = [], [], [], [], [], []
        for bi, b in enumerate(bodies):
            k = 0
            for p in b.parts:
                shapes.append(p.shape)
                body.append(np.full(p.count, bi))
                part.append(np.full(p.count, len(shapes) - 1))
                index.append(np.arange(k, k + p.count))
                placement.append(p.placements)
                bounds.append(p.bounds())
                k += p.count
        return cls(tuple(b.name for b in bodies), tuple(b.count for b in bodies), tuple(shapes),
                   np.concatenate(body), np.concatenate(part), np.concatenate(index),
                   np.concatenate(placement), np.concatenate(bounds))

    def placed(self, i: int) -> cq.Shape:
        return self.shapes[self.part[i]].moved(occ.location(self.placement[i]))

    def label(self, i: int) -> str:
        """``bumps[17] at (0.3, -1.1)``: body, index in the body, centre of its bounds in xy (mm)."""
        b = self.body[i]
        c = (self.bounds[i, :2] + self.bounds[i, 3:5]) / 2
        name = self.names[b] if self.counts[b] == 1 else f"{self.names[b]}[{self.index[i]}]"
        return f"{name} at ({c[0]:.4g}, {c[1]:.4g})"


def member_label(body: Body, i: int, xy: Sequence[float]) -> str:
    name = body.name if body.count == 1 else f"{body.name}[{i}]"
    return f"{name} at ({xy[0]:.4g}, {xy[1]:.4g})"


def placed_member(body: Body, k: int) -> cq.Shape:
    """Member ``k`` of ``body`` (parts in order) in place."""
    for p in body.parts:
        if k < p.count:
            return p.shape.moved(occ.location(p.placements[k]))
        k -= p.count
    raise IndexError(k)
