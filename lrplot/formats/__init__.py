"""Stage 2: foreign training configs → lrplot's own config data.

One module per format; this registry holds their names only and imports a format's
module when a file is scored (so start-up stays fast however many formats exist). Each
format module has ``NAME``, ``score(path, data) -> float`` (0: not mine, 1: certain;
cheap, no heavy imports) and ``translate(...) -> Converted``. A native lrplot config
(one with a ``curves`` list) is taken as it is. ``--select KEY.PATH`` picks the subtree
when the file holds a whole training config.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.formats.base import PLATEAU_METRIC_NOTE, Converted, FormatOptions

__all__ = ["FORMATS", "PLATEAU_METRIC_NOTE", "Converted", "FormatOptions", "convert", "format_module"]

# Tried in this order; the highest score wins, ties go to the earlier entry.
FORMATS = (
    "lrplot.formats.litgpt",  # before LightningCLI: its optimizer is a class_path node too
    "lrplot.formats.lightning",
    "lrplot.formats.hydra",
    "lrplot.formats.timm",
    "lrplot.formats.torchtitan",
    "lrplot.formats.axolotl",
    "lrplot.formats.huggingface",
    "lrplot.formats.deepspeed",
    "lrplot.formats.mmengine",
    "lrplot.formats.nanogpt",
    "lrplot.formats.detectron2",
    "lrplot.formats.ultralytics",
)


def format_module(name: str) -> ModuleType:
    """A format's module, imported on first use."""
    return importlib.import_module(name)


def convert(data: Any, options: FormatOptions | None = None) -> Converted:
    """Detect the format of a loaded document and return lrplot config data."""
    options = options or FormatOptions()
    prefix: KeyPath = ()
    target = data
    select = options.select
    if select:
        for part in select.split("."):
            key: str | int = int(part) if part.isdigit() and isinstance(target, list) else part
            in_mapping = isinstance(target, dict) and key in target
            in_list = isinstance(target, list) and isinstance(key, int) and key < len(target)
            if in_mapping or in_list:
                target = target[key]
            else:
                raise LrplotError(f"--select {select}: no key {part!r} there", key_path=prefix or None)
            prefix = (*prefix, key)
    if isinstance(target, dict) and "curves" in target:
        if options.steps_per_epoch is not None:
            target = {**target, "steps_per_epoch": target.get("steps_per_epoch", options.steps_per_epoch)}
        converted = Converted(data=target, form="lrplot")
        if prefix:
            converted.origins = {(): prefix}
        return converted
    if not isinstance(target, dict):
        raise LrplotError("the config must be a mapping with a 'curves' list", key_path=prefix or None)
    options.prefix, options.root = prefix, data
    best, best_score = None, 0.0
    for name in FORMATS:
        module = format_module(name)
        score = module.score(options.path, target)
        if score > best_score:
            best, best_score = module, score
    if best is not None:
        return best.translate(target, options)
    if options.path is not None and options.path.suffix.lower() == ".py":
        raise LrplotError(
            "a Python file that is neither an OpenMMLab (mmengine) config (param_scheduler, optim_wrapper, "
            "train_cfg, _base_) nor a nanoGPT config (train.py's names: learning_rate, max_iters, ...)",
            where=str(options.path),
        )
    raise LrplotError(
        "no 'curves' list, and no LightningCLI optimizer/lr_scheduler (class_path), Hydra _target_ "
        "optimizer and scheduler, Hugging Face Trainer or axolotl keys, or DeepSpeed scheduler found; "
        "use --select KEY.PATH to point at them",
        key_path=prefix or None,
    )
