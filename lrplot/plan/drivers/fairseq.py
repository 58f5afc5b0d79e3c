"""fairseq's lr schedulers stepped as its trainer steps them (a driver).

The schedulers are reproduced, cited, in :mod:`lrplot.formats.fairseq_schedules` (fairseq does
not install on current Python); :class:`Trainer` makes fairseq's trainer's calls on the
optimizer lrplot records: built, ``step_update(0)``, ``lr_step(1)``, epoch 1's
``step_begin_epoch``; after each update ``step_update(num_updates)``, and at each epoch's end
``step(epoch)`` and the next epoch's ``step_begin_epoch``, each followed by ``step_update``.
"""

from __future__ import annotations

from typing import Any

from lrplot.formats.fairseq_schedules import SCHEDULERS, Run


class Trainer:
    """One fairseq run: ``epochs`` lists the updates of each epoch (the last one cut at max_update)."""

    lrplot_driver = True
    library = "fairseq (reproduced)"

    def __init__(self, optimizer: Any, scheduler: str, cfg: dict[str, Any], epochs: list[int]) -> None:
        if scheduler not in SCHEDULERS:
            raise ValueError(f"scheduler {scheduler!r} is not one of {', '.join(SCHEDULERS)}")
        self.optimizer = optimizer
        self.run = Run(scheduler, cfg, list(epochs), optimizer)
        self.run.start()

    def step(self) -> None:
        """After one update."""
        self.run.update()
