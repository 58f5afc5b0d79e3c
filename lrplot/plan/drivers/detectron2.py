"""detectron2's lr schedule: fvcore's param schedulers composed as ``build_lr_scheduler`` does.

detectron2 is not on the package index; fvcore (its schedulers) is. What detectron2 adds
around them is reproduced here from facebookresearch/detectron2 at commit
02b5c4e295e990042a714712c21dc79b731e8833:

- ``detectron2/solver/build.py``, ``build_lr_scheduler``: WarmupMultiStepLR is
  ``MultiStepParamScheduler(values=[GAMMA**k for k in range(len(steps) + 1)],
  milestones=steps, num_updates=MAX_ITER)`` with the STEPS beyond MAX_ITER dropped,
  WarmupCosineLR is ``CosineParamScheduler(1, BASE_LR_END / BASE_LR)``,
  WarmupStepWithFixedGammaLR is ``StepWithFixedGammaParamScheduler(1.0, GAMMA, NUM_DECAYS,
  MAX_ITER)``; each wrapped in ``WarmupParamScheduler(sched, WARMUP_FACTOR,
  min(WARMUP_ITERS / MAX_ITER, 1.0), WARMUP_METHOD, RESCALE_INTERVAL)`` and driven by
  ``LRMultiplier(optimizer, multiplier=sched, max_iter=MAX_ITER)``;
- ``detectron2/solver/lr_scheduler.py``: ``WarmupParamScheduler`` (a fvcore
  ``CompositeParamScheduler`` of a constant or linear warmup and the schedule) and
  ``LRMultiplier`` (a torch ``LRScheduler`` whose lr is ``base_lr * multiplier(last_epoch /
  max_iter)``), reproduced below line for line.

detectron2's ``hooks.LRScheduler.after_step`` calls ``scheduler.step()`` after every
iteration: one lrplot step is one iteration.
"""

from __future__ import annotations

import math
from typing import Any

from lrplot.errors import LrplotError
from lrplot.facts import Length, Milestones, ScheduleFacts, TrainerWarning

SCHEDULERS = ("WarmupMultiStepLR", "WarmupCosineLR", "WarmupStepWithFixedGammaLR")
INSTALL_HINT = (
    "detectron2 schedules are computed by fvcore's param schedulers: pip install 'lrplot[detectron2]'"
)


def _fvcore() -> Any:
    try:
        from fvcore.common import param_scheduler
    except ImportError:
        raise LrplotError(INSTALL_HINT) from None
    return param_scheduler


def warmup_param_scheduler(
    scheduler: Any, warmup_factor: float, warmup_length: float, warmup_method: str, rescale_interval: bool
) -> Any:
    """detectron2's ``WarmupParamScheduler`` (lr_scheduler.py): a warmup stage before ``scheduler``."""
    fv = _fvcore()
    end_value = scheduler(0.0) if rescale_interval else scheduler(warmup_length)
    start_value = warmup_factor * scheduler(0.0)
    if warmup_method == "constant":
        warmup = fv.ConstantParamScheduler(start_value)
    elif warmup_method == "linear":
        warmup = fv.LinearParamScheduler(start_value, end_value)
    else:
        raise LrplotError(
            f"WARMUP_METHOD should be 'linear' or 'constant' (detectron2: Unknown warmup method), "
            f"got {warmup_method!r}",
            key_path=("solver", "WARMUP_METHOD"),
        )
    return fv.CompositeParamScheduler(
        [warmup, scheduler],
        interval_scaling=["rescaled", "rescaled" if rescale_interval else "fixed"],
        lengths=[warmup_length, 1 - warmup_length],
    )


