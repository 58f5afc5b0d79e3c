"""nanoGPT config files (``config/*.py``): assignments that override train.py's globals.

nanoGPT's ``configurator.py`` runs the file inside ``train.py``'s namespace; lrplot reads
it as data (never run) on top of train.py's defaults, so a config may use them
(``lr_decay_iters = max_iters``). The schedule lives in train.py itself (warmup, cosine
decay to ``min_lr``, ``decay_lr``), reproduced with a citation in
:mod:`lrplot.plan.drivers.nanogpt`. The loop runs iterations 0 to ``max_iters``
inclusive, so a curve has ``max_iters + 1`` optimizer steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError
from lrplot.formats.base import Converted, FormatOptions, Identification
from lrplot.formats.file_sets import apply_file_sets
from lrplot.limits import in_range

NAME = "nanoGPT"
APPLIES_SETS = True  # --set on train.py's globals applies to the values read from the file (below)
DRIVER = "lrplot.plan.drivers.nanogpt.NanoGPTSchedule"

# train.py's defaults, karpathy/nanoGPT commit dc81cb368ce3e5761f298726fb3fade1b0ca5901,
# lines 32-75 (the values a config file overrides; dtype, device and compile left out).
DEFAULTS: dict[str, Any] = {
    "out_dir": "out", "eval_interval": 2000, "log_interval": 1, "eval_iters": 200, "eval_only": False,
    "always_save_checkpoint": True, "init_from": "scratch", "wandb_log": False, "wandb_project": "owt",
    "wandb_run_name": "gpt2", "dataset": "openwebtext", "gradient_accumulation_steps": 5 * 8,
    "batch_size": 12, "block_size": 1024, "n_layer": 12, "n_head": 12, "n_embd": 768, "dropout": 0.0,
    "bias": False, "learning_rate": 6e-4, "max_iters": 600000, "weight_decay": 1e-1, "beta1": 0.9,
    "beta2": 0.95, "grad_clip": 1.0, "decay_lr": True, "warmup_iters": 2000, "lr_decay_iters": 600000,
    "min_lr": 6e-5, "backend": "nccl", "device": "cuda", "compile": True,
}  # fmt: skip
# Names train.py has imported when it runs a config (bound as markers, never imported).
_MODULES = {"os": "os", "time": "time", "math": "math", "pickle": "pickle", "np": "numpy", "torch": "torch"}
_SCHEDULE_KEYS = ("learning_rate", "warmup_iters", "lr_decay_iters", "min_lr", "decay_lr")
_RUN_KEYS = ("max_iters", "eval_only", "init_from", "beta1", "beta2", "weight_decay")


def identify(path: Path | None, data: Any) -> Identification:
    """A ``.py`` file whose names are mostly train.py's, with at least two of them.

    OpenMMLab's names (``_base_``, ``param_scheduler``, ...) conflict.
    """
    expected = ("learning_rate", "max_iters")
    if path is None or path.suffix.lower() != ".py" or not isinstance(data, dict):
        return Identification(NAME, 0.0, missing=expected)
    names = [key for key in data if not key.startswith("_") and key not in _MODULES]
    known = tuple(key for key in names if key in DEFAULTS)
    conflicting = tuple(k for k in ("_base_", "param_scheduler", "optim_wrapper", "train_cfg") if k in data)
    if conflicting or len(known) < 2 or len(known) < 0.6 * len(names):
        return Identification(NAME, 0.0, known, tuple(k for k in expected if k not in known), conflicting)
    schedule = any(key in _SCHEDULE_KEYS or key == "max_iters" for key in known)
    return Identification(NAME, 1.0 if schedule else 0.8, known)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def translate(_data: Any, options: FormatOptions) -> Converted:
    """The config over train.py's defaults, as one AdamW curve driven by nanoGPT's get_lr."""
    from lrplot.read.python import ImportedName, first_unreadable, read_python

    if options.path is None:
        raise LrplotError("a nanoGPT config is read from its file")
    initial = {name: (value, {}) for name, value in DEFAULTS.items()}
    initial.update({name: (ImportedName(module), {}) for name, module in _MODULES.items()})
    source = read_python(options.path, initial=initial)
    data, changes = apply_file_sets(source.data, options.file_sets, NAME)  # the file is re-read here
    values = {**DEFAULTS, **data}
    for key in (*_SCHEDULE_KEYS, *_RUN_KEYS):
        found = first_unreadable(values[key], (key,))
        if found is not None:
            where = source.where((key,))
            raise LrplotError(f"{key} cannot be read: {found[1].explain(where)}", where=where)
    converted = Converted(data={}, form="nanoGPT", source=source, notes=changes)
    if values["eval_only"]:
        raise LrplotError(
            "eval_only = True: nanoGPT evaluates and stops before its first optimizer step; no lr to draw",
            where=source.where(("eval_only",)),
        )
    settings = {key: _checked(values, key, source) for key in _SCHEDULE_KEYS}
    max_iters = _checked(values, "max_iters", source)
    _check_division(settings, max_iters, source)
    if values["init_from"] == "resume":
        converted.notes.append("init_from = 'resume' continues at the checkpoint's iteration; drawn from 0")
    optimizer = {
        "name": "AdamW",
        "lr": settings["learning_rate"],
        "betas": [values["beta1"], values["beta2"]],
        "weight_decay": values["weight_decay"],
    }
    scheduler = {"name": DRIVER, **settings}
    curve = {"label": "nanoGPT " + ("cosine" if settings["decay_lr"] else "constant"), "optimizer": optimizer}
    curve["scheduler"] = scheduler
    converted.data = {
        "title": f"{options.path.name} (nanoGPT)",
        "total_step": max_iters + 1,
        "curves": [curve],
    }
    converted.origins[("total_step",)] = ("max_iters",)
    converted.origins[("curves", 0, "scheduler")] = ("learning_rate",)
    for key in _SCHEDULE_KEYS:
        converted.origins[("curves", 0, "scheduler", key)] = (key,)
    converted.origins[("curves", 0, "optimizer", "lr")] = ("learning_rate",)
    for key, original in (("betas", "beta1"), ("weight_decay", "weight_decay")):
        converted.origins[("curves", 0, "optimizer", key)] = (original,)
    converted.derived["iterations"] = max_iters + 1
    sizes = [values[key] for key in ("gradient_accumulation_steps", "batch_size", "block_size")]
    if all(isinstance(size, int) for size in sizes):
        converted.derived["tokens_per_iteration"] = sizes[0] * sizes[1] * sizes[2]
    return converted


def _checked(values: dict[str, Any], key: str, source: Any) -> Any:
    """A schedule value of the type train.py's arithmetic needs."""
    value = values[key]
    if key == "decay_lr":
        return bool(value)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if key in ("learning_rate", "min_lr"):
        if not number:
            raise LrplotError(f"{key} should be a number, got {value!r}", where=source.where((key,)))
        in_range(value, key, where=source.where((key,)), count=False)
        return value
    in_range(value, key, where=source.where((key,)))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise LrplotError(f"{key} should be a whole number >= 0, got {value!r}", where=source.where((key,)))
    return value


def _check_division(settings: dict[str, Any], max_iters: int, source: Any) -> None:
    """train.py's get_lr divides by lr_decay_iters - warmup_iters once past the warmup."""
    warmup, decay = settings["warmup_iters"], settings["lr_decay_iters"]
    if settings["decay_lr"] and decay == warmup and max_iters >= warmup:
        raise LrplotError(
            f"lr_decay_iters equals warmup_iters ({warmup}): nanoGPT's get_lr divides by zero at "
            f"iteration {warmup}",
            where=source.where(("lr_decay_iters",)),
        )
