"""DeepSpeed JSON configs with a ``scheduler`` block, alone or named by a Trainer config.

DeepSpeed's engine builds ``deepspeed.runtime.lr_schedules.<type>(optimizer, **params)``
(or a ``torch.optim.lr_scheduler`` class of that name) and calls its ``step()`` after
every optimizer step (engine.py ``_take_model_step``, 0.19.8); the curve is drawn with
those classes through :mod:`lrplot.plan.drivers.deepspeed`. Through the Trainer, "auto"
values are filled as transformers' integration fills them (integrations/deepspeed.py
``trainer_config_process`` / ``trainer_config_finalize``, 5.24.0 lines 136-262), and a
value that is not "auto" must match the Trainer's or the Trainer refuses to start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import CONFLICTED, Converted, FormatOptions, Identification, by_keys
from lrplot.limits import in_range
from lrplot.read.json_source import load_config_file
from lrplot.read.yaml_source import YamlSource

NAME = "DeepSpeed"
DRIVER = "lrplot.plan.drivers.deepspeed.DeepSpeedScheduler"
_WARMUP = ("warmup_min_lr", "warmup_max_lr", "warmup_num_steps", "warmup_type", "last_batch_iteration")
# Parameters of each class in deepspeed/runtime/lr_schedules.py (0.19.8); a test compares them.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "LRRangeTest": (
        "lr_range_test_min_lr",
        "lr_range_test_step_size",
        "lr_range_test_step_rate",
        "lr_range_test_staircase",
        "last_batch_iteration",
    ),
    "OneCycle": (
        "cycle_min_lr",
        "cycle_max_lr",
        "decay_lr_rate",
        "cycle_first_step_size",
        "cycle_second_step_size",
        "cycle_first_stair_count",
        "cycle_second_stair_count",
        "decay_step_size",
        "cycle_momentum",
        "cycle_min_mom",
        "cycle_max_mom",
        "decay_mom_rate",
        "last_batch_iteration",
    ),
    "WarmupLR": _WARMUP,
    "WarmupDecayLR": ("total_num_steps", *_WARMUP),
    "WarmupCosineLR": (
        "total_num_steps",
        "warmup_min_ratio",
        "warmup_num_steps",
        "cos_min_ratio",
        "warmup_type",
        "last_batch_iteration",
    ),
}
# DeepSpeed's own top-level names (deepspeed/runtime/config.py, 0.19.8); fp16/bf16 count only
# as DeepSpeed's {"enabled": ...} tables (a Trainer or axolotl config has them as booleans).
_WEIGHTS = {"zero_optimization": 0.5, "train_micro_batch_size_per_gpu": 0.5, "scheduler": 0.6,
            "train_batch_size": 0.3, "fp16": 0.3, "bf16": 0.3, "steps_per_print": 0.3,
            "wall_clock_breakdown": 0.3, "zero_allow_untested_optimizer": 0.3, "optimizer": 0.2}  # fmt: skip
_EXPECTED = ("scheduler", "train_micro_batch_size_per_gpu")
# The smallest value DeepSpeed's classes work with, for each step-count parameter (0.19.8):
# OneCycle divides by cycle_first_step_size (and LRRangeTest by its step size), so 0 fails there.
_STEP_MINIMUM = {
    "warmup_num_steps": 0, "total_num_steps": 1, "cycle_first_step_size": 1e-300,
    "cycle_second_step_size": 0, "cycle_first_stair_count": 0, "cycle_second_stair_count": 0,
    "decay_step_size": 0, "lr_range_test_step_size": 1e-300, "last_batch_iteration": -1,
}  # fmt: skip
_CONFLICTS = ("learning_rate", "lr_scheduler_type", "num_train_epochs", "micro_batch_size", "lr_scheduler")
_OPTIMIZERS = {"Adam": "Adam", "AdamW": "AdamW", "SGD": "SGD", "Adagrad": "Adagrad"}


@dataclass
class DeepSpeedSource:
    """A DeepSpeed config's data and how to point at its lines (its own file, or inline)."""

    data: dict[str, Any]
    source: YamlSource | None = None
    prefix: KeyPath = ()

    def error(self, message: str, key_path: KeyPath) -> LrplotError:
        if self.source is not None:
            return LrplotError(f"DeepSpeed config: {message}", where=self.source.where(key_path))
        return LrplotError(f"DeepSpeed config: {message}", key_path=(*self.prefix, *key_path))


