"""The memory a run's values take, checked before anything runs (``--force`` lifts it).

The other bounds on a config's cost (curves, values, param groups, schedulers, bytes,
pixels, expressions) live in :mod:`lrplot.limits` and are checked where their data first
appears; this one needs every plan of the run and this machine's memory.
"""

from __future__ import annotations

import os

from lrplot.errors import LrplotError
from lrplot.limits import MEMORY_SHARE, lifted
from lrplot.plan.plans import CurvePlan

# Bytes per recorded value: the float64 itself, plus what the CSV text and the drawing take.
_BYTES_PER_VALUE = 8 * 3


def _estimate_bytes(plans: list[CurvePlan]) -> int:
    return sum(p.curve.total_step * len(p.groups) * _BYTES_PER_VALUE for p in plans)


def check_memory(plans: list[CurvePlan]) -> None:
    """Refuse a run whose values would not fit in half of this machine's memory."""
    if lifted():
        return
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
