"""llm-foundry / Composer train YAMLs (``composer train.py <yaml>``): one curve, Composer's schedule.

The keys are llm-foundry's ``TrainConfig`` (llmfoundry/utils/config_utils.py at
8c8dd48f72168c5d51e2f7b151595892a8fba43d): ``scheduler`` (``name`` from llm-foundry's registry,
llmfoundry/optim/__init__.py, or a Composer class name; the other keys are its arguments:
``t_warmup``, ``t_max``, ``alpha_f``, ... in Composer's time units ``ba``, ``ep``, ``sp``,
``tok``, ``dur``), ``optimizer`` (``name``, ``lr``), ``max_duration``, ``global_train_batch_size``,
``device_train_microbatch_size`` and ``max_seq_len``. OmegaConf interpolations
(``${variables.max_seq_len}``) are resolved by OmegaConf, guarded as for Hydra.

One trainer batch is one optimizer step (the microbatches of ``device_train_microbatch_size``
accumulate inside it). ``to_next_batch`` adds ``global_train_batch_size`` samples (the ranks'
``device_train_batch_size = global_train_batch_size / world_size`` summed) and, for ``tok``
units, ``global_train_batch_size * max_seq_len`` tokens (concatenated text: every sample is
``max_seq_len`` tokens). The trainer stops once ``timestamp >= max_duration``, so the run is
``max_duration`` batches (``ba``), ``ceil(samples / global batch)`` (``sp``), ``ceil(tokens /
tokens a batch)`` (``tok``) or ``epochs * dataloader_len`` (``ep``). ``dataloader_len`` (needed
for ``ep``) is a rank's loader length: ``DistributedSampler(drop_last)`` over ``--world-size`` ranks,
then a ``DataLoader(device batch, drop_last)`` (llmfoundry/data/finetuning/dataloader.py 318-350).

The schedule is Composer's own class, compiled and stepped as Composer's trainer does (the
driver ``lrplot.plan.drivers.composer.ComposerTrainer``; its docstring cites the order of steps:
a batch trains with the lr computed after the previous batch).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import Converted, FormatOptions, Identification
from lrplot.formats.trainer_args import check_options
from lrplot.limits import in_range

NAME = "composer"
FORM = "llm-foundry"
DRIVER = "lrplot.plan.drivers.composer.ComposerTrainer"
FOUNDRY_SCHEDULERS = (
    "constant_with_warmup",
    "cosine_with_warmup",
    "linear_decay_with_warmup",
    "inv_sqrt_with_warmup",
)
FOUNDRY_OPTIMIZERS = ("decoupled_adamw", "decoupled_lionw", "clip_lion", "adalr_lion", "no_op")
TIME = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*(ba|ep|sp|tok|dur)\s*$", re.IGNORECASE)


def _duration(value: Any) -> bool:
    return isinstance(value, str) and TIME.match(value) is not None


def identify(path: Path | None, data: Any) -> Identification:
    """Composer's ``max_duration`` time string, a named ``scheduler``, llm-foundry's batch keys."""
    if not isinstance(data, dict) or "curves" in data:
        return Identification(NAME, 0.0)
    seen: list[str] = []
    missing: list[str] = []
    score = 0.0
    if _duration(data.get("max_duration")):
        seen.append("max_duration")
        score += 0.4
    else:
        missing.append("max_duration")
    scheduler = data.get("scheduler")
    if isinstance(scheduler, dict) and isinstance(scheduler.get("name"), str):
        name = scheduler["name"]
        if (
            name in FOUNDRY_SCHEDULERS
            or name.endswith("Scheduler")
            or any(_duration(v) for v in scheduler.values())
        ):
            seen.append("scheduler.name")
            score += 0.4
    else:
        missing.append("scheduler.name")
    for key in ("global_train_batch_size", "device_train_microbatch_size"):
        if key in data:
            seen.append(key)
            score += 0.2
    optimizer = data.get("optimizer")
    if isinstance(optimizer, dict) and optimizer.get("name") in FOUNDRY_OPTIMIZERS:
        seen.append("optimizer.name")
        score += 0.2
    return Identification(NAME, min(score, 1.0), tuple(seen), tuple(missing))


def score(path: Path | None, data: Any) -> float:
    return identify(path, data).score


class _Resolved:
    """Values of the document with OmegaConf interpolations resolved (guarded) when they have any."""

    def __init__(self, root: Any, prefix: KeyPath, options: FormatOptions) -> None:
        self.root, self.prefix, self.options = root, prefix, options
        self.config: Any = None

    def get(self, key_path: KeyPath, default: Any = None) -> Any:
        node: Any = self.root
        for part in (*self.prefix, *key_path):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        if "${" not in repr(node):
            return node
        return self._resolve((*self.prefix, *key_path))

    def _resolve(self, full: KeyPath) -> Any:
        try:
            from omegaconf import OmegaConf
            from omegaconf.errors import OmegaConfBaseException
        except ImportError:
            raise LrplotError(
                "uses OmegaConf interpolation: pip install 'lrplot[hydra]' to resolve it", key_path=full
            ) from None
        from lrplot.formats.hydra_resolve import ResolverGuard, allowed_names, is_refused, refusal_message

        guard = ResolverGuard(allowed_names(self.options.allow_imports))
        if self.config is None:
            self.config = OmegaConf.create(self.root)
        key = ".".join(map(str, full))
        try:
            with guard.active():
                node = self.config
                for part in full:
                    node = node[part]
                return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node
        except (OmegaConfBaseException, ValueError, TypeError, RecursionError) as exc:
            if is_refused(exc) and guard.refused:
                message = refusal_message(guard.refused[-1], key, f"give the value: --set {key}=VALUE")
                raise LrplotError(message, key_path=full) from None
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise LrplotError(
                f"{key}: cannot resolve its interpolation: {first[:200]}", key_path=full
            ) from None


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """Composer's scheduler over the trainer's batches, with the time arithmetic its trainer does."""
    check_options(options)
    prefix = options.prefix
    root = options.root if options.root is not None else data
    values = _Resolved(root, prefix, options)
    converted = Converted(data={}, form=FORM)
    schedule = values.get(("scheduler",))
    if not isinstance(schedule, dict) or not isinstance(schedule.get("name"), str):
        raise LrplotError(
            "llm-foundry config: scheduler should be a mapping with a name (cosine_with_warmup, ...)",
            key_path=(*prefix, "scheduler"),
        )
    name = schedule["name"]
    if name == "inv_sqrt_with_warmup":
        raise LrplotError(
            "scheduler inv_sqrt_with_warmup is llm-foundry's own class (llmfoundry/optim/scheduler.py), "
            "not Composer's: not drawn yet",
            key_path=(*prefix, "scheduler", "name"),
        )
    arguments = {k: v for k, v in schedule.items() if k != "name"}
    duration = _max_duration(values.get(("max_duration",)), prefix)
    gb = _positive_int(values.get(("global_train_batch_size",)), (*prefix, "global_train_batch_size"))
    world = options.world_size or 1
    if gb % world:
        raise LrplotError(
            f"global_train_batch_size {gb} is not divisible by --world-size {world} (llm-foundry refuses it)",
            key_path=(*prefix, "global_train_batch_size"),
        )
    units = {_unit(duration)} | {_unit(v) for v in arguments.values() if _duration(v)}
    if isinstance(arguments.get("milestones"), list):
        units |= {_unit(v) for v in arguments["milestones"] if _duration(v)}
    sequence = 0
    if "tok" in units:
        sequence = _positive_int(values.get(("max_seq_len",)), (*prefix, "max_seq_len"))
        converted.notes.append(
            f"tokens counted as global_train_batch_size * max_seq_len ({gb} * {sequence}) a batch "
            "(concatenated text); padded samples count fewer tokens"
        )
    loader_len, last = _dataloader_len(values, options, gb // world, world, units, converted)
    total = _batches(duration, gb, sequence, loader_len, last)
    keywords: dict[str, Any] = {
        "name": DRIVER,
        "scheduler": name,
        "arguments": arguments,
        "max_duration": duration if isinstance(duration, str) else f"{duration}ep",
        "dataloader_len": loader_len,
        "samples_per_batch": gb,
        "tokens_per_batch": gb * sequence,
    }
    if last is not None and last != gb:
        keywords["last_samples"] = last
    lr, optimizer_name = _optimizer(values.get(("optimizer",)), prefix, converted)
    converted.data = {
        "title": f"{options.path.stem if options.path else 'train'} (llm-foundry)",
        "total_step": total,
        "curves": [
            {
                "label": f"Composer {name}",
                "optimizer": {"name": optimizer_name, "lr": lr},
                "scheduler": keywords,
            }
        ],
    }
    origins = converted.origins
    origins[("curves", 0, "scheduler")] = (*prefix, "scheduler")
    origins[("curves", 0, "scheduler", "scheduler")] = (*prefix, "scheduler", "name")
    for key in arguments:
        origins[("curves", 0, "scheduler", "arguments", key)] = (*prefix, "scheduler", key)
    origins[("curves", 0, "scheduler", "max_duration")] = (*prefix, "max_duration")
    origins[("total_step",)] = (*prefix, "max_duration")
    origins[("curves", 0, "optimizer", "lr")] = (*prefix, "optimizer", "lr")
    converted.derived.update(
        world_size=world, effective_batch=gb, per_device_batch=gb // world, total_steps=total
    )
    if loader_len is not None:
        converted.derived["batches_per_epoch"] = loader_len
    converted.derived["rule"] = (
        f"Composer trainer batches until timestamp >= max_duration ({keywords['max_duration']})"
    )
    return converted


def _unit(value: Any) -> str:
    match = TIME.match(str(value))
    return match.group(2).lower() if match else "ep"


def _max_duration(value: Any, prefix: KeyPath) -> str | int:
    """A time string, or an int (epochs, as ``ensure_time(max_duration, TimeUnit.EPOCH)``)."""
    key_path = (*prefix, "max_duration")
    in_range(value, "max_duration", key_path=key_path)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if not _duration(value):
        raise LrplotError(
            f"max_duration should be a Composer time such as 4800ba, 2ep, 1000000sp or 1e9tok, got {value!r}"[
                :200
            ],
            key_path=key_path,
        )
    assert isinstance(value, str)
    if _unit(value) == "dur":
        raise LrplotError(
            f"max_duration {value!r} cannot be in dur (a fraction of itself)", key_path=key_path
        )
    number = float(TIME.match(value).group(1))  # type: ignore[union-attr]
    in_range(number, f"max_duration {value.strip()!r}", key_path=key_path)
    if number <= 0 or number != int(number):
        raise LrplotError(
            f"max_duration should be a positive whole number of its unit, got {value!r}", key_path=key_path
        )
    return value.strip()


def _batches(duration: str | int, gb: int, sequence: int, loader_len: int | None, last: int | None) -> int:
    """How many batches Composer's loop runs before ``timestamp >= max_duration``.

    ``last`` is the samples (all ranks) of an epoch's last, shorter batch when the loader keeps it.
    """
    if isinstance(duration, int):
        value, unit = duration, "ep"
    else:
        value, unit = int(float(TIME.match(duration).group(1))), _unit(duration)  # type: ignore[union-attr]
    if unit == "ba":
        return value
    if unit == "ep":
        assert loader_len is not None
        return value * loader_len
    per_batch = gb if unit == "sp" else gb * sequence
    if loader_len is None or last is None or last == gb:
        return math.ceil(value / per_batch)
    short = last if unit == "sp" else last * sequence
    per_epoch = (loader_len - 1) * per_batch + short
    epochs, left = divmod(value, per_epoch)
    batches = epochs * loader_len
    while left > 0:  # at most one epoch of batches
        left -= short if batches % loader_len == loader_len - 1 else per_batch
        batches += 1
    return batches


def _dataloader_len(
    values: _Resolved,
    options: FormatOptions,
    device_batch: int,
    world: int,
    units: set[str],
    converted: Converted,
) -> int | None:
    """A rank's ``len(train dataloader)``, from ``--dataset-size`` (or ``--steps-per-epoch``)."""
    needed = "ep" in units
    if options.steps_per_epoch is not None:
        return options.steps_per_epoch, None
    if options.dataset_size is None:
        if needed:
            raise LrplotError(
                "llm-foundry config: a time in ep needs the train dataloader's length; give --dataset-size N "
                "(training samples) and --world-size W, or --steps-per-epoch N (batches a rank)",
                key_path=(*values.prefix, "max_duration"),
            )
        return None, None
    drop_last = values.get(("train_loader", "drop_last"), False)
    if "drop_last" not in (values.get(("train_loader",)) or {}):
        converted.notes.append("train_loader.drop_last not set: False, llm-foundry's default")
    samples = options.dataset_size
    per_rank = samples // world if drop_last else math.ceil(samples / world)
    batches = per_rank // device_batch if drop_last else math.ceil(per_rank / device_batch)
    if batches < 1:
        raise LrplotError(
            f"--dataset-size {samples} gives no full batch of {device_batch} a rank on {world} rank(s) "
            "with drop_last",
            key_path=(*values.prefix, "train_loader", "drop_last"),
        )
    converted.derived["examples"] = samples
    last = (per_rank - (batches - 1) * device_batch) * world if not drop_last else device_batch * world
    return batches, last


def _optimizer(node: Any, prefix: KeyPath, converted: Converted) -> tuple[Any, str]:
    if not isinstance(node, dict) or "lr" not in node:
        raise LrplotError("llm-foundry config: optimizer should have an lr", key_path=(*prefix, "optimizer"))
    name = str(node.get("name", ""))
    if name not in ("decoupled_adamw", "adamw"):
        converted.notes.append(
            f"optimizer {name or '?'} drawn as AdamW: Composer's schedule sets only its lr"
        )
    return node["lr"], "AdamW"


def _positive_int(value: Any, key_path: KeyPath) -> int:
    in_range(value, ".".join(map(str, key_path)), key_path=key_path)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LrplotError(
            f"{'.'.join(map(str, key_path))} should be a positive integer, got {value!r}", key_path=key_path
        )
    return value
