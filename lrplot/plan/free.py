"""Torch-free plans: what torch's constructors would build, computed without importing torch.

``import torch`` takes over a second, most of a typical run. For the configs this module
covers, lrplot plans, constructs and steps without it: names resolve against a table of
the covered classes (their signatures are checked against torch's own in
tests/test_free.py), and the constructed state (the optimizer's param groups, the
scheduler's ``initial_lr``/``base_lrs``, ``last_epoch`` and its first step) is computed here
with torch's own operations, for the torch versions the tests verified (read from the
package metadata, never by importing torch).

The domain is deliberately conservative: a keyword is accepted only where its value is one
torch certainly accepts (a finite number in range, an int where torch counts). Anything
else — an unknown keyword, a value torch might refuse, a class or feature not covered —
makes the whole config take the torch path, so torch itself decides and its own error
message reaches the user. This module never refuses a config; it only declines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from lrplot.config import Config, Curve, SchedulerSpec, scheduler_calls
from lrplot.errors import KeyPath, LrplotError
from lrplot.plan import releases, source_keywords
from lrplot.plan.classes import EXPRESSION_KEYWORDS
from lrplot.plan.composite import (
    CHAINED_CHILDREN,
    COMPOSITE_SCHEDULERS,
    LAMBDA_SCHEDULERS,
    SEQUENTIAL_CHILDREN,
    compile_lambdas,
    construct_composite,
    per_group_lambdas,
)
from lrplot.plan.cycles import CYCLE_SCHEDULERS, construct_cycle
from lrplot.plan.domains import (
    REQUIRED,
    FreeScheduler,
    at_least,
    betas_pair,
    between,
    boolean,
    int_at_least,
    integer,
    last_epoch,
    number,
    stand_in,
)
from lrplot.plan.first_steps import first_step
from lrplot.plan.plans import FREE_ENGINE, CurvePlan, SchedulerPlan, SegmentPlan
from lrplot.plan.run_numbers import RunNumbers, follow_parameters


def installed_torch() -> str | None:
    """The installed torch's version from its package metadata, without importing torch."""
    folder = releases.torch_folder()
    return releases.torch_version(folder) if folder is not None else None


def torch_free_verified() -> bool:
    """Whether the torch-free engine follows the installed torch (known or self-checked sources)."""
    return releases.current() is not None


Domain = dict[str, Callable[[Any], bool]]

# Optimizer keywords: (domain, torch's default). Only values torch's constructor accepts.
OPTIMIZERS: dict[str, dict[str, tuple[Callable[[Any], bool], Any]]] = {
    "SGD": {
        "lr": (at_least(0.0), 1e-3),
        "momentum": (at_least(0.0), 0),
        "weight_decay": (at_least(0.0), 0),
    },
    "Adam": {
        "lr": (at_least(0.0), 1e-3),
        "betas": (betas_pair, (0.9, 0.999)),
        "eps": (at_least(0.0), 1e-8),
        "weight_decay": (at_least(0.0), 0),
        "amsgrad": (boolean, False),
    },
    "AdamW": {
        "lr": (at_least(0.0), 1e-3),
        "betas": (betas_pair, (0.9, 0.999)),
        "eps": (at_least(0.0), 1e-8),
        "weight_decay": (at_least(0.0), 1e-2),
        "amsgrad": (boolean, False),
    },
}

