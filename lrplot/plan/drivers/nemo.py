"""NeMo's lr schedulers, built by NeMo's own ``prepare_lr_scheduler`` and stepped as Lightning steps them.

NeMo (NVIDIA/NeMo; the ``nemo_toolkit`` 3.0.0 wheel, whose ``nemo/core/optim/lr_scheduler.py``
matches the repository at 8cfedd7203462cb251a914e700e5605444277561 but for two import lines)
builds a model's scheduler in ``ModelPT.setup_optimization`` (``nemo/core/classes/modelPT.py``
lines 671-691): with ``trainer.max_steps >= 0`` it sets ``sched.max_steps`` to it; otherwise it
stores ``t_max_epochs``, ``t_accumulate_grad_batches``, ``t_limit_train_batches`` and
``t_num_workers`` (devices x nodes) in ``sched``, and ``prepare_lr_scheduler`` computes
``max_steps`` from the train dataloader with ``compute_max_steps``. The scheduler comes back
as ``{'scheduler': ..., 'interval': 'step', 'frequency': 1}``: Lightning calls its ``step()``
after every optimizer step, so optimizer step *k* uses the lr at ``last_epoch == k``.
:class:`NemoScheduler` makes the same calls with NeMo's own function and classes.

``lr_scheduler.py`` imports three names from NeMo's heavy modules that its schedule arithmetic
never uses: ``nemo.utils.logging`` (messages), ``nemo.core.classes.common.safe_instantiate`` (a
``_target_`` scheduler-params node, which the format refuses) and
``nemo.utils.model_utils.maybe_update_config_version`` (which rewrites configs of NeMo < 1.0;
the format passes plain dicts, which it returns unchanged). Those modules import hydra,
huggingface_hub, wrapt, lightning and the rest of NeMo, so while ``lr_scheduler.py`` loads they
are given as small modules with those three names (``sys.modules`` is restored afterwards); its
other import, ``nemo.core.config.schedulers`` (plain dataclasses), is NeMo's own file.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from types import ModuleType, SimpleNamespace
from typing import Any

from lrplot.errors import LrplotError
from lrplot.plan.drivers.unexecuted import register_unexecuted

MODULE = "nemo.core.optim.lr_scheduler"
INSTALL_HINT = (
    "pip install 'lrplot[nemo]' (or `pip install --no-deps nemo_toolkit`: lrplot needs only its schedulers)"
)
_SUBSTITUTES = ("nemo.utils", "nemo.utils.model_utils", "nemo.core.classes", "nemo.core.classes.common")


def _not_read(*_args: Any, **_kwargs: Any) -> Any:
    raise LrplotError("a _target_ scheduler-params node (safe_instantiate) is not read by lrplot")


def _unchanged(config: Any) -> Any:
    return config


def load_lr_scheduler() -> ModuleType:
    """``nemo.core.optim.lr_scheduler`` from the installed wheel, NeMo's packages left unexecuted."""
    loaded = sys.modules.get(MODULE)
    if loaded is not None:
        return loaded
    for name in ("nemo", "nemo.core", "nemo.core.config", "nemo.core.optim"):
        register_unexecuted(name)
    importlib.import_module("nemo.core.config.schedulers")
    spec = importlib.util.find_spec(MODULE)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError("No module named 'nemo.core.optim.lr_scheduler'", name="nemo")
    saved = {name: sys.modules.get(name) for name in _SUBSTITUTES}
    utils, model_utils = ModuleType("nemo.utils"), ModuleType("nemo.utils.model_utils")
    classes, common = ModuleType("nemo.core.classes"), ModuleType("nemo.core.classes.common")
    utils.logging = logging.getLogger("nemo")  # type: ignore[attr-defined]
    model_utils.maybe_update_config_version = _unchanged  # type: ignore[attr-defined]
    common.safe_instantiate = _not_read  # type: ignore[attr-defined]
    module = importlib.util.module_from_spec(spec)
    try:
        for name, substitute in zip(_SUBSTITUTES, (utils, model_utils, classes, common), strict=True):
            if saved[name] is None:
                sys.modules[name] = substitute
        spec.loader.exec_module(module)
    finally:
        for name, before in saved.items():
            if before is None:
                sys.modules.pop(name, None)
    sys.modules[MODULE] = module
    return module


def _scheduler_module() -> ModuleType:
    """:func:`load_lr_scheduler`, a missing nemo_toolkit as one line with the install hint."""
    try:
        return load_lr_scheduler()
    except ModuleNotFoundError as missing:
        raise LrplotError(f"drawing a NeMo schedule needs nemo_toolkit ({missing}): {INSTALL_HINT}") from None


