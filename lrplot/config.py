"""YAML → validated :class:`Config`.

This layer owns the config *contract* (the field names users' configs and CI snapshots
depend on): it loads the YAML safely, merges ``defaults`` into each curve, validates the
structure with pydantic and turns every problem into one :class:`LrplotError` that names
the key and its YAML line. Whether a scheduler keyword is valid is decided later, by the
torch class's own signature (``build.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lrplot.errors import KeyPath, LrplotError, attempt, collected
from lrplot.overrides import (
    Origins,
    apply_sets,
    describe_variant,
    parse_assignment,
    parse_sweep_option,
    render_label,
    set_path,
    split_key,
    sweep_variants,
)
from lrplot.yaml_source import YamlSource, load_yaml_file, parse_yaml

DEFAULT_OPTIMIZER = "SGD"
DEFAULT_LR = 1.0


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=False)


class _Open(BaseModel):
    """A mapping whose unknown keys are keywords for a torch class."""

    model_config = ConfigDict(strict=True, extra="allow")


class SchedulerSpec(_Open):
    """``scheduler:``: a torch scheduler class and its keywords."""

    name: str = Field(description="A class in torch.optim.lr_scheduler (or SWALR), or a dotted import path.")
    schedulers: list[SchedulerSpec] | None = Field(
        default=None, description="Nested schedulers, for SequentialLR and ChainedScheduler."
    )
    keywords_: dict[str, Any] | None = Field(
        default=None,
        alias="keywords",
        description="Keywords passed as they are, for names lrplot uses itself "
        "(transformers.get_scheduler's name: {keywords: {name: cosine}}).",
    )

    @property
    def keywords(self) -> dict[str, Any]:
        """The keywords passed through to the torch class (or factory)."""
        return {**(self.model_extra or {}), **(self.keywords_ or {})}


class OptimizerSpec(_Open):
    """``optimizer:``: a torch optimizer class, its keywords and its param groups."""

    name: str = Field(
        default=DEFAULT_OPTIMIZER, description="A class in torch.optim, or a dotted import path."
    )
    initial_lr: float | None = Field(
        default=None,
        description="Set as initial_lr in every param group; torch needs it when last_epoch != -1.",
    )
    from_: str | None = Field(
        default=None,
        alias="from",
        description="Label of an earlier curve: continue on the optimizer exactly as that curve's run "
        "left it (every group's lr, initial_lr, momentum), after all of its steps.",
    )
    param_groups: list[dict[str, Any]] | None = Field(
        default=None,
        description="One mapping per param group; each may override lr, momentum, initial_lr, ... "
        "and may carry a name used in legends and the CSV.",
    )

    @property
    def keywords(self) -> dict[str, Any]:
        """The keywords passed through to the optimizer (``lr`` defaults to 1.0)."""
        keywords = dict(self.model_extra or {})
        keywords.setdefault("lr", DEFAULT_LR)
        return keywords


class MetricLog(_Strict):
    """``metric: {csv: ..., column: ...}``: replay a metric from a real training log."""

    csv: str = Field(description="CSV file, one row per step; relative to the config file.")
    column: str = Field(description="The column holding the metric (for example val_loss).")


class SegmentSpec(_Strict):
    """One entry of ``segments:``: a scheduler run for some steps on the curve's optimizer."""

    steps: Any = Field(description="Steps this scheduler runs (positive integer).")
    scheduler: SchedulerSpec
    metric: Any = Field(default=None, description="ReduceLROnPlateau only, as for a curve.")


class CurveSpec(_Strict):
    """One entry of ``curves:``: an optimizer + scheduler pair drawn as one curve."""

    label: str | None = Field(default=None, description="Legend label and the CSV's curve column.")
    reference: Any = Field(
        default=None,
        description="A training log to draw over the curve: a CSV path, or {csv, column, step, group, rtol}.",
    )
    total_step: Any = Field(default=None, description="Steps to simulate for this curve (positive integer).")
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    scheduler: SchedulerSpec | None = None
    segments: list[SegmentSpec] | None = Field(
        default=None,
        min_length=1,
        description="Instead of scheduler: schedulers run one after another on the same optimizer, "
        "each built at its boundary, drawn as one curve.",
    )
    metric: Any = Field(
        default=None,
        description="ReduceLROnPlateau only: 'lr', an expression in step and lr, or {csv, column}.",
    )
    sweep: dict[str, Any] | None = Field(
        default=None,
        description="Dotted curve keys → lists of values: one curve per value (zip: true pairs).",
    )
    steps_per_epoch: Any = Field(default=None, description="Iterations per epoch (positive integer).")
    dataset_size: Any = Field(
        default=None, description="Samples per epoch; with batch_size gives steps_per_epoch."
    )
    batch_size: Any = Field(
        default=None, description="Samples per step; with dataset_size gives steps_per_epoch."
    )
    drop_last: bool | None = Field(
        default=None, description="Like DataLoader(drop_last=...): floor instead of ceil."
    )
    interval: Literal["step", "epoch", "fractional_epoch"] | None = Field(
        default=None,
        description="When scheduler.step() runs: every step (default), once per epoch, or every step "
        "with a fractional epoch (CosineAnnealingWarmRestarts' step(epoch + i / iters)).",
    )


