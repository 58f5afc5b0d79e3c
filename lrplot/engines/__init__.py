"""Stage 6: plans → a :class:`~lrplot.result.Result`, by the engine that fits each curve.

``no-torch`` runs a torch-free plan (:mod:`lrplot.plan.free`) with torch's recurrences,
never importing torch (:mod:`lrplot.engines.free`); ``fast`` continues torch-constructed
state with the same recurrences (:mod:`lrplot.engines.fast`), bit for bit; ``torch`` steps
real torch objects (:mod:`lrplot.engines.stepping`); long independent torch-engine curves
run in a process pool (:mod:`lrplot.engines.parallel`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lrplot.config import Config
from lrplot.engines.free import run_free_curve
from lrplot.engines.selfcheck import ensure
from lrplot.engines.stepping import ENGINES, run_curve
from lrplot.errors import LrplotError
from lrplot.plan import FAST_ENGINE, FREE_ENGINE, CurvePlan, plan
from lrplot.result import Result

__all__ = ["ENGINES", "simulate"]

Progress = Callable[[int, int], None]


def simulate(
    config: Config,
    *,
    allow_imports: Sequence[str] = (),
    progress: Progress | None = None,
    workers: int | None = None,
    force: bool = False,
    engine: str = "auto",
    plans: list[CurvePlan] | None = None,
) -> Result:
    """Run every curve of a validated config: torch's exact values, by the engine that fits.

    ``allow_imports`` widens the modules a config may name classes from (torch.optim
    always). ``progress(done_steps, all_steps)`` is called as the work advances.
    ``workers`` > 1 simulates curves in parallel processes (None: decide from the work;
    the values are identical either way). ``engine``: ``torch`` steps real torch objects,
    ``fast`` the exact fast engine (refused where it does not apply), ``auto`` the torch-free
    path where a config is covered, else the fast engine wherever the tests verified it.
    ``plans`` are this config's plans from :func:`plan`, when the caller checked several
    configs before running any. Each plan says which engine draws it (the planner decided:
    ``CurvePlan.engine``); this only runs them.
    """
    if engine not in ENGINES:
        raise LrplotError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if plans is None or getattr(plans, "engine", engine) != engine:
        plans = plan(config, allow_imports=allow_imports, force=force, engine=engine)
    if engine == "auto" and not getattr(plans, "checked", True):
        ensure(simulate)  # a torch new to lrplot: checked once, then planned under its verdict
        plans = plan(config, allow_imports=allow_imports, force=force, engine=engine)
    total = sum(p.curve.total_step for p in plans)
    chained = any(p.source is not None for p in plans)  # later curves need earlier optimizers
    free = [p.engine == FREE_ENGINE for p in plans]
    count = workers if workers is not None else auto_workers([_work(p) for p in plans])
    if count > 1 and len(plans) > 1 and not chained and not any(free):  # a worker would import torch
        from lrplot.engines.parallel import run_parallel

        outcomes = run_parallel(config, allow_imports, count, progress, plans)
    else:
        outcomes = []
        done = 0

        def tick(steps: int) -> None:
            nonlocal done
            done += steps
            if progress is not None:
                progress(done, total)

        optimizers: dict[int, Any] = {}
        for curve_plan, torch_free in zip(plans, free, strict=True):
            try:
                if torch_free:
                    result, curve_notes, optimizer = run_free_curve(
                        curve_plan,
                        tick,
                        groups=optimizers.get(id(curve_plan.source)),
                        keep_stepping=curve_plan.keep_stepping,
                    )
                else:
                    result, curve_notes, optimizer = run_curve(
                        curve_plan, tick=tick, optimizer=optimizers.get(id(curve_plan.source))
                    )
            except LrplotError as error:
                raise config.locate(error) from None
            optimizers[id(curve_plan)] = optimizer
            outcomes.append((result, curve_notes))
    curves = [curve for curve, _ in outcomes]
    notes = [*config.notes, *(note for _, curve_notes in outcomes for note in curve_notes)]
    return Result(curves=curves, title=config.title, plot=config.plot, warnings=notes, derived=config.derived)


# Parallel runs pay a process start (~1-2 s with torch); worth it only for long curves:
# at least this many torch-engine steps (the fast engine counts ~10x less per step).
PARALLEL_MIN_STEPS = 400_000
_FAST_STEP_COST = 0.1


def _work(curve_plan: CurvePlan) -> float:
    """A curve's work in torch-engine steps, by the engine the planner chose for it, for
    deciding whether to run curves in parallel (torch-free curves never are)."""
    if curve_plan.engine == FREE_ENGINE:
        return 0.0
    return curve_plan.curve.total_step * (_FAST_STEP_COST if curve_plan.engine == FAST_ENGINE else 1.0)


def auto_workers(work: list[float]) -> int:
    """How many processes to use: one per long curve, up to the machine's cores."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    long_curves = sum(1 for amount in work if amount >= PARALLEL_MIN_STEPS)
    return min(cores, long_curves) if long_curves >= 2 else 1
