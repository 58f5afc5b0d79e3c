"""axolotl configs: its own keys mapped onto the Trainer's, and its own schedules.

From axolotl-ai-cloud/axolotl at 067b021c8b87a9e5e380b9173c704cf7340e30f5:
``micro_batch_size`` -> per_device_train_batch_size, ``num_epochs`` -> num_train_epochs,
``max_steps = cfg.max_steps or total_num_steps`` (src/axolotl/core/builders/base.py
668-678); ``total_num_steps = ceil(examples * num_epochs / batch_size)`` with
``batch_size = micro_batch_size * gradient_accumulation_steps * world_size``
(src/axolotl/utils/trainer.py 519-522, utils/config/__init__.py 202-230; with sample
packing, from the packed bins, 450-510); warmup: ``warmup_steps``, else
``int(warmup_ratio * total_num_steps)`` (floor), else ``min(int(0.03 * total), 100)``, and 1
becomes 2 (base.py 235-268); the schedule: ``SchedulerMixin.create_scheduler``
(src/axolotl/core/trainers/mixins/scheduler.py 27-152).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError
from lrplot.formats import huggingface
from lrplot.formats.axolotl_checks import check_schedule_fields
from lrplot.formats.base import Converted, FormatOptions, Identification, by_keys, capped
from lrplot.formats.trainer_args import TrainerArgs, check_options, number, scheduler_type

NAME = "axolotl"
DRIVER = "lrplot.plan.drivers.axolotl.AxolotlScheduler"
# axolotl's own names (src/axolotl/utils/schemas/config.py), not TrainingArguments': one of
# the first four alone means axolotl; scalar values only (a nested node is some other tool's).
_WEIGHTS = {"micro_batch_size": 0.5, "num_epochs": 0.5, "base_model": 0.5, "sequence_len": 0.5,
            "sample_packing": 0.3, "lr_scheduler": 0.3, "dataset_prepared_path": 0.3}  # fmt: skip
_EXPECTED = ("base_model", "micro_batch_size", "num_epochs")
# The Trainer's keys axolotl reads itself (lrplot.formats.conflicts): axolotl's config schema has
# warmup_ratio and lr_scheduler_kwargs and hands them to TrainingArguments (translate() below).
COMPATIBLE_WITH = {"huggingface": ("warmup_ratio", "lr_scheduler_kwargs")}
# TrainingArguments' names that axolotl writes its own way (micro_batch_size, num_epochs, lr_scheduler).
_CONFLICTS = (
    "lr_scheduler_type", "per_device_train_batch_size", "num_train_epochs", "train_micro_batch_size_per_gpu",
    # Megatron-LM's arguments (its micro_batch_size is not axolotl's)
    "lr_decay_style", "lr_warmup_fraction", "lr_warmup_iters", "lr_warmup_samples",
    "train_iters", "train_samples",
    "__launch__",  # a launch script read by lrplot.read.shell
)  # fmt: skip
_UNHONOURED = {
    "lr_groups": "lr_groups give some parameters their own lr: only the main lr is drawn",
    "loraplus_lr_ratio": "loraplus_lr_ratio scales the lr of LoRA B matrices: only the main lr is drawn",
    "embedding_lr": "embedding_lr gives embeddings their own lr: only the main lr is drawn",
    "embedding_lr_scale": "embedding_lr_scale gives embeddings their own lr: only the main lr is drawn",
    "jagged_restart_steps": "jagged_restart_steps (ReLoRA restarts) is not drawn: the curve has no restarts",
    "auto_find_batch_size": "auto_find_batch_size may halve micro_batch_size at run time: drawn as written",
}


def identify(path: Path | None, data: Any) -> Identification:
    """axolotl's own names with scalar values; the Trainer's spellings of them conflict."""
    if not isinstance(data, dict) or "curves" in data or (path is not None and path.suffix.lower() == ".py"):
        return Identification(NAME, 0.0, missing=_EXPECTED)
    # a name, not a table: torchtitan's [lr_scheduler] and Lightning's lr_scheduler node are not axolotl's
    scalars = {key: value for key, value in data.items() if not isinstance(value, (dict, list))}
    found = by_keys(NAME, scalars, _WEIGHTS, expected=_EXPECTED)
    conflicting = tuple(key for key in _CONFLICTS if key in data)
    return capped(found, conflicting)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def translate(target: dict[str, Any], options: FormatOptions) -> Converted:
    """axolotl's run length and warmup, then its schedule on the Trainer's optimizer."""
    check_options(options)
    prefix = options.prefix
    check_schedule_fields(target, prefix)
    converted = Converted(data={}, form=NAME)
    args = TrainerArgs(lr_scheduler_type="cosine", num_train_epochs=1.0, per_device_train_batch_size=1)
    keys = {
        "learning_rate": "learning_rate",
        "micro_batch_size": "per_device_train_batch_size",
        "gradient_accumulation_steps": "gradient_accumulation_steps",
        "num_epochs": "num_train_epochs",
        "weight_decay": "weight_decay",
        "adam_beta1": "adam_beta1",
        "adam_beta2": "adam_beta2",
        "adam_epsilon": "adam_epsilon",
    }
    integers = {"micro_batch_size", "gradient_accumulation_steps"}
    for key, field_name in keys.items():
        if target.get(key) is not None:
            minimum = 1 if key in integers else None
            setattr(
                args,
                field_name,
                number(target[key], (*prefix, key), integer=key in integers, minimum=minimum),
            )
            args.keys[field_name] = (*prefix, key)
    if "learning_rate" not in args.keys:
        raise LrplotError("axolotl needs learning_rate (it has no default)", key_path=prefix or None)
    if target.get("batch_size") is not None and target.get("gradient_accumulation_steps") is None:
        total_batch = number(target["batch_size"], (*prefix, "batch_size"), integer=True, minimum=1)
        args.gradient_accumulation_steps = max(1, total_batch // args.per_device_train_batch_size)
    for key, field_name in (("lr_scheduler", "lr_scheduler_type"), ("optimizer", "optim")):
        if target.get(key) is not None:
            setattr(args, field_name, str(target[key]))
            args.keys[field_name] = (*prefix, key)
    if target.get("lr_scheduler_kwargs"):
        args.lr_scheduler_kwargs = huggingface.scheduler_kwargs(
            target["lr_scheduler_kwargs"], (*prefix, "lr_scheduler_kwargs")
        )
        args.keys["lr_scheduler_kwargs"] = (*prefix, "lr_scheduler_kwargs")
    args.dataloader_drop_last = bool(target.get("dataloader_drop_last"))
    if target.get("deepspeed"):
        args.deepspeed, args.keys["deepspeed"] = target["deepspeed"], (*prefix, "deepspeed")
    converted.notes.extend(text for key, text in _UNHONOURED.items() if target.get(key))
    total_num_steps = _total_num_steps(target, args, options, converted)
    max_steps = target.get("max_steps")
    if max_steps:
        args.max_steps = number(max_steps, (*prefix, "max_steps"), integer=True, minimum=1)
        args.keys["max_steps"] = (*prefix, "max_steps")
    else:
        args.max_steps = total_num_steps if total_num_steps is not None else -1
    args.warmup_steps = _warmup_steps(target, total_num_steps, options)
    for key in ("warmup_steps", "warmup_ratio"):
        if target.get(key) is not None:
            args.keys["warmup_steps"] = (*prefix, key)
    custom = _custom_schedule(target, args)
    huggingface.trainer_curve(args, options, converted, label_prefix="axolotl ", custom_scheduler=custom)
    if total_num_steps is not None:
        converted.derived["axolotl_total_num_steps"] = total_num_steps
        if not max_steps:
            converted.derived["rule"] = (
                "axolotl: total = ceil(examples * num_epochs / (micro_batch_size * "
                "gradient_accumulation_steps * world_size)), passed to the Trainer as max_steps"
            )
    return converted


def _total_num_steps(
    target: dict[str, Any], args: TrainerArgs, options: FormatOptions, converted: Converted
) -> int | None:
    """axolotl's ``calculate_total_num_steps`` (None when neither length nor warmup needs it)."""
    needs = not target.get("max_steps") or (target.get("warmup_steps") is None)
    if options.dataset_size is None:
        if needs:
            reason = "the run's length" if not target.get("max_steps") else "the default warmup"
            if target.get("warmup_ratio") is not None:
                reason = "warmup_ratio"
            raise LrplotError(
                f"axolotl computes {reason} from the dataset: give --dataset-size N "
                "(training examples; with sample_packing, packed sequences)",
                key_path=args.key("num_train_epochs") or options.prefix or None,
            )
        return None
    world = options.world_size or 1
    batch_size = args.per_device_train_batch_size * args.gradient_accumulation_steps * world
    examples = options.dataset_size
    if target.get("sample_packing"):
        converted.notes.append(
            "sample_packing: axolotl measures packing on the real token lengths; --dataset-size is taken "
            "as the number of packed sequences"
        )
        bins = math.ceil(examples / args.per_device_train_batch_size)
        loader_length = max(1, bins * args.per_device_train_batch_size // batch_size)
        total = math.floor(loader_length * args.num_train_epochs)
        if args.dataloader_drop_last:
            total -= math.ceil(args.num_train_epochs)
        return int(total)
    return math.ceil(examples * args.num_train_epochs / batch_size)


def _warmup_steps(target: dict[str, Any], total: int | None, options: FormatOptions) -> float:
    """``_configure_warmup_and_logging``: the warmup_steps axolotl hands the Trainer."""
    if target.get("warmup_steps") is not None:
        steps: float = number(target["warmup_steps"], (*options.prefix, "warmup_steps"), minimum=0)
    elif target.get("warmup_ratio") is not None:
        ratio = number(target["warmup_ratio"], (*options.prefix, "warmup_ratio"), minimum=0)
        steps = max(int(ratio * total), 0) if total else ratio
    else:
        steps = min(int(0.03 * total), 100) if total else 0.03
    return 2 if steps == 1 else steps


def _custom_schedule(target: dict[str, Any], args: TrainerArgs) -> Any:
    """The schedule ``SchedulerMixin.create_scheduler`` picks, as a function of (total, warmup)."""
    kind = str(target.get("lr_scheduler") or "cosine")
    min_ratio = target.get("cosine_min_lr_ratio")
    constant_ratio = target.get("cosine_constant_lr_ratio")
    is_cosine = kind in ("cosine", "one_cycle", "rex")  # one_cycle and rex set lr_scheduler_type cosine
    use_min_lr = is_cosine and min_ratio is not None
    for key, value in (("cosine_min_lr_ratio", min_ratio), ("cosine_constant_lr_ratio", constant_ratio)):
        if value is not None and not 0 <= number(value, (key,)) <= 1:
            raise LrplotError(f"{key} must be between 0.0 and 1.0, got {value!r}", key_path=(key,))
    if kind == "one_cycle":
        return lambda total, warmup: {
            "name": "OneCycleLR",
            "max_lr": args.learning_rate,
            "total_steps": total,
            **({} if "pct_start" in args.lr_scheduler_kwargs else {"pct_start": warmup / total}),
            **({} if "anneal_strategy" in args.lr_scheduler_kwargs else {"anneal_strategy": "cos"}),
            **args.lr_scheduler_kwargs,
        }
    common = {"name": DRIVER}
    if kind == "rex":
        extra = {
            "schedule": "rex",
            "max_lr": args.learning_rate,
            "min_lr_ratio": min_ratio if use_min_lr else 0.0,
        }
    elif kind == "cosine" and target.get("lr_quadratic_warmup") is True:
        extra = {"schedule": "cosine_quadratic_warmup"}
    elif kind == "cosine" and min_ratio and constant_ratio and use_min_lr:
        extra = {
            "schedule": "cosine_warmup_decay_constant",
            "min_lr_ratio": min_ratio,
            "constant_lr_ratio": constant_ratio,
        }
    elif kind == "cosine" and min_ratio and use_min_lr:
        extra = {"schedule": "cosine_min_lr", "min_lr_ratio": min_ratio}
    else:
        scheduler_type(args)  # refuses plateau and greedy with one line
        return None
    return lambda total, warmup: {**common, **extra, "num_warmup_steps": warmup, "num_training_steps": total}
