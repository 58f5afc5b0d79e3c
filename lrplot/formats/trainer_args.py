"""The Trainer's arguments that decide the lr, read from a config, and the run they make.

Shared by the Hugging Face Trainer format (TRL, alignment-handbook, LLaMA-Factory keys) and
axolotl's (which maps its own keys onto these). Values are checked here with one-line
errors naming the key; defaults are ``TrainingArguments``' own.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats import trainer_rules as rules_module
from lrplot.formats.base import Converted, FormatOptions
from lrplot.formats.trainer_rules import TrainerRules
from lrplot.limits import in_range

# optim name -> (torch.optim class drawn, note). None: the class the Trainer itself uses.
_TORCH = {"adamw_torch": None, "adamw_torch_fused": None, "sgd": None, "adagrad": None, "rmsprop": None}
_CLASS = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adafactor": "Adafactor"}
SCHEDULE_FREE_NOTE = (
    "optim {name}: a schedule-free optimizer keeps its own lr averaging; the Trainer's schedule is drawn"
)
REFUSED_SCHEDULERS = {
    "reduce_lr_on_plateau": "it lowers the lr when an evaluation metric stops improving",
    "greedy": "it changes the lr from evaluation metrics",
}


@dataclass
class TrainerArgs:
    """What the Trainer reads to build the optimizer, the scheduler and the run's length."""

    learning_rate: float = 5e-5
    lr_scheduler_type: str = "linear"
    lr_scheduler_kwargs: dict[str, Any] = field(default_factory=dict)
    warmup_steps: float = 0
    warmup_ratio: float | None = None
    num_train_epochs: float = 3.0
    max_steps: int = -1
    per_device_train_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    dataloader_drop_last: bool = False
    optim: str = "adamw_torch_fused"
    weight_decay: float = 0.0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    deepspeed: Any = None
    # where each value came from in the file (for errors and origins), and notes on reading it
    keys: dict[str, KeyPath] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def key(self, name: str) -> KeyPath | None:
        return self.keys.get(name)


