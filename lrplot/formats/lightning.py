"""LightningCLI configs: ``optimizer: {class_path, init_args}`` and ``lr_scheduler: {...}``.

The length comes from ``trainer.max_steps`` or ``trainer.max_epochs``. Lightning steps a
scheduler once per epoch unless told otherwise, so with a known ``steps_per_epoch`` the
curve is stepped per epoch; without one, each scheduler step is drawn as one step (and
a note says so).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import (
    SCHEDULER_KEYS,
    Converted,
    FormatOptions,
    assume_plateau_metric,
    curve_label,
    native_node,
    root_trainer,
    trainer_length,
)

NAME = "LightningCLI"


def score(path: Path | None, data: Any) -> float:
    """Certain when the optimizer is a ``{class_path, ...}`` node."""
    optimizer = data.get("optimizer") if isinstance(data, dict) else None
    return 1.0 if isinstance(optimizer, dict) and "class_path" in optimizer else 0.0


def translate(target: dict[str, Any], options: FormatOptions) -> Converted:
    """The optimizer and scheduler nodes of ``target`` as one lrplot curve."""
    return _lightning(target, options.prefix, root_trainer(options), options.steps_per_epoch)


def _lightning(
    target: dict[str, Any], prefix: KeyPath, trainer: Any, steps_per_epoch: int | None
) -> Converted:
    converted = Converted(data={}, form="LightningCLI")
    curve: dict[str, Any] = {}
    curve["optimizer"] = native_node(
        target["optimizer"], (*prefix, "optimizer"), ("curves", 0, "optimizer"), converted
    )
    scheduler_key = next((k for k in SCHEDULER_KEYS if isinstance(target.get(k), dict)), None)
    if scheduler_key is None:
        raise LrplotError(
            "LightningCLI config has an optimizer but no lr_scheduler", key_path=(*prefix, "optimizer")
        )
    curve["scheduler"] = native_node(
        target[scheduler_key], (*prefix, scheduler_key), ("curves", 0, "scheduler"), converted
    )
    curve["label"] = curve_label(curve)
    converted.data = {"title": f"{curve['label']} (LightningCLI)", "curves": [curve]}
    trainer_length(converted, trainer, steps_per_epoch)
    assume_plateau_metric(converted)
    return converted