EPOCH_KEYS = ("steps_per_epoch", "dataset_size", "batch_size", "drop_last", "interval")


class PlotOptions(_Strict):
    """``plot:``: how the figure looks."""

    yscale: Literal["linear", "log"] = "linear"
    size: list[float] = Field(
        default=[8.0, 5.0], min_length=2, max_length=2, description="[width, height] in inches."
    )
    dpi: int = Field(default=100, gt=0, le=1200)
    layout: Literal["overlay", "grid"] = Field(
        default="overlay", description="overlay: all curves in one panel; grid: one small panel per curve."
    )


class ConfigFile(_Strict):
    """The top level of a config file (this model is also its JSON Schema)."""

    title: str | None = None
    total_step: Any = Field(
        default=None, description="Steps to simulate, for every curve (positive integer)."
    )
    defaults: dict[str, Any] | None = Field(default=None, description="Deep-merged into every curve.")
    curves: list[dict[str, Any]] = Field(min_length=1)
    plot: PlotOptions = Field(default_factory=PlotOptions)
    sweep: dict[str, Any] | None = Field(
        default=None, description="Applied to every curve (see curves[].sweep)."
    )
    steps_per_epoch: Any = None
    dataset_size: Any = None
    batch_size: Any = None
    drop_last: bool | None = None
    interval: Literal["step", "epoch", "fractional_epoch"] | None = None


_POSITIVE = {"type": "number", "exclusiveMinimum": 0}


class SchemaCurve(CurveSpec):
    """A curve as the JSON Schema describes it (numbers typed for editors)."""

    total_step: Any = Field(default=None, json_schema_extra=_POSITIVE)
    steps_per_epoch: Any = Field(default=None, json_schema_extra=_POSITIVE)
    dataset_size: Any = Field(default=None, json_schema_extra=_POSITIVE)
    batch_size: Any = Field(default=None, json_schema_extra=_POSITIVE)
    metric: str | float | MetricLog | None = Field(
        default=None,
        description="ReduceLROnPlateau only: 'lr', an expression in step and lr, or {csv, column}.",
    )


class SchemaConfig(ConfigFile):
    """The whole config format, for ``lrplot schema``."""

    model_config = ConfigDict(title="lrplot config", strict=True, extra="forbid")

    total_step: Any = Field(default=None, json_schema_extra=_POSITIVE)
    steps_per_epoch: Any = Field(default=None, json_schema_extra=_POSITIVE)
    dataset_size: Any = Field(default=None, json_schema_extra=_POSITIVE)
    batch_size: Any = Field(default=None, json_schema_extra=_POSITIVE)
    curves: list[SchemaCurve] = Field(min_length=1)  # type: ignore[assignment]
    defaults: dict[str, Any] | None = Field(
        default=None, description="Any curve keys, deep-merged into every curve."
    )


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the config format, for editors' YAML language servers."""
    schema = SchemaConfig.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


class Segment(BaseModel):
    """One scheduler of a segmented curve, with its length and (plateau) metric."""

    steps: int
    scheduler: SchedulerSpec
    metric: str | int | float | MetricLog | None = None


