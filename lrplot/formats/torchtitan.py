"""torchtitan train configs (TOML: ``[optimizer]``, ``[lr_scheduler]``, ``[training]``): one curve.

torchtitan keeps its schedule in its own code, so the translated curve names lrplot's faithful
copy, the driver ``lrplot.plan.drivers.torchtitan.WarmupStableDecay`` (cited there). The
sections and defaults are torchtitan's ``JobConfig`` (torchtitan/config/job_config.py at
238fa9953e4aec2a62582121564273d7cbb1e9f1): ``lr_scheduler.warmup_steps`` 200, ``decay_ratio``
None (decay right after warmup), ``decay_type`` linear, ``min_lr_factor`` 0.0, ``total_steps``
None (``training.steps``); ``optimizer.lr`` 8e-4 (AdamW); ``training.steps`` 10000. The
schedule steps once per training step, whatever the batch or gradient accumulation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError
from lrplot.formats.base import CONFLICTED, Converted, FormatOptions, Identification, marked_nodes
from lrplot.limits import in_range

NAME = "torchtitan"
FORM = "torchtitan"
SCHEDULER_KEYS = {
    "warmup_steps": 200,
    "decay_ratio": None,
    "decay_type": "linear",
    "min_lr_factor": 0.0,
    "total_steps": None,
}
DECAY_TYPES = ("linear", "sqrt", "cosine")
TORCH_OPTIMIZERS = ("Adam", "AdamW", "SGD")
_SECTIONS = {"job", "model", "optimizer", "lr_scheduler", "training", "parallelism", "checkpoint", "metrics"}


def identify(path: Path | None, data: Any) -> Identification:
    """torchtitan's sections, with ``[training]`` and ``[lr_scheduler]`` or ``[optimizer]``.

    A class-naming node in those sections (Hydra's ``_target_``, LightningCLI's ``class_path``,
    torchtune's ``_component_``) conflicts: torchtitan names its optimizer by ``name``.
    """
    expected = ("training", "lr_scheduler")
    if not isinstance(data, dict) or (path is not None and path.suffix.lower() == ".py"):
        return Identification(NAME, 0.0, missing=expected)
    seen = tuple(sorted(k for k in _SECTIONS if isinstance(data.get(k), dict)))
    missing = tuple(k for k in expected if k not in seen)
    conflicting = marked_nodes(data, ("optimizer", "lr_scheduler"), ("_target_", "class_path", "_component_"))
    if "training" not in seen or not {"lr_scheduler", "optimizer"} & set(seen):
        return Identification(NAME, 0.0, seen, missing, conflicting)
    toml = path is not None and path.suffix.lower() == ".toml"
    score = 0.95 if toml else (0.6 if len(seen) >= 3 else 0.3)
    return Identification(NAME, min(score, CONFLICTED) if conflicting else score, seen, missing, conflicting)


def score(path: Path | None, data: Any) -> float:
    """The registry of before identification: :func:`identify`'s score."""
    return identify(path, data).score


def translate(data: dict[str, Any], options: FormatOptions) -> Converted:
    """The schedule torchtitan's trainer would step, ``training.steps`` times."""
    converted = Converted(data={}, form=FORM)
    origins = converted.origins
    training = _section(data, "training")
    optimizer = _section(data, "optimizer")
    schedule = dict(_section(data, "lr_scheduler"))
    if "lr_min" in schedule and "min_lr_factor" not in schedule:
        schedule["min_lr_factor"] = schedule.pop("lr_min")
        origins[("curves", 0, "scheduler", "min_lr_factor")] = ("lr_scheduler", "lr_min")
        converted.notes.append(
            "lr_scheduler.lr_min is the name torchtitan used before 2025-07-30 (now min_lr_factor); "
            "drawn with torchtitan's schedule as of 2026-02, whose warmup and decay are one step "
            "shorter than before 2025-06-11"
        )
    unknown = sorted(set(schedule) - set(SCHEDULER_KEYS))
    if unknown:
        raise LrplotError(
            f"lr_scheduler.{unknown[0]} is not an option of torchtitan's lr_scheduler; "
            f"valid: {', '.join(SCHEDULER_KEYS)}",
            key_path=("lr_scheduler", unknown[0]),
        )
    steps = training.get("steps", 10000)
    if "steps" not in training:
        converted.notes.append("training.steps not set: torchtitan's default, 10000")
    _positive_int(steps, ("training", "steps"))
    keywords: dict[str, Any] = {
        "name": "lrplot.plan.drivers.torchtitan.WarmupStableDecay",
        "training_steps": steps,
    }
    for key, default in SCHEDULER_KEYS.items():
        keywords[key] = schedule.get(key, default)
        if key in schedule:
            origins.setdefault(("curves", 0, "scheduler", key), ("lr_scheduler", key))
    _check(keywords)
    lr = optimizer.get("lr", 8e-4)
    name = str(optimizer.get("name", "AdamW"))
    if name not in TORCH_OPTIMIZERS:
        converted.notes.append(f"optimizer {name!r} drawn as AdamW: torchtitan's schedule sets only its lr")
        name = "AdamW"
    converted.data = {
        "title": f"{_job_name(data)} (torchtitan)",
        "total_step": steps,
        "curves": [
            {
                "label": f"torchtitan {keywords['decay_type']} decay",
                "optimizer": {"name": name, "lr": lr},
                "scheduler": keywords,
            }
        ],
    }
    origins[("total_step",)] = ("training", "steps")
    origins[("curves", 0, "optimizer", "lr")] = ("optimizer", "lr")
    origins[("curves", 0, "scheduler")] = ("lr_scheduler",)
    origins[("curves", 0, "scheduler", "training_steps")] = ("training", "steps")
    converted.derived = {"steps": steps}
    return converted


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise LrplotError(f"[{name}] should be a table, got {section!r}", key_path=(name,))
    return section


def _positive_int(value: Any, key_path: tuple[str, ...]) -> None:
    in_range(value, ".".join(key_path), key_path=key_path)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LrplotError(
            f"{'.'.join(key_path)} should be a positive integer, got {value!r}", key_path=key_path
        )


def _check(keywords: dict[str, Any]) -> None:
    """The options torchtitan's config parser would refuse, with their lines."""
    where = ("lr_scheduler",)
    if keywords["decay_type"] not in DECAY_TYPES:
        raise LrplotError(
            f"lr_scheduler.decay_type should be one of {', '.join(DECAY_TYPES)}, "
            f"got {keywords['decay_type']!r}",
            key_path=(*where, "decay_type"),
        )
    warmup = keywords["warmup_steps"]
    if isinstance(warmup, bool) or not isinstance(warmup, (int, float)) or warmup < 0:
        raise LrplotError(
            f"lr_scheduler.warmup_steps should be a number >= 0, got {warmup!r}",
            key_path=(*where, "warmup_steps"),
        )
    ratio = keywords["decay_ratio"]
    if ratio is not None and (
        isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1
    ):
        raise LrplotError(
            f"lr_scheduler.decay_ratio should be between 0 and 1, got {ratio!r}",
            key_path=(*where, "decay_ratio"),
        )
    total = keywords["total_steps"]
    if total is not None:
        _positive_int(total, (*where, "total_steps"))


def _job_name(data: dict[str, Any]) -> str:
    job = data.get("job")
    description = job.get("description") if isinstance(job, dict) else None
    return str(description) if description else "torchtitan"