# Scheduler keywords: domain and torch's default (``REQUIRED`` when the signature has none).
SCHEDULERS: dict[str, dict[str, tuple[Callable[[Any], bool], Any]]] = {
    "StepLR": {
        "step_size": (int_at_least(1), REQUIRED),
        "gamma": (number, 0.1),
        "last_epoch": (last_epoch, -1),
    },
    "MultiStepLR": {
        "milestones": (lambda v: isinstance(v, list) and all(integer(m) for m in v), REQUIRED),
        "gamma": (number, 0.1),
        "last_epoch": (last_epoch, -1),
    },
    "ConstantLR": {
        "factor": (between(0.0, 1.0, open_low=True), 1.0 / 3),
        "total_iters": (int_at_least(0), 5),
        "last_epoch": (last_epoch, -1),
    },
    "LinearLR": {
        "start_factor": (between(0.0, 1.0, open_low=True), 1.0 / 3),
        "end_factor": (between(0.0, 1.0), 1.0),
        "total_iters": (int_at_least(0), 5),
        "last_epoch": (last_epoch, -1),
    },
    "ExponentialLR": {"gamma": (number, REQUIRED), "last_epoch": (last_epoch, -1)},
    "PolynomialLR": {
        "total_iters": (int_at_least(0), 5),
        "power": (at_least(0.0), 1.0),
        "last_epoch": (last_epoch, -1),
    },
    "CosineAnnealingLR": {
        "T_max": (int_at_least(1), REQUIRED),
        "eta_min": (number, 0.0),
        "last_epoch": (last_epoch, -1),
    },
    "CosineAnnealingWarmRestarts": {
        "T_0": (int_at_least(1), REQUIRED),
        "T_mult": (int_at_least(1), 1),
        "eta_min": (number, 0.0),
        "last_epoch": (last_epoch, -1),
    },
}

_GROUP_KEYS = {"name", "lr", "initial_lr"}


def _short(name: str, module: str, known: dict[str, Any]) -> str | None:
    """The covered class a config name means, or None (then torch resolves it)."""
    short = name[len(module) + 1 :] if name.startswith(module + ".") else name
    return short if short in known else None


def _keywords(
    keywords: dict[str, Any], table: dict[str, tuple[Callable[[Any], bool], Any]]
) -> dict[str, Any] | None:
    """Every keyword torch's signature would take, defaults filled; None unless certainly valid."""
    if any(name not in table or not table[name][0](value) for name, value in keywords.items()):
        return None
    if any(default is REQUIRED and name not in keywords for name, (_, default) in table.items()):
        return None
    return {name: keywords.get(name, default) for name, (_, default) in table.items()}


_TABLES = {**SCHEDULERS, **CYCLE_SCHEDULERS, **LAMBDA_SCHEDULERS, **COMPOSITE_SCHEDULERS}
_CHILDREN = {"SequentialLR": SEQUENTIAL_CHILDREN, "ChainedScheduler": CHAINED_CHILDREN}


def free_scheduler(
    spec: SchedulerSpec, key_path: tuple[Any, ...], within: str | None = None, run: RunNumbers | None = None
) -> SchedulerPlan | None:
    """The plan of a covered scheduler with certainly valid keywords (children included), or
    None. ``within``: the SequentialLR or ChainedScheduler this one is a child of. ``run``:
    the curve's numbers, for keyword expressions (``T_max: "total_step - 500"``)."""
    kind = _short(spec.name, "torch.optim.lr_scheduler", _TABLES) or _short(
        spec.name, "torch.optim.swa_utils", _TABLES
    )
    if (
        kind is not None
        and "." in spec.name
        and spec.name.startswith("torch.optim.swa_utils.") != (kind == "SWALR")
    ):
        return None  # a class named in the other module: the torch path says it has no such class
    if kind is None or (within is not None and kind not in _CHILDREN[within]):
        return None
    if bool(spec.schedulers) != (kind in _CHILDREN):
        return None  # the torch path says what is missing or extra
    raw = spec.keywords
    if run is not None and _has_expression(raw):
        raw = _evaluated(kind, raw, run, key_path)
        if raw is None:
            return None
    keywords = _keywords(raw, _TABLES[kind])
    if keywords is None:
        return None
    if kind in LAMBDA_SCHEDULERS:
        keywords["lr_lambda"] = compile_lambdas(keywords["lr_lambda"])
        if keywords["lr_lambda"] is None:
            return None
    children = []
    for index, child in enumerate(spec.schedulers or []):
        child_plan = free_scheduler(child, (*key_path, "schedulers", index), kind, run)
        if child_plan is None:
            return None
        children.append(child_plan)
    return SchedulerPlan(
        cls=stand_in(kind), name=spec.name, keywords=keywords, children=children, key_path=key_path
    )


