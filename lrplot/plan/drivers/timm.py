"""timm's schedulers: loaded without timm's top-level package, stepped as timm's train.py steps them.

timm's schedulers are not torch ``LRScheduler``\\ s: ``step(epoch)`` takes the epoch and
``step_update(num_updates)`` the update count, and timm's train.py calls both
(huggingface/pytorch-image-models, train.py at aa4b5850c1543fa488abf260f18390eda46cf85d):

- lines 1085-1095: a run resumed at ``start_epoch`` first calls
  ``step_update(start_epoch * updates_per_epoch)`` (``--sched-on-updates``) or ``step(start_epoch)``;
- lines 1266-1269, 1391 and 1438-1439: ``num_updates = epoch * updates_per_epoch``, then after
  each optimizer update ``num_updates += 1`` and ``lr_scheduler.step_update(num_updates=num_updates)``;
- lines 1138-1143 and 1199-1201: after each epoch ``lr_scheduler.step(epoch + 1, metric)``.

The driver :class:`TrainPy` does exactly that, one optimizer update per ``step()``, so lrplot's
engine (record, then ``step()``) records the lr every update of a real run used. lrplot's timm
format names it with train.py's arguments (``args``); a config naming a timm class
(``timm.scheduler.CosineLRScheduler``) is planned as this driver around that class.

``import timm`` imports timm's models and with them torchvision, which often cannot be
installed beside a given torch build (no CPU wheel matching torch 2.13 exists, for one); the
scheduler files need only torch and numpy. :func:`load_timm_scheduler` registers timm's
top-level package *unexecuted* (:mod:`lrplot.plan.drivers.unexecuted`, shared with torchtune,
Composer and megatron-core) and imports ``timm.scheduler`` below it; a later ``import timm;
timm.create_model(...)`` in the same process still works.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType, SimpleNamespace
from typing import Any

from lrplot.errors import KeyPath, LrplotError
from lrplot.facts import Length, Milestones, ScheduleFacts
from lrplot.plan.drivers.unexecuted import register_unexecuted

PREFIX = "timm.scheduler"
INSTALL_HINT = (
    "pip install 'lrplot[timm]' (or `pip install --no-deps timm` where torchvision cannot be "
    "installed: lrplot needs only timm's scheduler files)"
)


def load_timm_scheduler() -> ModuleType:
    """``timm.scheduler`` from the installed timm, whether or not torchvision imports."""
    loaded = sys.modules.get(PREFIX)
    if loaded is not None:
        return loaded
    register_unexecuted("timm")
    return importlib.import_module(PREFIX)


def is_timm_name(name: str) -> bool:
    return name == PREFIX or name.startswith(PREFIX + ".")


def resolve(name: str, key_path: KeyPath) -> Any:
    """A timm scheduler class by its dotted name; allowed by default, stepped by :class:`TrainPy`.

    ``timm.scheduler.CosineLRScheduler`` and ``timm.scheduler.cosine_lr.CosineLRScheduler``
    both work; only :class:`timm.scheduler.scheduler.Scheduler` subclasses may be named, never
    another helper of those modules.
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
    if not (isinstance(obj, type) and issubclass(obj, base) and obj is not base):
        raise LrplotError(
            f"{name!r} is not one of timm's schedulers ({', '.join(scheduler_names())})", key_path=key_path
        )
    return obj


def scheduler_names() -> list[str]:
    """The scheduler classes ``timm.scheduler`` exports, by dotted name."""
    module = load_timm_scheduler()
    base = importlib.import_module(f"{PREFIX}.scheduler").Scheduler
    return sorted(
        f"{PREFIX}.{n}"
        for n, obj in vars(module).items()
        if isinstance(obj, type) and issubclass(obj, base) and obj is not base
    )


def is_timm(obj: Any) -> bool:
    return str(getattr(obj, "__module__", "")).startswith(PREFIX)


