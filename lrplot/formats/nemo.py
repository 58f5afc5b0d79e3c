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

import importlib.util
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.formats.base import Converted, FormatOptions, Identification, capped, marked_nodes
from lrplot.formats.composer import _Resolved
from lrplot.formats.file_sets import apply_file_sets
from lrplot.formats.hydra_compose import Composition, Primary, compose, find_primary, hydra_defaults
from lrplot.formats.hydra_missing import entry_of, folder, groups, overlaps, package_of
from lrplot.formats.instantiate import plateau_monitor_note
from lrplot.formats.nemo_length import _length, compute_max_steps
from lrplot.formats.trainer_args import check_options
from lrplot.limits import in_range

NAME = "NeMo"
FORM = "NeMo"
# NeMo's configs are Hydra configs (lrplot.formats.conflicts): NeMo instantiates the _target_
# nodes of its model itself and composes its defaults list; a top-level optimizer/scheduler
# _target_ node (Hydra's schedule) is not NeMo's and still conflicts.
COMPATIBLE_WITH = {"hydra": ("_target_", "defaults")}
DRIVER = "lrplot.plan.drivers.nemo.NemoScheduler"
__all__ = ["NAME", "compute_max_steps", "identify", "translate"]  # compute_max_steps: nemo_length's
APPLIES_SETS = True  # --set: on the file's keys, or Hydra overrides when its defaults are composed
# nemo/core/optim/lr_scheduler.py EPOCH_SCHEDULERS: torch's classes, which prepare_lr_scheduler
# returns with interval 'epoch' (Lightning steps them after each epoch, ReduceLROnPlateau with the
# config's ``monitor``); StepLR and CyclicLR are stepped after every optimizer step like NeMo's own.
EPOCH_SCHEDULERS = {
    "ExponentialLR": "torch.optim.lr_scheduler.ExponentialLR",
    "ReduceLROnPlateau": "torch.optim.lr_scheduler.ReduceLROnPlateau",
}
# nemo/core/optim/lr_scheduler.py AVAILABLE_SCHEDULERS: NeMo's own classes and torch's four.
SCHEDULERS = (
    "WarmupPolicy", "WarmupHoldPolicy", "SquareAnnealing", "CosineAnnealing", "NoamAnnealing",
    "NoamHoldAnnealing", "WarmupHoldAnnealOneMinusSquareRoot", "WarmupHoldAnnealLinear",
    "WarmupAnnealing", "InverseSquareRootAnnealing", "T5InverseSquareRootAnnealing",
    "SquareRootAnnealing", "PolynomialDecayAnnealing", "PolynomialHoldDecayAnnealing", "StepLR",
    "CyclicLR", *EPOCH_SCHEDULERS,
)  # fmt: skip
# The sched keys prepare_lr_scheduler does not pass to the class: popped before, or (max_steps)
# injected and popped again because torch's epoch classes' signatures lack it.
_NOT_ARGUMENTS = ("name", "t_max_epochs", "t_accumulate_grad_batches", "t_limit_train_batches",
                  "t_num_workers", "monitor", "reduce_on_plateau", "max_steps")  # fmt: skip
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
    if isinstance(sched, dict) and sched.get("name") in SCHEDULERS:
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
    conflicting = marked_nodes(data, ("optimizer", "lr_scheduler"), ("class_path", "_target_", "_component_"))
    missing = tuple(key for key in expected if key not in seen)
    score = round(min(score, 1.0), 6)
    return capped(Identification(NAME, score, tuple(seen), missing), conflicting)


