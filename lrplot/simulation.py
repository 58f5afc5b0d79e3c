"""The stepping loop: validated config → :class:`Result` of float64 arrays.

Each curve runs exactly the loop the PyTorch docs and tutorials use::

    for step in range(total_step):
        record(group["lr"] for group in optimizer.param_groups)
        scheduler.step()          # scheduler.step(metric) for ReduceLROnPlateau

with real torch objects, so every value is the one torch produces. The final
``scheduler.step()`` would compute a value nobody records, so it is skipped: a curve of
``total_step`` N steps the scheduler N - 1 times and has N values.
"""

from __future__ import annotations

import re
import warnings
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrplot.build import CurvePlan, SchedulerPlan, SegmentPlan, allowed_imports, plan_curve, walk
from lrplot.config import Config, PlotOptions, scheduler_calls
from lrplot.errors import ExpressionError, LrplotError
from lrplot.expressions import CODE_FILENAME, shorten
from lrplot.fast import StepFailed

# torch warns when scheduler.step() runs before optimizer.step(); a simulation never
# takes optimizer steps, so the warning is noise here.
_IGNORED_WARNINGS = re.compile(
    r"Detected call of `lr_scheduler\.step\(\)` before `optimizer\.step\(\)`"
    r"|Seems like `optimizer\.step\(\)` has been overridden"
)


@dataclass
class GroupTrace:
    """One param group's recorded values, index = step."""

    name: str
    lr: np.ndarray
    momentum: np.ndarray | None = None
    weight_decay: np.ndarray | None = None


@dataclass
class CurveResult:
    """One simulated curve."""

    label: str
    total_step: int
    scheduler: str
    optimizer: str
    groups: list[GroupTrace]
    steps_per_epoch: int | None = None
    interval: str = "step"
    markers: list[int] = field(default_factory=list)
    reference: Any = None  # a reference.ReferenceLog drawn over this curve
    reference_group: int = 0
    engine: str = "torch"  # which engine computed the values: torch or fast

    @property
    def has_momentum(self) -> bool:
        return any(group.momentum is not None for group in self.groups)

    @property
    def has_weight_decay(self) -> bool:
        return any(group.weight_decay is not None for group in self.groups)


@dataclass
class Result:
    """What a simulation produced: arrays per curve and group, plus how to draw them."""

    curves: list[CurveResult]
    title: str | None = None
    plot: PlotOptions = field(default_factory=PlotOptions)
    warnings: list[str] = field(default_factory=list)

    @property
    def has_momentum(self) -> bool:
        return any(curve.has_momentum for curve in self.curves)

    @property
    def has_weight_decay(self) -> bool:
        return any(curve.has_weight_decay for curve in self.curves)

    @property
    def steps_per_epoch(self) -> int | None:
        """The curves' common steps_per_epoch, if they all share one (for an epoch axis)."""
        values = {curve.steps_per_epoch for curve in self.curves}
        return values.pop() if len(values) == 1 else None

    def to_csv(self, target: str | Path | Any | None = None) -> str | None:
        """The tidy CSV (``curve,group,step,lr[,momentum]``), repr-exact.

        To a path (written atomically) or an open text stream; without one, returned as text.
        """
        import io

        from lrplot.render.data import write_csv

        if target is None:
            stream = io.StringIO()
            write_csv(self, stream)
            return stream.getvalue()
        if isinstance(target, (str, Path)):
            from lrplot import write

            if Path(target).suffix.lower() != ".csv":
                raise LrplotError(f"{target}: to_csv writes a .csv file")
            write(self, target)
            return None
        write_csv(self, target)
        return None

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per curve, group and step: the CSV's rows as Python values."""
        rows = []
        for curve in self.curves:
            for group in curve.groups:
                momenta = group.momentum.tolist() if group.momentum is not None else None
                for step, lr in enumerate(group.lr.tolist()):
                    row: dict[str, Any] = {"curve": curve.label, "group": group.name, "step": step, "lr": lr}
                    if momenta is not None:
                        row["momentum"] = momenta[step]
                    rows.append(row)
        return rows

    def summary(self) -> list[dict[str, Any]]:
        """The summary numbers per curve and group (what ``lrplot plot --json`` prints)."""
        from lrplot.render.table import records

        return records(self)


Progress = Callable[[int, int], None]


