"""The conformal stack: the finished package as bodies that do not overlap and leave no void nobody asked for (mm).

A flow's stack keeps designed overlaps: a body that declares ``embeds`` (the cavity mold around its bond wires,
fingers and die pads) is not cut around them, so CAD interference checks, CAD masses and meshers see the overlap.
:func:`conformal` returns a new stack in which every such host is cut around every placed member of the bodies it
embeds, in one boolean per host (all members as tools at once, never a loop of cuts), its ``embeds`` cleared, and
the flow's gap fills (named, filled bodies in voids the process leaves, e.g. the flip-chip chip-face gap) added
at the end. The host's solid volume then equals its net volume in the default stack, and masses do not change.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import occ
from .stack import Body, Instances, Stack

GLUE_RTOL = 1e-5
"""The cut runs first with OCCT's glue option (faces of the embedded bodies lie on the host's faces: the fingers on
the mold's floor, the die pads on its die face; about twice as fast); its result is kept when it is a valid solid
whose volume is the host's less the embedded bodies' to this relative tolerance, else the cut is redone without
(tools that overlap each other, which the glue option does not handle)."""


class ConformalError(RuntimeError):
    """The conformal stack cannot be made (a fill collides with a body name, or a cut leaves nothing)."""


def cut_embedded(stack: Stack, host: Body) -> Body:
    """``host`` cut around every placed member of the bodies it embeds, in one boolean (see :data:`GLUE_RTOL`); its
    members are cut together as one compound and kept as one part (placed once, mm). A host that embeds nothing in ``stack`` is returned as
    it is, its ``embeds`` cleared."""
    tools = [s for name in host.embeds if name in stack for s in stack[name].placed()]
    note = f"{host.note}; cut around {', '.join(host.embeds)}" if host.note else f"cut around {', '.join(host.embeds)}"
    if not tools:
        return Body(host.name, host.material_name, host.parts, host.note, (), host.member_names)
    solid = host.shape()
    expected = host.volume() - sum(stack[name].volume() for name in host.embeds if name in stack)
    shape = occ.cut(solid, tools, glue=True)
    if not (occ.is_valid(shape) and abs(occ.volume(shape) - expected) <= GLUE_RTOL * host.volume()):
        shape = occ.cut(solid, tools)
    if occ.volume(shape) <= 0:
        raise ConformalError(f"{host.name}: nothing is left once cut around {', '.join(host.embeds)}")
    return Body(host.name, host.material_name, (Instances.single(shape),), note)


def conformal(stack: Stack, fills: Sequence[Body] = ()) -> Stack:
    """``stack`` with no overlaps: every body that embeds others cut around them (:func:`cut_embedded`) in place,
    then ``fills`` (bodies that fill voids, made by the flow) appended in order. The input stack is not changed."""
    clash = sorted({f.name for f in fills} & set(stack.names))
    if clash:
        raise ConformalError(f"gap fill {clash[0]!r} has the name of a body already in the stack")
    bodies = tuple(cut_embedded(stack, b) if b.embeds else b for b in stack)
    return Stack(bodies + tuple(fills))


def embedded_volumes(stack: Stack, host: str) -> dict[str, float]:
    """Volume (mm3) by which ``host`` overlaps each body it embeds in ``stack``: the embedded body's whole solid
    volume, since an embedded body lies wholly inside its host (the checks verify the containment)."""
    return {name: stack[name].volume() for name in stack[host].embeds if name in stack}
