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

from lrplot.facts import Length, ScheduleFacts
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

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """``get_cosine_schedule_with_warmup``'s warmup, decay end and cycles, in optimizer steps.

        Its ``lr_lambda`` (torchtune/training/lr_schedulers.py at v0.6.1) is ``step /
        num_warmup_steps`` up to the warmup, then ``0.5 * (1 + cos(pi * 2 * num_cycles *
        progress))`` to ``num_training_steps`` (the recipe's epochs x steps an epoch), whose
        first bottom is at progress ``1 / (2 num_cycles)``: past it, the lr climbs back.
        """
        component = str(keywords.get("component") or "")
        name = "torchtune's " + (component.rsplit(".", 1)[-1] or "constant lr")
        if not component.endswith("get_cosine_schedule_with_warmup"):
            return ScheduleFacts(name=name)
        arguments = keywords.get("arguments") or {}
        total = int(keywords["num_training_steps"])
        warmup, cycles = arguments.get("num_warmup_steps"), arguments.get("num_cycles", 0.5)
        lengths = []
        whole = isinstance(warmup, int) and not isinstance(warmup, bool)
        if whole and warmup > 0:
            lengths.append(
                Length(
                    "num_warmup_steps", warmup, "warmup", target=1.0, key=("arguments", "num_warmup_steps")
                )
            )
        lengths.append(Length("num_training_steps", total, "decay", target=0.0, after="climbs"))
        number = isinstance(cycles, (int, float)) and not isinstance(cycles, bool)
        if number and cycles > 0.5:
            start = warmup if whole else 0
            bottom = start + max(1, round((total - start) / (2 * cycles)))
            lengths.append(
                Length(
                    "num_cycles", bottom, "decay", target=0.0, after="climbs",
                    key=("arguments", "num_cycles"), written=cycles, fix_value=0.5,
                )
            )  # fmt: skip
        return ScheduleFacts(name=name, lengths=tuple(lengths))

    def step(self) -> None:
        """The recipe's ``lr_scheduler.step()`` after ``optimizer.step()``."""
        if self.scheduler is not None:
            self.scheduler.step()

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]
