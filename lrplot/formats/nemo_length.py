"""NeMo's run length: ``trainer.max_steps``, or ``compute_max_steps`` from the epochs and the dataset.

ModelPT.setup_optimization and prepare_lr_scheduler (nemo/core/optim/lr_scheduler.py at
8cfedd7203462cb251a914e700e5605444277561) as :mod:`lrplot.formats.nemo` reads them; the steps
of an epoch, for the schedulers Lightning steps once per epoch, by the same arithmetic.
"""

from __future__ import annotations

import math
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import Converted, FormatOptions
from lrplot.formats.composer import _Resolved
from lrplot.limits import in_range


def _int(trainer: dict[str, Any], key: str, default: int | None, at: KeyPath) -> int | None:
    value = trainer.get(key, default)
    if value is None:
        return None
    in_range(value, f"trainer.{key}", key_path=at)
    if isinstance(value, bool) or not isinstance(value, int):
        raise LrplotError(f"trainer.{key} should be an integer, got {value!r}"[:120], key_path=at)
    return value


def _length(
    trainer: dict[str, Any],
    values: _Resolved,
    options: FormatOptions,
    converted: Converted,
    sched: dict[str, Any],
    per_epoch_needed: str | None = None,
) -> dict[str, Any]:
    """The optimizer steps of the run, the steps an epoch, and what the driver needs for max_steps.

    ``per_epoch_needed`` names a scheduler Lightning steps once per epoch: the epoch's length is
    then needed even when ``trainer.max_steps`` gives the run's.
    """
    prefix = options.prefix
    at: KeyPath = (*prefix, "trainer")
    max_steps = _int(trainer, "max_steps", -1, (*at, "max_steps"))
    assert max_steps is not None
    accumulate = _int(trainer, "accumulate_grad_batches", 1, (*at, "accumulate_grad_batches")) or 1
    if accumulate < 1:
        raise LrplotError(f"trainer.accumulate_grad_batches should be >= 1, got {accumulate}", key_path=at)
    max_epochs = _int(trainer, "max_epochs", None, (*at, "max_epochs"))
    if max_steps >= 0:
        if max_steps == 0:
            raise LrplotError("trainer.max_steps is 0: the run trains nothing", key_path=(*at, "max_steps"))
        converted.derived.update(rule="trainer.max_steps")
        found = {"total": max_steps, "origin": (*at, "max_steps"), "driver": {"max_steps": max_steps}}
        known = options.steps_per_epoch is not None or options.dataset_size is not None
        if per_epoch_needed is not None or (known and max_epochs is not None and max_epochs >= 1):
            per_epoch = options.steps_per_epoch
            if per_epoch is None:
                if options.dataset_size is None:
                    raise LrplotError(
                        f"NeMo steps {per_epoch_needed} once per epoch and the run is trainer.max_steps "
                        f"{max_steps}: give --dataset-size N (training samples; also --world-size for "
                        "more than one GPU) or --steps-per-epoch N",
                        key_path=(*prefix, "model", "optim", "sched", "name"),
                    )
                per_epoch = _data(trainer, values, options, accumulate, max_epochs or 1)["per_epoch"]
            found["per_epoch"] = per_epoch
            if max_epochs is not None and max_epochs >= 1 and max_epochs * per_epoch < max_steps:
                found.update(total=max_epochs * per_epoch, origin=(*at, "max_epochs"))  # whichever first
        return found
    if sched.get("max_steps") is not None:
        raise LrplotError(
            "model.optim.sched.max_steps is set but trainer.max_steps is not: set trainer.max_steps "
            "(the run's length; NeMo gives it to the scheduler)",
            key_path=(*prefix, "model", "optim", "sched", "max_steps"),
        )
    if max_epochs is None:
        max_epochs = 1000  # Lightning's _parse_loop_limits: neither max_steps nor max_epochs
        converted.notes.append("neither trainer.max_steps nor max_epochs: Lightning's 1000 epochs")
    if max_epochs < 1:
        raise LrplotError(
            f"trainer.max_epochs {max_epochs} and max_steps -1: the run never ends; set trainer.max_steps",
            key_path=(*at, "max_epochs"),
        )
    if options.dataset_size is None:
        raise LrplotError(
            f"NeMo config: trainer.max_steps is -1, so NeMo computes the steps from trainer.max_epochs "
            f"{max_epochs} and the dataset: give --dataset-size N (training samples; also --world-size "
            "for more than one GPU), or --set trainer.max_steps=N",
            key_path=(*at, "max_steps") if "max_steps" in trainer else at,
        )
    found = _data(trainer, values, options, accumulate, max_epochs)
    converted.derived.update(
        rule="NeMo compute_max_steps", samples=options.dataset_size, batch_size=found["driver"]["batch_size"],
        world_size=found["driver"]["num_workers"],
    )  # fmt: skip
    found["origin"] = (*at, "max_epochs")
    if options.steps_per_epoch is not None and per_epoch_needed is not None:
        found["per_epoch"] = options.steps_per_epoch
    return found