class Curve(BaseModel):
    """A curve ready to simulate: defaults merged, label and length settled.

    ``scheduler`` (and ``metric``) are the first segment's when ``segments`` is set.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: int
    label: str
    total_step: int
    optimizer: OptimizerSpec
    scheduler: SchedulerSpec
    metric: str | int | float | MetricLog | None = None
    segments: list[Segment] | None = None
    steps_per_epoch: int | None = None
    interval: Literal["step", "epoch", "fractional_epoch"] = "step"
    variant: dict[str, Any] = Field(default_factory=dict)
    reference: Any = None


class Config(BaseModel):
    """A validated config: what :func:`lrplot.simulate` takes."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    title: str | None
    curves: list[Curve]
    plot: PlotOptions
    source: YamlSource | None = None
    origins: Origins = Field(default_factory=Origins)
    notes: list[str] = Field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        """Relative paths in the config (metric logs) are relative to the config's folder."""
        if self.source is not None and self.source.path is not None:
            return self.source.path.parent
        return Path.cwd()

    def where(self, key_path: KeyPath | None) -> str | None:
        """``file:line`` of a key path (or the ``--set`` that changed it)."""
        if self.source is None:
            origin = self.origins.find(key_path)
            return origin if isinstance(origin, str) else None
        return locate(self.source, self.origins, key_path)

    def dependencies(self) -> list[Path]:
        """Files this config reads besides itself (metric and reference logs), for --watch."""
        found: list[Path] = []
        for curve in self.curves:
            metrics = [segment.metric for segment in curve.segments or []] or [curve.metric]
            paths = [m.csv for m in metrics if isinstance(m, MetricLog)]
            reference = curve.reference
            if isinstance(reference, str):
                paths.append(reference)
            elif isinstance(reference, dict) and isinstance(reference.get("csv"), str):
                paths.append(reference["csv"])
            for path in map(Path, paths):
                found.append(path if path.is_absolute() else self.base_dir / path)
        return list(dict.fromkeys(found))

    def locate(self, error: LrplotError) -> LrplotError:
        """Fill in ``error.where`` from its key path."""
        if error.where is None:
            error.where = self.where(error.key_path) or (self.source.name if self.source else None)
        return error


@contextmanager
def problems_located(source: YamlSource, origins: Origins) -> Iterator[None]:
    """Give problems collected in this block (``lrplot validate``) their ``file:line``."""
    sink = collected()
    before = len(sink) if sink is not None else 0
    try:
        yield
    finally:
        for error in (sink or [])[before:]:
            if error.where is None and error.key_path is not None:
                error.where = locate(source, origins, error.key_path)


def locate(source: YamlSource, origins: Origins, key_path: KeyPath | None) -> str:
    """``file:line`` for a key path: an override's own words, else the YAML line that set it.

    Keys a curve inherited point at ``defaults`` or the top level; swept keys at the sweep.
    """
    if key_path is None:
        return source.name
    origin = origins.find(key_path)
    if isinstance(origin, str):
        return origin
    if origin is not None:
        key_path = origin
    lines = source.lines
    if tuple(key_path) in lines or len(key_path) < 2 or key_path[0] != "curves":
        return source.where(key_path)
    from_defaults = ("defaults", *key_path[2:])
    if from_defaults in lines:
        return source.where(from_defaults)
    inherited = tuple(key_path[2:])  # e.g. a top-level total_step every curve inherits
    if inherited in lines and tuple(key_path[:3]) not in lines:
        return source.where(inherited)
    return source.where(key_path)


def load(
    path: str | Path,
    *,
    sets: Sequence[str] = (),
    sweeps: Sequence[str] = (),
    select: str | None = None,
    steps_per_epoch: int | None = None,
) -> Config:
    """Read, parse and validate a config file.

    ``sets`` are ``KEY=VALUE`` overrides and ``sweeps`` ``KEY=V1,V2`` sweeps, as on the
    command line. Raises :class:`LrplotError` with ``file:line`` for anything wrong.
    """
    source = load_yaml_file(Path(path))
    return from_source(source, sets=sets, sweeps=sweeps, select=select, steps_per_epoch=steps_per_epoch)


def loads(
    text: str,
    *,
    name: str = "<config>",
    base_dir: Path | None = None,
    sets: Sequence[str] = (),
    sweeps: Sequence[str] = (),
    select: str | None = None,
    steps_per_epoch: int | None = None,
) -> Config:
    """Validate a config given as YAML text (for tests and notebooks)."""
    source = parse_yaml(text, name=name)
    if base_dir is not None:
        source.path = base_dir / name
    return from_source(source, sets=sets, sweeps=sweeps, select=select, steps_per_epoch=steps_per_epoch)


