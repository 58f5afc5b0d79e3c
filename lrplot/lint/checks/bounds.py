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
from lrplot.result import blocks, count_where, first_where, max_where

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
    limit = GROWTH * initial
    if values[-1] <= limit:
        return None
    finite = count_where(values, np.isfinite)
    tail = _finite_at(values, [finite - max(2, finite // 4), finite - 1]) if finite >= 2 else []
    if len(tail) == 2 and tail[1] < tail[0]:
        return None  # a schedule that peaks high on purpose and comes back down
    return first_where(values, lambda block: ~(block <= limit))  # inf and nan count as grown


def _finite_at(values: np.ndarray, ranks: list[int]) -> list[float]:
    """The finite values at these ranks among the finite ones (ascending ranks, each >= 0):
    ``values[np.isfinite(values)][ranks]`` without the filtered copy.

    >>> _finite_at(np.array([1.0, np.inf, 2.0, np.nan, 3.0]), [0, 2])
    [1.0, 3.0]
    """
    found: list[float] = []
    seen = 0
    wanted = iter(ranks)
    rank = next(wanted, None)
    for part in blocks(values.size):
        finite = values[part][np.isfinite(values[part])]
        while rank is not None and rank < seen + finite.size:
            found.append(float(finite[rank - seen]))
            rank = next(wanted, None)
        seen += finite.size
    return found


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
            highest = max_where(values, np.isfinite)
            top = float("inf") if highest is None else highest
            if top < FLOOR_RISE * peak:
                continue  # torch-side clamping, or the schedule never got there
            rise = FLOOR_RISE * peak
            first = window.first_step + (first_where(values, lambda block, rise=rise: block > rise) or 0)
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
        first = first_where(values, lambda block: block < 0)
        if first is None:
            continue
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
                f"{steps(count_where(values, lambda block: block < 0))} steps in all: the optimizer "
                "then steps uphill"
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
