"""Plans: every curve resolved and checked before anything runs.

Two phases keep errors early and cheap: :func:`plan_curve` resolves classes, checks
keywords and compiles expressions for every curve before anything runs; the engines
then construct the torch objects for one curve from its plan (:mod:`lrplot.plan.construct`).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lrplot.config import Curve, OptimizerSpec, SchedulerSpec, scheduler_calls
from lrplot.errors import Abandoned, ExpressionError, KeyPath, LrplotError, attempt
from lrplot.expressions import compile_expression
from lrplot.plan.classes import EXPRESSION_KEYWORDS, optimizer_classes, resolve, scheduler_classes
from lrplot.plan.keywords import KeywordSpec, annotation_text, check_keywords, matches_annotation, readable
from lrplot.plan.metrics import MetricSource, is_plateau, plan_metric
from lrplot.plan.reference import read_reference
from lrplot.plan.run_numbers import RunNumbers, follow_run

Engine = Literal["no-torch", "fast", "torch"]
FREE_ENGINE: Engine = "no-torch"  # planned, constructed and run without importing torch
FAST_ENGINE: Engine = "fast"  # torch's constructed objects, continued with the same recurrences
TORCH_ENGINE: Engine = "torch"  # torch's objects, stepped


@dataclass
class SchedulerPlan:
    """A resolved scheduler: its class, checked keywords and nested plans."""

    cls: type
    name: str
    keywords: dict[str, Any]
    children: list[SchedulerPlan] = field(default_factory=list)
    key_path: KeyPath = ()

    def build(self, optimizer: Any) -> Any:
        """Construct on ``optimizer`` in the order a training script does (children first)."""
        if not self.children:
            if isinstance(self.cls, type) or _optimizer_first(self.cls):
                scheduler = self.cls(optimizer, **self.keywords)
            else:  # a factory like transformers.get_scheduler(name, optimizer, ...)
                scheduler = self.cls(optimizer=optimizer, **self.keywords)
            if not callable(getattr(scheduler, "step", None)):
                raise TypeError(f"{self.name} returned {type(scheduler).__name__}, not a scheduler")
            return scheduler
        children = [child.build(optimizer) for child in self.children]
        try:
            parameters = list(inspect.signature(self.cls).parameters)
        except (TypeError, ValueError):
            parameters = []
        if parameters[:1] == ["schedulers"]:  # ChainedScheduler(schedulers, optimizer=None)
            if "optimizer" in parameters:
                return self.cls(children, optimizer=optimizer, **self.keywords)
            return self.cls(children, **self.keywords)
        return self.cls(optimizer, schedulers=children, **self.keywords)


def _optimizer_first(function: Any) -> bool:
    """Whether a scheduler factory takes the optimizer as its first argument."""
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return True
    return not parameters or parameters[0] == "optimizer" or "optimizer" not in parameters


@dataclass
class SegmentPlan:
    """One scheduler of a curve: how many steps it runs, and its (plateau) metric."""

    steps: int
    scheduler: SchedulerPlan
    metric: MetricSource | None
    key_path: KeyPath


@dataclass
class CurvePlan:
    """Everything needed to simulate one curve, checked before anything runs.

    A plain curve has one segment; ``segments:`` gives several. ``source`` is the earlier
    curve whose optimizer this one continues (``optimizer: {from: label}``).
    """

    curve: Curve
    optimizer_cls: type | None
    optimizer_keywords: dict[str, Any]
    groups: list[dict[str, Any]]
    group_names: list[str]
    segments: list[SegmentPlan]
    reference: Any = None
    source: CurvePlan | None = None
    # The planner's decision, taken once (lrplot.plan.plan, lrplot.plan.choice): which engine
    # draws the curve, and the line said when ``--engine auto`` steps torch (None: nothing to say).
    engine: Engine = TORCH_ENGINE
    slow_reason: str | None = None
    # A later curve continues this one's optimizer: its run takes the step after the last record.
    keep_stepping: bool = False
    # What a torch-planned run records besides the lr ("momentum", "weight_decay").
    records: tuple[str, ...] = ()

    @property
    def scheduler(self) -> SchedulerPlan:
        return self.segments[0].scheduler

    def build_optimizer(self) -> Any:
        """A fresh torch optimizer with one dummy parameter per group."""
        import torch

        if self.optimizer_cls is None:
            raise TypeError("this curve continues another curve's optimizer")
        param_groups = []
        for group in self.groups:
            entry = {key: value for key, value in group.items() if key != "name"}
            entry["params"] = [torch.nn.Parameter(torch.zeros(1))]
            param_groups.append(entry)
        return self.optimizer_cls(param_groups, **self.optimizer_keywords)


def plan_curve(
    curve: Curve, *, base_dir: Path, allowed: Sequence[str], earlier: dict[str, CurvePlan] | None = None
) -> CurvePlan:
    """Resolve and check one curve: classes, keywords, param groups, expressions, metric, log.

    The parts are checked independently, so ``lrplot validate`` reports the problems of
    each; outside validation the first problem raises. ``earlier`` holds the plans of the
    curves before this one, by label, for ``optimizer: {from: label}``.
    """
    key_path: KeyPath = ("curves", curve.index)
    source = None
    if curve.optimizer.from_ is not None:
        source = attempt(_source_plan, curve, earlier or {}, (*key_path, "optimizer", "from"))
        optimizer = (None, {}, source.groups, source.group_names) if source else None
        if source is not None:
            source.keep_stepping = True  # its run leaves the optimizer where this one starts
    else:
        optimizer = attempt(_plan_optimizer, curve.optimizer, (*key_path, "optimizer"), allowed)
    group_count = len(optimizer[2]) if optimizer else len(curve.optimizer.param_groups or [{}])
    segments = []
    parts = curve.segments or [None]
    for index, segment in enumerate(parts):
        steps = segment.steps if segment else curve.total_step
        spec = segment.scheduler if segment else curve.scheduler
        metric_value = segment.metric if segment else curve.metric
        path = (*key_path, "segments", index) if segment else key_path
        last = index == len(parts) - 1
        run = RunNumbers(curve.total_step, curve.steps_per_epoch)
        scheduler = attempt(_plan_scheduler, spec, (*path, "scheduler"), allowed, group_count, run)
        if scheduler is not None:
            scheduler = attempt(_timm_driver, scheduler, curve)
        metric = None
        if scheduler is not None and curve.members is not None:
            scheduler = attempt(_plan_members, curve, scheduler, steps, base_dir, path, last)
        if scheduler is not None:
            calls = scheduler_calls(steps, curve.interval, curve.steps_per_epoch, full=not last)
            metric = attempt(plan_metric, metric_value, calls, scheduler.cls, scheduler.name, base_dir, path)
            if metric is not None or not is_plateau(scheduler.cls):
                segments.append(SegmentPlan(steps=steps, scheduler=scheduler, metric=metric, key_path=path))
    reference = None
    if curve.reference is not None:
        reference = attempt(read_reference, curve.reference, base_dir, (*key_path, "reference"))
    incomplete = (
        optimizer is None or len(segments) < len(parts) or (reference is None and curve.reference is not None)
    )
    if incomplete:
        raise Abandoned("curve has problems")  # only reached while collecting problems
    optimizer_cls, keywords, groups, names = optimizer
    return CurvePlan(
        curve=curve,
        optimizer_cls=optimizer_cls,
        optimizer_keywords=keywords,
        groups=groups,
        group_names=names,
        segments=segments,
        reference=reference,
        source=source,
    )


def _plan_members(
    curve: Curve, scheduler: SchedulerPlan, steps: int, base_dir: Path, key_path: KeyPath, last: bool
) -> SchedulerPlan:
    """Side-by-side members: each plateau member's metric, for as many calls as its interval makes."""
    metrics: list[MetricSource | None] = []
    for index, (member, child) in enumerate(zip(curve.members or [], scheduler.children, strict=True)):
        calls = scheduler_calls(steps, member.interval, curve.steps_per_epoch, full=not last)
        path = (*key_path, "side_by_side", index)
        metrics.append(attempt(plan_metric, member.metric, calls, child.cls, child.name, base_dir, path))
        if metrics[-1] is None and is_plateau(child.cls):
            raise Abandoned("a member's metric has problems")
    scheduler.keywords["metrics"] = metrics
    return scheduler


