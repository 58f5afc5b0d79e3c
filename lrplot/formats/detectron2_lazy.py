"""detectron2 LazyConfig ``.py`` files (``lr_multiplier``, ``optimizer``, ``train``): one curve per iteration.

detectron2's new-style configs (``configs/new_baselines/*.py``, ``configs/COCO-*/*.py``,
``projects/ViTDet/configs``) are Python that ``LazyConfig.load`` runs; lrplot reads them as
data (:mod:`lrplot.read.python.lazy`: ``L(X)(...)`` as ``{"_target_": X, ...}``, attribute
assignments, relative imports of the config files beside them), never running them. What
``tools/lazyconfig_train_net.py`` (facebookresearch/detectron2 at commit
02b5c4e295e990042a714712c21dc79b731e8833) makes of the result:

- ``instantiate(cfg.optimizer)``: every param group starts at ``optimizer.lr`` (or
  ``optimizer.params.base_lr``, ``get_default_optimizer_params``'s default lr when given;
  ``bias_lr_factor`` gives the biases their own lr; an ``overrides`` entry with an ``lr``
  its own group);
- ``hooks.LRScheduler(scheduler=instantiate(cfg.lr_multiplier))``, which wraps the fvcore
  scheduler in ``LRMultiplier(optimizer, multiplier, trainer.max_iter)`` and steps it after
  every iteration, ``trainer.max_iter`` being ``train.max_iter``
  (:class:`lrplot.plan.drivers.detectron2.LazyLRMultiplier`).

A value the schedule needs that the reader could not evaluate is refused naming its
file:line and name; so is ``model_zoo.get_config(...)`` (a config packaged inside
detectron2) unless ``--file-for PATH=FILE`` gives that file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import Converted, FormatOptions, Identification, capped
from lrplot.formats.file_sets import apply_file_sets
from lrplot.limits import in_range

NAME = "detectron2 LazyConfig"
FORM = "detectron2 LazyConfig"
APPLIES_SETS = True  # --set train.max_iter=... applies to the config read with its imports
DRIVER = "lrplot.plan.drivers.detectron2.LazyLRMultiplier"

# The names tools/lazyconfig_train_net.py reads from a LazyConfig; lr_multiplier is its own.
_NAMES = ("lr_multiplier", "optimizer", "train", "dataloader", "model")
_CONFLICTS = (
    "_base_",
    "optim_wrapper",
    "param_scheduler",
    "train_cfg",  # OpenMMLab
    "learning_rate",
    "max_iters",
    "lr_decay_iters",  # nanoGPT
)
_INTERPOLATION = "${"


def identify(path: Path | None, data: Any) -> Identification:
    """A ``.py`` config binding ``lr_multiplier`` (the LazyConfig name for the schedule), with
    ``optimizer``/``train``/``dataloader``/``model`` or detectron2 imports beside it."""
    if path is None or path.suffix.lower() != ".py" or not isinstance(data, dict):
        return Identification(NAME, 0.0, missing=_NAMES[:3])
    seen = [name for name in _NAMES if name in data]
    score = 0.0
    if "lr_multiplier" in seen:
        score = 0.5 + 0.1 * (len(seen) - 1)
        if any(_detectron2_import(value) for value in data.values()):
            seen.append("detectron2 imports")
            score += 0.2
    missing = tuple(name for name in _NAMES[:3] if name not in data)
    found = Identification(NAME, min(score, 1.0), seen=tuple(seen), missing=missing)
    return capped(found, tuple(key for key in _CONFLICTS if key in data))


def _detectron2_import(value: Any) -> bool:
    from lrplot.read.python import ImportedName

    return isinstance(value, ImportedName) and (
        value.dotted.startswith(("detectron2.", "fvcore.common.param_scheduler"))
        or ".common." in value.dotted
    )


def score(path: Path | None, data: Any) -> float:
    return identify(path, data).score


def translate(_data: Any, options: FormatOptions) -> Converted:
    """The LazyConfig read with its imports, as one curve of ``train.max_iter`` iterations."""
    from lrplot.read.python.lazy import read_lazy_config
    from lrplot.read.python.lazy_values import plain

    if options.path is None:
        raise LrplotError(
            "a detectron2 LazyConfig is read from its file (the configs it imports sit beside it)"
        )
    source, files = read_lazy_config(options.path, lambda key: _packaged(options, key))
    data, changes = apply_file_sets(source.data, options.file_sets, FORM)
    converted = Converted(data={}, form=FORM, source=source, reads=files[1:], notes=changes)
    where = source.where

    multiplier = plain(_resolved(_needed(data, ("lr_multiplier",), where), ("lr_multiplier",), data, where))
    if not isinstance(multiplier, dict) or "_target_" not in multiplier:
        raise LrplotError(
            f"lr_multiplier should be L(SomeParamScheduler)(...), got a {type(multiplier).__name__}",
            where=where(("lr_multiplier",)),
        )
    max_iter = _needed(data, ("train", "max_iter"), where)
    in_range(max_iter, "train.max_iter", where=where(("train", "max_iter")))
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise LrplotError(
            f"train.max_iter should be a positive integer, got {max_iter!r}",
            where=where(("train", "max_iter")),
        )
    optimizer = _needed(data, ("optimizer",), where, whole=False)
    if not isinstance(optimizer, dict):
        raise LrplotError(
            f"optimizer should be L(torch.optim.X)(...), got a {type(optimizer).__name__}",
            where=where(("optimizer",)),
        )
    lr = _number(data, ("optimizer", "lr"), where)
    name = _optimizer_name(optimizer, converted)
    optimizer_data: dict[str, Any] = {"name": name, "lr": lr}
    groups, default_lr = _param_groups(data, lr, where, converted)
    if default_lr != lr:
        optimizer_data["lr"] = default_lr
    if groups:
        optimizer_data["param_groups"] = groups

    inner = multiplier.get("scheduler")
    label = _class_name(multiplier)
    if label == "WarmupParamScheduler" and isinstance(inner, dict) and "_target_" in inner:
        label = f"{_class_name(inner)} + warmup"
    scheduler = {"name": DRIVER, "lr_multiplier": multiplier, "max_iter": max_iter}
    title = options.path.name
    converted.data = {
        "title": f"{title} (detectron2 LazyConfig)",
        "total_step": max_iter,
        "curves": [{"label": f"{name} + {label}", "optimizer": optimizer_data, "scheduler": scheduler}],
    }
    origins = converted.origins
    origins[("total_step",)] = ("train", "max_iter")
    origins[("curves", 0, "scheduler")] = ("lr_multiplier",)
    origins[("curves", 0, "scheduler", "max_iter")] = ("train", "max_iter")
    origins[("curves", 0, "optimizer", "lr")] = (
        ("optimizer", "params", "base_lr") if default_lr != lr else ("optimizer", "lr")
    )
    _map(origins, ("curves", 0, "scheduler", "lr_multiplier"), ("lr_multiplier",), multiplier)
    converted.derived.update(iterations=max_iter)
    return converted


def _class_name(node: dict[str, Any]) -> str:
    """``fvcore.common.param_scheduler.CosineParamScheduler`` -> ``CosineParamScheduler``."""
    target = node.get("_target_")
    return target.rsplit(".", 1)[-1] if isinstance(target, str) else "lr_multiplier"


def _packaged(options: FormatOptions, key: str) -> Path | None:
    """The file ``--file-for KEY=PATH`` gives for ``model_zoo.get_config(KEY)``."""
    given = options.file_for(key)
    if given is not None and not given.is_file():
        from lrplot.errors import printable

        raise LrplotError(f"--file-for {key}={printable(str(given))}: no such file")
    return given


def _needed(data: dict[str, Any], path: KeyPath, where: Any, *, whole: bool = True) -> Any:
    """The value at ``path`` (``whole``: everything inside it too), or one line naming why not and where."""
    from lrplot.read.python import ImportedName, Unreadable, first_unreadable

    value: Any = data
    for depth, part in enumerate(path):
        shown = ".".join(str(p) for p in path[: depth + 1])
        if isinstance(value, Unreadable):
            break
        if not isinstance(value, dict) or part not in value:
            at = where(path[:depth]) if depth else str(where(None))
            raise LrplotError(f"the config sets no {shown}; tools/lazyconfig_train_net.py needs it", where=at)
        value = value[part]
    if isinstance(value, ImportedName):
        raise LrplotError(
            f"{'.'.join(map(str, path))} is {value.dotted}, imported from a Python package lrplot does not "
            "import (a config file imports with from .x import ...)",
            where=where(path),
        )
    from lrplot.read.python.lazy_values import measure

    try:
        measure(value)  # bounded before anything walks it
    except LrplotError as error:
        raise LrplotError(f"{'.'.join(map(str, path))}: {error.message}", where=where(path)) from None
    found = first_unreadable(value if whole or isinstance(value, Unreadable) else None, path)
    if found is not None:
        at, unreadable = found
        shown_at = where(at)
        dotted = ".".join(str(p) for p in at)
        raise LrplotError(f"{dotted} cannot be read: {unreadable.explain(shown_at)}", where=shown_at)
    return value


def _number(data: dict[str, Any], path: KeyPath, where: Any) -> float:
    value = _resolved(_needed(data, path, where), path, data, where)
    dotted = ".".join(map(str, path))
    in_range(value, dotted, count=False, where=where(path))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LrplotError(f"{dotted} should be a number, got {type(value).__name__}", where=where(path))
    return float(value)


def _resolved(value: Any, node: KeyPath, root: dict[str, Any], where: Any) -> Any:
    """OmegaConf interpolations (``"${..lr}"``, ``"${train.max_iter}"``) resolved as ``instantiate`` does.

    ``node`` is the key path of the config node holding ``value``: ``${.x}`` is that node's
    ``x``, each further dot one node up, no dot the config's root. A string only partly an
    interpolation is refused, naming it.
    """
    if isinstance(value, dict):
        return {
            k: _resolved(v, (*node, k), root, where)
            if isinstance(v, (dict, list, str)) and k != "_target_"
            else v
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_resolved(v, (*node, i), root, where) for i, v in enumerate(value)]
    if not isinstance(value, str) or _INTERPOLATION not in value:
        return value
    parent = node[:-1]  # the config node holding the string
    text = value.strip()
    if not (text.startswith(_INTERPOLATION) and text.endswith("}") and text.count(_INTERPOLATION) == 1):
        raise LrplotError(
            f"{'.'.join(map(str, node))} is an OmegaConf interpolation lrplot does not resolve",
            where=where(node),
        )
    reference = text[2:-1].strip()
    dots = len(reference) - len(reference.lstrip("."))
    base = parent[: len(parent) - (dots - 1)] if dots else ()
    if dots and dots - 1 > len(parent):
        raise LrplotError(
            f"{'.'.join(map(str, node))}: {value!r} goes above the config's root", where=where(node)
        )
    target = (*base, *reference.lstrip(".").split("."))
    return _resolved(_needed(root, target, where), target, root, where)


def _optimizer_name(optimizer: dict[str, Any], converted: Converted) -> str:
    """``torch.optim.SGD`` -> ``SGD``; another optimizer is drawn on an SGD (LRMultiplier scales any)."""
    target = optimizer.get("_target_")
    if isinstance(target, str) and target.startswith("torch.optim.") and target.count(".") == 2:
        return target.rsplit(".", 1)[-1]
    shown = target if isinstance(target, str) else "an optimizer lrplot cannot name"
    converted.notes.append(
        f"optimizer is {shown}: drawn on a torch SGD with its lr (LRMultiplier multiplies every param "
        "group's initial lr, whatever the optimizer)"
    )
    return "SGD"


def _param_groups(
    data: dict[str, Any], lr: float, where: Any, converted: Converted
) -> tuple[list[dict[str, Any]], float]:
    """``get_default_optimizer_params``'s groups whose lr differs, and the default groups' lr."""
    params = data["optimizer"].get("params")
    if not isinstance(params, dict):
        return [], lr
    at = ("optimizer", "params")
    default = lr
    if params.get("base_lr") is not None:
        default = _number(data, (*at, "base_lr"), where)
    groups: list[dict[str, Any]] = []
    factor = params.get("bias_lr_factor", 1.0)
    if factor is not None and factor != 1.0:
        factor = _number(data, (*at, "bias_lr_factor"), where)
        if params.get("base_lr") is None:
            raise LrplotError(
                "optimizer.params.bias_lr_factor needs optimizer.params.base_lr "
                "(get_default_optimizer_params raises ValueError too)",
                where=where((*at, "bias_lr_factor")),
            )
        groups.append({"name": f"bias (bias_lr_factor {factor:g})", "lr": default * factor})
    overrides = params.get("overrides")
    if isinstance(overrides, dict):
        for name, hyper in overrides.items():
            if isinstance(hyper, dict) and "lr" in hyper:
                groups.append(
                    {
                        "name": f"{name} (overrides)",
                        "lr": _number(data, (*at, "overrides", name, "lr"), where),
                    }
                )
    if params.get("lr_factor_func") is not None:
        converted.notes.append(
            f"optimizer.params.lr_factor_func ({where((*at, 'lr_factor_func'))}) scales each parameter's lr "
            "by a factor of its name (layer-wise decay, from the model): drawn is the lr before that factor; "
            "LRMultiplier gives every parameter the same curve shape"
        )
    if groups:
        groups.insert(0, {"name": "default"})
    return groups, default


def _map(origins: dict[KeyPath, Any], native: KeyPath, original: KeyPath, value: Any) -> None:
    """Each key of the lazy tree points at its own line in the file that set it."""
    origins[native] = original
    if isinstance(value, dict):
        for key, item in value.items():
            _map(origins, (*native, key), (*original, key), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _map(origins, (*native, index), (*original, index), item)
