"""Which of the three engines draws a torch-planned curve, decided once, by the planner.

:func:`lrplot.plan.plan` plans a config without torch where :mod:`lrplot.plan.free` covers
it (``no-torch``); every other curve gets here once, after all curves are planned (whether a
later curve continues its optimizer is known then): the exact ``fast`` engine continues
torch's constructed objects wherever it is verified for the installed torch and covers the
curve, else ``torch`` steps them. The decision and the line said about it are recorded on
the plan (``CurvePlan.engine``, ``CurvePlan.slow_reason``); the engines read them and never
re-decide. What the fast engine would read of torch's objects is checked here too, from the
installed torch's classes (the attributes their methods store), so an older release that
lacks one is stepped by torch from the start.
"""

from __future__ import annotations

import dis
import functools
import inspect
from collections.abc import Iterator, Sequence
from types import CodeType
from typing import Any

from lrplot.errors import LrplotError
from lrplot.plan import releases
from lrplot.plan.cycle_steps import CYCLES
from lrplot.plan.drivers import driver_changes, is_driver
from lrplot.plan.free import torch_free_verified
from lrplot.plan.plans import FAST_ENGINE, TORCH_ENGINE, CurvePlan, SchedulerPlan
from lrplot.plan.recurrences import SEQUENTIAL_CHILDREN, kind_of, recurrences

__all__ = ["READS", "covered_names", "covers", "decide", "decide_all", "simple", "torch_verified"]

# Whether the installed torch's recurrences are ones lrplot has (lrplot.plan.releases): the
# torch-free planner's own question, asked of the same decision.
torch_verified = torch_free_verified


def _is_plateau(cls: Any) -> bool:
    return kind_of(cls) == "ReduceLROnPlateau"


def covers(cls: Any, children: Sequence[Any] = ()) -> bool:
    """Whether the fast engine has this exact scheduler class (not a subclass).

    A ChainedScheduler is covered when every child is (its children are plans with
    ``cls`` and ``children``).
    """
    if _is_plateau(cls):
        return not children
    kind = kind_of(cls) if isinstance(cls, type) else None
    if kind in CYCLES:
        return not children
    if kind not in recurrences():
        return False
    if kind == "ChainedScheduler":
        return bool(children) and all(
            covers(child.cls, child.children) and not child.children and not _is_plateau(child.cls)
            for child in children
        )
    if kind == "SequentialLR":
        return bool(children) and all(
            kind_of(child.cls) in SEQUENTIAL_CHILDREN and covers(child.cls, child.children)
            for child in children
        )
    return not children


def covered_names() -> list[str]:
    return sorted([*recurrences(), "ReduceLROnPlateau", *CYCLES])


