"""The torch engine: one curve's plan → its recorded values, stepping real torch objects.

Each curve runs exactly the loop the PyTorch docs and tutorials use::

    for step in range(total_step):
        record(group["lr"] for group in optimizer.param_groups)
        scheduler.step()          # scheduler.step(metric) for ReduceLROnPlateau

with real torch objects, so every value is the one torch produces. The final
``scheduler.step()`` would compute a value nobody records, so it is skipped: a curve of
``total_step`` N steps the scheduler N - 1 times and has N values.
"""

from __future__ import annotations

import math
import re
import warnings
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lrplot.config import scheduler_calls
from lrplot.engines.traces import non_finite_notes, zeros
from lrplot.errors import LrplotError, StepFailed
from lrplot.plan.choice import simple
from lrplot.plan.classes import walk
from lrplot.plan.construct import build_optimizer, construct_segment, failed_step, torch_error
from lrplot.plan.plans import FAST_ENGINE, TORCH_ENGINE, CurvePlan, SegmentPlan
from lrplot.result import CurveResult, GroupTrace

# torch warns when scheduler.step() runs before optimizer.step(); a simulation never
# takes optimizer steps, so the warning is noise here.
_IGNORED_WARNINGS = re.compile(
    r"Detected call of `lr_scheduler\.step\(\)` before `optimizer\.step\(\)`"
    r"|Seems like `optimizer\.step\(\)` has been overridden"
)


def run_curve(
    curve_plan: CurvePlan,
    *,
    tick: Callable[[int], None] | None = None,
    optimizer: Any = None,
) -> tuple[CurveResult, list[str], Any]:
    """Build the torch objects for one curve and step them, recording every group's values.

    The planner chose how (``curve_plan.engine``, :mod:`lrplot.plan.choice`): ``fast``
    continues the constructed objects with torch's recurrences, ``torch`` steps them.
    ``optimizer`` continues an earlier curve's optimizer (``optimizer: {from: ...}``).
    A curve a later one continues (``curve_plan.keep_stepping``) takes the last
    ``scheduler.step()`` too, as the training loop does, so the later curve starts from
    exactly where this one's run left the optimizer. Segments run one after another on the
    same optimizer, each scheduler built at its boundary.
    Returns the result, notes for the user, and the optimizer as the run left it.
    """
    curve = curve_plan.curve
    label = curve.label
    steps = curve.total_step
    markers: list[int] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        if optimizer is None:
            optimizer = build_optimizer(curve_plan)
        groups = optimizer.param_groups
        lr_traces = [zeros(steps) for _ in groups]
        recorders = _recorders(curve_plan, groups, steps)
        offset = 0
        use_fast = curve_plan.engine == FAST_ENGINE
        for index, segment in enumerate(curve_plan.segments):
            scheduler = construct_segment(curve_plan, segment, optimizer)
            start_epoch = getattr(scheduler, "last_epoch", 0)
            step_fn = _step_function(scheduler, curve_plan, segment, groups)
            step_after_last = index < len(curve_plan.segments) - 1 or curve_plan.keep_stepping
            try:
                if use_fast and simple(curve_plan):
                    from lrplot.engines import fast

                    fast.run(scheduler, groups, lr_traces, segment.steps, tick, _CHUNK, _metric_at(segment))
                elif use_fast:  # cycles, segments, epoch intervals, continued optimizers
                    from lrplot.engines.free import run_segment

                    momentum = [r.trace for r in recorders] if recorders else None
                    key = recorders[0].key if recorders else None
                    run_segment(
                        scheduler,
                        groups,
                        lr_traces,
                        momentum,
                        key,
                        offset,
                        segment.steps,
                        curve,
                        step_after_last,
                        tick,
                    )
                else:
                    _loop(offset, segment.steps, groups, lr_traces, recorders, step_fn, tick, step_after_last)
            except Exception as exc:
                raise torch_error(exc, curve_plan, "stepping", failed_step(exc), segment) from None
            if offset:
                markers.append(offset)
            markers += [offset + m for m in _markers(scheduler, curve_plan, segment, start_epoch)]
            offset += segment.steps
    notes = sorted(
        {
            f"curve {label!r}: {w.category.__name__}: {w.message}"
            for w in caught
            if not _IGNORED_WARNINGS.search(str(w.message))
        }
    )
    notes += non_finite_notes(label, curve_plan.group_names, lr_traces)
    recorded = _grouped(recorders)
    momentum = recorded.get("betas") or recorded.get("momentum")
    decay = recorded.get("weight_decay")
    if decay is not None and all(len(set(trace)) <= 1 for trace in decay):
        decay = None  # weight decay is drawn only where a scheduler changed it
    traces = [
        GroupTrace(
            name=name,
            lr=np.frombuffer(lr_traces[i], dtype=np.float64),
            momentum=np.frombuffer(momentum[i], dtype=np.float64) if momentum else None,
            weight_decay=np.frombuffer(decay[i], dtype=np.float64) if decay else None,
        )
        for i, name in enumerate(curve_plan.group_names)
    ]
    reference_groups = _reference_groups(curve_plan)
    result = CurveResult(
        label=label,
        total_step=steps,
        scheduler=" → ".join(s.scheduler.name for s in curve_plan.segments),
        optimizer=curve_plan.source.curve.optimizer.name if curve_plan.source else curve.optimizer.name,
        groups=traces,
        steps_per_epoch=curve.steps_per_epoch,
        interval=curve.interval,
        markers=sorted(set(markers))[:1000],
        reference=curve_plan.reference,
        reference_group=reference_groups[0],
        reference_groups=reference_groups,
        engine=FAST_ENGINE if use_fast else TORCH_ENGINE,
        fallback=curve_plan.slow_reason,
    )
    return result, notes, optimizer


