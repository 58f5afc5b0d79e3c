"""What LightningCLI and Hydra configs share: class nodes, Lightning's trainer, its stepping.

Both name an optimizer and a scheduler as a node that a library instantiates
(jsonargparse's ``{class_path, init_args}``, Hydra's ``{_target_: ..., **keywords}``) and
both run under Lightning's ``Trainer``, whose ``max_epochs``/``max_steps`` set the run's
length and which steps a scheduler once per epoch unless ``configure_optimizers`` says
``"interval": "step"`` (code the YAML cannot show). Verified against ``Trainer.fit``
(lightning 2.6, ``loops/training_epoch_loop.py``): an epoch-interval scheduler steps right
after the epoch's last optimizer step; a step-interval one after every optimizer step;
training stops at ``max_steps`` optimizer steps or ``max_epochs`` epochs, whichever comes
first, and Lightning's default is 1000 epochs when neither is set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import Converted
from lrplot.limits import in_range

# Lightning's ReduceLROnPlateau is torch's with a ``monitor`` argument (the metric's name);
# jsonargparse resolves the short name ``ReduceLROnPlateau`` of a LightningCLI lr_scheduler
# to it (measured with lightning 2.6, jsonargparse 4.53).
LIGHTNING_PLATEAU = ("lightning.pytorch.cli.ReduceLROnPlateau", "pytorch_lightning.cli.ReduceLROnPlateau")
TORCH_PLATEAU = "torch.optim.lr_scheduler.ReduceLROnPlateau"
# Keywords torch removed that never changed the schedule (``verbose`` printed a line per
# step; deprecated in torch 2.2, gone from the signatures since): dropped with a note.
NO_OP_KEYWORDS = ("verbose",)
LIGHTNING_DEFAULT_EPOCHS = 1000
INTERVAL_HOW = (
    "Lightning steps the scheduler once per epoch unless the LightningModule's configure_optimizers "
    'returns "interval": "step"; if yours does, add --set interval=step'
)

# ``where(original_key_path)`` → the origin lrplot records for a native key: the original
# key path (same file) or a ready ``file:line`` (a composed Hydra config).
Where = Callable[[KeyPath], "KeyPath | str"]


def error_at(message: str, origin: KeyPath | str) -> LrplotError:
    """An error at an origin: a ready ``file:line``, or a key path the loader locates."""
    if isinstance(origin, str):
        return LrplotError(message, where=origin)
    return LrplotError(message, key_path=origin)


def same_file(path: KeyPath) -> KeyPath:
    """Origins in the file being read: its own key paths."""
    return path


@dataclass
class ClassNode:
    """An optimizer or scheduler node found in a config, where it sits and what it is."""

    path: KeyPath
    node: Any  # {class_path, init_args}, {_target_, ...} or a bare class path string

    @property
    def name(self) -> str:
        if isinstance(self.node, dict):
            return str(self.node.get("class_path", self.node.get("_target_", "")))
        return str(self.node)


def is_class_node(value: Any) -> bool:
    """A jsonargparse ``{class_path, ...}`` or Hydra ``{_target_, ...}`` node."""
    return isinstance(value, dict) and ("class_path" in value or "_target_" in value)


def looks_like_scheduler(key: str, name: str) -> bool:
    """A scheduler by its key (``lr_scheduler``, ``scheduler``) or class (``...LR``, ``lr_scheduler.``)."""
    short = name.rsplit(".", 1)[-1]
    return (
        "sched" in key.lower()
        or ".lr_scheduler." in name
        or short.endswith(("LR", "Scheduler", "ReduceLROnPlateau"))
        or "schedule" in short.lower()
    )


def looks_like_optimizer(key: str, name: str) -> bool:
    """An optimizer by its key (``optimizer``) or a ``torch.optim.X`` class path."""
    if looks_like_scheduler(key, name):
        return False
    in_torch = name.startswith("torch.optim.") and ".swa_utils." not in name
    return "optim" in key.lower() or in_torch


def native_node(found: ClassNode, native: KeyPath, converted: Converted, where: Where) -> dict[str, Any]:
    """A class node → ``{name, **keywords}``, every key's origin recorded, no-op keywords dropped."""
    node, source = found.node, found.path
    converted.origins[native] = where(source)
    name = found.name
    arguments: dict[str, Any] = {}
    argument_paths: dict[str, KeyPath] = {}
    if isinstance(node, dict) and "class_path" in node:
        name_key = "class_path"
        for part in ("init_args", "dict_kwargs"):  # jsonargparse merges dict_kwargs into the call
            values = node.get(part) or {}
            if not isinstance(values, dict):
                raise LrplotError(f"{part} must be a mapping of keywords", key_path=(*source, part))
            arguments.update(values)
            argument_paths.update({key: (*source, part, key) for key in values})
    elif isinstance(node, dict):
        name_key = "_target_"
        arguments = {k: v for k, v in node.items() if k != "_target_"}
        argument_paths = {key: (*source, key) for key in arguments}
    else:
        name_key = None
    dropped: tuple[str, ...] = ()
    if name in LIGHTNING_PLATEAU:
        name, dropped = TORCH_PLATEAU, ("monitor",)
    result: dict[str, Any] = {"name": name}
    converted.origins[(*native, "name")] = where((*source, name_key) if name_key else source)
    for key, value in arguments.items():
        if key.startswith("_") or key in dropped:
            continue  # _partial_, _recursive_, Lightning's monitor: instantiation details
        if key in NO_OP_KEYWORDS:
            short = name.rsplit(".", 1)[-1]
            converted.notes.append(f"dropped {key}={value!r} from {short}: torch removed it, it only printed")
            continue
        if key == "schedulers" and isinstance(value, list):
            value = [
                native_node(ClassNode((*argument_paths[key], i), child), (*native, key, i), converted, where)
                if is_class_node(child)
                else child
                for i, child in enumerate(value)
            ]
        result[key] = value
        converted.origins.setdefault((*native, key), where(argument_paths[key]))
    return result


