"""torchtune recipe configs (``tune run <recipe> --config <file>``): one curve, torchtune's schedule.

A recipe config names its parts by ``_component_`` (torchtune's ``config.instantiate``, not
Hydra's ``_target_``): ``optimizer``, ``lr_scheduler`` (``torchtune.training.lr_schedulers.
get_cosine_schedule_with_warmup`` with ``num_warmup_steps`` and ``num_cycles``), and beside
them ``epochs``, ``batch_size``, ``gradient_accumulation_steps``, ``max_steps_per_epoch``.

The run length is the recipe's own arithmetic (pytorch/torchtune at v0.6.1,
a6290a5b40758f13bca61c386bc8756a49ef417e; recipes/full_finetune_single_device.py 320-352 and
579-601, full_finetune_distributed.py 147-166 and 718-720, lora_finetune_*.py alike):

- the sampler is a ``DistributedSampler`` over ``dp = world_size // tensor_parallel_dim``
  replicas (1 on a single device), ``drop_last`` False: ``ceil(samples / dp)`` samples each;
- the ``DataLoader`` has ``batch_size`` and ``drop_last=True``: ``samples_per_rank // batch_size``
  batches;
- ``steps_per_epoch = len(dataloader) // gradient_accumulation_steps``, capped by
  ``max_steps_per_epoch``; ``num_training_steps = epochs * steps_per_epoch``, which is also how
  many optimizer steps the loop takes.

The schedule is then torchtune's own function, built and stepped by the driver
``lrplot.plan.drivers.torchtune.RecipeScheduler`` (the order of steps is cited there).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import Converted, FormatOptions, Identification
from lrplot.formats.trainer_args import check_options

NAME = "torchtune"
FORM = "torchtune"
DRIVER = "lrplot.plan.drivers.torchtune.RecipeScheduler"
# optimizers torch ships; others (bitsandbytes, torchao) get their lr from the same schedule
TORCH_OPTIMIZERS = {f"torch.optim.{n}": n for n in ("Adam", "AdamW", "SGD", "Adagrad", "RMSprop", "Adamax")}
RECIPE_KEYS = ("num_training_steps", "last_epoch")  # the recipe passes these; the config's are overridden
_PARTS = ("model", "tokenizer", "checkpointer", "dataset", "loss")


def _component(node: Any) -> str | None:
    value = node.get("_component_") if isinstance(node, dict) else None
    return value if isinstance(value, str) else None


def identify(path: Path | None, data: Any) -> Identification:
    """torchtune's ``_component_`` nodes: a torchtune ``lr_scheduler``, an optimizer, torchtune parts.

    ``_component_`` is torchtune's own instantiate key; a torchtune lr schedule, or an optimizer
    node with ``_component_`` beside torchtune models, tokenizers, checkpointers or datasets, is
    a recipe config. ``max_steps_per_epoch`` is a recipe key nothing else uses.
    """
    if not isinstance(data, dict) or "curves" in data:
        return Identification(NAME, 0.0)
    seen: list[str] = []
    missing: list[str] = []
    conflicting: list[str] = []
    score = 0.0
    scheduler = _component(data.get("lr_scheduler"))
    if scheduler is not None and scheduler.startswith("torchtune."):
        seen.append("lr_scheduler._component_")
        score += 0.6
    else:
        missing.append("lr_scheduler._component_")
    if _component(data.get("optimizer")) is not None:
        seen.append("optimizer._component_")
        score += 0.3
    else:
        missing.append("optimizer._component_")
    parts = [p for p in _PARTS if (_component(data.get(p)) or "").startswith("torchtune.")]
    if parts:
        seen.extend(f"{p}._component_" for p in parts)
        score += 0.6
    if "max_steps_per_epoch" in data:
        seen.append("max_steps_per_epoch")
        score += 0.1
    for key in ("optimizer", "lr_scheduler"):
        if isinstance(data.get(key), dict) and ("_target_" in data[key] or "class_path" in data[key]):
            conflicting.append(f"{key}.{'_target_' if '_target_' in data[key] else 'class_path'}")
    if conflicting or _component(data.get("optimizer")) is None:
        score = min(score, 0.3)
    return Identification(NAME, min(score, 1.0), tuple(seen), tuple(missing), tuple(conflicting))


def score(path: Path | None, data: Any) -> float:
    return identify(path, data).score


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """The recipe's optimizer, its lr schedule, and ``epochs * steps_per_epoch`` optimizer steps."""
    check_options(options)
    converted = Converted(data={}, form=FORM)
    prefix = options.prefix
    optimizer = data["optimizer"]
    name, lr = _optimizer(optimizer, prefix, converted)
    steps_per_epoch = _steps_per_epoch(data, options, converted)
    epochs = _int(data, "epochs", minimum=1, prefix=prefix)
    total = epochs * steps_per_epoch
    keywords: dict[str, Any] = {"name": DRIVER, "num_training_steps": total}
    schedule = data.get("lr_scheduler")
    label = "constant (no lr_scheduler)"
    if schedule is not None:
        if not isinstance(schedule, dict) or _component(schedule) is None:
            raise LrplotError(
                f"lr_scheduler should be a mapping with a _component_, got {schedule!r}"[:200],
                key_path=(*prefix, "lr_scheduler"),
            )
        component = _component(schedule)
        assert component is not None
        extra = {k: v for k, v in schedule.items() if k != "_component_"}
        for key in RECIPE_KEYS:
            if key in extra:
                converted.notes.append(
                    f"lr_scheduler.{key} is overridden by the recipe (config.instantiate merges "
                    f"the recipe's {key} over the config's)"
                )
                extra.pop(key)
        keywords.update(component=component, arguments=extra)
        label = component.rsplit(".", 1)[-1]
        converted.origins[("curves", 0, "scheduler", "component")] = (*prefix, "lr_scheduler", "_component_")
        for key in extra:
            converted.origins[("curves", 0, "scheduler", "arguments", key)] = (*prefix, "lr_scheduler", key)
        converted.origins[("curves", 0, "scheduler")] = (*prefix, "lr_scheduler")
    else:
        converted.notes.append("no lr_scheduler: the recipe keeps the optimizer's lr")
    converted.data = {
        "title": f"{_title(options.path)} (torchtune)",
        "total_step": total,
        "curves": [
            {"label": f"torchtune {label}", "optimizer": {"name": name, "lr": lr}, "scheduler": keywords}
        ],
    }
    converted.origins[("curves", 0, "optimizer", "lr")] = (*prefix, "optimizer", "lr")
    converted.origins[("total_step",)] = (*prefix, "epochs")
    converted.origins[("curves", 0, "scheduler", "num_training_steps")] = (*prefix, "epochs")
    converted.derived.update(epochs=epochs, steps_per_epoch=steps_per_epoch, total_steps=total)
    return converted


