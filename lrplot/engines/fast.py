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

import math
from array import array
from collections.abc import Callable
from typing import Any

from lrplot.engines.plateau import plateau
from lrplot.errors import StepFailed
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


def _run_cosine(
    s: Any, lr: float, epoch: int, trace: array, steps: int, tick: Callable[[int], None] | None, chunk: int
) -> tuple[float, int]:
    """CosineAnnealingLR's recurrence, a block of steps at a time (the most common long schedule).

    Each step is ``(1 + cos(pi * e / T_max)) / (1 + cos(pi * (e - 1) / T_max)) * (lr - eta_min)
    + eta_min`` (``_scalar_cosine_annealing_lr``), or ``lr + restart`` where ``(e - 1 - T_max) %
    (2 * T_max) == 0``. The factor depends on the epoch only: for a block of steps it is
    computed on float64 arrays with torch's operations in torch's order (``math.cos`` itself
    mapped over the block, each cosine once: the previous step's is this one's), so only the
    update ``f * (lr - eta_min) + eta_min``, which needs the previous lr, runs step by step in
    Python: the very doubles at ~2/3 of the time. A block where a factor's denominator is 0
    away from a restart (torch raises ZeroDivisionError there), or a T_max that is no int,
    runs :func:`_run_cosine_steps`, which fails at that step as torch does.
    """
    import numpy as np

    t_max, eta_min, base_lr = s.T_max, s.eta_min, s.base_lrs[0]
    if not isinstance(t_max, int) or isinstance(t_max, bool) or t_max <= 0:
        return _run_cosine_steps(s, lr, epoch, trace, 0, steps, tick, chunk)
    cos, pi = math.cos, math.pi
    period = 2 * t_max
    restart = (base_lr - eta_min) * (1 - cos(pi / t_max)) / 2
    view = memoryview(trace)
    last = steps - 1
    for start in range(0, steps, chunk):
        stop = min(start + chunk, last)
        count = stop - start
        if count > 0:
            epochs = np.arange(epoch, epoch + count + 1, dtype=np.float64)  # e - 1 for the first, .. e
            arguments = (pi * epochs / t_max).tolist()
            ones = np.fromiter(map(cos, arguments), dtype=np.float64, count=count + 1) + 1
            first_restart = epoch + 1 + (1 + t_max - (epoch + 1)) % period  # the first e >= epoch + 1
            restarts = list(range(first_restart - epoch - 1, count, period))  # their block positions
            below = ones[:-1] == 0
            below[restarts] = False
            if below.any():
                lr, epoch = _run_cosine_steps(s, lr, epoch, trace, start, stop, None, chunk)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    factors = (ones[1:] / ones[:-1]).tolist()
                values: list[float] = []
                append = values.append
                done = 0
                for position in [*restarts, count]:
                    for factor in factors[done:position]:
                        append(lr)
                        lr = factor * (lr - eta_min) + eta_min
                    if position < count:
                        append(lr)
                        lr = lr + restart
                    done = position + 1
                view[start:stop] = array("d", values)
                epoch += count
        if stop == last:
            trace[last] = lr
        if tick is not None:
            tick(min(start + chunk, steps) - start)
    return lr, epoch


def _run_cosine_steps(
    s: Any,
    lr: float,
    epoch: int,
    trace: array,
    first: int,
    end: int,
    tick: Callable[[int], None] | None,
    chunk: int,
) -> tuple[float, int]:
    """CosineAnnealingLR step by step, indices ``first`` to ``end`` (the whole run's last index
    recorded too when ``end`` is ``len(trace)``).

    Same operations as ``_scalar_cosine_annealing_lr``; ``cos(pi * (epoch - 1) / t_max)`` is
    the previous step's ``cos(pi * epoch / t_max)`` (same integer, same double argument),
    so it is reused instead of computed twice.
    """
    t_max, eta_min, base_lr = s.T_max, s.eta_min, s.base_lrs[0]
    cos, pi = math.cos, math.pi
    period = 2 * t_max
    restart = (base_lr - eta_min) * (1 - cos(pi / t_max)) / 2
    cached_epoch, cached_cos = None, 0.0
    last = len(trace) - 1
    index = first
    try:
        for start in range(first, end, chunk):
            stop = min(start + chunk, last, end)
            for index in range(start, stop):
                trace[index] = lr
                epoch += 1
                if (epoch - 1 - t_max) % period == 0:
                    lr = lr + restart
                    continue
                current = cos(pi * epoch / t_max)
                previous = cached_cos if cached_epoch == epoch - 1 else cos(pi * (epoch - 1) / t_max)
                lr = (1 + current) / (1 + previous) * (lr - eta_min) + eta_min
                cached_epoch, cached_cos = epoch, current
            if stop == last:
                index = last
                trace[last] = lr
            if tick is not None:
                tick(min(start + chunk, end) - start)
    except Exception as exc:
        raise StepFailed(index, exc) from exc
    return lr, epoch
