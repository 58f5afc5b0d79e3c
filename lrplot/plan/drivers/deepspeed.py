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
from lrplot.facts import Length, ScheduleFacts, TrainerWarning

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

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """Warmup and decay ends, peak and floor of the Warmup* schedules, with DeepSpeed's defaults,
        and the warning ``WarmupDecayLR`` logs when its warmup is longer than its total."""
        import inspect

        kind = keywords.get("type")
        if kind == "OneCycle":
            return _one_cycle_facts(keywords.get("arguments") or {})
        if kind not in ("WarmupLR", "WarmupDecayLR", "WarmupCosineLR"):
            return ScheduleFacts(name=f"DeepSpeed's {kind}")
        parameters = inspect.signature(getattr(_lr_schedules(), kind)).parameters
        given = keywords.get("arguments") or {}

        def value(name: str) -> Any:
            if name in given:
                return given[name]
            parameter = parameters.get(name)
            return (
                None
                if parameter is None or parameter.default is inspect.Parameter.empty
                else parameter.default
            )

        def key(name: str) -> tuple[str, ...]:
            return ("arguments", name)

        warmup, total = value("warmup_num_steps"), value("total_num_steps")
        lengths = []
        if isinstance(warmup, int) and warmup > 0:
            lengths.append(
                Length(
                    "warmup_num_steps",
                    warmup,
                    "warmup",
                    target=1.0,
                    key=key("warmup_num_steps"),
                    # from warmup_min_lr (a ratio for WarmupCosineLR), DeepSpeed's default 0; above the
                    # peak: a warmup that goes down (LR019)
                    start_key=key("warmup_min_ratio" if kind == "WarmupCosineLR" else "warmup_min_lr"),
                    start_fix=0.0,
                )
            )
        said = []
        if isinstance(total, int) and total > 0:
            lengths.append(Length("total_num_steps", total, "decay", target=0.0, key=key("total_num_steps")))
            if kind == "WarmupDecayLR" and isinstance(warmup, int) and total < warmup:
                said.append(
                    TrainerWarning(
                        f"total_num_steps {total} is less than warmup_num_steps {warmup}",
                        key=key("warmup_num_steps"),
                        fix_value=max(1, total // 10),
                    )
                )
        peak = value("warmup_max_lr") if kind != "WarmupCosineLR" else None
        ratio = value("cos_min_ratio") if kind == "WarmupCosineLR" else None
        return ScheduleFacts(
            name=f"DeepSpeed's {kind}",
            peak=float(peak) if isinstance(peak, (int, float)) else None,
            peak_key=key("warmup_max_lr") if peak is not None else None,
            floor_factor=float(ratio) if isinstance(ratio, (int, float)) else None,
            floor_key=key("cos_min_ratio") if ratio is not None else None,
            lengths=tuple(lengths),
            warnings=tuple(said),
        )

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


def _one_cycle_facts(given: dict[str, Any]) -> ScheduleFacts:
    """OneCycle's cycle: ``cycle_first_step_size`` up, ``cycle_second_step_size`` (default: the
    first) down, then its decay phase (deepspeed/runtime/lr_schedules.py, ``OneCycle._get_cycle_lr``
    while ``last_batch_iteration < total_size``); peak ``cycle_max_lr``. The cycle's fix is the
    first step size, the second kept (written as the file writes it)."""
    first, second = given.get("cycle_first_step_size", 2000), given.get("cycle_second_step_size")

    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value > 0

    peak = given.get("cycle_max_lr")
    name = "DeepSpeed's OneCycle"
    if not whole(first) or not (second is None or whole(second)):
        return ScheduleFacts(name=name)
    key = ("arguments", "cycle_first_step_size")
    if second is None:  # both halves follow the first step size
        length = Length("cycle_first_step_size", 2 * first, "cycle", per_unit=2.0, key=key, written=first)
    else:  # the second half stays: the written number counts the calls before it
        length = Length(
            "cycle_first_step_size", first + second, "cycle", key=key, written=first, offset=second
        )
    return ScheduleFacts(
        name=name,
        peak=float(peak) if isinstance(peak, (int, float)) and not isinstance(peak, bool) else None,
        peak_key=("arguments", "cycle_max_lr"),
        lengths=(length,),
    )