def plan(config: Config, *, allow_imports: Sequence[str] = (), force: bool = False) -> list[CurvePlan]:
    """Check every curve (names, keywords, expressions, metric logs, size) before any runs.

    ``force`` lifts the limits on length and memory.
    """
    allowed = allowed_imports(allow_imports)
    plans: list[CurvePlan] = []
    for curve in config.curves:
        try:
            earlier = {p.curve.label: p for p in plans}
            plans.append(plan_curve(curve, base_dir=config.base_dir, allowed=allowed, earlier=earlier))
        except LrplotError as error:
            raise config.locate(_with_curve(error, curve.label)) from None
    if not force:
        for curve_plan in plans:
            _check_size(curve_plan, config)
        _check_memory(plans)
    return plans


def simulate(
    config: Config,
    *,
    allow_imports: Sequence[str] = (),
    progress: Progress | None = None,
    workers: int | None = None,
    force: bool = False,
    engine: str = "auto",
    plans: list[CurvePlan] | None = None,
) -> Result:
    """Run every curve of a validated config with real torch objects.

    ``allow_imports`` widens the modules a config may name classes from (torch.optim
    always). ``progress(done_steps, all_steps)`` is called as the work advances.
    ``workers`` > 1 simulates curves in parallel processes (None: decide from the work;
    the values are identical either way). ``engine``: ``torch`` steps real torch objects,
    ``fast`` the exact fast engine (refused where it does not apply), ``auto`` the fast
    engine wherever the tests verified it bit for bit. ``plans`` are this config's plans
    from :func:`plan`, when the caller checked several configs before running any.
    """
    if engine not in ENGINES:
        raise LrplotError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if plans is None:
        plans = plan(config, allow_imports=allow_imports, force=force)
    total = sum(p.curve.total_step for p in plans)
    chained = any(p.source is not None for p in plans)  # later curves need earlier optimizers
    count = workers if workers is not None else auto_workers([_work(p, engine) for p in plans])
    if count > 1 and len(plans) > 1 and not chained:
        from lrplot.parallel import run_parallel

        outcomes = run_parallel(config, allow_imports, count, progress, engine)
    else:
        outcomes = []
        done = 0

        def tick(steps: int) -> None:
            nonlocal done
            done += steps
            if progress is not None:
                progress(done, total)

        sources = {id(p.source) for p in plans if p.source is not None}
        optimizers: dict[int, Any] = {}
        for curve_plan in plans:
            try:
                result, curve_notes, optimizer = run_curve(
                    curve_plan,
                    tick=tick,
                    optimizer=optimizers.get(id(curve_plan.source)),
                    keep_stepping=id(curve_plan) in sources,
                    engine=engine,
                )
            except LrplotError as error:
                raise config.locate(error) from None
            optimizers[id(curve_plan)] = optimizer
            outcomes.append((result, curve_notes))
    curves = [curve for curve, _ in outcomes]
    notes = [*config.notes, *(note for _, curve_notes in outcomes for note in curve_notes)]
    return Result(curves=curves, title=config.title, plot=config.plot, warnings=notes)


# Parallel runs pay a process start (~1-2 s with torch); worth it only for long curves:
# at least this many torch-engine steps (the fast engine counts ~10x less per step).
PARALLEL_MIN_STEPS = 400_000
_FAST_STEP_COST = 0.1


def _work(curve_plan: CurvePlan, engine: str) -> float:
    """A curve's work in torch-engine steps, for deciding whether to run curves in parallel."""
    try:
        fast = _use_fast(curve_plan, engine, [], keep_stepping=False)
    except LrplotError:
        fast = False
    return curve_plan.curve.total_step * (_FAST_STEP_COST if fast else 1.0)


