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

from lrplot.build import CurvePlan, allowed_imports, plan_curve, walk
from lrplot.config import Config, PlotOptions
from lrplot.errors import ExpressionError, LrplotError
from lrplot.expressions import CODE_FILENAME, shorten

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


@dataclass
class CurveResult:
    """One simulated curve."""

    label: str
    total_step: int
    scheduler: str
    optimizer: str
    groups: list[GroupTrace]

    @property
    def has_momentum(self) -> bool:
        return any(group.momentum is not None for group in self.groups)


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


def plan(config: Config, *, allow_imports: Sequence[str] = ()) -> list[CurvePlan]:
    """Check every curve (names, keywords, expressions, metric logs) before any runs."""
    allowed = allowed_imports(allow_imports)
    plans = []
    for curve in config.curves:
        try:
            plans.append(plan_curve(curve, base_dir=config.base_dir, allowed=allowed))
        except LrplotError as error:
            raise config.locate(_with_curve(error, curve.label)) from None
    return plans


def simulate(
    config: Config,
    *,
    allow_imports: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Run every curve of a validated config with real torch objects.

    ``allow_imports`` widens the modules a config may name classes from (torch.optim
    always); ``progress(done_steps, all_steps)`` is called after each curve.
    """
    plans = plan(config, allow_imports=allow_imports)
    for curve_plan in plans:
        _check_size(curve_plan, config)
    total = sum(p.curve.total_step for p in plans)
    curves, notes, done = [], [], 0
    for curve_plan in plans:
        try:
            result, curve_notes = run_curve(curve_plan)
        except LrplotError as error:
            raise config.locate(error) from None
        curves.append(result)
        notes.extend(curve_notes)
        done += curve_plan.curve.total_step
        if progress is not None:
            progress(done, total)
    return Result(curves=curves, title=config.title, plot=config.plot, warnings=notes)


def run_curve(curve_plan: CurvePlan) -> tuple[CurveResult, list[str]]:
    """Build the torch objects for one curve and step them, recording every group's lr."""
    curve = curve_plan.curve
    label = curve.label
    steps = curve.total_step
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            optimizer, scheduler = curve_plan.build()
        except Exception as exc:
            raise _torch_error(exc, curve_plan, "construction", None) from None
        _check_one_cycle_length(scheduler, steps, curve_plan)
        groups = optimizer.param_groups
        lr_traces = [_zeros(steps) for _ in groups]
        momentum_key = _momentum_key(scheduler, groups)
        momentum_traces = [_zeros(steps) for _ in groups] if momentum_key else []
        step_fn = _step_function(scheduler, curve_plan, groups)
        try:
            _loop(steps, groups, lr_traces, momentum_traces, momentum_key, step_fn)
        except Exception as exc:
            raise _torch_error(exc, curve_plan, "stepping", _failed_step(exc)) from None
    notes = sorted(
        {
            f"curve {label!r}: {w.category.__name__}: {w.message}"
            for w in caught
            if not _IGNORED_WARNINGS.search(str(w.message))
        }
    )
    traces = [
        GroupTrace(
            name=name,
            lr=np.frombuffer(lr_traces[i], dtype=np.float64),
            momentum=np.frombuffer(momentum_traces[i], dtype=np.float64) if momentum_key else None,
        )
        for i, name in enumerate(curve_plan.group_names)
    ]
    result = CurveResult(
        label=label,
        total_step=steps,
        scheduler=curve_plan.scheduler.name,
        optimizer=curve.optimizer.name,
        groups=traces,
    )
    return result, notes


def _zeros(steps: int) -> array:
    """A preallocated float64 buffer (8 bytes a step, no Python float objects)."""
    return array("d", [0.0]) * steps


class _StepFailed(Exception):
    """Carries the step at which torch raised, with the original exception as cause."""

    def __init__(self, step: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.step = step
        self.cause = cause


def _loop(
    steps: int,
    groups: list[dict[str, Any]],
    lr_traces: list[array],
    momentum_traces: list[array],
    momentum_key: str | None,
    step_fn: Callable[[int], None],
) -> int:
    """Record then step; the common single-group case has its own tight loop."""
    last = steps - 1
    if len(groups) == 1 and momentum_key is None:
        group, trace = groups[0], lr_traces[0]
        step = 0
        try:
            for step in range(last):
                trace[step] = group["lr"]
                step_fn(step)
        except Exception as exc:
            raise _StepFailed(step, exc) from exc
        trace[last] = group["lr"]
        return steps
    step = 0
    try:
        for step in range(steps):
            for group, trace in zip(groups, lr_traces, strict=True):
                trace[step] = group["lr"]
            if momentum_key == "betas":
                for group, trace in zip(groups, momentum_traces, strict=True):
                    trace[step] = group["betas"][0]
            elif momentum_key == "momentum":
                for group, trace in zip(groups, momentum_traces, strict=True):
                    trace[step] = group["momentum"]
            if step < last:
                step_fn(step)
    except Exception as exc:
        raise _StepFailed(step, exc) from exc
    return steps


def _step_function(
    scheduler: Any, curve_plan: CurvePlan, groups: list[dict[str, Any]]
) -> Callable[[int], None]:
    """``scheduler.step`` bound for the loop; ReduceLROnPlateau gets its metric."""
    metric = curve_plan.metric
    if metric is None:
        step = scheduler.step
        return lambda _i: step()
    plateau_step = scheduler.step
    if metric.values is not None:
        values = metric.values
        return lambda i: plateau_step(values[i])
    assert metric.expression is not None
    function = metric.expression.function
    first = groups[0]

    def step_with_expression(i: int) -> None:
        plateau_step(function(i, first["lr"]))

    return step_with_expression


def _momentum_key(scheduler: Any, groups: list[dict[str, Any]]) -> str | None:
    """'betas' or 'momentum' when some scheduler in the tree cycles momentum."""
    if not any(getattr(s, "cycle_momentum", False) for s in walk(scheduler)):
        return None
    return "betas" if "betas" in groups[0] else ("momentum" if "momentum" in groups[0] else None)


MAX_TOTAL_STEP = 100_000_000


def _check_size(curve_plan: CurvePlan, config: Config) -> None:
    """Refuse lengths that would take minutes and gigabytes, with the estimate."""
    steps = curve_plan.curve.total_step
    if steps > MAX_TOTAL_STEP:
        estimate = steps * len(curve_plan.groups) * 8
        raise config.locate(
            LrplotError(
                f"curve {curve_plan.curve.label!r}: total_step {steps:,} is above the limit of "
                f"{MAX_TOTAL_STEP:,}; it would need about {estimate / 2**30:.1f} GiB of memory "
                "and many minutes of stepping",
                key_path=("curves", curve_plan.curve.index, "total_step"),
            )
        )


def _check_one_cycle_length(scheduler: Any, steps: int, curve_plan: CurvePlan) -> None:
    from torch.optim.lr_scheduler import OneCycleLR

    # The training loop calls step() total_step times; torch raises past total_steps.
    if isinstance(scheduler, OneCycleLR) and steps > scheduler.total_steps:
        raise LrplotError(
            f"curve {curve_plan.curve.label!r}: total_step is {steps} but OneCycleLR's total_steps is "
            f"{scheduler.total_steps}; OneCycleLR cannot run past its total_steps "
            "(raise total_steps or lower total_step)",
            key_path=("curves", curve_plan.curve.index, "scheduler"),
        )


def _failed_step(exc: BaseException) -> int | None:
    return exc.step if isinstance(exc, _StepFailed) else None


def _torch_error(exc: BaseException, curve_plan: CurvePlan, phase: str, step: int | None) -> LrplotError:
    """Wrap an exception raised inside torch (or an expression) with the curve's label."""
    cause = exc.cause if isinstance(exc, _StepFailed) else exc
    label = curve_plan.curve.label
    key_path = ("curves", curve_plan.curve.index, "scheduler")
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
    what = f"{curve_plan.scheduler.name}" if phase == "stepping" else "building the optimizer/scheduler"
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


def simulate_file(path: str | Path, *, allow_imports: Sequence[str] = ()) -> Result:
    """Load and simulate a config file in one call."""
    from lrplot.config import load

    return simulate(load(path), allow_imports=allow_imports)