def _has_expression(keywords: dict[str, Any]) -> bool:
    return any(
        isinstance(value, str) or (isinstance(value, list) and any(isinstance(v, str) for v in value))
        for name, value in keywords.items()
        if name not in EXPRESSION_KEYWORDS
    )


def _evaluated(
    kind: str, keywords: dict[str, Any], run: RunNumbers, key_path: KeyPath
) -> dict[str, Any] | None:
    """The keywords with their run expressions evaluated as the torch path evaluates them
    (lrplot.plan.run_numbers.follow_run), the keyword kinds read from the installed torch's
    source; None (torch decides, and says what is wrong) where that fails."""
    parameters = source_keywords.parameters(kind)
    if parameters is None:
        return None
    try:
        return follow_parameters(parameters, keywords, run, key_path, f"scheduler {kind}")
    except LrplotError:
        return None


def _free_optimizer(curve: Curve) -> tuple[str, dict[str, Any], list[dict[str, Any]], list[str]] | None:
    spec = curve.optimizer
    kind = _short(spec.name, "torch.optim", OPTIMIZERS)
    if kind is None or spec.from_ is not None:
        return None
    keywords = _keywords(spec.keywords, OPTIMIZERS[kind])
    if keywords is None:
        return None
    groups, names = [], []
    for index, raw in enumerate(spec.param_groups or [{}]):
        if not isinstance(raw, dict) or set(raw) - _GROUP_KEYS:
            return None
        if "lr" in raw and not at_least(0.0)(raw["lr"]):
            return None
        group = dict(raw)
        if "initial_lr" in group and not number(group["initial_lr"]):
            return None
        initial_lr = group.get("initial_lr", spec.initial_lr)
        if initial_lr is not None:
            if not number(initial_lr):
                return None
            group["initial_lr"] = initial_lr
        names.append(str(group.get("name", index)))
        groups.append(group)
    if len(set(names)) != len(names):
        return None
    return kind, keywords, groups, names


def plan_free(config: Config) -> list[CurvePlan] | None:
    """Plans for every curve without torch, or None when any curve needs torch."""
    if not torch_free_verified():
        return None
    plans: list[CurvePlan] = []
    earlier: dict[str, CurvePlan] = {}
    for curve in config.curves:
        curve_plan = _plan_curve(curve, earlier)
        if curve_plan is None:
            return None
        plans.append(curve_plan)
        earlier[curve.label] = curve_plan
    return plans


