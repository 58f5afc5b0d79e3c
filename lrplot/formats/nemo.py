"""NeMo model configs (``examples/**/conf/*.yaml``: ``model.optim.sched``) → NeMo's own lr schedule.

The keys are the ones NeMo's ``ModelPT.setup_optimization`` reads (NVIDIA/NeMo at
8cfedd7203462cb251a914e700e5605444277561, ``nemo/core/classes/modelPT.py`` 627-792, and
``nemo/core/optim/lr_scheduler.py`` ``prepare_lr_scheduler`` / ``compute_max_steps``):
``model.optim`` (``name``, ``lr``, ``betas``, ...) with its ``sched`` (``name`` one of NeMo's
``AVAILABLE_SCHEDULERS``; ``warmup_steps``/``warmup_ratio``, ``hold_steps``/``hold_ratio``,
``constant_steps``, ``min_lr``, ``d_model``, ``power``, ... passed to the class as they are),
and the Lightning ``trainer`` beside ``model``. The run is ``trainer.max_steps`` optimizer
steps when it is >= 0 (NeMo then sets ``sched.max_steps`` to it); otherwise NeMo's
``compute_max_steps``: ``ceil(ceil(samples / (devices * num_nodes)) / batch_size)`` batches a
rank (``floor`` with ``drop_last``), limited by ``limit_train_batches``, ``ceil`` over
``accumulate_grad_batches``, times ``max_epochs`` (Lightning's 1000 when neither is set) --
which is also the number of optimizer steps Lightning runs, so it is the curve's length. The
samples are ``--dataset-size`` (a manifest's length is not in the file), the batch
``model.train_ds.batch_size``, the ranks ``--world-size`` or ``trainer.devices * num_nodes``.
OmegaConf interpolations (``${model.encoder.d_model}``) are resolved by OmegaConf, guarded as
for Hydra (:class:`lrplot.formats.composer._Resolved`).

The schedule is NeMo's own ``prepare_lr_scheduler`` and scheduler classes from the installed
``nemo_toolkit`` (the driver :mod:`lrplot.plan.drivers.nemo`), stepped after every optimizer
step as Lightning steps a scheduler of interval ``step``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import Converted, FormatOptions, Identification, capped
from lrplot.formats.composer import _Resolved
from lrplot.formats.hydra_compose import hydra_defaults
from lrplot.formats.hydra_missing import entry_of, overlaps, package_of
from lrplot.formats.trainer_args import check_options
from lrplot.limits import in_range

NAME = "NeMo"
FORM = "NeMo"
# NeMo's configs are Hydra configs (lrplot.formats.conflicts): NeMo instantiates the _target_
# nodes of its model itself and composes its defaults list; a top-level optimizer/scheduler
# _target_ node (Hydra's schedule) is not NeMo's and still conflicts.
COMPATIBLE_WITH = {"hydra": ("_target_", "defaults")}
DRIVER = "lrplot.plan.drivers.nemo.NemoScheduler"
# nemo/core/optim/lr_scheduler.py AVAILABLE_SCHEDULERS (NeMo's own classes; torch's four below).
SCHEDULERS = (
    "WarmupPolicy", "WarmupHoldPolicy", "SquareAnnealing", "CosineAnnealing", "NoamAnnealing",
    "NoamHoldAnnealing", "WarmupHoldAnnealOneMinusSquareRoot", "WarmupHoldAnnealLinear",
    "WarmupAnnealing", "InverseSquareRootAnnealing", "T5InverseSquareRootAnnealing",
    "SquareRootAnnealing", "PolynomialDecayAnnealing", "PolynomialHoldDecayAnnealing", "StepLR",
)  # fmt: skip
# Stepped once per epoch by NeMo (EPOCH_SCHEDULERS) or needing a metric / momentum: not drawn yet.
_NOT_DRAWN = {
    "ExponentialLR": "NeMo steps it once per epoch (EPOCH_SCHEDULERS)",
    "ReduceLROnPlateau": "it follows a validation metric that a config cannot replay",
    "CyclicLR": "it cycles momentum too, which NeMo's optimizers do not all have",
}
# torch optimizers for NeMo's optimizer names (nemo/core/optim/optimizers.py AVAILABLE_OPTIMIZERS)
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "adadelta": "Adadelta", "adamax": "Adamax",
              "adagrad": "Adagrad", "rmsprop": "RMSprop", "rprop": "Rprop"}  # fmt: skip
_SIDE = ("exp_manager", "name")


def identify(path: Path | None, data: Any) -> Identification:
    """``model.optim.sched.name`` one of NeMo's schedulers, beside a ``trainer`` and ``exp_manager``."""
    expected = ("model.optim.sched", "trainer", "exp_manager")
    if not isinstance(data, dict) or "curves" in data or (path is not None and path.suffix.lower() == ".py"):
        return Identification(NAME, 0.0, missing=expected)
    model = data.get("model")
    optim = model.get("optim") if isinstance(model, dict) else None
    sched = optim.get("sched") if isinstance(optim, dict) else None
    seen: list[str] = []
    score = 0.0
    if isinstance(sched, dict) and (sched.get("name") in SCHEDULERS or sched.get("name") in _NOT_DRAWN):
        seen.append("model.optim.sched")
        score += 0.5
    elif isinstance(optim, dict) and isinstance(optim.get("name"), str) and "lr" in optim:
        seen.append("model.optim")
        score += 0.2
    if isinstance(data.get("trainer"), dict):
        seen.append("trainer")
        score += 0.1 if score else 0.0
    if isinstance(data.get("exp_manager"), dict):
        seen.append("exp_manager")
        score += 0.4
    conflicting = tuple(
        f"{key}.{marker}"
        for key in ("optimizer", "lr_scheduler")
        for marker in ("class_path", "_target_", "_component_")
        if isinstance(data.get(key), dict) and marker in data[key]
    )
    missing = tuple(key for key in expected if key not in seen)
    score = round(min(score, 1.0), 6)
    return capped(Identification(NAME, score, tuple(seen), missing), conflicting)