def scheduler_config(
    sched: dict[str, Any],
    *,
    max_steps: int,
    max_epochs: int | None,
    accumulate_grad_batches: int,
    limit_train_batches: float | int,
    num_workers: int,
) -> dict[str, Any]:
    """``sched`` as ``ModelPT.setup_optimization`` hands it to ``prepare_lr_scheduler``."""
    config = dict(sched)
    if max_steps < 0:
        config.update(
            t_max_epochs=max_epochs,
            t_accumulate_grad_batches=accumulate_grad_batches,
            t_limit_train_batches=limit_train_batches,
            t_num_workers=num_workers,
        )
    else:
        config["max_steps"] = max_steps
    return config


class NemoScheduler:
    """``prepare_lr_scheduler(optimizer, sched, train_dataloader)``, stepped per optimizer step.

    ``sched`` is ``model.optim.sched`` (resolved); the trainer's values and the dataloader's
    (``dataset_size`` samples, ``batch_size``, ``drop_last``) are what ``setup_optimization``
    and ``compute_max_steps`` read.
    """

    lrplot_driver = True
    library = "NeMo"

    def __init__(
        self,
        optimizer: Any,
        sched: dict[str, Any],
        max_steps: int = -1,
        max_epochs: int | None = None,
        accumulate_grad_batches: int = 1,
        limit_train_batches: float | int = 1.0,
        num_workers: int = 1,
        dataset_size: int | None = None,
        batch_size: int | None = None,
        drop_last: bool = False,
    ) -> None:
        self.optimizer = optimizer
        module = _scheduler_module()
        config = scheduler_config(
            sched,
            max_steps=max_steps,
            max_epochs=max_epochs,
            accumulate_grad_batches=accumulate_grad_batches,
            limit_train_batches=limit_train_batches,
            num_workers=num_workers,
        )
        loader = None
        if dataset_size is not None:
            loader = SimpleNamespace(dataset=range(dataset_size), batch_size=batch_size, drop_last=drop_last)
        prepared = module.prepare_lr_scheduler(
            optimizer=optimizer, scheduler_config=config, train_dataloader=loader
        )
        if prepared is None:
            raise LrplotError("NeMo's prepare_lr_scheduler built no scheduler for model.optim.sched")
        if prepared["interval"] != "step":
            # Per-epoch schedulers are translated to torch's classes before this driver; one that
            # reaches it would be stepped per step here, a wrong curve.
            raise LrplotError(
                f"NeMo steps {config.get('name')} once per epoch, and it reached lrplot's per-step NeMo "
                "driver: a bug in lrplot; please report it"
            )
        self.scheduler = prepared["scheduler"]

    @property
    def max_steps(self) -> Any:
        """The ``max_steps`` NeMo gave the scheduler (the format's run length is checked against it)."""
        return getattr(self.scheduler, "max_steps", None)

    def step(self) -> None:
        """Lightning's ``lr_scheduler.step()`` after each optimizer step (interval ``step``)."""
        self.scheduler.step()

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class NemoRecipeScheduler:
    """A NeMo 2.0 recipe's scheduler: the ``nemo.lightning.pytorch.optim`` wrapper's call, stepped per step.

    ``XScheduler.scheduler(model, optimizer)`` (nemo/lightning/pytorch/optim/lr_scheduler.py at
    8cfedd7) builds ``nemo.core.optim.lr_scheduler.X(optimizer, max_steps=..., **keys)`` and
    returns it with interval ``step``, frequency 1: Lightning calls ``step()`` after every
    optimizer step. ``max_steps`` is the trainer's (MegatronStrategy.setup copies it).
    """

    lrplot_driver = True
    library = "NeMo"

    def __init__(self, optimizer: Any, scheduler: str, arguments: dict[str, Any], max_steps: int) -> None:
        self.optimizer = optimizer
        module = _scheduler_module()
        cls = module.AVAILABLE_SCHEDULERS.get(scheduler)
        if cls is None:
            raise LrplotError(f"NeMo has no scheduler {scheduler!r}")
        self.scheduler = cls(optimizer, max_steps=max_steps, **arguments)
        self.max_steps = max_steps

    def step(self) -> None:
        """Lightning's ``lr_scheduler.step()`` after each optimizer step (interval ``step``)."""
        self.scheduler.step()

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]
