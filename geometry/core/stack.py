"""Bodies as instanced arrays, and the immutable stack a flow's steps pass along.

A :class:`Body` is a named, single-material part of the package. It holds one or a few prototype shapes, each
with an array of rigid placements (4x4 matrices, mm). A single part is one prototype placed once; a ball grid is
one prototype placed N times. Operations that treat every member alike act on the prototype once.

A :class:`Stack` is the ordered, immutable set of bodies after a process step. Steps return new stacks and never
mutate the one they receive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import cadquery as cq
import numpy as np

from . import occ
from .materials import Material, material


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def translations(xyz: np.ndarray) -> np.ndarray:
    """(N, 4, 4) translation matrices from (N, 3) offsets in mm (or (N, 2), z = 0)."""
    xyz = np.asarray(xyz, dtype=float)
    if xyz.ndim == 1:
        xyz = xyz[None, :]
    if xyz.shape[1] == 2:
        xyz = np.column_stack([xyz, np.zeros(len(xyz))])
    m = np.repeat(np.eye(4)[None], len(xyz), axis=0)
    m[:, :3, 3] = xyz
    return m


@dataclass(frozen=True, eq=False)
class Instances:
    """One prototype shape (local coordinates, mm) and its placements, an (N, 4, 4) array of rigid transforms.

    ``spine`` optionally holds the (K, 3) centre line a swept prototype was built along (local, mm) and
    ``sweep_radius`` the radius of its circular section, so checks can measure clearances between wires and
    exports can mesh them without triangulating the swept B-rep.

    ``pieces`` optionally holds the parts a fused prototype was glued from, in its local frame (placements relative
    to the prototype's): each member is one physical solid, and checks that measure the pieces apart (a wire's ball
    bond and stitch; the tiles of an encapsulant) place them with :meth:`placed_pieces`.
    """

    shape: cq.Shape
    placements: np.ndarray
    spine: np.ndarray | None = None
    sweep_radius: float | None = None
    pieces: tuple[Instances, ...] = ()

    def __post_init__(self) -> None:
        p = np.asarray(self.placements, dtype=float)
        if p.ndim != 3 or p.shape[1:] != (4, 4):
            raise ValueError(f"placements must be (N, 4, 4), got {p.shape}")
        object.__setattr__(self, "placements", _frozen(p))
        if self.spine is not None:
            object.__setattr__(self, "spine", _frozen(self.spine))
        object.__setattr__(self, "pieces", tuple(self.pieces))

    @classmethod
    def single(cls, shape: cq.Shape) -> Instances:
        return cls(shape, np.eye(4)[None])

    @classmethod
    def at(cls, shape: cq.Shape, xyz: np.ndarray) -> Instances:
        """``shape`` translated to each of the (N, 3) or (N, 2) offsets ``xyz`` (mm)."""
        return cls(shape, translations(xyz))

    @classmethod
    def grouped(cls, make, sizes: np.ndarray, xyz: np.ndarray) -> list[Instances]:
        """One prototype ``make(size)`` per distinct value of ``sizes`` (N,), placed at its members' ``xyz``
        offsets (N, 3): members that differ in size share a few prototypes."""
        return [cls.at(make(float(v)), xyz[sizes == v]) for v in np.unique(sizes)]

    @property
    def count(self) -> int:
        return len(self.placements)

    @property
    def origins(self) -> np.ndarray:
        """(N, 3) translation part of each placement (mm)."""
        return self.placements[:, :3, 3]

    @property
    def tiled(self) -> bool:
        """True when the prototype is exactly the union of its pieces (a solid built from tiles, no spine)."""
        return bool(self.pieces) and self.spine is None

    def volume(self) -> float:
        """Total volume of all members (mm3); a tiled prototype's is its tiles' (equal within 1e-9 relative, which
        the valid-solids check verifies; the solid's own integration takes seconds for 10,000 holes)."""
        if self.tiled:
            return sum(q.volume() for q in self.pieces) * self.count
        return occ.volume(self.shape) * self.count

    @cached_property
    def local_bounds(self) -> np.ndarray:
        """Tight bounds of the prototype in its own coordinates (mm), computed once; a tiled prototype's from its
        tiles."""
        if self.tiled:
            b = np.vstack([q.bounds() for q in self.pieces])
            return np.concatenate([b[:, :3].min(axis=0), b[:, 3:].max(axis=0)])
        return occ.bounds(self.shape)

    def bounds(self) -> np.ndarray:
        """(N, 6) world-space axis-aligned bounds of each member: xmin, ymin, zmin, xmax, ymax, zmax (mm)."""
        b = self.local_bounds
        corners = np.array([[x, y, z, 1.0] for x in b[[0, 3]] for y in b[[1, 4]] for z in b[[2, 5]]])
        world = np.einsum("nij,kj->nki", self.placements, corners)[..., :3]
        return np.concatenate([world.min(axis=1), world.max(axis=1)], axis=1)

    def placed(self) -> list[cq.Shape]:
        """Every member as its own located shape (shares the prototype's geometry)."""
        return [self.shape.moved(occ.location(m)) for m in self.placements]

    def with_shape(self, shape: cq.Shape) -> Instances:
        return Instances(shape, self.placements, self.spine, self.sweep_radius, self.pieces)

    def placed_pieces(self) -> tuple[Instances, ...]:
        """Each piece placed on every member: one Instances per piece, members in this part's order (mm)."""
        return tuple(Instances(q.shape, np.einsum("nij,mjk->nmik", self.placements, q.placements).reshape(-1, 4, 4),
                               q.spine, q.sweep_radius) for q in self.pieces)

    def spines(self) -> np.ndarray | None:
        """(N, K, 3) world centre lines of every member, or None without a spine (mm)."""
        if self.spine is None:
            return None
        h = np.column_stack([self.spine, np.ones(len(self.spine))])
        return np.einsum("nij,kj->nki", self.placements[:, :3, :], h)


@dataclass(frozen=True, eq=False)
class Body:
    """A named part of one material: one or more instanced prototypes.

    ``name`` is canonical: it is the component name in STEP and the key in the manifest. ``embeds`` names bodies
    that lie wholly inside this one (bond wires in their mold): the solid is not cut around them, its net volume is
    its solid volume less theirs, and checks verify the containment instead of flagging the overlap.
    """

    name: str
    material_name: str
    parts: tuple[Instances, ...]
    note: str = ""
    embeds: tuple[str, ...] = ()
    member_names: tuple[str, ...] = ()
    """Optional name of every member, parts in order (the JEDEC names of balls); the STEP names them so."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(self.parts))
        if not self.parts:
            raise ValueError(f"body {self.name!r} has no parts")
        if self.member_names and len(self.member_names) != self.count:
            raise ValueError(f"body {self.name!r}: {len(self.member_names)} member names for {self.count} members")

    @classmethod
    def one(cls, name: str, material_name: str, shape: cq.Shape, note: str = "", embeds: tuple[str, ...] = ()) -> Body:
        return cls(name, material_name, (Instances.single(shape),), note, embeds)

    @property
    def material(self) -> Material:
        return material(self.material_name)

    @property
    def count(self) -> int:
        """Number of placed members (solids) in this body."""
        return sum(p.count for p in self.parts)

    def volume(self) -> float:
        """Total volume (mm3)."""
        return sum(p.volume() for p in self.parts)

    def bounds(self) -> np.ndarray:
        """World-space bounds of the whole body ``[xmin, ymin, zmin, xmax, ymax, zmax]`` (mm)."""
        b = np.vstack([p.bounds() for p in self.parts])
        return np.concatenate([b[:, :3].min(axis=0), b[:, 3:].max(axis=0)])

    def member_bounds(self) -> np.ndarray:
        """(N, 6) bounds of every member, parts in order."""
        return np.vstack([p.bounds() for p in self.parts])

    def placed(self) -> list[cq.Shape]:
        return [s for p in self.parts for s in p.placed()]

    def shape(self) -> cq.Shape:
        """The body as one shape: its single member in place, or a compound of all members."""
        if self.count == 1:
            p = self.parts[0]
            return p.shape.moved(occ.location(p.placements[0]))
        return occ.compound(self.placed())

    def map_parts(self, fn: Callable[[Instances], Sequence[Instances]]) -> Body | None:
        """A new body whose parts are ``fn`` applied to each part; None when nothing is left."""
        parts = tuple(q for p in self.parts for q in fn(p))
        return Body(self.name, self.material_name, parts, self.note, self.embeds) if parts else None


@dataclass(frozen=True)
class Stack:
    """Ordered, immutable collection of uniquely named bodies."""

    bodies: tuple[Body, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [b.name for b in self.bodies]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate body names in stack: {sorted(dup)}")

    def __iter__(self) -> Iterator[Body]:
        return iter(self.bodies)

    def __len__(self) -> int:
        return len(self.bodies)

    def __contains__(self, name: object) -> bool:
        return any(b.name == name for b in self.bodies)

    def __getitem__(self, name: str) -> Body:
        for b in self.bodies:
            if b.name == name:
                return b
        raise KeyError(f"no body {name!r} in stack; bodies: {', '.join(self.names)}")

    def get(self, name: str) -> Body | None:
        return next((b for b in self.bodies if b.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.bodies)

    def add(self, *bodies: Body) -> Stack:
        return Stack(self.bodies + tuple(bodies))

    def replace(self, body: Body) -> Stack:
        """The same stack with the body of the same name swapped for ``body``."""
        self[body.name]
        return Stack(tuple(body if b.name == body.name else b for b in self.bodies))

    def rename(self, old: str, body: Body) -> Stack:
        """The stack with body ``old`` swapped, in place, for ``body`` (which may carry a new name)."""
        self[old]
        return Stack(tuple(body if b.name == old else b for b in self.bodies))

    def remove(self, name: str) -> Stack:
        self[name]
        return Stack(tuple(b for b in self.bodies if b.name != name))

    def bounds(self) -> np.ndarray:
        b = np.vstack([body.bounds() for body in self.bodies])
        return np.concatenate([b[:, :3].min(axis=0), b[:, 3:].max(axis=0)])

    def volume(self) -> float:
        """Total material volume (mm3): embedded bodies are counted once."""
        return sum(self.net_volume(b.name) for b in self.bodies)

    def net_volume(self, name: str) -> float:
        """Volume (mm3) of the material of body ``name``: its solids less the bodies embedded in it."""
        body = self[name]
        return body.volume() - sum(self[e].volume() for e in body.embeds if e in self)

    def mass_mg(self, name: str) -> float:
        """Mass (mg) of the material of body ``name``: its net volume times its density."""
        return self[name].material.mass_mg(self.net_volume(name))