ENGINES = ("auto", "torch", "fast")


def _metric_at(segment: SegmentPlan) -> Callable[[int, float], Any] | None:
    """ReduceLROnPlateau's metric after step ``i`` (stepped every step: call i is step i)."""
    metric = segment.metric
    if metric is None:
        return None
    value = metric.value
    return lambda i, lr: value(i, i, lr)


def _reference_groups(curve_plan: CurvePlan) -> list[int]:
    """Which param group each logged lr series is compared with (by name, else by index)."""
    reference = curve_plan.reference
    if reference is None:
        return [0]
    names = curve_plan.group_names
    found = []
    for series in reference.series:
        wanted = str(series.group)
        if wanted in names:
            found.append(names.index(wanted))
        elif isinstance(series.group, int) and 0 <= series.group < len(names):
            found.append(series.group)
        else:
            raise LrplotError(
                f"curve {curve_plan.curve.label!r}: the log's {series.name} is for param group "
                f"{series.group!r}, not one of {names}",
                key_path=("curves", curve_plan.curve.index, "reference"),
            )
    return found


@dataclass
class _Recorder:
    """Records one extra per-group value (beta1, momentum, weight decay) at every step."""

    key: str
    group_index: int
    trace: array


def _recorders(curve_plan: CurvePlan, groups: list[dict[str, Any]], steps: int) -> list[_Recorder]:
    """The planner's records (``curve_plan.records``) for the optimizer's groups: beta1 where
    they have betas, else momentum; weight decay where every group has it."""
    recorders = []
    if "momentum" in curve_plan.records:
        key = "betas" if "betas" in groups[0] else ("momentum" if "momentum" in groups[0] else None)
        if key:
            recorders += [_Recorder(key, i, zeros(steps)) for i in range(len(groups))]
    if "weight_decay" in curve_plan.records and all("weight_decay" in g for g in groups):
        recorders += [_Recorder("weight_decay", i, zeros(steps)) for i in range(len(groups))]
    return recorders


def _grouped(recorders: list[_Recorder]) -> dict[str, list[array]]:
    grouped: dict[str, list[array]] = {}
    for recorder in recorders:
        grouped.setdefault(recorder.key, []).append(recorder.trace)
    return grouped


_CHUNK = 1 << 16


def _loop(
    offset: int,
    count: int,
    groups: list[dict[str, Any]],
    lr_traces: list[array],
    recorders: list[_Recorder],
    step_fn: Callable[[int], None],
    tick: Callable[[int], None] | None,
    step_after_last: bool,
) -> None:
    """Record then step, for steps offset .. offset+count-1, in chunks (for progress).

    The step after the last record is taken only when ``step_after_last`` (a following
    segment or curve continues the optimizer). One group and nothing extra to record runs
    a tight loop.
    """
    end = offset + count
    stop_stepping = end if step_after_last else end - 1
    step = offset
    try:
        for start in range(offset, end, _CHUNK):
            stop = min(start + _CHUNK, end)
            if len(groups) == 1 and not recorders:
                group, trace = groups[0], lr_traces[0]
                plain = getattr(step_fn, "plain_step", None)
                if plain is not None:  # the common case: no index needed, no wrapper call
                    for step in range(start, min(stop, stop_stepping)):
                        trace[step] = group["lr"]
                        plain()
                else:
                    for step in range(start, min(stop, stop_stepping)):
                        trace[step] = group["lr"]
                        step_fn(step)
                if stop > stop_stepping:
                    step = end - 1
                    trace[step] = group["lr"]
            else:
                for step in range(start, stop):
                    for group, trace in zip(groups, lr_traces, strict=True):
                        trace[step] = group["lr"]
                    for recorder in recorders:
                        group = groups[recorder.group_index]
                        value = group["betas"][0] if recorder.key == "betas" else group[recorder.key]
                        recorder.trace[step] = value
                    if step < stop_stepping:
                        step_fn(step)
            if tick is not None:
                tick(stop - start)
    except Exception as exc:
        raise StepFailed(step, exc) from exc


