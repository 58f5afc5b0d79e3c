"""LR008-LR009: cyclic schedules that do not match the run.

LR008: OneCycleLR's ``total_steps`` (or ``epochs`` x ``steps_per_epoch``) longer than the
run, which then ends before the final annealing: OneCycleLR stepped once per epoch
(pytorch#65417, Lightning's default interval), or ``total_steps`` counted in batches before
gradient accumulation (hearai#70). One step too few is torch's own error (a training loop
raises at its last ``scheduler.step()``), which lrplot reports before drawing.

LR009: CyclicLR or CosineAnnealingWarmRestarts cut off in the upper half of a cycle. Smith
(arXiv:1506.01186, 3.3) stops training at the end of a cycle, and SGDR
(arXiv:1608.03983) ends its runs where a period ends, where the lr is lowest.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check
from lrplot.lint.text import lr, share, steps
from lrplot.lint.windows import Window

# LR008: total_steps may exceed the run by this share (and one step) unnoticed.
ONE_CYCLE_SLACK = 0.01
# LR009: the run may end at most this far up a cycle's range (from its low to its high).
CUT_SHARE = 0.5


@check("LR008", "OneCycleLR whose total_steps is longer than the run: it ends before the final annealing")
def one_cycle_length(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.windows:
        if window.name != "OneCycleLR":
            continue
        total, keyword = window.keyword("total_steps"), "total_steps"
        epochs, per_epoch = window.keyword("epochs"), window.keyword("steps_per_epoch")
        if total is None and isinstance(epochs, int) and isinstance(per_epoch, int):
            total, keyword = epochs * per_epoch, "epochs"
        if not isinstance(total, int) or total - window.end <= max(1, ONE_CYCLE_SLACK * total):
            continue
        max_lr = window.keyword("max_lr")
        peak = float(max_lr[0] if isinstance(max_lr, list) else max_lr)
        final = float(ctx.lr(0)[window.stop_step - 1])
        every_batch = ctx.interval == "epoch" and abs(total - window.end * (ctx.steps_per_epoch or 1)) <= (
            ctx.steps_per_epoch or 1
        )
        if every_batch:
            suggestion, fix = (
                "OneCycleLR is stepped every batch: set interval: step",
                Fix(ctx.curve_key("interval"), "step"),
            )
        elif keyword == "total_steps":
            suggestion, fix = ctx.length_fix(window, "total_steps", window.end)
        else:
            suggestion, fix = f"set epochs x steps_per_epoch to {steps(window.end)}", None
        written = "total_steps" if keyword == "total_steps" else "epochs x steps_per_epoch"
        yield ctx.finding(
            "LR008",
            step=window.stop_step - 1,
            key_path=window.key_path(keyword),
            message=(
                f"OneCycleLR's {written} is {steps(total)} but the run steps it "
                f"{steps(window.end)} times: the run "
                f"ends {share(window.end, total)} into the cycle, at lr {lr(final)} "
                f"({share(final, peak)} of max_lr), "
                "before the final annealing"
            ),
            suggestion=suggestion,
            fix=fix,
        )


def cycle_starts(window: Window) -> list[int] | None:
    """Counts at which the cycles of a CyclicLR or CosineAnnealingWarmRestarts begin, one past the run."""
    if window.name == "CyclicLR":
        up, down = window.keyword("step_size_up"), window.keyword("step_size_down")
        down = up if down is None else down
        if not (isinstance(up, int) and isinstance(down, int)) or up + down <= 0:
            return None
        return list(range(0, window.end + up + down + 1, up + down))
    if window.name == "CosineAnnealingWarmRestarts":
        period, multiplier = window.keyword("T_0"), window.keyword("T_mult")
        if not (isinstance(period, int) and isinstance(multiplier, int)) or period <= 0:
            return None
        starts, at = [0], period
        while len(starts) < 100_000:
            starts.append(at)
            if at > window.end:
                break
            period *= multiplier
            at += period
        return starts
    return None


@check(
    "LR009", "CyclicLR or CosineAnnealingWarmRestarts cut off in the upper half of a cycle when the run ends"
)
def cycle_cut(ctx: CurveContext) -> Iterator[Finding]:
    if ctx.interval == "fractional_epoch":
        return
    for window in ctx.windows:
        starts = cycle_starts(window) if window.reaches_curve_end and window.start == 0 else None
        if not starts:
            continue
        begun = max(s for s in starts if s <= window.last)
        if begun == 0:
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
                f"total_step: {window.steps_for(s)}" for s in (shorter, longer) if s is not None
            )
            yield ctx.finding(
                "LR009",
                step=window.step_at(begun),
                group=group,
                key_path=window.key_path(),
                message=(
                    f"the run ends inside a {window.name} cycle that began at step "
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
