"""Building a curve's torch optimizer and scheduler, and what only the built objects can tell.

``lrplot validate`` and ``lrplot plot`` share this: construction is the last check made
before stepping (torch's own argument checks, OneCycleLR's length, the fractional-epoch
interval); torch's errors come back as one line naming the curve.
"""

from __future__ import annotations

import inspect
from typing import Any

from lrplot.config import scheduler_calls
from lrplot.errors import ExpressionError, LrplotError, StepFailed
from lrplot.expressions import CODE_FILENAME, shorten
from lrplot.plan.plans import CurvePlan, SegmentPlan


def construct(curve_plan: CurvePlan) -> tuple[Any, Any]:
    """Build a curve's torch optimizer and first scheduler and check they can run its length.

    ``lrplot validate`` calls this without stepping; torch's own errors come back wrapped
    with the curve's label.
    """
    optimizer = build_optimizer(curve_plan)
    return optimizer, construct_segment(curve_plan, curve_plan.segments[0], optimizer)


def build_optimizer(curve_plan: CurvePlan) -> Any:
    try:
        return curve_plan.build_optimizer()
    except Exception as exc:
        raise torch_error(exc, curve_plan, "construction", None) from None


def construct_segment(curve_plan: CurvePlan, segment: SegmentPlan, optimizer: Any) -> Any:
    try:
        scheduler = segment.scheduler.build(optimizer)
    except Exception as exc:
        raise torch_error(exc, curve_plan, "construction", None, segment) from None
    _check_interval(scheduler, curve_plan, segment)
    _check_one_cycle_length(scheduler, curve_plan, segment)
    return scheduler


def _check_interval(scheduler: Any, curve_plan: CurvePlan, segment: SegmentPlan) -> None:
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


def _check_one_cycle_length(scheduler: Any, curve_plan: CurvePlan, segment: SegmentPlan) -> None:
    from torch.optim.lr_scheduler import OneCycleLR

    # The training loop calls step() this many times; torch raises past total_steps.
    curve = curve_plan.curve
    calls = scheduler_calls(segment.steps, curve.interval, curve.steps_per_epoch, full=True)
    if isinstance(scheduler, OneCycleLR) and calls > scheduler.total_steps:
        per = ", once per epoch," if curve.interval == "epoch" else ""
        raise LrplotError(
            f"curve {curve.label!r}: a training loop of {segment.steps:,} iterations calls "
            f"scheduler.step(){per} {calls:,} times, so OneCycleLR needs total_steps >= {calls:,}, "
            f"but it has total_steps={scheduler.total_steps:,} and would raise at its last step; "
            f"set total_steps: {calls} (or lower total_step)",
            key_path=("curves", curve_plan.curve.index, "scheduler"),
        )


def failed_step(exc: BaseException) -> int | None:
    return exc.step if isinstance(exc, StepFailed) else None


def torch_error(
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
    if isinstance(cause, LrplotError) and not isinstance(cause, ExpressionError):
        # A driver's own check: its key path is relative to the scheduler it was given.
        return LrplotError(f"curve {label!r}: {cause.message}", key_path=(*key_path, *(cause.key_path or ())))
    if isinstance(cause, ExpressionError):
        where = f" while stepping from step {step} to {step + 1}" if step is not None else " at step 0"
        expression = _expression_in_traceback(cause)  # a guard (int size, round) refused at run time
        shown = expression and expression not in cause.message
        named = f" expression {shorten(expression)!r}" if shown else ""
        return LrplotError(f"curve {label!r}{named}{where}: {cause.message}", key_path=key_path)
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
    plan = segment.scheduler if segment else curve_plan.scheduler
    library = getattr(plan.cls, "library", "torch")  # a driver names the library it runs
    return LrplotError(
        f"curve {label!r}: {library} raised {type(cause).__name__} in {what}{at}: {text}", key_path=key_path
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


def with_curve(error: LrplotError, label: str) -> LrplotError:
    if not error.message.startswith("curve "):
        error.message = f"curve {label!r}: {error.message}"
    return error
