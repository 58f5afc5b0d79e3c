"""Ultralytics YOLO's lr schedule: its trainer's own arithmetic, one lrplot step per training batch.

Reproduced from ``ultralytics/engine/trainer.py`` of ultralytics 8.4.190 (``BaseTrainer``),
the installed package whose ``__init__`` cannot be imported here (it needs torchvision and
OpenCV); the tests execute that file's own statements against this driver:

- ``_setup_scheduler``: ``lf = one_cycle(1, lrf, epochs)`` (``cos_lr``; ``one_cycle`` in
  ``ultralytics/utils/torch_utils.py``: ``max((1 - cos(x * pi / steps)) / 2, 0) * (y2 - y1) + y1``)
  or ``lf = max(1 - x / epochs, 0) * (1 - lrf) + lrf``, in a torch ``LambdaLR``; ``_setup_train``
  then sets ``scheduler.last_epoch = start_epoch - 1``;
- ``_do_train``: at each epoch's start ``scheduler.step()``; for each batch ``ni = i + nb * epoch``,
  while ``nw and ni <= nw`` every group's lr is ``np.interp(ni, [0, nw], [start, initial_lr *
  lf(epoch)])`` with start ``warmup_bias_lr`` for the ``bias`` group and 0.0 for the others, and
  its momentum (where the group has one) ``np.interp(ni, [0, nw], [warmup_momentum, momentum])``.

The optimizer steps every ``accumulate`` batches (``nbs`` / batch); the lr of the batches in
between is the one the next optimizer step uses, so the curve is drawn per batch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def one_cycle(y1: float = 0.0, y2: float = 1.0, steps: int = 100) -> Any:
    """``ultralytics.utils.torch_utils.one_cycle``: a sinusoidal ramp from y1 to y2."""
    return lambda x: max((1 - math.cos(x * math.pi / steps)) / 2, 0) * (y2 - y1) + y1


class Trainer:
    """``BaseTrainer``'s lr (and momentum) per batch: ``epochs`` of ``nb`` batches, ``nw`` of them warmup."""

    lrplot_driver = True
    library = "ultralytics"

    def __init__(
        self,
        optimizer: Any,
        epochs: int,
        nb: int,
        nw: int,
        lrf: float,
        cos_lr: bool = False,
        warmup_bias_lr: float = 0.1,
        warmup_momentum: float = 0.8,
        momentum: float = 0.937,
        bias_groups: list[int] | None = None,
        momentum_warmup: bool = True,
    ) -> None:
        from torch.optim.lr_scheduler import LambdaLR

        self.optimizer = optimizer
        self.epochs, self.nb, self.nw = epochs, nb, nw
        self.warmup_bias_lr, self.warmup_momentum, self.momentum = warmup_bias_lr, warmup_momentum, momentum
        self.bias = set(bias_groups or ())
        self.momentum_warmup = momentum_warmup  # False where the groups have no momentum (Adam's betas)
        if cos_lr:
            self.lf = one_cycle(1, lrf, epochs)
        else:
            self.lf = lambda x: max(1 - x / epochs, 0) * (1.0 - lrf) + lrf
        self.scheduler = LambdaLR(optimizer, lr_lambda=self.lf)
        self.scheduler.last_epoch = -1  # start_epoch - 1
        self.ni = 0
        self._batch()

    @classmethod
    def changes(cls, keywords: dict[str, Any]) -> set[str]:
        """The momentum warmup, where the optimizer's groups have a momentum (SGD, RMSprop)."""
        return {"momentum"} if keywords.get("nw") and keywords.get("momentum_warmup", True) else set()

    def _batch(self) -> None:
        """What ``_do_train`` does before batch ``ni``'s optimizer step."""
        epoch, i = divmod(self.ni, self.nb)
        if i == 0:
            self.scheduler.step()
        ni, nw = self.ni, self.nw
        if nw and ni <= nw:
            xi = [0, nw]
            for index, x in enumerate(self.optimizer.param_groups):
                start = self.warmup_bias_lr if index in self.bias else 0.0
                x["lr"] = float(np.interp(ni, xi, [start, x["initial_lr"] * self.lf(epoch)]))
                if self.momentum_warmup and "momentum" in x:
                    x["momentum"] = float(np.interp(ni, xi, [self.warmup_momentum, self.momentum]))

    def step(self) -> None:
        """The next batch."""
        self.ni += 1
        self._batch()
