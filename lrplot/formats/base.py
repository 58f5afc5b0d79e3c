"""What every format module returns, and the pieces LightningCLI and Hydra share.

A format module translates a foreign training config into lrplot's own config data
(the contract of :mod:`lrplot.config`), keeping where every value came from so errors
point at the original file's lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError

# Lightning's own wrapper classes that are torch's schedulers with an extra argument.
_ALIASES = {
    "lightning.pytorch.cli.ReduceLROnPlateau": ("torch.optim.lr_scheduler.ReduceLROnPlateau", ("monitor",)),
    "pytorch_lightning.cli.ReduceLROnPlateau": ("torch.optim.lr_scheduler.ReduceLROnPlateau", ("monitor",)),
}
PLATEAU_METRIC_NOTE = (
    "ReduceLROnPlateau gets the current lr as its metric (the tutorial helper's choice); "
    "set --set metric=... or a {csv, column} log for real losses"
)
OPTIMIZER_KEYS = ("optimizer",)
SCHEDULER_KEYS = ("lr_scheduler", "scheduler")


@dataclass
class FormatOptions:
    """What the command line (or the Python API) tells a format beyond the file itself."""

    path: Path | None = None
    select: str | None = None
    steps_per_epoch: int | None = None
    dataset_size: int | None = None  # samples in the training split, for formats that count epochs
    world_size: int | None = None  # data-parallel processes (GPUs) of the run
    prefix: KeyPath = ()  # where the translated subtree sits in the file (--select)
    root: Any = None  # the whole document (a LightningCLI trainer sits beside the model)


@dataclass
class Converted:
    """Native config data, where each of its keys came from, and notes for the user."""

    data: dict[str, Any]
    origins: dict[KeyPath, KeyPath] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    form: str = "lrplot"
    assumed_metric: bool = False  # ReduceLROnPlateau got metric: lr because none was given
    derived: dict[str, Any] = field(default_factory=dict)  # run-length numbers for the summary
    reads: list[Path] = field(default_factory=list)  # other files the translation read


def missing_option(form: str, needs: str, options: str) -> LrplotError:
    """The one-line error for a run length that needs a number the file does not hold."""
    return LrplotError(f"{form} config: {needs}; give {options}", key_path=())


def native_node(
    node: dict[str, Any], source: KeyPath, native: KeyPath, converted: Converted
) -> dict[str, Any]:
    """``{class_path, init_args}`` or ``{_target_, ...}`` → ``{name, ...keywords}``; a node of
    any other shape is refused with its key (never a KeyError or AttributeError)."""
    converted.origins[native] = source
    if not isinstance(node, dict) or ("class_path" not in node and "_target_" not in node):
        raise LrplotError(
            f"{'.'.join(map(str, source)) or 'the node'} should be {{class_path: ..., init_args: {{...}}}} "
            "(LightningCLI) or {_target_: ...} (Hydra), naming a class; class_path is missing",
            key_path=source,
        )
    if "class_path" in node:
        name = node["class_path"]
        arguments = node.get("init_args") or {}
        arguments_path = (*source, "init_args")
    else:
        name = node["_target_"]
        arguments = {k: v for k, v in node.items() if k != "_target_"}
        arguments_path = source
    name_path = (*source, "class_path" if "class_path" in node else "_target_")
    if not isinstance(name, str) or not name:
        raise LrplotError(
            f"{name_path[-1]} should be a class's dotted name, got {name!r}", key_path=name_path
        )
    if not isinstance(arguments, dict):
        raise LrplotError(
            f"init_args should be a mapping of keyword: value, got {type(arguments).__name__}",
            key_path=arguments_path,
        )
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
                native_node(child, (*arguments_path, key, i), (*native, key, i), converted)
                if isinstance(child, dict) and ("_target_" in child or "class_path" in child)
                else child
                for i, child in enumerate(value)
            ]
        result[key] = value
        converted.origins.setdefault((*native, key), (*arguments_path, key))
    return result


def curve_label(curve: dict[str, Any]) -> str:
    short = [str(curve[k]["name"]).rsplit(".", 1)[-1] for k in ("optimizer", "scheduler")]
    return f"{short[0]} + {short[1]}"


def root_trainer(options: FormatOptions) -> Any:
    """The document's ``trainer`` mapping, which sets the run's length."""
    root = options.root
    return root.get("trainer") if isinstance(root, dict) else None


def trainer_length(converted: Converted, trainer: Any, steps_per_epoch: int | None) -> None:
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


def assume_plateau_metric(converted: Converted) -> None:
    scheduler = converted.data["curves"][0]["scheduler"]
    if str(scheduler.get("name", "")).endswith("ReduceLROnPlateau"):
        converted.data["curves"][0]["metric"] = "lr"
        converted.assumed_metric = True  # the note is added if no --set gives a metric
