"""LR005-LR006: optimizer steps that cannot move the weights.

LR005: steps at an lr of exactly 0. A linear warmup from 0 spends the first optimizer step
at lr 0 (gpt-neox#1373, torchtitan#1261, nanoGPT#443, google-research/bert#1293); every
Hugging Face warmup does so too, so a lone first step is a *note*. Longer runs of zeros (a
decay that reaches 0 before the run ends, FARM#46) are warnings. A lone zero elsewhere (a
sawtooth restarting at 0, a cosine reaching 0 at the very last step) is left alone.
A param group held at 0 while another group trains is frozen on purpose (a backbone kept
still, then released): that is a *note*, never "a warmup from 0", and nothing else is
checked on a group frozen for the whole run.

LR006: the lr below 1e-12 of its peak, where float32 weights no longer change: a StepLR or
ExponentialLR written for epochs but stepped every batch (SRGAN-PyTorch#1, hazdzz/stgcn#18).
Its advice reads the facts ``factor``/``factor_key`` (``gamma``), ``factor_every``/
``factor_every_key`` (``step_size``), ``milestones`` and ``unbounded_decay``, with the curve's
``interval`` and ``steps_per_epoch``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lrplot.errors import KeyPath
from lrplot.lint.checks.bounds import grows
from lrplot.lint.checks.length import ends_early_at, lengths
from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check
from lrplot.lint.text import lr, plural, share, steps
from lrplot.lint.windows import Window
from lrplot.result import blocks, count_where, first_where, max_where

# LR005 warns from this share of the run (and 2 steps) at lr 0, beyond lone zeros.
ZERO_SHARE = 0.01
# LR006: below this share of the curve's peak, for at least UNDERFLOW_RUN_SHARE of the run.
UNDERFLOW_SHARE = 1e-12
UNDERFLOW_RUN_SHARE = 0.01


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, stop) of each run of True in ``mask``.

    >>> _runs(np.array([True, False, True, True]))
    [(0, 1), (2, 4)]
    """
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _all_zero(values: np.ndarray) -> bool:
    return first_where(values, lambda block: block != 0.0) is None


def _zero_runs_of(values: np.ndarray) -> list[tuple[int, int]]:
    """:func:`_runs` of ``values == 0``, a block at a time (a run may cross blocks).

    >>> _zero_runs_of(np.array([0.0, 1.0, 0.0, 0.0]))
    [(0, 1), (2, 4)]
    """
    runs: list[tuple[int, int]] = []
    for part in blocks(values.size):
        for first, stop in _runs(values[part] == 0.0):
            first, stop = first + part.start, stop + part.start
            if runs and runs[-1][1] == first:
                first = runs.pop()[0]  # the run goes on from the previous block
            runs.append((first, stop))
    return runs


def _ended_at(ctx: CurveContext, step: int) -> tuple[object, object] | None:
    """The window and length whose schedule ends at ``step``, where the run goes on flat."""
    for window in ctx.all_windows():
        if not window.alone:
            continue
        for length in lengths(window):
            inside = length.shape != "warmup" and window.start < length.value <= window.last
            if inside and window.step_at(length.value) == step:
                return window, length
    return None


