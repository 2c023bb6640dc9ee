"""Flows: ordered process steps, each a pure function of (stack, design) that records the claim it realises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..stack import Stack


@dataclass(frozen=True)
class Step:
    """One process step. ``claim`` and ``clause`` cite the claim text (e.g. claim "1", clause "3)")."""

    key: str
    title: str
    claim: str
    clause: str
    apply: Callable[[Stack, object], Stack]

    @property
    def reference(self) -> str:
        return f"claim {self.claim}" + (f", step {self.clause}" if self.clause else "")


@dataclass(frozen=True)
class StepResult:
    index: int
    step: Step
    stack: Stack


@dataclass(frozen=True)
class Build:
    """A design run through its flow: every intermediate stack, in order."""

    design: object
    flow: str
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


@dataclass(frozen=True)
class Flow:
    """A named process. ``plan`` picks the steps a design calls for (dependent claims add steps)."""

    name: str
    claims_file: str
    plan: Callable[[object], tuple[Step, ...]]
    all_steps: tuple[Step, ...]

    def run(self, design, before_step: Callable[[Step], None] | None = None) -> Build:
        """Run every planned step from an empty stack, keeping each intermediate stack. ``before_step`` is called
        with each step before it runs (a sweep worker checks its deadline there)."""
        stack, history = Stack(), []
        for i, step in enumerate(self.plan(design), start=1):
            if before_step is not None:
                before_step(step)
            stack = step.apply(stack, design)
            history.append(StepResult(i, step, stack))
        return Build(design, self.name, tuple(history))