# The attributes of torch's own objects the fast engine reads, by class: older releases lack
# some (SWALR's _anneal_strategy before 2.10, OneCycleLR's _anneal_func_type and CyclicLR's
# use_beta1 on 2.2); then the curve steps torch instead.
READS: dict[str, tuple[str, ...]] = {
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


def unread_attribute(plan: SchedulerPlan) -> str | None:
    """The first attribute the fast engine would read that this torch's ``plan.cls`` (or a
    nested scheduler's class) never sets, as ``Class.name``, or None."""
    kind = kind_of(plan.cls)
    if kind is None:
        return None
    needed = list(READS.get(kind, ()))
    momentum = plan.keywords.get("cycle_momentum", True)
    if kind == "CyclicLR" and momentum:
        needed += ["use_beta1", "base_momentums", "max_momentums"]
    if kind == "OneCycleLR" and momentum:
        needed.append("use_beta1")
    attributes = set_attributes(plan.cls)
    for name in needed:
        if name not in attributes:
            return f"{plan.cls.__name__}.{name}"
    for child in plan.children:
        found = unread_attribute(child)
        if found is not None:
            return found
    return None


def set_attributes(cls: type) -> frozenset[str]:
    """Every attribute an instance of ``cls`` can have: the class's (and its bases') own
    names and every ``self.name = ...`` their methods store. tests/test_engine_choice.py
    checks it against constructed objects of the installed torch."""
    return frozenset().union(*(_own_attributes(klass) for klass in cls.__mro__ if klass is not object))


@functools.cache
def _own_attributes(klass: type) -> frozenset[str]:
    """One class's names and the attributes its own methods store (a base is read once)."""
    names = set(vars(klass))
    for value in vars(klass).values():
        for code in _codes(value):
            names.update(_stores(code))
    return frozenset(names)


def _codes(value: Any) -> Iterator[CodeType]:
    if isinstance(value, (classmethod, staticmethod)):
        value = value.__func__
    if isinstance(value, property):
        for function in (value.fget, value.fset):
            if function is not None:
                yield from _codes(function)
        return
    while value is not None:
        code = getattr(value, "__code__", None)
        if isinstance(code, CodeType):
            yield code
        value = getattr(value, "__wrapped__", None)


def _stores(code: CodeType) -> Iterator[str]:
    for instruction in dis.get_instructions(code):
        if instruction.opname == "STORE_ATTR":
            yield instruction.argval
    for constant in code.co_consts:
        if inspect.iscode(constant):
            yield from _stores(constant)


def cycles_momentum(plan: SchedulerPlan) -> bool:
    """CyclicLR and OneCycleLR cycle momentum unless cycle_momentum: false."""
    from torch.optim.lr_scheduler import CyclicLR, OneCycleLR

    own = (
        isinstance(plan.cls, type)
        and issubclass(plan.cls, (CyclicLR, OneCycleLR))
        and plan.keywords.get("cycle_momentum", True)
    ) or "momentum" in driver_changes(plan.cls, plan.keywords)
    return bool(own) or any(cycles_momentum(child) for child in plan.children)


def may_change_weight_decay(plan: SchedulerPlan) -> bool:
    """Built-in torch (timm, lrplot) schedulers never touch weight decay; a user's own class might."""
    known = ("torch.optim", "transformers", "lrplot.plan.drivers.")
    own = not getattr(plan.cls, "__module__", "").startswith(known)
    own = own or "weight_decay" in driver_changes(plan.cls, plan.keywords)
    return own or any(may_change_weight_decay(child) for child in plan.children)


def records(curve_plan: CurvePlan) -> tuple[str, ...]:
    """What a torch-planned run records besides the lr: ``momentum`` (beta1 or momentum,
    whichever the optimizer has) where a scheduler cycles it, ``weight_decay`` where one may
    change it."""
    plans = [segment.scheduler for segment in curve_plan.segments]
    found = []
    if any(cycles_momentum(plan) for plan in plans):
        found.append("momentum")
    if any(may_change_weight_decay(plan) for plan in plans):
        found.append("weight_decay")
    return tuple(found)


def simple(curve_plan: CurvePlan) -> bool:
    """One segment stepped every step, nothing else recorded: the fast engine's own loop
    (:func:`lrplot.engines.fast.run`), else its general one (:func:`lrplot.engines.free.run_segment`)."""
    return (
        len(curve_plan.segments) == 1
        and curve_plan.source is None
        and not curve_plan.keep_stepping
        and curve_plan.curve.interval == "step"
        and not curve_plan.records
        and _fast_kind(curve_plan.segments[0].scheduler.cls) not in CYCLES
    )


def _fast_kind(cls: Any) -> str | None:
    return kind_of(cls) if isinstance(cls, type) else None


def _walks(curve_plan: CurvePlan) -> bool:
    """What the general fast loop (lrplot.engines.free.run_segment) runs: plain schedulers
    (no children, no metric), fractional epochs only for CosineAnnealingWarmRestarts, and
    recorded values only momentum or beta1."""
    for segment in curve_plan.segments:
        if segment.scheduler.children or segment.metric is not None:
            return False
        kind = _fast_kind(segment.scheduler.cls)
        if kind == "ReduceLROnPlateau":
            return False
        if curve_plan.curve.interval == "fractional_epoch" and kind != "CosineAnnealingWarmRestarts":
            return False
    return "weight_decay" not in curve_plan.records


def slow_reasons(curve_plan: CurvePlan, engine: str) -> list[str]:
    """Why the fast engine cannot draw this curve ([] when it can): ``--engine fast`` refuses
    with the first, ``auto`` steps torch and says the first in one line."""
    if engine == "torch":
        return ["--engine torch"]
    reasons = []
    if not torch_verified():
        decision = releases.decide()
        why = decision.reason.removeprefix("lrplot steps torch: ")
        reasons.append(f"it is not verified for torch {decision.version} ({why})")
    for segment in curve_plan.segments:
        scheduler = segment.scheduler
        if "scale_fn" in scheduler.keywords:
            reasons.append(f"it does not cover {scheduler.name} with a scale_fn")
        elif not covers(scheduler.cls, scheduler.children):
            reasons.append(f"it does not cover {scheduler.name} (it covers {', '.join(covered_names())})")
    if not simple(curve_plan) and not _walks(curve_plan):
        reasons.append(
            "it runs segments, continued optimizers, epoch intervals and recorded momentum "
            "only for schedulers without nested schedulers or metrics"
        )
    if reasons and engine == "fast":
        raise LrplotError(
            f"curve {curve_plan.curve.label!r}: --engine fast cannot draw this curve: {reasons[0]}; "
            "use --engine auto",
            key_path=("curves", curve_plan.curve.index, "scheduler"),
        )
    if not reasons:
        for segment in curve_plan.segments:
            missing = unread_attribute(segment.scheduler)
            if missing is None:
                continue
            if engine == "fast":
                raise LrplotError(
                    f"curve {curve_plan.curve.label!r}: --engine fast cannot draw this curve: this "
                    f"torch's {missing} is missing; use --engine auto",
                    key_path=("curves", curve_plan.curve.index, "scheduler"),
                )
            reasons.append(f"it reads {missing}, which this torch lacks")
            break
    return reasons


def decide(curve_plan: CurvePlan, engine: str) -> None:
    """Record on a torch-planned curve which engine draws it (``--engine`` ``engine``) and the
    line said when ``auto`` steps torch: none when it was asked for, or when the curve is an
    ecosystem's own schedule code (stepping it is the design, not a fallback)."""
    curve_plan.records = records(curve_plan)
    reasons = slow_reasons(curve_plan, engine)
    curve_plan.engine = TORCH_ENGINE if reasons else FAST_ENGINE
    library_code = any(is_driver(segment.scheduler.cls) for segment in curve_plan.segments)
    curve_plan.slow_reason = reasons[0] if engine == "auto" and reasons and not library_code else None


def decide_all(plans: Sequence[CurvePlan], engine: str) -> None:
    """:func:`decide` for every torch-planned curve of a config, once its plans are all made."""
    for curve_plan in plans:
        decide(curve_plan, engine)
