"""OpenMMLab (mmengine) Python configs: ``param_scheduler``, ``optim_wrapper``, ``train_cfg``.

The file and its ``_base_`` chain are read as data (:mod:`lrplot.read.python.inheritance`,
never run). The schedule is mmengine's own scheduler classes, built and stepped as its
``Runner`` does (:mod:`lrplot.plan.drivers.mmengine`): one curve step is one training
iteration. An ``EpochBasedTrainLoop`` needs the epoch length, ``len(train_dataloader)``:
``--steps-per-epoch`` gives it, or ``--dataset-size`` (with ``--world-size``) and the
config's batch size, sampler and ``drop_last`` compute it as mmengine's samplers do.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import Converted, FormatOptions, Identification
from lrplot.formats.file_sets import apply_file_sets
from lrplot.formats.mmengine_checks import (
    SOURCE_NOTE,
    check_hook,
    check_loop,
    readable,
    scheduler_entries,
)
from lrplot.read.python import Unreadable

NAME = "OpenMMLab (mmengine)"
DRIVER = "lrplot.plan.drivers.mmengine.ParamSchedulers"
APPLIES_SETS = True  # --set on the file's keys applies to the config merged with its _base_ files
_KEYS = ("param_scheduler", "optim_wrapper", "train_cfg")
# torch.optim's optimizers (2.x): any other type (mmpretrain's LARS, ...) is drawn with SGD,
# which leaves the lr as it is. Named here so that reading a config never imports torch.
TORCH_OPTIMIZERS = frozenset(
    {"ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "Muon", "NAdam",
     "RAdam", "RMSprop", "Rprop", "SGD", "SparseAdam"}
)  # fmt: skip


def identify(path: Path | None, data: Any) -> Identification:
    """Certain for a ``.py`` config with mmengine's keys or a ``_base_`` list."""
    if path is None or path.suffix.lower() != ".py" or not isinstance(data, dict):
        return Identification(NAME, 0.0, missing=_KEYS)
    seen = tuple(key for key in _KEYS if key in data)
    if seen:
        return Identification(NAME, 1.0, seen)
    base = data.get("_base_")
    if isinstance(base, str) or (isinstance(base, list) and base):
        return Identification(NAME, 0.9, ("_base_",))
    # refused by translate with what they are: mmcv 1.x configs, mmengine's new-style configs
    old = tuple(key for key in ("lr_config", "read_base") if key in data)
    return Identification(NAME, 0.9 if old else 0.0, old, () if old else _KEYS)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def translate(_data: Any, options: FormatOptions) -> Converted:
    """The config merged with its ``_base_`` files, as one lrplot curve driven by mmengine."""
    from lrplot.read.python.inheritance import read_mmengine_config

    if options.path is None:
        raise LrplotError("an OpenMMLab config is read from its file (its _base_ files sit beside it)")
    _refuse_new_style(options.path)
    source, files = read_mmengine_config(options.path)
    data, changes = apply_file_sets(source.data, options.file_sets, "OpenMMLab")  # on the merged config
    converted = Converted(data={}, form="OpenMMLab", source=source, reads=files[1:], notes=changes)
    _refuse_mmcv(data, source)
    check_hook(data, source)
    loop, length = check_loop(readable(data, ("train_cfg",), source), source)
    entries = scheduler_entries(data, source)
    converts = any(entry.get("convert_to_iter_based") for _, entry in entries)
    epoch_length = None
    if loop == "epoch" or converts:
        epoch_length = _epoch_length(data, options, source, converted)
    optimizer = _optimizer(data, source, converted)
    scheduler: dict[str, Any] = {"name": DRIVER, "param_scheduler": [_plain(e) for _, e in entries]}
    for index, (original, entry) in enumerate(entries):
        _map(converted, ("curves", 0, "scheduler", "param_scheduler", index), original, entry)
    converted.origins[("curves", 0, "scheduler")] = ("param_scheduler",)
    if loop == "epoch":
        scheduler["max_epochs"] = length
        total = length * epoch_length
    else:
        scheduler["max_iters"] = length
        total = length
    if epoch_length is not None:
        scheduler["epoch_length"] = epoch_length
    scale = _lr_scale(data, options, source, converted)
    if scale is not None:
        scheduler["lr_scale"] = scale
    if not entries:
        converted.notes.append("no param_scheduler: the lr stays at the optimizer's lr")
    kinds = [str(entry["type"]) for _, entry in entries if not str(entry["type"]).endswith("Momentum")]
    names = " + ".join(dict.fromkeys(kinds)) or "constant"
    curve = {"label": f"{optimizer['name']} + {names}", "optimizer": optimizer, "scheduler": scheduler}
    converted.data = {"title": f"{options.path.name} (OpenMMLab)", "total_step": total, "curves": [curve]}
    converted.origins[("total_step",)] = ("train_cfg", "max_epochs" if loop == "epoch" else "max_iters")
    if loop == "epoch":
        converted.data["steps_per_epoch"] = epoch_length
    converted.derived.update(iterations=total, epoch_length=epoch_length, loop=loop, length=length)
    return converted


