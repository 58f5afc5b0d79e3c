"""LR018: a restart or cycle period far too short for the unit it is stepped in.

A period written in epochs (``T_0: 10``, ``step_size_up: 5``) but stepped once per batch
restarts every few batches: thousands of restarts instead of a handful (the restart-period
form of hazdzz/stgcn#18's "epoch schedule stepped in the batch loop"; lrplot issue 25). The
curve itself is exact, so nothing else looks wrong: the lr just saws up and down.

Facts read: ``lengths`` of shape ``period`` with ``multiplier`` 1 (a period that repeats:
CosineAnnealingWarmRestarts' ``T_0`` with ``T_mult`` 1, CyclicLR's cycle, a driver's cycle
length) with their ``unit`` and ``per_unit`` (only periods counted in the scheduler's own
``step()`` calls, ``per_unit`` 1), and the curve's ``interval`` and ``steps_per_epoch``.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrplot.facts import Length
from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check
from lrplot.lint.text import steps
from lrplot.lint.windows import Window

# LR018: the run repeats the period at least this many times, each shorter than one epoch.
MANY_PERIODS = 20


@check("LR018", "a restart or cycle period far too short for its unit: epochs stepped once per batch")
def period_too_short(ctx: CurveContext) -> Iterator[Finding]:
    per_epoch = ctx.steps_per_epoch or 1
    if ctx.interval != "step" or per_epoch <= 1:
        return
    for window in ctx.all_windows():
        periods = [
            length
            for length in window.facts.lengths
            if length.shape == "period"
            and length.per_unit == 1
            and length.unit == "step"
            and length.multiplier == 1
        ]
        for length in periods[:1]:
            yield from _short(ctx, window, length, per_epoch)


def _short(ctx: CurveContext, window: Window, length: Length, per_epoch: int) -> Iterator[Finding]:
    period = length.value
    count = window.calls // period if period > 0 else 0
    if period >= per_epoch or count < MANY_PERIODS:
        return
    written = round(length.as_written)
    scaled = written * per_epoch
    if length.value * per_epoch > window.end:
        return  # as epochs it would not fit the run either: not this mistake
    key = window.key_path(length.path)
    suggestion = (
        f"the number reads as epochs but every batch steps the scheduler ({steps(per_epoch)} per epoch): "
        f"set {ctx.shown(Fix(key, scaled))} (steps), or interval: epoch"
    )
    yield ctx.finding(
        "LR018",
        step=window.first_step + period,
        key_path=key,
        message=(
            f"{ctx.name_of(window)}'s {length.keyword} is {steps(written)} but the scheduler is stepped "
            f"every batch: its period of {steps(period)} steps repeats {steps(count)} times in the run, "
            f"{period / per_epoch:.2g} of an epoch each"
        ),
        suggestion=suggestion,
        fix=Fix(key, scaled),
        alternatives=(("set interval: epoch", Fix(ctx.curve_key("interval"), "epoch")),),
    )
