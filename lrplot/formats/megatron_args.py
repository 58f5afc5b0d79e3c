"""Megatron-LM's arguments as its parser types them, and the checks its code asserts.

Part of :mod:`lrplot.formats.megatron`: the argument table (types and defaults of
megatron/training/training_config.py and arguments.py at core_v0.16.0,
3bec9aa97dda898d16ff5a89bac0ed2b6682b172), the reader of one argument (``--set`` first, a value only
the running shell knows refused naming ``--set``), and the checks of
``RampupBatchsizeNumMicroBatchesCalculator``, ``update_train_iters`` and
``OptimizerParamScheduler.__init__`` as one line each.
"""

from __future__ import annotations

import math
from typing import Any

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.formats.base import FormatOptions
from lrplot.read.shell import Unresolved

LAUNCH = "__launch__"  # the shell reader's record of the launch command

# (type, default) of each argument the schedule reads, as Megatron's argparse types them.
ARGUMENTS: dict[str, tuple[str, Any]] = {
    "lr": ("float", None),
    "min_lr": ("float", 0.0),
    "lr_decay_style": ("choice", "linear"),
    "lr_wsd_decay_style": ("choice", "exponential"),
    "lr_decay_iters": ("int", None),
    "lr_decay_samples": ("int", None),
    "lr_wsd_decay_iters": ("int", None),
    "lr_wsd_decay_samples": ("int", None),
    "lr_warmup_fraction": ("float", None),
    "lr_warmup_iters": ("int", 0),
    "lr_warmup_samples": ("int", 0),
    "lr_warmup_init": ("float", 0.0),
    "train_iters": ("int", None),
    "train_samples": ("int", None),
    "micro_batch_size": ("int", None),
    "global_batch_size": ("int", None),
    "rampup_batch_size": ("int3", None),
    "decrease_batch_size_if_needed": ("flag", False),
    "weight_decay": ("float", 0.01),
    "start_weight_decay": ("float", None),
    "end_weight_decay": ("float", None),
    "weight_decay_incr_style": ("choice", "constant"),
    "tensor_model_parallel_size": ("int", 1),
    "pipeline_model_parallel_size": ("int", 1),
    "context_parallel_size": ("int", 1),
    "optimizer": ("str", "adam"),
    "finetune": ("flag", False),
    "load": ("str", None),
    "decoupled_lr": ("float", None),
    "skip_train": ("flag", False),
}
CHOICES = {
    "lr_decay_style": ("constant", "linear", "cosine", "inverse-square-root", "WSD"),
    "lr_wsd_decay_style": ("exponential", "linear", "cosine", "minus_sqrt"),
    "weight_decay_incr_style": ("constant", "linear", "cosine"),
}
OPTIMIZERS = {"adam": "AdamW", "sgd": "SGD"}
# Megatron's YAML argument files keep the parallel sizes in model_parallel: (yaml_arguments.py)
_SECTIONED = {
    "tensor_model_parallel_size": "model_parallel",
    "pipeline_model_parallel_size": "model_parallel",
    "context_parallel_size": "model_parallel",
}


class Arguments:
    """The file's arguments with ``--set`` over them, typed as Megatron's parser types them."""

    def __init__(self, data: dict[str, Any], options: FormatOptions, prefix: KeyPath, script: bool) -> None:
        self.data, self.options, self.prefix, self.script = data, options, prefix, script
        # where a missing argument is reported: the launch command's line, or the file
        self.base: KeyPath | None = (*prefix, LAUNCH) if script else (prefix or None)
        self.sets: dict[str, str] = {}
        for text in options.sets:
            key, equals, value = text.partition("=")
            dest = key.strip().lstrip("-").replace("-", "_")
            if equals and dest in ARGUMENTS:
                self.sets[dest] = value.strip()
                options.used_sets.add(text)

    def where(self, dest: str) -> KeyPath:
        section = _SECTIONED.get(dest)
        if section and isinstance(self.data.get(section), dict) and dest in self.data[section]:
            return (*self.prefix, section, dest)
        return (*self.prefix, dest)

    def flag(self, dest: str) -> str:
        return f"--{dest.replace('_', '-')}" if self.script else dest

    def raw(self, dest: str) -> Any:
        if dest in self.sets:
            return self.sets[dest]
        section = _SECTIONED.get(dest)
        if section and isinstance(self.data.get(section), dict) and dest in self.data[section]:
            return self.data[section][dest]
        return self.data.get(dest)

    def given(self, dest: str) -> bool:
        return self.raw(dest) is not None

    def get(self, dest: str) -> Any:
        """The argument's value (its default when absent); run-time values refused naming ``--set``."""
        kind, default = ARGUMENTS[dest]
        value = self.raw(dest)
        if value is None:
            return default
        unresolved = next(
            (
                part
                for part in (value if isinstance(value, list) else [value])
                if isinstance(part, Unresolved)
            ),
            None,
        )
        if unresolved is not None:
            raise LrplotError(
                f"{self.flag(dest)} is {printable(str(unresolved), 60)}, known only when the script runs "
                f"({printable(unresolved.why, 120)}); give it with --set {dest}=VALUE",
                key_path=self.where(dest),
            )
        return self._typed(dest, kind, value)

    def _typed(self, dest: str, kind: str, value: Any) -> Any:
        shown = printable(str(value), 60)
        try:
            if kind == "flag":
                if isinstance(value, bool):
                    return value
                if isinstance(value, str) and value.lower() in ("true", "false"):
                    return value.lower() == "true"
                raise ValueError
            if kind == "int3":
                items = value if isinstance(value, list) else str(value).split()
                if len(items) != 3:
                    raise ValueError
                return [self._number(int, item) for item in items]
            if kind == "int":
                return self._number(int, value)
            if kind == "float":
                return self._number(float, value)
            text = str(value)
            if kind == "choice" and text not in CHOICES[dest]:
                raise LrplotError(
                    f"{self.flag(dest)} {shown}: not one of Megatron's choices ({', '.join(CHOICES[dest])})",
                    key_path=self.where(dest),
                )
            return text
        except (ValueError, TypeError, OverflowError):
            expected = {"int3": "three integers", "flag": "a flag (true/false)"}.get(kind, f"an {kind}")
            expected = "a number" if kind == "float" else expected
            raise LrplotError(
                f"{self.flag(dest)} {shown}: Megatron reads it as {expected}", key_path=self.where(dest)
            ) from None

    @staticmethod
    def _number(kind: type, value: Any) -> Any:
        if isinstance(value, (bool, list, dict)):
            raise ValueError
        if kind is int:
            if isinstance(value, float):
                raise ValueError
            return int(str(value).strip())  # argparse's type=int: "1e5" is refused as it is there
        number = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
        if not math.isfinite(number):
            raise ValueError
        return number


