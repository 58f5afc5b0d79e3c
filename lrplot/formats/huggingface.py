"""Hugging Face Trainer-style configs: TrainingArguments keys in YAML or JSON.

The keys LLaMA-Factory, TRL and alignment-handbook recipes use (``learning_rate``,
``lr_scheduler_type``, ``warmup_ratio``, ``num_train_epochs``, ...). The curve is
``transformers.get_scheduler`` with the arguments ``Trainer.create_scheduler`` passes
(trainer.py 1347-1376 in 5.24.0), on the torch optimizer ``optim`` names, for the number
of optimizer steps the installed version's Trainer computes (:mod:`trainer_rules`). A
``deepspeed:`` JSON with a ``scheduler`` block replaces that scheduler, as in the Trainer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats import deepspeed as deepspeed_format
from lrplot.formats.base import Converted, FormatOptions, Identification, by_keys, referenced_file
from lrplot.formats.trainer_args import (
    TrainerArgs,
    load_rules,
    number,
    optimizer_node,
    record_origins,
    run_length,
    transformers_scheduler,
    warmup,
)
from lrplot.formats.trainer_checks import check_trainer_args

NAME = "Hugging Face Trainer"

# TrainingArguments' own names (transformers 5.24.0 training_args.py), weighted by how surely
# one of them alone means a Trainer config. Names other trainers share (learning_rate,
# max_steps, gradient_accumulation_steps: DeepSpeed, axolotl, torchtune, nanoGPT) are not here.
_WEIGHTS = {
    "lr_scheduler_type": 0.5,
    "per_device_train_batch_size": 0.5,
    "num_train_epochs": 0.5,
    "warmup_ratio": 0.3,
    "lr_scheduler_kwargs": 0.3,
    "optim": 0.3,
    "per_device_eval_batch_size": 0.3,
    "eval_strategy": 0.2,
    "evaluation_strategy": 0.2,
    "save_strategy": 0.2,
    "logging_strategy": 0.2,
}
_EXPECTED = ("lr_scheduler_type", "per_device_train_batch_size", "num_train_epochs")
# Distinctive keys of other formats: axolotl's own names, torchtune's and DeepSpeed's.
_CONFLICTS = (
    "micro_batch_size", "num_epochs", "base_model", "sequence_len", "sample_packing",  # axolotl
    "max_steps_per_epoch", "epochs",  # torchtune, timm, litgpt's epochs are not the Trainer's
    "zero_optimization", "train_micro_batch_size_per_gpu",  # DeepSpeed's own file
)  # fmt: skip
_NUMBERS: dict[str, tuple[bool, float | None]] = {  # key -> (integer, minimum)
    "learning_rate": (False, 0.0),
    "warmup_steps": (False, 0.0),
    "warmup_ratio": (False, 0.0),
    "num_train_epochs": (False, 0.0),
    "max_steps": (True, None),
    "per_device_train_batch_size": (True, 1),
    "gradient_accumulation_steps": (True, 1),
    "weight_decay": (False, None),
    "adam_beta1": (False, None),
    "adam_beta2": (False, None),
    "adam_epsilon": (False, None),
}
# Keys that change the lr but that a config alone cannot settle.
_UNHONOURED = {
    "auto_find_batch_size": "auto_find_batch_size halves the batch on out-of-memory errors, changing the "
    "steps per epoch; drawn with per_device_train_batch_size as written",
    "resume_from_checkpoint": "resume_from_checkpoint continues a run: drawn from its start",
}


def identify(path: Path | None, data: Any) -> Identification:
    """TrainingArguments' own names; axolotl's, torchtune's or DeepSpeed's own names conflict."""
    if not isinstance(data, dict) or "curves" in data or _python(path):
        return Identification(NAME, 0.0, missing=_EXPECTED)
    conflicts = [*_CONFLICTS, *(key for key, value in data.items() if _component(value))]
    return by_keys(NAME, data, _WEIGHTS, expected=_EXPECTED, conflicts=conflicts)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def _python(path: Path | None) -> bool:
    return path is not None and path.suffix.lower() == ".py"


def _component(value: Any) -> bool:
    """A ``_component_`` node: torchtune's way of naming a class, never a Trainer key's value."""
    return isinstance(value, dict) and "_component_" in value


def translate(target: dict[str, Any], options: FormatOptions) -> Converted:
    """One curve: the Trainer's optimizer and scheduler for the run the options describe."""
    args = read_args(target, options.prefix)
    check_trainer_args(args, load_rules().version)
    return trainer_curve(args, options, Converted(data={}, form=NAME), label_prefix="")


