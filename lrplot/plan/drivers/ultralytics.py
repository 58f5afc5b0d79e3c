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

from lrplot.facts import Length, ScheduleFacts, TrainerWarning
from lrplot.formats.ultralytics import warmup_iterations


def one_cycle(y1: float = 0.0, y2: float = 1.0, steps: int = 100) -> Any:
    """``ultralytics.utils.torch_utils.one_cycle``: a sinusoidal ramp from y1 to y2."""
    return lambda x: max((1 - math.cos(x * math.pi / steps)) / 2, 0) * (y2 - y1) + y1


class Trainer:
    """``BaseTrainer``'s lr (and momentum) per batch: ``epochs`` of ``nb`` batches, the first
    ``warmup_iterations(warmup_epochs, epochs, nb)`` of them warmup.

    ``auto`` (not read by the arithmetic): what ``optimizer: auto`` chose, for the facts, when it
    ignored an lr the file wrote: ``{"picked", "lr", "iterations", "ignored": {key: value}}``.
    """

    lrplot_driver = True
    library = "ultralytics"

    def __init__(
        self,
        optimizer: Any,
        epochs: int,
        nb: int,
        warmup_epochs: float,
        lrf: float,
        cos_lr: bool = False,
        warmup_bias_lr: float = 0.1,
        warmup_momentum: float = 0.8,
        momentum: float = 0.937,
        bias_groups: list[int] | None = None,
        momentum_warmup: bool = True,
        auto: dict[str, Any] | None = None,
    ) -> None:
        from torch.optim.lr_scheduler import LambdaLR

        self.optimizer = optimizer
        self.epochs, self.nb, self.nw = epochs, nb, warmup_iterations(warmup_epochs, epochs, nb)
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
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """The warmup (in iterations, written in epochs), the decay to ``lrf`` over ``epochs``, and
        what ``BaseTrainer`` adjusts on its own (ultralytics 8.4.190, ``ultralytics/engine/trainer.py``).

        - ``_get_warmup_iterations`` caps ``warmup_epochs`` at ``epochs - 1`` (8.4.103, PR #25321:
          before, ``max(round(warmup_epochs * nb), 100)`` iterations): a warmup as long as the
          run or longer becomes ``epochs - 1`` epochs of warmup, and a 1-epoch run has none, with
          no word. Declared as an unprinted warning, fixed by a warmup a tenth of the run (0
          for one epoch, where no warmup runs).
        - ``build_optimizer`` with ``optimizer: auto`` logs "'optimizer=auto' found, ignoring
          'lr0=...'" and picks its own optimizer and lr (and ``warmup_bias_lr`` 0): a warning
          when the file wrote an lr of its own there; only ``optimizer`` silences it.

        The decay: ``lf`` stepped once per epoch, from 1 at epoch 0 towards ``lrf`` (a share of
        each group's lr: the floor) at ``epochs``. The bias group's warmup falls from
        ``warmup_bias_lr`` to its lr while the others rise from 0: the one warmup declared
        ends at the same iteration for all three groups.
        """
        epochs, nb = int(keywords["epochs"]), int(keywords["nb"])
        written = float(keywords["warmup_epochs"])
        nw = warmup_iterations(written, epochs, nb)
        lrf = keywords.get("lrf")
        lengths = [
            Length("epochs", epochs * nb, "decay", target=float(lrf), unit="epoch", per_unit=nb)
        ] if isinstance(lrf, (int, float)) else []  # fmt: skip
        if nw:
            # the bias group starts at warmup_bias_lr (LR019 when far above its lr); 0.0 is what
            # build_optimizer's optimizer: auto sets for AdamW
            lengths.insert(0, Length("warmup_epochs", nw, "warmup", target=1.0, unit="epoch", per_unit=nb,
                                     start_key=("warmup_bias_lr",), start_fix=0.0))  # fmt: skip
        said: list[TrainerWarning] = []
        cap = max(epochs - 1, 0)
        if written > 0 and nw != round(written * nb):  # the cap changed the warmup
            if cap == 0:
                what = "no warmup runs at all"
                fix: float = 0
            else:
                what = (
                    f"it warms up for epochs - 1 = {cap} epochs ({nw:,} iterations), "
                    f"{nw / (epochs * nb):.0%} of the run, and trains the last epoch without it"
                )
                fix = max(round(epochs / 10, 2), 0.01)
            said.append(
                TrainerWarning(
                    f"warmup_epochs {written:g} > epochs - 1 = {cap} for epochs {epochs}: {what} "
                    "(_get_warmup_iterations leaves the final epoch out of the warmup)",
                    key=("warmup_epochs",),
                    fix_value=int(fix) if float(fix).is_integer() else fix,
                    printed=False,
                )
            )
        auto = keywords.get("auto")
        if isinstance(auto, dict) and auto.get("ignored"):
            ignored = dict(auto["ignored"])
            shown = " and ".join(f"{key}: {value}" for key, value in ignored.items())
            one = len(ignored) == 1
            said.append(
                TrainerWarning(
                    # build_optimizer's LOGGER.info, then what it picked, as its next line prints it
                    f"optimizer: 'optimizer=auto' found, ignoring 'lr0={auto.get('lr0')}' and determining "
                    "best 'optimizer' and 'lr0' automatically... "
                    f"{auto['picked']}(lr={auto['lr']}, momentum=0.9) for {auto['iterations']:,} iterations "
                    f"({'above' if auto['picked'] == 'MuSGD' else 'at most'} 10000), the bias warmup from 0: "
                    f"the file's {shown} {'never reaches' if one else 'never reach'} the optimizer",
                    key=("auto",),
                    suggestion=f"set optimizer: SGD (or the optimizer you mean) so that {shown} "
                    f"{'is' if one else 'are'} used",
                )
            )
        return ScheduleFacts(
            name="Ultralytics' trainer",
            floor_factor=float(lrf) if isinstance(lrf, (int, float)) else None,
            floor_key=("lrf",),
            lengths=tuple(lengths),
            stepped_in="iteration",
            warnings=tuple(said),
        )

    @classmethod
    def changes(cls, keywords: dict[str, Any]) -> set[str]:
        """The momentum warmup, where the optimizer's groups have a momentum (SGD, RMSprop)."""
        warmup = warmup_iterations(keywords.get("warmup_epochs") or 0, keywords.get("epochs") or 1,
                                   keywords.get("nb") or 1)  # fmt: skip
        return {"momentum"} if warmup and keywords.get("momentum_warmup", True) else set()

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
