"""The exact fast engine: torch's own recurrences, without stepping torch objects.

Stepping a real scheduler costs microseconds a step (bookkeeping, warnings checks, list
building), which dominates long schedules and sweeps. For the built-in schedulers below
this engine computes the very same doubles: it lets torch build the optimizer and the
scheduler (so validation, errors, ``initial_lr`` and ``last_epoch`` handling are torch's
own), reads the constructed state, then continues with each scheduler's *chainable*
``get_lr`` recurrence copied operation for operation (``math.cos`` where torch uses it,
the same operand order), in a plain Python loop. No vectorized math: numpy's cos and
power may differ from ``math.cos`` and ``**`` in the last bit.

The recurrences change between torch releases, so the engine is used only for versions
whose scheduler sources lrplot knows or has self-checked (:mod:`lrplot.plan.releases`); anything else, and any
scheduler not listed here, runs on real torch objects.

This module is longer than the others on purpose: it is one table of recurrences, each
kept beside its scalar twin so a reviewer compares them with torch's source in one place.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from lrplot.errors import StepFailed
from lrplot.plan import releases
from lrplot.plan.domains import FreeClass

__all__ = ["covers", "kind_of", "run"]


Step = Callable[[list[float], int], None]
Scalar = Callable[[float, int], float]


def torch_verified() -> bool:
    """Whether the installed torch's recurrences are ones this engine has (lrplot.plan.releases)."""
    return releases.current() is not None


def _before_2_8(s: Any) -> bool:
    """Whether ``s`` follows a torch before 2.8 (a torch-free state says so; torch's own
    objects follow the installed release)."""
    semantics = s.semantics if isinstance(s, FreeClass) else releases.current()
    return releases.older(semantics, "2.8")


def _step_lr(s: Any) -> Step:
    step_size, gamma = s.step_size, s.gamma

    def step(lrs: list[float], epoch: int) -> None:
        if (epoch == 0) or (epoch % step_size != 0):
            return
        for i, lr in enumerate(lrs):
            lrs[i] = lr * gamma

    return step


def _multistep_lr(s: Any) -> Step:
    milestones, gamma = s.milestones, s.gamma

    def step(lrs: list[float], epoch: int) -> None:
        if epoch not in milestones:
            return
        for i, lr in enumerate(lrs):
            lrs[i] = lr * gamma ** milestones[epoch]

    return step


def _constant_lr(s: Any) -> Step:
    factor, total_iters = s.factor, s.total_iters

    def step(lrs: list[float], epoch: int) -> None:
        if epoch == 0:
            for i, lr in enumerate(lrs):
                lrs[i] = lr * factor
            return
        if epoch != total_iters:
            return
        for i, lr in enumerate(lrs):
            lrs[i] = lr * (1.0 / factor)

    return step


def _linear_lr(s: Any) -> Step:
    start, end, total_iters = s.start_factor, s.end_factor, s.total_iters

    def step(lrs: list[float], epoch: int) -> None:
        if epoch == 0:
            for i, lr in enumerate(lrs):
                lrs[i] = lr * start
            return
        if epoch > total_iters:
            return
        for i, lr in enumerate(lrs):
            lrs[i] = lr * (1.0 + (end - start) / (total_iters * start + (epoch - 1) * (end - start)))

    return step


def _exponential_lr(s: Any) -> Step:
    gamma = s.gamma

    def step(lrs: list[float], epoch: int) -> None:
        for i, lr in enumerate(lrs):
            lrs[i] = lr * gamma

    return step


def _polynomial_lr(s: Any) -> Step:
    total_iters, power = s.total_iters, s.power

    def step(lrs: list[float], epoch: int) -> None:
        if epoch > total_iters:
            return
        decay_factor = ((1.0 - epoch / total_iters) / (1.0 - (epoch - 1) / total_iters)) ** power
        for i, lr in enumerate(lrs):
            lrs[i] = lr * decay_factor

    return step