def number(value: Any, key_path: KeyPath, *, integer: bool = False, minimum: float | None = None) -> Any:
    """A config value as a number, or a one-line error naming the key and the value."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value) if not integer else int(value)
    kind = "an integer" if integer else "a number"
    name = str(key_path[-1])  # NaN, inf, 1e300 steps: named here, before any arithmetic
    in_range(value, name, key_path=key_path, count=integer or "epoch" in name or "steps" in name)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (integer and not isinstance(value, int))
    ):
        raise LrplotError(f"{key_path[-1]} must be {kind}, got {value!r}", key_path=key_path)
    if minimum is not None and value < minimum:
        raise LrplotError(f"{key_path[-1]} must be at least {minimum:g}, got {value!r}", key_path=key_path)
    return value


def check_options(options: FormatOptions) -> None:
    """--dataset-size and --world-size, checked once for every format that reads them."""
    if options.dataset_size is not None and options.dataset_size < 1:
        raise LrplotError(f"--dataset-size must be a positive integer, got {options.dataset_size}")
    if options.world_size is not None and options.world_size < 1:
        raise LrplotError(f"--world-size must be a positive integer, got {options.world_size}")


def load_rules() -> TrainerRules:
    version = rules_module.installed_transformers()
    if version is None:
        raise LrplotError(
            "drawing a Hugging Face Trainer config needs transformers (its schedules and its "
            "run-length rules): pip install 'lrplot[huggingface]'"
        )
    return rules_module.rules_for(version)


def run_length(args: TrainerArgs, options: FormatOptions, rules: TrainerRules, converted: Converted) -> int:
    """The Trainer's ``max_steps`` for this run; fills ``converted.derived`` and notes."""
    check_options(options)
    derived = converted.derived
    derived["transformers"] = rules.version
    epoch_based = rules_module.is_epoch_based(args.max_steps, rules)
    if args.max_steps == 0 and not epoch_based:
        raise LrplotError(
            f"max_steps: 0 makes transformers {rules.version} stop after one step; "
            "set -1 to train by epochs or a positive number of steps",
            key_path=args.key("max_steps"),
        )
    world, batch, accumulation = (
        options.world_size or 1,
        args.per_device_train_batch_size,
        args.gradient_accumulation_steps,
    )
    derived.update(
        world_size=world,
        per_device_batch=batch,
        gradient_accumulation=accumulation,
        effective_batch=batch * accumulation * world,
    )
    if options.dataset_size is None:
        if epoch_based:
            raise LrplotError(
                f"num_train_epochs {args.num_train_epochs:g} with max_steps {args.max_steps}: "
                "the number of optimizer steps depends on the dataset; give --dataset-size N "
                "(training examples, after packing)",
                key_path=args.key("num_train_epochs") or args.key("max_steps"),
            )
        derived.update(total_steps=args.max_steps, rule="max_steps")
        return args.max_steps
    batches = rules_module.dataloader_length(options.dataset_size, batch, world, args.dataloader_drop_last)
    if batches == 0:
        raise LrplotError(
            f"--dataset-size {options.dataset_size} gives no full batch of {batch} per process "
            f"on {world} process(es) with dataloader_drop_last",
            key_path=args.key("dataloader_drop_last"),
        )
    per_epoch = rules_module.update_steps_per_epoch(batches, accumulation, rules)
    total = rules_module.total_steps(args.max_steps, args.num_train_epochs, per_epoch, rules)
    derived.update(examples=options.dataset_size, batches_per_epoch=batches, steps_per_epoch=per_epoch)
    derived["total_steps"] = total
    if epoch_based:
        derived["rule"] = f"{rules.update_steps_rule}; total = ceil(num_train_epochs * steps per epoch)"
    else:
        derived["rule"] = f"max_steps (wins over num_train_epochs); {rules.update_steps_rule}"
    # the loop itself always runs the last, shorter accumulation window of an epoch (#36297)
    loop_per_epoch = rules_module.update_steps_per_epoch(batches, accumulation, rules_module.rules_for("5.0"))
    derived["epochs_run"] = round(total / loop_per_epoch, 4)
    if loop_per_epoch != per_epoch and epoch_based:
        converted.notes.append(
            f"transformers {rules.version} counts {per_epoch} steps per epoch (floor) but its loop "
            f"takes {loop_per_epoch}: the run stops after {total / loop_per_epoch:.2f} of "
            f"{args.num_train_epochs:g} epochs (transformers #36297)"
        )
    return total


def warmup(args: TrainerArgs, total: int, rules: TrainerRules, converted: Converted) -> float:
    """``get_warmup_steps(total)``, with a note where the installed version reads keys differently."""
    steps, ratio = args.warmup_steps, args.warmup_ratio
    if ratio is not None and rules.warmup == "5.x":
        converted.notes.append(
            f"warmup_ratio was removed in transformers 5.15 (installed {rules.version}); read as "
            f"warmup_steps: {ratio:g} (a ratio), as 5.0-5.14 did"
        )
        steps, ratio = ratio, None
    elif ratio is not None and rules.warmup == "alias" and steps:
        converted.notes.append(
            f"warmup_ratio {ratio:g} replaces warmup_steps {steps:g} in transformers {rules.version} "
            "(its deprecated alias)"
        )
    if rules.warmup == "4.x" and 0 < steps < 1:
        converted.notes.append(
            f"warmup_steps {steps:g} is passed as it is by transformers {rules.version} "
            "(a float below 1 is a ratio only since 5.0)"
        )
    value = rules_module.warmup_steps(steps, ratio, total, rules)
    converted.derived["warmup_steps"] = value
    return value


