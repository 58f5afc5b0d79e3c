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
from lrplot.plan import releases
from lrplot.plan.classes import allowed_imports, skip_dynamo_import
from lrplot.plan.construct import construct as construct_first
from lrplot.plan.construct import with_curve
from lrplot.plan.free import plan_free
from lrplot.plan.limits import check_memory
from lrplot.plan.plans import FAST_ENGINE, FREE_ENGINE, TORCH_ENGINE, CurvePlan, plan_curve

__all__ = ["FAST_ENGINE", "FREE_ENGINE", "TORCH_ENGINE", "CurvePlan", "Plans", "plan"]


class Plans(list[CurvePlan]):
    """A config's plans, the ``--engine`` they were planned for (:func:`plan`), and whether
    the installed torch's release semantics were settled then (False while a torch new to
    lrplot awaits its self-check: the run checks it, then plans again)."""

    def __init__(self, plans: Sequence[CurvePlan], engine: str, *, checked: bool = True) -> None:
        super().__init__(plans)
        self.engine = engine
        self.checked = checked


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

    This is the one place the engine is decided, once per curve, and each plan carries the
    decision (``CurvePlan.engine``, with ``CurvePlan.slow_reason``; the engines, ``plot``
    and ``check`` read it, never re-derive it). ``engine="auto"``: when every curve is
    covered by :mod:`lrplot.plan.free` with certainly valid arguments under the installed
    torch's release semantics, plan (and construct) without importing torch
    (``FREE_ENGINE``); anything else, and ``engine`` ``fast`` or ``torch``, goes through
    torch, whose own checks and messages then apply, and :mod:`lrplot.plan.choice` decides
    per curve whether the exact fast engine continues torch's objects (``FAST_ENGINE``) or
    torch steps them (``TORCH_ENGINE``); ``--engine fast`` is refused here where it does not
    apply. ``skip_dynamo`` (the command line only): on the torch path, torch objects are
    built without importing torch._dynamo (:func:`lrplot.plan.classes.skip_dynamo_import`).
    """
    checked = releases.is_forced() or releases.decide().checked
    with lifting(force):
        if engine == "auto":
            free_plans = plan_free(config)
            if free_plans is not None:
                attempt(check_memory, free_plans)
                return Plans(free_plans, engine, checked=checked)
        if skip_dynamo:
            skip_dynamo_import()
        plans = _plan(config, allowed_imports(allow_imports), construct)
        from lrplot.plan.choice import decide_all  # the torch path only: torch is imported here

        try:
            decide_all(plans, engine)
        except LrplotError as error:  # --engine fast where it does not apply
            raise config.locate(error) from None
        return Plans(plans, engine, checked=checked)


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
