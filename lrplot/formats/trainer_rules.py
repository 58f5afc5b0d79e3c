"""How many optimizer steps a Hugging Face Trainer run has, version by version.

The arithmetic of the installed transformers' ``Trainer``: the same formulas, order and
rounding, read from its source (line numbers are transformers 5.24.0's unless a version
is named; docs/formats/huggingface.md has the history). Torch-free: the format layer
only reads the installed version (``importlib.metadata``), never imports transformers.

- dataloader length with W processes: accelerate's ``BatchSamplerShard.__len__``
  (the Trainer's dataloader goes through ``accelerator.prepare``);
- ``num_update_steps_per_epoch``: ceil since 4.52.0 (PR #37923, issue #37777), floor
  before (issue #36297: runs then stopped early), trainer.py 2522-2526;
- ``max_steps = ceil(num_train_epochs * num_update_steps_per_epoch)`` when epoch based
  (``max_steps < 0`` since 4.49, ``<= 0`` before), trainer.py 2511, 2529;
- warmup: ``TrainingArguments.get_warmup_steps`` (training_args.py 2154-2161): a
  ``warmup_steps`` below 1 is a ratio rounded up (5.x); ``warmup_ratio`` overrode it in
  5.0-5.14 and was removed in 5.15; in 4.x ``warmup_steps`` won when > 0, else
  ``ceil(N * warmup_ratio)``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainerRules:
    """The run-length rules of one transformers version."""

    version: str
    ceil_update_steps: bool  # >= 4.52.0
    zero_max_steps_is_steps: bool  # >= 4.49.0: max_steps 0 is not "use epochs"
    warmup: str  # "4.x" (< 5.0), "alias" (5.0-5.14: warmup_ratio overrides), "5.x" (>= 5.15)
    deepspeed_warmup_at_least_one: bool  # >= 5.18.0: DeepSpeed warmup_num_steps auto -> max(1, ...)

    @property
    def update_steps_rule(self) -> str:
        operation = "ceil" if self.ceil_update_steps else "floor"
        return f"steps per epoch = max({operation}(batches / gradient_accumulation_steps), 1)"


def installed_transformers() -> str | None:
    """The installed transformers version, or None (importlib.metadata, ~10 ms, only when asked)."""
    from importlib import metadata

    try:
        return metadata.version("transformers")
    except metadata.PackageNotFoundError:
        return None


def rules_for(version: str) -> TrainerRules:
    """The rules of ``version`` (``"5.24.0"``, ``"4.51.3"``, ``"5.0.0.dev0"``).

    >>> rules_for("4.51.3").ceil_update_steps, rules_for("4.52.0").ceil_update_steps
    (False, True)
    >>> [rules_for(v).warmup for v in ("4.57.6", "5.14.1", "5.15.0")]
    ['4.x', 'alias', '5.x']
    """
    found = re.match(r"(\d+)\.(\d+)", version)
    major, minor = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    at_least = (major, minor).__ge__
    warmup = "4.x" if not at_least((5, 0)) else "alias" if not at_least((5, 15)) else "5.x"
    return TrainerRules(
        version=version,
        ceil_update_steps=at_least((4, 52)),
        zero_max_steps_is_steps=at_least((4, 49)),
        warmup=warmup,
        deepspeed_warmup_at_least_one=at_least((5, 18)),
    )


def dataloader_length(examples: int, batch_size: int, world_size: int, drop_last: bool) -> int:
    """Batches one process sees per epoch (accelerate's ``BatchSamplerShard``, even_batches).

    >>> dataloader_length(91, 10, 2, False), dataloader_length(91, 10, 2, True)
    (5, 4)
    """
    batches = examples // batch_size if drop_last else math.ceil(examples / batch_size)
    if world_size == 1 or batches % world_size == 0:
        return batches // world_size
    return batches // world_size + (0 if drop_last else 1)


def update_steps_per_epoch(batches: int, accumulation: int, rules: TrainerRules) -> int:
    """Optimizer steps per epoch (``num_update_steps_per_epoch``).

    >>> update_steps_per_epoch(5, 2, rules_for("4.48.3")), update_steps_per_epoch(5, 2, rules_for("5.0.0"))
    (2, 3)
    """
    steps = batches // accumulation
    if rules.ceil_update_steps:
        steps += int(batches % accumulation > 0)
    return max(steps, 1)


def is_epoch_based(max_steps: int, rules: TrainerRules) -> bool:
    """Whether the run's length comes from ``num_train_epochs``."""
    return max_steps < 0 if rules.zero_max_steps_is_steps else max_steps <= 0


def total_steps(max_steps: int, epochs: float, steps_per_epoch: int, rules: TrainerRules) -> int:
    """The run's optimizer steps (the Trainer's ``max_steps``)."""
    return math.ceil(epochs * steps_per_epoch) if is_epoch_based(max_steps, rules) else max_steps


def warmup_steps(steps: float, ratio: float | None, total: int, rules: TrainerRules) -> float:
    """``get_warmup_steps(total)`` for the given ``warmup_steps`` and ``warmup_ratio``.

    >>> rules = rules_for("5.24.0")
    >>> warmup_steps(0.1, None, 37, rules), warmup_steps(5, None, 37, rules)
    (4, 5)
    >>> warmup_steps(5, 0.1, 37, rules_for("4.57.6")), warmup_steps(5, 0.1, 37, rules_for("5.3.0"))
    (5, 4)
    """
    if rules.warmup == "4.x":
        return steps if steps > 0 else math.ceil(total * (ratio or 0.0))  # passed unchanged
    if ratio is not None:  # 5.0-5.14: __post_init__ sets warmup_steps = warmup_ratio
        steps = ratio
    return int(steps) if steps >= 1 else math.ceil(total * steps)


def epochs_run(total: int, steps_per_epoch: int) -> float:
    """How many epochs the run covers (a fraction when it stops inside one)."""
    return total / steps_per_epoch