def score(path: Path | None, data: Any) -> float:
    return identify(path, data).score


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """One curve: NeMo's scheduler over the optimizer steps Lightning runs.

    A ``defaults:`` entry that may merge into the schedule is composed by Hydra first (the
    ``--set`` changes given to it as overrides); otherwise ``--set`` applies to the file's keys.
    """
    check_options(options)
    root = options.root if options.root is not None else data
    composition = _composed(data, options)
    if composition is None:
        root, changes = apply_file_sets(root, options.file_sets, NAME)
        converted = _translated(root, options.prefix, options)
        converted.notes[:0] = changes
        return converted
    from omegaconf import OmegaConf

    where = _locator(composition)
    try:
        converted = _translated(OmegaConf.to_container(composition.config, resolve=False), (), options)
    except LrplotError as error:
        if error.where is None and error.key_path is not None:
            error.where, error.key_path = where(error.key_path), None
        raise
    converted.origins = {
        key: where(origin) if isinstance(origin, tuple) else origin
        for key, origin in converted.origins.items()
    }
    converted.reads = list(composition.reads)
    if composition.missing:
        converted.notes.append(
            f"composed without the defaults {groups(composition.missing)}: not found in "
            f"{folder(composition.root)}; they merge beside the schedule, which they cannot change"
        )
    converted.notes[:0] = [
        *composition.notes, *(f"{change.shown} given to Hydra as an override" for change in options.file_sets)
    ]  # fmt: skip
    return converted


def _translated(root: dict[str, Any], prefix: KeyPath, options: FormatOptions) -> Converted:
    """The curve from the (composed) config ``root``, the NeMo config at ``prefix`` in it."""
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
    epoch_class = EPOCH_SCHEDULERS.get(name)
    length = _length(trainer, values, options, converted, arguments, name if epoch_class else None)
    target = optim.get("_target_")  # NeMo instantiates a _target_ optimizer node (hifigan: torch.optim.AdamW)
    if isinstance(target, str) and target.startswith("torch.optim.") and "name" not in optim:
        optimizer_name = OPTIMIZERS.get(target.rsplit(".", 1)[1].lower())
    else:
        optimizer_name = OPTIMIZERS.get(str(optim.get("name", "adam")).lower())
    if optimizer_name is None:
        converted.notes.append(
            f"optimizer {optim.get('name')} drawn as AdamW: NeMo's scheduler sets only its lr"
        )
        optimizer_name = "AdamW"
    title = f"{options.path.stem if options.path is not None else 'config'} (NeMo)"
    curve: dict[str, Any] = {"label": f"NeMo {name}", "optimizer": {"name": optimizer_name, "lr": lr}}
    converted.data = {"title": title, "total_step": length["total"], "curves": [curve]}
    origins = converted.origins
    origins[("curves", 0, "optimizer", "lr")] = (*at_optim, "lr")
    origins[("curves", 0, "scheduler")] = at_sched
    if epoch_class is None:
        curve["scheduler"] = {"name": DRIVER, "sched": arguments, **length["driver"]}
        for key in arguments:
            origins[("curves", 0, "scheduler", "sched", key)] = (*at_sched, key)
    else:
        _epoch_curve(curve, epoch_class, arguments, length["per_epoch"], converted, at_sched)
    origins[("total_step",)] = length["origin"]
    converted.derived.update(scheduler=name, optimizer_steps=length["total"])
    return converted


def _epoch_curve(
    curve: dict[str, Any], cls: str, sched: dict[str, Any], per_epoch: int, converted: Converted,
    at_sched: KeyPath,
) -> None:  # fmt: skip
    """torch's class with the keys ``prepare_lr_scheduler`` passes it, stepped once per epoch.

    NeMo returns ``{'interval': 'epoch', 'monitor': sched.monitor or 'loss', 'reduce_on_plateau':
    True}`` for ReduceLROnPlateau: Lightning steps it with that logged metric after each epoch,
    which a config does not hold, so the curve takes lrplot's ``metric: lr`` (as for Lightning's
    and Hydra's plateau) unless ``--set curves.0.metric=...`` gives one.
    """
    arguments = {key: value for key, value in sched.items() if key not in _NOT_ARGUMENTS}
    curve["scheduler"] = {"name": cls, **arguments}
    curve["interval"], curve["steps_per_epoch"] = "epoch", per_epoch
    for key in arguments:
        converted.origins[("curves", 0, "scheduler", key)] = (*at_sched, key)
    if cls.endswith("ReduceLROnPlateau"):
        curve["metric"] = "lr"
        converted.assumed_metric = True  # the note is added if no --set gives a metric
        monitor = sched.get("monitor", "loss")
        plateau_monitor_note(converted, monitor)
        if isinstance(monitor, str):  # a fact for the linter: mode against the name
            curve["lint"] = {"monitor": monitor}
            converted.origins[("curves", 0, "lint", "monitor")] = (*at_sched, "monitor")
    converted.derived.update(interval="epoch", steps_per_epoch=per_epoch)


