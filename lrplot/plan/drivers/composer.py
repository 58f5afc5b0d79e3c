"""Composer's schedulers (llm-foundry's ``scheduler:``), stepped as Composer's ``Trainer`` steps them.

Composer's schedulers are functions of the trainer's ``State``: ``compile_composer_scheduler``
wraps one in a torch ``LambdaLR`` whose factor is ``scheduler(state, ssr)`` read from the
*current* ``state.timestamp`` (composer/optim/scheduler.py, mosaicml 0.32.1). The trainer's
batch loop (composer/trainer/trainer.py ``Trainer._train_loop`` in 0.32.1, lines 2383-2507)
runs, per batch::

    _train_batch()                  # optimizer.step() with the lr of the group
    for scheduler in state.schedulers: scheduler.step()      # line 2492
    state.timestamp = state.timestamp.to_next_batch(samples, tokens, duration)   # line 2501

and ``to_next_epoch()`` after the loader is exhausted (line 2560). The scheduler is stepped
*before* the timestamp advances, so after batch *k* the lambda sees ``batch == k`` and batch
*k + 1* trains with the lr computed at batch *k*: batch 0 and batch 1 both use the value at
time 0, and the last lr of the schedule is never used. :class:`ComposerTrainer`'s ``step()``
makes those same calls with Composer's own ``Timestamp``, so lrplot's loop (record, then
``step()``) records the lr each optimizer step used.

Composer's package ``__init__``\\ s import its whole stack (torchvision, ...), so only
``composer/core/time.py``, ``composer/core/serializable.py``, ``composer/utils/string_enum.py``
and ``composer/optim/scheduler.py`` are loaded (:mod:`lrplot.plan.drivers.unexecuted`).
``composer.core.State`` cannot be imported without torchvision; the schedulers read only its
``timestamp``, ``max_duration``, ``dataloader_len`` and ``optimizers``, which :class:`RunState`
holds (as Composer's own ``Time`` and ``Timestamp`` objects) and is what they are given.
"""

from __future__ import annotations

import datetime
import importlib
import sys
from dataclasses import dataclass, field
from typing import Any

from lrplot.facts import Length, ScheduleFacts
from lrplot.plan.drivers.unexecuted import register_unexecuted

INSTALL_HINT = (
    "pip install 'lrplot[composer]' (or `pip install --no-deps mosaicml`: lrplot needs only its schedulers)"
)
# llm-foundry's registry names (llmfoundry/optim/__init__.py at 8c8dd48f) for Composer's classes.
FOUNDRY_NAMES = {
    "constant_with_warmup": "ConstantWithWarmupScheduler",
    "cosine_with_warmup": "CosineAnnealingWithWarmupScheduler",
    "linear_decay_with_warmup": "LinearWithWarmupScheduler",
}


@dataclass
class RunState:
    """The part of Composer's ``State`` its schedulers read (``composer.core.State`` needs torchvision)."""

    optimizers: list[Any]
    max_duration: Any  # composer.core.Time
    timestamp: Any  # composer.core.Timestamp
    dataloader_len: Any = None  # composer.core.Time in batches, or None (unknown length)
    extra: dict[str, Any] = field(default_factory=dict)


def load_scheduler_module() -> Any:
    """``composer.optim.scheduler`` with Composer's ``Time`` arithmetic, its packages left unexecuted."""
    loaded = sys.modules.get("composer.optim.scheduler")
    if loaded is not None:
        return loaded
    for name in ("composer", "composer.core", "composer.utils", "composer.optim"):
        register_unexecuted(name)
    core, utils = sys.modules["composer.core"], sys.modules["composer.utils"]
    if "StringEnum" not in utils.__dict__:
        utils.StringEnum = importlib.import_module("composer.utils.string_enum").StringEnum
    time = importlib.import_module("composer.core.time")
    for name in ("Time", "TimeUnit", "Timestamp"):
        core.__dict__.setdefault(name, getattr(time, name))
    core.__dict__.setdefault("State", RunState)  # only in annotations of the scheduler module
    return importlib.import_module("composer.optim.scheduler")


def time_module() -> Any:
    load_scheduler_module()
    return importlib.import_module("composer.core.time")


def scheduler_names() -> list[str]:
    """Composer's scheduler classes by name, and llm-foundry's registry names for them."""
    module = load_scheduler_module()
    classes = [
        n for n in getattr(module, "__all__", ()) if n.endswith("Scheduler") and n != "ComposerScheduler"
    ]
    return sorted(FOUNDRY_NAMES) + sorted(classes)


def scheduler_class(name: str) -> Any:
    """The Composer class a config's ``scheduler.name`` names, or ``ValueError`` listing the valid names."""
    module = load_scheduler_module()
    attribute = FOUNDRY_NAMES.get(name, name)
    if attribute not in getattr(module, "__all__", ()) or not attribute.endswith("Scheduler"):
        raise ValueError(f"{name!r} is not one of Composer's schedulers ({', '.join(scheduler_names())})")
    return getattr(module, attribute)