@check("LR005", "optimizer steps at lr exactly 0: the first step of a warmup from 0 (a note), or longer runs")
def zero_lr_steps(ctx: CurveContext) -> Iterator[Finding]:
    total = ctx.total_step
    for group in ctx.groups:
        values = ctx.lr(group)
        peak = _finite_peak(values)
        if not peak > 0:
            if _all_zero(values) and _others_train(ctx, group, 0, total):
                yield _frozen(ctx, group, 0, total)
            continue  # a group held at 0 on purpose (frozen), or no finite value
        runs = []
        for first, stop in _zero_runs_of(values):
            if first == 0 and stop > 1 and _others_train(ctx, group, first, stop):
                yield _frozen(ctx, group, first, stop)
                continue
            if stop - first == 1:
                continue  # a lone zero: noted below when it is the first step
            if first > 0 and 0 < values[first - 1] < UNDERFLOW_SHARE * peak:
                continue  # the lr underflowed to 0: LR006
            ended = _ended_at(ctx, first) if stop == total else None
            if ended is not None and ends_early_at(*ended):  # type: ignore[arg-type]
                continue  # a schedule over at or before half the run: LR002
            runs.append((first, stop, ended))
        count = sum(stop - first for first, stop, _ in runs)
        if runs and count >= max(2, ZERO_SHARE * total):
            yield _zero_runs(ctx, group, runs, count)
        elif values[0] == 0.0 and total > 1 and values[1] > 0:
            yield ctx.finding(
                "LR005",
                step=0,
                group=group,
                severity="note",
                key_path=ctx.windows[0].key_path(),
                message="the first optimizer step uses lr 0 (a warmup from 0) and changes nothing",
                suggestion=_first_step_fix(_first_leaf(ctx)),
            )


def _others_train(ctx: CurveContext, group: int, first: int, stop: int) -> bool:
    """Whether every other param group has an lr above 0 at steps ``first .. stop - 1``."""
    others = [other for other in ctx.groups if other != group]
    return bool(others) and all(
        first_where(ctx.lr(other)[first:stop], lambda block: ~(block > 0)) is None for other in others
    )


def _frozen(ctx: CurveContext, group: int, first: int, stop: int) -> Finding:
    """A note: this group is held at lr 0 while the others train (frozen on purpose)."""
    whole = first == 0 and stop == ctx.total_step
    span = "the whole run" if whole else f"steps {steps(first)}-{steps(stop - 1)}"
    return ctx.finding(
        "LR005",
        step=first,
        group=group,
        severity="note",
        key_path=ctx.windows[0].key_path(),
        message=(
            f"this param group is held at lr 0 for {span} while the others train: frozen, "
            + ("not checked further" if whole else "then released")
        ),
        suggestion="nothing to do if the freeze is meant; silence it with lint: {ignore: [LR005]}",
    )


def _zero_runs(ctx: CurveContext, group: int, runs: list, count: int) -> Finding:
    shown = ", ".join(f"{steps(a)}-{steps(b - 1)}" for a, b, _ in runs[:3]) + (
        ", ..." if len(runs) > 3 else ""
    )
    suggestion = "keep the schedule above 0 there (eta_min, end_factor, a floor in lr_lambda)"
    fix = None
    ended = runs[-1][2]
    if ended is not None:
        window, length = ended
        suggestion, fix = ctx.length_fix(window, length.keyword, window.end)  # type: ignore[attr-defined]
        suggestion = f"the schedule ends early: {suggestion}"
    return ctx.finding(
        "LR005",
        step=runs[0][0],
        group=group,
        key_path=fix.key_path if fix else ctx.windows[0].key_path(),
        message=(
            f"{plural(count, 'optimizer step')} ({share(count, ctx.total_step)} of the run) use lr 0 "
            f"(steps {shown}) and change nothing"
        ),
        suggestion=suggestion,
        fix=fix,
    )


def _first_leaf(ctx: CurveContext) -> Window:
    """The scheduler that sets the lr of the first step (a SequentialLR's first child).

    The children are a walk of torch's composite (:mod:`lrplot.lint.windows`); the facts say
    which composite runs them one after another (milestones that hand over), so the first child
    sets the first step. A driver's phases are inside one window."""
    window = ctx.windows[0]
    while window.children and window.facts.milestones is not None and window.facts.milestones.hands_over:
        window = window.children[0]
    return window


def _first_step_fix(window: Window) -> str:
    """The way out of a first step at lr 0, in the words of the scheduler that sets it."""
    facts = window.facts
    if window.name.startswith("get_"):
        return "Hugging Face's warmups all start at 0; harmless, silence it with lint: {ignore: [LR005]}"
    if facts.factor_function is not None and facts.factor_function_of == "initial":
        key = facts.factor_function[-1]
        return f"start the warmup above 0, e.g. {key}: min(1.0, (step + 1) / (warmup + 1))"
    return "start the warmup above 0"


