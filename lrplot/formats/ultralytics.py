"""Ultralytics YOLO training args (``default.yaml``-style files, a run's ``args.yaml``): one curve per batch.

The file's keys are laid over the installed package's own ``ultralytics/cfg/default.yaml``
(read as data, as ``get_cfg`` merges overrides into ``DEFAULT_CFG_DICT``). What
``BaseTrainer`` (``ultralytics/engine/trainer.py``, ultralytics 8.4.190) computes from them is
reproduced here, cited: the batches per epoch (``build_dataloader`` in
``ultralytics/data/build.py``: ``ceil(samples / min(batch // world, samples))``, drop_last
only with ``compile``), the warmup length (``_get_warmup_iterations``:
``round(min(warmup_epochs, max(epochs - 1, 0)) * nb)``), gradient accumulation
(``max(round(nbs / batch), 1)``), ``optimizer: auto`` (``build_optimizer``: MuSGD at lr 0.01
when ``ceil(images / max(batch, nbs)) * epochs > 10000`` iterations, else AdamW at
``round(0.002 * 5 / (4 + nc), 6)``; both with momentum 0.9 and ``warmup_bias_lr`` 0) and the
param groups it builds (weight, bn, bias; MuSGD adds muon and a 3x-lr head copy of each). The
lr per batch is :mod:`lrplot.plan.drivers.ultralytics`.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError
from lrplot.formats.base import Converted, FormatOptions, Identification, capped
from lrplot.limits import in_range
from lrplot.safe_text import shown

NAME = "Ultralytics YOLO"
FORM = "Ultralytics"
DRIVER = "lrplot.plan.drivers.ultralytics.Trainer"
INSTALL_HINT = (
    "Ultralytics args are laid over the installed ultralytics' cfg/default.yaml: "
    "pip install --no-deps 'ultralytics>=8.4,<8.5' (lrplot reads its files, never imports it)"
)
# Keys no other trainer's config has together (BaseTrainer's hyperparameters).
_DISTINCTIVE = (
    "lr0",
    "lrf",
    "warmup_bias_lr",
    "warmup_momentum",
    "nbs",
    "cos_lr",
    "close_mosaic",
    "warmup_epochs",
)
# Distinctive keys of other trainers: a file with them and lr0 is someone else's or a mix.
_CONFLICTS = (
    "lr_scheduler_type", "per_device_train_batch_size", "num_train_epochs",  # Hugging Face Trainer
    "sched", "warmup_lr", "min_lr",  # timm train.py
    "micro_batch_size", "base_model",  # axolotl
    "param_scheduler", "train_cfg",  # OpenMMLab
    "SOLVER", "_BASE_", "lr_scheduler", "optimization", "curves",  # detectron2, fairseq, lrplot
)  # fmt: skip
OPTIMIZERS = {"Adam", "Adamax", "AdamW", "NAdam", "RAdam", "RMSprop", "SGD", "MuSGD", "auto"}
_MOMENTUM = {"SGD", "MuSGD", "RMSprop"}  # groups with a "momentum" key, warmed up by _do_train


def identify(path: Path | None, data: Any) -> Identification:
    """A flat mapping with BaseTrainer's hyperparameter names (``lr0``, ``lrf``, ``warmup_bias_lr``, ...);
    another trainer's own keys beside them conflict."""
    if not isinstance(data, dict) or (path is not None and path.suffix.lower() == ".py"):
        return Identification(NAME, 0.0, missing=_DISTINCTIVE)
    seen = tuple(k for k in _DISTINCTIVE if k in data)
    missing = tuple(k for k in _DISTINCTIVE if k not in data)
    nested = any(isinstance(data[k], dict) for k in seen)
    if nested:
        score = 0.0
    elif "lr0" in data:
        score = min(1.0, 0.3 + 0.15 * len(seen)) if len(seen) >= 2 else 0.0
    else:  # BaseTrainer's names without lr0: no claim, but evidence in another format's file
        own = tuple(k for k in seen if k != "warmup_epochs")  # timm's train.py has warmup_epochs too
        seen, score = own, round(min(0.1 * len(own), 0.3), 6)
    found = Identification(NAME, score, seen=seen, missing=missing)
    return capped(found, tuple(k for k in _CONFLICTS if k in data))


def warmup_iterations(warmup_epochs: float, epochs: int, nb: int) -> int:
    """``BaseTrainer._get_warmup_iterations``: the warmup batches, capped to leave the final epoch.

    >>> warmup_iterations(3.0, 100, 50), warmup_iterations(5.0, 3, 100), warmup_iterations(3.0, 1, 100)
    (150, 200, 0)
    """
    capped = min(warmup_epochs, max(epochs - 1, 0))
    return round(capped * nb) if capped > 0 else 0


