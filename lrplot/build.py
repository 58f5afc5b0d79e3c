"""Config names → real torch optimizer and scheduler objects.

The one place that maps names to classes. Fidelity comes from building the very
objects a training script builds, in the same order; validation comes from the classes'
own signatures, so a keyword is valid exactly when torch accepts it.

Two phases keep errors early and cheap: :func:`plan_curve` resolves classes, checks
keywords and compiles expressions for every curve before anything runs;
:mod:`lrplot.simulation` then constructs the torch objects for one curve from its plan.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.config import Curve, MetricLog, OptimizerSpec, SchedulerSpec, scheduler_calls
from lrplot.errors import Abandoned, ExpressionError, KeyPath, LrplotError, attempt, report
from lrplot.expressions import Expression, compile_expression
from lrplot.logs import named_column, opened_log

DEFAULT_ALLOWED_IMPORTS = ("torch.optim",)
# Hugging Face schedule functions (get_scheduler, get_cosine_schedule_with_warmup, ...) are
# allowed where transformers is installed; nothing else from transformers is.
SCHEDULE_FACTORIES = re.compile(r"transformers(\.optimization)?\.get_\w*schedul\w*")
ALLOW_IMPORT_ENV = "LRPLOT_ALLOW_IMPORT"
EXPRESSION_KEYWORDS = {"lr_lambda": ("step",), "scale_fn": ("x",)}
# Keywords lrplot fills in itself, never taken from the config.
_SUPPLIED = {"self", "optimizer", "params"}


def allowed_imports(extra: Sequence[str] = ()) -> tuple[str, ...]:
    """Module prefixes a config may import from: torch.optim, plus what the *user* allows.

    Only the command line (``--allow-import``) or the environment (``LRPLOT_ALLOW_IMPORT``,
    comma separated) can widen this; a config cannot grant itself imports.
    """
    from_env = [p.strip() for p in os.environ.get(ALLOW_IMPORT_ENV, "").split(",") if p.strip()]
    return tuple(dict.fromkeys([*DEFAULT_ALLOWED_IMPORTS, *from_env, *extra]))


@functools.cache
def optimizer_classes() -> dict[str, type]:
    """Every optimizer class torch.optim exports, by name."""
    import torch

    return {
        name: obj
        for name, obj in vars(torch.optim).items()
        if isinstance(obj, type)
        and issubclass(obj, torch.optim.Optimizer)
        and obj is not torch.optim.Optimizer
    }


@functools.cache
def scheduler_classes() -> dict[str, type]:
    """Every scheduler class in torch.optim.lr_scheduler, plus swa_utils.SWALR, by name."""
    from torch.optim import lr_scheduler, swa_utils

    base = lr_scheduler.LRScheduler
    found = {
        name: obj
        for name, obj in vars(lr_scheduler).items()
        if isinstance(obj, type)
        and not name.startswith("_")
        and obj is not base
        and (issubclass(obj, base) or obj is lr_scheduler.ReduceLROnPlateau)
    }
    found["SWALR"] = swa_utils.SWALR
    return dict(sorted(found.items()))


def resolve(name: str, kind: str, known: dict[str, type], allowed: Sequence[str], key_path: KeyPath) -> type:
    """A class from its short name (``Adam``) or an allowed dotted path (``torch.optim.Adam``)."""
    if name in known:
        return known[name]
    if "." not in name:
        raise LrplotError(f"unknown {kind} {name!r}{_suggest(name, known)}", key_path=key_path)
    module_name, _, attribute = name.rpartition(".")
    if any(part.startswith("__") or not part.isidentifier() for part in name.split(".")):
        raise LrplotError(f"{kind} {name!r} is not a dotted path of plain names", key_path=key_path)
    factory = kind == "scheduler" and SCHEDULE_FACTORIES.fullmatch(name) is not None
    user_allowed = [p for p in allowed if p not in DEFAULT_ALLOWED_IMPORTS]
    by_user = any(name == p or name.startswith(p + ".") for p in user_allowed)
    if not factory and not by_user and not any(name.startswith(p + ".") for p in DEFAULT_ALLOWED_IMPORTS):
        raise LrplotError(
            f"{kind} {name!r} is outside the allowed modules ({', '.join(allowed)}); "
            f"a config cannot import other code unless you allow it: "
            f"--allow-import {module_name.split('.')[0]} or {ALLOW_IMPORT_ENV}={module_name.split('.')[0]}",
            key_path=key_path,
        )
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is the config's culprit
        raise LrplotError(
            f"cannot import {module_name!r} for {kind} {name!r}: {exc}", key_path=key_path
        ) from None
    obj = getattr(module, attribute, None)
    if obj is None:
        raise LrplotError(f"module {module_name!r} has no {kind} {attribute!r}", key_path=key_path)
    if not factory and not by_user and not _is_torch_class(obj, kind):
        # torch.optim modules import helpers (functools.partial, copy.deepcopy, ...): only
        # their optimizer and scheduler classes may be named without --allow-import.
        raise LrplotError(
            f"{name!r} is not a torch {kind} class; other callables need --allow-import {module_name}",
            key_path=key_path,
        )
    return obj


def _is_torch_class(obj: Any, kind: str) -> bool:
    import torch

    if not isinstance(obj, type):
        return False
    if kind == "optimizer":
        return issubclass(obj, torch.optim.Optimizer)
    from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

    return issubclass(obj, (LRScheduler, ReduceLROnPlateau))


def _suggest(name: str, known: dict[str, Any]) -> str:
    by_lower = {k.lower(): k for k in known}
    if name.lower() in by_lower:
        return f" (did you mean {by_lower[name.lower()]!r}?)"
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {by_lower[close[0]]!r}?)"
    return f"; known: {', '.join(known)}"


@dataclass
class KeywordSpec:
    """What a class's signature says about its keywords."""

    parameters: dict[str, inspect.Parameter]
    accepts_any: bool

    @classmethod
    def of(cls, target: type) -> KeywordSpec:
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError):
            return cls(parameters={}, accepts_any=True)
        parameters = {
            name: p
            for name, p in signature.parameters.items()
            if name not in _SUPPLIED and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        return cls(parameters=parameters, accepts_any=accepts_any)

    def valid_names(self, skip: set[str] = frozenset()) -> str:
        return ", ".join(n for n in self.parameters if n not in skip) or "(none)"


def check_keywords(
    target: type, keywords: dict[str, Any], what: str, key_path: KeyPath, *, handled: set[str] = frozenset()
) -> None:
    """Refuse unknown, missing and ill-typed keywords, judged by the class's signature."""
    spec = KeywordSpec.of(target)
    for name, value in keywords.items():
        if name in handled:
            continue
        parameter = spec.parameters.get(name)
        if parameter is None:
            if spec.accepts_any:
                continue
            close = difflib.get_close_matches(name, list(spec.parameters), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            report(
                LrplotError(
                    f"{what} has no keyword {name!r}{hint}; valid: {spec.valid_names(handled)}",
                    key_path=(*key_path, name),
                )
            )
            continue
        if name in EXPRESSION_KEYWORDS:
            continue
        expected = _annotation_text(parameter.annotation)
        if expected and not matches_annotation(value, expected):
            report(
                LrplotError(
                    f"{what} keyword {name!r} should be {_readable(expected)}, got {value!r}",
                    key_path=(*key_path, name),
                )
            )
    for name, parameter in spec.parameters.items():
        if (
            parameter.default is inspect.Parameter.empty
            and parameter.kind is not inspect.Parameter.VAR_KEYWORD
            and name not in keywords
            and name not in handled
        ):
            report(LrplotError(f"{what} needs keyword {name!r}", key_path=key_path))


def _annotation_text(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return ""
    if isinstance(annotation, str):
        return annotation
    return inspect.formatannotation(annotation)


def _readable(annotation: str) -> str:
    """An annotation as a config writer reads it: Tensor is a float, Iterable a list."""
    text = annotation.replace("torch.Tensor", "float").replace("Tensor", "float").replace("Iterable", "list")
    options = list(dict.fromkeys(part.strip() for part in _split_top(text, "|")))
    return " | ".join(options)


def _split_top(text: str, separator: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[("
        depth -= char in "])"
        if char == separator and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def matches_annotation(value: Any, annotation: str) -> bool:
    """Whether a YAML value fits a (string) type annotation; unknown types always fit.

    >>> matches_annotation(5, "int"), matches_annotation(5.5, "int"), matches_annotation(5, "float")
    (True, False, True)
    >>> matches_annotation([1, 2], "Iterable[int]"), matches_annotation("cos", "Literal['cos', 'linear']")
    (True, True)
    """
    for option in _split_top(annotation, "|"):
        verdict = _matches_one(value, option)
        if verdict is not False:
            return True
    return False


_NUMBER_NAMES = {"float", "Tensor", "torch.Tensor", "SupportsFloat"}
_SEQUENCE = re.compile(
    r"^(?:list|List|Iterable|Sequence|tuple|Tuple|collections\.abc\.\w+|typing\.\w+)\[(.*)\]$"
)


def _matches_one(value: Any, option: str) -> bool | None:
    """True/False when the option is understood, None when it is not (then it fits)."""
    option = option.strip()
    if option.startswith("Optional[") and option.endswith("]"):
        return value is None or matches_annotation(value, option[9:-1])
    if option == "None":
        return value is None
    if option == "bool":
        return isinstance(value, bool)
    if option == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if option in _NUMBER_NAMES:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if option == "str":
        return isinstance(value, str)
    if option.startswith(("Literal[", "typing.Literal[")):
        inner = option[option.index("[") + 1 : -1]
        choices = [c.strip().strip("'\"") for c in _split_top(inner, ",")]
        return isinstance(value, str) and value in choices
    sequence = _SEQUENCE.match(option)
    if sequence:
        if not isinstance(value, list):
            return False
        items = _split_top(sequence.group(1), ",")
        if len(items) == 2 and items[1] == "...":
            items = items[:1]
        if len(items) == 1:
            return all(matches_annotation(v, items[0]) for v in value)
        return len(items) == len(value) and all(
            matches_annotation(v, t) for v, t in zip(value, items, strict=True)
        )
    return None


@dataclass
class MetricSource:
    """Where ReduceLROnPlateau's metric comes from at each step."""

    description: str
    expression: Expression | None = None
    values: list[float] | None = None

    def value(self, call: int, step: int, lr: float) -> Any:
        """The metric for ``scheduler.step()`` number ``call``, made after recording ``step``:
        a log's row for that call, or the expression of the step and the current lr."""
        if self.values is not None:
            return self.values[call]
        assert self.expression is not None
        return self.expression.function(step, lr)


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
        scheduler = attempt(_plan_scheduler, spec, (*path, "scheduler"), allowed, group_count)
        metric = None
        if scheduler is not None:
            calls = scheduler_calls(steps, curve.interval, curve.steps_per_epoch, full=not last)
            metric = attempt(_plan_metric, metric_value, calls, scheduler, base_dir, path)
            if metric is not None or not is_plateau(scheduler.cls):
                segments.append(SegmentPlan(steps=steps, scheduler=scheduler, metric=metric, key_path=path))
    reference = None
    if curve.reference is not None:
        from lrplot.reference import read_reference

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
            expected = _annotation_text(parameters[name].annotation)
            if expected and not matches_annotation(value, expected):
                raise LrplotError(
                    f"param group key {name!r} should be {_readable(expected)}, got {value!r}",
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
    spec: SchedulerSpec, key_path: KeyPath, allowed: Sequence[str], group_count: int
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
    check_keywords(cls, keywords, what, key_path, handled={"schedulers"})
    for name, variables in EXPRESSION_KEYWORDS.items():
        if name in keywords and name in parameters:
            keywords[name] = _compile_per_group(
                keywords[name], variables, group_count, (*key_path, name), name
            )
    children = [
        attempt(_plan_scheduler, child, (*key_path, "schedulers", index), allowed, group_count)
        for index, child in enumerate(spec.schedulers or [])
    ]
    if any(child is None for child in children):
        raise Abandoned("nested scheduler has problems")
    return SchedulerPlan(cls=cls, name=spec.name, keywords=keywords, children=children, key_path=key_path)


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


def is_plateau(cls: Any) -> bool:
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    return isinstance(cls, type) and issubclass(cls, ReduceLROnPlateau)


def _plan_metric(
    value: Any, calls: int, scheduler: SchedulerPlan, base_dir: Path, key_path: KeyPath
) -> MetricSource | None:
    """Where ReduceLROnPlateau's metric comes from; ``calls`` is how many step() calls need one."""
    metric_path = (*key_path, "metric")
    if not is_plateau(scheduler.cls):
        if value is not None:
            raise LrplotError(
                f"metric is only used by ReduceLROnPlateau, not {scheduler.name}", key_path=metric_path
            )
        return None
    if value is None:
        raise LrplotError(
            "ReduceLROnPlateau needs 'metric:': lr, an expression in step and lr, "
            "or {csv: FILE, column: NAME}",
            key_path=key_path,
        )
    if isinstance(value, MetricLog):
        return _read_metric_log(value, base_dir, calls, metric_path)
    try:
        expression = compile_expression(value, ("step", "lr"), aliases={"epoch": "step"}, what="metric")
    except ExpressionError as error:
        error.key_path = metric_path
        raise
    return MetricSource(description=expression.source, expression=expression)


def _read_metric_log(log: MetricLog, base_dir: Path, needed: int, key_path: KeyPath) -> MetricSource:
    path = Path(log.csv)
    if not path.is_absolute():
        path = base_dir / path
    with opened_log(path, "metric log", key_path) as reader:
        named_column(log.column, list(reader.fieldnames or []), path, key_path)
        values = []
        for row in reader:
            cell = (row.get(log.column) or "").strip()
            try:
                number = float(cell)
            except ValueError:
                raise LrplotError(
                    f"{path}:{reader.line_num}: column {log.column!r} holds {cell!r}, not a number",
                    key_path=key_path,
                ) from None
            if not math.isfinite(number):
                raise LrplotError(f"{path}:{reader.line_num}: {log.column} is {cell}", key_path=key_path)
            values.append(number)
    if len(values) < needed:
        raise LrplotError(
            f"metric log {path} has {len(values)} rows of {log.column!r}, but the curve calls "
            f"scheduler.step() {needed} times and needs one row for each",
            key_path=key_path,
        )
    return MetricSource(description=f"{log.csv}:{log.column}", values=values)


def walk(scheduler: Any) -> list[Any]:
    """A scheduler and every scheduler nested in it."""
    found = [scheduler]
    for child in getattr(scheduler, "_schedulers", []) or []:
        found.extend(walk(child))
    return found


def skip_dynamo_import() -> None:
    """Spare the CLI torch's ~2 s import of torch._dynamo (call only in a process that never compiles).

    ``Optimizer.add_param_group`` is wrapped by ``torch._disable_dynamo``, which imports
    torch._dynamo on its first call just to mark the method as not compilable, and caches
    the result on the function. Pre-filling that cache with the plain method changes no
    value (the method runs as written either way); it is left alone whenever torch's
    wrapper does not look exactly like this, and never done for library users, whose
    process may use torch.compile.
    """
    import torch

    method = getattr(torch.optim.Optimizer, "add_param_group", None)
    wrapped = getattr(method, "__wrapped__", None)
    code = getattr(method, "__code__", None)
    if wrapped is None or code is None or not code.co_filename.endswith("_compile.py"):
        return
    if "__dynamo_disable" in code.co_names and getattr(wrapped, "__dynamo_disable", None) is None:
        wrapped.__dynamo_disable = wrapped
        global _DYNAMO_SKIPPED
        _DYNAMO_SKIPPED = True


_DYNAMO_SKIPPED = False


def dynamo_import_skipped() -> bool:
    """Whether this process opted out of the torch._dynamo import (workers follow suit)."""
    return _DYNAMO_SKIPPED
