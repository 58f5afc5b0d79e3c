"""The exact fast engine: torch's own recurrences, without stepping torch objects.

Stepping a real scheduler costs microseconds a step (bookkeeping, warnings checks, list
building), which dominates long schedules and sweeps. For the built-in schedulers covered
here this engine computes the very same doubles: it lets torch build the optimizer and the
scheduler (so validation, errors, ``initial_lr`` and ``last_epoch`` handling are torch's
own), reads the constructed state, then continues with each scheduler's *chainable*
``get_lr`` recurrence (lrplot.plan.recurrences, lrplot.plan.scalar_recurrences; the
plateau's in lrplot.engines.plateau) in a plain Python loop.

The recurrences change between torch releases, so the engine is used only for versions
whose scheduler sources lrplot knows or has self-checked (:mod:`lrplot.plan.releases`);
anything else, any scheduler not listed here, and any torch object lacking an attribute a
recurrence reads (an older release) runs on real torch objects.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

from lrplot.engines.plateau import plateau
from lrplot.errors import StepFailed
from lrplot.plan import releases
from lrplot.plan.cosine_blocks import run_cosine as _run_cosine
from lrplot.plan.cosine_blocks import run_cosine_groups
from lrplot.plan.recurrences import SEQUENTIAL_CHILDREN, kind_of, recurrence, recurrences
from lrplot.plan.scalar_recurrences import scalar_recurrences

__all__ = ["covered_names", "covers", "kind_of", "missing_attribute", "recurrence", "run", "torch_verified"]


def torch_verified() -> bool:
    """Whether the installed torch's recurrences are ones this engine has (lrplot.plan.releases)."""
    return releases.current() is not None


def _is_plateau(cls: Any) -> bool:
    return kind_of(cls) == "ReduceLROnPlateau"


def covers(cls: Any, children: list[Any] | tuple[Any, ...] = ()) -> bool:
    """Whether the fast engine has this exact scheduler class (not a subclass).

    A ChainedScheduler is covered when every child is (its children are plans with
    ``cls`` and ``children``).
    """
    if _is_plateau(cls):
        return not children
    kind = kind_of(cls) if isinstance(cls, type) else None
    if kind in _CYCLES:
        return not children
    if kind not in recurrences():
        return False
    if kind == "ChainedScheduler":
        return bool(children) and all(
            covers(child.cls, child.children) and not child.children and not _is_plateau(child.cls)
            for child in children
        )
    if kind == "SequentialLR":
        return bool(children) and all(
            kind_of(child.cls) in SEQUENTIAL_CHILDREN and covers(child.cls, child.children)
            for child in children
        )
    return not children


_CYCLES = ("OneCycleLR", "CyclicLR", "SWALR")  # lrplot.plan.cycle_steps, run by lrplot.engines.free


# The attributes of torch's own objects the engines read, by class: older releases lack some
# (SWALR's _anneal_strategy before 2.10, OneCycleLR's _anneal_func_type and CyclicLR's
# use_beta1 on 2.2); then the curve steps torch instead.
_READS: dict[str, tuple[str, ...]] = {
    "StepLR": ("step_size", "gamma"),
    "MultiStepLR": ("milestones", "gamma"),
    "ConstantLR": ("factor", "total_iters"),
    "LinearLR": ("start_factor", "end_factor", "total_iters"),
    "ExponentialLR": ("gamma",),
    "PolynomialLR": ("total_iters", "power"),
    "CosineAnnealingLR": ("T_max", "eta_min", "base_lrs"),
    "LambdaLR": ("lr_lambdas", "base_lrs"),
    "MultiplicativeLR": ("lr_lambdas",),
    "CosineAnnealingWarmRestarts": ("T_cur", "T_i", "T_mult", "eta_min", "base_lrs", "T_0"),
    "ChainedScheduler": ("_schedulers",),
    "SequentialLR": ("_schedulers", "_milestones"),
    "ReduceLROnPlateau": ("best", "num_bad_epochs", "cooldown_counter", "mode", "threshold",
                          "threshold_mode", "factor", "patience", "cooldown", "eps", "min_lrs"),
    "OneCycleLR": ("_schedule_phases", "_anneal_func_type", "cycle_momentum", "total_steps"),
    "CyclicLR": ("total_size", "step_ratio", "mode", "gamma", "scale_mode", "cycle_momentum",
                 "base_lrs", "max_lrs"),
    "SWALR": ("_anneal_strategy", "anneal_epochs", "_step_count"),
}  # fmt: skip


def missing_attribute(scheduler: Any) -> str | None:
    """The first attribute this engine would read that ``scheduler`` (or a child) lacks, or None."""
    kind = kind_of(scheduler)
    if kind is None:
        return None
    needed = list(_READS.get(kind, ()))
    if kind == "CyclicLR" and getattr(scheduler, "cycle_momentum", False):
        needed += ["use_beta1", "base_momentums", "max_momentums"]
    if kind == "OneCycleLR" and getattr(scheduler, "cycle_momentum", False):
        needed.append("use_beta1")
    for name in needed:
        if not hasattr(scheduler, name):
            return f"{type(scheduler).__name__}.{name}"
    for child in getattr(scheduler, "_schedulers", None) or []:
        found = missing_attribute(child)
        if found is not None:
            return found
    return None


def covered_names() -> list[str]:
    return sorted([*recurrences(), "ReduceLROnPlateau", *_CYCLES])


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