def score(path: Path | None, data: Any) -> float:
    return identify(path, data).score


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """One curve: NeMo's scheduler over the optimizer steps Lightning runs."""
    check_options(options)
    prefix = options.prefix
    root = options.root if options.root is not None else data
    _refuse_defaults_over_the_schedule(data, prefix)
    values = _Resolved(root, prefix, options)
    converted = Converted(data={}, form=FORM)
    at_optim: KeyPath = (*prefix, "model", "optim")
    optim = values.get(("model", "optim"))
    if not isinstance(optim, dict):
        raise LrplotError("NeMo config has no model.optim mapping", key_path=(*prefix, "model"))
    sched = optim.get("sched")
    at_sched: KeyPath = (*at_optim, "sched")
    if not isinstance(sched, dict) or not isinstance(sched.get("name"), str):
        raise LrplotError("model.optim.sched should be a mapping with a scheduler name", key_path=at_sched)
    name = sched["name"]
    if name in _NOT_DRAWN:
        raise LrplotError(
            f"model.optim.sched.name {name}: {_NOT_DRAWN[name]}; not drawn", key_path=(*at_sched, "name")
        )
    if name not in SCHEDULERS:
        raise LrplotError(
            f"model.optim.sched.name {name!r} is not one of NeMo's schedulers ({', '.join(SCHEDULERS)})",
            key_path=(*at_sched, "name"),
        )
    for key in ("args", "_target_"):
        if key in sched:
            raise LrplotError(f"model.optim.sched.{key} is not read by lrplot yet", key_path=(*at_sched, key))
    lr = optim.get("lr")
    in_range(lr, "model.optim.lr", key_path=(*at_optim, "lr"), count=False)
    lr = _number(lr)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise LrplotError(f"model.optim.lr should be a number, got {lr!r}"[:120], key_path=(*at_optim, "lr"))
    arguments = {k: _number(v) for k, v in sched.items()}
    trainer = values.get(("trainer",), {}) or {}
    if not isinstance(trainer, dict):
        raise LrplotError("trainer should be a mapping", key_path=(*prefix, "trainer"))
    length = _length(trainer, values, options, converted, arguments)
    optimizer_name = OPTIMIZERS.get(str(optim.get("name", "adam")).lower())
    if optimizer_name is None:
        converted.notes.append(
            f"optimizer {optim.get('name')} drawn as AdamW: NeMo's scheduler sets only its lr"
        )
        optimizer_name = "AdamW"
    keywords: dict[str, Any] = {"name": DRIVER, "sched": arguments, **length["driver"]}
    title = f"{options.path.stem if options.path is not None else 'config'} (NeMo)"
    converted.data = {
        "title": title,
        "total_step": length["total"],
        "curves": [
            {"label": f"NeMo {name}", "optimizer": {"name": optimizer_name, "lr": lr}, "scheduler": keywords}
        ],
    }
    origins = converted.origins
    origins[("curves", 0, "optimizer", "lr")] = (*at_optim, "lr")
    origins[("curves", 0, "scheduler")] = at_sched
    for key in arguments:
        origins[("curves", 0, "scheduler", "sched", key)] = (*at_sched, key)
    origins[("total_step",)] = length["origin"]
    converted.derived.update(scheduler=name, optimizer_steps=length["total"])
    return converted