def _refuse_new_style(path: Path) -> None:
    """mmengine's beta "new-style" configs import their bases (``with read_base():``)."""
    from lrplot.read.files import read_text

    try:
        module = ast.parse(read_text(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return  # the reader reports it with its line
    for statement in module.body:
        if isinstance(statement, ast.With) and "read_base" in ast.unparse(statement.items[0].context_expr):
            raise LrplotError(
                "mmengine's new-style config (with read_base(): ...) is not read yet; plot the classic "
                "config of the same name (configs/ instead of <package>/configs/)",
                where=f"{path}:{statement.lineno}",
            )


def _refuse_mmcv(data: dict[str, Any], source: Any) -> None:
    if "optim_wrapper" not in data and ("lr_config" in data or "runner" in data):
        key = "lr_config" if "lr_config" in data else "runner"
        raise LrplotError(
            "an OpenMMLab 1.x (mmcv) config (lr_config/runner); lrplot reads mmengine's (2.x) "
            "param_scheduler, optim_wrapper and train_cfg",
            where=source.where((key,)),
        )
    for key in ("optim_wrapper", "train_cfg"):
        if key not in data:
            raise LrplotError(f"an OpenMMLab config without {key}; {SOURCE_NOTE}", where=source.name)


def _epoch_length(data: dict[str, Any], options: FormatOptions, source: Any, converted: Converted) -> int:
    """``len(train_dataloader)``, as mmengine's DataLoader and samplers make it."""
    if options.steps_per_epoch is not None:
        return options.steps_per_epoch
    loader = _loader(data, source)
    batch_size = loader.get("batch_size")
    if options.dataset_size is None:
        shown = f"batch_size {batch_size} per process, " if isinstance(batch_size, int) else ""
        raise LrplotError(
            "this OpenMMLab config counts epochs: give --dataset-size N (training samples; "
            f"{shown}--world-size W processes, default 1) or --steps-per-epoch N (iterations per epoch)",
            where=source.where(("train_cfg",)),
        )
    per_batch = loader.get("num_batch_per_epoch")
    if isinstance(per_batch, int) and per_batch > 0:
        return per_batch
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise LrplotError(
            f"train_dataloader.batch_size should be a positive integer, got {batch_size!r}; "
            "or give --steps-per-epoch N",
            where=source.where(("train_dataloader", "batch_size")),
        )
    world = options.world_size or 1
    sampler = loader["sampler"] if isinstance(loader.get("sampler"), dict) else {}
    kind = sampler.get("type", "DefaultSampler")
    if kind == "InfiniteSampler":
        samples = options.dataset_size  # InfiniteSampler's len() is the whole dataset
    else:  # DefaultSampler: ceil(N / world) samples on rank 0, with or without round_up
        if kind != "DefaultSampler":
            converted.notes.append(f"sampler {kind}: its length taken as DefaultSampler's")
        samples = math.ceil(options.dataset_size / world)
    batch_sampler = loader.get("batch_sampler")
    drop_last = (
        batch_sampler.get("drop_last", False)
        if isinstance(batch_sampler, dict)
        else loader.get("drop_last", False)
    )
    length = samples // batch_size if drop_last else math.ceil(samples / batch_size)
    if length < 1:
        raise LrplotError(
            f"--dataset-size {options.dataset_size} gives no full batch of {batch_size} per process "
            "(drop_last); an epoch would have no iteration",
            where=source.where(("train_dataloader", "batch_size")),
        )
    converted.derived.update(dataset_size=options.dataset_size, world_size=world, batch_size=batch_size)
    return length


def _loader(data: dict[str, Any], source: Any) -> dict[str, Any]:
    """The train_dataloader keys an epoch's length depends on (the rest, e.g. the pipeline, unread)."""
    loader = data.get("train_dataloader")
    if isinstance(loader, Unreadable):
        where = source.where(("train_dataloader",))
        raise LrplotError(
            f"train_dataloader cannot be read: {loader.explain(where)}; give --steps-per-epoch N instead",
            where=where,
        )
    if not isinstance(loader, dict):
        return {}
    keys = ("batch_size", "num_batch_per_epoch", "sampler", "batch_sampler", "drop_last")
    return {key: readable(data, ("train_dataloader", key), source) for key in keys if key in loader}


def _optimizer(data: dict[str, Any], source: Any, converted: Converted) -> dict[str, Any]:
    """``optim_wrapper.optimizer`` as lrplot's optimizer, with param groups for ``lr_mult``."""
    wrapper = readable(data, ("optim_wrapper",), source)
    if not isinstance(wrapper, dict) or not isinstance(wrapper.get("optimizer"), dict):
        raise LrplotError(
            "optim_wrapper has no optimizer dict (several optimizers, as GANs use, are not drawn)",
            where=source.where(("optim_wrapper",)),
        )
    spec = wrapper["optimizer"]
    kind = spec.get("type")
    lr = spec.get("lr")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise LrplotError(
            f"optim_wrapper.optimizer.lr should be a number, got {lr!r}",
            where=source.where(("optim_wrapper", "optimizer")),
        )
    optimizer: dict[str, Any]
    if kind in TORCH_OPTIMIZERS:
        optimizer = {"name": kind, **{k: _plain(v) for k, v in spec.items() if k != "type"}}
        _map(converted, ("curves", 0, "optimizer"), ("optim_wrapper", "optimizer"), spec)
    else:
        optimizer = {"name": "SGD", "lr": lr}
        converted.origins[("curves", 0, "optimizer", "lr")] = ("optim_wrapper", "optimizer", "lr")
        converted.notes.append(
            f"optimizer {kind} is not one of torch's; the lr does not depend on it: drawn with SGD"
        )
    converted.origins[("curves", 0, "optimizer")] = ("optim_wrapper", "optimizer")
    groups = _param_groups(wrapper.get("paramwise_cfg"), lr, converted)
    if groups:
        optimizer["param_groups"] = groups
    counts = wrapper.get("accumulative_counts")
    if isinstance(counts, int) and counts > 1:
        converted.notes.append(
            f"accumulative_counts={counts}: the optimizer steps every {counts} iterations; the curve is "
            "per iteration, as mmengine steps its schedulers"
        )
    return optimizer


def _param_groups(paramwise: Any, lr: float, converted: Converted) -> list[dict[str, Any]]:
    """One group per ``lr_mult`` (custom_keys, bias_lr_mult), with lr = base lr * mult as mmengine sets it."""
    if not isinstance(paramwise, dict):
        return []
    groups: list[dict[str, Any]] = []
    custom = paramwise.get("custom_keys") if isinstance(paramwise.get("custom_keys"), dict) else {}
    for key, spec in custom.items():
        mult = spec.get("lr_mult") if isinstance(spec, dict) else None
        if isinstance(mult, (int, float)) and not isinstance(mult, bool) and mult != 1:
            groups.append({"name": f"{key} (lr_mult {mult})", "lr": lr * mult})
    bias = paramwise.get("bias_lr_mult")
    if isinstance(bias, (int, float)) and not isinstance(bias, bool) and bias != 1:
        groups.append({"name": f"bias (bias_lr_mult {bias})", "lr": lr * bias})
    if not groups:
        return []
    converted.notes.append(
        "paramwise_cfg: one param group per lr multiplier; which parameters each holds depends on the model"
    )
    return [{"name": "default"}, *groups]


def _lr_scale(
    data: dict[str, Any], options: FormatOptions, source: Any, converted: Converted
) -> float | None:
    """``Runner.scale_lr``: lr * world_size * batch_size / base_batch_size when auto_scale_lr is enabled."""
    auto = readable(data, ("auto_scale_lr",), source, required=False)
    if not isinstance(auto, dict) or not auto.get("enable", False):
        return None
    base = auto.get("base_batch_size")
    batch_size = _loader(data, source).get("batch_size")
    if not isinstance(base, (int, float)) or not isinstance(batch_size, int) or not base:
        raise LrplotError(
            "auto_scale_lr is enabled but needs base_batch_size and train_dataloader.batch_size",
            where=source.where(("auto_scale_lr",)),
        )
    world = options.world_size or 1
    if options.world_size is None:
        converted.notes.append("auto_scale_lr: scaled for 1 process (give --world-size W for W GPUs)")
    return float(world * batch_size) / float(base)


def _plain(value: Any) -> Any:
    """Config values as YAML would hold them: tuples become lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _map(converted: Converted, native: KeyPath, original: KeyPath, value: Any) -> None:
    """Record the original key path of ``native`` and of every key below it."""
    converted.origins[native] = original
    if isinstance(value, dict):
        for key, item in value.items():
            _map(converted, (*native, key), (*original, key), item)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _map(converted, (*native, index), (*original, index), item)