def _plan_curve(curve: Curve, earlier: dict[str, CurvePlan]) -> CurvePlan | None:
    if curve.members is not None or curve.reference is not None or curve.metric is not None:
        return None
    if curve.interval == "epoch" and not curve.steps_per_epoch:
        return None
    source = None
    if curve.optimizer.from_ is not None:
        source = earlier.get(curve.optimizer.from_)
        if source is None or curve.optimizer.from_ == curve.label:
            return None  # torch's path says what is wrong with it
        source.keep_stepping = True  # its run leaves the groups where this one starts
        optimizer: tuple[Any, dict[str, Any], list[dict[str, Any]], list[str]] | None = (
            None, {}, source.groups, source.group_names,
        )  # fmt: skip
    else:
        optimizer = _free_optimizer(curve)
    if optimizer is None:
        return None
    kind, keywords, groups, names = optimizer
    key_path = ("curves", curve.index)
    parts = curve.segments or [None]
    segments = []
    for index, segment in enumerate(parts):
        spec = segment.scheduler if segment else curve.scheduler
        if segment is not None and segment.metric is not None:
            return None
        path = (*key_path, "segments", index) if segment else key_path
        plan = free_scheduler(
            spec, (*path, "scheduler"), run=RunNumbers(curve.total_step, curve.steps_per_epoch)
        )
        if plan is None:
            return None
        steps = segment.steps if segment else curve.total_step
        segments.append(SegmentPlan(steps=steps, scheduler=plan, metric=None, key_path=path))
    if curve.interval == "fractional_epoch" and (
        len(segments) > 1 or segments[0].scheduler.cls.kind != "CosineAnnealingWarmRestarts"  # type: ignore[attr-defined]
    ):
        return None  # only the documented use: CosineAnnealingWarmRestarts.step(epoch + i / iters)
    curve_plan = CurvePlan(
        curve=curve,
        optimizer_cls=stand_in(kind) if kind else None,
        optimizer_keywords=keywords,
        groups=groups,
        group_names=names,
        segments=segments,
        source=source,
        engine=FREE_ENGINE,
    )
    # Construct each segment on the groups as the previous ones leave their keys: a resumed
    # scheduler without initial_lr, or a per-group list of the wrong length, is torch's to report.
    trial = build_groups(source if source is not None else curve_plan)
    for segment in segments:
        try:
            state = construct_scheduler(segment.scheduler, trial)
        except Exception:  # _Declined, or anything torch's own constructor would meet too
            return None
        calls = scheduler_calls(segment.steps, curve.interval, curve.steps_per_epoch, full=True)
        if segment.scheduler.cls.kind == "OneCycleLR" and calls > state.total_steps:  # type: ignore[attr-defined]
            return None  # lrplot's own message about total_steps comes from the torch path
    return curve_plan


class _Declined(Exception):
    """This plan is not certainly valid after all: torch decides."""


def build_groups(curve_plan: CurvePlan) -> list[dict[str, Any]]:
    """The optimizer's param groups as torch builds them (the config's keys over the defaults)."""
    if curve_plan.source is not None:
        return build_groups(curve_plan.source)
    defaults = dict(curve_plan.optimizer_keywords)
    return [{**defaults, **{k: v for k, v in group.items() if k != "name"}} for group in curve_plan.groups]


def construct_scheduler(plan: SchedulerPlan, groups: list[dict[str, Any]]) -> Any:
    """The scheduler's state right after torch's constructor and its first step, on ``groups``
    (changed in place as torch changes the optimizer's param groups)."""
    kind = plan.cls.kind  # type: ignore[attr-defined]
    keywords = plan.keywords
    if kind in CYCLE_SCHEDULERS or kind in COMPOSITE_SCHEDULERS:
        state = (
            construct_cycle(kind, keywords, groups)
            if kind in CYCLE_SCHEDULERS
            else construct_composite(plan, groups, construct_scheduler)
        )
        if state is None:
            raise _Declined(kind)
        return state
    settings = {k: v for k, v in keywords.items() if k != "last_epoch"}
    if kind in LAMBDA_SCHEDULERS:  # torch checks the list's length first
        settings = {"lr_lambdas": per_group_lambdas(keywords["lr_lambda"], groups)}
        if settings["lr_lambdas"] is None:
            raise _Declined(kind)
    resumed = keywords["last_epoch"]
    if resumed == -1:
        for group in groups:
            group.setdefault("initial_lr", group["lr"])
    elif any("initial_lr" not in group for group in groups):
        raise _Declined("initial_lr")
    state = FreeScheduler(kind, **settings)
    state.semantics = releases.current()
    state.base_lrs = [group["initial_lr"] for group in groups]
    epoch = resumed + 1
    state.last_epoch = epoch
    if kind == "MultiStepLR":
        state.milestones = Counter(keywords["milestones"])
    lrs = [group["lr"] for group in groups]
    first_step(kind, state.semantics)(state, lrs, epoch)
    for group, lr in zip(groups, lrs, strict=True):
        group["lr"] = lr
    return state