def _source_plan(curve: Curve, earlier: dict[str, CurvePlan], key_path: KeyPath) -> CurvePlan:
    label = curve.optimizer.from_
    if label == curve.label:
        raise LrplotError(f"optimizer.from names this curve itself ({label!r})", key_path=key_path)
    if label not in earlier:
        names = ", ".join(repr(name) for name in earlier) or "none"
        raise LrplotError(
            f"optimizer.from names {label!r}, which is not an earlier curve (only curves above this one "
            f"can be continued; earlier labels: {names})",
            key_path=key_path,
        )
    return earlier[label]


def _plan_optimizer(
    spec: OptimizerSpec, key_path: KeyPath, allowed: Sequence[str]
) -> tuple[type, dict[str, Any], list[dict[str, Any]], list[str]]:
    import torch

    cls = resolve(spec.name, "optimizer", optimizer_classes(), allowed, (*key_path, "name"))
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise LrplotError(f"{spec.name!r} is not a torch.optim.Optimizer class", key_path=(*key_path, "name"))
    keywords = spec.keywords
    check_keywords(cls, keywords, f"optimizer {spec.name}", key_path)
    parameters = KeywordSpec.of(cls).parameters
    raw_groups = spec.param_groups if spec.param_groups else [{}]
    groups, names = [], []
    for index, raw in enumerate(raw_groups):
        group_path = (*key_path, "param_groups", index)
        if not isinstance(raw, dict):
            raise LrplotError(f"param_groups[{index}] must be a mapping, got {raw!r}", key_path=group_path)
        group = dict(raw)
        for name, value in group.items():
            if name in ("name", "initial_lr"):
                continue
            if name not in parameters:
                valid = ", ".join(["name", "initial_lr", *parameters])
                raise LrplotError(
                    f"param group key {name!r} is not an option of {spec.name}; valid: {valid}",
                    key_path=(*group_path, name),
                )
            expected = annotation_text(parameters[name].annotation)
            if expected and not matches_annotation(value, expected):
                raise LrplotError(
                    f"param group key {name!r} should be {readable(expected)}, got {value!r}",
                    key_path=(*group_path, name),
                )
        initial_lr = group.get("initial_lr", spec.initial_lr)
        if initial_lr is not None:
            if isinstance(initial_lr, bool) or not isinstance(initial_lr, (int, float)):
                raise LrplotError(
                    f"initial_lr should be a number, got {initial_lr!r}", key_path=(*group_path, "initial_lr")
                )
            group["initial_lr"] = initial_lr
        group_name = group.get("name", str(index))
        names.append(str(group_name))
        groups.append(group)
    if len(set(names)) != len(names):
        raise LrplotError(f"param group names must differ, got {names}", key_path=(*key_path, "param_groups"))
    return cls, keywords, groups, names