@check("LR006", "the lr underflows: below 1e-12 of its peak for at least 1% of the run")
def underflow(ctx: CurveContext) -> Iterator[Finding]:
    total = ctx.total_step
    for group in ctx.groups:
        values = ctx.lr(group)
        peak = _finite_peak(values)
        if not peak > 0:
            continue
        if grows(values, ctx.initial_lr(group)) is not None:
            continue  # an lr growing without bound is LR015's, not an underflow
        floor = UNDERFLOW_SHARE * peak
        count = count_where(values, lambda block, floor=floor: block < floor)
        if count < max(2, UNDERFLOW_RUN_SHARE * total):
            continue
        if first_where(values, lambda block, floor=floor: (block < floor) & (block > 0)) is None:
            continue
        first = first_where(values, lambda block, floor=floor: block < floor) or 0
        keyword, suggestion, fix = _decay_fix(ctx)
        yield ctx.finding(
            "LR006",
            step=first,
            group=group,
            key_path=ctx.windows[0].key_path(keyword),  # None: the scheduler's node
            message=(
                f"the lr falls below 1e-12 of its peak {lr(peak)} at step {steps(first)} "
                f"({lr(float(values[first]))}) "
                f"and stays there for {plural(count, 'step')} ({share(count, total)} of the run): "
                "the weights no longer move"
            ),
            suggestion=suggestion,
            fix=fix,
        )


def _decay_fix(ctx: CurveContext) -> tuple[KeyPath | None, str, Fix | None]:
    """How to stop a staircase or exponential decay from underflowing, from its facts.

    A factor applied every ``factor_every`` calls (StepLR's ``step_size``), every call
    (ExponentialLR's ``gamma``), or at milestones or an undeclared pace (MultiStepLR,
    MultiplicativeLR): stepped every batch, each reads as written per epoch.
    """
    window = ctx.windows[0]
    facts = window.facts
    name = ctx.name_of(window)
    per_epoch = ctx.steps_per_epoch or 1
    by_batch = ctx.interval == "step" and per_epoch > 1
    epoch_fix = Fix(ctx.curve_key("interval"), "epoch")
    every, factor = facts.factor_every, facts.factor
    if facts.factor_every_key is not None and every is not None:
        key = facts.factor_every_key
        shown = ctx.key_name(window.key_path(key))
        if by_batch:
            scaled = ctx.shown(Fix(window.key_path(key), every * per_epoch))
            return key, f"{shown} {every} reads as epochs: set interval: epoch, or {scaled}", epoch_fix
        factor_name = ctx.key_name(window.key_path(facts.factor_key)) if facts.factor_key else "the factor"
        return key, f"raise {shown} (it counts scheduler steps) or {factor_name}", None
    if every == 1 and factor is not None and facts.factor_key is not None:
        key = facts.factor_key
        shown = ctx.key_name(window.key_path(key))
        if by_batch and factor > 0:
            scaled = ctx.shown(Fix(window.key_path(key), float(f"{factor ** (1 / per_epoch):.6g}")))
            return key, f"{shown} {factor:g} reads as per epoch: set interval: epoch, or {scaled}", epoch_fix
        return key, f"raise {shown} closer to 1", None
    staircase = facts.milestones is not None and factor is not None  # not SequentialLR's hand-overs
    if by_batch and (staircase or facts.unbounded_decay):
        return None, f"{name} reads as per epoch: set interval: epoch", epoch_fix
    return None, "decay less steeply, or set a floor (eta_min, a min in lr_lambda)", None


def _finite_peak(values: np.ndarray) -> float:
    """The highest finite lr (an inf from an overflowing schedule is reported elsewhere, not a peak)."""
    top = max_where(values, np.isfinite)
    return 0.0 if top is None else top
