"""timm's schedulers: loaded without timm's top-level package, stepped as timm's train.py steps them.

timm's schedulers are not torch ``LRScheduler``\\ s: ``step(epoch)`` takes the epoch and
``step_update(num_updates)`` the update count, and timm's train.py calls both
(huggingface/pytorch-image-models, train.py at aa4b5850c1543fa488abf260f18390eda46cf85d):

- lines 1085-1095: a run resumed at ``start_epoch`` first calls
  ``step_update(start_epoch * updates_per_epoch)`` (``--sched-on-updates``) or ``step(start_epoch)``;
- lines 1266-1269, 1391 and 1438-1439: ``num_updates = epoch * updates_per_epoch``, then after
  each optimizer update ``num_updates += 1`` and ``lr_scheduler.step_update(num_updates=num_updates)``;
- lines 1138-1143 and 1199-1201: after each epoch ``lr_scheduler.step(epoch + 1, metric)``.

:class:`TrainPyLoop` does exactly that, one optimizer update per ``step()``, so lrplot's engine
(record, then ``step()``) records the lr every update of a real run used. A plan of a timm
scheduler carries :func:`build` as its builder (:attr:`SchedulerPlan.builder`).

``import timm`` imports timm's models and with them torchvision, which often cannot be
installed beside a given torch build (no CPU wheel matching torch 2.13 exists, for one); the
scheduler files need only torch and numpy. :func:`load_timm_scheduler` registers timm's
top-level package *unexecuted* (its own spec and path) and imports ``timm.scheduler`` below
it; the package runs its real ``__init__`` the first time anything else asks it for an
attribute, so a later ``import timm; timm.create_model(...)`` in the same process still works.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings
from types import ModuleType, SimpleNamespace
from typing import Any

from lrplot.errors import KeyPath, LrplotError

PREFIX = "timm.scheduler"
FACTORIES = ("create_scheduler", "create_scheduler_v2")
INSTALL_HINT = (
    "pip install 'lrplot[timm]' (or `pip install --no-deps timm` where torchvision cannot be "
    "installed: lrplot needs only timm's scheduler files)"
)


def load_timm_scheduler() -> ModuleType:
    """``timm.scheduler`` from the installed timm, whether or not torchvision imports."""
    loaded = sys.modules.get(PREFIX)
    if loaded is not None:
        return loaded
    if "timm" not in sys.modules:
        spec = importlib.util.find_spec("timm")
        if spec is None or spec.loader is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("No module named 'timm'", name="timm")
        package = importlib.util.module_from_spec(spec)
        package.__getattr__ = _completing(package, spec)  # type: ignore[attr-defined]
        sys.modules["timm"] = package
    return importlib.import_module(PREFIX)


def _completing(package: ModuleType, spec: Any) -> Any:
    """A module ``__getattr__`` that runs the package's real ``__init__`` on first use."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__") or "__getattr__" not in package.__dict__:
            raise AttributeError(f"module 'timm' has no attribute {name!r}")
        del package.__dict__["__getattr__"]
        spec.loader.exec_module(package)
        return getattr(package, name)

    return __getattr__


def is_timm_name(name: str) -> bool:
    return name == PREFIX or name.startswith(PREFIX + ".")


def resolve(name: str, key_path: KeyPath) -> Any:
    """A timm scheduler class (or timm's factory) by its dotted name; allowed by default.

    ``timm.scheduler.CosineLRScheduler`` and ``timm.scheduler.cosine_lr.CosineLRScheduler``
    both work; only :class:`timm.scheduler.scheduler.Scheduler` subclasses and the two
    factories may be named, never another helper of those modules.
    """
    module_name, _, attribute = name.rpartition(".")
    try:
        load_timm_scheduler()
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name in ("timm", "numpy"):
            raise LrplotError(f"scheduler {name!r} needs timm: {INSTALL_HINT}", key_path=key_path) from None
        raise LrplotError(
            f"cannot import {module_name!r} for scheduler {name!r}: {exc}", key_path=key_path
        ) from None
    except Exception as exc:
        raise LrplotError(
            f"cannot import {module_name!r} for scheduler {name!r}: {exc}", key_path=key_path
        ) from None
    obj = getattr(module, attribute, None)
    base = importlib.import_module(f"{PREFIX}.scheduler").Scheduler
    is_scheduler = isinstance(obj, type) and issubclass(obj, base) and obj is not base
    if not is_scheduler and not (attribute in FACTORIES and callable(obj)):
        known = ", ".join(scheduler_names())
        raise LrplotError(f"{name!r} is not one of timm's schedulers ({known})", key_path=key_path)
    return obj


