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