def from_source(
    source: YamlSource,
    *,
    sets: Sequence[str] = (),
    sweeps: Sequence[str] = (),
    select: str | None = None,
    steps_per_epoch: int | None = None,
) -> Config:
    """Validate parsed YAML data (after overrides); every error names its key and line.

    A LightningCLI or Hydra training config is converted to lrplot's form first
    (:mod:`lrplot.forms`); ``select`` picks a subtree of a larger file.
    """
    from lrplot.forms import PLATEAU_METRIC_NOTE, convert

    origins = Origins()
    notes: list[str] = []
    try:
        if not isinstance(source.data, dict):
            raise LrplotError(
                f"the config must be a mapping with a 'curves' list, got {_kind(source.data)}", key_path=()
            )
        converted = convert(source.data, select=select, steps_per_epoch=steps_per_epoch)
        data = copy.deepcopy(converted.data)
        base = converted.origins.pop((), None)
        if base:  # a native config below --select: its keys sit under that prefix
            source = source.below(base)
        for native, original in converted.origins.items():
            origins.add(native, original)
        notes = [f"{converted.form} config: {note}" for note in converted.notes]
        apply_sets(data, [parse_assignment(text) for text in sets], origins)
        if converted.assumed_metric and data["curves"][0].get("metric") == "lr":
            notes.append(f"{converted.form} config: {PLATEAU_METRIC_NOTE}")
        for text in sweeps:
            assignment = parse_sweep_option(text)
            if not isinstance(data.get("sweep"), dict):
                data["sweep"] = {}
            data["sweep"][assignment.key] = assignment.value
            origins.add(("sweep", assignment.key), assignment.text)
        top = _validate(ConfigFile, data, ())
        with problems_located(source, origins):
            curves = _expand_curves(top, origins)
        _settle_labels(curves)
    except LrplotError as error:
        if error.where is None and error.key_path is not None:
            error.where = locate(source, origins, error.key_path)
        raise
    return Config(title=top.title, curves=curves, plot=top.plot, source=source, origins=origins, notes=notes)


def _expand_curves(top: ConfigFile, origins: Origins) -> list[Curve]:
    """Merge defaults into each curve, expand sweeps, settle lengths, epochs and labels."""
    defaults = top.defaults or {}
    curves: list[Curve] = []
    for index, raw_curve in enumerate(top.curves):
        expanded = attempt(_expand_curve, top, defaults, raw_curve, index, origins)
        curves.extend(expanded or [])
    return curves


def _expand_curve(
    top: ConfigFile, defaults: dict[str, Any], raw_curve: Any, index: int, origins: Origins
) -> list[Curve]:
    """One entry of ``curves:`` → the curves it stands for (several when swept)."""
    curves: list[Curve] = []
    key_path: KeyPath = ("curves", index)
    if not isinstance(raw_curve, dict):
        raise LrplotError(f"curves[{index}] must be a mapping, got {_kind(raw_curve)}", key_path=key_path)
    merged = merge_defaults(defaults, raw_curve)
    sweep = dict(top.sweep or {})
    own_sweep = merged.pop("sweep", None)
    if own_sweep is not None and not isinstance(own_sweep, dict):
        raise LrplotError("sweep must be a mapping of dotted keys to lists", key_path=(*key_path, "sweep"))
    sweep.update(own_sweep or {})
    sweep_path: KeyPath = (*key_path, "sweep") if own_sweep else ("sweep",)
    for variant in sweep_variants(sweep or None, sweep_path):
        curve_data = copy.deepcopy(merged)
        for key, value in variant.values.items():
            parts = split_key(key, f"sweep key {key!r}")
            if parts[0] in ("label", "sweep"):
                raise LrplotError(f"sweep cannot change {parts[0]}", key_path=(*sweep_path, key))
            set_path(curve_data, parts, value, f"sweep {key}", key)
            origin_path = (*key_path, "sweep", key) if key in (own_sweep or {}) else ("sweep", key)
            origins.add((*key_path, *parts), origins.find(origin_path) or origin_path)
        curves.append(_curve(top, curve_data, index, variant.values, key_path))
    return curves


