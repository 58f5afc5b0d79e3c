"""detectron2 yacs YAML configs (``SOLVER``, ``_BASE_``): one curve, per iteration, as detectron2 steps it.

The file and its ``_BASE_`` chain are merged as fvcore's ``load_yaml_with_base`` merges them
(:mod:`lrplot.read.yacs_source`, never running a ``!!python/...`` tag), then the ``SOLVER``
node is merged into detectron2's own ``SOLVER`` defaults by yacs itself
(``CfgNode.merge_from_other_cfg``: strings decoded by ``literal_eval``, types checked,
unknown keys refused, as ``detectron2.config.get_cfg().merge_from_file`` does). The
defaults are detectron2's ``detectron2/config/defaults.py`` at commit
02b5c4e295e990042a714712c21dc79b731e8833; ``DefaultTrainer.auto_scale_workers``
(``detectron2/engine/defaults.py``, same commit) rescales for ``--world-size`` when the
config sets ``REFERENCE_WORLD_SIZE``. The schedule is fvcore's param schedulers composed as
``build_lr_scheduler`` does (:mod:`lrplot.plan.drivers.detectron2`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError
from lrplot.formats.base import Converted, FormatOptions, Identification, capped
from lrplot.formats.file_sets import apply_file_sets
from lrplot.limits import in_range
from lrplot.read.yaml_source import Opaque

NAME = "detectron2"
FORM = "detectron2"
APPLIES_SETS = True  # --set on the file's keys applies to the merged config (translate)
DRIVER = "lrplot.plan.drivers.detectron2.BuildLRScheduler"
INSTALL_HINT = "detectron2 configs are merged by yacs (as detectron2 does): pip install 'lrplot[detectron2]'"

# detectron2/config/defaults.py (_C.SOLVER), the commit above.
SOLVER_DEFAULTS: dict[str, Any] = {
    "LR_SCHEDULER_NAME": "WarmupMultiStepLR",
    "MAX_ITER": 40000,
    "BASE_LR": 0.001,
    "BASE_LR_END": 0.0,
    "MOMENTUM": 0.9,
    "NESTEROV": False,
    "WEIGHT_DECAY": 0.0001,
    "WEIGHT_DECAY_NORM": 0.0,
    "GAMMA": 0.1,
    "STEPS": (30000,),
    "NUM_DECAYS": 3,
    "WARMUP_FACTOR": 1.0 / 1000,
    "WARMUP_ITERS": 1000,
    "WARMUP_METHOD": "linear",
    "RESCALE_INTERVAL": False,
    "CHECKPOINT_PERIOD": 5000,
    "IMS_PER_BATCH": 16,
    "REFERENCE_WORLD_SIZE": 0,
    "BIAS_LR_FACTOR": 1.0,
    "WEIGHT_DECAY_BIAS": None,
    "CLIP_GRADIENTS": {"ENABLED": False, "CLIP_TYPE": "value", "CLIP_VALUE": 1.0, "NORM_TYPE": 2.0},
    "AMP": {"ENABLED": False},
}
# The SOLVER keys build_lr_scheduler, the optimizer's lrs and auto_scale_workers read.
SCHEDULE_KEYS = (
    "LR_SCHEDULER_NAME", "MAX_ITER", "BASE_LR", "BASE_LR_END", "MOMENTUM", "NESTEROV", "WEIGHT_DECAY",
    "GAMMA", "STEPS", "NUM_DECAYS", "WARMUP_FACTOR", "WARMUP_ITERS", "WARMUP_METHOD", "RESCALE_INTERVAL",
    "IMS_PER_BATCH", "REFERENCE_WORLD_SIZE", "BIAS_LR_FACTOR",
)  # fmt: skip
_DISTINCTIVE_SOLVER = {
    "BASE_LR", "MAX_ITER", "STEPS", "IMS_PER_BATCH", "LR_SCHEDULER_NAME", "WARMUP_ITERS",
    "WARMUP_FACTOR", "WARMUP_METHOD", "CHECKPOINT_PERIOD", "BASE_LR_END", "REFERENCE_WORLD_SIZE",
}  # fmt: skip
_YACS_TOP = {
    "MODEL",
    "DATASETS",
    "DATALOADER",
    "INPUT",
    "TEST",
    "VERSION",
    "OUTPUT_DIR",
    "SEED",
    "CUDNN_BENCHMARK",
}


# Top-level keys of other formats: a yacs config's own keys are upper case (but _BASE_).
_CONFLICTS = (
    "_base_", "param_scheduler", "optim_wrapper", "train_cfg",  # OpenMMLab
    "lr_scheduler", "optimization", "trainer", "curves", "lr0", "learning_rate",  # fairseq, others
)  # fmt: skip


def identify(path: Path | None, data: Any) -> Identification:
    """A yacs YAML: a ``SOLVER`` node with detectron2's solver keys, or a ``_BASE_`` file chain;
    other formats' top-level keys beside them conflict."""
    if not isinstance(data, dict) or (path is not None and path.suffix.lower() == ".py"):
        return Identification(NAME, 0.0, missing=("SOLVER", "_BASE_"))
    seen: list[str] = []
    score = 0.0
    solver = data.get("SOLVER")
    if isinstance(solver, dict):
        keys = sorted(_DISTINCTIVE_SOLVER & {str(k) for k in solver})
        if keys:
            seen += [f"SOLVER.{k}" for k in keys]
            score += 0.6 if len(keys) > 1 else 0.5
    base = data.get("_BASE_")
    if (isinstance(base, str) and base.lower().endswith((".yaml", ".yml"))) or (
        isinstance(base, list) and base and all(isinstance(b, str) for b in base)
    ):
        seen.append("_BASE_")
        score += 0.5
    top = sorted(_YACS_TOP & {str(k) for k in data})
    if top:  # alone (no SOLVER, no _BASE_): no claim, but evidence of yacs in another's file
        seen += top
        score += 0.1 * min(len(top), 3) if score else 0.1
    missing = tuple(k for k in ("SOLVER", "_BASE_") if k not in data)
    found = Identification(NAME, min(score, 1.0), seen=tuple(seen), missing=missing)
    return capped(found, tuple(k for k in _CONFLICTS if k in data))


