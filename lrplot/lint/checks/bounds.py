"""LR013-LR015: an lr outside what any schedule means: above its own peak, below 0, growing.

LR013: a floor above the peak (``eta_min``, ``min_lr``, ``min_lr_rate``, ``min_lr_factor``
larger than the lr it decays from): the "decay" rises, tenfold for ``min_lr_rate: 10``
written for 0.1. Reads the facts ``floor``/``floor_factor``/``floor_key`` and ``peak``
(else each group's initial lr) and the simulated values.
LR014: a negative lr (ExponentialLR ``gamma: -1`` alternates +-1; torch's optimizers refuse
a negative lr only when built, never when a scheduler sets it). Reads the values and the
fact ``factor``.
LR015: an lr that grows without bound (``gamma: 1.5`` overflows to 2.7e17 and on to inf):
growth, not an underflow (LR006 leaves these alone). Reads the values and ``factor``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check
from lrplot.lint.text import lr, steps

# LR013: the curve must rise this much above the peak the floor should sit under.
FLOOR_RISE = 1.01
# LR015: growth is an lr this many times its initial value, still rising at the run's end.
GROWTH = 100.0


def grows(values: np.ndarray, initial: float) -> int | None:
    """The first step where the lr passes GROWTH x ``initial`` while rising to the end, if it does.

    >>> grows(np.array([1.0, 10.0, 1e3, 1e5]), 1.0), grows(np.array([1.0, 0.5]), 1.0)
    (2, None)
    """
    if not initial > 0 or values.size < 3:
        return None
    big = ~(values <= GROWTH * initial)  # inf and nan count as grown
    if not big[-1]:
        return None
    finite = values[np.isfinite(values)]
    tail = finite[-max(2, finite.size // 4) :]
    if tail.size >= 2 and tail[-1] < tail[0]:
        return None  # a schedule that peaks high on purpose and comes back down
    return int(np.argmax(big))


@check("LR013", "a floor above the peak: the decay rises (eta_min, min_lr, min_lr_rate above the lr)")
def floor_above_peak(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.all_windows():
        facts = window.facts
        if facts.floor is None and facts.floor_factor is None:
            continue
        key = window.key_path(facts.floor_key) if facts.floor_key else window.key_path()
        keyword = ctx.key_name(key) if facts.floor_key else "the floor"
        for group in ctx.groups:
            peak = facts.peak if facts.peak is not None else ctx.initial_lr(group)
            floor = facts.floor if facts.floor is not None else peak * float(facts.floor_factor or 0.0)
            if not (peak > 0 and floor > peak):
                continue
            values = ctx.lr(group)[window.first_step : window.stop_step]
            top = float(np.max(values[np.isfinite(values)])) if np.isfinite(values).any() else float("inf")
            if top < FLOOR_RISE * peak:
                continue  # torch-side clamping, or the schedule never got there
            first = window.first_step + int(np.argmax(values > FLOOR_RISE * peak))
            if facts.floor_factor is not None and facts.floor is None:
                meant = 1 / float(facts.floor_factor)
                written = f"{facts.floor_factor:g} (a share of the peak)"
            else:
                meant = peak * peak / floor
                written = lr(floor)
            value = float(f"{meant:.3g}")
            yield ctx.finding(
                "LR013",
                step=first,
                group=group,
                key_path=key,
                message=(
                    f"{ctx.name_of(window)}'s {keyword} {written} is above the peak lr {lr(peak)}: the "
                    f"decay rises instead, to {lr(top)} ({top / peak:.3g}x the peak) from step {steps(first)}"
                ),
                suggestion=f"set {ctx.shown(Fix(key, value))}, below the peak",
                fix=Fix(key, value),
            )


@check("LR014", "a negative lr (a negative gamma or factor): the optimizer steps uphill")
def negative_lr(ctx: CurveContext) -> Iterator[Finding]:
    for group in ctx.groups:
        values = ctx.lr(group)
        negative = values < 0
        if not negative.any():
            continue
        first = int(np.argmax(negative))
        window = ctx.windows[0]
        fix = None
        suggestion = "keep every factor of the schedule positive"
        for candidate in ctx.all_windows():
            factor = candidate.facts.factor
            if factor is not None and factor < 0 and candidate.facts.factor_key:
                window = candidate
                positive = int(-factor) if float(factor).is_integer() else -factor
                fix = Fix(candidate.key_path(candidate.facts.factor_key), positive)
                suggestion = f"set {ctx.shown(fix)} (a factor is positive)"
                break
        yield ctx.finding(
            "LR014",
            step=first,
            group=group,
            key_path=fix.key_path if fix else window.key_path(),
            message=(
                f"the lr is negative at step {steps(first)} ({lr(float(values[first]))}) and at "
                f"{steps(int(negative.sum()))} steps in all: the optimizer then steps uphill"
            ),
            suggestion=suggestion,
            fix=fix,
        )


@check("LR015", "an lr that grows without bound (a gamma above 1): growth, not an underflow")
def unbounded_growth(ctx: CurveContext) -> Iterator[Finding]:
    for group in ctx.groups:
        values = ctx.lr(group)
        initial = ctx.initial_lr(group)
        first = grows(values, initial)
        if first is None:
            continue
        fix, suggestion, window = None, "keep the schedule's factors at or below 1", ctx.windows[0]
        for candidate in ctx.all_windows():
            factor = candidate.facts.factor
            if factor is not None and factor > 1 and candidate.facts.factor_key:
                window = candidate
                inverse = float(f"{1 / factor:.4g}")
                fix = Fix(candidate.key_path(candidate.facts.factor_key), inverse)
                suggestion = f"set {ctx.shown(fix)} (a factor above 1 multiplies the lr up every step)"
                break
        final = values[-1]
        yield ctx.finding(
            "LR015",
            step=first,
            group=group,
            key_path=fix.key_path if fix else window.key_path(),
            message=(
                f"the lr grows without bound: from {lr(initial)} to {lr(float(values[first]))} at step "
                f"{steps(first)} and {lr(float(final))} at the end"
            ),
            suggestion=suggestion,
            fix=fix,
        )