def _plan_scheduler(
    spec: SchedulerSpec, key_path: KeyPath, allowed: Sequence[str], group_count: int, run: RunNumbers
) -> SchedulerPlan:
    cls = resolve(spec.name, "scheduler", scheduler_classes(), allowed, (*key_path, "name"))
    is_class = isinstance(cls, type)
    if (is_class and not callable(getattr(cls, "step", None))) or not callable(cls):
        raise LrplotError(
            f"{spec.name!r} is neither a learning-rate scheduler class nor a function returning one",
            key_path=(*key_path, "name"),
        )
    what = f"scheduler {spec.name}"
    keywords = spec.keywords
    parameters = KeywordSpec.of(cls).parameters
    takes_children = "schedulers" in parameters
    if takes_children and not spec.schedulers:
        raise LrplotError(f"{what} needs 'schedulers:', a list of nested schedulers", key_path=key_path)
    if spec.schedulers and not takes_children:
        raise LrplotError(f"{what} takes no nested 'schedulers'", key_path=(*key_path, "schedulers"))
    keywords = follow_run(cls, keywords, run, key_path, what)  # T_max: "total_step - 2000"
    check_keywords(cls, keywords, what, key_path, handled={"schedulers"})
    for name, variables in EXPRESSION_KEYWORDS.items():
        if name in keywords and name in parameters:
            keywords[name] = _compile_per_group(
                keywords[name], variables, group_count, (*key_path, name), name
            )
    children = [
        attempt(_plan_scheduler, child, (*key_path, "schedulers", index), allowed, group_count, run)
        for index, child in enumerate(spec.schedulers or [])
    ]
    if any(child is None for child in children):
        raise Abandoned("nested scheduler has problems")
    return SchedulerPlan(cls=cls, name=spec.name, keywords=keywords, children=children, key_path=key_path)


def _timm_driver(scheduler: SchedulerPlan, curve: Curve) -> SchedulerPlan:
    """A timm class named in a config runs inside timm's driver, stepped as train.py steps it."""
    from lrplot.plan.drivers import timm

    if not timm.is_timm(scheduler.cls):
        return scheduler
    problem = timm.interval_problem(curve.interval)
    if problem is not None:
        raise LrplotError(f"scheduler {scheduler.name}: {problem}", key_path=scheduler.key_path)
    keywords = timm.driver_keywords(scheduler.cls, scheduler.keywords, curve.steps_per_epoch)
    return SchedulerPlan(
        cls=timm.TrainPy, name=scheduler.name, keywords=keywords, key_path=scheduler.key_path
    )


def _compile_per_group(
    value: Any, variables: tuple[str, ...], group_count: int, key_path: KeyPath, what: str
) -> Any:
    aliases = {"epoch": "step"} if variables == ("step",) else {}
    try:
        if isinstance(value, list):
            if len(value) != group_count:
                raise LrplotError(
                    f"{what} lists {len(value)} expressions but the optimizer has "
                    f"{group_count} param group(s)",
                    key_path=key_path,
                )
            return [compile_expression(v, variables, aliases=aliases, what=what).function for v in value]
        return compile_expression(value, variables, aliases=aliases, what=what).function
    except ExpressionError as error:
        error.key_path = key_path
        raise
