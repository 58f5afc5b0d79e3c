"""YAML → validated :class:`Config`.

This layer owns the config *contract* (the field names users' configs and CI snapshots
depend on): it loads the YAML safely, merges ``defaults`` into each curve, validates the
structure with pydantic and turns every problem into one :class:`LrplotError` that names
the key and its YAML line. Whether a scheduler keyword is valid is decided later, by the
torch class's own signature (``build.py``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lrplot.errors import KeyPath, LrplotError
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

    @property
    def keywords(self) -> dict[str, Any]:
        """The keywords passed through to the torch class."""
        return dict(self.model_extra or {})


class OptimizerSpec(_Open):
    """``optimizer:``: a torch optimizer class, its keywords and its param groups."""

    name: str = Field(
        default=DEFAULT_OPTIMIZER, description="A class in torch.optim, or a dotted import path."
    )
    initial_lr: float | None = Field(
        default=None,
        description="Set as initial_lr in every param group; torch needs it when last_epoch != -1.",
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


class CurveSpec(_Strict):
    """One entry of ``curves:``: an optimizer + scheduler pair drawn as one curve."""

    label: str | None = Field(default=None, description="Legend label and the CSV's curve column.")
    total_step: Any = Field(default=None, description="Steps to simulate for this curve (positive integer).")
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    scheduler: SchedulerSpec
    metric: Any = Field(
        default=None,
        description="ReduceLROnPlateau only: 'lr', an expression in step and lr, or {csv, column}.",
    )


class PlotOptions(_Strict):
    """``plot:``: how the figure looks."""

    yscale: Literal["linear", "log"] = "linear"
    size: list[float] = Field(
        default=[8.0, 5.0], min_length=2, max_length=2, description="[width, height] in inches."
    )
    dpi: int = Field(default=100, gt=0, le=1200)


class ConfigFile(_Strict):
    """The top level of a config file (this model is also its JSON Schema)."""

    title: str | None = None
    total_step: Any = Field(
        default=None, description="Steps to simulate, for every curve (positive integer)."
    )
    defaults: dict[str, Any] | None = Field(default=None, description="Deep-merged into every curve.")
    curves: list[dict[str, Any]] = Field(min_length=1)
    plot: PlotOptions = Field(default_factory=PlotOptions)


class Curve(BaseModel):
    """A curve ready to simulate: defaults merged, label and length settled."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: int
    label: str
    total_step: int
    optimizer: OptimizerSpec
    scheduler: SchedulerSpec
    metric: str | int | float | MetricLog | None = None


class Config(BaseModel):
    """A validated config: what :func:`lrplot.simulate` takes."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    title: str | None
    curves: list[Curve]
    plot: PlotOptions
    source: YamlSource | None = None

    @property
    def base_dir(self) -> Path:
        """Relative paths in the config (metric logs) are relative to the config's folder."""
        if self.source is not None and self.source.path is not None:
            return self.source.path.parent
        return Path.cwd()

    def where(self, key_path: KeyPath | None) -> str | None:
        """``file:line`` of a key path; keys merged from ``defaults`` point at ``defaults``."""
        if self.source is None or key_path is None:
            return None
        lines = self.source.lines
        if tuple(key_path) in lines or len(key_path) < 2 or key_path[0] != "curves":
            return self.source.where(key_path)
        from_defaults = ("defaults", *key_path[2:])
        if from_defaults in lines:
            return self.source.where(from_defaults)
        inherited = tuple(key_path[2:])  # e.g. a top-level total_step every curve inherits
        if inherited in lines and tuple(key_path[:3]) not in lines:
            return self.source.where(inherited)
        return self.source.where(key_path)

    def locate(self, error: LrplotError) -> LrplotError:
        """Fill in ``error.where`` from its key path."""
        if error.where is None:
            error.where = self.where(error.key_path) or (self.source.name if self.source else None)
        return error


def load(path: str | Path) -> Config:
    """Read, parse and validate a config file.

    Raises :class:`LrplotError` with ``file:line`` for anything wrong in it.
    """
    source = load_yaml_file(Path(path))
    return from_source(source)


def loads(text: str, *, name: str = "<config>", base_dir: Path | None = None) -> Config:
    """Validate a config given as YAML text (for tests and notebooks)."""
    source = parse_yaml(text, name=name)
    if base_dir is not None:
        source.path = base_dir / name
    return from_source(source)


def from_source(source: YamlSource) -> Config:
    """Validate parsed YAML data; every error names its key and line."""
    data = source.data
    try:
        if not isinstance(data, dict):
            raise LrplotError(
                f"the config must be a mapping with a 'curves' list, got {_kind(data)}", key_path=()
            )
        top = _validate(ConfigFile, data, ())
        defaults = top.defaults or {}
        curves = []
        for index, raw_curve in enumerate(top.curves):
            key_path: KeyPath = ("curves", index)
            if not isinstance(raw_curve, dict):
                raise LrplotError(
                    f"curves[{index}] must be a mapping, got {_kind(raw_curve)}", key_path=key_path
                )
            merged = merge_defaults(defaults, raw_curve)
            spec = _validate(CurveSpec, merged, key_path)
            total_step = _total_step(spec.total_step, top.total_step, key_path)
            metric = _metric(spec.metric, (*key_path, "metric"))
            curves.append(
                Curve(
                    index=index,
                    label=spec.label if spec.label is not None else "",
                    total_step=total_step,
                    optimizer=spec.optimizer,
                    scheduler=spec.scheduler,
                    metric=metric,
                )
            )
        _settle_labels(curves)
    except LrplotError as error:
        if error.where is None:
            error.where = source.where(error.key_path) if error.key_path is not None else source.name
        raise
    return Config(title=top.title, curves=curves, plot=top.plot, source=source)


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
            if "name" in value and "name" in base and value["name"] != base["name"]:
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
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise LrplotError(f"total_step must be a positive integer, got {value!r}", key_path=where)
    return value


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
            raise LrplotError(
                f"curves {first} and {curve.index} share the label {curve.label!r}; "
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
