"""ReduceLROnPlateau's step as the fast engine continues torch's own object (never torch-free:
its metric comes from a log or an expression stepped beside it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lrplot.plan.recurrences import Step


def plateau(s: Any, metric_at: Callable[[int, float], Any]) -> Step:
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