# What NeMo's schedule is read from: a defaults group merged at one of these (or above) could change it.
_SCHEDULE_NODES: tuple[KeyPath, ...] = (("model", "optim"), ("trainer",), ("model", "train_ds"))


def _refuse_defaults_over_the_schedule(data: dict[str, Any], prefix: KeyPath) -> None:
    """NeMo's Megatron configs carry a Hydra ``defaults:`` list that lrplot does not compose here.

    An entry merged elsewhere (``optional tp_overlap@model.ub_tp_comm_overlap_cfg``) cannot
    change the schedule and is left out; one whose package overlaps ``model.optim``,
    ``trainer`` or ``model.train_ds`` (``model: gpt``, a bare config name, ``_global_``) could,
    so the file is refused naming the entry rather than drawn without it.
    """
    for index, entry in enumerate(hydra_defaults(data) or []):
        found = entry_of(entry)
        if found is None:
            continue
        if any(overlaps(package_of(entry), node) for node in _SCHEDULE_NODES):
            group, option = found
            shown = f"{group}: {option}" if group is not None else str(option)
            raise LrplotError(
                f"NeMo config: the defaults entry {shown[:60]!r} may merge into the schedule "
                "(model.optim, trainer or model.train_ds), and lrplot does not compose NeMo's defaults: "
                "write those nodes in the file, or compose it with Hydra and plot the result",
                key_path=(*prefix, "defaults", index),
            )


def _number(value: Any) -> Any:
    """A YAML string NeMo's dataclasses type as float (``min_lr: 1e-6`` is a str to YAML 1.1)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


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
) -> dict[str, Any]:
    """The optimizer steps of the run and what the driver needs to compute NeMo's max_steps."""
    prefix = options.prefix
    at: KeyPath = (*prefix, "trainer")
    max_steps = _int(trainer, "max_steps", -1, (*at, "max_steps"))
    assert max_steps is not None
    accumulate = _int(trainer, "accumulate_grad_batches", 1, (*at, "accumulate_grad_batches")) or 1
    if accumulate < 1:
        raise LrplotError(f"trainer.accumulate_grad_batches should be >= 1, got {accumulate}", key_path=at)
    if max_steps >= 0:
        if max_steps == 0:
            raise LrplotError("trainer.max_steps is 0: the run trains nothing", key_path=(*at, "max_steps"))
        converted.derived.update(rule="trainer.max_steps")
        return {"total": max_steps, "origin": (*at, "max_steps"), "driver": {"max_steps": max_steps}}
    if sched.get("max_steps") is not None:
        raise LrplotError(
            "model.optim.sched.max_steps is set but trainer.max_steps is not: set trainer.max_steps "
            "(the run's length; NeMo gives it to the scheduler)",
            key_path=(*prefix, "model", "optim", "sched", "max_steps"),
        )
    max_epochs = _int(trainer, "max_epochs", None, (*at, "max_epochs"))
    if max_epochs is None:
        max_epochs = 1000  # Lightning's _parse_loop_limits: neither max_steps nor max_epochs
        converted.notes.append("neither trainer.max_steps nor max_epochs: Lightning's 1000 epochs")
    if max_epochs < 1:
        raise LrplotError(
            f"trainer.max_epochs {max_epochs} and max_steps -1: the run never ends; set trainer.max_steps",
            key_path=(*at, "max_epochs"),
        )
    at_ds: KeyPath = (*prefix, "model", "train_ds")
    batch = values.get(("model", "train_ds", "batch_size"))
    if options.dataset_size is None:
        raise LrplotError(
            f"NeMo config: trainer.max_steps is -1, so NeMo computes the steps from trainer.max_epochs "
            f"{max_epochs} and the dataset: give --dataset-size N (training samples; also --world-size "
            "for more than one GPU), or --set trainer.max_steps=N",
            key_path=(*at, "max_steps") if "max_steps" in trainer else at,
        )
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
    total = compute_max_steps(max_epochs, accumulate, limit, workers, options.dataset_size, batch, drop_last)
    if total < 1:
        raise LrplotError(
            f"--dataset-size {options.dataset_size} gives 0 optimizer steps with batch_size {batch} "
            f"on {workers} GPU(s)",
            key_path=(*at_ds, "batch_size"),
        )
    converted.derived.update(
        rule="NeMo compute_max_steps", samples=options.dataset_size, batch_size=batch, world_size=workers
    )
    driver = {
        "max_steps": -1, "max_epochs": max_epochs, "accumulate_grad_batches": accumulate,
        "limit_train_batches": limit, "num_workers": workers, "dataset_size": options.dataset_size,
        "batch_size": batch, "drop_last": drop_last,
    }  # fmt: skip
    return {"total": total, "origin": (*at, "max_epochs"), "driver": driver}


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