def score(path: Path | None, data: Any) -> float:
    return identify(path, data).score


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """The merged config's SOLVER as one curve of MAX_ITER iterations, driven by fvcore's schedulers."""
    if options.path is not None and not options.prefix:
        from lrplot.read.yacs_source import read_yacs_config

        source, files = read_yacs_config(options.path)
        merged, reads = source.data, files[1:]
    else:
        if "_BASE_" in data:
            raise LrplotError(
                "a detectron2 config with _BASE_ is read from its file (its bases sit beside it)"
            )
        source, merged, reads = None, data, []
    merged, changes = apply_file_sets(merged, options.file_sets, FORM)  # on the config merged with _BASE_
    converted = Converted(data={}, form=FORM, source=source, reads=reads, notes=changes)
    where = source.where if source is not None else (lambda key: None)
    solver = merged_solver(merged, where)
    world = options.world_size
    reference = solver["REFERENCE_WORLD_SIZE"]
    if reference and world is None:
        converted.notes.append(
            f"REFERENCE_WORLD_SIZE {reference}: drawn for {reference} GPUs as written; give --world-size N "
            "and lrplot rescales it as DefaultTrainer.auto_scale_workers does"
        )
    elif reference and world != reference:
        solver = auto_scale_workers(solver, world, where)
        converted.notes.append(
            f"auto_scale_workers ({reference} -> {world} GPUs): IMS_PER_BATCH {solver['IMS_PER_BATCH']}, "
            f"BASE_LR {solver['BASE_LR']:g}, MAX_ITER {solver['MAX_ITER']}, "
            f"WARMUP_ITERS {solver['WARMUP_ITERS']}, "
            f"STEPS {list(solver['STEPS'])}"
        )
    _check(solver, where)
    if solver["LR_SCHEDULER_NAME"] == "WarmupMultiStepLR" and any(
        s > solver["MAX_ITER"] for s in solver["STEPS"]
    ):
        converted.notes.append(
            "SOLVER.STEPS contains values larger than SOLVER.MAX_ITER; detectron2 ignores them (as drawn)"
        )
    base_lr = solver["BASE_LR"]
    optimizer: dict[str, Any] = {
        "name": "SGD",
        "lr": base_lr,
        "momentum": solver["MOMENTUM"],
        "nesterov": solver["NESTEROV"],
        "weight_decay": solver["WEIGHT_DECAY"],
    }
    factor = solver["BIAS_LR_FACTOR"]
    if factor != 1.0:  # get_default_optimizer_params: bias lr = BASE_LR * BIAS_LR_FACTOR
        optimizer["param_groups"] = [
            {"name": "default"},
            {"name": f"bias (BIAS_LR_FACTOR {factor:g})", "lr": base_lr * factor},
        ]
    scheduler = {"name": DRIVER, "solver": {k: _plain(solver[k]) for k in SCHEDULE_KEYS}}
    curve = {
        "label": f"SGD + {solver['LR_SCHEDULER_NAME']}",
        "optimizer": optimizer,
        "scheduler": scheduler,
    }
    name = options.path.name if options.path is not None else "config"
    converted.data = {"title": f"{name} (detectron2)", "total_step": solver["MAX_ITER"], "curves": [curve]}
    origins = converted.origins
    origins[("total_step",)] = ("SOLVER", "MAX_ITER")
    origins[("curves", 0, "scheduler")] = ("SOLVER",)
    origins[("curves", 0, "optimizer", "lr")] = ("SOLVER", "BASE_LR")
    for key in SCHEDULE_KEYS:
        origins[("curves", 0, "scheduler", "solver", key)] = ("SOLVER", key)
    converted.derived.update(iterations=solver["MAX_ITER"], ims_per_batch=solver["IMS_PER_BATCH"])
    return converted