def read_args(target: dict[str, Any], prefix: KeyPath) -> TrainerArgs:
    """TrainingArguments values from a config mapping, each checked, with its key path."""
    args = TrainerArgs()
    for key, value in target.items():
        if key in _NUMBERS and value is not None:
            integer, minimum = _NUMBERS[key]
            setattr(args, key, number(value, (*prefix, key), integer=integer, minimum=minimum))
            args.keys[key] = (*prefix, key)
    for key in ("lr_scheduler_type", "optim"):
        if target.get(key) is not None:
            setattr(args, key, str(target[key]))
            args.keys[key] = (*prefix, key)
    if target.get("dataloader_drop_last") is not None:
        args.dataloader_drop_last = bool(target["dataloader_drop_last"])
        args.keys["dataloader_drop_last"] = (*prefix, "dataloader_drop_last")
    kwargs = target.get("lr_scheduler_kwargs")
    if kwargs is not None:
        args.lr_scheduler_kwargs = scheduler_kwargs(kwargs, (*prefix, "lr_scheduler_kwargs"))
        args.keys["lr_scheduler_kwargs"] = (*prefix, "lr_scheduler_kwargs")
    args.notes.extend(text for key, text in _UNHONOURED.items() if target.get(key))
    if target.get("deepspeed"):
        args.deepspeed = target["deepspeed"]
        args.keys["deepspeed"] = (*prefix, "deepspeed")
    return args


def scheduler_kwargs(value: Any, key_path: KeyPath) -> dict[str, Any]:
    """``lr_scheduler_kwargs``: a mapping, or a JSON string of one (as on a command line)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError:
            raise LrplotError(
                f"lr_scheduler_kwargs is not a JSON mapping: {value!r}", key_path=key_path
            ) from None
    if not isinstance(value, dict):
        raise LrplotError(f"lr_scheduler_kwargs must be a mapping, got {value!r}", key_path=key_path)
    return dict(value)


def trainer_curve(
    args: TrainerArgs,
    options: FormatOptions,
    converted: Converted,
    *,
    label_prefix: str,
    custom_scheduler: Any = None,
) -> Converted:
    """The native config for ``args``: run length, optimizer, scheduler (or DeepSpeed's)."""
    rules = load_rules()
    total = run_length(args, options, rules, converted)
    warmup_value = warmup(args, total, rules, converted)
    converted.notes.extend(args.notes)
    curve: dict[str, Any] = {"optimizer": optimizer_node(args, converted)}
    ds_config = deepspeed_config(args, options, converted)
    if ds_config is not None and isinstance(ds_config.data.get("scheduler"), dict):
        deepspeed_format.trainer_scheduler(ds_config, args, total, rules, curve, converted)
        if custom_scheduler is not None:
            converted.notes.append(
                "the DeepSpeed scheduler block replaces axolotl's own schedule (axolotl skips it then)"
            )
        label = f"{label_prefix}DeepSpeed {ds_config.data['scheduler'].get('type')}"
    else:
        if ds_config is not None:
            deepspeed_format.trainer_optimizer(ds_config, args, curve, converted)
        if custom_scheduler is not None:
            curve["scheduler"] = custom_scheduler(total, warmup_value)
        else:
            curve["scheduler"] = transformers_scheduler(args, total, warmup_value)
        label = f"{label_prefix}{args.lr_scheduler_type}, warmup {warmup_value:g}"
    curve["label"] = label
    data: dict[str, Any] = {"title": f"{label} ({converted.form})", "total_step": total, "curves": [curve]}
    if "steps_per_epoch" in converted.derived:
        data["steps_per_epoch"] = converted.derived["steps_per_epoch"]
    converted.data = data
    record_origins(args, converted, ("curves", 0))
    return converted


def deepspeed_config(args: TrainerArgs, options: FormatOptions, converted: Converted) -> Any:
    """The DeepSpeed JSON ``deepspeed:`` names (inline mapping or path), or None with a note."""
    value = args.deepspeed
    if value is None:
        return None
    key_path = args.key("deepspeed")
    if isinstance(value, dict):
        return deepspeed_format.inline_source(value, key_path)
    if not isinstance(value, str):
        raise LrplotError(f"deepspeed must be a path to a JSON file, got {value!r}", key_path=key_path)
    if value.lstrip().startswith("{"):  # a JSON string, which the Trainer takes as the config itself
        from lrplot.read.json_source import parse_json

        data = parse_json(value, name="deepspeed").data
        if not isinstance(data, dict):
            raise LrplotError("deepspeed: the JSON must be an object", key_path=key_path)
        return deepspeed_format.inline_source(data, key_path)
    # The Trainer refuses a path that does not exist (accelerate 1.16.0 utils/deepspeed.py
    # HfDeepSpeedConfig.__init__, lines 136-156): so does lrplot, rather than draw without it.
    user_named = options.file_for("deepspeed") is not None
    found = referenced_file(
        value, "deepspeed", key_path or ("deepspeed",), options,
        "its 'scheduler' block would replace the Trainer's schedule (and the Trainer refuses a missing file)",
    )  # fmt: skip
    converted.reads.append(found)
    config_dir = None if user_named or options.path is None else options.path.absolute().parent
    return deepspeed_format.read_source(found, config_dir=config_dir, key_path=key_path)
