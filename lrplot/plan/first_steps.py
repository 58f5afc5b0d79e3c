"""Each covered class's first step inside its constructor, as each torch release writes ``get_lr``.

``LRScheduler.__init__`` ends with ``_initial_step()``: one ``step()`` in "initial mode",
where most classes keep the lrs (``_is_initial``) and a few change them at epoch 0 (or at
a resumed epoch). SequentialLR runs its first child's again after resetting the lrs, so
both :mod:`lrplot.plan.free` and :mod:`lrplot.plan.composite` use this table.

Before torch 2.8 there was no initial mode: ``get_lr`` tested ``last_epoch == 0``, so a
resumed scheduler (``last_epoch`` > 0 at its first step) already steps there
(:data:`FIRST_STEPS_BEFORE_2_8`; torch 2.3.1 to 2.7.1's lr_scheduler.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lrplot.plan.recurrences import recurrence


def _unchanged(state: Any, lrs: list[float], epoch: int) -> None:
    """ExponentialLR, PolynomialLR, CosineAnnealingLR, MultiplicativeLR: ``_is_initial`` keeps the lrs."""


def _step_first(state: Any, lrs: list[float], epoch: int) -> None:
    if (epoch == 0) or (epoch % state.step_size != 0):
        return
    for i, lr in enumerate(lrs):
        lrs[i] = lr * state.gamma


def _multistep_first(state: Any, lrs: list[float], epoch: int) -> None:
    if epoch not in state.milestones:
        return
    for i, lr in enumerate(lrs):
        lrs[i] = lr * state.gamma ** state.milestones[epoch]


def _constant_first(state: Any, lrs: list[float], epoch: int) -> None:
    if epoch == 0:
        for i, lr in enumerate(lrs):
            lrs[i] = lr * state.factor
        return
    if epoch != state.total_iters:
        return
    for i, lr in enumerate(lrs):
        lrs[i] = lr * (1.0 / state.factor)


def _linear_first(state: Any, lrs: list[float], epoch: int) -> None:
    if epoch == 0:
        for i, lr in enumerate(lrs):
            lrs[i] = lr * state.start_factor


def _warm_restarts_first(state: Any, lrs: list[float], epoch: int) -> None:
    """CosineAnnealingWarmRestarts.step() at construction, as torch 2.8-2.15 write it
    (before 2.8 a restart subtracts ``T_i`` instead of taking the remainder)."""
    state.T_i = state.T_0
    if epoch == 0:  # last_epoch -1: step(epoch=0) -> T_cur = 0
        state.T_cur = 0
    else:
        state.T_cur = epoch
        if state.T_cur >= state.T_i:
            if getattr(state, "semantics", None) in _BEFORE_2_8:
                state.T_cur = state.T_cur - state.T_i
            else:
                state.T_cur = state.T_cur % state.T_i
            state.T_i = state.T_i * state.T_mult
    for i, base_lr in enumerate(state.base_lrs):
        lrs[i] = (
            state.eta_min + (base_lr - state.eta_min) * (1 + math.cos(math.pi * state.T_cur / state.T_i)) / 2
        )


def _lambda_first(state: Any, lrs: list[float], epoch: int) -> None:
    """LambdaLR.get_lr ignores ``_is_initial``: ``base_lr * f(epoch)`` from construction on."""
    for i, (function, base_lr) in enumerate(zip(state.lr_lambdas, state.base_lrs, strict=True)):
        lrs[i] = base_lr * function(epoch)


_BEFORE_2_8 = ("2.2", "2.3")


def _before(kind: str) -> Callable[[Any, list[float], int], None]:
    """A first step before torch 2.8: ``get_lr`` at ``last_epoch`` > 0 is the chainable
    recurrence itself (lrplot.plan.recurrences); at 0 it keeps the lrs, except LinearLR's
    start factor (as since 2.8)."""

    def first(state: Any, lrs: list[float], epoch: int) -> None:
        if epoch == 0:
            FIRST_STEPS[kind](state, lrs, epoch)
            return
        recurrence(kind, state)(lrs, epoch)

    return first


def _cosine_before(state: Any, lrs: list[float], epoch: int) -> None:
    """``_step_count == 1 and last_epoch > 0``: the closed form, ``last_epoch * pi`` in that order."""
    if epoch == 0:
        return
    eta_min, t_max = state.eta_min, state.T_max
    for i, base_lr in enumerate(state.base_lrs):
        lrs[i] = eta_min + (base_lr - eta_min) * (1 + math.cos(epoch * math.pi / t_max)) / 2


FIRST_STEPS: dict[str, Callable[[Any, list[float], int], None]] = {
    "StepLR": _step_first,
    "MultiStepLR": _multistep_first,
    "ConstantLR": _constant_first,
    "LinearLR": _linear_first,
    "ExponentialLR": _unchanged,
    "PolynomialLR": _unchanged,
    "CosineAnnealingLR": _unchanged,
    "CosineAnnealingWarmRestarts": _warm_restarts_first,
    "LambdaLR": _lambda_first,
    "MultiplicativeLR": _unchanged,
}

FIRST_STEPS_BEFORE_2_8: dict[str, Callable[[Any, list[float], int], None]] = {
    **FIRST_STEPS,
    "ExponentialLR": _before("ExponentialLR"),
    "PolynomialLR": _before("PolynomialLR"),
    "CosineAnnealingLR": _cosine_before,
    "LinearLR": _before("LinearLR"),
    "MultiplicativeLR": _before("MultiplicativeLR"),
}


def first_step(kind: str, semantics: str | None) -> Callable[[Any, list[float], int], None]:
    """The first step of ``kind`` under a release's semantics (lrplot.plan.releases)."""
    return (FIRST_STEPS_BEFORE_2_8 if semantics in _BEFORE_2_8 else FIRST_STEPS)[kind]
