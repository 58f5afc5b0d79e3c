"""fairseq configs (Hydra-style YAML: ``optimization``, ``lr_scheduler._name``, ...): one curve per update.

fairseq's trainer sets the lr itself after every update (``step_update(num_updates)``) and at
every epoch's start and end; :mod:`lrplot.formats.fairseq_schedules` reproduces its
schedulers and those calls (cited there, facebookresearch/fairseq at
3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99) and the driver
``lrplot.plan.drivers.fairseq.Trainer`` steps them on the optimizer lrplot records.

The run, as ``fairseq_cli/train.py`` runs it: ``optimization.max_update`` updates (0: no
limit), or ``max_epoch`` epochs, whichever ends first; an epoch has
``ceil(batches / update_freq[epoch - 1])`` updates (``GroupedIterator`` in
``fairseq/data/iterators.py``; ``floor`` with ``skip_remainder_batch``), the last entry of
``update_freq`` for later epochs; training stops before an epoch whose starting lr is
``<= stop_min_lr``. fairseq batches by tokens (``max_tokens``), so the batches per epoch are
not in the file: ``--steps-per-epoch N`` gives them, needed only where epochs change the lr
or the run's length (``max_epoch``, a per-epoch ``lr`` or ``update_freq`` list,
``force_anneal``, a ``stop_min_lr`` the lr reaches).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.facts import FileKey
from lrplot.formats.base import Converted, FormatOptions, Identification, capped, marked_nodes
from lrplot.formats.fairseq_schedules import DEFAULTS, FLOATS, INTEGERS, SCHEDULERS, Groups, build, stop_epoch
from lrplot.formats.fairseq_values import integer, integers, interpolated, number, numbers

NAME = "fairseq"
FORM = "fairseq"
DRIVER = "lrplot.plan.drivers.fairseq.Trainer"
COMMIT = "3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99"

# fairseq/dataclass/configs.py OptimizationConfig (the commit above): its fields and defaults.
OPTIMIZATION: dict[str, Any] = {
    "max_epoch": 0, "max_update": 0, "stop_time_hours": 0, "clip_norm": 0.0, "sentence_avg": False,
    "update_freq": [1], "lr": [0.25], "stop_min_lr": -1.0, "use_bmuf": False,
    "skip_remainder_batch": False, "debug_param_names": False,
}  # fmt: skip
# fairseq's registered optimizers (fairseq/optim/*.py) -> the torch class drawn; fairseq sets
# the lr of every group itself, so the class changes no lr (only what momentum is drawn).
OPTIMIZERS = {
    "adam": "AdamW",  # FairseqAdam: "Adam with decoupled weight decay" (fairseq/optim/adam.py)
    "sgd": "SGD", "nag": "SGD", "adagrad": "Adagrad", "adadelta": "Adadelta", "adamax": "Adamax",
    "adafactor": "Adafactor", "lamb": "AdamW", "cpu_adam": "AdamW", "fused_adam": "AdamW",
}  # fmt: skip
_OTHER_SCHEDULERS = {
    "pass_through": "it hands each group of optimizer: composite its own scheduler",
    "manual": "its epoch/update dictionaries are not read yet",
    "triangular": "it is not read yet",
}
# fairseq's own top-level groups (fairseq/dataclass/configs.py FairseqConfig).
_GROUPS = ("common", "distributed_training", "dataset", "checkpoint", "bmuf", "generation",
           "eval_lm", "interactive", "ema", "criterion", "task", "model", "optimizer")  # fmt: skip
_CONFLICTS = ("_target_", "class_path", "_component_")  # Hydra's, LightningCLI's, torchtune's nodes
_TOP_CONFLICTS = ("curves", "SOLVER", "param_scheduler", "trainer", "lr0", "training_args")


def identify(path: Path | None, data: Any) -> Identification:
    """fairseq's groups: ``optimization`` (lr, max_update, ...) with a registry ``_name`` node
    (``lr_scheduler``, ``optimizer``, ``task``); Hydra's ``_target_``, LightningCLI's
    ``class_path`` or another format's keys conflict."""
    expected = ("optimization", "lr_scheduler._name")
    if not isinstance(data, dict) or (path is not None and path.suffix.lower() not in (".yaml", ".yml", "")):
        return Identification(NAME, 0.0, missing=expected)
    seen: list[str] = []
    score = 0.0
    optimization = data.get("optimization")
    if isinstance(optimization, dict) and {"lr", "max_update", "max_epoch", "update_freq"} & set(
        optimization
    ):
        seen.append("optimization")
        score += 0.4
    scheduler = data.get("lr_scheduler")
    if (isinstance(scheduler, dict) and isinstance(scheduler.get("_name"), str)) or (
        isinstance(scheduler, str) and (scheduler in SCHEDULERS or scheduler in _OTHER_SCHEDULERS)
    ):
        seen.append("lr_scheduler._name")
        score += 0.3
    named = [k for k in ("optimizer", "task", "criterion", "model") if isinstance(data.get(k), dict)
             and isinstance(data[k].get("_name"), str)]  # fmt: skip
    if named:
        seen += [f"{k}._name" for k in named]
        score += 0.2
    if score and not named and not seen[1:]:
        score = min(score, 0.4)  # optimization alone: lr and max_update are every trainer's words
    groups = [k for k in _GROUPS if isinstance(data.get(k), dict) and k not in named]
    if score and groups:
        score += 0.05 * min(len(groups), 2)
    conflicting = marked_nodes(
        data, ("optimizer", "lr_scheduler", "optimization", "model"), _CONFLICTS
    ) + tuple(k for k in _TOP_CONFLICTS if k in data)
    missing = tuple(k for k in expected if k not in seen)
    score = round(min(score, 1.0), 6)
    return capped(Identification(NAME, score, tuple(seen), missing), conflicting)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """The lr of every update of the run the file describes, as fairseq's trainer sets it."""
    converted = Converted(data={}, form=FORM)
    notes = converted.notes
    optimization = _optimization(data, notes)
    name, node = _scheduler_node(data)
    cfg = _scheduler_cfg(name, node, optimization, data)
    max_update, max_epoch = optimization["max_update"], optimization["max_epoch"]
    update_freq = integers(optimization["update_freq"], ("optimization", "update_freq"), minimum=1)
    lrs = cfg["lr"]
    if max_update <= 0 and max_epoch <= 0:
        raise LrplotError(
            "fairseq trains until stopped by hand without optimization.max_update or max_epoch: set one",
            key_path=("optimization",) if "optimization" in data else (),
        )
    why = _epochs_matter(name, cfg, max_epoch, update_freq, max_update)
    batches = options.steps_per_epoch
    if batches is None and why:
        raise LrplotError(
            f"fairseq config: {why}, so the updates per epoch are needed; fairseq batches by tokens: "
            "give --steps-per-epoch N (the batches of one epoch on each GPU, as its epoch iterator counts "
            "them)",
            key_path=(),
        )
    if batches is None and options.dataset_size is not None:
        notes.append(
            "--dataset-size not used: fairseq batches by tokens; --steps-per-epoch N gives the batches"
        )
    epochs = _epochs(batches, update_freq, max_update, max_epoch, bool(optimization["skip_remainder_batch"]))
    _check_builds(name, cfg, node)
    stop = float(optimization["stop_min_lr"])
    if stop >= 0:
        epochs = _stopped(name, cfg, epochs, stop, batches is not None)
    total = sum(epochs)
    first = data.get("optimizer", {})
    optimizer_name = _optimizer(first, notes)
    optimizer: dict[str, Any] = {"name": optimizer_name, "lr": lrs[0]}
    if isinstance(first, dict) and first.get("_name") == "nag":
        optimizer.update(momentum=float(first.get("momentum", 0.99)), nesterov=True)
    elif isinstance(first, dict) and first.get("_name") == "sgd":
        optimizer["momentum"] = float(first.get("momentum", 0.0))
    if name == "reduce_lr_on_plateau":
        notes.append(
            "reduce_lr_on_plateau shrinks the lr by lr_shrink when the validation loss stops improving, "
            "which cannot be replayed from a config: drawn as a run whose loss never plateaus"
        )
    if update_freq != [1]:
        notes.append(
            f"update_freq {update_freq}: each update accumulates that many batches; the curve is per update"
        )
    if batches is None:
        notes.append(
            "one epoch assumed (the lr does not depend on epochs here); --steps-per-epoch N draws them"
        )
    scheduler = {"name": DRIVER, "scheduler": name, "cfg": cfg, "epochs": epochs}
    checkpoint = data.get("checkpoint")
    if name == "reduce_lr_on_plateau":  # what train.py's lr_step watches: the best-checkpoint metric
        metric = checkpoint.get("best_checkpoint_metric", "loss") if isinstance(checkpoint, dict) else "loss"
        scheduler["monitor"] = str(metric)
    label = f"{optimizer_name} + fairseq {name}"
    title = f"{options.path.name if options.path is not None else 'config'} (fairseq)"
    curve = {"label": label, "optimizer": optimizer, "scheduler": scheduler}
    converted.data = {"title": title, "total_step": total, "curves": [curve]}
    per_epoch = set(epochs[:-1]) if len(epochs) > 1 else set()
    if batches is not None and len(per_epoch) <= 1 and (not per_epoch or epochs[-1] <= next(iter(per_epoch))):
        converted.data["steps_per_epoch"] = epochs[0]
    origins = converted.origins
    origins[("total_step",)] = (
        ("optimization", "max_update") if max_update > 0 else ("optimization", "max_epoch")
    )
    if max_update > 0:  # a run-length fix is the file's own max_update (the same number of updates)
        converted.file_keys[("curves", 0, "total_step")] = FileKey(("optimization", "max_update"))
    origins[("curves", 0, "scheduler")] = ("lr_scheduler",) if "lr_scheduler" in data else ()
    origins[("curves", 0, "optimizer", "lr")] = (
        ("lr_scheduler", "lr") if isinstance(node, dict) and "lr" in node else ("optimization", "lr")
    )
    for key in cfg:
        if isinstance(node, dict) and key in node:
            origins[("curves", 0, "scheduler", "cfg", key)] = ("lr_scheduler", key)
    if "maximize_best_checkpoint_metric" in cfg:  # II("checkpoint.maximize_best_checkpoint_metric")
        maximize = ("checkpoint", "maximize_best_checkpoint_metric")
        origins[("curves", 0, "scheduler", "cfg", maximize[1])] = maximize
    converted.derived.update(updates=total, epochs=len(epochs), scheduler=name)
    return converted


