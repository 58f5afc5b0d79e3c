"""The torch-free engine: a torch-free plan's constructed state, continued with torch's recurrences.

:mod:`lrplot.plan.free` computes what torch's constructors leave (param groups, the
scheduler's state after its first step); this module records and steps it with the same
recurrences the fast engine runs on torch-constructed objects (:mod:`lrplot.engines.fast`,
and :mod:`lrplot.plan.cycle_steps` for OneCycleLR, CyclicLR and SWALR), so the values are
torch's doubles. torch is never imported here.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from lrplot.config import scheduler_calls
from lrplot.engines import fast
from lrplot.engines.traces import non_finite_notes, zeros
from lrplot.errors import StepFailed
from lrplot.plan.construct import failed_step, torch_error
from lrplot.plan.cycle_steps import CYCLES, cyclic_step, one_cycle_step, swalr_step
from lrplot.plan.free import FREE_ENGINE, build_groups, construct_scheduler
from lrplot.plan.plans import CurvePlan
from lrplot.result import CurveResult, GroupTrace

_CHUNK = 1 << 16


def cycle_advance(scheduler: Any, kind: str, groups: list[dict[str, Any]]) -> Callable[[int], None]:
    """One ``scheduler.step()`` of a cycling scheduler (torch's object or a torch-free state)."""
    if kind == "OneCycleLR":
        return lambda epoch: one_cycle_step(scheduler, groups, epoch)
    if kind == "CyclicLR":
        return lambda epoch: cyclic_step(scheduler, groups, epoch)

    def swa(epoch: int) -> None:
        scheduler._step_count += 1
        swalr_step(scheduler, groups)

    return swa


def run_free_curve(
    curve_plan: CurvePlan,
    tick: Callable[[int], None] | None = None,
    groups: list[dict[str, Any]] | None = None,
    keep_stepping: bool = False,
) -> tuple[CurveResult, list[str], list[dict[str, Any]]]:
    """One torch-free curve, exactly as the torch engine runs it: each segment's scheduler
    constructed on the param groups as the previous one left them, recorded then stepped as
    the curve's interval says. ``groups`` continue an earlier curve's (``optimizer: {from:}``);
    ``keep_stepping`` takes the step after the last record, for a later curve to continue.
    Returns the result, notes, and the param groups as the run left them."""
    curve = curve_plan.curve
    steps = curve.total_step
    if groups is None:
        groups = build_groups(curve_plan)
    lr_traces = [zeros(steps) for _ in groups]
    cycling = any(
        _cycles_momentum(segment.scheduler.keywords, segment.scheduler.cls) for segment in curve_plan.segments
    )
    key = (
        ("betas" if "betas" in groups[0] else "momentum" if "momentum" in groups[0] else None)
        if cycling
        else None
    )
    momentum = [zeros(steps) for _ in groups] if key else None
    markers: list[int] = []
    offset = 0
    for index, segment in enumerate(curve_plan.segments):
        state = construct_scheduler(segment.scheduler, groups)
        start = state.last_epoch
        step_after_last = index < len(curve_plan.segments) - 1 or keep_stepping
        try:
            run_segment(
                state, groups, lr_traces, momentum, key, offset, segment.steps, curve, step_after_last, tick
            )
        except Exception as exc:
            raise torch_error(exc, curve_plan, "stepping", failed_step(exc), segment) from None
        if offset:
            markers.append(offset)
        markers += [
            offset + m
            for m in free_markers(state, segment.steps, start, curve.interval, curve.steps_per_epoch)
        ]
        offset += segment.steps
    traces = [
        GroupTrace(
            name=name,
            lr=np.frombuffer(lr_traces[i], dtype=np.float64),
            momentum=np.frombuffer(momentum[i], dtype=np.float64) if momentum else None,
        )
        for i, name in enumerate(curve_plan.group_names)
    ]
    result = CurveResult(
        label=curve.label,
        total_step=steps,
        scheduler=" → ".join(segment.scheduler.name for segment in curve_plan.segments),
        optimizer=curve_plan.source.curve.optimizer.name if curve_plan.source else curve.optimizer.name,
        groups=traces,
        steps_per_epoch=curve.steps_per_epoch,
        interval=curve.interval,
        markers=sorted(set(markers))[:1000],
        engine=FREE_ENGINE,
    )
    return result, non_finite_notes(curve.label, curve_plan.group_names, lr_traces), groups


def _cycles_momentum(keywords: dict[str, Any], cls: Any) -> bool:
    return cls.kind in ("OneCycleLR", "CyclicLR") and keywords.get("cycle_momentum", True)


def run_segment(
    state: Any,
    groups: list[dict[str, Any]],
    lr_traces: list[array],
    momentum: list[array] | None,
    key: str | None,
    offset: int,
    steps: int,
    curve: Any,
    step_after_last: bool,
    tick: Callable[[int], None] | None,
) -> None:
    """Record then step one segment (steps offset .. offset+steps-1) of a torch-free state or
    a torch-constructed scheduler (same attribute names), as the torch engine's loop does."""
    kind = fast.kind_of(state)
    if (
        curve.interval == "step"
        and momentum is None
        and offset == 0
        and not step_after_last
        and kind not in CYCLES
    ):
        fast.run(state, groups, lr_traces, steps, tick, _CHUNK)  # the common case, at full speed
        return
    if (
        kind == "OneCycleLR"
        and curve.interval == "step"
        and len(groups) == 1
        and offset == 0
        and not step_after_last
        and state.last_epoch + steps - 1 <= state.total_steps
    ):
        _one_cycle_scalar(state, groups[0], lr_traces[0], momentum[0] if momentum else None, key, steps, tick)
        return
    advance = _advance(state, kind, groups, curve.interval)
    per_epoch = curve.steps_per_epoch or 1
    interval = curve.interval
    end = offset + steps
    stop_stepping = end if step_after_last else end - 1
    step = offset
    try:
        for chunk_start in range(offset, end, _CHUNK):
            chunk_stop = min(chunk_start + _CHUNK, end)
            for step in range(chunk_start, chunk_stop):
                for trace, group in zip(lr_traces, groups, strict=True):
                    trace[step] = group["lr"]
                if momentum is not None:
                    for trace, group in zip(momentum, groups, strict=True):
                        trace[step] = group["betas"][0] if key == "betas" else group[key]
                if step < stop_stepping:
                    if interval == "step":
                        advance(None)
                    elif interval == "epoch":
                        if (step + 1) % per_epoch == 0:
                            advance(None)
                    else:
                        epoch, iteration = divmod(step, per_epoch)
                        advance(epoch + iteration / per_epoch)
            if tick is not None:
                tick(chunk_stop - chunk_start)
    except Exception as exc:
        raise StepFailed(step, exc) from exc


def _one_cycle_scalar(
    s: Any,
    group: dict[str, Any],
    lr_trace: array,
    momentum_trace: array | None,
    key: str | None,
    steps: int,
    tick: Callable[[int], None] | None,
) -> None:
    """One group of OneCycleLR stepped every step, phase by phase.

    OneCycleLR.get_lr depends on the step number only, so each phase is one loop over its
    steps (``step_num <= end_step`` is ``step_num <= floor(end_step)``) with
    lrplot.plan.cycle_steps.one_cycle_step's very operations; ``(start - end) / 2.0`` is
    computed once per phase, as the first operation of torch's expression.
    """
    cos, pi = math.cos, math.pi
    phases = s._schedule_phases
    linear = s._anneal_func_type != "cos"
    cycle = bool(s.cycle_momentum) and momentum_trace is not None
    first = s.last_epoch
    lr_trace[0] = group["lr"]
    if cycle:
        momentum_trace[0] = group["betas"][0] if key == "betas" else group[key]  # type: ignore[index]
    final = first + steps - 1  # the last step number recorded
    step_num = first + 1  # the next step number to compute
    start_step = 0.0
    for i, phase in enumerate(phases):
        if step_num > final:
            break
        end_step = phase["end_step"]
        stop = final if i == len(phases) - 1 else min(final, math.floor(end_step))
        if stop >= step_num:
            _one_cycle_phase(
                group, phase, start_step, end_step - start_step, step_num, stop, first,
                lr_trace, momentum_trace if cycle else None, linear, cos, pi,
            )  # fmt: skip
            step_num = stop + 1
        start_step = phase["end_step"]
    if tick is not None:
        tick(steps)
    if steps > 1:
        group["lr"] = lr_trace[steps - 1]
        if cycle:
            value = momentum_trace[steps - 1]  # type: ignore[index]
            group[key] = (value, *group["betas"][1:]) if key == "betas" else value  # type: ignore[index]
    s.last_epoch = final


def _one_cycle_phase(
    group: dict[str, Any],
    phase: dict[str, Any],
    start_step: float,
    span: float,
    begin: int,
    stop: int,
    first: int,
    lr_trace: array,
    momentum_trace: array | None,
    linear: bool,
    cos: Callable[[float], float],
    pi: float,
) -> None:
    """Step numbers ``begin..stop`` of one phase, written at index ``step_num - first``.

    torch computes each step as ``pct = (step_num - start_step) / span`` and then
    ``end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)`` (or ``(end - start) * pct +
    start``). Here the subtraction, division, products and sums run on float64 arrays, one IEEE
    operation per element in torch's order (numpy's element-wise ufuncs round each operation
    as Python does and never fuse them), and the cosine stays ``math.cos`` itself, mapped over
    the block once for lr and momentum: the very doubles of the scalar loop at a fraction of its
    time (1,000,000 steps with momentum: ~0.6 s -> ~0.15 s under load). Blocks of ``_CHUNK``
    steps bound the temporary memory.
    """
    traced = [(lr_trace, "start_lr", "end_lr")]
    if momentum_trace is not None:
        traced.append((momentum_trace, "start_momentum", "end_momentum"))
    annealed = []  # OneCycleLR anneals lr and momentum alike, with the same pct
    for trace, start_key, end_key in traced:
        start, end = group[phase[start_key]], group[phase[end_key]]
        annealed.append((memoryview(trace), start, end, end - start, (start - end) / 2.0))
    for low in range(begin, stop + 1, _CHUNK):
        high = min(stop + 1, low + _CHUNK)
        pct = (np.arange(low, high, dtype=np.float64) - start_step) / span
        if not linear:  # the cosine of one step is the same for lr and momentum: computed once
            cosines = np.fromiter(map(cos, (pi * pct).tolist()), dtype=np.float64, count=high - low) + 1
        for view, start, end, slope, half in annealed:
            values = slope * pct + start if linear else end + half * cosines
            view[low - first : high - first] = values.astype(np.float64, copy=False)


def _advance(state: Any, kind: str, groups: list[dict[str, Any]], interval: str) -> Callable[[Any], None]:
    """One ``scheduler.step()`` (or ``step(epoch)`` for the fractional interval) on the groups."""
    if kind in CYCLES:
        cycle = cycle_advance(state, kind, groups)

        def step_cycle(_: Any) -> None:
            state.last_epoch += 1
            cycle(state.last_epoch)

        return step_cycle
    if interval == "fractional_epoch":
        return lambda epoch: _warm_restarts_at(state, groups, epoch)
    recurrence = fast.recurrence(kind, state)

    def step(_: Any) -> None:
        lrs = [group["lr"] for group in groups]
        state.last_epoch += 1
        recurrence(lrs, state.last_epoch)
        for group, lr in zip(groups, lrs, strict=True):
            group["lr"] = lr

    return step


def _warm_restarts_at(s: Any, groups: list[dict[str, Any]], epoch: float) -> None:
    """CosineAnnealingWarmRestarts.step(epoch), as torch 2.13 writes it."""
    if epoch < 0:
        raise ValueError(f"Expected non-negative epoch, but got {epoch}")
    if epoch >= s.T_0:
        if s.T_mult == 1:
            s.T_cur = epoch % s.T_0
        else:
            n = int(math.log((epoch / s.T_0 * (s.T_mult - 1) + 1), s.T_mult))
            s.T_cur = epoch - s.T_0 * (s.T_mult**n - 1) / (s.T_mult - 1)
            s.T_i = s.T_0 * s.T_mult ** (n)
    else:
        s.T_i = s.T_0
        s.T_cur = epoch
    s.last_epoch = math.floor(epoch)
    lrs = [
        s.eta_min + (base_lr - s.eta_min) * (1 + math.cos(math.pi * s.T_cur / s.T_i)) / 2
        for base_lr in s.base_lrs
    ]
    for group, lr in zip(groups, lrs, strict=True):
        group["lr"] = lr


def free_markers(state: Any, steps: int, start: int, interval: str, per_epoch: int | None) -> list[int]:
    """Milestones and restarts as the torch engine marks them (``start`` is ``last_epoch``
    right after construction: recorded step 0 is that epoch)."""
    horizon = scheduler_calls(steps, interval, per_epoch, full=True) + start
    epochs: set[float] = set()
    # SequentialLR marks its milestones only; ChainedScheduler its children's too.
    chained = state._schedulers if state.kind == "ChainedScheduler" else []
    for s in [state, *chained]:
        kind = s.kind
        if kind == "SequentialLR":
            epochs.update(s._milestones)
        elif kind == "MultiStepLR":
            epochs.update(s.milestones)
        elif kind == "StepLR":
            epochs.update(range(s.step_size, horizon + 1, s.step_size))
        elif kind == "CosineAnnealingWarmRestarts":
            period, at = s.T_0, s.T_0
            while at <= horizon and len(epochs) < 10_000:
                epochs.add(at)
                period *= s.T_mult
                at += period
        elif kind == "OneCycleLR":
            epochs.update(int(phase["end_step"]) for phase in s._schedule_phases[:-1])
    scale = (per_epoch or 1) if interval in ("epoch", "fractional_epoch") else 1
    shift = 0 if interval == "fractional_epoch" else start
    positions = sorted({round((e - shift) * scale) for e in epochs})
    return [p for p in positions if 0 < p < steps][:1000]
