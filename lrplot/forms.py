"""Reading the training configs people already have: LightningCLI and Hydra forms.

Both are turned into lrplot's own config data (one curve) before validation, so every
check and error message works as for a native config, and errors point at the lines of
the original file. The form is detected automatically; ``--select KEY.PATH`` picks the
subtree when the file holds a whole training config.

- LightningCLI: ``optimizer: {class_path, init_args}``, ``lr_scheduler: {class_path,
  init_args}``, the length from ``trainer.max_steps`` or ``trainer.max_epochs``.
- Hydra / instantiate (as in lightning-hydra-template): nodes with ``_target_`` (and
  ``_partial_: true``) such as ``model.optimizer`` and ``model.scheduler``.

Lightning steps a scheduler once per epoch unless told otherwise, so with a known
``steps_per_epoch`` the curve is stepped per epoch; without one, each scheduler step is
drawn as one step (and a note says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrplot.errors import KeyPath, LrplotError

# Lightning's own wrapper classes that are torch's schedulers with an extra argument.
_ALIASES = {
    "lightning.pytorch.cli.ReduceLROnPlateau": ("torch.optim.lr_scheduler.ReduceLROnPlateau", ("monitor",)),
    "pytorch_lightning.cli.ReduceLROnPlateau": ("torch.optim.lr_scheduler.ReduceLROnPlateau", ("monitor",)),
}
_OPTIMIZER_KEYS = ("optimizer",)
PLATEAU_METRIC_NOTE = (
    "ReduceLROnPlateau gets the current lr as its metric (the tutorial helper's choice); "
    "set --set metric=... or a {csv, column} log for real losses"
)
_SCHEDULER_KEYS = ("lr_scheduler", "scheduler")


@dataclass
class Converted:
    """Native config data, where each of its keys came from, and notes for the user."""

    data: dict[str, Any]
    origins: dict[KeyPath, KeyPath] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    form: str = "lrplot"
    assumed_metric: bool = False  # ReduceLROnPlateau got metric: lr because none was given


def convert(data: Any, *, select: str | None = None, steps_per_epoch: int | None = None) -> Converted:
    """Detect the form of a loaded YAML document and return lrplot config data."""
    prefix: KeyPath = ()
    target = data
    if select:
        for part in select.split("."):
            key: str | int = int(part) if part.isdigit() and isinstance(target, list) else part
            in_mapping = isinstance(target, dict) and key in target
            in_list = isinstance(target, list) and isinstance(key, int) and key < len(target)
            if in_mapping or in_list:
                target = target[key]
            else:
                raise LrplotError(f"--select {select}: no key {part!r} there", key_path=prefix or None)
            prefix = (*prefix, key)
    if isinstance(target, dict) and "curves" in target:
        if steps_per_epoch is not None:
            target = {**target, "steps_per_epoch": target.get("steps_per_epoch", steps_per_epoch)}
        converted = Converted(data=target, form="lrplot")
        if prefix:
            converted.origins = {(): prefix}
        return converted
    if not isinstance(target, dict):
        raise LrplotError("the config must be a mapping with a 'curves' list", key_path=prefix or None)
    trainer = data.get("trainer") if isinstance(data, dict) else None
    if isinstance(target.get("optimizer"), dict) and "class_path" in target["optimizer"]:
        return _lightning(target, prefix, trainer, steps_per_epoch)
    found = _find_targets(target, prefix)
    if found is not None:
        return _hydra(found, trainer, steps_per_epoch)
    raise LrplotError(
        "no 'curves' list, and no LightningCLI optimizer/lr_scheduler (class_path) or Hydra "
        "_target_ optimizer and scheduler found; use --select KEY.PATH to point at them",
        key_path=prefix or None,
    )


def _lightning(
    target: dict[str, Any], prefix: KeyPath, trainer: Any, steps_per_epoch: int | None
) -> Converted:
    converted = Converted(data={}, form="LightningCLI")
    curve: dict[str, Any] = {}
    curve["optimizer"] = _node(
        target["optimizer"], (*prefix, "optimizer"), ("curves", 0, "optimizer"), converted
    )
    scheduler_key = next((k for k in _SCHEDULER_KEYS if isinstance(target.get(k), dict)), None)
    if scheduler_key is None:
        raise LrplotError(
            "LightningCLI config has an optimizer but no lr_scheduler", key_path=(*prefix, "optimizer")
        )
    curve["scheduler"] = _node(
        target[scheduler_key], (*prefix, scheduler_key), ("curves", 0, "scheduler"), converted
    )
    curve["label"] = _label(curve)
    converted.data = {"title": f"{curve['label']} (LightningCLI)", "curves": [curve]}
    _length(converted, trainer, steps_per_epoch)
    _plateau_metric(converted)
    return converted


def _find_targets(tree: Any, prefix: KeyPath) -> tuple[tuple[KeyPath, dict], tuple[KeyPath, dict]] | None:
    """The first optimizer and scheduler ``_target_`` nodes, searched breadth first."""
    optimizer = scheduler = None
    queue: list[tuple[KeyPath, Any]] = [(prefix, tree)]
    while queue and (optimizer is None or scheduler is None):
        path, node = queue.pop(0)
        if isinstance(node, dict):
            for key, value in node.items():
                child = (*path, key)
                if isinstance(value, dict) and "_target_" in value:
                    target = str(value["_target_"])
                    if optimizer is None and (key in _OPTIMIZER_KEYS or _is_optimizer_path(target)):
                        optimizer = (child, value)
                        continue
                    if scheduler is None and (key in _SCHEDULER_KEYS or "lr_scheduler" in target):
                        scheduler = (child, value)
                        continue
                queue.append((child, value))
    if optimizer is None or scheduler is None:
        return None
    return optimizer, scheduler


def _is_optimizer_path(target: str) -> bool:
    return (
        target.startswith("torch.optim.") and ".lr_scheduler." not in target and ".swa_utils." not in target
    )


def _hydra(
    found: tuple[tuple[KeyPath, dict], tuple[KeyPath, dict]], trainer: Any, steps_per_epoch: int | None
) -> Converted:
    converted = Converted(data={}, form="Hydra")
    (optimizer_path, optimizer), (scheduler_path, scheduler) = found
    curve = {
        "optimizer": _node(optimizer, optimizer_path, ("curves", 0, "optimizer"), converted),
        "scheduler": _node(scheduler, scheduler_path, ("curves", 0, "scheduler"), converted),
    }
    curve["label"] = _label(curve)
    converted.data = {"title": f"{curve['label']} (Hydra)", "curves": [curve]}
    _length(converted, trainer, steps_per_epoch)
    _plateau_metric(converted)
    return converted


def _node(node: dict[str, Any], source: KeyPath, native: KeyPath, converted: Converted) -> dict[str, Any]:
    """``{class_path, init_args}`` or ``{_target_, ...}`` → ``{name, ...keywords}``."""
    converted.origins[native] = source
    if "class_path" in node:
        name = str(node["class_path"])
        arguments = node.get("init_args") or {}
        arguments_path = (*source, "init_args")
    else:
        name = str(node["_target_"])
        arguments = {k: v for k, v in node.items() if k != "_target_"}
        arguments_path = source
    dropped: tuple[str, ...] = ()
    if name in _ALIASES:
        name, dropped = _ALIASES[name]
    result: dict[str, Any] = {"name": name}
    converted.origins[(*native, "name")] = (*source, "class_path" if "class_path" in node else "_target_")
    for key, value in arguments.items():
        if key.startswith("_") or key in dropped:
            continue  # _partial_, _recursive_, Lightning's monitor: instantiation details
        if key == "schedulers" and isinstance(value, list):
            value = [
                _node(child, (*arguments_path, key, i), (*native, key, i), converted)
                if isinstance(child, dict) and ("_target_" in child or "class_path" in child)
                else child
                for i, child in enumerate(value)
            ]
        result[key] = value
        converted.origins.setdefault((*native, key), (*arguments_path, key))
    return result


def _label(curve: dict[str, Any]) -> str:
    short = [str(curve[k]["name"]).rsplit(".", 1)[-1] for k in ("optimizer", "scheduler")]
    return f"{short[0]} + {short[1]}"


def _length(converted: Converted, trainer: Any, steps_per_epoch: int | None) -> None:
    """total_step and the stepping interval from trainer.max_steps / max_epochs."""
    trainer = trainer if isinstance(trainer, dict) else {}
    max_steps = trainer.get("max_steps")
    max_epochs = trainer.get("max_epochs")
    max_steps = max_steps if isinstance(max_steps, int) and max_steps > 0 else None
    max_epochs = max_epochs if isinstance(max_epochs, int) and max_epochs > 0 else None
    data = converted.data
    if steps_per_epoch is not None:
        data["steps_per_epoch"] = steps_per_epoch
        data["interval"] = "epoch"
        if max_steps is not None:
            data["total_step"] = max_steps
            converted.origins[("total_step",)] = ("trainer", "max_steps")
        elif max_epochs is not None:
            data["total_step"] = max_epochs * steps_per_epoch
            converted.origins[("total_step",)] = ("trainer", "max_epochs")
        return
    if max_steps is not None:
        data["total_step"] = max_steps
        converted.origins[("total_step",)] = ("trainer", "max_steps")
        converted.notes.append(
            "the scheduler is stepped every step; Lightning steps it once per epoch unless "
            "configured otherwise: give --steps-per-epoch N to draw that"
        )
    elif max_epochs is not None:
        data["total_step"] = max_epochs
        converted.origins[("total_step",)] = ("trainer", "max_epochs")
        converted.notes.append(
            f"no steps per epoch known: each of the {max_epochs} points is one epoch "
            "(give --steps-per-epoch N to draw steps)"
        )


def _plateau_metric(converted: Converted) -> None:
    scheduler = converted.data["curves"][0]["scheduler"]
    if str(scheduler.get("name", "")).endswith("ReduceLROnPlateau"):
        converted.data["curves"][0]["metric"] = "lr"
        converted.assumed_metric = True  # the note is added if no --set gives a metric
