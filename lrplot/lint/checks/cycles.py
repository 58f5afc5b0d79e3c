"""LR008-LR009: cyclic schedules that do not match the run.

LR008: a one-cycle schedule (OneCycleLR's ``total_steps``, or ``epochs`` x
``steps_per_epoch``) longer than the run, which then ends before the final annealing:
OneCycleLR stepped once per epoch (pytorch#65417, Lightning's default interval), or
``total_steps`` counted in batches before gradient accumulation (hearai#70). One step too few
is torch's own error (a training loop raises at its last ``scheduler.step()``), which lrplot
reports before drawing.

LR009: a cyclic schedule (CyclicLR, CosineAnnealingWarmRestarts, a driver's cycles) cut off in
the upper half of a cycle. Smith (arXiv:1506.01186, 3.3) stops training at the end of a cycle,
and SGDR (arXiv:1608.03983) ends its runs where a period ends, where the lr is lowest.

Facts read: LR008 ``lengths`` of shape ``cycle`` (with ``unit``/``per_unit``/``key``) and
``peak``; LR009 ``lengths`` of shape ``period`` (the first, with its ``multiplier``); both the
curve's ``interval`` and ``steps_per_epoch``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lrplot.facts import Length
from lrplot.lint.checks.length import against_run, written
from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check
from lrplot.lint.text import lr, share, steps
from lrplot.lint.windows import Window

# LR008: total_steps may exceed the run by this share (and one step) unnoticed.
ONE_CYCLE_SLACK = 0.01
# LR009: the run may end at most this far up a cycle's range (from its low to its high).
CUT_SHARE = 0.5


@check("LR008", "a one-cycle schedule longer than the run: it ends before the final annealing")
def one_cycle_length(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.windows:
        cycle = next((length for length in window.facts.lengths if length.shape == "cycle"), None)
        if cycle is None:
            continue
        total = cycle.value
        if total - window.end <= max(1, ONE_CYCLE_SLACK * total):
            continue
        peak = window.facts.peak
        final = float(ctx.lr(0)[window.stop_step - 1])
        per_epoch = ctx.steps_per_epoch or 1
        every_batch = ctx.interval == "epoch" and abs(total - window.end * per_epoch) <= per_epoch
        if every_batch:
            suggestion, fix = (
                f"{ctx.name_of(window)} is stepped every batch: set interval: step",
                Fix(ctx.curve_key("interval"), "step"),
            )
        else:
            suggestion, fix = ctx.fix_length(window, cycle, window.end)
        key = window.key_path(cycle.path)
        peak_key = window.facts.peak_key
        of_peak = (
            f" ({share(final, peak)} of {ctx.key_name(window.key_path(peak_key))})"
            if peak and peak_key
            else ""
        )
        yield ctx.finding(
            "LR008",
            step=window.stop_step - 1,
            key_path=key,
            message=(
                f"{against_run(ctx, window, key, _as_written(cycle))}: the run ends "
                f"{share(window.end, total)} into the cycle, at lr {lr(final)}{of_peak}, "
                "before the final annealing"
            ),
            suggestion=suggestion,
            fix=fix,
        )


def _as_written(cycle: Length) -> str:
    """The cycle's number as written, with the cycle's length when the number is only part of it."""
    if cycle.unit != "step":
        return written(cycle)
    shown = round(cycle.as_written)
    return steps(shown) + ("" if shown == cycle.value else f" (a cycle of {steps(cycle.value)} steps)")


def cycle_starts(window: Window) -> list[int] | None:
    """Counts at which a cyclic schedule's cycles begin, one past the run (its first declared period)."""
    period = next((length for length in window.facts.lengths if length.shape == "period"), None)
    if period is None or period.value <= period.offset:
        return None
    size, multiplier = period.value - period.offset, period.multiplier
    starts, at = [period.offset], period.offset + size
    while len(starts) < 100_000:
        starts.append(at)
        if at > window.end:
            break
        size *= multiplier
        at += size
    return starts


@check(
    "LR009",
    "a cyclic schedule (CyclicLR, warm restarts) cut off in the upper half of a cycle when the run ends",
)
def cycle_cut(ctx: CurveContext) -> Iterator[Finding]:
    if ctx.interval == "fractional_epoch":
        return
    for window in ctx.windows:
        starts = cycle_starts(window) if window.reaches_curve_end and window.start == 0 else None
        if not starts:
            continue
        begun = max((s for s in starts if s <= window.last), default=starts[0])
        if begun == starts[0]:
            continue  # the run is shorter than one cycle: LR003's business if anything
        previous = max(s for s in starts if s < begun)
        for group in ctx.groups:
            values = ctx.lr(group)
            span = values[window.step_at(previous) : window.stop_step]
            low, high = float(np.min(span)), float(np.max(span))
            final = float(values[window.stop_step - 1])
            if high <= low or final - low <= CUT_SHARE * (high - low):
                continue
            ends = sorted({s for s in starts if s > 0} - {window.end})
            shorter = max((s for s in ends if s < window.end), default=None)
            longer = min((s for s in ends if s > window.end), default=None)
            nearest = min((s for s in (shorter, longer) if s is not None), key=lambda s: abs(s - window.end))
            options = " or ".join(
                ctx.shown(Fix(ctx.curve_key("total_step"), window.steps_for(s)))
                for s in (shorter, longer)
                if s is not None
            )
            yield ctx.finding(
                "LR009",
                step=window.step_at(begun),
                group=group,
                key_path=window.key_path(),
                message=(
                    f"the run ends inside a cycle of {ctx.name_of(window)} that began at step "
                    f"{steps(window.step_at(begun))}: "
                    f"the final lr {lr(final)} is still {share(final - low, high - low)} of the "
                    "way from the cycle's "
                    f"low {lr(low)} to its high {lr(high)}"
                ),
                suggestion=f"end the run where a cycle ends: {options}",
                fix=None
                if ctx.plan.curve.segments
                else Fix(ctx.curve_key("total_step"), window.steps_for(nearest)),
            )
