"""litgpt's pretraining schedule: linear warmup then cosine to ``train.min_lr``, set per iteration (a driver).

Reproduced from Lightning-AI/litgpt, litgpt/pretrain.py at 26857050fe3ff627cd714fe92f5838f51a3d5efa:
``get_lr`` (lines 463-474) and how ``fit`` uses it (lines 321-363). Before every iteration
``it`` (0-based, one micro-batch) the loop sets every param group's lr to
``get_lr(optimizer.defaults["lr"], it, warmup_iters, max_iters, train.min_lr)``; the optimizer
steps after every ``gradient_accumulation_iters``-th iteration, so optimizer step ``s`` uses the
lr set for iteration ``(s + 1) * gradient_accumulation_iters - 1``. :class:`PretrainLR` is that
loop seen one optimizer step at a time. (litgpt's finetune scripts use torch's own
SequentialLR of LambdaLR and CosineAnnealingLR, which lrplot draws natively.)
"""

from __future__ import annotations

import math
from typing import Any


def get_lr(learning_rate: float, it: int, warmup_iters: int, max_iters: int, min_lr: float) -> float:
    """Linear warmup for ``warmup_iters``, then cosine decay to ``min_lr`` at ``max_iters``."""
    # 1) linear warmup for warmup_iters steps
    if it < warmup_iters:
        return learning_rate * it / warmup_iters
    # 2) if it > max_iters, return min learning rate
    if it > max_iters:
        return min_lr
    # 3) in between, use cosine decay down to min learning rate
    decay_ratio = (it - warmup_iters) / (max_iters - warmup_iters)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # coeff ranges 0..1
    return min_lr + coeff * (learning_rate - min_lr)


class PretrainLR:
    """pretrain.py's lr setting, one optimizer step per ``step()``."""

    lrplot_driver = True

    def __init__(
        self,
        optimizer: Any,
        max_iters: int,
        warmup_iters: int,
        min_lr: float,
        gradient_accumulation_iters: int = 1,
    ) -> None:
        self.optimizer = optimizer
        self.learning_rate = optimizer.defaults["lr"]
        self.max_iters = max_iters
        self.warmup_iters = warmup_iters
        self.min_lr = min_lr
        self.accumulation = gradient_accumulation_iters
        self.step_count = 0
        self._set()

    def _set(self) -> None:
        it = (self.step_count + 1) * self.accumulation - 1
        lr = get_lr(self.learning_rate, it, self.warmup_iters, self.max_iters, self.min_lr)
        for param_group in self.optimizer.param_groups:
            param_group["lr"] = lr

    def step(self) -> None:
        self.step_count += 1
        self._set()
