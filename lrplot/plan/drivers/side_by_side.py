"""Schedulers stepped side by side on one optimizer, as a hand-written training loop does.

A common loop steps a warmup every iteration and ReduceLROnPlateau once an epoch with a
validation loss::

    warmup = LinearLR(optimizer, ...)            # built in the order listed
    plateau = ReduceLROnPlateau(optimizer, ...)
    for epoch in range(epochs):
        for batch in loader:
            ...; optimizer.step()
            warmup.step()                        # interval: step
        plateau.step(val_loss)                   # interval: epoch

torch's ChainedScheduler refuses a plateau scheduler and lrplot's ``segments`` run one
after another, so this driver does exactly that loop's calls: after each iteration every
``step`` member in the order listed, then at each epoch's end every ``epoch`` member.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

INTERVALS = ("step", "epoch")


class SideBySide:
    """Steps ``schedulers`` (already built on ``optimizer``, in the order listed) per their intervals.

    ``metrics`` holds, per scheduler, None or a source with ``value(call, step, lr)`` for
    a plateau scheduler's ``step(metric)``.
    """

    lrplot_driver = True

    def __init__(
        self,
        optimizer: Any,
        schedulers: Sequence[Any],
        intervals: Sequence[str],
        steps_per_epoch: int | None = None,
        metrics: Sequence[Any] | None = None,
    ) -> None:
        if len(intervals) != len(schedulers):
            raise ValueError(f"{len(schedulers)} schedulers but {len(intervals)} intervals")
        unknown = [interval for interval in intervals if interval not in INTERVALS]
        if unknown:
            raise ValueError(f"interval {unknown[0]!r} is not one of {', '.join(INTERVALS)}")
        if "epoch" in intervals and not steps_per_epoch:
            raise ValueError("an interval: epoch member needs steps_per_epoch")
        self.optimizer = optimizer
        self.members = list(zip(schedulers, intervals, metrics or [None] * len(schedulers), strict=True))
        self.steps_per_epoch = steps_per_epoch or 1
        self.calls = [0] * len(self.members)
        self.last_epoch = 0  # iterations done, like a scheduler's step count

    def step(self) -> None:
        """What the loop does after one iteration (and, at an epoch's end, after the epoch)."""
        step = self.last_epoch
        self.last_epoch += 1
        epoch_end = self.last_epoch % self.steps_per_epoch == 0
        for wanted in INTERVALS:
            if wanted == "epoch" and not epoch_end:
                break
            for index, (scheduler, interval, metric) in enumerate(self.members):
                if interval != wanted:
                    continue
                if metric is None:
                    scheduler.step()
                else:
                    lr = self.optimizer.param_groups[0]["lr"]
                    scheduler.step(metric.value(self.calls[index], step, lr))
                self.calls[index] += 1