def read_source(
    path: Path, config_dir: Path | None = None, key_path: KeyPath | None = None
) -> DeepSpeedSource:
    """A DeepSpeed JSON a config names, read as the config's other files are (confined there)."""
    source = load_config_file(path, config_dir=config_dir, key_path=key_path)
    if not isinstance(source.data, dict):
        raise LrplotError("DeepSpeed config: must be a JSON object", where=source.name)
    return DeepSpeedSource(source.data, source)


def inline_source(data: dict[str, Any], key_path: KeyPath | None) -> DeepSpeedSource:
    return DeepSpeedSource(data, None, key_path or ())


def identify(path: Path | None, data: Any) -> Identification:
    """DeepSpeed's own top-level names, its ``scheduler``/``optimizer`` as ``{type, params}`` tables."""
    if not isinstance(data, dict) or "curves" in data or (path is not None and path.suffix.lower() == ".py"):
        return Identification(NAME, 0.0, missing=_EXPECTED)
    own = {key: value for key, value in data.items() if key in _WEIGHTS and _own_value(key, value)}
    found = by_keys(NAME, own, _WEIGHTS, expected=(), conflicts=())
    conflicting = tuple(key for key in _CONFLICTS if key in data)
    missing = tuple(key for key in _EXPECTED if key not in own)
    score = min(found.score, CONFLICTED) if conflicting else found.score
    return Identification(NAME, score, found.seen, missing, conflicting)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def _own_value(key: str, value: Any) -> bool:
    """A value as DeepSpeed writes it there: a table for its sections, a type-named block."""
    if key in ("scheduler", "optimizer"):
        return isinstance(value, dict) and "type" in value
    if key in ("fp16", "bf16", "zero_optimization"):
        return isinstance(value, dict)
    return not isinstance(value, (dict, list))


def translate(target: dict[str, Any], options: FormatOptions) -> Converted:
    """A DeepSpeed config alone: its scheduler on its optimizer, every value explicit."""
    ds = DeepSpeedSource(target, None, options.prefix)
    converted = Converted(data={}, form=NAME)
    block = _scheduler_block(ds)
    autos = [key for key, value in block[1].items() if value == "auto"]
    if autos:
        raise ds.error(
            f'scheduler.params {", ".join(autos)} are "auto", which the Hugging Face Trainer fills: '
            "plot the training config that names this file (its deepspeed: key)",
            ("scheduler", "params", autos[0]),
        )
    curve: dict[str, Any] = {"optimizer": _optimizer(ds, None, converted)}
    curve["scheduler"] = _scheduler_node(ds, block, converted)
    total = _standalone_length(block, options, ds)
    if "total_num_steps" in block[1] and options.total_step is None:
        converted.origins[("total_step",)] = (*options.prefix, "scheduler", "params", "total_num_steps")
    curve["label"] = f"DeepSpeed {block[0]}"
    converted.data = {"title": f"{curve['label']} (DeepSpeed)", "total_step": total, "curves": [curve]}
    converted.origins[("curves", 0, "scheduler")] = (*options.prefix, "scheduler")
    if curve["scheduler"].get("name") == DRIVER:  # each parameter at its own line, for the linter
        for key in curve["scheduler"]["arguments"]:
            converted.origins[("curves", 0, "scheduler", "arguments", key)] = (
                *options.prefix, "scheduler", "params", key,
            )  # fmt: skip
    converted.derived.update(total_steps=total, rule="DeepSpeed config alone")
    return converted


