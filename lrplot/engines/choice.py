"""Which engine draws a curve: the exact fast engine wherever the tests verified it, else torch."""

from __future__ import annotations

from typing import Any

from lrplot.errors import LrplotError
from lrplot.plan.plans import CurvePlan


def uses_fast(curve_plan: CurvePlan, engine: str, recorders: list[Any], keep_stepping: bool) -> bool:
    """Whether the exact fast engine draws this curve: auto uses it wherever it is verified."""
    return not slow_reasons(curve_plan, engine, recorders, keep_stepping)


def slow_reasons(curve_plan: CurvePlan, engine: str, recorders: list[Any], keep_stepping: bool) -> list[str]:
    """Why the fast engine cannot draw this curve ([] when it can): ``--engine fast`` refuses
    with the first, ``auto`` steps torch and says the first in one line."""
    from lrplot.engines import fast
    from lrplot.plan import releases

    if engine == "torch":
        return ["--engine torch"]
    reasons = []
    if not fast.torch_verified():
        decision = releases.decide()
        why = decision.reason.removeprefix("lrplot steps torch: ")
        reasons.append(f"it is not verified for torch {decision.version} ({why})")
    for segment in curve_plan.segments:
        scheduler = segment.scheduler
        if "scale_fn" in scheduler.keywords:
            reasons.append(f"it does not cover {scheduler.name} with a scale_fn")
        elif not fast.covers(scheduler.cls, scheduler.children):
            reasons.append(
                f"it does not cover {scheduler.name} (it covers {', '.join(fast.covered_names())})"
            )
    if not simple(curve_plan, keep_stepping, recorders) and not _walks(curve_plan, recorders):
        reasons.append(
            "it runs segments, continued optimizers, epoch intervals and recorded momentum "
            "only for schedulers without nested schedulers or metrics"
        )
    if reasons and engine == "fast":
        raise LrplotError(
            f"curve {curve_plan.curve.label!r}: --engine fast cannot draw this curve: {reasons[0]}; "
            "use --engine auto",
            key_path=("curves", curve_plan.curve.index, "scheduler"),
        )
    return reasons


def simple(curve_plan: CurvePlan, keep_stepping: bool, recorders: list[Any]) -> bool:
    """One segment stepped every step, nothing else recorded: fast.run's own loop."""
    return (
        len(curve_plan.segments) == 1
        and curve_plan.source is None
        and not keep_stepping
        and curve_plan.curve.interval == "step"
        and not recorders
        and fast_kind(curve_plan.segments[0].scheduler.cls) not in _CYCLES
    )


_CYCLES = ("OneCycleLR", "CyclicLR", "SWALR")


def fast_kind(cls: Any) -> str | None:
    from lrplot.engines.fast import kind_of

    return kind_of(cls) if isinstance(cls, type) else None


def _walks(curve_plan: CurvePlan, recorders: list[Any]) -> bool:
    """What the general fast loop (lrplot.engines.free.run_segment) runs: plain schedulers
    (no children, no metric), fractional epochs only for CosineAnnealingWarmRestarts, and
    recorded values only momentum or beta1."""
    for segment in curve_plan.segments:
        if segment.scheduler.children or segment.metric is not None:
            return False
        kind = fast_kind(segment.scheduler.cls)
        if kind == "ReduceLROnPlateau":
            return False
        if curve_plan.curve.interval == "fractional_epoch" and kind != "CosineAnnealingWarmRestarts":
            return False
    return all(r.key in ("betas", "momentum") for r in recorders)