def _check_run_length(
    args: SimpleNamespace, updates_per_epoch: int, num_epochs: int, epochs: int | None
) -> None:
    """Hold lrplot's run length (:func:`lrplot.formats.timm.run_epochs`) to timm's own answer.

    The format mirrors ``create_scheduler_v2``'s returned ``num_epochs`` from the same arguments:
    were they to differ, lrplot misreads timm and the curve drawn would be a guess (refused, a
    bug to report). The one legitimate difference: ``--set scheduler.args.KEY=V`` on the
    translated config changes the arguments after the format computed ``epochs`` from the file;
    the curve then keeps the file's length, and a warning says so.
    """
    from lrplot.formats import timm as timm_format

    ours = timm_format.run_epochs(args, updates_per_epoch)  # type: ignore[arg-type]  # the same attributes
    if ours != num_epochs:
        raise LrplotError(
            f"timm's create_scheduler_v2 schedules {num_epochs} epochs, lrplot computed {ours}: "
            "a bug in lrplot (its run length disagrees with timm's own code); "
            "please report it with this file",
            key_path=("args", "epochs"),
        )
    if epochs is not None and epochs != num_epochs:
        warnings.warn(
            f"timm's create_scheduler_v2 schedules {num_epochs} epochs for these arguments, the file's "
            f"{epochs}: the curve keeps its total_step (--set total_step={num_epochs * updates_per_epoch} "
            "for timm's run, from epoch 0; or --set the file's own keys, not scheduler.args)",
            UserWarning,
            stacklevel=3,
        )


