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
from lrplot.plan.plans import FREE_ENGINE, TORCH_ENGINE, CurvePlan, plan_curve

__all__ = ["FREE_ENGINE", "TORCH_ENGINE", "CurvePlan", "Plans", "plan"]


class Plans(list[CurvePlan]):
    """A config's plans, and the ``--engine`` they were planned for (:func:`plan`)."""

    def __init__(self, plans: Sequence[CurvePlan], engine: str) -> None:
        super().__init__(plans)
        self.engine = engine


def plan(
    config: Config,
    *,
    allow_imports: Sequence[str] = (),
    force: bool = False,
    construct: bool = False,
    engine: str = "auto",
    skip_dynamo: bool = False,
) -> Plans:
    """Check every curve (names, keywords, expressions, metric logs, size) before any runs.

    ``force`` lifts the limits on length and memory. ``construct`` also builds each curve's
    torch objects without stepping them (``lrplot validate``; a run builds them anyway).
    Inside :func:`lrplot.errors.collecting`, every problem is recorded instead of raised,
    so ``validate`` and ``plot`` go through the very same checks.

    This is the one place the engine is decided, once per config, and each plan carries the
    decision (``CurvePlan.engine``; the engines, ``plot`` and ``check`` read it, never
    re-derive it). ``engine="auto"``: when every curve is covered by :mod:`lrplot.plan.free`
    with certainly valid arguments under the installed torch's release semantics, plan (and
    construct) without importing torch (``FREE_ENGINE``); anything else, and ``engine``
    ``fast`` or ``torch``, goes through torch, whose own checks and messages then apply
    (``TORCH_ENGINE``: the run then steps torch or continues its objects with the fast
    engine, :mod:`lrplot.engines.choice`). ``skip_dynamo`` (the command line only): on the
    torch path, torch objects are built without importing torch._dynamo
    (:func:`lrplot.plan.classes.skip_dynamo_import`).
    """
    with lifting(force):
        if engine == "auto":
            free_plans = plan_free(config)
            if free_plans is not None:
                attempt(check_memory, free_plans)
                return Plans(free_plans, engine)
        if skip_dynamo:
            skip_dynamo_import()
        return Plans(_plan(config, allowed_imports(allow_imports), construct), engine)


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
