"""One step of OneCycleLR, CyclicLR and SWALR, operation for operation as torch 2.13's get_lr.

Shared by the torch-free constructors (their first step) and the engines (every later
step, on torch's objects or on torch-free states: the attribute names are torch's).
Each function writes the new values into the param groups as ``_update_lr`` does.
"""

from __future__ import annotations

import math
from typing import Any

# The schedulers this module steps: the engines run them with these functions, not with a
# recurrence of lrplot.plan.recurrences.
CYCLES = ("OneCycleLR", "CyclicLR", "SWALR")


def _anneal(kind: str, start: float, end: float, pct: float) -> float:
    if kind == "cos":
        cos_out = math.cos(math.pi * pct) + 1
        return end + (start - end) / 2.0 * cos_out
    return (end - start) * pct + start


def one_cycle_step(s: Any, groups: list[dict[str, Any]], step_num: int) -> None:
    """OneCycleLR.get_lr at ``step_num`` (its last_epoch), momentum included."""
    if step_num > s.total_steps:
        raise ValueError(
            f"Tried to step {step_num} times. The specified number of total steps is {s.total_steps}"
        )
    phases, kind, cycle, use_beta1 = s._schedule_phases, s._anneal_func_type, s.cycle_momentum, False
    if cycle:
        use_beta1 = s.use_beta1
    lrs = []
    for group in groups:
        start_step = 0.0
        last = len(phases) - 1
        for i, phase in enumerate(phases):
            end_step = phase["end_step"]
            if step_num <= end_step or i == last:
                pct = (step_num - start_step) / (end_step - start_step)
                computed_lr = _anneal(kind, group[phase["start_lr"]], group[phase["end_lr"]], pct)
                if cycle:
                    computed_momentum = _anneal(
                        kind, group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                    )
                break
            start_step = phase["end_step"]
        lrs.append(computed_lr)
        if cycle:
            if use_beta1:
                group["betas"] = (computed_momentum, *group["betas"][1:])
            else:
                group["momentum"] = computed_momentum
    for group, lr in zip(groups, lrs, strict=True):
        group["lr"] = lr


def _scale(s: Any, x: float) -> float:
    if s.mode == "triangular":
        return 1.0
    if s.mode == "triangular2":
        return 1 / (2.0 ** (x - 1))
    return s.gamma**x


def cyclic_step(s: Any, groups: list[dict[str, Any]], last_epoch: int) -> None:
    """CyclicLR.get_lr at ``last_epoch`` (built-in modes, no scale_fn), momentum included."""
    cycle = math.floor(1 + last_epoch / s.total_size)
    x = 1.0 + last_epoch / s.total_size - cycle
    scale_factor = x / s.step_ratio if x <= s.step_ratio else (x - 1) / (s.step_ratio - 1)
    by_cycle = s.scale_mode == "cycle"
    lrs = []
    for base_lr, max_lr in zip(s.base_lrs, s.max_lrs, strict=True):
        base_height = (max_lr - base_lr) * scale_factor
        if by_cycle:
            lr = base_lr + base_height * _scale(s, cycle)
        else:
            lr = base_lr + base_height * _scale(s, last_epoch)
        lrs.append(lr)
    if s.cycle_momentum:
        momentums = []
        for base_momentum, max_momentum in zip(s.base_momentums, s.max_momentums, strict=True):
            base_height = (max_momentum - base_momentum) * scale_factor
            if by_cycle:
                momentum = max_momentum - base_height * _scale(s, cycle)
            else:
                momentum = max_momentum - base_height * _scale(s, last_epoch)
            momentums.append(momentum)
        for group, momentum in zip(groups, momentums, strict=True):
            if s.use_beta1:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum
    for group, lr in zip(groups, lrs, strict=True):
        group["lr"] = lr


def _swa_anneal(strategy: str, t: float) -> float:
    if strategy == "cos":
        return (1 - math.cos(math.pi * t)) / 2
    return t


def _initial(lr: float, swa_lr: float, alpha: float) -> float:
    if alpha == 1:
        return swa_lr
    return (lr - alpha * swa_lr) / (1 - alpha)


def swalr_step(s: Any, groups: list[dict[str, Any]]) -> None:
    """SWALR.get_lr for its current ``_step_count`` (the caller counts the step first)."""
    strategy = s._anneal_strategy
    step = s._step_count - 1
    if s.anneal_epochs == 0:
        step = max(1, step)
    prev_t = max(0, min(1, (step - 1) / max(1, s.anneal_epochs)))
    prev_alpha = _swa_anneal(strategy, prev_t)
    prev_lrs = [_initial(group["lr"], group["swa_lr"], prev_alpha) for group in groups]
    t = max(0, min(1, step / max(1, s.anneal_epochs)))
    alpha = _swa_anneal(strategy, t)
    lrs = [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(groups, prev_lrs, strict=True)]
    for group, lr in zip(groups, lrs, strict=True):
        group["lr"] = lr