def merged_solver(merged: dict[str, Any], where: Any) -> dict[str, Any]:
    """``get_cfg().merge_from_file``'s SOLVER: the file's keys merged into detectron2's defaults by yacs."""
    try:
        from yacs.config import CfgNode
    except ImportError:
        raise LrplotError(INSTALL_HINT) from None
    solver = merged.get("SOLVER", {})
    if isinstance(solver, Opaque):
        raise LrplotError(
            f"SOLVER is a {solver} node; lrplot never runs code from a config", where=solver.where
        )
    if not isinstance(solver, dict):
        raise LrplotError(
            f"SOLVER should be a mapping, got {type(solver).__name__}", where=where(("SOLVER",))
        )
    _refuse_opaque(solver, ("SOLVER",))
    root = CfgNode({"SOLVER": SOLVER_DEFAULTS})
    try:
        root.merge_from_other_cfg(CfgNode({"SOLVER": solver}))
    except (KeyError, ValueError, AssertionError, TypeError) as exc:
        message = str(exc.args[0] if exc.args else exc)
        key = re.search(r"(?:key|config key): (SOLVER(?:\.\w+)+)", message)
        path = tuple(key.group(1).split(".")) if key else ("SOLVER",)
        text = message if len(message) <= 160 else message[:157] + "..."
        raise LrplotError(f"detectron2 (yacs) refuses it: {text}", where=where(path)) from None
    return _to_dict(root["SOLVER"])