def score(path: Path | None, data: Any) -> float:
    return identify(path, data).score


def default_args() -> tuple[dict[str, Any], str]:
    """The installed ultralytics' ``cfg/default.yaml`` and its version (read, never imported)."""
    from lrplot.read.yaml_source import load_yaml_file

    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        raise LrplotError(INSTALL_HINT)
    root = Path(next(iter(spec.submodule_search_locations)))
    version = _version(root)
    return load_yaml_file(root / "cfg" / "default.yaml").data, version


def _version(root: Path) -> str:
    import re

    text = (root / "__init__.py").read_text(encoding="utf-8", errors="replace")
    found = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    return found.group(1) if found else "unknown"


def _refuse_resume(resume: Any, written: bool) -> None:
    """``resume`` set: the run is not the file's, so drawing the file would be a guess.

    ``BaseTrainer.check_resume`` (ultralytics 8.4.190, ``ultralytics/engine/trainer.py``) replaces
    every argument by the checkpoint's (``self.args = get_cfg(ckpt_args)``; only memory and device
    keys such as ``batch`` and ``imgsz`` may change, "Resume ignores [...], using checkpoint
    values" for the others) and ``resume_training`` starts at the checkpoint's ``epoch + 1``,
    neither of which the file says. A run's own ``args.yaml`` written after a resume carries
    the checkpoint's path here too (``check_resume`` sets ``args.resume = str(last)`` before the
    trainer saves them): its schedule is the run's, its start epoch still the checkpoint's.
    """
    if not resume:  # check_resume: `if resume:` (False, None, "")
        return
    value = "true" if resume is True else f"'{shown(str(resume), 80)}'"
    raise LrplotError(
        f"resume: {value}: the trainer takes its args and start epoch from the checkpoint "
        "(check_resume, resume_training), not from this file; --set resume=false draws this file's "
        "plan from epoch 0 (for the run being resumed, its args.yaml beside the weights, with "
        "--set resume=false too)",
        key_path=("resume",) if written else None,
    )


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """BaseTrainer's lr per batch for these args, as one curve of epochs x batches."""
    defaults, version = default_args()
    unknown = sorted(k for k in data if k not in defaults and k not in ("save_dir",))
    args = {**defaults, **data}
    converted = Converted(data={}, form=FORM)
    notes = converted.notes
    if unknown:
        notes.append(f"not arguments of ultralytics {version}, ignored: {', '.join(unknown[:8])}")
    epochs = _integer(args, "epochs", 1)
    if args.get("time"):
        raise LrplotError(
            "time: the trainer re-estimates epochs from measured epoch times; remove it or --set time=null",
            key_path=("time",) if "time" in data else None,
        )
    _refuse_resume(args.get("resume"), "resume" in data)
    batch = args.get("batch")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise LrplotError(
            f"batch {batch!r}: AutoBatch (-1 or a fraction) sizes batches from GPU memory; --set batch=N",
            key_path=("batch",) if "batch" in data else None,
        )
    nbs = _integer(args, "nbs", 1)
    world = options.world_size or 1
    images, nb = _batches(args, batch, world, options)
    accumulate = max(round(nbs / batch), 1)
    accumulate = min(accumulate, nb * epochs)
    warmup_epochs = args.get("warmup_epochs")
    if isinstance(warmup_epochs, bool) or not isinstance(warmup_epochs, (int, float)) or warmup_epochs < 0:
        raise LrplotError(
            f"warmup_epochs should be a number >= 0, got {warmup_epochs!r}", key_path=("warmup_epochs",)
        )
    nw = warmup_iterations(warmup_epochs, epochs, nb)
    _check_fractions(args, data)
    name = _optimizer_name(args)
    lr0, momentum, warmup_bias_lr = (
        _number(args, "lr0"),
        _number(args, "momentum"),
        _number(args, "warmup_bias_lr"),
    )
    origins = converted.origins
    auto: dict[str, Any] | None = None
    if name == "auto":
        if images is None:
            raise LrplotError(
                "optimizer: auto picks by ceil(images / max(batch, nbs)) * epochs iterations: "
                "give --dataset-size N",
                key_path=("optimizer",) if "optimizer" in data else None,
            )
        iterations = math.ceil(images / max(batch, nbs)) * epochs
        if iterations > 10000:
            name, lr0, momentum = "MuSGD", 0.01, 0.9
        else:
            nc, from_where = _classes(args, options)
            name, lr0, momentum = "AdamW", round(0.002 * 5 / (4 + nc), 6), 0.9
            notes.append(f"nc {nc} ({from_where}) sets AdamW's lr {lr0:g} = round(0.002 * 5 / (4 + nc), 6)")
        # an lr the file writes, not the package default, is one the user meant and auto ignores
        ignored = {k: data[k] for k in ("lr0", "warmup_bias_lr") if k in data and data[k] != defaults.get(k)}
        auto = {"picked": name, "lr": lr0, "iterations": iterations, "lr0": args["lr0"], "ignored": ignored}
        warmup_bias_lr = 0.0
        notes.append(
            f"optimizer: auto: {iterations} iterations (ceil({images} / max(batch, nbs)) * {epochs}) "
            f"{'>' if name == 'MuSGD' else '<='} 10000 -> {name}(lr={lr0:g}, momentum={momentum:g}); "
            "lr0 and warmup_bias_lr ignored (0.0), as the trainer does"
        )
    else:
        origins[("curves", 0, "optimizer", "lr")] = ("lr0",)
    groups = _groups(name, lr0)
    optimizer: dict[str, Any] = {"name": "SGD" if name in ("SGD", "MuSGD") else name, "lr": lr0}
    if name in ("SGD", "MuSGD"):
        optimizer.update(momentum=momentum, nesterov=True)
    elif name == "RMSprop":
        optimizer["momentum"] = momentum
    else:
        optimizer["betas"] = [momentum, 0.999]
    if name == "MuSGD":
        notes.append("MuSGD (ultralytics' own optimizer) drawn with torch's SGD: its lrs are the groups' lrs")
    optimizer["param_groups"] = groups
    scheduler = {
        "name": DRIVER,
        "epochs": epochs,
        "nb": nb,
        "warmup_epochs": float(warmup_epochs),
        "lrf": _number(args, "lrf"),
        "cos_lr": bool(args.get("cos_lr")),
        "warmup_bias_lr": warmup_bias_lr,
        "warmup_momentum": _number(args, "warmup_momentum"),
        "momentum": _number(args, "momentum"),  # _do_train warms up to args.momentum, even after auto
        "bias_groups": [i for i, g in enumerate(groups) if str(g["name"]).startswith("bias")],
        "momentum_warmup": name in _MOMENTUM,
    }
    if auto is not None:
        scheduler["auto"] = auto
        written = ["optimizer"] if "optimizer" in data else list(auto["ignored"])
        if written:  # the line of the optimizer: auto, else of the lr it ignores
            origins[("curves", 0, "scheduler", "auto")] = (written[0],)
    if accumulate > 1:
        notes.append(
            f"nbs {nbs} / batch {batch}: the optimizer steps every {accumulate} batches "
            "(fewer during warmup); the curve is per batch, the lr the next optimizer step uses"
        )
    if options.world_size is None and options.steps_per_epoch is None:
        notes.append("one GPU assumed (batch is split over GPUs); give --world-size N for N GPUs")
    kind = "cosine" if scheduler["cos_lr"] else "linear"
    curve = {"label": f"{name} + {kind} lf", "optimizer": optimizer, "scheduler": scheduler}
    title = f"{args.get('model') or 'YOLO'} (Ultralytics {version})"
    converted.data = {"title": title, "total_step": epochs * nb, "steps_per_epoch": nb, "curves": [curve]}
    origins[("total_step",)] = ("epochs",)
    origins[("curves", 0, "scheduler")] = ("lr0",) if "lr0" in data else ("epochs",)
    for key in ("lrf", "cos_lr", "warmup_bias_lr", "warmup_momentum", "momentum", "epochs", "warmup_epochs"):
        if key in data:
            origins[("curves", 0, "scheduler", key)] = (key,)
    converted.derived.update(
        nb=nb, nw=nw, accumulate=accumulate, optimizer=name, images=images, version=version
    )
    return converted


