"""SequentialLR, ChainedScheduler, LambdaLR and MultiplicativeLR constructed without torch.

These wrap other schedulers or lrplot's own expressions, so they are the ones a typical
LLM config names (``SequentialLR(LinearLR, CosineAnnealingLR)``). What torch 2.13's
constructors do, step by step, is written out here:

- ``SequentialLR``: the children are constructed first (each runs its own first step on
  the param groups); then every group's lr goes back to its ``initial_lr``, each child's
  ``last_epoch`` goes back by one, and the child for epoch 0 runs its first step again.
  Its own ``last_epoch`` is the keyword plus one (no ``initial_lr`` check of its own).
- ``ChainedScheduler``: the children are constructed in order, each on the lrs the
  previous one left; nothing else happens.
- ``LambdaLR`` / ``MultiplicativeLR``: one function per group (a single one repeated),
  then the usual first step: ``base_lr * f(epoch)``, or the lrs kept.

The domain is narrower than torch's on purpose: milestones strictly increasing and at
least 1, children only of the classes whose recurrences the fast engine continues inside
these (no nesting), expressions only lrplot's (compiled by :mod:`lrplot.expressions`).
Everything else is declined, so torch decides.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from lrplot.errors import ExpressionError
from lrplot.expressions import compile_expression
from lrplot.plan.domains import REQUIRED, FreeScheduler, integer, last_epoch, number
from lrplot.plan.first_steps import first_step

# Children the recurrences continue inside each (lrplot.plan.recurrences: SEQUENTIAL_CHILDREN, _chained).
SEQUENTIAL_CHILDREN = (
    "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
    "CosineAnnealingLR", "LambdaLR", "MultiplicativeLR",
)  # fmt: skip
CHAINED_CHILDREN = (*SEQUENTIAL_CHILDREN, "CosineAnnealingWarmRestarts")


def _milestones(value: Any) -> bool:
    """Strictly increasing ints from 1: torch accepts more (it only counts them), but then
    ``bisect_right`` picks children in ways the tests do not cover."""
    if not isinstance(value, list) or not all(integer(m) and m >= 1 for m in value):
        return False
    return all(a < b for a, b in itertools.pairwise(value))


def _expressions(value: Any) -> bool:
    """An expression string or number, or a non-empty list of them (one per group)."""
    if isinstance(value, list):
        return bool(value) and all(_expressions(v) for v in value)
    return isinstance(value, str) or number(value)


COMPOSITE_SCHEDULERS: dict[str, dict[str, tuple[Callable[[Any], bool], Any]]] = {
    "SequentialLR": {"milestones": (_milestones, REQUIRED), "last_epoch": (last_epoch, -1)},
    "ChainedScheduler": {},
}
LAMBDA_SCHEDULERS: dict[str, dict[str, tuple[Callable[[Any], bool], Any]]] = {
    "LambdaLR": {"lr_lambda": (_expressions, REQUIRED), "last_epoch": (last_epoch, -1)},
    "MultiplicativeLR": {"lr_lambda": (_expressions, REQUIRED), "last_epoch": (last_epoch, -1)},
}


def compile_lambdas(value: Any) -> Any:
    """lrplot's compiled ``lr_lambda`` (one function or a list), as the torch path compiles
    it (``epoch`` an alias of ``step``); None when lrplot would refuse it (its own message)."""
    try:
        if isinstance(value, list):
            return [compile_expression(v, ("step",), aliases={"epoch": "step"}).function for v in value]
        return compile_expression(value, ("step",), aliases={"epoch": "step"}).function
    except ExpressionError:
        return None


def per_group_lambdas(value: Any, groups: list[dict[str, Any]]) -> list[Any] | None:
    """torch's ``lr_lambdas``: the function repeated per group, or the list when its length fits."""
    if isinstance(value, list):
        return list(value) if len(value) == len(groups) else None
    return [value] * len(groups)


Construct = Callable[[Any, list[dict[str, Any]]], Any]


def construct_composite(plan: Any, groups: list[dict[str, Any]], construct: Construct) -> Any:
    """SequentialLR's or ChainedScheduler's state after torch's constructor, or None to let
    torch decide. ``construct`` builds a child (changing ``groups`` as torch would)."""
    children = [construct(child, groups) for child in plan.children]
    semantics = children[0].semantics if children else None
    if plan.cls.kind == "ChainedScheduler":
        # torch's ChainedScheduler keeps no last_epoch; the engines read 0 for it.
        return FreeScheduler("ChainedScheduler", _schedulers=children, last_epoch=0, semantics=semantics)
    milestones = plan.keywords["milestones"]
    if len(milestones) != len(children) - 1:
        return None
    if any(child.kind in ("LinearLR", "PolynomialLR") and child.total_iters == 0 for child in children[1:]):
        return None  # restarting it at its milestone (_get_closed_form_lr) divides by zero
    for group in groups:
        group["lr"] = group["initial_lr"]  # every child set it (or refused without it)
    for child in children:  # recursive_undo: no nesting in this domain
        child.last_epoch -= 1
    first = children[0]  # bisect_right(milestones, 0) with milestones >= 1
    first.last_epoch += 1  # _initial_step: step() in initial mode
    lrs = [group["lr"] for group in groups]
    first_step(first.kind, first.semantics)(first, lrs, first.last_epoch)
    for group, lr in zip(groups, lrs, strict=True):
        group["lr"] = lr
    return FreeScheduler(
        "SequentialLR",
        _schedulers=children,
        _milestones=list(milestones),
        last_epoch=plan.keywords["last_epoch"] + 1,
        semantics=semantics,
    )
