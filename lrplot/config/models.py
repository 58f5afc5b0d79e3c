"""The config contract as pydantic models: what each key of a config file may hold.

These names (``title``, ``total_step``, ``curves``, ``optimizer.param_groups``, ...) are
a public contract: extend, never rename. Whether a scheduler keyword is valid is decided
later, by the torch class's own signature (:mod:`lrplot.plan.keywords`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lrplot.config.locate import locate
from lrplot.errors import KeyPath, LrplotError
from lrplot.limits import MAX_FIGURE_PIXELS, MAX_FIGURE_SIDE, MIN_FIGURE_INCHES, check
from lrplot.overrides import Origins
from lrplot.own_models import OwnModelMetaclass, plugins_disabled
from lrplot.read.yaml_source import YamlSource

DEFAULT_OPTIMIZER = "SGD"
DEFAULT_LR = 1.0


class _Strict(BaseModel, metaclass=OwnModelMetaclass):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=False)


class _Open(BaseModel, metaclass=OwnModelMetaclass):
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


class LintOptions(_Strict):
    """``lint:``: which of lrplot's schedule checks to silence (top level or per curve)."""

    ignore: list[str] = Field(
        default_factory=list,
        description="Check ids to silence, e.g. [LR005] (see lrplot's docs/lint.md for the list).",
    )
    monitor: str | None = Field(
        default=None,
        description=(
            "The metric a ReduceLROnPlateau watches in training (val_loss), when no metric log is given: "
            "the linter checks its mode against the name."
        ),
    )


class SegmentSpec(_Strict):
    """One entry of ``segments:``: a scheduler run for some steps on the curve's optimizer."""

    steps: Any = Field(description="Steps this scheduler runs (positive integer).")
    scheduler: SchedulerSpec
    metric: Any = Field(default=None, description="ReduceLROnPlateau only, as for a curve.")


class MemberSpec(_Strict):
    """One entry of ``side_by_side:``: a scheduler stepped beside the others on the curve's optimizer."""

    scheduler: SchedulerSpec
    interval: Literal["step", "epoch"] = Field(
        default="step", description="step: after every iteration; epoch: after each epoch's last iteration."
    )
    metric: Any = Field(default=None, description="ReduceLROnPlateau only, as for a curve.")