def _refuse_opaque(value: Any, at: tuple[str | int, ...]) -> None:
    """A ``!!python/...`` node in SOLVER would be a schedule value: refused, named."""
    if isinstance(value, Opaque):
        dotted = ".".join(str(p) for p in at)
        raise LrplotError(
            f"{dotted} is a {value} node, which detectron2 would build with yaml.unsafe_load; lrplot "
            "never runs code from a config: write the value as plain YAML",
            where=value.where,
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_opaque(item, (*at, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _refuse_opaque(item, (*at, index))


def auto_scale_workers(solver: dict[str, Any], num_workers: int, where: Any) -> dict[str, Any]:
    """``DefaultTrainer.auto_scale_workers`` (detectron2/engine/defaults.py), for the SOLVER keys."""
    old_world_size = solver["REFERENCE_WORLD_SIZE"]
    if old_world_size == 0 or old_world_size == num_workers:
        return solver
    if solver["IMS_PER_BATCH"] % old_world_size != 0:
        raise LrplotError(
            f"Invalid REFERENCE_WORLD_SIZE in config! (IMS_PER_BATCH {solver['IMS_PER_BATCH']} is not "
            f"a multiple of REFERENCE_WORLD_SIZE {old_world_size}; detectron2 asserts it)",
            where=where(("SOLVER", "REFERENCE_WORLD_SIZE")),
        )
    scale = num_workers / old_world_size
    solver = dict(solver)
    solver["IMS_PER_BATCH"] = int(round(solver["IMS_PER_BATCH"] * scale))  # noqa: RUF046 (as detectron2 writes it)
    solver["BASE_LR"] = solver["BASE_LR"] * scale
    solver["MAX_ITER"] = int(round(solver["MAX_ITER"] / scale))  # noqa: RUF046
    solver["WARMUP_ITERS"] = int(round(solver["WARMUP_ITERS"] / scale))  # noqa: RUF046
    solver["STEPS"] = tuple(int(round(s / scale)) for s in solver["STEPS"])  # noqa: RUF046
    solver["CHECKPOINT_PERIOD"] = int(round(solver["CHECKPOINT_PERIOD"] / scale))  # noqa: RUF046
    solver["REFERENCE_WORLD_SIZE"] = num_workers
    return solver


def _check(solver: dict[str, Any], where: Any) -> None:
    """What build_lr_scheduler would fail on, as one line naming the key."""
    max_iter = solver["MAX_ITER"]
    in_range(max_iter, "SOLVER.MAX_ITER", where=where(("SOLVER", "MAX_ITER")))
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise LrplotError(
            f"SOLVER.MAX_ITER should be a positive integer, got {max_iter!r}",
            where=where(("SOLVER", "MAX_ITER")),
        )
    name = solver["LR_SCHEDULER_NAME"]
    known = ("WarmupMultiStepLR", "WarmupCosineLR", "WarmupStepWithFixedGammaLR")
    if name not in known:
        raise LrplotError(
            f"SOLVER.LR_SCHEDULER_NAME {name!r} is not one of detectron2's build_lr_scheduler "
            f"({', '.join(known)}); a project's own scheduler (e.g. DeepLab's WarmupPolyLR) is not drawn",
            where=where(("SOLVER", "LR_SCHEDULER_NAME")),
        )
    if solver["WARMUP_METHOD"] not in ("linear", "constant"):
        raise LrplotError(
            f"SOLVER.WARMUP_METHOD should be 'linear' or 'constant', got {solver['WARMUP_METHOD']!r}",
            where=where(("SOLVER", "WARMUP_METHOD")),
        )
    if name == "WarmupCosineLR":
        end = solver["BASE_LR_END"] / solver["BASE_LR"] if solver["BASE_LR"] else float("nan")
        if not 0.0 <= end <= 1.0:
            raise LrplotError(
                f"SOLVER.BASE_LR_END / BASE_LR should be in [0, 1] (detectron2 asserts it), got {end!r}",
                where=where(("SOLVER", "BASE_LR_END")),
            )
    for key in ("BASE_LR", "GAMMA", "WARMUP_FACTOR", "BIAS_LR_FACTOR"):
        value = solver[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LrplotError(f"SOLVER.{key} should be a number, got {value!r}", where=where(("SOLVER", key)))
    steps = solver["STEPS"]
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in steps) or list(steps) != sorted(steps):
        raise LrplotError(
            f"SOLVER.STEPS should be increasing iteration numbers, got {list(steps)!r}",
            where=where(("SOLVER", "STEPS")),
        )


def _to_dict(node: Any) -> dict[str, Any]:
    return {k: _to_dict(v) if isinstance(v, dict) else v for k, v in node.items()}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