def trainer_scheduler(
    ds: DeepSpeedSource, args: Any, total: int, rules: Any, curve: dict[str, Any], converted: Converted
) -> None:
    """The scheduler block the Trainer hands to DeepSpeed, its "auto" values filled."""
    from lrplot.formats.trainer_rules import warmup_steps

    kind, params = _scheduler_block(ds)
    warmup_value = warmup_steps(args.warmup_steps, args.warmup_ratio, total, rules)
    if rules.deepspeed_warmup_at_least_one:
        warmup_value = max(1, warmup_value)
    mismatches = _batch_mismatches(ds, args, converted)
    fills = {  # key -> (Trainer value, Trainer key, must match)
        "warmup_min_lr": (0, "", False),
        "warmup_max_lr": (args.learning_rate, "learning_rate", True),
        "total_num_steps": (total, "num_training_steps (calculated)", True),
        "warmup_num_steps": (warmup_value, "warmup_steps", True),
    }
    for key, (value, hf_key, must_match) in fills.items():
        if params.get(key) == "auto":
            params[key] = value
        elif must_match and key in params and params[key] != value:
            mismatches.append(f"scheduler.params.{key}={params[key]} vs {hf_key}={value}")
    if mismatches:
        raise ds.error(
            f"the Trainer refuses values that differ from its own ({'; '.join(mismatches)}); "
            'set them to "auto"',
            ("scheduler", "params"),
        )
    autos = [key for key, value in params.items() if value == "auto"]
    if autos:
        raise ds.error(
            f'scheduler.params.{autos[0]} is "auto" but the Trainer does not fill it',
            ("scheduler", "params", autos[0]),
        )
    if "optimizer" in ds.data:
        curve["optimizer"] = _optimizer(ds, args, converted)
    curve["scheduler"] = _scheduler_node(ds, (kind, params), converted)
    converted.derived["warmup_steps"] = params.get("warmup_num_steps", converted.derived.get("warmup_steps"))
    converted.derived["rule"] = f"{converted.derived.get('rule', '')}; DeepSpeed {kind} stepped by its engine"


def trainer_optimizer(ds: DeepSpeedSource, args: Any, curve: dict[str, Any], converted: Converted) -> None:
    """No scheduler block: the Trainer's scheduler, on DeepSpeed's optimizer if it has one."""
    mismatches = _batch_mismatches(ds, args, converted)
    if mismatches:
        raise ds.error(
            f"the Trainer refuses values that differ from its own ({'; '.join(mismatches)}); "
            'set them to "auto"',
            ("optimizer",) if "optimizer" in ds.data else (),
        )
    if "optimizer" in ds.data:
        curve["optimizer"] = _optimizer(ds, args, converted)


def _scheduler_block(ds: DeepSpeedSource) -> tuple[str, dict[str, Any]]:
    block = ds.data.get("scheduler")
    if not isinstance(block, dict):
        raise ds.error(
            "no 'scheduler' block: the schedule comes from the training config that names this file", ()
        )
    kind = block.get("type")
    params = block.get("params", {})
    if not isinstance(params, dict):
        raise ds.error(f"scheduler.params must be a mapping, got {params!r}", ("scheduler", "params"))
    if kind not in PARAMETERS and not (isinstance(kind, str) and kind.isidentifier()):
        raise ds.error(
            f"scheduler.type {kind!r} is not a DeepSpeed schedule ({', '.join(PARAMETERS)})",
            ("scheduler", "type"),
        )
    unknown = [key for key in params if kind in PARAMETERS and key not in PARAMETERS[kind]]
    if unknown:
        raise ds.error(
            f"scheduler.params.{unknown[0]} is not a parameter of {kind} ({', '.join(PARAMETERS[kind])})",
            ("scheduler", "params", unknown[0]),
        )
    for key, value in params.items():
        _check_number(ds, key, value)
    return str(kind), dict(params)


