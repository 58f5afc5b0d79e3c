"""torchtune's lr schedulers, built and stepped as torchtune's recipes do.

torchtune's recipes (pytorch/torchtune at v0.6.1, a6290a5b40758f13bca61c386bc8756a49ef417e:
recipes/full_finetune_single_device.py lines 320-352 and 704-718, full_finetune_distributed.py
492-496, lora_finetune_single_device.py 340-362 and 645-656, and the other finetune recipes
alike) build the scheduler once the dataloader exists::

    lr_scheduler = config.instantiate(cfg.lr_scheduler, optimizer,
                                      num_training_steps=total_epochs * steps_per_epoch,
                                      last_epoch=global_step - 1)

(``instantiate`` merges those keywords over the config's, so the recipe's values win), and call
``optimizer.step()`` then ``lr_scheduler.step()`` after every ``gradient_accumulation_steps``
batches. lrplot records the lr, then calls :meth:`RecipeScheduler.step`: the same sequence, so
step *k* of the curve is the lr the recipe's *k*-th optimizer step used. A config without an
``lr_scheduler`` (full-finetune recipes allow it) keeps the optimizer's lr.

The schedule function is torchtune's own (``torchtune.training.lr_schedulers``), loaded without
running ``torchtune/__init__.py`` or ``torchtune/training/__init__.py``, which import torchao and
the model stack (:mod:`lrplot.plan.drivers.unexecuted`).
"""

from __future__ import annotations

import importlib
from typing import Any

from lrplot.plan.drivers.unexecuted import register_unexecuted

MODULE = "torchtune.training.lr_schedulers"
INSTALL_HINT = (
    "pip install 'lrplot[torchtune]' (or `pip install --no-deps torchtune`: lrplot needs only its schedules)"
)
# The names a recipe's lr_scheduler._component_ may take for the module's functions.
PREFIXES = (MODULE + ".", "torchtune.training.")


def load_lr_schedulers() -> Any:
    """``torchtune.training.lr_schedulers`` from the installed torchtune, its packages left unexecuted."""
    register_unexecuted("torchtune")
    register_unexecuted("torchtune.training")
    return importlib.import_module(MODULE)


def schedule_names() -> list[str]:
    """torchtune's schedule factories (``get_*_schedule*``) by the dotted names recipes use."""
    module = load_lr_schedulers()
    return sorted(
        f"{MODULE}.{name}"
        for name, obj in vars(module).items()
        if callable(obj) and name.startswith("get_") and "schedule" in name
    )


def schedule_function(component: str) -> Any:
    """The torchtune function a ``_component_`` names, or ``ValueError`` naming the valid ones."""
    attribute = next((component[len(p) :] for p in PREFIXES if component.startswith(p)), None)
    names = schedule_names()
    if attribute is None or f"{MODULE}.{attribute}" not in names:
        raise ValueError(f"{component!r} is not one of torchtune's lr schedulers ({', '.join(names)})")
    return getattr(load_lr_schedulers(), attribute)


class RecipeScheduler:
    """``config.instantiate(cfg.lr_scheduler, optimizer, num_training_steps=..., last_epoch=...)``.

    ``component`` is the config's ``_component_``, ``arguments`` its other keys;
    ``num_training_steps`` and ``last_epoch`` are the recipe's (they win over the config's).
    ``component=None`` is a recipe without ``lr_scheduler``: the lr stays the optimizer's.
    """

    lrplot_driver = True
    library = "torchtune"

    def __init__(
        self,
        optimizer: Any,
        num_training_steps: int,
        component: str | None = None,
        arguments: dict[str, Any] | None = None,
        last_epoch: int = -1,
    ) -> None:
        self.optimizer = optimizer
        self.scheduler = None
        if component is not None:
            function = schedule_function(component)
            merged = {**(arguments or {}), "num_training_steps": num_training_steps, "last_epoch": last_epoch}
            self.scheduler = function(optimizer, **merged)

    def step(self) -> None:
        """The recipe's ``lr_scheduler.step()`` after ``optimizer.step()``."""
        if self.scheduler is not None:
            self.scheduler.step()

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]