def auto_workers(work: list[float]) -> int:
    """How many processes to use: one per long curve, up to the machine's cores."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    long_curves = sum(1 for amount in work if amount >= PARALLEL_MIN_STEPS)
    return min(cores, long_curves) if long_curves >= 2 else 1


def run_curve(
    curve_plan: CurvePlan,
    *,
    tick: Callable[[int], None] | None = None,
    optimizer: Any = None,
    keep_stepping: bool = False,
    engine: str = "auto",
) -> tuple[CurveResult, list[str], Any]:
    """Build the torch objects for one curve and step them, recording every group's values.

    ``optimizer`` continues an earlier curve's optimizer (``optimizer: {from: ...}``).
    ``keep_stepping`` takes the last ``scheduler.step()`` too, as the training loop does, so a
    later curve continues from exactly where this one's run left the optimizer. Segments
    run one after another on the same optimizer, each scheduler built at its boundary.
    Returns the result, notes for the user, and the optimizer as the run left it.
    """
    curve = curve_plan.curve
    label = curve.label
    steps = curve.total_step
    markers: list[int] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        if optimizer is None:
            optimizer = _build_optimizer(curve_plan)
        groups = optimizer.param_groups
        lr_traces = [_zeros(steps) for _ in groups]
        recorders = _recorders(curve_plan, groups, steps)
        offset = 0
        use_fast = _use_fast(curve_plan, engine, recorders, keep_stepping)
        for index, segment in enumerate(curve_plan.segments):
            scheduler = _construct_segment(curve_plan, segment, optimizer)
            start_epoch = getattr(scheduler, "last_epoch", 0)
            step_fn = _step_function(scheduler, curve_plan, segment, groups)
            step_after_last = index < len(curve_plan.segments) - 1 or keep_stepping
            try:
                if use_fast:
                    from lrplot import fast

                    fast.run(scheduler, groups, lr_traces, segment.steps, tick, _CHUNK, _metric_at(segment))
                else:
                    _loop(offset, segment.steps, groups, lr_traces, recorders, step_fn, tick, step_after_last)
            except Exception as exc:
                raise _torch_error(exc, curve_plan, "stepping", _failed_step(exc), segment) from None
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
    notes += _non_finite_notes(label, curve_plan.group_names, lr_traces)
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
        reference_group=_reference_group(curve_plan),
        engine="fast" if use_fast else "torch",
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


def _use_fast(curve_plan: CurvePlan, engine: str, recorders: list[Any], keep_stepping: bool) -> bool:
    """Whether the exact fast engine draws this curve: auto uses it wherever it is verified."""
    from lrplot import fast

    if engine == "torch":
        return False
    reasons = []
    segment = curve_plan.segments[0]
    if not fast.torch_verified():
        import torch

        reasons.append(f"it is not verified for torch {torch.__version__}")
    if not fast.covers(segment.scheduler.cls, segment.scheduler.children):
        reasons.append(
            f"it does not cover {segment.scheduler.name} (it covers {', '.join(fast.covered_names())})"
        )
    if len(curve_plan.segments) > 1 or curve_plan.source is not None or keep_stepping:
        reasons.append("it does not run segments or continued optimizers")
    if curve_plan.curve.interval != "step" or recorders:
        reasons.append("it steps every step only, without extra recorded values")
    if not reasons:
        return True
    if engine == "fast":
        raise LrplotError(
            f"curve {curve_plan.curve.label!r}: --engine fast cannot draw this curve: {reasons[0]}; "
            "use --engine auto",
            key_path=("curves", curve_plan.curve.index, "scheduler"),
        )
    return False


def construct(curve_plan: CurvePlan) -> tuple[Any, Any]:
    """Build a curve's torch optimizer and first scheduler and check they can run its length.

    ``lrplot validate`` calls this without stepping; torch's own errors come back wrapped
    with the curve's label.
    """
    optimizer = _build_optimizer(curve_plan)
    return optimizer, _construct_segment(curve_plan, curve_plan.segments[0], optimizer)


def _build_optimizer(curve_plan: CurvePlan) -> Any:
    try:
        return curve_plan.build_optimizer()
    except Exception as exc:
        raise _torch_error(exc, curve_plan, "construction", None) from None


def _construct_segment(curve_plan: CurvePlan, segment: SegmentPlan, optimizer: Any) -> Any:
    try:
        scheduler = segment.scheduler.build(optimizer)
    except Exception as exc:
        raise _torch_error(exc, curve_plan, "construction", None, segment) from None
    _check_interval(scheduler, curve_plan, segment)
    _check_one_cycle_length(scheduler, curve_plan, segment)
    return scheduler


def _non_finite_notes(label: str, names: list[str], traces: list[array]) -> list[str]:
    """inf/NaN learning rates (an expression can make them): where they start, how many."""
    notes = []
    for name, trace in zip(names, traces, strict=True):
        values = np.frombuffer(trace, dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            first = int(np.argmax(bad))
            group = f" group {name!r}" if len(names) > 1 else ""
            notes.append(
                f"curve {label!r}{group}: the lr is {float(values[first])!r} from step {first} "
                f"({int(bad.sum()):,} non-finite values); the figure leaves them out, the CSV keeps them"
            )
    return notes


def _reference_group(curve_plan: CurvePlan) -> int:
    """Which param group a reference log is compared with (by name or index)."""
    reference = curve_plan.reference
    if reference is None:
        return 0
    names = curve_plan.group_names
    wanted = str(reference.group)
    if wanted in names:
        return names.index(wanted)
    if isinstance(reference.group, int) and 0 <= reference.group < len(names):
        return reference.group
    raise LrplotError(
        f"curve {curve_plan.curve.label!r}: reference group {reference.group!r} is not one of {names}",
        key_path=("curves", curve_plan.curve.index, "reference"),
    )


def _zeros(steps: int) -> array:
    """A preallocated float64 buffer (8 bytes a step, no Python float objects)."""
    return array("d", [0.0]) * steps


@dataclass
class _Recorder:
    """Records one extra per-group value (beta1, momentum, weight decay) at every step."""

    key: str
    group_index: int
    trace: array


def _recorders(curve_plan: CurvePlan, groups: list[dict[str, Any]], steps: int) -> list[_Recorder]:
    recorders = []
    plans = [segment.scheduler for segment in curve_plan.segments]
    if any(_cycles_momentum(p) for p in plans):
        key = "betas" if "betas" in groups[0] else ("momentum" if "momentum" in groups[0] else None)
        if key:
            recorders += [_Recorder(key, i, _zeros(steps)) for i in range(len(groups))]
    if any(_may_change_weight_decay(p) for p in plans) and all("weight_decay" in g for g in groups):
        recorders += [_Recorder("weight_decay", i, _zeros(steps)) for i in range(len(groups))]
    return recorders


def _cycles_momentum(plan: SchedulerPlan) -> bool:
    """CyclicLR and OneCycleLR cycle momentum unless cycle_momentum: false."""
    from torch.optim.lr_scheduler import CyclicLR, OneCycleLR

    own = (
        isinstance(plan.cls, type)
        and issubclass(plan.cls, (CyclicLR, OneCycleLR))
        and plan.keywords.get("cycle_momentum", True)
    )
    return bool(own) or any(_cycles_momentum(child) for child in plan.children)


def _grouped(recorders: list[_Recorder]) -> dict[str, list[array]]:
    grouped: dict[str, list[array]] = {}
    for recorder in recorders:
        grouped.setdefault(recorder.key, []).append(recorder.trace)
    return grouped


def _may_change_weight_decay(plan: SchedulerPlan) -> bool:
    """Built-in torch schedulers never touch weight decay; a user's own class might."""
    own = not getattr(plan.cls, "__module__", "").startswith(("torch.optim", "transformers"))
    return own or any(_may_change_weight_decay(child) for child in plan.children)


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
        elif isinstance(s, L.StepLR) and s.step_size > 0:
            epochs.update(range(s.step_size, horizon + 1, s.step_size))
        elif isinstance(s, L.CosineAnnealingWarmRestarts):
            period, at = s.T_0, s.T_0
            while at <= horizon and len(epochs) < 10_000:
                epochs.add(at)
                period *= s.T_mult
                at += period
        elif isinstance(s, L.OneCycleLR):
            epochs.update(int(phase["end_step"]) for phase in s._schedule_phases[:-1])
    per_epoch = curve.steps_per_epoch or 1
    scale = per_epoch if curve.interval in ("epoch", "fractional_epoch") else 1
    offset = 0 if curve.interval == "fractional_epoch" else start
    positions = sorted({round((e - offset) * scale) for e in epochs})
    return [p for p in positions if 0 < p < segment.steps][:1000]


