"""fairseq's lr schedulers stepped as its trainer steps them (a driver).

The schedulers are reproduced, cited, in :mod:`lrplot.formats.fairseq_schedules` (fairseq does
not install on current Python); :class:`Trainer` makes fairseq's trainer's calls on the
optimizer lrplot records: built, ``step_update(0)``, ``lr_step(1)``, epoch 1's
``step_begin_epoch``; after each update ``step_update(num_updates)``, and at each epoch's end
``step(epoch)`` and the next epoch's ``step_begin_epoch``, each followed by ``step_update``.
"""

from __future__ import annotations

from typing import Any

from lrplot.facts import Length, Plateau, ScheduleFacts
from lrplot.formats.fairseq_schedules import SCHEDULERS, Run


class Trainer:
    """One fairseq run: ``epochs`` lists the updates of each epoch (the last one cut at max_update)."""

    lrplot_driver = True
    library = "fairseq (reproduced)"

    def __init__(
        self,
        optimizer: Any,
        scheduler: str,
        cfg: dict[str, Any],
        epochs: list[int],
        monitor: str | None = None,
    ) -> None:
        if scheduler not in SCHEDULERS:
            raise ValueError(f"scheduler {scheduler!r} is not one of {', '.join(SCHEDULERS)}")
        self.optimizer = optimizer
        self.run = Run(scheduler, cfg, list(epochs), optimizer)
        self.run.start()

    def step(self) -> None:
        """After one update."""
        self.run.update()

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """``warmup_updates`` of every scheduler that has one, ``polynomial_decay``'s end and
        ``cosine``'s restart period (``lr_period_updates`` from the warmup's end, ``t_mult``), in updates.

        One ``step()`` is one update (``step_update(num_updates)``). ``polynomial_decay`` falls
        to ``end_learning_rate`` at ``total_num_update`` (``II("optimization.max_update")``
        unless the node sets it) and stays there.
        """
        name = str(keywords.get("scheduler"))
        cfg = keywords.get("cfg") or {}
        lengths = []
        warmup = cfg.get("warmup_updates")
        if isinstance(warmup, int) and not isinstance(warmup, bool) and warmup > 0:
            lengths.append(
                Length(
                    "warmup_updates",
                    warmup,
                    "warmup",
                    target=1.0,
                    unit="update",
                    key=("cfg", "warmup_updates"),
                )
            )
        floor = None
        if name == "polynomial_decay":
            total, floor = cfg.get("total_num_update"), cfg.get("end_learning_rate")
            if isinstance(total, (int, float)) and total > 0 and float(total).is_integer():
                lengths.append(
                    Length(
                        "total_num_update", int(total), "decay", floor=float(floor or 0.0), unit="update",
                        key=("cfg", "total_num_update"),
                    )
                )  # fmt: skip
        period, t_mult = cfg.get("lr_period_updates"), cfg.get("t_mult", 1.0)
        whole_mult = isinstance(t_mult, (int, float)) and float(t_mult).is_integer() and t_mult >= 1
        if name == "cosine" and isinstance(period, (int, float)) and period > 0 and whole_mult:
            # CosineLRSchedule restarts every lr_period_updates after the warmup, each t_mult x longer
            start = warmup if isinstance(warmup, int) and warmup > 0 else 0
            lengths.append(
                Length(
                    "lr_period_updates", start + round(period), "period", unit="update",
                    key=("cfg", "lr_period_updates"), offset=start, written=period,
                    multiplier=int(t_mult), after="repeats",
                )
            )  # fmt: skip
        if name == "reduce_lr_on_plateau":
            return _plateau_facts(name, cfg, keywords.get("monitor"), tuple(lengths))
        return ScheduleFacts(name=f"fairseq's {name}", lengths=tuple(lengths))


def _plateau_facts(
    name: str, cfg: dict[str, Any], monitor: Any, lengths: tuple[Length, ...]
) -> ScheduleFacts:
    """``reduce_lr_on_plateau``: torch's ReduceLROnPlateau on ``checkpoint.best_checkpoint_metric``
    (what train.py passes to ``lr_step``), ``mode="max"`` when ``maximize_best_checkpoint_metric``
    (fairseq/optim/lr_scheduler/reduce_lr_on_plateau.py), ``factor=lr_shrink``. Its patience counts
    epochs, not the updates lrplot draws, so it is not declared."""
    shrink = cfg.get("lr_shrink")
    return ScheduleFacts(
        name=f"fairseq's {name}",
        lengths=lengths,
        plateau=Plateau(cut=float(shrink) if isinstance(shrink, (int, float)) else None, eps=1e-8),
        monitor=monitor if isinstance(monitor, str) else "loss",
        mode="max" if cfg.get("maximize_best_checkpoint_metric") else "min",
        mode_key=("cfg", "maximize_best_checkpoint_metric"),
        mode_values=(False, True),
    )