def build_multiplier(solver: dict[str, Any]) -> Any:
    """``build_lr_scheduler``'s fvcore schedule (the lr multiplier as a function of progress)."""
    fv = _fvcore()
    name = solver["LR_SCHEDULER_NAME"]
    max_iter = solver["MAX_ITER"]
    if name == "WarmupMultiStepLR":
        steps = [x for x in solver["STEPS"] if x <= max_iter]
        sched = fv.MultiStepParamScheduler(
            values=[solver["GAMMA"] ** k for k in range(len(steps) + 1)],
            milestones=steps,
            num_updates=max_iter,
        )
    elif name == "WarmupCosineLR":
        end_value = solver["BASE_LR_END"] / solver["BASE_LR"]
        sched = fv.CosineParamScheduler(1, end_value)
    elif name == "WarmupStepWithFixedGammaLR":
        sched = fv.StepWithFixedGammaParamScheduler(
            base_value=1.0, gamma=solver["GAMMA"], num_decays=solver["NUM_DECAYS"], num_updates=max_iter
        )
    else:
        raise LrplotError(
            f"LR_SCHEDULER_NAME {name!r} is not one of detectron2's ({', '.join(SCHEDULERS)})",
            key_path=("solver", "LR_SCHEDULER_NAME"),
        )
    return warmup_param_scheduler(
        sched,
        solver["WARMUP_FACTOR"],
        min(solver["WARMUP_ITERS"] / max_iter, 1.0),
        solver["WARMUP_METHOD"],
        solver["RESCALE_INTERVAL"],
    )


def _lr_multiplier_class() -> type:
    from torch.optim.lr_scheduler import LRScheduler

    class LRMultiplier(LRScheduler):
        """detectron2's ``LRMultiplier``: every lr is its initial value times the fvcore multiplier."""

        def __init__(self, optimizer: Any, multiplier: Any, max_iter: int, last_iter: int = -1) -> None:
            self._multiplier = multiplier
            self._max_iter = max_iter
            super().__init__(optimizer, last_epoch=last_iter)

        def get_lr(self) -> list[float]:
            multiplier = self._multiplier(self.last_epoch / self._max_iter)
            return [base_lr * multiplier for base_lr in self.base_lrs]

    return LRMultiplier


class BuildLRScheduler:
    """detectron2's ``build_lr_scheduler(cfg, optimizer)`` from the merged SOLVER, stepped per iteration."""

    lrplot_driver = True
    library = "detectron2 (fvcore)"

    def __init__(self, optimizer: Any, solver: dict[str, Any]) -> None:
        if solver.get("MAX_ITER", 0) < 1:
            raise LrplotError("MAX_ITER should be at least 1", key_path=("solver", "MAX_ITER"))
        multiplier = build_multiplier(solver)
        self.scheduler = _lr_multiplier_class()(optimizer, multiplier=multiplier, max_iter=solver["MAX_ITER"])

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """The warmup, the STEPS the schedule keeps, and the warning ``build_lr_scheduler`` logs.

        ``build_lr_scheduler`` drops the ``SOLVER.STEPS`` beyond ``MAX_ITER`` and logs
        "SOLVER.STEPS contains values larger than SOLVER.MAX_ITER. These values will be
        ignored." (detectron2/solver/build.py at 02b5c4e2): the milestones declared are the
        kept ones, the dropped ones are that warning, silenced by writing the kept ones. The
        warmup is ``min(WARMUP_ITERS / MAX_ITER, 1)`` of the run, in iterations: a longer one is
        declared ``clipped`` (the run is then all warmup).
        """
        solver = keywords.get("solver") or {}
        name = str(solver.get("LR_SCHEDULER_NAME"))
        max_iter = solver.get("MAX_ITER")
        if not isinstance(max_iter, int) or max_iter < 1:
            return ScheduleFacts(name=f"detectron2's {name}")
        warmup = solver.get("WARMUP_ITERS")
        lengths = ()
        if isinstance(warmup, int) and warmup > 0 and solver.get("WARMUP_METHOD") == "linear":
            lengths = (
                Length("WARMUP_ITERS", min(warmup, max_iter), "warmup", target=1.0, unit="iteration",
                       key=("solver", "WARMUP_ITERS"), written=warmup, clipped=warmup > max_iter),
            )  # fmt: skip
        milestones, said = None, []
        if name == "WarmupMultiStepLR":
            steps = [int(x) for x in solver.get("STEPS") or ()]
            kept = [x for x in steps if x <= max_iter]
            milestones = Milestones("STEPS", tuple(kept), unit="iteration", key=("solver", "STEPS"))
            if len(kept) != len(steps):
                said.append(
                    TrainerWarning(
                        "SOLVER.STEPS contains values larger than SOLVER.MAX_ITER. "
                        "These values will be ignored.",
                        key=("solver", "STEPS"),
                        fix_value=kept,
                    )
                )
        return ScheduleFacts(
            name=f"detectron2's {name}",
            lengths=lengths,
            milestones=milestones,
            factor=solver.get("GAMMA") if name == "WarmupMultiStepLR" else None,
            factor_key=("solver", "GAMMA"),
            warnings=tuple(said),
        )

    def step(self) -> None:
        """``hooks.LRScheduler.after_step``: one ``scheduler.step()`` per iteration."""
        self.scheduler.step()