def _curve(
    top: ConfigFile, data: dict[str, Any], index: int, variant: dict[str, Any], key_path: KeyPath
) -> Curve:
    template = data.get("label")
    spec = _validate(CurveSpec, data, key_path)
    if (spec.scheduler is None) == (spec.segments is None):
        raise LrplotError(
            "a curve needs a scheduler, or segments (a list of {steps, scheduler}), not both"
            if spec.scheduler is not None
            else "missing key 'scheduler' (or 'segments')",
            key_path=key_path,
        )
    _check_optimizer_from(spec.optimizer, (*key_path, "optimizer"))
    segments = _segments(spec, key_path)
    if segments is not None:
        length = sum(segment.steps for segment in segments)
        if spec.total_step is not None and _total_step(spec.total_step, None, key_path) != length:
            raise LrplotError(
                f"total_step is {spec.total_step} but the segments add up to {length}; "
                "leave total_step out of a segmented curve",
                key_path=(*key_path, "total_step"),
            )
        total_step = length
        scheduler, metric = segments[0].scheduler, segments[0].metric
    else:
        total_step = _total_step(spec.total_step, top.total_step, key_path)
        scheduler, metric = spec.scheduler, _metric(spec.metric, (*key_path, "metric"))
    steps_per_epoch, interval = _epochs(spec, top, key_path)
    if isinstance(template, str):
        label = render_label(template, data, key_path)
        unnamed = {k: v for k, v in variant.items() if not _template_names(template, k)}
        if unnamed:
            label = f"{label} ({describe_variant(unnamed)})"
    elif variant:
        label = f"{scheduler.name.rsplit('.', 1)[-1]} ({describe_variant(variant)})"
    else:
        label = ""
    return Curve(
        index=index,
        label=label,
        total_step=total_step,
        optimizer=spec.optimizer,
        scheduler=scheduler,
        metric=metric,
        segments=segments,
        steps_per_epoch=steps_per_epoch,
        interval=interval,
        variant=variant,
        reference=spec.reference,
    )


def _segments(spec: CurveSpec, key_path: KeyPath) -> list[Segment] | None:
    if spec.segments is None:
        return None
    if spec.metric is not None:
        raise LrplotError("a segmented curve takes metric: in each segment", key_path=(*key_path, "metric"))
    segments = []
    for index, segment in enumerate(spec.segments):
        path = (*key_path, "segments", index)
        steps = _positive_int("steps", segment.steps, (*path, "steps"))
        metric = _metric(segment.metric, (*path, "metric"))
        segments.append(Segment(steps=steps, scheduler=segment.scheduler, metric=metric))
    return segments


def _check_optimizer_from(optimizer: OptimizerSpec, key_path: KeyPath) -> None:
    """``from:`` takes the optimizer of another curve whole; nothing else may be set with it."""
    if optimizer.from_ is None:
        return
    others = [k for k in optimizer.model_fields_set if k != "from_"] + list(optimizer.model_extra or {})
    if others:
        raise LrplotError(
            f"optimizer.from continues another curve's optimizer; it cannot be combined with {others[0]!r}",
            key_path=(*key_path, others[0]),
        )


def _template_names(template: str, key: str) -> bool:
    """Whether a label template already shows the swept key."""
    return "{" + key + "}" in template.replace(" ", "")


def _epochs(spec: CurveSpec, top: ConfigFile, key_path: KeyPath) -> tuple[int | None, str]:
    """steps_per_epoch (given, or from dataset_size and batch_size) and the stepping interval."""

    def pick(name: str) -> tuple[Any, KeyPath]:
        own = getattr(spec, name)
        return (own, (*key_path, name)) if own is not None else (getattr(top, name), (name,))

    steps, steps_path = pick("steps_per_epoch")
    dataset, dataset_path = pick("dataset_size")
    batch, batch_path = pick("batch_size")
    drop_last, _ = pick("drop_last")
    interval, interval_path = pick("interval")
    if steps is not None and (dataset is not None or batch is not None):
        raise LrplotError(
            "give steps_per_epoch, or dataset_size with batch_size, not both", key_path=steps_path
        )
    if steps is not None:
        steps = _positive_int("steps_per_epoch", steps, steps_path)
    elif dataset is not None or batch is not None:
        if dataset is None or batch is None:
            missing = "batch_size" if batch is None else "dataset_size"
            raise LrplotError(
                f"dataset_size and batch_size go together; {missing} is missing", key_path=key_path
            )
        dataset = _positive_int("dataset_size", dataset, dataset_path)
        batch = _positive_int("batch_size", batch, batch_path)
        steps = dataset // batch if drop_last else -(-dataset // batch)
        if steps == 0:
            raise LrplotError(
                f"dataset_size {dataset} with batch_size {batch} and drop_last makes no full batch",
                key_path=dataset_path,
            )
    interval = interval or "step"
    if interval != "step" and steps is None:
        raise LrplotError(
            f"interval: {interval} needs steps_per_epoch (or dataset_size and batch_size)",
            key_path=interval_path,
        )
    return steps, interval