def _step_function(
    scheduler: Any, curve_plan: CurvePlan, segment: SegmentPlan, groups: list[dict[str, Any]]
) -> Callable[[int], None]:
    """What runs after recording step ``i``: ``scheduler.step()`` as the curve's interval says.

    ``i`` is the curve's step; epochs count from the curve's start, a metric log's rows
    from the segment's start.
    """
    curve = curve_plan.curve
    per_epoch = curve.steps_per_epoch or 1
    metric = segment.metric
    if metric is None:
        step = scheduler.step
        if curve.interval == "epoch":
            return lambda i: step() if (i + 1) % per_epoch == 0 else None
        if curve.interval == "fractional_epoch":

            def fractional(i: int) -> None:
                epoch, iteration = divmod(i, per_epoch)
                step(epoch + iteration / per_epoch)  # the documented step(epoch + i / iters)

            return fractional

        def every_step(_i: int) -> None:
            step()

        every_step.plain_step = step  # type: ignore[attr-defined]
        return every_step
    plateau_step = scheduler.step
    calls = 0
    first = groups[0]
    value = metric.value

    def step_with_metric(i: int) -> None:
        nonlocal calls
        if curve.interval == "epoch" and (i + 1) % per_epoch:
            return
        plateau_step(value(calls, i, first["lr"]))
        calls += 1

    return step_with_metric


def _markers(scheduler: Any, curve_plan: CurvePlan, segment: SegmentPlan, start: int) -> list[int]:
    """Steps where the schedule has a milestone or restart, for faint vertical lines.

    ``start`` is the scheduler's ``last_epoch`` right after construction (0 fresh, L + 1
    when resumed with last_epoch L): recorded step 0 is that epoch.
    """
    from torch.optim import lr_scheduler as L

    curve = curve_plan.curve
    horizon = scheduler_calls(segment.steps, curve.interval, curve.steps_per_epoch, full=True) + start
    epochs: set[float] = set()
    for s in [scheduler] if isinstance(scheduler, L.SequentialLR) else walk(scheduler):
        if isinstance(s, L.SequentialLR):
            epochs.update(s._milestones)
        elif isinstance(s, L.MultiStepLR):
            epochs.update(s.milestones)
        elif isinstance(s, L.StepLR) and _whole(s.step_size) and s.step_size > 0:
            epochs.update(range(s.step_size, horizon + 1, s.step_size))
        elif isinstance(s, L.CosineAnnealingWarmRestarts):
            period, at = s.T_0, s.T_0
            while at <= horizon and len(epochs) < 10_000:
                epochs.add(at)
                period *= s.T_mult
                at += period
        elif isinstance(s, L.OneCycleLR):
            epochs.update(int(phase["end_step"]) for phase in s._schedule_phases[:-1])
    # torch checks none of these types, and a curve too short to step where they matter is
    # drawn as torch runs it: a milestone that is not a number is no marker (a list as
    # StepLR's step_size, found by fuzzing, made this a TypeError after a clean run).
    epochs = {e for e in epochs if _whole(e) or (isinstance(e, float) and math.isfinite(e))}
    per_epoch = curve.steps_per_epoch or 1
    scale = per_epoch if curve.interval in ("epoch", "fractional_epoch") else 1
    offset = 0 if curve.interval == "fractional_epoch" else start
    positions = sorted({round((e - offset) * scale) for e in epochs})
    return [p for p in positions if 0 < p < segment.steps][:1000]


def _whole(value: Any) -> bool:
    """An int (not a bool): what a milestone must be to be a marker."""
    return isinstance(value, int) and not isinstance(value, bool)