class TrainPy:
    """A timm scheduler driven as timm's train.py drives it: ``step()`` is one optimizer update.

    With ``args`` (train.py's arguments, as lrplot's timm format reads them), timm's
    ``create_scheduler`` builds the scheduler (``scheduler_kwargs`` + ``create_scheduler_v2``)
    and ``args.start_epoch`` resumes it as train.py does; ``epochs`` is the run length lrplot
    computed, compared with the one timm returns. With ``scheduler`` (a timm scheduler class)
    and its ``keywords``, that class is built as it is. ``sched: none`` leaves the lr alone.
    """

    lrplot_driver = True
    library = "timm"  # whose code raised, in error messages

    def __init__(
        self,
        optimizer: Any,
        args: dict[str, Any] | None = None,
        updates_per_epoch: int = 1,
        epochs: int | None = None,
        scheduler: Any = None,
        keywords: dict[str, Any] | None = None,
    ) -> None:
        self.optimizer = optimizer
        self.updates_per_epoch = updates_per_epoch
        start_epoch, on_updates = 0, False
        if args is not None:
            namespace = SimpleNamespace(**args)
            factory = load_timm_scheduler().create_scheduler
            self.scheduler, num_epochs = factory(namespace, optimizer, updates_per_epoch=updates_per_epoch)
            start_epoch = int(getattr(namespace, "start_epoch", None) or 0)
            on_updates = bool(getattr(namespace, "sched_on_updates", False))
            _check_run_length(namespace, updates_per_epoch, num_epochs, epochs)
        elif scheduler is not None:
            self.scheduler = scheduler(optimizer, **(keywords or {}))
        else:
            raise TypeError("TrainPy needs args (train.py's arguments) or a timm scheduler class")
        self.num_updates = start_epoch * updates_per_epoch  # train_one_epoch: epoch * updates_per_epoch
        if self.scheduler is not None and start_epoch > 0:  # train.py lines 1091-1095
            if on_updates:
                self.scheduler.step_update(start_epoch * updates_per_epoch)
            else:
                self.scheduler.step(start_epoch)

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """Warmup end, decay end, milestones and floor, in epochs (``per_unit`` updates each) unless
        the class counts updates (``t_in_epochs=False``)."""
        per = int(keywords.get("updates_per_epoch") or 1)
        args = keywords.get("args")
        if isinstance(args, dict):
            return _train_py_facts(args, per)
        named = keywords.get("keywords") or {}
        scheduler = keywords.get("scheduler")
        in_epochs = named.get("t_in_epochs", True)
        unit, per_unit = ("epoch", per) if in_epochs else ("update", 1)
        name = getattr(scheduler, "__name__", "scheduler")

        def length(key: str, shape: Any, **extra: Any) -> list[Length]:
            value = named.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                return []
            return [
                Length(key, round(value * per_unit), shape, unit=unit, per_unit=per_unit,
                       key=("keywords", key), written=value, **extra)
            ]  # fmt: skip

        # warmup_lr_init (absolute) above the lr: a warmup that goes down (LR019; its fix, a hundredth
        # of the peak, since 0 would hold a per-epoch warmup at lr 0 for an epoch)
        lengths = length("warmup_t", "warmup", target=1.0, start_key=("warmup_lr_init",))
        floor = named.get("lr_min")
        if name in ("CosineLRScheduler", "PolyLRScheduler", "TanhLRScheduler"):
            lengths += length(
                "t_initial", "decay", floor=float(floor) if isinstance(floor, (int, float)) else 0.0
            )
        decay_t = named.get("decay_t")
        milestones = None
        if name == "MultiStepLRScheduler" and isinstance(decay_t, list):
            milestones = Milestones(
                "decay_t", tuple(round(m * per_unit) for m in decay_t if isinstance(m, (int, float))),
                unit=unit, per_unit=per_unit, key=("keywords", "decay_t"),
            )  # fmt: skip
        return ScheduleFacts(
            name=f"timm's {name}",
            floor=float(floor) if isinstance(floor, (int, float)) and not isinstance(floor, bool) else None,
            floor_key=("keywords", "lr_min"),
            lengths=tuple(lengths),
            milestones=milestones,
        )

    def step(self) -> None:
        """One optimizer update: ``step_update(num_updates)``, then ``step(epoch + 1)`` at epoch ends."""
        self.num_updates += 1
        if self.scheduler is None:
            return
        self.scheduler.step_update(num_updates=self.num_updates, metric=None)
        if self.num_updates % self.updates_per_epoch == 0:
            self.scheduler.step(self.num_updates // self.updates_per_epoch, None)


def _train_py_facts(args: dict[str, Any], per: int) -> ScheduleFacts:
    """train.py's arguments: ``warmup_epochs``, ``decay_milestones`` (multistep), ``min_lr``, in epochs."""
    sched = str(args.get("sched", "cosine"))
    lengths = []
    warmup = args.get("warmup_epochs")
    if isinstance(warmup, int) and not isinstance(warmup, bool) and warmup > 0 and sched != "none":
        lengths.append(
            Length("warmup_epochs", warmup * per, "warmup", target=1.0, unit="epoch", per_unit=per,
                   key=("args", "warmup_epochs"), start_key=("args", "warmup_lr"))
        )  # fmt: skip
    milestones = None
    decay = args.get("decay_milestones")
    if sched == "multistep" and isinstance(decay, list):
        milestones = Milestones(
            "decay_milestones", tuple(m * per for m in decay if isinstance(m, int) and m is not True),
            unit="epoch", per_unit=per, key=("args", "decay_milestones"),
        )  # fmt: skip
    floor = args.get("min_lr")
    return ScheduleFacts(
        name="timm",
        floor=float(floor) if isinstance(floor, (int, float)) and not isinstance(floor, bool) else None,
        floor_key=("args", "min_lr"),
        lengths=tuple(lengths),
        milestones=milestones,
    )


def driver_keywords(cls: Any, keywords: dict[str, Any], steps_per_epoch: int | None) -> dict[str, Any]:
    """A named timm class as :class:`TrainPy` keywords: the epoch is ``steps_per_epoch`` updates."""
    return {"scheduler": cls, "keywords": keywords, "updates_per_epoch": steps_per_epoch or 1}


def interval_problem(interval: str) -> str | None:
    """Why ``interval`` cannot apply to a timm scheduler, if it cannot."""
    if interval == "step":
        return None
    return (
        f"interval: {interval} does not apply to timm's schedulers: lrplot steps them as timm's "
        "train.py does (step_update after every update, step(epoch) after every epoch of "
        "steps_per_epoch updates); remove interval"
    )