class CurveSpec(_Strict):
    """One entry of ``curves:``: an optimizer + scheduler pair drawn as one curve."""

    label: str | None = Field(default=None, description="Legend label and the CSV's curve column.")
    reference: Any = Field(
        default=None,
        description="A training log to draw over and compare with the curve: a path (TensorBoard event "
        "file or logdir, trainer_state.json or checkpoint folder, Lightning metrics.csv, W&B CSV export, "
        "MLflow run folder, CSV), or {path, tag, step, group, offset, rtol}.",
    )
    total_step: Any = Field(default=None, description="Steps to simulate for this curve (positive integer).")
    epochs: Any = Field(
        default=None,
        description="Instead of total_step: epochs to simulate (positive integer), with steps_per_epoch "
        "or dataset_size and batch_size.",
    )
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
    side_by_side: list[MemberSpec] | None = Field(
        default=None,
        min_length=1,
        description="Instead of scheduler: schedulers built in this order on one optimizer and stepped "
        "in the same loop, each at its own interval (a warmup every step, ReduceLROnPlateau every epoch).",
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
    lint: LintOptions | None = Field(default=None, description="Schedule checks to silence for this curve.")


EPOCH_KEYS = ("epochs", "steps_per_epoch", "dataset_size", "batch_size", "drop_last", "interval")


class PlotOptions(_Strict):
    """``plot:``: how the figure looks."""

    yscale: Literal["linear", "log"] | None = Field(
        default=None,
        description="linear or log; by default log when the curves span more than two decades.",
    )
    size: list[float] = Field(
        default=[8.0, 5.0], min_length=2, max_length=2, description="[width, height] in inches."
    )
    dpi: int = Field(default=100, gt=0, le=1200)
    layout: Literal["overlay", "grid"] = Field(
        default="overlay", description="overlay: all curves in one panel; grid: one small panel per curve."
    )
    xlim: list[float | None] | None = Field(
        default=None, min_length=2, max_length=2, description="[first, last] step shown (null: the run's)."
    )
    ylim: list[float] | None = Field(
        default=None, min_length=2, max_length=2, description="[low, high] learning rate shown."
    )
    zoom: list[float] | bool | None = Field(
        default=None,
        description="[first, last] step to magnify in an inset; by default a warmup shorter than 5% of "
        "the run is magnified; false turns that off.",
    )

    @field_validator("xlim")
    @classmethod
    def _forward_xlim(cls, xlim: list[float | None] | None) -> list[float | None] | None:
        """A reversed range would draw the run backwards: refused, naming the order wanted."""
        if xlim is not None and xlim[0] is not None and xlim[1] is not None and xlim[1] <= xlim[0]:
            raise ValueError(f"the first step must come before the last, e.g. [{xlim[1]:g}, {xlim[0]:g}]")
        return xlim

    @field_validator("size")
    @classmethod
    def _finite_size(cls, size: list[float]) -> list[float]:
        for side in size:
            if not math.isfinite(side) or side < MIN_FIGURE_INCHES:
                raise ValueError(f"each side must be a finite number of inches >= {MIN_FIGURE_INCHES:g}")
        return size

    def check_pixels(self, key_path: KeyPath = ("plot",)) -> None:
        """Refuse a figure too large to allocate: each side, and width x height (``--force``
        lifts the latter; Agg cannot draw past ``MAX_FIGURE_SIDE`` pixels a side however asked)."""
        width, height = (int(min(side * self.dpi, 1e18)) for side in self.size)  # sides are finite
        side = max(width, height)
        shown = f"plot.size {self.size[0]:g} x {self.size[1]:g} in at {self.dpi} dpi"
        check(f"{shown} is {{}} pixels on a side", side, MAX_FIGURE_SIDE, key_path=key_path, liftable=False)
        check(f"{shown} is {{}} pixels", width * height, MAX_FIGURE_PIXELS, key_path=key_path, liftable=True)


class ConfigFile(_Strict):
    """The top level of a config file (this model is also its JSON Schema)."""

    title: str | None = None
    total_step: Any = Field(
        default=None, description="Steps to simulate, for every curve (positive integer)."
    )
    epochs: Any = Field(
        default=None, description="Instead of total_step: epochs to simulate, for every curve."
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
    lint: LintOptions | None = Field(default=None, description="Schedule checks to silence for every curve.")


class Segment(BaseModel, metaclass=OwnModelMetaclass):
    """One scheduler of a segmented curve, with its length and (plateau) metric."""

    steps: int
    scheduler: SchedulerSpec
    metric: str | int | float | MetricLog | None = None


class Member(BaseModel, metaclass=OwnModelMetaclass):
    """A validated side-by-side member: its interval and (plateau) metric; its scheduler is
    the curve scheduler's nested one at the same index."""

    interval: Literal["step", "epoch"]
    metric: str | int | float | MetricLog | None = None


class Curve(BaseModel, metaclass=OwnModelMetaclass):
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
    members: list[Member] | None = None
    steps_per_epoch: int | None = None
    interval: Literal["step", "epoch", "fractional_epoch"] = "step"
    variant: dict[str, Any] = Field(default_factory=dict)
    reference: Any = None
    # Schedule checks silenced for this curve (top level and its own), each with the key
    # path that names it, and whether a training config left ReduceLROnPlateau's metric to lrplot.
    lint_ignore: dict[str, KeyPath] = Field(default_factory=dict)
    metric_assumed: bool = False
    # The metric a training config says its ReduceLROnPlateau monitors (lint: {monitor: ...}).
    lint_monitor: str | None = None
    # Whether the label was filled in from the curve's values ("peak {optimizer.lr}"): such a
    # label changes with them, and ``check`` matches the curve by its position instead.
    label_templated: bool = False


class Config(BaseModel, metaclass=OwnModelMetaclass):
    """A validated config: what :func:`lrplot.simulate` takes."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    title: str | None
    curves: list[Curve]
    plot: PlotOptions
    source: YamlSource | None = None
    origins: Origins = Field(default_factory=Origins)
    notes: list[str] = Field(default_factory=list)
    derived: dict[str, Any] = Field(default_factory=dict)  # a training config's run-length numbers
    reads: list[Path] = Field(default_factory=list)  # other files its translation read (--watch, outputs)
    form: str = "lrplot"  # the format the file was written in (a training config's, or lrplot's own)
    file_keys: dict[Any, Any] = Field(default_factory=dict)  # native key path -> lrplot.facts.FileKey

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
        """Files this config reads besides itself (logs, composed Hydra files), for --watch and outputs."""
        found: list[Path] = []
        for curve in self.curves:
            metrics = [segment.metric for segment in curve.segments or []] or [curve.metric]
            paths = [m.csv for m in metrics if isinstance(m, MetricLog)]
            reference = curve.reference
            if isinstance(reference, str):
                paths.append(reference)
            elif isinstance(reference, dict) and isinstance(reference.get("path", reference.get("csv")), str):
                paths.append(reference.get("path", reference.get("csv")))
            for path in map(Path, paths):
                found.append(path if path.is_absolute() else self.base_dir / path)
        own = self.source.path.resolve() if self.source is not None and self.source.path is not None else None
        found += [path for path in self.reads if path.resolve() != own]
        return list(dict.fromkeys(found))

    def locate(self, error: LrplotError) -> LrplotError:
        """Fill in ``error.where`` from its key path."""
        if error.where is None:
            error.where = self.where(error.key_path) or (self.source.name if self.source else None)
        return error


with plugins_disabled():  # lrplot's own models: no third-party validation plugin (lrplot.own_models)
    SchedulerSpec.model_rebuild()
    Curve.model_rebuild()