def _cosine_annealing_lr(s: Any) -> Step:
    t_max, eta_min, base_lrs = s.T_max, s.eta_min, list(s.base_lrs)
    cos, pi = math.cos, math.pi

    def step(lrs: list[float], epoch: int) -> None:
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            for i, (lr, base_lr) in enumerate(zip(lrs, base_lrs, strict=True)):
                lrs[i] = lr + (base_lr - eta_min) * (1 - cos(pi / t_max)) / 2
            return
        for i, lr in enumerate(lrs):
            lrs[i] = (1 + cos(pi * epoch / t_max)) / (1 + cos(pi * (epoch - 1) / t_max)) * (
                lr - eta_min
            ) + eta_min

    return step


def _lambda_lr(s: Any) -> Step:
    lambdas, base_lrs = list(s.lr_lambdas), list(s.base_lrs)

    def step(lrs: list[float], epoch: int) -> None:
        for i, (function, base_lr) in enumerate(zip(lambdas, base_lrs, strict=True)):
            lrs[i] = base_lr * function(epoch)

    return step


def _multiplicative_lr(s: Any) -> Step:
    lambdas = list(s.lr_lambdas)

    def step(lrs: list[float], epoch: int) -> None:
        for i, (function, lr) in enumerate(zip(lambdas, lrs, strict=True)):
            lrs[i] = lr * function(epoch)

    return step


def _warm_restarts(s: Any) -> Step:
    t_cur, t_i, t_mult, eta_min, base_lrs = s.T_cur, s.T_i, s.T_mult, s.eta_min, list(s.base_lrs)
    subtract = _before_2_8(s)  # torch < 2.8 restarts by T_cur - T_i
    cos, pi = math.cos, math.pi

    def step(lrs: list[float], epoch: int) -> None:
        nonlocal t_cur, t_i
        t_cur = t_cur + 1
        if t_cur >= t_i:
            t_cur = t_cur - t_i if subtract else t_cur % t_i
            t_i = t_i * t_mult
        for i, base_lr in enumerate(base_lrs):
            lrs[i] = eta_min + (base_lr - eta_min) * (1 + cos(pi * t_cur / t_i)) / 2

    return step


def _scalar_warm_restarts(s: Any) -> Scalar:
    t_cur, t_i, t_mult, eta_min, base_lr = s.T_cur, s.T_i, s.T_mult, s.eta_min, s.base_lrs[0]
    subtract = _before_2_8(s)  # torch < 2.8 restarts by T_cur - T_i
    cos, pi = math.cos, math.pi

    def step(lr: float, epoch: int) -> float:
        nonlocal t_cur, t_i
        t_cur = t_cur + 1
        if t_cur >= t_i:
            t_cur = t_cur - t_i if subtract else t_cur % t_i
            t_i = t_i * t_mult
        return eta_min + (base_lr - eta_min) * (1 + cos(pi * t_cur / t_i)) / 2

    return step


def _plateau(s: Any, metric_at: Callable[[int, float], Any]) -> Step:
    """ReduceLROnPlateau.step(metric) and _reduce_lr, as torch writes them."""
    best, bad, cooldown_counter = s.best, s.num_bad_epochs, s.cooldown_counter
    mode, threshold, threshold_mode = s.mode, s.threshold, s.threshold_mode
    factor, patience, cooldown, eps, min_lrs = s.factor, s.patience, s.cooldown, s.eps, list(s.min_lrs)

    def is_better(a: float, best: float) -> bool:
        if mode == "min" and threshold_mode == "rel":
            rel_epsilon = 1.0 - threshold
            return a < best * rel_epsilon
        elif mode == "min" and threshold_mode == "abs":
            return a < best - threshold
        elif mode == "max" and threshold_mode == "rel":
            rel_epsilon = threshold + 1.0
            return a > best * rel_epsilon
        else:
            return a > best + threshold

    def step(lrs: list[float], epoch: int) -> None:
        nonlocal best, bad, cooldown_counter
        current = float(metric_at(epoch - 1, lrs[0]))  # the metric of the step just recorded
        if is_better(current, best):
            best = current
            bad = 0
        else:
            bad += 1
        if cooldown_counter > 0:
            cooldown_counter -= 1
            bad = 0
        if bad > patience:
            for i, lr in enumerate(lrs):
                old_lr = float(lr)
                new_lr = max(old_lr * factor, min_lrs[i])
                if old_lr - new_lr > eps:
                    lrs[i] = new_lr
            cooldown_counter = cooldown
            bad = 0

    return step


