"""LR001: a CosineAnnealingLR whose T_max is shorter than its part of the run.

Past ``T_max`` torch's cosine does not stay at ``eta_min``: it climbs back towards the
initial lr (period ``2 * T_max``). Found as ``T_max=num_epochs`` stepped every batch
(ivadomed#57) and as the ``lrplot init`` template with ``total_step`` raised and its
``T_max`` left as it was (issue 14).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lrplot.facts import Length
from lrplot.lint.checks.length import written
from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding
from lrplot.lint.registry import check
from lrplot.lint.text import lr, share, steps
from lrplot.lint.windows import Window
from lrplot.result import first_where

# The climb must undo at least this share of the fall: T_max one or two steps short of the
# run rises by ~1e-5 of the range in its last step, which is harmless.
RISE_SHARE = 0.01


@check("LR001", "a cosine whose length is shorter than its part of the run: the lr climbs back up")
def cosine_climbs_back(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.all_windows():
        climbing = [
            length for length in window.facts.lengths if length.shape == "decay" and length.after == "climbs"
        ]
        inside = [length for length in climbing if window.start < length.value < window.last]
        for length in sorted(inside, key=lambda length: length.value)[:1]:  # the first bottom
            yield from _climbs(ctx, window, length)


def _climbs(ctx: CurveContext, window: Window, length: Length) -> Iterator[Finding]:
    t_max = length.value
    if t_max <= window.start or window.last <= t_max:
        return
    bottom = window.step_at(t_max)
    for group in ctx.groups:
        values = ctx.lr(group)
        low = float(values[bottom])
        drop = float(np.max(values[window.first_step : bottom + 1])) - low
        after = values[bottom : window.stop_step]
        climb = float(np.max(after)) - low
        if drop <= 0 or climb < RISE_SHARE * drop:
            continue
        rising = bottom + (first_where(after, lambda block, low=low: block > low) or 0)
        suggestion, fix = ctx.fix_length(window, length, window.end)
        resumed = f" (resumed at {window.start})" if window.start else ""
        restarts = f"; for restarts on purpose {length.on_purpose}" if length.on_purpose else ""
        shown = written(length) if length.fix_value is None else f"{length.as_written:g}"
        yield ctx.finding(
            "LR001",
            step=rising,
            group=group,
            key_path=window.key_path(length.path),
            message=(
                f"{ctx.name_of(window)}'s {length.keyword} is {shown} but its part of the run takes it to "
                f"{steps(window.end)}{resumed}: the lr reaches {lr(low)} at step "
                f"{steps(bottom)} and climbs "
                f"back from step {steps(rising)}, to {lr(low + climb)} ({share(climb, drop)} "
                "of the way back)"
            ),
            suggestion=f"{suggestion}{restarts}",
            fix=fix,
        )
