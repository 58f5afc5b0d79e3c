"""LR002-LR004: a schedule whose own length does not fit the run.

The length a scheduler is written for (``T_max``, ``total_iters``, ``milestones``,
``num_training_steps``, ``num_warmup_steps``, ``T_0``) against the scheduler steps the run
really takes. The commonest causes: epochs where every batch steps the scheduler
(hazdzz/stgcn#18), steps where Lightning steps once per epoch (its default interval),
schedules counted per process (transformers#26827) or before gradient accumulation
(accelerate#225), warmups longer than the run (neural_sp#137, coqui-ai/TTS#1611).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lrplot.errors import KeyPath
from lrplot.facts import Length, Milestones
from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check
from lrplot.lint.text import lr, share, steps
from lrplot.lint.windows import Window
from lrplot.result import first_where

# LR002: a decay over by this share of its part of the run, the lr flat after it.
EARLY_SHARE = 0.5
# LR003: a decay less than this far done when the run ends; a warmup below this share of
# its peak when the run ends.
LATE_DECAY_DONE = 0.5
LATE_WARMUP_REACHED = 0.9
# LR004: milestones all beyond the run are scaled so the last falls at this share of it.
MILESTONE_SCALE_AT = 0.9


def lengths(window: Window) -> list[Length]:
    """The lengths a scheduler declares (:class:`lrplot.facts.Length`, in its step() calls)."""
    return list(window.facts.lengths)


def ends_early_at(window: Window, length: Length) -> bool:
    """Whether a (non-warmup) length ends at or before EARLY_SHARE of the window, inside it."""
    if length.shape == "warmup" or length.value <= window.start or length.value > window.last:
        return False
    return length.value - window.start <= EARLY_SHARE * window.calls


def _as_epochs(ctx: CurveContext, value: int, window: Window) -> int | None:
    """``value`` x steps_per_epoch, when the value reads as epochs but every batch steps the scheduler."""
    per_epoch = ctx.steps_per_epoch
    if ctx.interval != "step" or not per_epoch or per_epoch == 1:
        return None
    scaled = value * per_epoch
    return scaled if window.end >= scaled >= window.end / 2 else None


def _as_steps(ctx: CurveContext, values: list[int], window: Window) -> list[int] | None:
    """``values`` / steps_per_epoch, when they read as steps but the scheduler steps once per epoch."""
    per_epoch = ctx.steps_per_epoch
    if ctx.interval != "epoch" or not per_epoch or per_epoch == 1:
        return None
    scaled = [round(v / per_epoch) for v in values]
    return scaled if all(0 < s <= window.end for s in scaled) else None


@check("LR002", "a decay over at or before half of its part of the run, the lr flat for the rest")
def ends_early(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.all_windows():
        if not window.alone:
            continue
        for length in lengths(window):
            if length.after == "flat" and ends_early_at(window, length):
                yield from _early(ctx, window, length)


def _constant(values: np.ndarray) -> bool:
    """Whether every value equals the first (``np.all(values == values[0])``; NaN equals nothing)."""
    first = values[0]
    return first_where(values, lambda block: ~(block == first)) is None


def _early(ctx: CurveContext, window: Window, length: Length) -> Iterator[Finding]:
    tail_start = window.step_at(length.value)
    for group in ctx.groups:
        values = ctx.lr(group)[window.first_step : window.stop_step]
        tail = ctx.lr(group)[tail_start : window.stop_step]
        if tail.size < 2 or not _constant(tail) or tail[0] >= np.max(values):
            continue
        what = "last milestone" if length.keyword == "milestones" else length.keyword
        fix = None
        if _as_epochs(ctx, length.value, window) is not None:
            per_epoch = ctx.steps_per_epoch or 1
            as_given = window.keyword(length.keyword)
            scaled = (
                [m * per_epoch for m in as_given] if isinstance(as_given, list) else length.value * per_epoch
            )
            suggestion = (
                f"the numbers look like epochs: set interval: epoch (one scheduler step per epoch of "
                f"{steps(per_epoch)} steps), or {ctx.shown(Fix(window.key_path(length.path), scaled))}"
            )
            fix = Fix(ctx.curve_key("interval"), "epoch")
        elif length.keyword == "milestones":
            suggestion = f"spread the milestones over the run's {steps(window.end)} scheduler steps"
        else:
            suggestion, fix = ctx.fix_length(window, length, window.end)
        yield ctx.finding(
            "LR002",
            step=tail_start,
            group=group,
            key_path=window.key_path(length.path),
            message=(
                f"{ctx.name_of(window)}'s {what} is {written(length)}: the schedule is over at step "
                f"{steps(tail_start)}, "
                f"{share(tail_start - window.first_step, window.stop_step - window.first_step)} "
                f"into its part of the run, and the lr then sits at {lr(float(tail[0]))} for the remaining "
                f"{steps(tail.size)} steps"
            ),
            suggestion=suggestion,
            fix=fix,
        )


def _singular(word: str, several: bool) -> str:
    return word[:-1] if word.endswith("s") and not several else word


def written(length: Length) -> str:
    """A length as written: ``5 epochs (2,500 steps)``, ``5000ba (5,000 steps)`` or ``2,500``."""
    if length.spelled is not None:
        return f"{length.spelled} ({steps(length.value - length.offset)} steps)"
    if length.per_unit == 1:
        return steps(round(length.as_written))
    return f"{length.as_written:g} {length.unit}s ({steps(length.value - length.offset)} steps)"


@check(
    "LR003", "a schedule longer than the run: a warmup that never finishes, or a decay less than half done"
)
def ends_late(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.all_windows():
        if not window.alone or not window.reaches_curve_end:
            continue  # a SequentialLR child cut by its milestone is LR007's
        found = lengths(window)
        warmups = [
            length
            for length in found
            if length.shape == "warmup" and (length.value > window.end or _clipped_beyond(length, window))
        ]
        decays = [
            length
            for length in found
            if length.shape == "decay" and length.value > window.end and length.fix_value is None
        ]
        for length in warmups[:1] or decays[:1]:
            yield from _late(ctx, window, length, decays[-1:])


def against_run(ctx: CurveContext, window: Window, key: KeyPath, shown: str) -> str:
    """``NAME's KEY is SHOWN but the run steps it N times``: a declared length against the run."""
    runs = f"the run steps it {steps(window.end)} times"
    return f"{ctx.name_of(window)}'s {ctx.key_name(key)} is {shown} but {runs}"


