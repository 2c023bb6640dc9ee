"""Steps, flows and builds: a claimed process as data.

A :class:`Flow` binds everything one claimed process is: its design model and claim table, and, in its
:class:`Kernel` (imported on first use, so validating a recipe never loads OpenCascade), its ordered process steps
(each a pure function of (stack, design) that records the claim it realises), its checks, its first-order thermal
network and its views (labelled z-levels and section planes). Its :meth:`Flow.run` keeps every
intermediate stack in a :class:`Build`, which carries the flow object itself, so every layer above reaches the
flow's data through the build and none names a flow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .claims import Claim
from .results import CLAIM, CheckResult

if TYPE_CHECKING:
    from .stack import Body, Stack


@dataclass(frozen=True)
class StepText:
    """What a process step is, without its geometry: ``key``, ``title``, and the claim text it realises
    (``claim`` e.g. "1", ``clause`` e.g. "3)"). A flow's names module lists them, so ``pkgcad list`` needs no
    OpenCascade."""

    key: str
    title: str
    claim: str
    clause: str

    @property
    def reference(self) -> str:
        return f"claim {self.claim}" + (f", step {self.clause}" if self.clause else "")


@dataclass(frozen=True)
class Step(StepText):
    """One process step: its :class:`StepText` and ``apply``, a pure function (stack, design) -> stack."""

    apply: Callable[[Stack, Any], Stack]

    @classmethod
    def of(cls, text: StepText, apply: Callable[[Stack, Any], Stack]) -> Step:
        return cls(text.key, text.title, text.claim, text.clause, apply)


@dataclass(frozen=True)
class StepResult:
    index: int
    step: Step
    stack: Stack


@dataclass(frozen=True)
class Views:
    """How a flow's packages are drawn: ``levels(design)`` the labelled z-levels (name -> z, mm) of its sections,
    ``planes`` the named vertical section planes (normal +y), each a function of the design giving the plane's y
    (mm), and ``ball_map(design)`` its balls with their JEDEC names (:class:`~geometry.core.jedec.BallMap`)."""

    levels: Callable[[Any], dict[str, float]]
    planes: Mapping[str, Callable[[Any], float]]
    ball_map: Callable[[Any], Any] | None = None

    def plane(self, design: Any, name: str) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """(point, normal) of the section plane ``name``; ValueError names the known planes."""
        if name not in self.planes:
            raise ValueError(f"plane {name!r} must be one of {', '.join(repr(k) for k in self.planes)}")
        return (0.0, float(self.planes[name](design)), 0.0), (0.0, 1.0, 0.0)


CheckFn = Callable[["Build"], list[CheckResult]]


@dataclass(frozen=True)
class Kernel:
    """The half of a flow that needs OpenCascade, loaded on first use (:attr:`Flow.kernel`). ``plan`` picks the
    steps a design calls for (dependent claims add steps) out of ``all_steps``; ``checks`` run in order on a build;
    ``thermal`` is its first-order network (build -> network); ``views`` its labelled z-levels and section planes;
    ``outline`` the JEDEC-style outline numbers of a build (``None`` for a flow without a ball grid); ``fills`` the
    flow's gap fills: build -> the bodies that fill the voids its process leaves (the flip-chip chip-face gap),
    added by :func:`geometry.core.conformal.conformal` (``None``: no fills)."""

    plan: Callable[[Any], tuple[Step, ...]]
    all_steps: tuple[Step, ...]
    checks: tuple[CheckFn, ...]
    thermal: Callable[[Build], Any]
    views: Views
    outline: Callable[[Build], Any] | None = None
    fills: Callable[[Build], tuple[Body, ...]] | None = None


@dataclass(frozen=True)
class Flow:
    """A claimed process. ``model`` validates its recipes, ``claims`` is its claim table and ``claim_checks``
    names the checks that are claim limitations only (every other check is a design rule), ``step_texts`` lists
    every step's :class:`StepText` in process order: all that validating a design, estimating its budget and
    ``pkgcad list`` need, with no OpenCascade. ``load`` imports the flow's steps, checks, thermal
    network and views (the modules that import the kernel) and returns them as a :class:`Kernel`; it runs once, on
    the first use of :attr:`plan`, :attr:`checks`, :attr:`views`... (a build, a check)."""

    name: str
    claims_file: str
    model: type
    claims: tuple[Claim, ...]
    load: Callable[[], Kernel] = field(repr=False, compare=False)
    claim_checks: frozenset[str] = field(default_factory=frozenset)
    step_texts: tuple[StepText, ...] = ()

    @cached_property
    def kernel(self) -> Kernel:
        """The flow's :class:`Kernel`, imported on first use."""
        return self.load()

    @property
    def plan(self) -> Callable[[Any], tuple[Step, ...]]:
        return self.kernel.plan

    @property
    def all_steps(self) -> tuple[Step, ...]:
        return self.kernel.all_steps

    @property
    def checks(self) -> tuple[CheckFn, ...]:
        return self.kernel.checks

    @property
    def thermal(self) -> Callable[[Build], Any]:
        return self.kernel.thermal

    @property
    def views(self) -> Views:
        return self.kernel.views

    @property
    def outline(self) -> Callable[[Build], Any] | None:
        return self.kernel.outline

    @property
    def fills(self) -> Callable[[Build], tuple[Body, ...]] | None:
        return self.kernel.fills

    def run(self, design: Any, before_step: Callable[[Step], None] | None = None) -> Build:
        """Run every planned step from an empty stack, keeping each intermediate stack. ``before_step`` is called
        with each step before it runs (a sweep worker checks its deadline there). The kernel (OpenCascade, through
        :mod:`geometry.core.stack`) is imported here, not with the module: validating a design does not need it."""
        from .stack import Stack

        stack, history = Stack(), []
        for i, step in enumerate(self.plan(design), start=1):
            if before_step is not None:
                before_step(step)
            stack = step.apply(stack, design)
            history.append(StepResult(i, step, stack))
        return Build(design, self, tuple(history))

    def check(self, build: Build) -> list[CheckResult]:
        """Every check of this flow on ``build``, in order, each marked a design rule or a claim limitation."""
        return [dataclasses.replace(r, kind=CLAIM) if r.name in self.claim_checks else r
                for fn in self.checks for r in fn(build)]


@dataclass(frozen=True)
class Build:
    """A design run through its flow: every intermediate stack, in order."""

    design: Any
    flow: Flow
    history: tuple[StepResult, ...]

    @property
    def stack(self) -> Stack:
        """The finished package."""
        return self.history[-1].stack

    def after(self, key: str) -> Stack:
        """The stack right after the step named ``key``."""
        for r in self.history:
            if r.step.key == key:
                return r.stack
        raise KeyError(f"no step {key!r} in this build; steps: {', '.join(r.step.key for r in self.history)}")

    def ran(self, key: str) -> bool:
        """Whether the step named ``key`` ran in this build."""
        return any(r.step.key == key for r in self.history)
