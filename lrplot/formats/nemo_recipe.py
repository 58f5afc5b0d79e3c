"""NeMo 2.0 recipe scripts (``nemo/collections/llm/recipes/*.py``) → NeMo's own lr schedule.

The script is read as data by :mod:`lrplot.read.nemo_recipe` (parsed, never run): the optim
factory or ``run.Config(XScheduler, ...)`` it writes, the optimizer's lr and the trainer's
``max_steps``. The curve is NeMo's ``nemo.core.optim.lr_scheduler`` class built with the
keywords the ``nemo.lightning.pytorch.optim`` wrapper passes it (the driver
:class:`lrplot.plan.drivers.nemo.NemoRecipeScheduler`), stepped after every optimizer step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrplot.errors import LrplotError
from lrplot.formats.base import Converted, FormatOptions, Identification
from lrplot.formats.trainer_args import check_options
from lrplot.read.nemo_recipe import MARKERS, read_recipe

NAME = "NeMo recipe"
FORM = "NeMo recipe"
DRIVER = "lrplot.plan.drivers.nemo.NemoRecipeScheduler"
_RECIPE_NAMES = ("pretrain_recipe", "finetune_recipe", "run", "nl", "llm")


def identify(path: Path | None, data: Any) -> Identification:
    """A ``.py`` file binding one of NeMo's schedule makers, beside a recipe's names (``run``, ``nl``)."""
    expected = ("lr schedule maker", "pretrain_recipe")
    if path is None or path.suffix.lower() != ".py" or not isinstance(data, dict):
        return Identification(NAME, 0.0, missing=expected)
    makers = tuple(name for name in MARKERS if name in data)
    recipe = tuple(name for name in _RECIPE_NAMES if name in data)
    if not makers:
        return Identification(NAME, 0.0, recipe, expected)
    score = 0.5 + (0.5 if recipe else 0.0)
    return Identification(NAME, score, (*makers[:2], *recipe[:2]), () if recipe else ("pretrain_recipe",))


def score(path: Path | None, data: Any) -> float:
    return identify(path, data).score


def translate(_data: Any, options: FormatOptions) -> Converted:
    """One curve: the recipe's scheduler over the trainer's max_steps optimizer steps."""
    check_options(options)
    if options.path is None:
        raise LrplotError("a NeMo recipe is read from its file")
    found = read_recipe(options.path)
    shown = str(options.path)
    total = options.total_step if options.total_step is not None else found.max_steps
    if total is None:
        assert found.missing_length is not None
        message, where = found.missing_length
        raise LrplotError(message, where=where)
    curve = {
        "label": f"NeMo {found.scheduler} ({found.written_as})",
        "optimizer": {"name": "Adam", "lr": found.lr},
        "scheduler": {"name": DRIVER, "scheduler": found.scheduler, "arguments": found.arguments,
                      "max_steps": total},
    }  # fmt: skip
    converted = Converted(
        data={"title": f"{options.path.stem} (NeMo recipe)", "total_step": total, "curves": [curve]},
        form=FORM,
        notes=list(found.notes),
    )
    origins = converted.origins
    origins[("curves", 0, "optimizer", "lr")] = f"{shown}:{found.lines.get('lr', 1)}"
    origins[("total_step",)] = f"{shown}:{found.lines.get('max_steps', 1)}"
    origins[("curves", 0, "scheduler", "max_steps")] = origins[("total_step",)]
    for key in found.arguments:
        line = found.lines.get(key, found.lines.get("lr", 1))
        origins[("curves", 0, "scheduler", "arguments", key)] = f"{shown}:{line}"
    converted.derived.update(scheduler=found.scheduler, written_as=found.written_as, optimizer_steps=total)
    return converted
