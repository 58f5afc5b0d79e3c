"""mmengine's ``param_scheduler`` list, stepped as its ``Runner`` steps it.

The schedulers are mmengine's own classes (``mmengine.optim.scheduler``), built the way
``Runner.build_param_scheduler`` builds them (mmengine 0.10, ``mmengine/runner/runner.py``:
``end`` defaults to the loop's max epochs or max iterations, ``convert_to_iter_based``
goes through ``build_iter_from_epoch`` with the epoch length) on the optimizer wrapped in
an ``OptimWrapper``, after ``Runner.scale_lr`` (``auto_scale_lr``). Then each optimizer
step is one training iteration, after which ``ParamSchedulerHook.after_train_iter`` steps
the iteration-based schedulers and, at the end of an epoch of an ``EpochBasedTrainLoop``,
``after_train_epoch`` steps the epoch-based ones (an ``IterBasedTrainLoop`` calls it
once, after the last iteration, where nothing is recorded any more).
"""

from __future__ import annotations

import copy
import difflib
import inspect
import warnings
from typing import Any

from lrplot.errors import LrplotError
from lrplot.facts import Length, Milestones, ScheduleFacts

# Keywords the builder and runner handle besides a scheduler class's own.
_BUILDER_KEYS = {"type", "convert_to_iter_based", "_scope_"}
_SUPPLIED = {"self", "optimizer", "param_name"}


class ParamSchedulers:
    """mmengine's schedulers for one optimizer, stepped as ``ParamSchedulerHook`` steps them."""

    lrplot_driver = True
    library = "mmengine"

    def __init__(
        self,
        optimizer: Any,
        param_scheduler: list[dict[str, Any]],
        max_epochs: int | None = None,
        max_iters: int | None = None,
        epoch_length: int | None = None,
        lr_scale: float | None = None,
    ) -> None:
        registry, wrapper_class = _mmengine()
        if (max_epochs is None) == (max_iters is None):
            raise LrplotError("give max_epochs (EpochBasedTrainLoop) or max_iters (IterBasedTrainLoop)")
        self.epoch_based = max_epochs is not None
        if self.epoch_based and not epoch_length:
            raise LrplotError("an EpochBasedTrainLoop needs epoch_length", key_path=("epoch_length",))
        self.epoch_length = epoch_length
        for index, entry in enumerate(param_scheduler):
            check_entry(entry, index, registry)
        self.wrapper = wrapper_class(optimizer)
        if lr_scale is not None:  # Runner.scale_lr, before the schedulers store initial_lr
            for group in self.wrapper.optimizer.param_groups:
                group["lr"] = group["lr"] * lr_scale
        loop_epochs = max_epochs if self.epoch_based else 1  # IterBasedTrainLoop.max_epochs is 1
        loop_iters = max_epochs * epoch_length if self.epoch_based else max_iters
        self.schedulers = []
        for entry in param_scheduler:
            config = copy.deepcopy(entry)
            config.setdefault("end", loop_epochs if config.get("by_epoch", True) else loop_iters)
            default_args: dict[str, Any] = {"optimizer": self.wrapper, "epoch_length": epoch_length}
            self.schedulers.append(registry.build(config, default_args=default_args))
        self.iteration = 0

    @classmethod
    def changes(cls, keywords: dict[str, Any]) -> set[str]:
        """Momentum and weight decay, where a scheduler of the list changes them.

        mmengine's momentum schedulers (``CosineAnnealingMomentum``, ...) change momentum (beta1
        for Adam), and its generic ``*ParamScheduler`` classes whatever ``param_name`` names.
        """
        changed = set()
        for entry in keywords.get("param_scheduler") or ():
            if not isinstance(entry, dict):
                continue
            kind = str(entry.get("type", ""))
            name = entry.get("param_name")
            if kind.endswith("Momentum") or (kind.endswith("ParamScheduler") and name == "momentum"):
                changed.add("momentum")
            if kind.endswith("ParamScheduler") and name == "weight_decay":
                changed.add("weight_decay")
        return changed

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """Each lr scheduler's declared end, ``T_max``, milestones and floor, in iterations.

        An entry's numbers count epochs (``by_epoch``, the default, ``epoch_length`` iterations
        each) or iterations, from its ``begin``; ``T_max`` and milestones count from ``begin``
        as mmengine's ``last_step`` does, ``end`` is absolute.
        """
        epoch_based = keywords.get("max_epochs") is not None
        length = int(keywords.get("epoch_length") or 1)
        lengths: list[Length] = []
        milestones = None
        floor, floor_key = None, None
        for index, entry in enumerate(keywords.get("param_scheduler") or ()):
            if not isinstance(entry, dict) or not str(entry.get("type", "")).endswith("LR"):
                continue  # momentum and generic param schedulers do not set the lr
            by_epoch = bool(entry.get("by_epoch", True))
            if by_epoch and not epoch_based:
                continue  # never stepped inside an IterBasedTrainLoop
            per = length if by_epoch else 1
            unit = "epoch" if by_epoch else "iteration"
            begin = int(entry.get("begin", 0)) * per

            def number(name: str, entry: dict[str, Any] = entry) -> float | None:
                value = entry.get(name)
                return (
                    float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
                )

            where = (index, unit, per)
            kind = str(entry["type"])
            end = number("end")
            eta_min = number("eta_min")
            if eta_min is not None and kind in ("CosineAnnealingLR", "PolyLR"):
                floor, floor_key = eta_min, ("param_scheduler", index, "eta_min")
            if kind == "CosineAnnealingLR" and number("T_max") is not None:
                lengths.append(
                    _declared(where, "T_max", number("T_max") or 0, "decay", begin, after="climbs")
                )
            elif kind in ("CosineAnnealingLR", "PolyLR") and end is not None:
                lengths.append(_declared(where, "end", end, "decay", target=0.0, floor=eta_min or 0.0))
            elif kind == "LinearLR" and end is not None:
                start, stop = number("start_factor"), number("end_factor")
                rising = (stop if stop is not None else 1.0) > (start if start is not None else 1 / 3)
                target = stop if stop is not None else 1.0
                lengths.append(_declared(where, "end", end, "warmup" if rising else "decay", target=target))
            elif kind == "MultiStepLR" and isinstance(entry.get("milestones"), list) and milestones is None:
                values = [m for m in entry["milestones"] if isinstance(m, int) and not isinstance(m, bool)]
                milestones = Milestones(
                    "milestones", tuple(begin + m * per for m in values), unit=unit, per_unit=per,
                    key=("param_scheduler", index, "milestones"), offset=begin,
                )  # fmt: skip
        return ScheduleFacts(
            name="mmengine", floor=floor, floor_key=floor_key, lengths=tuple(lengths), milestones=milestones
        )

    def step(self) -> None:
        """After one training iteration: what ParamSchedulerHook does after it."""
        if self.iteration == 0:
            self.wrapper.step()  # the runner's optimizer step (no gradients: changes nothing)
        self.iteration += 1
        for scheduler in self.schedulers:
            if not scheduler.by_epoch:
                scheduler.step()
        if self.epoch_based and self.iteration % self.epoch_length == 0:
            for scheduler in self.schedulers:
                if scheduler.by_epoch:
                    scheduler.step()