def check_rampup(args: Arguments, rampup: list[int], gbs: int) -> None:
    """The checks ``RampupBatchsizeNumMicroBatchesCalculator.__init__`` asserts."""
    start, increment, samples = rampup
    where = args.where("rampup_batch_size")
    flag = args.flag("rampup_batch_size")
    if start <= 0 or increment <= 0 or samples < 0:
        raise LrplotError(
            f"{flag} {start} {increment} {samples}: start and increment must be positive, samples >= 0",
            key_path=where,
        )
    if gbs < start or (gbs - start) % increment:
        raise LrplotError(
            f"{flag} {start} {increment} {samples}: the global batch size {gbs} minus the start must be a "
            "non-negative multiple of the increment (Megatron asserts it)",
            key_path=where,
        )
    if gbs == start:
        raise LrplotError(
            f"{flag} starts at the global batch size {gbs}: "
            "Megatron divides the ramp-up samples by zero increments",
            key_path=where,
        )


def _current_batch(consumed: int, gbs: int, rampup: list[int] | None) -> int:
    """``RampupBatchsizeNumMicroBatchesCalculator.update``'s current global batch size."""
    if rampup is None:
        return gbs
    start, increment, samples = rampup
    if consumed > samples:
        return gbs
    per_increment = samples / ((gbs - start) // increment)
    return start + int(consumed / per_increment) * increment


def train_iters_of(train_samples: int, gbs: int, rampup: list[int] | None) -> int:
    """``update_train_iters``: sample-based training's iteration count."""
    if rampup is None:
        return train_samples // gbs
    iterations = consumed = 0
    while consumed <= rampup[2] and consumed <= train_samples:
        consumed += _current_batch(consumed, gbs, rampup)
        iterations += 1
    if train_samples > consumed:
        iterations += (train_samples - consumed) // gbs
    return iterations


def check_scheduler(args: Arguments, schedule: dict[str, Any], gbs: int) -> None:
    """What ``OptimizerParamScheduler.__init__`` asserts, as one line naming the arguments."""
    from_iters = bool(schedule["train_iters"])
    unit = "iters" if from_iters else "samples"
    decay = schedule[f"lr_decay_{unit}"] or (
        schedule["train_iters"] if from_iters else schedule["train_samples"]
    )
    decay_steps = decay * gbs if from_iters else decay
    if schedule["lr_warmup_fraction"] is not None:
        warmup_steps = schedule["lr_warmup_fraction"] * decay_steps
        warmup_from = "lr_warmup_fraction"
    else:
        warmup_steps = schedule[f"lr_warmup_{unit}"] * (gbs if from_iters else 1)
        warmup_from = f"lr_warmup_{unit}"
    if decay_steps <= 0:
        raise LrplotError(
            f"{args.flag('lr_decay_' + unit)} {decay}: the decay must be positive",
            key_path=args.where(f"lr_decay_{unit}"),
        )
    if warmup_steps >= decay_steps:
        raise LrplotError(
            f"the warmup ({args.flag(warmup_from)}) is not shorter than the decay "
            f"({args.flag('lr_decay_' + unit)} or {args.flag('train_' + unit)}): "
            "Megatron's scheduler asserts it",
            key_path=args.where(warmup_from),
        )
    if schedule["lr_warmup_init"] > schedule.get("lr", math.inf):
        raise LrplotError(
            f"{args.flag('lr_warmup_init')} is above {args.flag('lr')}", key_path=args.where("lr_warmup_init")
        )
    if schedule["lr_decay_style"] == "WSD":
        wsd = schedule[f"lr_wsd_decay_{unit}"]
        if wsd is None:
            raise LrplotError(
                f"{args.flag('lr_decay_style')} WSD needs {args.flag('lr_wsd_decay_' + unit)} "
                "(Megatron asserts it)",
                key_path=args.where("lr_decay_style"),
            )
        wsd_steps = wsd * gbs if from_iters else wsd
        if wsd_steps <= 0 or wsd_steps > decay_steps - warmup_steps:
            raise LrplotError(
                f"{args.flag('lr_wsd_decay_' + unit)} {wsd}: the annealing must be positive and fit in the "
                "decay after the warmup",
                key_path=args.where(f"lr_wsd_decay_{unit}"),
            )