def scheduler_names() -> list[str]:
    """The names ``timm.scheduler`` exports: its scheduler classes and factories."""
    module = load_timm_scheduler()
    base = importlib.import_module(f"{PREFIX}.scheduler").Scheduler
    names = [
        f"{PREFIX}.{n}"
        for n, obj in vars(module).items()
        if isinstance(obj, type) and issubclass(obj, base) and obj is not base
    ]
    return sorted(names) + [f"{PREFIX}.{n}" for n in FACTORIES if hasattr(module, n)]


def is_timm(obj: Any) -> bool:
    return str(getattr(obj, "__module__", "")).startswith(PREFIX)


class TrainPyLoop:
    """A timm scheduler driven as timm's train.py drives it: ``step()`` is one optimizer update.

    ``scheduler`` None is ``--sched none`` (train.py leaves the lr alone).
    """

    def __init__(
        self,
        scheduler: Any,
        updates_per_epoch: int,
        *,
        start_epoch: int = 0,
        sched_on_updates: bool = False,
    ) -> None:
        self.scheduler = scheduler
        self.updates_per_epoch = updates_per_epoch
        self.num_updates = start_epoch * updates_per_epoch  # train_one_epoch: epoch * updates_per_epoch
        if scheduler is not None and start_epoch > 0:  # train.py lines 1091-1095
            if sched_on_updates:
                scheduler.step_update(start_epoch * updates_per_epoch)
            else:
                scheduler.step(start_epoch)

    def step(self) -> None:
        """One optimizer update: ``step_update(num_updates)``, then ``step(epoch + 1)`` at epoch ends."""
        self.num_updates += 1
        if self.scheduler is None:
            return
        self.scheduler.step_update(num_updates=self.num_updates, metric=None)
        if self.num_updates % self.updates_per_epoch == 0:
            self.scheduler.step(self.num_updates // self.updates_per_epoch, None)


def build(
    cls: Any,
    name: str,
    keywords: dict[str, Any],
    optimizer: Any,
    steps_per_epoch: int | None,
    total_step: int,
) -> TrainPyLoop:
    """Build the timm scheduler (or run timm's factory) and wrap it in :class:`TrainPyLoop`.

    ``timm.scheduler.create_scheduler`` takes train.py's arguments as ``args`` (a mapping) and
    is what lrplot's timm format uses: timm's own ``scheduler_kwargs`` and ``create_scheduler_v2``
    turn them into the scheduler. lrplot passes ``updates_per_epoch`` from ``steps_per_epoch``.
    """
    updates_per_epoch = steps_per_epoch or 1
    start_epoch, on_updates = 0, False
    if cls.__name__ == "create_scheduler":
        args = SimpleNamespace(**keywords["args"])
        scheduler, num_epochs = cls(args, optimizer, updates_per_epoch=updates_per_epoch)
        start_epoch = int(getattr(args, "start_epoch", None) or 0)
        on_updates = bool(getattr(args, "sched_on_updates", False))
        _compare_length(name, num_epochs, start_epoch, updates_per_epoch, total_step)
    elif cls.__name__ == "create_scheduler_v2":
        scheduler, num_epochs = cls(optimizer, **keywords, updates_per_epoch=updates_per_epoch)
        _compare_length(name, num_epochs, 0, updates_per_epoch, total_step)
    else:
        scheduler = cls(optimizer, **keywords)
    return TrainPyLoop(scheduler, updates_per_epoch, start_epoch=start_epoch, sched_on_updates=on_updates)


def _compare_length(
    name: str, num_epochs: int, start_epoch: int, updates_per_epoch: int, total_step: int
) -> None:
    """Say so when the curve is not exactly the run train.py would make (epochs from timm)."""
    updates = (num_epochs - start_epoch) * updates_per_epoch
    if updates != total_step:
        warnings.warn(
            f"timm's {name.rpartition('.')[2]} schedules {num_epochs} epochs"
            f"{f' (from epoch {start_epoch})' if start_epoch else ''}, {updates:,} updates of "
            f"{updates_per_epoch}; the curve draws total_step {total_step:,}",
            UserWarning,
            stacklevel=2,
        )


def plan_problems(cls: Any, keywords: dict[str, Any], interval: str) -> str | None:
    """What a config asks of a timm scheduler that train.py's stepping cannot do, if anything."""
    if interval != "step":
        return (
            f"interval: {interval} does not apply to timm's schedulers: lrplot steps them as timm's "
            "train.py does (step_update after every update, step(epoch) after every epoch of "
            "steps_per_epoch updates); remove interval"
        )
    if getattr(cls, "__name__", "") in FACTORIES and "updates_per_epoch" in keywords:
        return "updates_per_epoch comes from steps_per_epoch; set steps_per_epoch instead"
    if getattr(cls, "__name__", "") == "create_scheduler" and not isinstance(keywords.get("args"), dict):
        return "timm.scheduler.create_scheduler needs args: a mapping of train.py's arguments"
    return None