def trainer_limit(trainer: dict[str, Any], key: str, trainer_path: KeyPath, where: Where) -> int | None:
    """``max_epochs``/``max_steps`` as Lightning reads them: ``-1`` and ``null`` mean "not set"."""
    value = trainer.get(key)
    if value is None or value == -1:
        return None
    origin = where((*trainer_path, key))
    if isinstance(origin, str):
        in_range(value, f"trainer.{key}", where=origin)
    else:
        in_range(value, f"trainer.{key}", key_path=origin)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        message = (
            f"trainer.{key} must be a whole number of {key[4:]} (or -1), got {type(value).__name__} {value!r}"
        )
        if isinstance(origin, str):
            raise LrplotError(message, where=origin)
        raise LrplotError(message, key_path=origin)
    return value or None


def trainer_length(
    converted: Converted,
    trainer: Any,
    trainer_path: KeyPath,
    steps_per_epoch: int | None,
    where: Where,
    interval: str | None = None,
) -> None:
    """total_step, steps_per_epoch and interval from the trainer, as Lightning runs it.

    ``interval`` is what the config itself says (a Hydra config may), else Lightning's
    default, epoch. Without ``steps_per_epoch`` an epoch-stepped run is drawn one point
    per epoch (the shape is exact; the x axis counts epochs) and a note says how to get steps.
    """
    trainer = trainer if isinstance(trainer, dict) else {}
    max_steps = trainer_limit(trainer, "max_steps", trainer_path, where)
    max_epochs = trainer_limit(trainer, "max_epochs", trainer_path, where)
    data, notes = converted.data, converted.notes
    epochs_key: KeyPath = (*trainer_path, "max_epochs")
    if max_steps is None and max_epochs is None:
        max_epochs = LIGHTNING_DEFAULT_EPOCHS
        notes.append(
            f"the trainer sets neither max_epochs nor max_steps: Lightning's default, {max_epochs} epochs"
        )
        epochs_key = trainer_path
    converted.derived.update(
        {"max_epochs": max_epochs, "max_steps": max_steps, "steps_per_epoch": steps_per_epoch}
    )
    stated = interval is not None
    interval = interval or "epoch"
    if steps_per_epoch is not None:
        data["steps_per_epoch"], data["interval"] = steps_per_epoch, interval
        lengths = []
        if max_steps is not None:
            lengths.append((max_steps, (*trainer_path, "max_steps")))
        if max_epochs is not None:
            lengths.append((max_epochs * steps_per_epoch, epochs_key))
        data["total_step"], origin = min(lengths)  # Lightning stops at whichever comes first
        converted.origins[("total_step",)] = where(origin)
        if not stated:
            converted.interval_note = f"stepped once per epoch of {steps_per_epoch} steps: {INTERVAL_HOW}"
        return
    if interval == "epoch" and stated and max_steps is not None:
        message = (
            "the config steps the scheduler per epoch and stops after trainer.max_steps: "
            "give --steps-per-epoch N (optimizer steps per epoch) to draw it"
        )
        raise error_at(message, where((*trainer_path, "max_steps")))
    if interval == "step" or max_steps is not None:
        data["interval"] = "step"
        if max_steps is not None:
            data["total_step"] = max_steps
            converted.origins[("total_step",)] = where((*trainer_path, "max_steps"))
        else:
            data["total_step"] = max_epochs
            converted.origins[("total_step",)] = where(epochs_key)
            notes.append(f"no steps per epoch known: {max_epochs} steps drawn; give --steps-per-epoch N")
        if not stated:
            converted.interval_note = (
                "the scheduler is stepped every step; Lightning steps it once per epoch unless "
                'configure_optimizers says "interval": "step": give --steps-per-epoch N to draw epochs'
            )
        return
    data["total_step"] = max_epochs
    converted.origins[("total_step",)] = where(epochs_key)
    notes.append(
        f"no steps per epoch known: each of the {max_epochs} points is one epoch "
        "(give --steps-per-epoch N, the optimizer steps per epoch, to draw steps)"
    )