def scheduler_calls(total_step: int, interval: str, steps_per_epoch: int | None, *, full: bool) -> int:
    """How many times ``scheduler.step()`` runs: in the full training loop, or as recorded.

    >>> scheduler_calls(10, "step", None, full=True), scheduler_calls(10, "epoch", 3, full=False)
    (10, 3)
    """
    iterations = total_step if full else total_step - 1
    return iterations // (steps_per_epoch or 1) if interval == "epoch" else iterations


def _positive_int(name: str, value: Any, key_path: KeyPath) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise LrplotError(f"{name} must be a positive integer, got {value!r}", key_path=key_path)
    return value


def merge_defaults(defaults: dict[str, Any], curve: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``defaults`` under a curve: mappings merge, anything else the curve wins.

    An optimizer or scheduler block whose ``name`` differs from the default's replaces it
    whole, since another class's keywords would not apply.

    >>> merge_defaults({"optimizer": {"name": "Adam", "lr": 1.0}}, {"optimizer": {"lr": 0.1}})
    {'optimizer': {'name': 'Adam', 'lr': 0.1}}
    """
    merged = copy.deepcopy(defaults)
    for key, value in curve.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict):
            if ("name" in value and "name" in base and value["name"] != base["name"]) or "from" in value:
                merged[key] = copy.deepcopy(value)
            else:
                merged[key] = merge_defaults(base, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _metric(value: Any, key_path: KeyPath) -> str | float | MetricLog | None:
    if isinstance(value, dict):
        return _validate(MetricLog, value, key_path)
    if value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool)):
        return value
    raise LrplotError(
        f"metric should be 'lr', an expression in step and lr, or {{csv: FILE, column: NAME}}, got {value!r}",
        key_path=key_path,
    )


def _total_step(own: Any, top: Any, key_path: KeyPath) -> int:
    value, where = (own, (*key_path, "total_step")) if own is not None else (top, ("total_step",))
    if value is None:
        raise LrplotError("total_step is missing: set it at the top level or in the curve", key_path=key_path)
    return _positive_int("total_step", value, where)


def _settle_labels(curves: list[Curve]) -> None:
    """Give unlabelled curves a readable default and refuse duplicate labels."""
    unlabelled = [curve for curve in curves if not curve.label]
    names = [curve.scheduler.name.rsplit(".", 1)[-1] for curve in unlabelled]
    for curve, name in zip(unlabelled, names, strict=True):
        if names.count(name) == 1:
            curve.label = name
        else:
            described = ", ".join(f"{k}={v}" for k, v in curve.scheduler.keywords.items())
            curve.label = f"{name}({described})"
    generated = [curve.label for curve in unlabelled]
    for curve in unlabelled:
        if generated.count(curve.label) > 1:
            curve.label = f"{curve.label} #{curve.index}"
    seen: dict[str, int] = {}
    for curve in curves:
        if curve.label in seen:
            first = seen[curve.label]
            which = (
                f"two curves from curves[{first}]"
                if first == curve.index
                else f"curves {first} and {curve.index}"
            )
            raise LrplotError(
                f"{which} share the label {curve.label!r}; "
                "labels name the curves in the legend and the CSV, so give each its own",
                key_path=("curves", curve.index, "label"),
            )
        seen[curve.label] = curve.index


def _validate(model: type[BaseModel], data: dict[str, Any], key_path: KeyPath) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc, model, key_path) from None


def _translate(exc: ValidationError, model: type[BaseModel], key_path: KeyPath) -> LrplotError:
    """Turn pydantic's first error into one sentence that names the key."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
    full: KeyPath = (*key_path, *loc)
    dotted = _dotted(full)
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        valid = ", ".join(parent.model_fields) if parent else ""
        where = _dotted(full[:-1]) or "the top level"
        return LrplotError(f"unknown key {loc[-1]!r} in {where}; valid keys: {valid}", key_path=full)
    if kind == "missing":
        return LrplotError(f"missing key {dotted!r}", key_path=full[:-1])
    message = error["msg"]
    for prefix in ("Input should be ", "Value should be "):
        if message.startswith(prefix):
            expected = message.removeprefix(prefix)
            return LrplotError(f"{dotted} should be {expected}, got {value!r}", key_path=full)
    message = message[0].lower() + message[1:]
    return LrplotError(f"{dotted}: {message}, got {value!r}", key_path=full)


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in {"str", "float", "int", "MetricLog"} or "[" in part)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if current is None:
            return None
    return current


def _dotted(key_path: KeyPath) -> str:
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(value), type(value).__name__)


SchedulerSpec.model_rebuild()
Curve.model_rebuild()
