"""Hydra / ``instantiate`` configs (as in lightning-hydra-template).

Nodes with ``_target_`` (and ``_partial_: true``) such as ``model.optimizer`` and
``model.scheduler`` become one lrplot curve; the length comes from the trainer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import (
    OPTIMIZER_KEYS,
    SCHEDULER_KEYS,
    Converted,
    FormatOptions,
    assume_plateau_metric,
    curve_label,
    native_node,
    root_trainer,
    trainer_length,
)

NAME = "Hydra"


def score(path: Path | None, data: Any) -> float:
    """Certain when an optimizer and a scheduler ``_target_`` node are found."""
    return 1.0 if isinstance(data, dict) and _find_targets(data, ()) is not None else 0.0


def translate(target: dict[str, Any], options: FormatOptions) -> Converted:
    """The first optimizer and scheduler ``_target_`` nodes as one lrplot curve."""
    found = _find_targets(target, options.prefix)
    if found is None:
        raise LrplotError("no Hydra _target_ optimizer and scheduler found", key_path=options.prefix or None)
    return _hydra(found, root_trainer(options), options.steps_per_epoch)


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
                    if optimizer is None and (key in OPTIMIZER_KEYS or _is_optimizer_path(target)):
                        optimizer = (child, value)
                        continue
                    if scheduler is None and (key in SCHEDULER_KEYS or "lr_scheduler" in target):
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
        "optimizer": native_node(optimizer, optimizer_path, ("curves", 0, "optimizer"), converted),
        "scheduler": native_node(scheduler, scheduler_path, ("curves", 0, "scheduler"), converted),
    }
    curve["label"] = curve_label(curve)
    converted.data = {"title": f"{curve['label']} (Hydra)", "curves": [curve]}
    trainer_length(converted, trainer, steps_per_epoch)
    assume_plateau_metric(converted)
    return converted
