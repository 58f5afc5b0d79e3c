"""Bounds on the work a config asks for, checked before anything runs (``--force`` lifts them)."""

from __future__ import annotations

from lrplot.config import Config
from lrplot.errors import LrplotError
from lrplot.plan.plans import CurvePlan

MAX_TOTAL_STEP = 100_000_000


def check_size(curve_plan: CurvePlan, config: Config) -> None:
    """Refuse a curve longer than MAX_TOTAL_STEP (minutes of stepping), with the estimate."""
    steps = curve_plan.curve.total_step
    if steps > MAX_TOTAL_STEP:
        raise config.locate(
            LrplotError(
                f"curve {curve_plan.curve.label!r}: total_step {steps:,} is above the limit of "
                f"{MAX_TOTAL_STEP:,} (about {_estimate_bytes([curve_plan]) / 2**30:.1f} GiB and many "
                "minutes of stepping); use --force to run it anyway",
                key_path=("curves", curve_plan.curve.index, "total_step"),
            )
        )


# Bytes per recorded value: the float64 itself, plus what the CSV text and the drawing take.
_BYTES_PER_VALUE = 8 * 3
MEMORY_SHARE = 0.5


def _estimate_bytes(plans: list[CurvePlan]) -> int:
    return sum(p.curve.total_step * len(p.groups) * _BYTES_PER_VALUE for p in plans)


def check_memory(plans: list[CurvePlan]) -> None:
    """Refuse a run whose values would not fit in half of this machine's memory."""
    import os

    try:
        available = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    estimate = _estimate_bytes(plans)
    if estimate > MEMORY_SHARE * available:
        raise LrplotError(
            f"these curves would need about {estimate / 2**30:.1f} GiB, more than half of this machine's "
            f"{available / 2**30:.1f} GiB; lower total_step or use --force to run it anyway"
        )