def _optimizer(node: Any, prefix: KeyPath, converted: Converted) -> tuple[str, Any]:
    """torch's class for the recipe's optimizer, and its lr (the schedule's peak)."""
    component = _component(node)
    assert component is not None and isinstance(node, dict)
    if "lr" not in node:
        raise LrplotError(
            f"optimizer {component} has no lr: torchtune passes the config's keys as they are; "
            "set optimizer.lr",
            key_path=(*prefix, "optimizer"),
        )
    name = TORCH_OPTIMIZERS.get(component)
    if name is None:
        converted.notes.append(f"optimizer {component} drawn as AdamW: torchtune's schedule sets only its lr")
        name = "AdamW"
    return name, node["lr"]


def _steps_per_epoch(data: dict[str, Any], options: FormatOptions, converted: Converted) -> int:
    """``len(dataloader) // gradient_accumulation_steps``, capped by ``max_steps_per_epoch``."""
    accumulation = _int(data, "gradient_accumulation_steps", minimum=1, default=1, prefix=options.prefix)
    batch = _int(data, "batch_size", minimum=1, prefix=options.prefix)
    limit = data.get("max_steps_per_epoch")
    if limit is not None:
        limit = _int(data, "max_steps_per_epoch", minimum=1, prefix=options.prefix)
    tensor_parallel = _int(data, "tensor_parallel_dim", minimum=1, default=1, prefix=options.prefix)
    world = options.world_size or 1
    derived = converted.derived
    derived.update(batch_size=batch, gradient_accumulation_steps=accumulation)
    if options.steps_per_epoch is not None:
        natural = options.steps_per_epoch
        derived["rule"] = "--steps-per-epoch (len(dataloader) // gradient_accumulation_steps)"
    elif options.dataset_size is None:
        if limit is None:
            raise LrplotError(
                "torchtune recipe: steps per epoch are len(dataloader) // gradient_accumulation_steps, "
                "which depend on the dataset; give --dataset-size N (samples, after packing) and "
                "--world-size for a distributed recipe",
                key_path=(*options.prefix, "max_steps_per_epoch") if "max_steps_per_epoch" in data else None,
            )
        converted.notes.append(
            f"max_steps_per_epoch {limit} taken as the steps per epoch, assuming the dataset gives at least "
            f"{limit * accumulation * batch} samples per process; give --dataset-size N to check"
        )
        derived["rule"] = "max_steps_per_epoch (no --dataset-size)"
        return limit
    else:
        if world % tensor_parallel:
            raise LrplotError(
                f"--world-size {world} is not divisible by tensor_parallel_dim {tensor_parallel} "
                "(the recipe refuses it)",
                key_path=(*options.prefix, "tensor_parallel_dim"),
            )
        replicas = world // tensor_parallel
        per_rank = math.ceil(options.dataset_size / replicas)
        batches = per_rank // batch
        natural = batches // accumulation
        derived.update(
            examples=options.dataset_size, world_size=world, data_parallel=replicas, batches_per_epoch=batches
        )
        derived["rule"] = (
            "ceil(samples / data-parallel ranks) // batch_size (drop_last) // gradient_accumulation_steps"
        )
        if options.world_size is None and _distributed(options.path):
            converted.notes.append("a distributed recipe drawn for 1 process; give --world-size N for more")
    steps = natural if limit is None else min(natural, limit)
    if steps < 1:
        raise LrplotError(
            f"--dataset-size {options.dataset_size} gives 0 optimizer steps per epoch with "
            f"batch_size {batch}, "
            f"gradient_accumulation_steps {accumulation} on {world // tensor_parallel} data-parallel "
            "process(es): the recipe would train nothing",
            key_path=(*options.prefix, "batch_size"),
        )
    return steps


def _distributed(path: Path | None) -> bool:
    """torchtune names single-device configs ``*_single_device.yaml``; the others run distributed."""
    return path is not None and "single_device" not in path.stem


def _int(
    data: dict[str, Any], key: str, *, minimum: int, default: int | None = None, prefix: KeyPath = ()
) -> int:
    """A recipe key the recipe reads as an int (``cfg.epochs``, ``cfg.batch_size``, ...)."""
    value = data.get(key, default)
    if value is None and default is None:
        raise LrplotError(
            f"torchtune recipe config has no {key}; the recipe needs it", key_path=prefix or None
        )
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise LrplotError(f"{key} should be an integer >= {minimum}, got {value!r}", key_path=(*prefix, key))
    return value


def _title(path: Path | None) -> str:
    return path.stem if path is not None else "recipe"