def _declared(
    where: tuple[int, str, int], name: str, value: float, shape: Any, offset: int = 0, **extra: Any
) -> Length:
    """A length of entry ``index`` written in ``unit`` (``per`` iterations each), from ``offset``."""
    index, unit, per = where
    return Length(
        name, offset + round(value * per), shape, unit=unit, per_unit=per,  # type: ignore[arg-type]
        key=("param_scheduler", index, name), offset=offset, written=value, **extra,
    )  # fmt: skip


def _mmengine() -> tuple[Any, type]:
    """mmengine's scheduler registry and OptimWrapper, or a one-line install hint."""
    try:
        with warnings.catch_warnings():  # torch deprecations mmengine's imports trigger: not the user's
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            import mmengine.optim  # registers mmengine's schedulers
            from mmengine.registry import PARAM_SCHEDULERS
    except ImportError:
        raise LrplotError(
            "OpenMMLab schedules are computed by mmengine's own classes: pip install 'lrplot[mmengine]'"
        ) from None
    return PARAM_SCHEDULERS, mmengine.optim.OptimWrapper


def check_entry(entry: dict[str, Any], index: int, registry: Any) -> None:
    """Refuse what mmengine's builder would: an unknown type, a keyword its class does not take."""
    at = ("param_scheduler", index)
    known = sorted(name for name in registry.module_dict if not name.endswith("ParamScheduler"))
    kind = entry.get("type")
    cls = registry.get(kind) if isinstance(kind, str) and "." not in kind else None
    if cls is None:
        close = difflib.get_close_matches(str(kind), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise LrplotError(
            f"param_scheduler[{index}]: {kind!r} is not one of mmengine's schedulers{hint} (a project's own, "
            f"such as mmdet's QuadraticWarmupLR, are not drawn); mmengine has {', '.join(known)}",
            key_path=(*at, "type"),
        )
    if "ReduceOnPlateau" in kind:
        raise LrplotError(
            f"param_scheduler[{index}]: {kind} follows validation metrics, which a config does not hold",
            key_path=(*at, "type"),
        )
    # LRSchedulerMixin and MomentumSchedulerMixin pass param_name themselves; the generic
    # *ParamScheduler classes take it from the config (param_name='weight_decay').
    supplied = _SUPPLIED - {"param_name"} if kind.endswith("ParamScheduler") else _SUPPLIED
    parameters = [name for name in init_parameters(cls) if name not in supplied]
    for key in entry:
        if key not in parameters and key not in _BUILDER_KEYS:
            close = difflib.get_close_matches(str(key), parameters, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LrplotError(
                f"param_scheduler[{index}]: {kind} has no keyword {key!r}{hint}; "
                f"valid: {', '.join(parameters)}",
                key_path=(*at, key),
            )


def init_parameters(cls: type) -> list[str]:
    """The keywords a scheduler class takes: the first ``__init__`` in its MRO that names them.

    mmengine's ``LinearLR`` is ``LRSchedulerMixin`` (``*args, **kwargs``) over
    ``LinearParamScheduler``, whose ``__init__`` lists the real keywords.
    """
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
            return list(parameters)
    return []