# LazyConfig files (detectron2/config/lazy.py): ``lr_multiplier = L(WarmupParamScheduler)(...)``
# is instantiated as it is written, ``hooks.LRScheduler.before_train`` wraps it in
# ``LRMultiplier(optimizer, multiplier, trainer.max_iter)`` (detectron2/engine/hooks.py at the
# commit above), with ``trainer.max_iter`` = ``cfg.train.max_iter`` (tools/lazyconfig_train_net.py).
FVCORE_PREFIX = "fvcore.common.param_scheduler."
WARMUP_TARGETS = frozenset(
    {"detectron2.solver.WarmupParamScheduler", "detectron2.solver.lr_scheduler.WarmupParamScheduler"}
)
_WARMUP_PARAMETERS = ("scheduler", "warmup_factor", "warmup_length", "warmup_method", "rescale_interval")
_WARMUP_DEFAULTS = {"warmup_method": "linear", "rescale_interval": False}


def param_scheduler_name(node: Any) -> str | None:
    """The short class name of a lazy ``{"_target_": ...}`` node lrplot builds, else None."""
    target = node.get("_target_") if isinstance(node, dict) else None
    if not isinstance(target, str):
        return None
    if target in WARMUP_TARGETS:
        return "WarmupParamScheduler"
    name = target[len(FVCORE_PREFIX) :] if target.startswith(FVCORE_PREFIX) else ""
    return name if name in _fvcore().__all__ and name != "ParamScheduler" else None


def build_param_scheduler(node: Any, at: tuple[Any, ...] = ("lr_multiplier",)) -> Any:
    """``instantiate(cfg.lr_multiplier)`` for fvcore's schedulers and detectron2's WarmupParamScheduler.

    Every ``_target_`` node is built by its own class (fvcore's, or the reproduced
    ``WarmupParamScheduler``) with the node's keys as keyword arguments, children first, as
    ``detectron2.config.instantiate`` does; what the class refuses is one line naming the node.
    """
    dotted = ".".join(str(p) for p in at)
    name = param_scheduler_name(node)
    if name is None:
        target = node.get("_target_") if isinstance(node, dict) else None
        what = f"L({target})" if isinstance(target, str) else f"a {type(node).__name__}"
        raise LrplotError(
            f"{dotted} is {what}; lrplot draws fvcore's param schedulers (fvcore.common.param_scheduler) "
            "and detectron2's WarmupParamScheduler",
            key_path=at,
        )
    kwargs = {key: _built(value, (*at, key)) for key, value in node.items() if key != "_target_"}
    try:
        if name == "WarmupParamScheduler":
            unknown = sorted(set(kwargs) - set(_WARMUP_PARAMETERS))
            missing = [p for p in _WARMUP_PARAMETERS[:3] if p not in kwargs]
            if unknown or missing:
                problem = f"unexpected {unknown}" if unknown else f"missing {missing}"
                raise TypeError(f"WarmupParamScheduler() got {problem} argument(s)")
            values = {**_WARMUP_DEFAULTS, **kwargs}
            if values["warmup_method"] not in ("linear", "constant"):
                raise ValueError(f"Unknown warmup method: {values['warmup_method']}")
            return warmup_param_scheduler(*(values[p] for p in _WARMUP_PARAMETERS))
        return getattr(_fvcore(), name)(**kwargs)
    except (TypeError, ValueError, AssertionError, RuntimeError, ZeroDivisionError, IndexError) as exc:
        detail = str(exc) or type(exc).__name__
        raise LrplotError(
            f"{dotted}: {name} refuses it ({type(exc).__name__}: {detail})", key_path=at
        ) from None