# cfg/__init__.py CFG_FRACTION_KEYS (ultralytics 8.4.190) that set an lr or momentum: check_cfg,
# called by get_cfg when BaseTrainer starts, refuses a value outside [0, 1].
_FRACTIONS = ("lr0", "lrf", "momentum", "warmup_momentum", "warmup_bias_lr")


def _check_fractions(args: dict[str, Any], data: dict[str, Any]) -> None:
    """``check_cfg``'s range check of the schedule's fraction keys, with its own message."""
    for key in _FRACTIONS:
        value = args.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not 0.0 <= value <= 1.0:
            raise LrplotError(
                f"'{key}={value}' is an invalid value. Valid '{key}' values are between 0.0 and 1.0. "
                "(ultralytics' check_cfg refuses it before training)",
                key_path=(key,) if key in data else None,
            )


def _groups(name: str, lr: float) -> list[dict[str, Any]]:
    """build_optimizer's param groups, in its order: weight, bn, bias (MuSGD: x3-lr head split and muon)."""
    if name != "MuSGD":
        return [{"name": "weight"}, {"name": "bn"}, {"name": "bias"}]
    groups: list[dict[str, Any]] = []
    for base in ("weight", "bn", "bias", "muon"):
        groups += [{"name": f"{base} (head, lr x3)", "lr": lr * 3}, {"name": base}]
    return groups


