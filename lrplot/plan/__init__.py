"""Stage 5: a validated Config → checked plans, one per curve.

Names become classes, keywords are checked against torch's signatures, expressions are
compiled, logs are read and the run's size is bounded, all before anything steps.
``lrplot validate`` and ``lrplot plot`` go through the same checks.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from lrplot.config import Config
from lrplot.errors import LrplotError, attempt, collected
from lrplot.limits import lifting
from lrplot.plan.classes import allowed_imports, skip_dynamo_import
from lrplot.plan.construct import construct as construct_first
from lrplot.plan.construct import with_curve
from lrplot.plan.free import plan_free
from lrplot.plan.limits import check_memory
from lrplot.plan.plans import CurvePlan, plan_curve

__all__ = ["CurvePlan", "plan"]


def plan(
    config: Config,
    *,
    allow_imports: Sequence[str] = (),
    force: bool = False,
    construct: bool = False,
    torch_free: bool = True,
    skip_dynamo: bool = False,
) -> list[CurvePlan]:
    """Check every curve (names, keywords, expressions, metric logs, size) before any runs.

    ``force`` lifts the limits on length and memory. ``construct`` also builds each curve's
    torch objects without stepping them (``lrplot validate``; a run builds them anyway).
    Inside :func:`lrplot.errors.collecting`, every problem is recorded instead of raised,
    so ``validate`` and ``plot`` go through the very same checks.

    ``torch_free``: when every curve is covered by :mod:`lrplot.plan.free` with certainly
    valid arguments, plan (and construct) without importing torch; anything else goes
    through torch, whose own checks and messages then apply. ``skip_dynamo`` (the command
    line only): constructing on that path does not import torch._dynamo
    (:func:`lrplot.plan.classes.skip_dynamo_import`).
    """
    with lifting(force):
        if torch_free:
            free_plans = plan_free(config)
            if free_plans is not None:
                attempt(check_memory, free_plans)
                return free_plans
        if construct and skip_dynamo:
            skip_dynamo_import()
        return _plan(config, allowed_imports(allow_imports), construct)


def _plan(config: Config, allowed: tuple[str, ...], construct: bool) -> list[CurvePlan]:
    sink = collected()
    plans: list[CurvePlan] = []
    earlier: dict[str, CurvePlan] = {}
    for curve in config.curves:
        before = len(sink) if sink is not None else 0
        try:
            curve_plan = attempt(
                plan_curve, curve, base_dir=config.base_dir, allowed=allowed, earlier=earlier
            )
            if curve_plan is not None:
                earlier[curve.label] = curve_plan
                plans.append(curve_plan)
                if construct and curve_plan.source is None:  # a continued optimizer exists only in a run
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        attempt(construct_first, curve_plan)
        except LrplotError as error:
            raise config.locate(with_curve(error, curve.label)) from None
        for error in (sink or [])[before:]:
            config.locate(with_curve(error, curve.label))
    attempt(check_memory, plans)
    return plans