def lightning_epoch_length(
    converted: Converted,
    trainer: Any,
    batch_size: Any,
    dataset_size: int,
    world_size: int | None,
    where: Where,
    batch_path: KeyPath,
) -> int:
    """Optimizer steps per epoch as Lightning counts them, from the dataset's size.

    A DistributedSampler gives each of ``world_size`` processes ``ceil(N / W)`` samples, the
    DataLoader (drop_last False, torch's default) ``ceil(n / batch_size)`` batches,
    ``limit_train_batches`` cuts them (an int: at most that many; a fraction: ``int(b * f)``),
    and Lightning steps the optimizer every ``accumulate_grad_batches`` batches and on the
    epoch's last one.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise error_at(
            "--dataset-size needs the batch size, and the config has none here: give --steps-per-epoch N",
            where(batch_path),
        )
    trainer = trainer if isinstance(trainer, dict) else {}
    world = world_size or 1
    batches = _ceil_div(_ceil_div(dataset_size, world), batch_size)
    limit = trainer.get("limit_train_batches")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
        batches = min(batches, limit)
    elif isinstance(limit, float) and 0.0 <= limit < 1.0:
        batches = int(batches * limit)
    accumulate = trainer.get("accumulate_grad_batches") or 1
    accumulate = accumulate if isinstance(accumulate, int) and accumulate > 0 else 1
    steps = max(1, _ceil_div(batches, accumulate))
    converted.notes.append(
        f"{steps} optimizer steps per epoch: {dataset_size} samples / {world} process(es), batches of "
        f"{batch_size}"
        + (f", accumulate_grad_batches {accumulate}" if accumulate > 1 else "")
        + " (a DataLoader with drop_last=True has fewer: give --steps-per-epoch)"
    )
    converted.derived["dataset_size"] = dataset_size
    return steps


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def note_missing_lr(converted: Converted, optimizer: dict[str, Any]) -> None:
    """lrplot cannot know a class's default lr without torch: say which lr is drawn."""
    if "lr" not in optimizer:
        short = str(optimizer["name"]).rsplit(".", 1)[-1]
        converted.notes.append(
            f"{short} has no lr in the config: drawn with lr 1.0 (lrplot's default), training uses "
            f"{short}'s own default; give it with --set optimizer.lr=VALUE"
        )


def plateau_monitor_note(converted: Converted, monitor: Any) -> None:
    """Say which metric a Lightning ReduceLROnPlateau watches in training."""
    if isinstance(monitor, str):
        converted.notes.append(f"ReduceLROnPlateau monitors {monitor!r} in training")
