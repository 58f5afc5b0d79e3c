"""fairseq's lr schedulers and its trainer's calls to them, reproduced (fairseq does not install here).

Reproduced from facebookresearch/fairseq at commit 3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99,
``fairseq/optim/lr_scheduler/``: ``fairseq_lr_scheduler.py`` (``FairseqLRScheduler``),
``tri_stage_lr_scheduler.py``, ``inverse_square_root_schedule.py``,
``polynomial_decay_schedule.py``, ``cosine_lr_scheduler.py``, ``fixed_schedule.py``,
``step_lr_scheduler.py`` and ``reduce_lr_on_plateau.py``: the same arithmetic in the same
order, on an optimizer that has fairseq's ``FairseqOptimizer.get_lr``/``set_lr``
(``fairseq/optim/fairseq_optimizer.py``: the first group's lr; every group set alike). The
config dataclasses' defaults are :data:`DEFAULTS`. The tests compare every update's lr with a
recording of those real files (``tools/record_fairseq.py``).

:func:`run` makes the calls fairseq's trainer makes (``fairseq/trainer.py`` and
``fairseq_cli/train.py``, same commit): ``_build_optimizer`` builds the scheduler and calls
``step_update(0)``; ``checkpoint_utils.load_checkpoint`` calls ``lr_step(1)`` (``step(1)``
then ``step_update(num_updates)``); each epoch starts with ``begin_epoch`` (``step_begin_epoch``
then ``step_update``), each update ends with ``set_num_updates`` (``step_update(num_updates)``)
and each finished epoch with ``lr_step(epoch, val_loss)``; ``train.py`` stops before an epoch
whose starting lr is ``<= stop_min_lr`` and once ``num_updates >= max_update``.

This module is plain Python (no torch): the format uses it to find where such a stop falls,
and the driver :mod:`lrplot.plan.drivers.fairseq` steps it on the optimizer lrplot records.
It is longer than the others on purpose: seven schedulers copied statement for statement, kept
in one file so that each reads side by side with its fairseq file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator
from types import SimpleNamespace
from typing import Any

# Each scheduler's dataclass fields and defaults (``lr`` and ``max_update`` are
# ``II("optimization.lr")`` / ``II("optimization.max_update")``: filled by the format).
DEFAULTS: dict[str, dict[str, Any]] = {
    "tri_stage": {
        "warmup_steps": 0, "hold_steps": 0, "decay_steps": 0, "phase_ratio": None,
        "init_lr_scale": 0.01, "final_lr_scale": 0.01, "max_update": None, "lr": None,
    },
    "inverse_sqrt": {"warmup_updates": 4000, "warmup_init_lr": -1, "lr": None},
    "polynomial_decay": {
        "warmup_updates": 0, "force_anneal": None, "end_learning_rate": 0.0, "power": 1.0,
        "total_num_update": None, "lr": None,
    },
    "cosine": {
        "warmup_updates": 0, "warmup_init_lr": -1, "lr": None, "min_lr": 0.0, "t_mult": 1.0,
        "lr_period_updates": -1, "lr_shrink": 0.1, "max_update": None,
    },
    "fixed": {"force_anneal": None, "lr_shrink": 0.1, "warmup_updates": 0, "lr": None},
    "step": {
        "warmup_updates": 0, "warmup_init_lr": -1, "lr": None, "min_lr": 0.0,
        "lr_deacy_period": 25000, "lr_decay": 0.5,
    },
    "reduce_lr_on_plateau": {
        "lr_shrink": 0.1, "lr_threshold": 1e-4, "lr_patience": 0, "warmup_updates": 0,
        "warmup_init_lr": -1, "lr": None, "maximize_best_checkpoint_metric": False,
    },
}  # fmt: skip
# Fields typed int / float in the dataclasses (OmegaConf converts strings such as "1e-07").
INTEGERS = {"warmup_steps", "hold_steps", "decay_steps", "warmup_updates", "force_anneal",
            "lr_deacy_period", "lr_patience"}  # fmt: skip
FLOATS = {"init_lr_scale", "final_lr_scale", "max_update", "warmup_init_lr", "end_learning_rate", "power",
          "total_num_update", "min_lr", "t_mult", "lr_period_updates", "lr_shrink", "lr_decay",
          "lr_threshold"}  # fmt: skip


class Groups:
    """A stand-in optimizer for :func:`run` without torch: ``param_groups`` of lrs only."""

    def __init__(self, count: int = 1) -> None:
        self.param_groups: list[dict[str, Any]] = [{"lr": 0.0} for _ in range(count)]


class FairseqOptimizer:
    """``FairseqOptimizer.get_lr``/``set_lr`` over a torch optimizer's (or :class:`Groups`') groups."""

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer

    def get_lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def set_lr(self, lr: float) -> None:
        for param_group in self.optimizer.param_groups:
            param_group["lr"] = lr


class FairseqLRScheduler:
    """``fairseq_lr_scheduler.FairseqLRScheduler``: what every scheduler inherits."""

    def __init__(self, cfg: Any, optimizer: FairseqOptimizer) -> None:
        self.cfg = cfg
        self.optimizer = optimizer
        self.best: float | None = None

    def step_begin_epoch(self, epoch: int) -> Any:
        pass

    def step(self, epoch: int, val_loss: float | None = None) -> Any:
        if val_loss is not None:
            self.best = val_loss if self.best is None else min(self.best, val_loss)

    def step_update(self, num_updates: int) -> float:
        return self.optimizer.get_lr()


class TriStageLRSchedule(FairseqLRScheduler):
    """``tri_stage``: linear warmup from ``init_lr_scale * lr``, hold, exponential decay, final."""

    def __init__(self, cfg: Any, optimizer: FairseqOptimizer) -> None:
        super().__init__(cfg, optimizer)
        if len(cfg.lr) > 1:
            raise ValueError(
                "Cannot use a fixed learning rate schedule with tri-stage lr."
                " Consider --lr-scheduler=fixed instead."
            )
        self.peak_lr = cfg.lr[0]
        self.init_lr = cfg.init_lr_scale * cfg.lr[0]
        self.final_lr = cfg.final_lr_scale * cfg.lr[0]
        if cfg.phase_ratio is not None:
            assert cfg.max_update > 0
            assert sum(cfg.phase_ratio) == 1, "phase ratios must add up to 1"
            self.warmup_steps = int(cfg.max_update * cfg.phase_ratio[0])
            self.hold_steps = int(cfg.max_update * cfg.phase_ratio[1])
            self.decay_steps = int(cfg.max_update * cfg.phase_ratio[2])
        else:
            self.warmup_steps = cfg.warmup_steps
            self.hold_steps = cfg.hold_steps
            self.decay_steps = cfg.decay_steps
        assert self.warmup_steps + self.hold_steps + self.decay_steps > 0, (
            "please specify steps or phase_ratio"
        )
        self.warmup_rate = (self.peak_lr - self.init_lr) / self.warmup_steps if self.warmup_steps != 0 else 0
        self.decay_factor = -math.log(cfg.final_lr_scale) / self.decay_steps
        self.lr = self.init_lr
        self.optimizer.set_lr(self.lr)

    def _decide_stage(self, update_step: int) -> tuple[int, int]:
        if update_step < self.warmup_steps:
            return 0, update_step
        offset = self.warmup_steps
        if update_step < offset + self.hold_steps:
            return 1, update_step - offset
        offset += self.hold_steps
        if update_step <= offset + self.decay_steps:
            return 2, update_step - offset
        offset += self.decay_steps
        return 3, update_step - offset

    def step(self, epoch: int, val_loss: float | None = None) -> float:
        super().step(epoch, val_loss)
        return self.optimizer.get_lr()

    def step_update(self, num_updates: int) -> float:
        stage, steps_in_stage = self._decide_stage(num_updates)
        if stage == 0:
            self.lr = self.init_lr + self.warmup_rate * steps_in_stage
        elif stage == 1:
            self.lr = self.peak_lr
        elif stage == 2:
            self.lr = self.peak_lr * math.exp(-self.decay_factor * steps_in_stage)
        elif stage == 3:
            self.lr = self.final_lr
        else:
            raise ValueError("Undefined stage")
        self.optimizer.set_lr(self.lr)
        return self.lr


class InverseSquareRootSchedule(FairseqLRScheduler):
    """``inverse_sqrt``: linear warmup to ``lr``, then ``lr * sqrt(warmup_updates / num_updates)``."""

    def __init__(self, cfg: Any, optimizer: FairseqOptimizer) -> None:
        super().__init__(cfg, optimizer)
        if isinstance(cfg.lr, Collection) and len(cfg.lr) > 1:
            raise ValueError(
                "Cannot use a fixed learning rate schedule with inverse_sqrt."
                " Consider --lr-scheduler=fixed instead."
            )
        warmup_end_lr = cfg.lr[0] if isinstance(cfg.lr, Collection) else cfg.lr
        if cfg.warmup_init_lr < 0:
            cfg.warmup_init_lr = 0 if cfg.warmup_updates > 0 else warmup_end_lr
        self.lr_step = (warmup_end_lr - cfg.warmup_init_lr) / cfg.warmup_updates
        self.decay_factor = warmup_end_lr * cfg.warmup_updates**0.5
        self.lr = cfg.warmup_init_lr
        self.optimizer.set_lr(self.lr)

    def step(self, epoch: int, val_loss: float | None = None) -> float:
        super().step(epoch, val_loss)
        return self.optimizer.get_lr()

    def step_update(self, num_updates: int) -> float:
        if num_updates < self.cfg.warmup_updates:
            self.lr = self.cfg.warmup_init_lr + num_updates * self.lr_step
        else:
            self.lr = self.decay_factor * num_updates**-0.5
        self.optimizer.set_lr(self.lr)
        return self.lr


class PolynomialDecayLRSchedule(FairseqLRScheduler):
    """``polynomial_decay``: linear warmup, then ``(lr - end) * remaining**power + end``."""

    def __init__(self, cfg: Any, optimizer: FairseqOptimizer) -> None:
        super().__init__(cfg, optimizer)
        assert cfg.total_num_update > 0
        self.lr = cfg.lr[0]
        if cfg.warmup_updates > 0:
            self.warmup_factor = 1.0 / cfg.warmup_updates
        else:
            self.warmup_factor = 1
        self.end_learning_rate = cfg.end_learning_rate
        self.total_num_update = cfg.total_num_update
        self.power = cfg.power
        self.optimizer.set_lr(self.warmup_factor * self.lr)

    def get_next_lr(self, epoch: int) -> float:
        lrs = self.cfg.lr
        if self.cfg.force_anneal is None or epoch < self.cfg.force_anneal:
            next_lr = lrs[min(epoch, len(lrs) - 1)]
        else:
            next_lr = self.optimizer.get_lr()
        return next_lr

    def step_begin_epoch(self, epoch: int) -> float:
        self.lr = self.get_next_lr(epoch)
        self.optimizer.set_lr(self.warmup_factor * self.lr)
        return self.optimizer.get_lr()

    def step_update(self, num_updates: int) -> float:
        if self.cfg.warmup_updates > 0 and num_updates <= self.cfg.warmup_updates:
            self.warmup_factor = num_updates / float(self.cfg.warmup_updates)
            lr = self.warmup_factor * self.lr
        elif num_updates >= self.total_num_update:
            lr = self.end_learning_rate
        else:
            warmup = self.cfg.warmup_updates
            lr_range = self.lr - self.end_learning_rate
            pct_remaining = 1 - (num_updates - warmup) / (self.total_num_update - warmup)
            lr = lr_range * pct_remaining ** (self.power) + self.end_learning_rate
        self.optimizer.set_lr(lr)
        return self.optimizer.get_lr()


class CosineLRSchedule(FairseqLRScheduler):
    """``cosine``: linear warmup, then cosine periods (``lr_period_updates``, grown by ``t_mult``)."""

    def __init__(self, cfg: Any, fairseq_optimizer: FairseqOptimizer) -> None:
        super().__init__(cfg, fairseq_optimizer)
        if isinstance(cfg.lr, Collection) and len(cfg.lr) > 1:
            raise ValueError(
                "Cannot use a fixed learning rate schedule with cosine."
                f" Consider --lr-scheduler=fixed instead. ({cfg.lr})"
            )
        self.max_lr = cfg.lr[0] if isinstance(cfg.lr, Collection) else cfg.lr
        if self.max_lr < cfg.min_lr:
            cfg.min_lr = self.max_lr
        warmup_end_lr = self.max_lr
        if cfg.warmup_init_lr < 0:
            cfg.warmup_init_lr = cfg.min_lr
        self.t_mult = cfg.t_mult
        self.period = cfg.lr_period_updates
        if self.period <= 0:
            assert cfg.max_update > 0, "Either --max_update or --lr-period-updates must be set"
            self.period = cfg.max_update - cfg.warmup_updates
        if cfg.warmup_updates > 0:
            self.lr_step = (warmup_end_lr - cfg.warmup_init_lr) / cfg.warmup_updates
        else:
            self.lr_step = 1
        self.warmup_updates = cfg.warmup_updates
        self.lr_shrink = cfg.lr_shrink
        self.lr = cfg.warmup_init_lr
        self.optimizer.set_lr(self.lr)

    def step(self, epoch: int, val_loss: float | None = None) -> float:
        super().step(epoch, val_loss)
        return self.optimizer.get_lr()

    def step_update(self, num_updates: int) -> float:
        if num_updates < self.cfg.warmup_updates:
            self.lr = self.cfg.warmup_init_lr + num_updates * self.lr_step
        else:
            curr_updates = num_updates - self.cfg.warmup_updates
            if self.t_mult != 1:
                i = math.floor(math.log(1 - curr_updates / self.period * (1 - self.t_mult), self.t_mult))
                t_i = self.t_mult**i * self.period
                t_curr = curr_updates - (1 - self.t_mult**i) / (1 - self.t_mult) * self.period
            else:
                i = math.floor(curr_updates / self.period)
                t_i = self.period
                t_curr = curr_updates - (self.period * i)
            lr_shrink = self.lr_shrink**i
            min_lr = self.cfg.min_lr * lr_shrink
            max_lr = self.max_lr * lr_shrink
            self.lr = min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * t_curr / t_i))
        self.optimizer.set_lr(self.lr)
        return self.lr


class FixedLRSchedule(FairseqLRScheduler):
    """``fixed``: ``lr[epoch - 1]`` per epoch (annealed by ``lr_shrink`` from ``force_anneal``)."""

    def __init__(self, cfg: Any, optimizer: FairseqOptimizer) -> None:
        super().__init__(cfg, optimizer)
        self.lr = cfg.lr[0]
        if cfg.warmup_updates > 0:
            self.warmup_factor = 1.0 / cfg.warmup_updates
        else:
            self.warmup_factor = 1

    def get_next_lr(self, epoch: int) -> float:
        lrs = self.cfg.lr
        if self.cfg.force_anneal is None or epoch < self.cfg.force_anneal:
            next_lr = lrs[min(epoch - 1, len(lrs) - 1)]
        else:
            next_lr = lrs[-1] * self.cfg.lr_shrink ** (epoch + 1 - self.cfg.force_anneal)
        return next_lr

    def step_begin_epoch(self, epoch: int) -> float:
        self.lr = self.get_next_lr(epoch)
        self.optimizer.set_lr(self.warmup_factor * self.lr)
        return self.optimizer.get_lr()

    def step_update(self, num_updates: int) -> float:
        if self.cfg.warmup_updates > 0 and num_updates < self.cfg.warmup_updates:
            self.warmup_factor = (num_updates + 1) / float(self.cfg.warmup_updates)
            self.optimizer.set_lr(self.warmup_factor * self.lr)
        else:
            self.optimizer.set_lr(self.lr)
        return self.optimizer.get_lr()


class StepLRSchedule(FairseqLRScheduler):
    """``step``: linear warmup, then ``lr * lr_decay ** (updates // lr_deacy_period)`` (sic)."""

    def __init__(self, cfg: Any, fairseq_optimizer: FairseqOptimizer) -> None:
        super().__init__(cfg, fairseq_optimizer)
        self.max_lr = cfg.lr[0] if isinstance(cfg.lr, Collection) else cfg.lr
        self.min_lr = cfg.min_lr
        self.lr_deacy_period = cfg.lr_deacy_period
        self.lr_decay = cfg.lr_decay
        self.warmup_updates = cfg.warmup_updates
        self.warmup_init_lr = cfg.warmup_init_lr if cfg.warmup_init_lr >= 0 else self.min_lr
        assert self.lr_deacy_period > 0
        assert self.lr_decay <= 1
        assert self.min_lr >= 0
        assert self.max_lr > self.min_lr
        if cfg.warmup_updates > 0:
            self.warmup_lr_step = (self.max_lr - self.warmup_init_lr) / self.warmup_updates
        else:
            self.warmup_lr_step = 1
        self.lr = self.warmup_init_lr
        self.optimizer.set_lr(self.lr)

    def step(self, epoch: int, val_loss: float | None = None) -> float:
        super().step(epoch, val_loss)
        return self.optimizer.get_lr()

    def step_update(self, num_updates: int) -> float:
        if num_updates < self.cfg.warmup_updates:
            self.lr = self.warmup_init_lr + num_updates * self.warmup_lr_step
        else:
            curr_updates = num_updates - self.cfg.warmup_updates
            lr_mult = self.lr_decay ** (curr_updates // self.lr_deacy_period)
            self.lr = max(self.max_lr * lr_mult, self.min_lr)
        self.optimizer.set_lr(self.lr)
        return self.lr


class ReduceLROnPlateauLRSchedule(FairseqLRScheduler):
    """``reduce_lr_on_plateau``: warmup, then the lr as torch's ReduceLROnPlateau leaves it.

    fairseq steps the torch scheduler with the epoch's validation loss, which lrplot cannot
    replay: this class is stepped with none, so after the warmup the lr stays (the curve of a
    run whose validation loss never plateaus); the format says so in a note.
    """

    def __init__(self, cfg: Any, optimizer: FairseqOptimizer) -> None:
        super().__init__(cfg, optimizer)
        if len(cfg.lr) > 1:
            raise ValueError(
                "Cannot use a fixed learning rate schedule with reduce_lr_on_plateau."
                " Consider --lr-scheduler=fixed instead."
            )
        self.last_epoch = 0
        warmup_end_lr = cfg.lr[0]
        if cfg.warmup_init_lr < 0:
            cfg.warmup_init_lr = 0 if cfg.warmup_updates > 0 else warmup_end_lr
        if cfg.warmup_updates > 0:
            self.lr_step = (warmup_end_lr - cfg.warmup_init_lr) / cfg.warmup_updates
        self.warmup_end = True if cfg.warmup_updates <= 0 else False  # noqa: SIM210 (as fairseq writes it)
        self.lr = warmup_end_lr if self.warmup_end else cfg.warmup_init_lr
        self.optimizer.set_lr(self.lr)

    def step(self, epoch: int, val_loss: float | None = None) -> float:
        if val_loss is not None and self.warmup_end is True:
            raise NotImplementedError("a validation loss cannot be replayed")
        self.last_epoch = epoch  # self.lr_scheduler.last_epoch = epoch
        return self.optimizer.get_lr()

    def step_update(self, num_updates: int) -> float:
        if self.cfg.warmup_updates > 0:
            if num_updates <= self.cfg.warmup_updates:
                self.lr = self.cfg.warmup_init_lr + num_updates * self.lr_step
                self.optimizer.set_lr(self.lr)
            else:
                if self.warmup_end is False:
                    self.warmup_end = True
        return self.optimizer.get_lr()


SCHEDULERS: dict[str, Callable[[Any, FairseqOptimizer], FairseqLRScheduler]] = {
    "tri_stage": TriStageLRSchedule,
    "inverse_sqrt": InverseSquareRootSchedule,
    "polynomial_decay": PolynomialDecayLRSchedule,
    "cosine": CosineLRSchedule,
    "fixed": FixedLRSchedule,
    "step": StepLRSchedule,
    "reduce_lr_on_plateau": ReduceLROnPlateauLRSchedule,
}


def build(name: str, cfg: dict[str, Any], optimizer: Any) -> FairseqLRScheduler:
    """``build_lr_scheduler(cfg.lr_scheduler, optimizer)`` on a copy of ``cfg`` (the classes change it)."""
    values = {key: list(value) if isinstance(value, (list, tuple)) else value for key, value in cfg.items()}
    return SCHEDULERS[name](SimpleNamespace(**values), FairseqOptimizer(optimizer))


class Run:
    """The trainer's calls, one update at a time: :meth:`start` then :meth:`update` per update."""

    def __init__(self, name: str, cfg: dict[str, Any], epochs: list[int], optimizer: Any) -> None:
        self.scheduler = build(name, cfg, optimizer)  # Trainer._build_optimizer
        self.scheduler.step_update(0)
        self.ends = list(_cumulative(epochs))
        self.epoch = 1
        self.num_updates = 0

    def start(self) -> float:
        """``load_checkpoint``'s ``lr_step(1)`` and epoch 1's ``begin_epoch``; the lr train.py checks."""
        checked = self._lr_step(1)
        self._begin_epoch(1)
        return checked

    def update(self) -> float | None:
        """After one update: ``set_num_updates``; at an epoch's end ``lr_step`` and the next
        ``begin_epoch``. Returns the lr train.py checks against ``stop_min_lr`` at that start."""
        self.num_updates += 1
        self.scheduler.step_update(self.num_updates)
        if self.epoch < len(self.ends) and self.num_updates == self.ends[self.epoch - 1]:
            checked = self._lr_step(self.epoch)
            self.epoch += 1
            self._begin_epoch(self.epoch)
            return checked
        return None

    def _lr_step(self, epoch: int) -> float:
        self.scheduler.step(epoch, None)
        return self.scheduler.step_update(self.num_updates)

    def _begin_epoch(self, epoch: int) -> None:
        self.scheduler.step_begin_epoch(epoch)
        self.scheduler.step_update(self.num_updates)


def _cumulative(epochs: list[int]) -> Iterator[int]:
    total = 0
    for updates in epochs:
        total += updates
        yield total


def stop_epoch(
    name: str, cfg: dict[str, Any], epochs: list[int], stop_min_lr: float
) -> tuple[int, float] | None:
    """The epoch train.py does not start (``lr <= stop_min_lr`` at its start) and that lr, or None."""
    run = Run(name, cfg, epochs, Groups())
    checked = run.start()
    if checked <= stop_min_lr:
        return 1, checked
    for _ in range(sum(epochs) - 1):
        checked_now = run.update()
        if checked_now is not None and checked_now <= stop_min_lr:
            return run.epoch, checked_now
    return None