# What NeMo's schedule is read from: a defaults group merged at one of these (or above) could change it.
_SCHEDULE_NODES: tuple[KeyPath, ...] = (("model", "optim"), ("trainer",), ("model", "train_ds"))


def _over_the_schedule(data: dict[str, Any]) -> list[tuple[int, str]]:
    """The file's ``defaults:`` entries that may merge into the schedule, with their index.

    An entry merged elsewhere (``optional tp_overlap@model.ub_tp_comm_overlap_cfg``,
    ``.@model.encoder: megatron_model_base_config``) cannot change the schedule; one whose
    package overlaps ``model.optim``, ``trainer`` or ``model.train_ds`` (``model/train_ds:
    train_ds``, ``model: gpt``, a bare config name, ``_global_``) could.
    """
    found = []
    for index, entry in enumerate(hydra_defaults(data) or []):
        parsed = entry_of(entry)
        if parsed is not None and any(overlaps(package_of(entry), node) for node in _SCHEDULE_NODES):
            group, option = parsed
            found.append((index, f"{group}: {option}" if group is not None else str(option)))
    return found


def _composed(data: dict[str, Any], options: FormatOptions) -> Composition | None:
    """Hydra's composition of the file when a defaults entry may merge into the schedule.

    Composed from the file's folder with Hydra's own compose API (as NeMo's ``hydra_runner``
    composes it), the ``--set`` changes as overrides. A group file that is not there is refused
    naming it when its package may reach the schedule (the curve could differ without it).
    """
    entries = _over_the_schedule(data)
    if not entries:
        return None
    index, shown = entries[0]
    at: KeyPath = (*options.prefix, "defaults", index)
    head = (
        f"NeMo config: the defaults entry {shown[:60]!r} may merge into the schedule "
        "(model.optim, trainer or model.train_ds)"
    )
    if options.path is None or options.prefix:
        raise LrplotError(f"{head}: lrplot composes it from the config's own file only", key_path=at)
    if importlib.util.find_spec("hydra") is None:
        raise LrplotError(f"{head}: composing it needs hydra-core: pip install 'lrplot[hydra]'", key_path=at)
    primary = find_primary(options.path, data) or Primary(options.path.resolve().parent, options.path.stem)
    composition = compose(primary, [change.hydra for change in options.file_sets])
    for missing in composition.missing:
        if missing.package is None or any(overlaps(missing.package, node) for node in _SCHEDULE_NODES):
            file = f"{missing.group}/{missing.option}.yaml" if missing.group else f"{missing.option}.yaml"
            own = [i for i, text in entries if text == missing.shown]
            message = (
                f"NeMo config: the defaults entry {missing.shown[:60]!r} may merge into the schedule "
                f"(model.optim, trainer or model.train_ds) and its file {printable(file, 80)} is not in "
                f"{folder(composition.root)}: put it there, or write those nodes in the file"
            )
            if own:
                raise LrplotError(message, key_path=(*options.prefix, "defaults", own[0]))
            raise LrplotError(message, where=composition.primary_file)
    return composition


def _locator(composition: Composition) -> Any:
    """A key path of the composed config → the ``file:line`` of the file that set it last."""

    def where(key_path: KeyPath) -> str:
        for end in range(len(key_path), 0, -1):
            location = composition.locations.get(tuple(key_path[:end]))
            if location is not None:
                return location
        return composition.primary_file

    return where


def _number(value: Any) -> Any:
    """A YAML string NeMo's dataclasses type as float (``min_lr: 1e-6`` is a str to YAML 1.1)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value
