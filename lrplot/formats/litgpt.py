"""litgpt config_hub YAML (``litgpt finetune_lora --config ...``, ``litgpt pretrain --config ...``).

litgpt keeps its schedules in its training scripts (Lightning-AI/litgpt at
26857050fe3ff627cd714fe92f5838f51a3d5efa), so the run is reproduced from them:

- **finetune** (litgpt/finetune/lora.py, full.py, adapter.py, adapter_v2.py, lines ~200-235 and
  ``get_lr_scheduler``): ``SequentialLR([LambdaLR(step / lr_warmup_steps),
  CosineAnnealingLR(T_max=lr_max_steps - lr_warmup_steps)], milestones=[lr_warmup_steps])``,
  stepped after every optimizer step; ``steps_per_epoch = len(train_dataloader) //
  gradient_accumulation_iters``, ``lr_max_steps = min(epochs * steps_per_epoch, max_steps)``, and
  the loop stops after ``epochs`` passes over the loader or ``max_steps`` optimizer steps.
  These are torch's own classes, drawn natively. ``train.min_lr`` is not used there.
- **pretrain** (litgpt/pretrain.py): warmup then cosine to ``train.min_lr`` over ``max_iters =
  max_tokens // world_size // (micro_batch_size * max_seq_length)`` iterations, set before every
  iteration: lrplot's faithful copy, the driver ``lrplot.plan.drivers.litgpt.PretrainLR``.

Gradient accumulation is ``global_batch_size // world_size // micro_batch_size``
(litgpt/args.py); the world size is ``devices * num_nodes`` (``--world-size`` for ``devices: auto``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError
from lrplot.formats.base import Converted, FormatOptions, Identification, capped, missing_option
from lrplot.limits import in_range

NAME = "litgpt"
FORM = "litgpt"
# litgpt's scripts parse their arguments with jsonargparse, as LightningCLI does: the optimizer
# is a class_path node there too, and litgpt reads it (lrplot.formats.conflicts).
COMPATIBLE_WITH = {"lightning": ("optimizer.class_path",)}
# litgpt/config.py at 26857050: block_size of the models config_hub pretrains, for an empty
# train.max_seq_length (the model's block size is then the sequence length).
BLOCK_SIZES = {"pythia-14m": 512, "tiny-llama-1.1b": 2048, "micro-llama-300M": 2048}
TORCH_DEFAULT_LR = {"Adam": 1e-3, "AdamW": 1e-3}
_TRAIN_KEYS = {"global_batch_size", "micro_batch_size", "lr_warmup_steps", "max_tokens", "epochs", "min_lr"}


def identify(path: Path | None, data: Any) -> Identification:
    """A ``train:`` mapping with litgpt's TrainArgs, beside ``checkpoint_dir`` or ``model_name``.

    A LightningCLI ``trainer:`` table conflicts (litgpt's scripts have none).
    """
    seen = train_keys(data)
    expected = tuple(f"train.{key}" for key in sorted(_TRAIN_KEYS) if f"train.{key}" not in seen)
    if len(seen) < 3 or (path is not None and path.suffix.lower() == ".py"):
        return Identification(NAME, 0.0, seen, expected)
    beside = tuple(sorted({"checkpoint_dir", "model_name", "model_config"} & set(data)))
    conflicting = ("trainer",) if isinstance(data.get("trainer"), dict) else ()
    return capped(Identification(NAME, 1.0 if beside else 0.7, (*seen, *beside)), conflicting)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def train_keys(data: Any) -> tuple[str, ...]:
    """litgpt's TrainArgs names in a ``train:`` table, as ``train.KEY``."""
    train = data.get("train") if isinstance(data, dict) else None
    if not isinstance(train, dict):
        return ()
    return tuple(f"train.{key}" for key in sorted(_TRAIN_KEYS & set(train)))


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """A finetuning run (``train.epochs``) or a pretraining run (``train.max_tokens``) as one curve."""
    train = data["train"]
    converted = Converted(data={}, form=FORM)
    world = _world_size(data, options)
    accumulation = _accumulation(train, world)
    name, lr = _optimizer(data, converted)
    if train.get("max_tokens") is not None and train.get("epochs") is None:
        curve, steps = _pretrain(data, train, options, world, accumulation, lr, converted)
        kind = "pretrain"
    else:
        curve, steps = _finetune(train, options, world, accumulation, converted)
        kind = "finetune"
    curve = {"label": f"litgpt {kind}", "optimizer": {"name": name, "lr": lr}, **curve}
    title = data.get("model_name") or Path(str(data.get("checkpoint_dir") or "litgpt")).name
    converted.data = {"title": f"{title} (litgpt {kind})", "total_step": steps, "curves": [curve]}
    converted.origins[("curves", 0, "optimizer", "lr")] = ("optimizer",)
    converted.derived.update({"world_size": world, "gradient_accumulation_iters": accumulation})
    return converted


def _pretrain(
    data: dict[str, Any],
    train: dict[str, Any],
    options: FormatOptions,
    world: int,
    accumulation: int,
    lr: float,
    converted: Converted,
) -> tuple[dict[str, Any], int]:
    """pretrain.py's fit: iterations until max_iters, optimizer steps every ``accumulation``."""
    max_tokens = _int(train, "max_tokens", minimum=1)
    micro = _int(train, "micro_batch_size", minimum=1)
    sequence = _sequence_length(data, train)
    max_iters = (max_tokens // world) // (micro * sequence)
    if train.get("lr_warmup_fraction"):
        if options.steps_per_epoch is None:
            raise missing_option(
                FORM,
                "train.lr_warmup_fraction is a fraction of the pretraining loader's length",
                "--steps-per-epoch N (optimizer steps per pass over the data)",
            )
        warmup = min(
            max_iters, math.ceil(train["lr_warmup_fraction"] * options.steps_per_epoch * accumulation)
        )
    elif train.get("lr_warmup_steps"):
        warmup = min(max_iters, train["lr_warmup_steps"] * accumulation)
    else:
        warmup = 0
    steps = max_iters // accumulation
    if steps < 1:
        raise LrplotError(
            f"max_tokens {max_tokens:,} makes {max_iters} iterations, not one optimizer step of "
            f"{accumulation} iterations",
            key_path=("train", "max_tokens"),
        )
    if train.get("max_steps") is not None:
        converted.notes.append(
            "train.max_steps is accepted but not used by pretrain.py's loop (it runs to max_tokens)"
        )
    min_lr = train.get("min_lr", 6e-5)
    scheduler = {
        "name": "lrplot.plan.drivers.litgpt.PretrainLR",
        "max_iters": max_iters,
        "warmup_iters": warmup,
        "min_lr": min_lr,
        "gradient_accumulation_iters": accumulation,
    }
    origins = converted.origins
    origins[("total_step",)] = ("train", "max_tokens")
    origins[("curves", 0, "scheduler")] = ("train",)
    origins[("curves", 0, "scheduler", "min_lr")] = ("train", "min_lr")
    converted.derived.update({"max_iters": max_iters, "warmup_iters": warmup, "max_seq_length": sequence})
    return {"scheduler": scheduler}, steps


def _finetune(
    train: dict[str, Any], options: FormatOptions, world: int, accumulation: int, converted: Converted
) -> tuple[dict[str, Any], int]:
    """finetune/*.py: lr_max_steps from the loader's length, SequentialLR of torch's classes."""
    epochs = _int(train, "epochs", minimum=1)
    max_steps = train.get("max_steps")
    if max_steps is not None:
        max_steps = _int(train, "max_steps", minimum=1)
    warmup = train.get("lr_warmup_steps")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 1:
        raise LrplotError(
            f"train.lr_warmup_steps should be a positive integer (litgpt's finetune scheduler divides "
            f"by it), got {warmup!r}",
            key_path=("train", "lr_warmup_steps"),
        )
    if train.get("lr_warmup_fraction"):
        raise LrplotError(
            "train.lr_warmup_fraction is not supported by litgpt's finetune scripts",
            key_path=("train", "lr_warmup_fraction"),
        )
    batches = _loader_length(train, options, world, accumulation)
    steps_per_epoch = batches // accumulation
    lr_max_steps = min(epochs * steps_per_epoch, max_steps or math.inf)
    steps = min(max_steps or math.inf, (epochs * batches) // accumulation)
    if steps < 1:
        raise LrplotError(
            f"{epochs} epoch(s) of {batches} batches make no optimizer step of {accumulation} batches",
            key_path=("train", "epochs"),
        )
    if train.get("min_lr") is not None:
        converted.notes.append(
            "train.min_lr is not used by litgpt's finetune scripts (their cosine ends at 0)"
        )
    scheduler = {
        "name": "SequentialLR",
        "milestones": [warmup],
        "schedulers": [
            {"name": "LambdaLR", "lr_lambda": f"step / {warmup}"},
            {"name": "CosineAnnealingLR", "T_max": int(lr_max_steps) - warmup},
        ],
    }
    origins = converted.origins
    origins[("total_step",)] = ("train", "epochs")
    origins[("curves", 0, "scheduler")] = ("train", "lr_warmup_steps")
    origins[("curves", 0, "scheduler", "schedulers", 1, "T_max")] = ("train", "epochs")
    converted.derived.update({"batches_per_epoch": batches, "lr_max_steps": int(lr_max_steps)})
    return {"scheduler": scheduler}, int(steps)


def _loader_length(train: dict[str, Any], options: FormatOptions, world: int, accumulation: int) -> int:
    """len(train_dataloader) per process: ceil(ceil(N / world) / micro_batch_size).

    litgpt's data modules build ``DataLoader(..., batch_size=micro_batch_size)`` (drop_last False)
    and Fabric adds a DistributedSampler (padding to ceil(N / world)) when world > 1.
    ``--steps-per-epoch`` gives optimizer steps per epoch (the loader then has steps x accumulation).
    """
    if options.steps_per_epoch is not None:
        return options.steps_per_epoch * accumulation
    if options.dataset_size is None:
        raise missing_option(
            FORM,
            "the optimizer steps per epoch depend on the training set's size",
            "--dataset-size N (training samples after the validation split) or --steps-per-epoch N",
        )
    micro = _int(train, "micro_batch_size", minimum=1)
    samples = math.ceil(options.dataset_size / world) if world > 1 else options.dataset_size
    return math.ceil(samples / micro)


def _world_size(data: dict[str, Any], options: FormatOptions) -> int:
    """``devices * num_nodes`` (litgpt's parse_devices); ``--world-size`` wins when given."""
    if options.world_size is not None:
        return options.world_size
    devices, nodes = data.get("devices", "auto"), data.get("num_nodes", 1)
    if devices in (-1, "auto", None):
        raise missing_option(
            FORM,
            f"devices: {devices} uses every GPU of the training machine",
            "--world-size N (GPUs x nodes)",
        )
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
        raise LrplotError(
            f"devices should be 'auto' or a positive integer, got {devices!r}", key_path=("devices",)
        )
    if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 1:
        raise LrplotError(f"num_nodes should be a positive integer, got {nodes!r}", key_path=("num_nodes",))
    return devices * nodes


def _accumulation(train: dict[str, Any], world: int) -> int:
    """TrainArgs.gradient_accumulation_iters: (global_batch_size // world) // micro_batch_size."""
    global_batch = _int(train, "global_batch_size", minimum=1, default=64)
    micro = _int(train, "micro_batch_size", minimum=1, default=4)
    accumulation = (global_batch // world) // micro
    if global_batch // world < 1 or accumulation < 1:
        raise LrplotError(
            f"global_batch_size {global_batch} over {world} process(es) in micro-batches of {micro} "
            "leaves no full micro-batch (litgpt asserts this)",
            key_path=("train", "global_batch_size"),
        )
    return accumulation


def _optimizer(data: dict[str, Any], converted: Converted) -> tuple[str, float]:
    """The optimizer's class name and lr (``optimizer: {class_path, init_args}`` or a name)."""
    node = data.get("optimizer", "AdamW")
    if isinstance(node, dict):
        name = str(node.get("class_path", "AdamW")).rpartition(".")[2]
        arguments = node.get("init_args") or {}
        lr = arguments.get("lr") if isinstance(arguments, dict) else None
    else:
        name, lr = str(node).rpartition(".")[2], None
    if lr is None:
        if name not in TORCH_DEFAULT_LR:
            raise LrplotError(f"optimizer {name!r} has no lr in the file", key_path=("optimizer",))
        lr = TORCH_DEFAULT_LR[name]
        converted.notes.append(f"optimizer {name} without an lr: torch's default, {lr:g}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise LrplotError(f"optimizer lr should be a number, got {lr!r}", key_path=("optimizer",))
    if name not in ("Adam", "AdamW", "SGD"):
        converted.notes.append(f"optimizer {name} drawn as AdamW: litgpt's schedule sets only its lr")
        name = "AdamW"
    return name, lr


def _sequence_length(data: dict[str, Any], train: dict[str, Any]) -> int:
    """train.max_seq_length, else the model's block size (model_config, or litgpt's config)."""
    if train.get("max_seq_length") is not None:
        return _int(train, "max_seq_length", minimum=1)
    config = data.get("model_config")
    if isinstance(config, dict) and isinstance(config.get("block_size"), int):
        return config["block_size"]
    model = data.get("model_name")
    if model in BLOCK_SIZES:
        return BLOCK_SIZES[model]
    raise LrplotError(
        f"train.max_seq_length is empty, so litgpt uses model {model!r}'s block size, which the file does "
        "not hold; set train.max_seq_length",
        key_path=("train", "max_seq_length"),
    )


def _int(train: dict[str, Any], key: str, *, minimum: int, default: int | None = None) -> int:
    value = train.get(key, default)
    in_range(value, f"train.{key}", key_path=("train", key))
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise LrplotError(
            f"train.{key} should be an integer >= {minimum}, got {value!r}", key_path=("train", key)
        )
    return value
