"""torch's chainable ``get_lr`` recurrences, operation for operation, for every covered class.

Both engines continue a constructed scheduler with these (lrplot.engines.fast on torch's
own objects, lrplot.engines.free on torch-free states), and the torch-free planner runs them
for the first step before torch 2.8 (lrplot.plan.first_steps), so each formula is written
once. ``math.cos`` where torch uses it, the same operand order; no vectorized math (numpy's
cos and power may differ from ``math.cos`` and ``**`` in the last bit). A recurrence reads
the attributes torch's object (or a torch-free state) holds; the release semantics a state
follows (lrplot.plan.releases) select the formulas that changed at 2.8. torch is never
imported here. The scalar forms for one param group are in lrplot.plan.scalar_recurrences.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from lrplot.plan import releases
from lrplot.plan.domains import FreeClass

__all__ = ["Step", "closed_form", "kind_of", "recurrence", "recurrences", "sequential_state"]

Step = Callable[[list[float], int], None]


def before_2_8(s: Any) -> bool:
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
    subtract = before_2_8(s)  # torch < 2.8 restarts by T_cur - T_i
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


def _chained(s: Any) -> Step:
    """ChainedScheduler: each child steps in turn on the lrs the previous one left."""
    children = [(recurrences()[kind_of(child)](child), child.last_epoch) for child in s._schedulers]
    advances = [advance for advance, _ in children]
    epochs = [epoch for _, epoch in children]

    def step(lrs: list[float], epoch: int) -> None:
        for index, advance in enumerate(advances):
            epochs[index] += 1
            advance(lrs, epochs[index])

    return step


def closed_form(s: Any) -> Step:
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
        if before_2_8(s):  # get_lr at last_epoch 0 kept the lrs before torch 2.8
            return lambda lrs, epoch: None
        return _multiplicative_lr(s)
    raise KeyError(kind)


SEQUENTIAL_CHILDREN = (
    "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
    "CosineAnnealingLR", "LambdaLR", "MultiplicativeLR",
)  # fmt: skip


SequentialState = tuple[list[int], list[Any], list[Step], list[int]]


def sequential_state(s: Any, table: dict[str, Callable[[Any], Any]]) -> SequentialState:
    """SequentialLR's milestones, each child's recurrence (from ``table``: list or scalar
    form), each child's closed-form restart, and each child's own epoch counter."""
    children = list(s._schedulers)
    advances = [table[kind_of(child)](child) for child in children]
    restarts = [closed_form(child) for child in children]
    return list(s._milestones), advances, restarts, [child.last_epoch for child in children]


def _sequential(s: Any) -> Step:
    """SequentialLR.step: the child for this epoch steps, or restarts at its milestone."""
    milestones, advances, restarts, epochs = sequential_state(s, recurrences())

    def step(lrs: list[float], epoch: int) -> None:
        index = bisect_right(milestones, epoch)
        if index > 0 and milestones[index - 1] == epoch:
            epochs[index] = 0
            restarts[index](lrs, 0)
        else:
            epochs[index] += 1
            advances[index](lrs, epochs[index])

    return step


def recurrences() -> dict[str, Callable[[Any], Step]]:
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


def recurrence(kind: str, scheduler: Any) -> Step:
    """The chainable ``get_lr`` step of a covered class, continuing ``scheduler``'s state."""
    return recurrences()[kind](scheduler)
