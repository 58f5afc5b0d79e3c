"""nanoGPT's learning-rate schedule, as its training script sets it.

Reproduced from karpathy/nanoGPT, ``train.py`` at commit
dc81cb368ce3e5761f298726fb3fade1b0ca5901 (``get_lr`` at lines 230-242; the loop at lines
255-260 sets every param group's lr to ``get_lr(iter_num) if decay_lr else learning_rate``
before each iteration's forward pass, and counts ``iter_num`` up after the optimizer step).
The arithmetic is written in the same order as there, so every value is the same double;
``tests/fixtures/nanogpt/reference/get_lr.py`` keeps the original function to test that.
"""

from __future__ import annotations

import math
from typing import Any

from lrplot.facts import Length, ScheduleFacts


def get_lr(it: int, learning_rate: float, warmup_iters: int, lr_decay_iters: int, min_lr: float) -> float:
    """Linear warmup over ``warmup_iters``, then cosine decay to ``min_lr`` at ``lr_decay_iters``."""
    # 1) linear warmup for warmup_iters steps
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    # 2) if it > lr_decay_iters, return min learning rate
    if it > lr_decay_iters:
        return min_lr
    # 3) in between, use cosine decay down to min learning rate
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    if not 0 <= decay_ratio <= 1:  # train.py asserts this
        raise AssertionError(f"decay_ratio {decay_ratio} outside [0, 1] at iteration {it}")
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # coeff ranges 0..1
    return min_lr + coeff * (learning_rate - min_lr)


class NanoGPTSchedule:
    """Sets every param group's lr at each iteration, as nanoGPT's train.py loop does."""

    lrplot_driver = True
    library = "nanoGPT's train.py schedule"

    def __init__(
        self,
        optimizer: Any,
        learning_rate: float,
        warmup_iters: int,
        lr_decay_iters: int,
        min_lr: float,
        decay_lr: bool = True,
        iter_num: int = 0,
    ) -> None:
        self.optimizer = optimizer
        self.settings = (learning_rate, warmup_iters, lr_decay_iters, min_lr)
        self.decay_lr = decay_lr
        self.iter_num = iter_num
        self._set_lr()

    def _set_lr(self) -> None:
        learning_rate = self.settings[0]
        lr = get_lr(self.iter_num, *self.settings) if self.decay_lr else learning_rate
        for param_group in self.optimizer.param_groups:
            param_group["lr"] = lr

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """Peak ``learning_rate``, floor ``min_lr``, warmup end and decay end (``lr_decay_iters``)."""
        if not keywords.get("decay_lr", True):
            return ScheduleFacts(name="nanoGPT", peak=float(keywords["learning_rate"]))
        floor = float(keywords["min_lr"])
        lengths = [Length("lr_decay_iters", int(keywords["lr_decay_iters"]), "decay", floor=floor)]
        if int(keywords["warmup_iters"]) > 0:
            lengths.insert(0, Length("warmup_iters", int(keywords["warmup_iters"]), "warmup", target=1.0))
        return ScheduleFacts(
            name="nanoGPT",
            peak=float(keywords["learning_rate"]),
            peak_key=("learning_rate",),
            floor=floor,
            floor_key=("min_lr",),
            lengths=tuple(lengths),
        )

    def step(self) -> None:
        """After one iteration: ``iter_num += 1``, then the next iteration sets its lr."""
        self.iter_num += 1
        self._set_lr()