def _chained(s: Any) -> Step:
    """ChainedScheduler: each child steps in turn on the lrs the previous one left."""
    children = [(_recurrences()[kind_of(child)](child), child.last_epoch) for child in s._schedulers]
    advances = [advance for advance, _ in children]
    epochs = [epoch for _, epoch in children]

    def step(lrs: list[float], epoch: int) -> None:
        for index, advance in enumerate(advances):
            epochs[index] += 1
            advance(lrs, epochs[index])

    return step


def _closed_form(s: Any) -> Step:
    """The value at ``epoch`` as ``_update_lr(epoch)`` computes it (SequentialLR's milestones):
    ``_get_closed_form_lr`` where the class has one, else its ``get_lr``."""
    base_lrs = list(s.base_lrs)
    kind = kind_of(s)

    def from_base(value: Callable[[float, int], float]) -> Step:
        def step(lrs: list[float], epoch: int) -> None:
            for i, base_lr in enumerate(base_lrs):
                lrs[i] = value(base_lr, epoch)

        return step

    if kind == "StepLR":
        gamma, step_size = s.gamma, s.step_size
        return from_base(lambda base_lr, epoch: base_lr * gamma ** (epoch // step_size))
    if kind == "MultiStepLR":
        gamma, milestones = s.gamma, sorted(s.milestones.elements())
        return from_base(lambda base_lr, epoch: base_lr * gamma ** bisect_right(milestones, epoch))
    if kind == "ConstantLR":
        factor, total_iters = s.factor, s.total_iters
        return from_base(lambda base_lr, epoch: base_lr * (factor + (epoch >= total_iters) * (1 - factor)))
    if kind == "LinearLR":
        start, end, total_iters = s.start_factor, s.end_factor, s.total_iters
        return from_base(
            lambda base_lr, epoch: base_lr * (start + (end - start) * min(total_iters, epoch) / total_iters)
        )
    if kind == "ExponentialLR":
        gamma = s.gamma
        return from_base(lambda base_lr, epoch: base_lr * gamma**epoch)
    if kind == "PolynomialLR":
        total_iters, power = s.total_iters, s.power
        return from_base(
            lambda base_lr, epoch: base_lr * (1.0 - min(total_iters, epoch) / total_iters) ** power
        )
    if kind == "CosineAnnealingLR":
        t_max, eta_min = s.T_max, s.eta_min
        cos, pi = math.cos, math.pi
        return from_base(
            lambda base_lr, epoch: eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2
        )
    if kind == "LambdaLR":
        return _lambda_lr(s)
    if kind == "MultiplicativeLR":
        if _before_2_8(s):  # get_lr at last_epoch 0 kept the lrs before torch 2.8
            return lambda lrs, epoch: None
        return _multiplicative_lr(s)
    raise KeyError(kind)


_SEQUENTIAL_CHILDREN = (
    "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
    "CosineAnnealingLR", "LambdaLR", "MultiplicativeLR",
)  # fmt: skip


SequentialState = tuple[list[int], list[Any], list[Step], list[int]]


def _sequential_state(s: Any, recurrences: dict[str, Callable[[Any], Any]]) -> SequentialState:
    """SequentialLR's milestones, each child's recurrence (from ``recurrences``: list or scalar
    form), each child's closed-form restart, and each child's own epoch counter."""
    children = list(s._schedulers)
    advances = [recurrences[kind_of(child)](child) for child in children]
    restarts = [_closed_form(child) for child in children]
    return list(s._milestones), advances, restarts, [child.last_epoch for child in children]


def _sequential(s: Any) -> Step:
    """SequentialLR.step: the child for this epoch steps, or restarts at its milestone."""
    milestones, advances, restarts, epochs = _sequential_state(s, _recurrences())

    def step(lrs: list[float], epoch: int) -> None:
        index = bisect_right(milestones, epoch)
        if index > 0 and milestones[index - 1] == epoch:
            epochs[index] = 0
            restarts[index](lrs, 0)
        else:
            epochs[index] += 1
            advances[index](lrs, epochs[index])

    return step


def _recurrences() -> dict[str, Callable[[Any], Step]]:
    return {
        "StepLR": _step_lr,
        "MultiStepLR": _multistep_lr,
        "ConstantLR": _constant_lr,
        "LinearLR": _linear_lr,
        "ExponentialLR": _exponential_lr,
        "PolynomialLR": _polynomial_lr,
        "CosineAnnealingLR": _cosine_annealing_lr,
        "LambdaLR": _lambda_lr,
        "MultiplicativeLR": _multiplicative_lr,
        "CosineAnnealingWarmRestarts": _warm_restarts,
        "ChainedScheduler": _chained,
        "SequentialLR": _sequential,
    }


_TORCH_MODULES = ("torch.optim.lr_scheduler", "torch.optim.swa_utils")


def kind_of(scheduler_or_class: Any) -> str | None:
    """The torch class name a scheduler (or class) is exactly, or a torch-free state's kind.

    Subclasses and look-alikes from other modules are None: only torch's own classes
    (and lrplot's torch-free states of them) have the verified recurrences.
    """
    if isinstance(scheduler_or_class, FreeClass) or (
        isinstance(scheduler_or_class, type) and issubclass(scheduler_or_class, FreeClass)
    ):
        return scheduler_or_class.kind
    cls = scheduler_or_class if isinstance(scheduler_or_class, type) else type(scheduler_or_class)
    return cls.__name__ if cls.__module__ in _TORCH_MODULES else None


# One param group (the common case) runs a scalar form of the same recurrence: no lists.


def _scalar_step_lr(s: Any) -> Scalar:
    step_size, gamma = s.step_size, s.gamma
    return lambda lr, epoch: lr if (epoch == 0) or (epoch % step_size != 0) else lr * gamma


def _scalar_multistep_lr(s: Any) -> Scalar:
    milestones, gamma = s.milestones, s.gamma
    return lambda lr, epoch: lr if epoch not in milestones else lr * gamma ** milestones[epoch]


def _scalar_constant_lr(s: Any) -> Scalar:
    factor, total_iters = s.factor, s.total_iters
    return lambda lr, epoch: (
        lr * factor if epoch == 0 else (lr if epoch != total_iters else lr * (1.0 / factor))
    )


def _scalar_linear_lr(s: Any) -> Scalar:
    start, end, total_iters = s.start_factor, s.end_factor, s.total_iters

    def step(lr: float, epoch: int) -> float:
        if epoch == 0:
            return lr * start
        if epoch > total_iters:
            return lr
        return lr * (1.0 + (end - start) / (total_iters * start + (epoch - 1) * (end - start)))

    return step


def _scalar_exponential_lr(s: Any) -> Scalar:
    gamma = s.gamma
    return lambda lr, epoch: lr * gamma


def _scalar_polynomial_lr(s: Any) -> Scalar:
    total_iters, power = s.total_iters, s.power

    def step(lr: float, epoch: int) -> float:
        if epoch > total_iters:
            return lr
        return lr * ((1.0 - epoch / total_iters) / (1.0 - (epoch - 1) / total_iters)) ** power

    return step


def _scalar_cosine_annealing_lr(s: Any) -> Scalar:
    t_max, eta_min, base_lr = s.T_max, s.eta_min, s.base_lrs[0]
    cos, pi = math.cos, math.pi
    period = 2 * t_max
    restart = (base_lr - eta_min) * (1 - cos(pi / t_max)) / 2

    def step(lr: float, epoch: int) -> float:
        if (epoch - 1 - t_max) % period == 0:
            return lr + restart
        return (1 + cos(pi * epoch / t_max)) / (1 + cos(pi * (epoch - 1) / t_max)) * (lr - eta_min) + eta_min

    return step


def _scalar_lambda_lr(s: Any) -> Scalar:
    function, base_lr = s.lr_lambdas[0], s.base_lrs[0]
    return lambda lr, epoch: base_lr * function(epoch)


def _scalar_multiplicative_lr(s: Any) -> Scalar:
    function = s.lr_lambdas[0]
    return lambda lr, epoch: lr * function(epoch)


def _scalar_recurrences() -> dict[str, Callable[[Any], Scalar]]:
    return {
        "StepLR": _scalar_step_lr,
        "MultiStepLR": _scalar_multistep_lr,
        "ConstantLR": _scalar_constant_lr,
        "LinearLR": _scalar_linear_lr,
        "ExponentialLR": _scalar_exponential_lr,
        "PolynomialLR": _scalar_polynomial_lr,
        "CosineAnnealingLR": _scalar_cosine_annealing_lr,
        "LambdaLR": _scalar_lambda_lr,
        "MultiplicativeLR": _scalar_multiplicative_lr,
        "CosineAnnealingWarmRestarts": _scalar_warm_restarts,
        "SequentialLR": _scalar_sequential,
    }


def _scalar_sequential(s: Any) -> Scalar:
    """:func:`_sequential` for one param group: each child's scalar recurrence (the warmup +
    cosine recipe runs at the scalar loop's speed); a restart is the same closed form."""
    milestones, advances, restarts, epochs = _sequential_state(s, _scalar_recurrences())

    def step(lr: float, epoch: int) -> float:
        index = bisect_right(milestones, epoch)
        if index > 0 and milestones[index - 1] == epoch:
            epochs[index] = 0
            lrs = [lr]
            restarts[index](lrs, 0)
            return lrs[0]
        epochs[index] += 1
        return advances[index](lr, epochs[index])

    return step


def _is_plateau(cls: Any) -> bool:
    return kind_of(cls) == "ReduceLROnPlateau"


def recurrence(kind: str, scheduler: Any) -> Step:
    """The chainable ``get_lr`` step of a covered class, continuing ``scheduler``'s state."""
    return _recurrences()[kind](scheduler)


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
    if kind not in _recurrences():
        return False
    if kind == "ChainedScheduler":
        return bool(children) and all(
            covers(child.cls, child.children) and not child.children and not _is_plateau(child.cls)
            for child in children
        )
    if kind == "SequentialLR":
        return bool(children) and all(
            kind_of(child.cls) in _SEQUENTIAL_CHILDREN and covers(child.cls, child.children)
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
    return sorted([*_recurrences(), "ReduceLROnPlateau", *_CYCLES])


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
    if len(groups) == 1 and kind in _scalar_recurrences():
        lr, epoch = _run_scalar(scheduler, lrs[0], epoch, traces[0], steps, tick, chunk)
        groups[0]["lr"] = lr
        if hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch = epoch
        return
    if kind == "ReduceLROnPlateau":
        assert metric_at is not None
        advance = _plateau(scheduler, metric_at)
    else:
        advance = _recurrences()[kind](scheduler)
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
    advance = _scalar_recurrences()[kind_of(scheduler)](scheduler)
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
    """CosineAnnealingLR's recurrence inlined in the loop (the most common long schedule).

    Same operations as ``_scalar_cosine_annealing_lr``; ``cos(pi * (epoch - 1) / t_max)`` is
    the previous step's ``cos(pi * epoch / t_max)`` (same integer, same double argument),
    so it is reused instead of computed twice.
    """
    t_max, eta_min, base_lr = s.T_max, s.eta_min, s.base_lrs[0]
    cos, pi = math.cos, math.pi
    period = 2 * t_max
    restart = (base_lr - eta_min) * (1 - cos(pi / t_max)) / 2
    cached_epoch, cached_cos = None, 0.0
    last = steps - 1
    index = 0
    try:
        for start in range(0, steps, chunk):
            stop = min(start + chunk, last)
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
                tick(min(start + chunk, steps) - start)
    except Exception as exc:
        raise StepFailed(index, exc) from exc
    return lr, epoch
