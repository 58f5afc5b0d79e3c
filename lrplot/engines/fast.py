"""The exact fast engine: torch's own recurrences, without stepping torch objects.

Stepping a real scheduler costs microseconds a step (bookkeeping, warnings checks, list
building), which dominates long schedules and sweeps. For the built-in schedulers covered
here this engine computes the very same doubles: it lets torch build the optimizer and the
scheduler (so validation, errors, ``initial_lr`` and ``last_epoch`` handling are torch's
own), reads the constructed state, then continues with each scheduler's *chainable*
``get_lr`` recurrence (lrplot.plan.recurrences, lrplot.plan.scalar_recurrences; the
plateau's in lrplot.engines.plateau) in a plain Python loop.

The recurrences change between torch releases, so the planner chooses this engine only for
versions whose scheduler sources lrplot knows or has self-checked (:mod:`lrplot.plan.releases`)
and the schedulers it covers (:mod:`lrplot.plan.choice`, which also steps torch where an older
release's objects lack an attribute a recurrence reads); anything else runs on real torch objects.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

from lrplot.engines.plateau import plateau
from lrplot.errors import StepFailed
from lrplot.plan.cosine_blocks import run_cosine as _run_cosine
from lrplot.plan.cosine_blocks import run_cosine_groups
from lrplot.plan.recurrences import kind_of, recurrence, recurrences
from lrplot.plan.scalar_recurrences import scalar_recurrences

__all__ = ["kind_of", "recurrence", "run"]


def run(
    scheduler: Any,
    groups: list[dict[str, Any]],
    traces: list[array],
    steps: int,
    tick: Callable[[int], None] | None,
    chunk: int,
    metric_at: Callable[[int, float], Any] | None = None,
) -> None:
    """Fill ``traces`` (one per group) with ``steps`` values, continuing ``scheduler``'s state.

    ``scheduler`` has been constructed by torch (its initial step done), so the
    optimizer's groups hold step 0's values and ``last_epoch`` is step 0's epoch.
    ``metric_at(step, lr)`` gives ReduceLROnPlateau its metric after recording ``step``.
    """
    lrs = [group["lr"] for group in groups]
    epoch = getattr(scheduler, "last_epoch", 0)  # ChainedScheduler keeps none of its own
    index = 0
    kind = kind_of(scheduler)
    if len(groups) == 1 and kind in scalar_recurrences():
        lr, epoch = _run_scalar(scheduler, lrs[0], epoch, traces[0], steps, tick, chunk)
        groups[0]["lr"] = lr
        if hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch = epoch
        return
    if kind == "CosineAnnealingLR" and isinstance(epoch, int):  # several groups: a block at a time
        lrs, epoch = run_cosine_groups(scheduler, lrs, epoch, traces, steps, tick, chunk)
        for group, lr in zip(groups, lrs, strict=True):
            group["lr"] = lr
        scheduler.last_epoch = epoch
        return
    if kind == "ReduceLROnPlateau":
        assert metric_at is not None
        advance = plateau(scheduler, metric_at)
    else:
        advance = recurrences()[kind](scheduler)
    try:
        for start in range(0, steps, chunk):
            stop = min(start + chunk, steps)
            for index in range(start, stop):
                for trace, lr in zip(traces, lrs, strict=True):
                    trace[index] = lr
                if index < steps - 1:
                    epoch += 1
                    advance(lrs, epoch)
            if tick is not None:
                tick(stop - start)
    except Exception as exc:
        raise StepFailed(index, exc) from exc
    for group, lr in zip(groups, lrs, strict=True):
        group["lr"] = lr  # leave the optimizer as torch would have
    if hasattr(scheduler, "last_epoch"):
        scheduler.last_epoch = epoch


def _run_scalar(
    scheduler: Any,
    lr: float,
    epoch: int,
    trace: array,
    steps: int,
    tick: Callable[[int], None] | None,
    chunk: int,
) -> tuple[float, int]:
    if kind_of(scheduler) == "CosineAnnealingLR" and isinstance(epoch, int):
        return _run_cosine(scheduler, lr, epoch, trace, steps, tick, chunk)
    advance = scalar_recurrences()[kind_of(scheduler)](scheduler)
    last = steps - 1
    index = 0
    try:
        for start in range(0, steps, chunk):
            stop = min(start + chunk, last)
            for index in range(start, stop):
                trace[index] = lr
                epoch += 1
                lr = advance(lr, epoch)
            if stop == last:
                index = last
                trace[last] = lr
            if tick is not None:
                tick(min(start + chunk, steps) - start)
    except Exception as exc:
        raise StepFailed(index, exc) from exc
    return lr, epoch
