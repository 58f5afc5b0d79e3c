"""LR010-LR011: a plateau schedule (ReduceLROnPlateau) that can never act, or acts on the wrong signal.

LR010: ``min_lr`` at or above the lr (nitrain#110, GenNet#114), a cut no larger than ``eps``
(torch skips it), or a ``patience`` the run never exhausts (the first cut comes at the
``patience + 2``-th ``step()``: the first call only sets the best value).
LR011: driven by the lr itself because a training config named no metric lrplot could
replay (the tutorial helper's choice: the lr never improves, so it is cut like a clock), or
``mode`` against the metric: ``max`` on a loss (selene#115, fairseq#2205), ``min`` on an
accuracy (ViS4mer#4), judged by the log column's name, the monitor the training config
names (LightningCLI's ``monitor``, ``lint: {monitor: ...}``), or by the metric's trend. A
metric lrplot cannot replay is a *note*; a monitor named against the mode is a warning.

Facts read: ``plateau`` (:class:`lrplot.facts.Plateau`: patience, cooldown, cut, eps and
min_lr, with their keys) for LR010; ``plateau``, ``mode``/``mode_key`` and the curve's monitor
for LR011; the metric log or expression and the simulated values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from lrplot.facts import Plateau
from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check
from lrplot.lint.text import lr, steps
from lrplot.lint.windows import Window
from lrplot.result import first_where

LOSS_WORDS = {"loss", "err", "error", "perplexity", "ppl", "mse", "mae", "rmse", "nll", "cer", "wer", "bpd"}
SCORE_WORDS = {
    "acc", "accuracy", "f1", "auc", "auroc", "map", "bleu", "rouge", "iou", "miou", "dice",
    "precision", "recall", "top1", "top5", "score", "r2", "psnr", "ssim",
}  # fmt: skip
# LR011: the metric's last quarter differs from its first by this share of its range.
TREND_SHARE = 0.1
TREND_MIN_CALLS = 8


def _plateaus(ctx: CurveContext) -> Iterator[tuple[int, Window, Plateau]]:
    """The curve's top-level windows whose scheduler declares a plateau (:class:`Plateau`)."""
    for index, window in enumerate(ctx.windows):
        if window.facts.plateau is not None:
            yield index, window, window.facts.plateau


def _changes(trace: np.ndarray) -> bool:
    """Whether the lr ever differs from its first value (``np.any(trace != trace[0])``)."""
    first = trace[0]
    return first_where(trace, lambda block: block != first) is not None


@check("LR010", "a plateau schedule that can never lower the lr (min_lr, eps or patience)")
def plateau_cannot_act(ctx: CurveContext) -> Iterator[Finding]:
    for _, window, plateau in _plateaus(ctx):
        traces = [ctx.lr(group)[window.first_step : window.stop_step] for group in ctx.groups]
        acted = any(_changes(trace) for trace in traces)
        patience, cooldown = plateau.patience, plateau.cooldown
        if not acted and patience is not None and patience + 2 > window.last:
            then = f" (and cooldown {cooldown} after each cut)" if cooldown else ""
            counts = "epochs" if ctx.interval == "epoch" else "scheduler steps"
            key = window.key_path(plateau.patience_key)
            fix = Fix(key, max(0, window.last - 2))
            yield ctx.finding(
                "LR010",
                step=None,
                key_path=key,
                message=(
                    f"{ctx.name_of(window)}'s {ctx.key_name(key)} {patience}{then} allows its first cut "
                    f"only at the {steps(patience + 2)}th step() call, but the run shows "
                    f"{steps(window.last)}: it never acts"
                ),
                suggestion=f"set {ctx.shown(fix)} or less (it counts {counts})",
                fix=fix,
            )
            continue
        yield from _no_room(ctx, window, plateau, traces)


def _no_room(
    ctx: CurveContext, window: Window, plateau: Plateau, traces: list[np.ndarray]
) -> Iterator[Finding]:
    """min_lr at or above the lr, or a cut so small the scheduler skips it."""
    factor, eps = plateau.cut, plateau.eps
    for group, trace in enumerate(traces):
        if _changes(trace):
            continue  # this group's lr was cut
        current = float(trace[0])
        floor = plateau.min_lr(group)
        if floor >= current > 0:
            key = window.key_path(plateau.min_lr_key)
            fix = Fix(key, float(lr(current / 100)))
            yield ctx.finding(
                "LR010",
                step=None,
                group=group,
                key_path=key,
                message=(
                    f"{ctx.name_of(window)}'s {ctx.key_name(key)} {lr(floor)} is not below the lr "
                    f"{lr(current)}: it can never cut it"
                ),
                suggestion=f"set {ctx.key_name(key)} below the lr, e.g. {ctx.shown(fix)}",
                fix=fix if plateau.shared_min_lr else None,
            )
        elif factor is not None and eps is not None and current > floor:
            cut = current - max(current * factor, floor)
            if cut <= eps:
                key = window.key_path(plateau.eps_key)
                fix = Fix(key, float(lr(cut / 10)))
                yield ctx.finding(
                    "LR010",
                    step=None,
                    group=group,
                    key_path=key,
                    message=(
                        f"a cut from lr {lr(current)} changes it by {lr(cut)}, not more than "
                        f"{ctx.key_name(key)} {lr(eps)}, so {ctx.name_of(window)} skips every cut"
                    ),
                    suggestion=f"set {ctx.key_name(key)} below the cut, e.g. {ctx.shown(fix)}",
                    fix=fix,
                )


