"""torchtitan's learning-rate schedule: linear warmup, stable, then linear / sqrt / cosine decay (a driver).

Reproduced from pytorch/torchtitan, torchtitan/components/lr_scheduler.py at
238fa9953e4aec2a62582121564273d7cbb1e9f1 (2026-02, the last commit whose train configs are
TOML files): ``build_lr_schedulers`` and its inner ``linear_warmup_stable_decay``, wrapped in
torch's ``LambdaLR`` as torchtitan does. torchtitan's trainer calls ``optimizers.step()`` then
``lr_schedulers.step()`` once per training step, ``training.steps`` times (torchtitan/train.py),
which is what :class:`WarmupStableDecay`'s ``step()`` does.

History that changes the curve: before e7c0cae934df (2025-06-11) warmup and decay divided by
``warmup_steps + 1`` and ``decay_steps + 1`` and had no virtual last step; 881f0ca46 (2025-07-30)
renamed ``lr_min`` to ``min_lr_factor``; 40b54e47f (2026-02-06) added ``total_steps``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from lrplot.facts import Length, ScheduleFacts, TrainerWarning

DECAY_TYPES = ("linear", "sqrt", "cosine")


class WarmupStableDecay:
    """torchtitan's ``build_lr_schedulers``: the phase lengths, then a ``LambdaLR`` of the schedule."""

    lrplot_driver = True

    def __init__(
        self,
        optimizer: Any,
        training_steps: int,
        warmup_steps: int = 200,
        decay_ratio: float | None = None,
        decay_type: str = "linear",
        min_lr_factor: float = 0.0,
        total_steps: int | None = None,
    ) -> None:
        from torch.optim.lr_scheduler import LambdaLR

        # Use total_steps from config if set, otherwise fall back to training_steps
        total_steps = total_steps if total_steps is not None else training_steps
        warmup_steps, decay_steps, _ = _phases(total_steps, int(warmup_steps), decay_ratio)
        # Add a virtual last step to prevent the learning rate from dropping to 0
        stable_steps = total_steps + 1 - warmup_steps - decay_steps
        lr_lambda = functools.partial(
            linear_warmup_stable_decay,
            warmup_steps=warmup_steps,
            stable_steps=stable_steps,
            decay_steps=decay_steps,
            lr_decay_type=decay_type,
            min_lr_factor=min_lr_factor,
        )
        self.optimizer = optimizer
        self.scheduler = LambdaLR(optimizer, lr_lambda)

    def step(self) -> None:
        """The trainer's ``lr_schedulers.step()`` after ``optimizers.step()``."""
        self.scheduler.step()

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """Warmup end, decay end and floor (``min_lr_factor``), and the adjustments torchtitan logs."""
        training_steps = int(keywords["training_steps"])
        total_steps = keywords.get("total_steps")
        total = int(total_steps) if total_steps is not None else training_steps
        warmup = int(keywords.get("warmup_steps", 200))
        _, _, said = _phases(total, warmup, keywords.get("decay_ratio"))
        factor = float(keywords.get("min_lr_factor", 0.0))
        lengths = [Length("warmup_steps", min(warmup, total), "warmup", target=1.0)] if warmup > 0 else []
        length_key = "total_steps" if total_steps is not None else "training_steps"
        lengths.append(Length(length_key, total, "decay", target=factor))
        return ScheduleFacts(
            name="torchtitan",
            floor_factor=factor,
            floor_key=("min_lr_factor",),
            lengths=tuple(lengths),
            warnings=tuple(said),
        )


def _phases(total_steps: int, warmup_steps: int, decay_ratio: float | None) -> tuple[int, int, list]:
    """Warmup and decay lengths as ``build_lr_schedulers`` adjusts them, and what it logs doing so."""
    said = []
    if warmup_steps > total_steps:
        said.append(
            TrainerWarning(
                f"Warmup steps ({warmup_steps}) exceed total steps ({total_steps}). "
                f"Adjusting warmup steps to {total_steps}.",
                key=("warmup_steps",),
                fix_value=total_steps // 10 or 1,
            )
        )
        warmup_steps = total_steps
    if decay_ratio is not None:
        decay_steps = round(total_steps * decay_ratio)
        if warmup_steps + decay_steps > total_steps:
            said.append(
                TrainerWarning(
                    f"Warmup ({warmup_steps}) + decay ({decay_steps}) steps exceed "
                    f"total steps ({total_steps}). "
                    f"Adjusting decay steps to {total_steps - warmup_steps}.",
                    key=("decay_ratio",),
                )
            )
            decay_steps = total_steps - warmup_steps
    else:
        decay_steps = total_steps - warmup_steps
    return warmup_steps, decay_steps, said


def linear_warmup_stable_decay(
    current_step: int,
    warmup_steps: int,
    stable_steps: int,
    decay_steps: int,
    lr_decay_type: str,
    min_lr_factor: float,
) -> float:
    """The LambdaLR factor at ``current_step``: the same arithmetic, in the same order, as torchtitan."""
    warmup_stable_steps = warmup_steps + stable_steps
    if current_step < warmup_steps:
        # linear warmup; 0-indexed step, hence + 1 adjustments
        current_step += 1
        assert warmup_steps != 0, "warmup_steps must not be zero to reach this branch"
        curr_adjustment = float(current_step / warmup_steps)
    elif current_step < warmup_stable_steps:
        curr_adjustment = 1.0
    else:
        # 0-indexed step, hence + 1 adjustments
        current_step += 1
        assert decay_steps != 0, "decay_steps must not be zero to reach this branch"
        progress = float(current_step - warmup_stable_steps) / decay_steps
        if lr_decay_type == "linear":
            curr_adjustment = 1 - progress
        elif lr_decay_type == "sqrt":
            curr_adjustment = 1 - math.sqrt(progress)
        elif lr_decay_type == "cosine":
            curr_adjustment = 0.5 * (1.0 + math.cos(math.pi * progress))
        else:
            raise ValueError(f"Unknown lr_decay_type: {lr_decay_type}")
        curr_adjustment = min_lr_factor + (1 - min_lr_factor) * curr_adjustment
    return curr_adjustment
