"""Where each scheduler of a curve drives the lr: the curve cut into windows.

A *window* is the stretch of recorded steps one scheduler drives, with that scheduler's
own count of ``step()`` calls (its ``last_epoch``): the whole curve for a plain scheduler,
one segment, the steps between two ``SequentialLR`` milestones for its children, the
parent's steps for ``ChainedScheduler`` children. Checks compare a scheduler's keywords
(``T_max``, ``total_iters``, milestones ...) with its window and read the simulated values
there; nothing here steps or re-implements a scheduler.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lrplot.config import scheduler_calls
from lrplot.errors import KeyPath
from lrplot.facts import ScheduleFacts
from lrplot.plan import CurvePlan
from lrplot.plan.facts import facts_of
from lrplot.plan.keywords import KeywordSpec
from lrplot.plan.plans import SchedulerPlan


@dataclass(frozen=True)
class Clock:
    """How a curve's recorded steps map to ``scheduler.step()`` calls.

    >>> Clock("epoch", 100).calls_before(250), Clock("epoch", 100).first_step_after(3)
    (2, 300)
    """

    interval: str
    steps_per_epoch: int

    def calls_before(self, step: int) -> int:
        """``scheduler.step()`` calls made before ``step`` is recorded (from the curve's start)."""
        return step // self.steps_per_epoch if self.interval == "epoch" else step

    def first_step_after(self, calls: int) -> int:
        """The first recorded step that sees ``calls`` calls."""
        return calls * self.steps_per_epoch if self.interval == "epoch" else calls

    @property
    def steps_per_call(self) -> int:
        return self.steps_per_epoch if self.interval == "epoch" else 1


@dataclass
class Window:
    """The recorded steps ``first_step .. stop_step - 1`` one scheduler drives.

    ``start`` is the scheduler's own count at ``first_step`` (0 fresh, L + 1 resumed with
    ``last_epoch`` L); ``calls`` is how many ``scheduler.step()`` calls a training loop makes
    in the window, its last one (whose lr nobody uses) included, so ``end = start + calls``
    is where the count stands when training ends.
    """

    plan: SchedulerPlan
    first_step: int
    stop_step: int
    start: int
    calls: int
    clock: Clock
    parent: Window | None = None
    children: list[Window] = field(default_factory=list)
    reaches_curve_end: bool = False

    @property
    def name(self) -> str:
        """The short name: ``CosineAnnealingLR``, ``get_linear_schedule_with_warmup``."""
        return self.plan.name.rsplit(".", 1)[-1]

    @property
    def end(self) -> int:
        return self.start + self.calls

    @property
    def last(self) -> int:
        """The scheduler's count at the window's last recorded step."""
        return self.position(self.stop_step - 1)

    @property
    def alone(self) -> bool:
        """Whether the window's values are this scheduler's alone (no sibling multiplies them)."""
        return self.parent is None or self.parent.name == "SequentialLR"

    def position(self, step: int) -> int:
        """The scheduler's count at a recorded step of the window."""
        return self.start + self.clock.calls_before(step) - self.clock.calls_before(self.first_step)

    def step_at(self, position: int) -> int:
        """The first recorded step at which the scheduler's count is ``position``."""
        return self.clock.first_step_after(self.clock.calls_before(self.first_step) + position - self.start)

    def steps_for(self, position: int) -> int:
        """The curve length at which a training loop's last call brings the count to ``position``."""
        return self.first_step + (position - self.start) * self.clock.steps_per_call

    @cached_property
    def facts(self) -> ScheduleFacts:
        """What this scheduler declares about its schedule (:mod:`lrplot.facts`)."""
        return facts_of(self.plan, self.clock.interval)

    def keyword(self, name: str) -> Any:
        """A keyword as planned (run expressions evaluated), else the class's default."""
        if name in self.plan.keywords:
            return self.plan.keywords[name]
        parameter = KeywordSpec.of(self.plan.cls).parameters.get(name)
        if parameter is None or parameter.default is inspect.Parameter.empty:
            return None
        return parameter.default

    def key_path(self, name: str | int | KeyPath | None = None) -> KeyPath:
        """A key of this scheduler's node: a keyword, or a path below the node (a driver's)."""
        if name is None:
            return self.plan.key_path
        return (*self.plan.key_path, *(name if isinstance(name, tuple) else (name,)))

    def walk(self) -> Iterator[Window]:
        yield self
        for child in self.children:
            yield from child.walk()


def windows_of(curve_plan: CurvePlan) -> list[Window]:
    """The windows of a curve's schedulers: one per segment, nested schedulers inside."""
    curve = curve_plan.curve
    clock = Clock(curve.interval, curve.steps_per_epoch or 1)
    windows = []
    offset = 0
    for index, segment in enumerate(curve_plan.segments):
        resumed = segment.scheduler.keywords.get("last_epoch", -1)
        window = Window(
            plan=segment.scheduler,
            first_step=offset,
            stop_step=offset + segment.steps,
            start=resumed + 1 if isinstance(resumed, int) and resumed >= 0 else 0,
            calls=scheduler_calls(segment.steps, curve.interval, curve.steps_per_epoch, full=True),
            clock=clock,
            reaches_curve_end=index == len(curve_plan.segments) - 1,
        )
        _nest(window)
        windows.append(window)
        offset += segment.steps
    return windows


def _nest(window: Window) -> None:
    """Give a composite scheduler's window one child window per nested scheduler."""
    if not window.plan.children:
        return
    if window.name == "SequentialLR":
        _sequential(window)
        return
    if window.name != "ChainedScheduler":
        return  # another composite (a driver stepping members on their own clocks): its values only
    for child in window.plan.children:  # ChainedScheduler: every child steps with the parent
        nested = Window(
            plan=child,
            first_step=window.first_step,
            stop_step=window.stop_step,
            start=window.start,
            calls=window.calls,
            clock=window.clock,
            parent=window,
            reaches_curve_end=window.reaches_curve_end,
        )
        _nest(nested)
        window.children.append(nested)


def _sequential(window: Window) -> None:
    """SequentialLR: child k runs from milestone k - 1 (restarted at count 0) to milestone k."""
    milestones = [m for m in window.keyword("milestones") or [] if isinstance(m, int)]
    bounds: list[int | None] = [window.start, *milestones, None]
    for index, child in enumerate(window.plan.children[: len(bounds) - 1]):
        low, high = bounds[index], bounds[index + 1]
        assert low is not None
        if low >= window.end:
            break  # this child never runs
        stop_position = window.end if high is None else min(high, window.end)
        first = window.step_at(low) if index else window.first_step
        stop = (
            window.stop_step
            if stop_position >= window.end
            else min(window.step_at(stop_position), window.stop_step)
        )
        if stop <= first:
            continue
        nested = Window(
            plan=child,
            first_step=first,
            stop_step=stop,
            start=0,
            calls=stop_position - low,
            clock=window.clock,
            parent=window,
            reaches_curve_end=window.reaches_curve_end and (high is None or high >= window.end),
        )
        _nest(nested)
        window.children.append(nested)
