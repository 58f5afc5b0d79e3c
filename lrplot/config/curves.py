"""From the top-level mapping to the curves it stands for.

Defaults are merged into each curve, sweeps expanded, lengths, epochs and labels
settled; every problem names its key.
"""

from __future__ import annotations

import copy
from typing import Any

from lrplot.config.bounds import check_shape, count_curves
from lrplot.config.models import (
    ConfigFile,
    Curve,
    CurveSpec,
    Member,
    MetricLog,
    OptimizerSpec,
    SchedulerSpec,
    Segment,
)
from lrplot.config.validation import check_text, kind_of, validate_model
from lrplot.errors import KeyPath, LrplotError, attempt
from lrplot.limits import MAX_TEXT_CHARS
from lrplot.overrides import Origins, describe_variant, render_label, set_path, split_key, sweep_variants


def expand_curves(top: ConfigFile, origins: Origins) -> list[Curve]:
    """Merge defaults into each curve, expand sweeps, settle lengths, epochs and labels."""
    defaults = top.defaults or {}
    count_curves(top)
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
        raise LrplotError(f"curves[{index}] must be a mapping, got {kind_of(raw_curve)}", key_path=key_path)
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
        curves.append(_curve(top, curve_data, index, variant.values, key_path, origins))
    return curves


def _curve(
    top: ConfigFile,
    data: dict[str, Any],
    index: int,
    variant: dict[str, Any],
    key_path: KeyPath,
    origins: Origins,
) -> Curve:
    template = data.get("label")
    spec = validate_model(CurveSpec, data, key_path)
    given = [k for k in ("scheduler", "segments", "side_by_side") if getattr(spec, k) is not None]
    if len(given) != 1:
        raise LrplotError(
            f"a curve needs one of scheduler, segments or side_by_side, not {' and '.join(given)}"
            if given
            else "missing key 'scheduler' (or 'segments', or 'side_by_side')",
            key_path=key_path,
        )
    _check_optimizer_from(spec.optimizer, (*key_path, "optimizer"))
    segments = _segments(spec, key_path)
    if segments is not None:
        length = sum(segment.steps for segment in segments)
        if spec.epochs is not None:
            raise LrplotError(
                "a segmented curve's length is the sum of its segments; leave epochs out",
                key_path=(*key_path, "epochs"),
            )
        if spec.total_step is not None and _total_step(spec.total_step, None, key_path) != length:
            raise LrplotError(
                f"total_step is {spec.total_step} but the segments add up to {length}; "
                "leave total_step out of a segmented curve",
                key_path=(*key_path, "total_step"),
            )
        total_step = length
        scheduler, metric = segments[0].scheduler, segments[0].metric
    steps_per_epoch, interval = _epochs(spec, top, key_path)
    members = None
    if spec.side_by_side is not None:
        scheduler, members = _side_by_side(spec, steps_per_epoch, interval, key_path, origins)
        metric = None
    if segments is None:
        total_step = _length(spec, top, steps_per_epoch, key_path)
    if spec.scheduler is not None:
        scheduler, metric = spec.scheduler, _metric(spec.metric, (*key_path, "metric"))
    check_shape(spec, segments, scheduler, key_path)
    if isinstance(template, str):
        label = render_label(template, data, key_path)
        check_text(label, "label", (*key_path, "label"))
        unnamed = {k: v for k, v in variant.items() if not _template_names(template, k)}
        if unnamed:
            label = _fitted(f"{label} ({describe_variant(unnamed)})")
    elif variant:
        label = _fitted(f"{scheduler_title(scheduler)} ({describe_variant(variant)})")
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
        members=members,
        steps_per_epoch=steps_per_epoch,
        interval=interval,
        variant=variant,
        reference=spec.reference,
        label_templated=isinstance(template, str) and "{" in template,
        lint_ignore=_lint_ignore(top, spec, key_path),
        lint_monitor=(spec.lint.monitor if spec.lint else None) or (top.lint.monitor if top.lint else None),
    )


SIDE_BY_SIDE = "lrplot.plan.drivers.side_by_side.SideBySide"