def _words(name: str) -> set[str]:
    """The words of a log column's name.

    >>> sorted(_words("val/Loss_epoch"))
    ['epoch', 'loss', 'val']
    """
    return {word for word in re.split(r"[^a-z0-9]+", name.lower()) if word}


@check("LR011", "a plateau schedule driven by the lr itself (no metric given), or mode against the metric")
def plateau_metric(ctx: CurveContext) -> Iterator[Finding]:
    for index, window, plateau in _plateaus(ctx):
        segment = ctx.plan.segments[index]
        facts = window.facts
        mode = facts.mode or "min"
        other = "min" if mode == "max" else "max"
        mode_key = window.key_path(facts.mode_key or ("mode",))
        mode_fix = Fix(mode_key, facts.mode_values[0 if other == "min" else 1])
        monitor = facts.monitor or ctx.plan.curve.lint_monitor
        if monitor and _against(mode, monitor):
            yield _mode_against(ctx, window, mode, other, monitor, mode_fix)
            continue
        if ctx.plan.curve.metric_assumed:
            patience = plateau.patience or 0
            yield ctx.finding(
                "LR011",
                step=None,
                key_path=window.key_path(),
                severity="note",  # what lrplot cannot replay is not a mistake of the file
                message=(
                    f"{ctx.name_of(window)} gets the current lr as its metric (the config names none "
                    "lrplot can replay): "
                    f"the lr never improves, so it is cut every {steps(patience + 1)} steps like a clock"
                ),
                suggestion=(
                    "give the metric it monitors: --set metric=... or metric: "
                    "{csv: log.csv, column: val_loss}"
                ),
            )
            continue
        column = getattr(segment.metric, "column", None) or _log_column(ctx, index)
        if column and _against(mode, column):
            yield _mode_against(ctx, window, mode, other, column, mode_fix)
            continue
        series = _metric_series(ctx, window, segment.metric)
        if series is None or series.size < TREND_MIN_CALLS:
            continue
        quarter = series.size // 4
        first, last = float(np.mean(series[:quarter])), float(np.mean(series[-quarter:]))
        spread = float(np.max(series) - np.min(series))
        falls, rises = last < first - TREND_SHARE * spread, last > first + TREND_SHARE * spread
        if (mode == "max" and falls) or (mode == "min" and rises):
            yield ctx.finding(
                "LR011",
                step=None,
                key_path=mode_key,
                message=(
                    f"{ctx.name_of(window)}'s {_mode_text(ctx, window, mode)} but its metric "
                    f"{'falls' if falls else 'rises'} over the "
                    f"run ({first:.3g} -> {last:.3g}): every improvement counts as a plateau"
                ),
                suggestion=f"set {ctx.shown(mode_fix)}",
                fix=mode_fix,
            )


def _mode_text(ctx: CurveContext, window: Window, mode: str) -> str:
    """``mode is 'max'``, or the key that sets the mode and its value (``... is true (mode 'max')``)."""
    facts = window.facts
    key = window.key_path(facts.mode_key or ("mode",))
    value = facts.mode_values[0 if mode == "min" else 1]
    if value == mode:
        return f"{ctx.key_name(key)} is {mode!r}"
    return f"{ctx.key_name(key)} is {Fix(key, value).value_text()} (mode {mode!r})"


def _against(mode: str, name: str) -> bool:
    """Whether a metric's name reads against ``mode``: ``max`` on a loss, ``min`` on a score."""
    words = _words(name)
    return bool((mode == "max" and words & LOSS_WORDS) or (mode == "min" and words & SCORE_WORDS))


def _mode_against(ctx: CurveContext, window: Window, mode: str, other: str, name: str, fix: Fix) -> Finding:
    kind = "a loss" if mode == "max" else "a score"
    return ctx.finding(
        "LR011",
        step=None,
        key_path=fix.key_path,
        message=(
            f"{ctx.name_of(window)}'s {_mode_text(ctx, window, mode)} but its metric {name!r} "
            f"looks like {kind}: "
            "every improvement counts as a plateau"
        ),
        suggestion=f"set {ctx.shown(fix)}",
        fix=fix,
    )


def _log_column(ctx: CurveContext, index: int) -> str | None:
    """The column of the curve's (or segment's) metric log, as the config names it."""
    curve = ctx.plan.curve
    metric = curve.segments[index].metric if curve.segments else curve.metric
    return getattr(metric, "column", None)


def _metric_series(ctx: CurveContext, window: Window, metric: Any) -> np.ndarray | None:
    """The metric values ReduceLROnPlateau received, one per recorded step() call."""
    calls = window.last
    values = getattr(metric, "values", None)
    if values is not None:
        return np.asarray(values[:calls], dtype=float)
    if metric is None or getattr(metric, "expression", None) is None:
        return None
    lrs = ctx.lr(0)
    found = []
    for call in range(calls):
        step = window.first_step + (call + 1) * window.clock.steps_per_call - 1
        try:
            found.append(float(metric.value(call, step, float(lrs[step]))))
        except (ArithmeticError, ValueError, TypeError):
            return None  # the run itself reported the failing metric
    return np.asarray(found)