def _check_number(ds: DeepSpeedSource, key: str, value: Any) -> None:
    """Every number in ``scheduler.params``: finite, a step count within ``MAX_COUNT`` and at
    least what DeepSpeed's class divides by or counts from; one line naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    where = ("scheduler", "params", key)
    try:
        in_range(value, f"scheduler.params.{key}", count=key in _STEP_MINIMUM)
    except LrplotError as error:
        raise ds.error(error.message, where) from None
    minimum = _STEP_MINIMUM.get(key)
    if minimum is not None and value < minimum:
        bound = "> 0" if 0 < minimum < 1 else f">= {minimum}"
        raise ds.error(f"scheduler.params.{key} must be {bound}, got {value!r}", where)


def _scheduler_node(
    ds: DeepSpeedSource, block: tuple[str, dict[str, Any]], converted: Converted
) -> dict[str, Any]:
    kind, params = block
    if kind not in PARAMETERS:  # DeepSpeed also takes torch.optim.lr_scheduler classes by name
        return {"name": kind, **params}
    if kind in ("WarmupLR", "WarmupDecayLR", "WarmupCosineLR"):
        warmup_type = params.get("warmup_type")
        if warmup_type is None:
            converted.notes.append(
                f"{kind} warms up on a log curve by default (DeepSpeed's warmup_type: log; the first two "
                "steps both use the start lr); set warmup_type: linear for a straight ramp"
            )
        elif warmup_type not in ("log", "linear"):
            converted.notes.append(
                f"warmup_type {warmup_type!r} is not log or linear: DeepSpeed warns and warms up "
                "on a log curve"
            )
            params["warmup_type"] = "log"
    return {"name": DRIVER, "type": kind, "arguments": params}


def _optimizer(ds: DeepSpeedSource, args: Any, converted: Converted) -> dict[str, Any]:
    block = ds.data.get("optimizer") or {}
    params = dict(block.get("params") or {}) if isinstance(block, dict) else {}
    kind = str(block.get("type", "AdamW")) if isinstance(block, dict) else "AdamW"
    name = _OPTIMIZERS.get(kind, "AdamW")
    if name != kind:
        converted.notes.append(
            f"DeepSpeed optimizer {kind} drawn as torch AdamW: the schedule sets the same lr"
        )
    lr = params.get("lr")
    if args is not None and (lr is None or lr == "auto"):
        lr = args.learning_rate
    if args is None and (lr is None or lr == "auto"):
        if _scales_optimizer_lr(ds):
            raise ds.error(
                f"optimizer.params.lr is {lr!r} and the scheduler scales it: give a number, or plot the "
                "training config that names this file",
                ("optimizer", "params", "lr") if lr is not None else ("scheduler",),
            )
        lr = 1.0  # WarmupLR with warmup_max_lr, OneCycle, LRRangeTest set the lr themselves
    if not isinstance(lr, (int, float)) or isinstance(lr, bool):
        raise ds.error(f"optimizer.params.lr must be a number, got {lr!r}", ("optimizer", "params", "lr"))
    return {"name": name, "lr": lr}


def _scales_optimizer_lr(ds: DeepSpeedSource) -> bool:
    block = ds.data.get("scheduler") or {}
    kind, params = block.get("type"), block.get("params") or {}
    return kind == "WarmupCosineLR" or (
        kind in ("WarmupLR", "WarmupDecayLR") and "warmup_max_lr" not in params
    )


def _batch_mismatches(ds: DeepSpeedSource, args: Any, converted: Converted) -> list[str]:
    """The Trainer's fill_match checks on batch and optimizer values (trainer_config_process)."""
    world = converted.derived.get("world_size", 1)
    batch, accumulation = args.per_device_train_batch_size, args.gradient_accumulation_steps
    expected = {
        ("train_micro_batch_size_per_gpu",): (batch, "per_device_train_batch_size"),
        ("gradient_accumulation_steps",): (accumulation, "gradient_accumulation_steps"),
        ("train_batch_size",): (world * batch * accumulation, "train_batch_size (calculated)"),
        ("optimizer", "params", "lr"): (args.learning_rate, "learning_rate"),
        ("optimizer", "params", "betas"): ([args.adam_beta1, args.adam_beta2], "adam_beta1+adam_beta2"),
        ("optimizer", "params", "eps"): (args.adam_epsilon, "adam_epsilon"),
        ("optimizer", "params", "weight_decay"): (args.weight_decay, "weight_decay"),
    }
    found = []
    for path, (value, hf_key) in expected.items():
        node: Any = ds.data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None and node != "auto" and node != value:
            found.append(f"{'.'.join(path)}={node} vs {hf_key}={value}")
    return found


def _standalone_length(block: tuple[str, dict[str, Any]], options: FormatOptions, ds: DeepSpeedSource) -> int:
    """``total_num_steps`` where the schedule has it; else the length the user gave, or refused.

    WarmupLR holds its lr after warmup, OneCycle's decay and LRRangeTest have no end: a length
    lrplot chose would be a made-up run (the Trainer passes its own; alone, none is there).
    """
    kind, params = block
    if options.total_step is not None:
        return options.total_step
    total = params.get("total_num_steps")
    if isinstance(total, (int, float)) and not isinstance(total, bool) and float(total).is_integer():
        return int(total)  # checked finite, >= 1 and within MAX_COUNT by _check_number
    reason = {
        "WarmupLR": "holds its lr after warmup",
        "OneCycle": "has a decay phase with no end",
    }.get(kind, "has no length of its own")
    raise ds.error(
        f"DeepSpeed {kind} {reason}, so the config alone does not say how long the run is: "
        "give it with --set lrplot.total_step=N",
        ("scheduler", "type"),
    )