def _check_interval(scheduler: Any, curve_plan: CurvePlan, segment: SegmentPlan) -> None:
    import inspect

    if curve_plan.curve.interval != "fractional_epoch":
        return
    parameters = inspect.signature(scheduler.step).parameters
    if segment.metric is not None or "epoch" not in parameters:
        raise LrplotError(
            f"curve {curve_plan.curve.label!r}: interval fractional_epoch calls "
            f"scheduler.step(epoch + i / iters), which {segment.scheduler.name} does not take "
            "(it is meant for CosineAnnealingWarmRestarts)",
            key_path=("curves", curve_plan.curve.index, "interval"),
        )


MAX_TOTAL_STEP = 100_000_000


def _check_size(curve_plan: CurvePlan, config: Config) -> None:
    """Refuse a curve longer than MAX_TOTAL_STEP (minutes of stepping), with the estimate."""
    steps = curve_plan.curve.total_step
    if steps > MAX_TOTAL_STEP:
        raise config.locate(
            LrplotError(
                f"curve {curve_plan.curve.label!r}: total_step {steps:,} is above the limit of "
                f"{MAX_TOTAL_STEP:,} (about {_estimate_bytes([curve_plan]) / 2**30:.1f} GiB and many "
                "minutes of stepping); use --force to run it anyway",
                key_path=("curves", curve_plan.curve.index, "total_step"),
            )
        )