def _data(
    trainer: dict[str, Any], values: _Resolved, options: FormatOptions, accumulate: int, max_epochs: int
) -> dict[str, Any]:
    """``compute_max_steps`` from ``--dataset-size``, the train batch and the ranks: the run and an epoch."""
    prefix = options.prefix
    at: KeyPath = (*prefix, "trainer")
    at_ds: KeyPath = (*prefix, "model", "train_ds")
    assert options.dataset_size is not None
    batch = values.get(("model", "train_ds", "batch_size"))
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise LrplotError(
            f"model.train_ds.batch_size should be an integer >= 1 for the steps per epoch, got {batch!r}"[
                :160
            ],
            key_path=(*at_ds, "batch_size"),
        )
    drop_last = bool(values.get(("model", "train_ds", "drop_last"), False))
    limit = trainer.get("limit_train_batches", 1.0)
    limit = 1.0 if limit is None else limit
    in_range(limit, "trainer.limit_train_batches", key_path=(*at, "limit_train_batches"), count=False)
    workers = options.world_size
    if workers is None:
        devices = trainer.get("devices", 1)
        nodes = _int(trainer, "num_nodes", 1, (*at, "num_nodes")) or 1
        if not isinstance(devices, int) or isinstance(devices, bool) or devices < 1:
            raise LrplotError(
                f"trainer.devices {devices!r} is known only on the machine: give --world-size N "
                "(devices x nodes; NeMo's t_num_workers)"[:200],
                key_path=(*at, "devices"),
            )
        workers = devices * nodes
    arithmetic = (accumulate, limit, workers, options.dataset_size, batch, drop_last)
    total = compute_max_steps(max_epochs, *arithmetic)
    if total < 1:
        raise LrplotError(
            f"--dataset-size {options.dataset_size} gives 0 optimizer steps with batch_size {batch} "
            f"on {workers} GPU(s)",
            key_path=(*at_ds, "batch_size"),
        )
    driver = {
        "max_steps": -1, "max_epochs": max_epochs, "accumulate_grad_batches": accumulate,
        "limit_train_batches": limit, "num_workers": workers, "dataset_size": options.dataset_size,
        "batch_size": batch, "drop_last": drop_last,
    }  # fmt: skip
    return {"total": total, "per_epoch": compute_max_steps(1, *arithmetic), "driver": driver}


def compute_max_steps(
    max_epochs: int, accumulate_grad_batches: int, limit_train_batches: float | int, num_workers: int,
    num_samples: int, batch_size: int, drop_last: bool,
) -> int:  # fmt: skip
    """NeMo's ``compute_max_steps`` (lr_scheduler.py at 8cfedd7), the same arithmetic."""
    rounding = math.floor if drop_last else math.ceil
    sampler_num_samples = math.ceil(num_samples / max(1, num_workers))
    steps_per_epoch = rounding(sampler_num_samples / batch_size)
    if isinstance(limit_train_batches, int) or limit_train_batches == 0.0:
        steps_per_epoch = min(steps_per_epoch, int(limit_train_batches))
    elif steps_per_epoch != float("inf"):
        steps_per_epoch = int(steps_per_epoch * limit_train_batches)
    return math.ceil(steps_per_epoch / accumulate_grad_batches) * max_epochs
