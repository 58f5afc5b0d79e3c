"""The recurrences of lrplot.plan.recurrences for one param group (the common case): the same
operations on one float, no lists, so a long single-group schedule runs at a plain loop's speed."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from lrplot.plan.recurrences import before_2_8, sequential_state

__all__ = ["Scalar", "scalar_recurrences"]

Scalar = Callable[[float, int], float]


def _scalar_warm_restarts(s: Any) -> Scalar:
    t_cur, t_i, t_mult, eta_min, base_lr = s.T_cur, s.T_i, s.T_mult, s.eta_min, s.base_lrs[0]
    subtract = before_2_8(s)  # torch < 2.8 restarts by T_cur - T_i
    cos, pi = math.cos, math.pi

    def step(lr: float, epoch: int) -> float:
        nonlocal t_cur, t_i
        t_cur = t_cur + 1
        if t_cur >= t_i:
            t_cur = t_cur - t_i if subtract else t_cur % t_i
            t_i = t_i * t_mult
        return eta_min + (base_lr - eta_min) * (1 + cos(pi * t_cur / t_i)) / 2

    return step


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


def scalar_recurrences() -> dict[str, Callable[[Any], Scalar]]:
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
    milestones, advances, restarts, epochs = sequential_state(s, scalar_recurrences())

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
