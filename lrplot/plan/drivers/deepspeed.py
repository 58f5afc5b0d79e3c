"""DeepSpeed's own schedules, stepped as DeepSpeed's engine steps them.

``DeepSpeedEngine._configure_lr_scheduler`` builds ``lr_schedules.<type>(optimizer,
**params)`` once (the constructor sets every group's lr to the value at iteration -1,
e.g. ``warmup_min_lr``); ``_take_model_step`` calls ``lr_scheduler.step()`` after each
optimizer step (engine.py 1922-1937 and 3543-3550 in 0.19.8). lrplot records the lr,
then calls :meth:`DeepSpeedScheduler.step`: the same sequence. Verified against a real
``transformers.Trainer`` + DeepSpeed run on CPU (tests/test_huggingface_oracle.py).
"""

from __future__ import annotations

import importlib
from typing import Any

from lrplot.errors import LrplotError

SCHEDULES = ("LRRangeTest", "OneCycle", "WarmupLR", "WarmupDecayLR", "WarmupCosineLR")


class DeepSpeedScheduler:
    """``deepspeed.runtime.lr_schedules.<type>`` built on the optimizer; ``step()`` as the engine."""

    lrplot_driver = True

    def __init__(self, optimizer: Any, type: str, arguments: dict[str, Any] | None = None) -> None:
        import logging

        if type not in SCHEDULES:
            raise ValueError(f"{type!r} is not one of DeepSpeed's schedules ({', '.join(SCHEDULES)})")
        schedules = _lr_schedules()
        # At iteration -1 the constructor sets the start lr and logs "Attempting to get learning
        # rate from scheduler before it has started": expected here, as in every DeepSpeed run.
        logger = logging.getLogger("DeepSpeed")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            self.scheduler = getattr(schedules, type)(optimizer, **(arguments or {}))
        finally:
            logger.setLevel(level)
        self.optimizer = optimizer

    @classmethod
    def changes(cls, keywords: dict[str, Any]) -> set[str]:
        """OneCycle cycles beta1 (``cycle_momentum``, on by default) for optimizers with betas."""
        arguments = keywords.get("arguments") or {}
        cycles = keywords.get("type") == "OneCycle" and arguments.get("cycle_momentum", True)
        return {"momentum"} if cycles else set()

    def step(self) -> None:
        """What ``DeepSpeedEngine._take_model_step`` does after an optimizer step."""
        self.scheduler.step()

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


def _lr_schedules() -> Any:
    """DeepSpeed's lr_schedules module.

    Without a GPU, importing deepspeed picks its CPU accelerator and logs a warning saying so;
    naming that same choice (``DS_ACCELERATOR=cpu``) keeps lrplot's output clean and changes
    nothing, so it is set only then.
    """
    import os

    import torch

    if "DS_ACCELERATOR" not in os.environ and not torch.cuda.is_available():
        os.environ["DS_ACCELERATOR"] = "cpu"
    try:
        return importlib.import_module("deepspeed.runtime.lr_schedules")
    except ImportError:  # a missing extra is the user's to install, not an error inside torch
        raise LrplotError(
            "DeepSpeed schedules are computed by DeepSpeed's own classes: pip install 'lrplot[deepspeed]'"
        ) from None