def _side_by_side(
    spec: CurveSpec, steps_per_epoch: int | None, interval: str, key_path: KeyPath, origins: Origins
) -> tuple[SchedulerSpec, list[Member]]:
    """``side_by_side:`` → one driver scheduler whose nested schedulers are the members."""
    assert spec.side_by_side is not None
    if spec.metric is not None:
        raise LrplotError("side_by_side members take metric: each", key_path=(*key_path, "metric"))
    if interval != "step":
        raise LrplotError(
            "side_by_side members take interval: each (the curve itself runs every step)",
            key_path=(*key_path, "interval"),
        )
    members = []
    for index, member in enumerate(spec.side_by_side):
        path = (*key_path, "side_by_side", index)
        if member.interval == "epoch" and steps_per_epoch is None:
            raise LrplotError(
                "interval: epoch needs steps_per_epoch (or dataset_size and batch_size)",
                key_path=(*path, "interval"),
            )
        members.append(Member(interval=member.interval, metric=_metric(member.metric, (*path, "metric"))))
        native = (*key_path, "scheduler", "schedulers", index)
        _map_origins(origins, native, (*path, "scheduler"), member.scheduler.model_dump(by_alias=True))
    origins.add((*key_path, "scheduler"), (*key_path, "side_by_side"))
    scheduler = SchedulerSpec.model_validate(
        {
            "name": SIDE_BY_SIDE,
            "schedulers": [
                member.scheduler.model_dump(by_alias=True, exclude_none=True) for member in spec.side_by_side
            ],
            "intervals": [m.interval for m in members],
            "steps_per_epoch": steps_per_epoch,
        }
    )
    return scheduler, members


def _map_origins(origins: Origins, native: KeyPath, original: KeyPath, data: Any) -> None:
    """Point every key below ``native`` at the same key below ``original`` (for file:line)."""
    origins.add(native, original)
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        _map_origins(origins, (*native, key), (*original, key), value)


def _lint_ignore(top: ConfigFile, spec: CurveSpec, key_path: KeyPath) -> dict[str, KeyPath]:
    """The check ids a curve silences (top level, then its own), each with where it is written."""
    found: dict[str, KeyPath] = {}
    for options, path in ((top.lint, ("lint", "ignore")), (spec.lint, (*key_path, "lint", "ignore"))):
        for position, check_id in enumerate(options.ignore if options else []):
            found.setdefault(check_id, (*path, position))
    return found


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
        return validate_model(MetricLog, value, key_path)
    if value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool)):
        return value
    raise LrplotError(
        f"metric should be 'lr', an expression in step and lr, or {{csv: FILE, column: NAME}}, got {value!r}",
        key_path=key_path,
    )


def _length(spec: CurveSpec, top: ConfigFile, steps_per_epoch: int | None, key_path: KeyPath) -> int:
    """total_step, or epochs × steps_per_epoch; the curve's own keys win over the top level's."""
    levels = [
        (spec.total_step, spec.epochs, key_path),
        (top.total_step, top.epochs, ()),
    ]
    for total_step, epochs, where in levels:
        if total_step is not None and epochs is not None:
            raise LrplotError(
                "give total_step or epochs, not both (--set of one replaces the other)",
                key_path=(*where, "epochs"),
            )
        if total_step is not None:
            return _positive_int("total_step", total_step, (*where, "total_step"))
        if epochs is not None:
            count = _positive_int("epochs", epochs, (*where, "epochs"))
            if steps_per_epoch is None:
                raise LrplotError(
                    f"epochs: {count} needs steps_per_epoch (or dataset_size and batch_size) to know "
                    "the steps; or give total_step",
                    key_path=(*where, "epochs"),
                )
            return count * steps_per_epoch
    raise LrplotError(
        "total_step is missing: set it (or epochs) at the top level or in the curve", key_path=key_path
    )


def _total_step(own: Any, top: Any, key_path: KeyPath) -> int:
    value, where = (own, (*key_path, "total_step")) if own is not None else (top, ("total_step",))
    if value is None:
        raise LrplotError("total_step is missing: set it at the top level or in the curve", key_path=key_path)
    return _positive_int("total_step", value, where)


def scheduler_title(scheduler: SchedulerSpec) -> str:
    """A scheduler as a legend shows it (``LinearLR + ReduceLROnPlateau`` side by side)."""
    if scheduler.name == SIDE_BY_SIDE:
        return " + ".join(scheduler_title(child) for child in scheduler.schedulers or [])
    return scheduler.name.rsplit(".", 1)[-1]


def _fitted(label: str) -> str:
    """A label lrplot made up, cut to ``MAX_TEXT_CHARS`` (a label the user wrote is refused instead)."""
    return label if len(label) <= MAX_TEXT_CHARS else label[: MAX_TEXT_CHARS - 3] + "..."


def settle_labels(curves: list[Curve]) -> None:
    """Give unlabelled curves a readable default and refuse duplicate labels."""
    unlabelled = [curve for curve in curves if not curve.label]
    names = [scheduler_title(curve.scheduler) for curve in unlabelled]
    for curve, name in zip(unlabelled, names, strict=True):
        if names.count(name) == 1:
            curve.label = name
        else:
            described = ", ".join(f"{k}={v}" for k, v in curve.scheduler.keywords.items())
            curve.label = _fitted(f"{name}({described})")
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
        check_text(curve.label, "label", ("curves", curve.index, "label"))