def _optimization(data: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """``optimization`` over OptimizationConfig's defaults, numbers checked."""
    given = data.get("optimization", {})
    if not isinstance(given, dict):
        raise LrplotError("optimization should be a mapping", key_path=("optimization",))
    unknown = [k for k in given if k not in OPTIMIZATION]
    if unknown:
        notes.append(
            f"not fields of fairseq's OptimizationConfig ({COMMIT[:7]}), ignored: "
            f"{', '.join(map(str, unknown[:6]))}"
        )
    values = {**OPTIMIZATION, **{k: v for k, v in given.items() if k in OPTIMIZATION}}
    for key in ("max_update", "max_epoch"):
        values[key] = integer(values[key], ("optimization", key), minimum=0)
    values["stop_min_lr"] = number(values["stop_min_lr"], ("optimization", "stop_min_lr"))
    values["lr"] = numbers(values["lr"], ("optimization", "lr"))
    return values


def _scheduler_node(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``lr_scheduler``'s ``_name`` (fairseq's registry default: fixed) and its fields."""
    node = data.get("lr_scheduler", "fixed")
    at: KeyPath = ("lr_scheduler",)
    if isinstance(node, str):
        name, fields = node, {}
    elif isinstance(node, dict):
        name, fields = node.get("_name", "fixed"), {k: v for k, v in node.items() if k != "_name"}
        at = ("lr_scheduler", "_name") if "_name" in node else at
    else:
        raise LrplotError("lr_scheduler should be a mapping with _name, or a scheduler's name", key_path=at)
    if name in _OTHER_SCHEDULERS:
        raise LrplotError(f"lr_scheduler {name}: {_OTHER_SCHEDULERS[name]}; not drawn", key_path=at)
    if name not in SCHEDULERS:
        raise LrplotError(
            f"lr_scheduler {name!r} is not one of fairseq's ({', '.join(SCHEDULERS)})", key_path=at
        )
    return str(name), fields


def _scheduler_cfg(
    name: str, node: dict[str, Any], optimization: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    """The scheduler's dataclass as fairseq fills it: its defaults, the node, ``II(...)`` interpolations."""
    defaults = DEFAULTS[name]
    unknown = [k for k in node if k not in defaults]
    if unknown:
        raise LrplotError(
            f"lr_scheduler.{unknown[0]} is not a field of fairseq's {name} scheduler "
            f"(fields: {', '.join(defaults)}); fairseq refuses it",
            key_path=("lr_scheduler", unknown[0]),
        )
    checkpoint = data.get("checkpoint", {})
    filled = {
        "lr": optimization["lr"],
        "max_update": optimization["max_update"],
        "total_num_update": optimization["max_update"],
        "maximize_best_checkpoint_metric": bool(
            checkpoint.get("maximize_best_checkpoint_metric", False)
            if isinstance(checkpoint, dict)
            else False
        ),
    }
    cfg: dict[str, Any] = {}
    for key, default in defaults.items():
        value = node[key] if key in node else filled.get(key, default)
        value = interpolated(value, optimization, ("lr_scheduler", key))
        at = ("lr_scheduler", key)
        if key == "lr":
            value = numbers(value, at)
        elif key == "phase_ratio" and value is not None:
            value = numbers(value, at)
            if len(value) != 3:
                raise LrplotError(f"lr_scheduler.phase_ratio should be 3 numbers, got {value}", key_path=at)
        elif key in INTEGERS and value is not None:
            value = integer(value, at)
        elif key in FLOATS and value is not None:
            value = number(value, at)
        cfg[key] = value
    return cfg


def _epochs_matter(
    name: str, cfg: dict[str, Any], max_epoch: int, update_freq: list[int], max_update: int
) -> str:
    """Why the epoch boundaries change the curve or its length ('' when they do not)."""
    if max_update <= 0:
        return "optimization.max_epoch sets the run's length"
    if max_epoch > 0:
        return f"optimization.max_epoch {max_epoch} may end the run before max_update {max_update}"
    if len(update_freq) > 1:
        return "optimization.update_freq changes per epoch"
    if name in ("fixed", "polynomial_decay") and len(cfg["lr"]) > 1:
        return f"lr {cfg['lr']} is a per-epoch list for {name}"
    if name in ("fixed", "polynomial_decay") and cfg.get("force_anneal") is not None:
        return f"lr_scheduler.force_anneal {cfg['force_anneal']} anneals from an epoch"
    return ""


def _epochs(
    batches: int | None, update_freq: list[int], max_update: int, max_epoch: int, skip_remainder: bool
) -> list[int]:
    """The updates of each epoch train.py runs (the last one cut where max_update stops it)."""
    if batches is None:
        return [max_update]
    limit = max_update if max_update > 0 else math.inf
    epochs: list[int] = []
    total = 0
    epoch = 1
    while (max_epoch <= 0 or epoch <= max_epoch) and total < limit:
        freq = update_freq[epoch - 1] if epoch <= len(update_freq) else update_freq[-1]
        updates = batches // freq if skip_remainder else math.ceil(batches / freq)
        if updates <= 0:
            raise LrplotError(
                f"--steps-per-epoch {batches} batches make no update with update_freq {freq} "
                "and skip_remainder_batch",
                key_path=("optimization", "update_freq"),
            )
        updates = int(min(updates, limit - total))
        epochs.append(updates)
        total += updates
        epoch += 1
        if len(epochs) > 1_000_000:
            raise LrplotError("more than a million epochs; refusing them", key_path=("optimization",))
    return epochs


def _check_builds(name: str, cfg: dict[str, Any], node: dict[str, Any]) -> None:
    """What fairseq's scheduler would raise when built (an assert, a division by zero), as one line."""
    try:
        build(name, cfg, Groups())
    except (ValueError, AssertionError, ZeroDivisionError, TypeError) as exc:
        message = str(exc) or type(exc).__name__
        if isinstance(exc, AssertionError) and not str(exc):
            message = "an assertion of its __init__ fails"
        elif isinstance(exc, ZeroDivisionError):
            zero = [k for k in ("warmup_updates", "decay_steps", "warmup_steps") if cfg.get(k) == 0]
            message = f"it divides by zero ({', '.join(zero) or 'a length'} is 0)"
        at = ("lr_scheduler",) if not node else ("lr_scheduler", next(iter(node)))
        raise LrplotError(f"fairseq's {name} scheduler refuses it: {message}", key_path=at) from None


def _stopped(name: str, cfg: dict[str, Any], epochs: list[int], stop: float, known: bool) -> list[int]:
    """The epochs left when train.py stops at an epoch's start with lr <= stop_min_lr."""
    if sum(epochs) > 20_000_000:
        return epochs
    stopped = stop_epoch(name, cfg, epochs, stop)
    if stopped is None:
        return epochs
    epoch, lr = stopped
    at: KeyPath = ("optimization", "stop_min_lr")
    if epoch == 1:
        raise LrplotError(
            f"fairseq stops before the first update: its starting lr {lr:g} <= optimization.stop_min_lr "
            f"{stop:g} (train.py checks it at each epoch's start); start the warmup above it "
            "(warmup_init_lr)",
            key_path=at,
        )
    if not known:
        raise LrplotError(
            f"the lr falls to stop_min_lr {stop:g}, where train.py stops at the next epoch's start: "
            "give --steps-per-epoch N (batches per epoch) to find that epoch",
            key_path=at,
        )
    return epochs[: epoch - 1]


def _optimizer(node: Any, notes: list[str]) -> str:
    name = node.get("_name") if isinstance(node, dict) else None
    if name is None:
        return "SGD"
    if name in OPTIMIZERS:
        return OPTIMIZERS[name]
    notes.append(
        f"optimizer {name}: drawn with SGD (fairseq sets every group's lr itself; the class changes none)"
    )
    return "SGD"
