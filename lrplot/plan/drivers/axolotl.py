"""axolotl's own schedules, re-implemented from its source (axolotl is too heavy to install).

Faithful copies of the functions in axolotl-ai-cloud/axolotl
``src/axolotl/utils/schedulers.py`` at commit 067b021c8b87a9e5e380b9173c704cf7340e30f5
(RexLR lines 12-85, cosine with quadratic warmup 127-179, cosine with min lr 182-219,
cosine with warmup, decay and constant 222-296), same arithmetic in the same order so the
values are bit-identical. ``SchedulerMixin.create_scheduler``
(src/axolotl/core/trainers/mixins/scheduler.py 27-152) picks one and the Hugging Face
Trainer steps it once per optimizer step, as lrplot's loop does.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from torch.optim.lr_scheduler import LambdaLR, LRScheduler

from lrplot.facts import Length, ScheduleFacts

SCHEDULES = ("cosine_min_lr", "cosine_warmup_decay_constant", "cosine_quadratic_warmup", "rex")


def _cosine_quadratic_warmup(
    step: int, *, num_warmup_steps: int, num_training_steps: int, num_cycles: float
) -> float:
    if step < num_warmup_steps:
        return (float(step) / float(max(1, num_warmup_steps))) ** 2
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))


def _cosine_min_lr(
    step: int, *, num_warmup_steps: int, num_training_steps: int, min_lr_ratio: float
) -> float:
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    scaling = 0.5 * (1.0 + math.cos(math.pi * progress))
    return (1 - min_lr_ratio) * scaling + min_lr_ratio


def _cosine_warmup_decay_constant(
    step: int,
    *,
    num_warmup_steps: int,
    num_training_steps: int,
    constant_lr_ratio: float,
    min_lr_ratio: float,
    num_cycles: float,
) -> float:
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    num_constant_steps = int(num_training_steps * constant_lr_ratio)
    step = min(step, num_constant_steps)
    progress = float(step - num_warmup_steps) / float(max(1, num_constant_steps - num_warmup_steps))
    return (
        max(0, (1 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
        + min_lr_ratio
    )


class RexLR(LRScheduler):
    """Reflected exponential decay with linear warmup (axolotl's RexLR, arXiv 2107.04197)."""

    def __init__(
        self,
        optimizer: Any,
        max_lr: float,
        min_lr: float,
        total_steps: int = 0,
        num_warmup_steps: int = 0,
        last_step: int = 0,
    ) -> None:
        if min_lr > max_lr:
            raise ValueError(f"min_lr ({min_lr}) must not exceed max_lr ({max_lr})")
        if num_warmup_steps > total_steps:
            raise ValueError(
                f"num_warmup_steps ({num_warmup_steps}) must not exceed total_steps ({total_steps})"
            )
        self.min_lr, self.max_lr = min_lr, max_lr
        self.total_steps, self.num_warmup_steps = total_steps, num_warmup_steps
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        super().__init__(optimizer, last_epoch=max(last_step - 1, 0))

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if 1 <= step <= self.num_warmup_steps:
            return [base_lr * step / self.num_warmup_steps for base_lr in self.base_lrs]
        step_after = step - self.num_warmup_steps
        remaining_steps = self.total_steps - self.num_warmup_steps
        if step_after >= remaining_steps or step_after == -1 or remaining_steps <= 0:
            return [self.min_lr for _ in self.base_lrs]
        mod_iter = step_after % remaining_steps
        z = (remaining_steps - mod_iter) / remaining_steps
        rex_factor = self.min_lr / self.max_lr + (1.0 - self.min_lr / self.max_lr) * (z / (0.1 + 0.9 * z))
        return [base_lr * rex_factor for base_lr in self.base_lrs]


class AxolotlScheduler:
    """One of axolotl's schedules on the optimizer, stepped once per optimizer step."""

    lrplot_driver = True

    def __init__(
        self,
        optimizer: Any,
        schedule: str,
        num_warmup_steps: int,
        num_training_steps: int,
        min_lr_ratio: float = 0.0,
        constant_lr_ratio: float = 1.0,
        max_lr: float | None = None,
    ) -> None:
        common = {"num_warmup_steps": num_warmup_steps, "num_training_steps": num_training_steps}
        if schedule == "cosine_min_lr":
            self.scheduler: Any = LambdaLR(
                optimizer, partial(_cosine_min_lr, **common, min_lr_ratio=min_lr_ratio)
            )
        elif schedule == "cosine_warmup_decay_constant":
            function = partial(
                _cosine_warmup_decay_constant,
                **common,
                constant_lr_ratio=constant_lr_ratio,
                min_lr_ratio=min_lr_ratio,
                num_cycles=0.5,
            )
            self.scheduler = LambdaLR(optimizer, function, -1)
        elif schedule == "cosine_quadratic_warmup":
            self.scheduler = LambdaLR(
                optimizer, partial(_cosine_quadratic_warmup, **common, num_cycles=0.5), -1
            )
        elif schedule == "rex":
            peak = max_lr if max_lr is not None else optimizer.param_groups[0]["lr"]
            self.scheduler = RexLR(
                optimizer,
                max_lr=peak,
                min_lr=peak * min_lr_ratio,
                total_steps=num_training_steps,
                num_warmup_steps=num_warmup_steps,
            )
        else:
            raise ValueError(f"unknown axolotl schedule {schedule!r} ({', '.join(SCHEDULES)})")

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """Warmup end, decay end and floor (``min_lr_ratio`` x the peak) of axolotl's schedules.

        Past ``num_training_steps`` the cosines go on along the cosine (``progress`` > 1), so
        they climb back; RexLR holds its last value."""
        schedule = str(keywords.get("schedule"))
        warmup, total = keywords.get("num_warmup_steps"), keywords.get("num_training_steps")
        lengths = []
        if isinstance(warmup, int) and warmup > 0:
            lengths.append(Length("num_warmup_steps", warmup, "warmup", target=1.0))
        ratio = keywords.get("min_lr_ratio", 0.0)
        ratio = float(ratio) if isinstance(ratio, (int, float)) else 0.0
        if schedule == "cosine_warmup_decay_constant":
            pass  # decays to a constant on purpose (constant_lr_ratio): no length the run must fit
        elif isinstance(total, int) and total > 0:
            after = "flat" if schedule == "rex" else "climbs"
            lengths.append(Length("num_training_steps", total, "decay", target=ratio, after=after))
        return ScheduleFacts(
            name=f"axolotl's {schedule}",
            floor_factor=ratio if ratio else None,
            floor_key=("min_lr_ratio",) if "min_lr_ratio" in keywords else None,
            lengths=tuple(lengths),
        )

    def step(self) -> None:
        """The Trainer's ``lr_scheduler.step()`` after each optimizer step."""
        self.scheduler.step()

    def get_last_lr(self) -> list[float]:
        return self.scheduler.get_last_lr()