def _optimizer_name(args: dict[str, Any]) -> str:
    """build_optimizer's case-insensitive name lookup; an unknown one is refused as it refuses it."""
    raw = str(args.get("optimizer"))
    name = {x.lower(): x for x in OPTIMIZERS}.get(raw.lower(), raw)
    if name not in OPTIMIZERS:
        raise LrplotError(
            f"optimizer {raw!r} is not one of Ultralytics' ({', '.join(sorted(OPTIMIZERS))})",
            key_path=("optimizer",),
        )
    return name


def _batches(args: dict[str, Any], batch: int, world: int, options: FormatOptions) -> tuple[int | None, int]:
    """``len(train_loader)`` as build_dataloader makes it, and the image count (None if not given)."""
    images = options.dataset_size
    if options.steps_per_epoch is not None:
        return images, options.steps_per_epoch
    if images is None:
        raise LrplotError(
            f"{FORM} config: the batches per epoch depend on the training images; give --dataset-size N "
            "(images in the train split) or --steps-per-epoch N (batches per epoch)",
            key_path=(),
        )
    per_rank = max(batch // max(world, 1), 1)
    samples = math.ceil(images / world) if world > 1 else images  # DistributedSampler
    per_rank = min(per_rank, images)
    drop_last = bool(args.get("compile")) and samples > per_rank > 0 and samples % per_rank != 0
    nb = samples // per_rank if drop_last else math.ceil(samples / per_rank)
    return images, nb


def _classes(args: dict[str, Any], options: FormatOptions) -> tuple[int, str]:
    """``self.data.get("nc", 10)``: the dataset YAML's nc (or its names' count).

    ``check_det_dataset`` finds ``data`` relative to where ``yolo train`` runs (the project's
    root: looked for beside the config and in the folders above it up to the repository's
    root, then the working folder; ``--file-for data=PATH`` names it elsewhere), then among
    the installed ultralytics' own ``cfg/datasets``. A dataset YAML found nowhere is one line
    naming it: its nc changes AdamW's lr.
    """
    from lrplot.formats.base import launch_folders, referenced_file
    from lrplot.read.yaml_source import load_yaml_file

    data = args.get("data")
    if not data:
        return 10, "no data: the trainer's default"
    name = str(data)
    given = options.file_for("data")
    named = Path(name).expanduser()
    candidates = [given] if given is not None else (
        [named] if named.is_absolute() else [folder / named for folder in launch_folders(options.path)]
    )  # fmt: skip
    found = next((path for path in candidates if path.is_file()), None)
    confined = given is None and found is not None and options.path is not None
    if found is None and given is None:
        spec = importlib.util.find_spec("ultralytics")
        if spec is not None and spec.submodule_search_locations:
            own = Path(next(iter(spec.submodule_search_locations))) / "cfg" / "datasets" / named.name
            found = own if own.is_file() else None
    if found is None:
        found = referenced_file(
            name, "data", ("data",) if "data" in args else (), options,
            "optimizer: auto needs its nc for AdamW's lr",
        )  # fmt: skip
        confined = options.file_for("data") is None and options.path is not None
    config_dir = options.path.absolute().parent if confined and options.path is not None else None
    dataset = load_yaml_file(found, what="dataset YAML", config_dir=config_dir).data
    if isinstance(dataset, dict):
        if isinstance(dataset.get("nc"), int) and not isinstance(dataset.get("nc"), bool):
            return dataset["nc"], f"from {found.name}"
        if isinstance(dataset.get("names"), (list, dict)):
            return len(dataset["names"]), f"the names in {found.name}"
    return 10, f"{found.name} has no nc or names: the trainer's default"


def _integer(args: dict[str, Any], key: str, minimum: int) -> int:
    value = args.get(key)
    in_range(value, key, key_path=(key,))
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise LrplotError(f"{key} should be an integer >= {minimum}, got {value!r}", key_path=(key,))
    return value


def _number(args: dict[str, Any], key: str) -> float:
    value = args.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LrplotError(f"{key} should be a number, got {value!r}", key_path=(key,))
    return float(value)