# Bytes per recorded value: the float64 itself, plus what the CSV text and the drawing take.
_BYTES_PER_VALUE = 8 * 3
MEMORY_SHARE = 0.5


def _estimate_bytes(plans: list[CurvePlan]) -> int:
    return sum(p.curve.total_step * len(p.groups) * _BYTES_PER_VALUE for p in plans)


def _check_memory(plans: list[CurvePlan]) -> None:
    """Refuse a run whose values would not fit in half of this machine's memory."""
    import os

    try:
        available = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    estimate = _estimate_bytes(plans)
    if estimate > MEMORY_SHARE * available:
        raise LrplotError(
            f"these curves would need about {estimate / 2**30:.1f} GiB, more than half of this machine's "
            f"{available / 2**30:.1f} GiB; lower total_step or use --force to run it anyway"
        )


def _check_one_cycle_length(scheduler: Any, curve_plan: CurvePlan, segment: SegmentPlan) -> None:
    from torch.optim.lr_scheduler import OneCycleLR

    # The training loop calls step() this many times; torch raises past total_steps.
    curve = curve_plan.curve
    calls = scheduler_calls(segment.steps, curve.interval, curve.steps_per_epoch, full=True)
    if isinstance(scheduler, OneCycleLR) and calls > scheduler.total_steps:
        per = " (once per epoch)" if curve.interval == "epoch" else ""
        raise LrplotError(
            f"curve {curve.label!r}: {segment.steps} steps step OneCycleLR {calls} times{per} "
            f"but its total_steps is {scheduler.total_steps}; OneCycleLR cannot run past its "
            "total_steps (raise total_steps or lower total_step)",
            key_path=("curves", curve_plan.curve.index, "scheduler"),
        )


def _failed_step(exc: BaseException) -> int | None:
    return exc.step if isinstance(exc, StepFailed) else None


def _torch_error(
    exc: BaseException,
    curve_plan: CurvePlan,
    phase: str,
    step: int | None,
    segment: SegmentPlan | None = None,
) -> LrplotError:
    """Wrap an exception raised inside torch (or an expression) with the curve's label."""
    cause = exc.cause if isinstance(exc, StepFailed) else exc
    label = curve_plan.curve.label
    key_path = (*(segment.key_path if segment else ("curves", curve_plan.curve.index)), "scheduler")
    if isinstance(cause, ExpressionError):
        where = f" while stepping from step {step} to {step + 1}" if step is not None else ""
        return LrplotError(f"curve {label!r}{where}: {cause.message}", key_path=key_path)
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    if isinstance(cause, KeyError) and "initial_lr" in str(cause):
        return LrplotError(
            f"curve {label!r}: a scheduler resumed with last_epoch != -1 needs initial_lr in every "
            "param group; set optimizer.initial_lr (or initial_lr per param group)",
            key_path=key_path,
        )
    expression = _expression_in_traceback(cause)
    if expression is not None:
        at = f" while stepping from step {step} to {step + 1}" if step is not None else " at step 0"
        return LrplotError(
            f"curve {label!r}: expression {shorten(expression)!r} failed{at}: {type(cause).__name__}: {text}",
            key_path=key_path,
        )
    name = segment.scheduler.name if segment else curve_plan.scheduler.name
    what = name if phase == "stepping" else "building the optimizer/scheduler"
    at = f" at step {step}" if step is not None else ""
    return LrplotError(
        f"curve {label!r}: torch raised {type(cause).__name__} in {what}{at}: {text}", key_path=key_path
    )


def _expression_in_traceback(exc: BaseException) -> str | None:
    """The source of the config expression the exception was raised in, if any."""
    prefix = CODE_FILENAME[:-1] + " "
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(prefix):
            return filename[len(prefix) : -1]
        tb = tb.tb_next
    return None


def _with_curve(error: LrplotError, label: str) -> LrplotError:
    if not error.message.startswith("curve "):
        error.message = f"curve {label!r}: {error.message}"
    return error