def _clipped_beyond(length: Length, window: Window) -> bool:
    """A length the trainer cut to the run that the file writes longer than the run."""
    return length.clipped and length.offset + length.as_written * length.per_unit > window.end


def _all_warmup(ctx: CurveContext, window: Window, length: Length) -> Finding:
    """A warmup the trainer fitted to a shorter run (detectron2): the lr rises to the last step."""
    key = window.key_path(length.path)
    fix = Fix(key, length.written_for(length.offset + max(1, window.end // 10)))
    fitted = "the warmup is fitted to the run, so the whole run is warmup (the lr rises until the last step)"
    message = f"{against_run(ctx, window, key, written(length))}: {fitted}"
    suggestion = f"set {ctx.shown(fix)}, a tenth of the run"
    return ctx.finding(
        "LR003", step=window.stop_step - 1, key_path=key, message=message, suggestion=suggestion, fix=fix
    )


def _run_length_fix(ctx: CurveContext, window: Window, decays: list[Length]) -> tuple[tuple[str, Fix], ...]:
    """Lengthening the run to the schedule's own decay end, the one key that fixes a warmup and a
    decay both beyond the run (Megatron asserts warmup < decay: shortening one leaves the other)."""
    if not decays or not window.reaches_curve_end or ctx.plan.curve.segments:
        return ()
    decay = decays[0]
    fix = Fix(ctx.curve_key("total_step"), window.steps_for(decay.value))
    decay_key = ctx.key_name(window.key_path(decay.path))
    text = f"{decay_key} is beyond the run too: run the schedule's whole length, set {ctx.shown(fix)}"
    return ((text, fix),)


def _rises_to_the_end(ctx: CurveContext, window: Window) -> bool:
    """Whether some group's lr climbs from its start to its highest value at the window's last step."""
    for group in ctx.groups:
        values = ctx.lr(group)[window.first_step : window.stop_step]
        if values.size > 1 and values[0] < values[-1] and values[-1] >= np.max(values):
            return True
    return False


def _late(ctx: CurveContext, window: Window, length: Length, decays: list[Length]) -> Iterator[Finding]:
    if length.shape == "warmup" and _clipped_beyond(length, window):
        if _rises_to_the_end(ctx, window):  # a warmup from the peak itself (factor 1) changes nothing
            yield _all_warmup(ctx, window, length)
        return
    fix_key = window.key_path(length.path)
    for group in ctx.groups:
        values = ctx.lr(group)[window.first_step : window.stop_step]
        final = float(values[-1])
        initial = ctx.initial_lr(group)
        if length.shape == "warmup":
            peak = initial * (length.target if length.target is not None else 1.0)
            if peak <= 0 or final >= LATE_WARMUP_REACHED * peak:
                continue
            reached = (
                f"the warmup never finishes: the run ends at {share(final, peak)} of the peak lr {lr(peak)}"
            )
        else:
            peak = float(np.max(values))
            floor = length.floor if length.floor is not None else initial * (length.target or 0.0)
            if peak <= floor or (peak - final) >= LATE_DECAY_DONE * (peak - floor):
                continue
            reached = (
                f"the run ends {share(window.end - window.start, length.value - window.start)} of the way "
                f"through, with the lr at {lr(final)} ({share(final, peak)} of its peak) instead "
                f"of {lr(floor)}"
            )
        in_epochs = _as_steps(ctx, [length.value], window)
        alternatives: tuple[tuple[str, Fix], ...] = ()
        if in_epochs is not None:
            suggestion = (
                f"{ctx.key_name(fix_key)} looks like steps but the scheduler steps once per epoch: set "
                "interval: step, "
                f"or {ctx.shown(Fix(fix_key, in_epochs[0]))}"
            )
            fix = Fix(ctx.curve_key("interval"), "step")
            counted = (
                f"{ctx.key_name(fix_key)} counts scheduler steps, here epochs (one step() per epoch of "
                f"{steps(ctx.steps_per_epoch or 1)} batches)"
            )
            alternatives = (
                (
                    f"{counted}: set {ctx.shown(Fix(fix_key, window.end))}, the run's epochs",
                    Fix(fix_key, window.end),
                ),
                (f"{counted}: set {ctx.shown(Fix(fix_key, in_epochs[0]))}", Fix(fix_key, in_epochs[0])),
            )
        else:
            suggestion, fix = ctx.fix_length(window, length, window.end)
            run_fix = _run_length_fix(ctx, window, decays) if length.shape == "warmup" else ()
            if run_fix:  # shortening the warmup alone leaves the decay beyond the run: the run first
                alternatives = ((suggestion, fix),)
                (suggestion, fix), *_ = run_fix
        yield ctx.finding(
            "LR003",
            step=window.stop_step - 1,
            group=group,
            key_path=window.key_path(length.path),
            message=f"{against_run(ctx, window, fix_key, written(length))}: {reached}",
            suggestion=suggestion,
            fix=fix,
            alternatives=alternatives,
        )


def _scaled_into(declared: Milestones, end: int) -> list[int] | None:
    """Milestones all beyond the run, scaled (in their unit) so the last falls at MILESTONE_SCALE_AT
    of it: mmdetection's 2x milestones [16, 22] in a 12-epoch run become its 1x [8, 11]."""
    written = [float(value) for value in declared.written()]
    run = (end - declared.offset) / declared.per_unit
    if not written or max(written) <= 0 or run < 2:
        return None
    factor = MILESTONE_SCALE_AT * run / max(written)
    scaled = sorted({max(1, round(value * factor)) for value in written})
    return scaled if scaled[-1] < run else None


@check("LR004", "milestones the run never reaches (often steps written where epochs are stepped)")
def milestones_unreached(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.all_windows():
        declared = window.facts.milestones
        if declared is None:
            continue
        milestones = list(declared.values)
        beyond = [m for m in milestones if m > window.end]
        if not beyond:
            continue
        several = len(beyond) > 1
        effect = ""
        if declared.hands_over and window.plan.children:
            idle = [
                child.name.rsplit(".", 1)[-1]
                for child in window.plan.children[milestones.index(beyond[0]) + 1 :]
            ]
            effect = f", so {', '.join(idle)} never run{'' if len(idle) > 1 else 's'}"
        fix = None
        in_epochs = _as_steps(ctx, milestones, window) if declared.per_unit == 1 else None
        unit = "scheduler steps"
        if in_epochs is not None:
            suggestion = (
                "they look like steps but the scheduler steps once per epoch of "
                f"{steps(ctx.steps_per_epoch or 1)}: "
                f"set interval: step, or milestones: {in_epochs}"
            )
            fix = Fix(ctx.curve_key("interval"), "step")
        else:
            reached = [m for m in milestones if m not in beyond]
            suggestion = f"keep milestones within the run's {steps(window.end)} {unit}, or lengthen the run"
            if not declared.hands_over and reached:
                written = declared.written(reached)
                fix = Fix(window.key_path(declared.path), written)
                suggestion = (
                    f"drop them ({ctx.shown(fix)}) or move them within the run's {steps(window.end)} {unit}"
                )
            elif not declared.hands_over:
                scaled = _scaled_into(declared, window.end)
                if scaled is not None:
                    fix = Fix(window.key_path(declared.path), scaled)
                    suggestion = (
                        f"they were written for a longer run: scale them to this one, {ctx.shown(fix)} "
                        f"(the same shape, the last at {share(MILESTONE_SCALE_AT, 1)} of the run)"
                    )
        shown = ", ".join(
            steps(m) if declared.per_unit == 1 else f"{w:g} ({steps(m)} steps)"
            for m, w in zip(beyond, declared.written(beyond), strict=True)
        )
        yield ctx.finding(
            "LR004",
            step=None,
            key_path=window.key_path(declared.path),
            message=(
                f"{ctx.name_of(window)}'s {_singular(declared.keyword, several)} {shown} "
                f"{'are' if several else 'is'} never reached: the run steps it {steps(window.end)} "
                f"times{effect}"
            ),
            suggestion=suggestion,
            fix=fix,
        )