def optimizer_node(args: TrainerArgs, converted: Converted) -> dict[str, Any]:
    """The torch optimizer the Trainer builds for ``optim`` (or its torch equivalent, with a note)."""
    name = str(args.optim)
    node: dict[str, Any] = {"name": "AdamW", "lr": args.learning_rate}
    adam = {"betas": [args.adam_beta1, args.adam_beta2], "eps": args.adam_epsilon}
    if name in _CLASS:
        node["name"] = _CLASS[name]
    else:
        node.update(adam)
    if args.weight_decay:
        node["weight_decay"] = args.weight_decay
    if name not in _TORCH and name != "adafactor":
        if name.startswith("schedule_free"):
            converted.notes.append(SCHEDULE_FREE_NOTE.format(name=name))
        else:
            converted.notes.append(
                f"optim {name} drawn as torch AdamW: the schedule sets the same lr whatever "
                "the implementation"
            )
    if name == "adafactor":
        node.pop("weight_decay", None)
        converted.notes.append(
            "optim adafactor (transformers' Adafactor with relative_step=False) drawn as torch Adafactor: "
            "the schedule sets the same lr"
        )
    return node


def scheduler_type(args: TrainerArgs) -> str:
    name = str(args.lr_scheduler_type)
    if name in REFUSED_SCHEDULERS:
        raise LrplotError(
            f"lr_scheduler_type {name}: {REFUSED_SCHEDULERS[name]}, which a config alone cannot tell",
            key_path=args.key("lr_scheduler_type"),
        )
    return name


def transformers_scheduler(args: TrainerArgs, total: int, warmup_value: int) -> dict[str, Any]:
    """``get_scheduler`` with exactly the arguments ``Trainer.create_scheduler`` passes."""
    return {
        "name": "transformers.get_scheduler",
        "keywords": {"name": scheduler_type(args)},
        "num_warmup_steps": warmup_value,
        "num_training_steps": total,
        "scheduler_specific_kwargs": dict(args.lr_scheduler_kwargs),
    }


def record_origins(args: TrainerArgs, converted: Converted, curve: KeyPath) -> None:
    """Point native keys at the lines of the Trainer keys they came from."""
    pairs = {
        (*curve, "optimizer", "lr"): "learning_rate",
        (*curve, "optimizer", "weight_decay"): "weight_decay",
        (*curve, "optimizer", "name"): "optim",
        (*curve, "scheduler", "keywords", "name"): "lr_scheduler_type",
        (*curve, "scheduler", "scheduler_specific_kwargs"): "lr_scheduler_kwargs",
        (*curve, "scheduler", "num_warmup_steps"): "warmup_steps",
        (*curve, "scheduler", "num_training_steps"): "max_steps",
    }
    for native, name in pairs.items():
        original = args.key(name) or (args.key("warmup_ratio") if name == "warmup_steps" else None)
        if name == "max_steps" and original is None:
            original = args.key("num_train_epochs")
        if original is not None:
            converted.origins[native] = original
            declare_file_key(converted, native, original)
    total_from = args.key("max_steps") or args.key("num_train_epochs")
    if total_from is not None:
        converted.origins[("total_step",)] = total_from


def declare_file_key(converted: Converted, native: KeyPath, original: KeyPath) -> None:
    """Where the linter's fixes write a native number the Trainer derived (lrplot.facts.FileKey).

    ``num_warmup_steps`` read from ``warmup_ratio`` is written back as a share of the run;
    ``num_training_steps`` counted from ``num_train_epochs`` is written as ``max_steps``
    (which the Trainer then follows instead).
    """
    from lrplot.facts import FileKey

    total = converted.data.get("total_step") if isinstance(converted.data, dict) else None
    if original[-1] == "warmup_ratio" and isinstance(total, int) and total > 0:
        converted.file_keys[native] = FileKey(original, per_unit=total, whole=False)
    elif original[-1] == "num_train_epochs":
        converted.file_keys[native] = FileKey((*original[:-1], "max_steps"))