class ComposerTrainer:
    """A Composer scheduler compiled on the optimizer; ``step()`` is the end of one trainer batch.

    ``max_duration`` is the trainer's (a time string, ``"4800ba"``); ``dataloader_len`` the
    batches a rank's loader yields an epoch (None: unknown); ``samples_per_batch`` and
    ``tokens_per_batch`` what ``to_next_batch`` adds (summed over ranks, as the trainer does).
    """

    lrplot_driver = True
    library = "Composer"

    def __init__(
        self,
        optimizer: Any,
        scheduler: str,
        max_duration: str,
        arguments: dict[str, Any] | None = None,
        dataloader_len: int | None = None,
        samples_per_batch: int = 1,
        tokens_per_batch: int = 0,
        scale_schedule_ratio: float = 1.0,
        last_samples: int | None = None,
    ) -> None:
        time = time_module()
        duration = time.Time.from_timestring(max_duration)
        if scale_schedule_ratio != 1.0:  # trainer.py _scale_max_duration_by_ssr
            duration = duration * scale_schedule_ratio
        self.state = RunState(
            optimizers=[optimizer],
            max_duration=duration,
            timestamp=time.Timestamp(),
            dataloader_len=None if dataloader_len is None else time.Time(dataloader_len, time.TimeUnit.BATCH),
        )
        self.optimizer = optimizer
        self.samples, self.tokens = samples_per_batch, tokens_per_batch
        # a loader without drop_last ends each epoch with a shorter batch (all ranks alike)
        self.last_samples = samples_per_batch if last_samples is None else last_samples
        module = load_scheduler_module()
        schedule = scheduler_class(scheduler)(**(arguments or {}))
        self.scheduler = module.compile_composer_scheduler(schedule, self.state, scale_schedule_ratio)

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """A warmup scheduler's ``t_warmup``, in trainer batches (one ``step()`` per batch).

        As ``_convert_time`` reads it (composer/optim/scheduler.py, mosaicml 0.32.1): ``dur`` a
        share of ``max_duration`` in its unit, ``ep`` x ``dataloader_len`` batches, ``sp`` and
        ``tok`` over the samples and tokens of a batch (Composer compares them in those units;
        a batch adds them whole, so the warmup ends in the batch that passes them). Its fix is
        written as the file writes a Composer time: a tenth of the run, in ``ba`` (or the
        ``sp``/``tok`` of ``max_duration``, the unit Composer requires then). Nothing is
        declared under ``scale_schedule_ratio``.
        """
        name = str(keywords.get("scheduler"))
        facts_name = f"Composer's {FOUNDRY_NAMES.get(name, name)}"
        arguments = keywords.get("arguments") or {}
        warmup = arguments.get("t_warmup")
        if not isinstance(warmup, str) or keywords.get("scale_schedule_ratio", 1.0) != 1.0:
            return ScheduleFacts(name=facts_name)
        time = time_module()
        try:
            t_warmup = time.Time.from_timestring(warmup)
            duration = time.Time.from_timestring(str(keywords["max_duration"]))
        except (KeyError, ValueError, TypeError):
            return ScheduleFacts(name=facts_name)
        loader = keywords.get("dataloader_len")
        per_batch = {
            "sp": int(keywords.get("samples_per_batch") or 1),
            "tok": int(keywords.get("tokens_per_batch") or 0),
        }
        unit = {time.TimeUnit.BATCH: "ba", time.TimeUnit.EPOCH: "ep", time.TimeUnit.SAMPLE: "sp",
                time.TimeUnit.TOKEN: "tok", time.TimeUnit.DURATION: "dur"}  # fmt: skip

        def batches(value: float, of: str) -> int | None:
            if of == "ba":
                return int(value)
            if of == "ep":
                return None if loader is None else int(value * int(loader))
            size = per_batch.get(of)
            return -(-int(value) // size) if size else None

        run_unit = unit.get(duration.unit)
        if run_unit is None or run_unit == "dur":
            return ScheduleFacts(name=facts_name)
        run = batches(duration.value, run_unit)
        written = unit.get(t_warmup.unit)
        if written == "dur":
            calls = None if run is None else batches(t_warmup.value * duration.value, run_unit)
        else:
            calls = None if written is None else batches(t_warmup.value, written)
        if not calls or run is None:
            return ScheduleFacts(name=facts_name)
        if run_unit in per_batch:
            fix = f"{max(1, int(duration.value) // 10)}{run_unit}"
        else:
            fix = f"{max(1, run // 10)}ba"
        length = Length(
            "t_warmup", calls, "warmup", target=1.0, key=("arguments", "t_warmup"), written=t_warmup.value,
            fix_value=fix, spelled=warmup.strip(),
        )  # fmt: skip
        return ScheduleFacts(name=facts_name, lengths=(length,))

    def step(self) -> None:
        """After ``_train_batch``: ``scheduler.step()``, then ``to_next_batch`` (and ``to_next_epoch``)."""
        self.scheduler.step()
        state = self.state
        samples, tokens = self.samples, self.tokens
        last = state.dataloader_len is not None and int(state.timestamp.batch_in_epoch) + 1 == int(
            state.dataloader_len
        )
        if last and self.last_samples != samples:
            samples, tokens = self.last_samples, tokens * self.last_samples // max(samples, 1)
        state.timestamp = state.timestamp.to_next_batch(
            samples=samples, tokens=tokens, duration=datetime.timedelta(0)
        )
        if state.dataloader_len is not None and state.timestamp.batch_in_epoch == state.dataloader_len:
            state.timestamp = state.timestamp.to_next_epoch()

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]