def _built(value: Any, at: tuple[Any, ...]) -> Any:
    if isinstance(value, dict) and "_target_" in value:
        return build_param_scheduler(value, at)
    if isinstance(value, list) and any(isinstance(v, dict) and "_target_" in v for v in value):
        return [_built(v, (*at, i)) for i, v in enumerate(value)]
    return value


class LazyLRMultiplier:
    """A LazyConfig's ``lr_multiplier`` in detectron2's ``LRMultiplier``, stepped per iteration."""

    lrplot_driver = True
    library = "detectron2 (fvcore)"

    def __init__(self, optimizer: Any, lr_multiplier: dict[str, Any], max_iter: int) -> None:
        if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
            raise LrplotError("train.max_iter should be a positive integer", key_path=("max_iter",))
        multiplier = build_param_scheduler(lr_multiplier)
        try:
            self.scheduler = _lr_multiplier_class()(optimizer, multiplier=multiplier, max_iter=max_iter)
        except (ValueError, RuntimeError, ZeroDivisionError) as exc:
            raise LrplotError(
                f"lr_multiplier fails at iteration 0 ({exc})", key_path=("lr_multiplier",)
            ) from None

    @classmethod
    def facts(cls, keywords: dict[str, Any]) -> ScheduleFacts:
        """The warmup (``warmup_length`` of the run, in iterations) and a MultiStep's milestones.

        ``warmup_length`` is a share of the run (detectron2 writes ``250 / train.max_iter``):
        declared in iterations and as written (``unit="run"``).
        A ``MultiStepParamScheduler``'s milestones count ``num_updates`` (the last milestone
        when it is not given), reached at ``milestone * max_iter / num_updates`` iterations.
        """
        tree = keywords.get("lr_multiplier")
        max_iter = keywords.get("max_iter")
        name = param_scheduler_name(tree) if isinstance(tree, dict) else None
        shown = f"detectron2's {name or 'lr_multiplier'}"
        if name is None or not isinstance(max_iter, int) or max_iter < 1:
            return ScheduleFacts(name=shown)
        lengths: tuple[Length, ...] = ()
        inner, inner_at = tree, ("lr_multiplier",)
        if name == "WarmupParamScheduler":
            share = tree.get("warmup_length")
            if (
                isinstance(share, (int, float))
                and share > 0
                and tree.get("warmup_method", "linear") == "linear"
            ):
                # written as a share of the run; past 1.0 the warmup never ends (1.0: it ends with the run)
                warmup = Length("warmup_length", round(share * max_iter), "warmup", target=1.0, unit="run",
                                per_unit=max_iter, written=share, key=("lr_multiplier", "warmup_length"),
                                fix_value=1.0 if share > 1 else None)  # fmt: skip
                lengths = (warmup,)
            inner, inner_at = tree.get("scheduler"), ("lr_multiplier", "scheduler")
        milestones = None
        if param_scheduler_name(inner) == "MultiStepParamScheduler":
            written = inner.get("milestones")
            updates = inner.get("num_updates")
            if isinstance(written, list) and all(isinstance(m, int) for m in written) and written:
                kept = written if updates is not None else written[:-1]
                updates = updates if updates is not None else written[-1]
                if isinstance(updates, int) and updates > 0 and kept:
                    per_unit = max_iter / updates
                    calls = tuple(math.ceil(m * per_unit) for m in kept)
                    milestones = Milestones(
                        "milestones", calls, per_unit=per_unit, key=(*inner_at, "milestones")
                    )
        return ScheduleFacts(name=shown, lengths=lengths, milestones=milestones)

    def step(self) -> None:
        """``hooks.LRScheduler.after_step``: one ``scheduler.step()`` per iteration."""
        self.scheduler.step()
