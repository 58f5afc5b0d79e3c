"""LR017: the simulated curve differs from the logged lr (``--reference``, ``reference:``).

A reference is what the lr really was in a run (a training log's lr column). Where the two
differ beyond the reference's tolerance (``rtol``, default 1e-6 of the lr), either the config
is not the one that ran or lrplot's simulation is wrong: both matter. Reads the curve's
reference comparison (:meth:`lrplot.plan.reference.ReferenceLog.compare`: the largest
difference and the first step where they disagree) and the simulated values; the id and the
finding stay the same whatever readers of logs and verdicts the reference module grows.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding
from lrplot.lint.registry import check
from lrplot.lint.text import lr, share, steps
from lrplot.result import blocks


def _largest_finite(values: np.ndarray) -> float:
    """The largest finite ``|lr|`` (0.0 when none is finite), a block at a time.

    >>> _largest_finite(np.array([0.5, -2.0, np.inf])), _largest_finite(np.array([np.nan]))
    (2.0, 0.0)
    """
    peak = 0.0
    for part in blocks(values.size):
        block = values[part]
        finite = np.abs(block[np.isfinite(block)])
        if finite.size:
            peak = max(peak, float(finite.max()))
    return peak


@check("LR017", "the simulated lr differs from the logged reference beyond its tolerance")
def reference_divergence(ctx: CurveContext) -> Iterator[Finding]:
    reference = ctx.result.reference
    if reference is None or not callable(getattr(reference, "compare", None)):
        return
    group = ctx.result.reference_group if ctx.result.reference_group < len(ctx.result.groups) else 0
    values = ctx.lr(group)
    largest, first = reference.compare(values)
    if first is None or largest is None:
        return
    peak = _largest_finite(values)
    logged = reference.lr[np.searchsorted(reference.steps, first)]
    rtol = getattr(reference, "rtol", None)
    tolerance = f" (rtol {rtol:g})" if isinstance(rtol, float) else ""
    yield ctx.finding(
        "LR017",
        step=first,
        group=group,
        key_path=ctx.curve_key("reference"),
        message=(
            f"the simulated lr differs from the reference {getattr(reference, 'description', 'log')} "
            f"from step {steps(first)} ({lr(float(values[first]))} against {lr(float(logged))} logged)"
            f"{tolerance}; the largest difference is {lr(largest)}"
            + (f", {share(largest, peak)} of the peak" if peak > 0 else "")
        ),
        suggestion=(
            "check that the config is the one that ran (run length, interval, warmup, resumed "
            "step); silence with --ignore LR017 when the log is known to differ"
        ),
    )
