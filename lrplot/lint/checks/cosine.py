"""LR001: a CosineAnnealingLR whose T_max is shorter than its part of the run.

Past ``T_max`` torch's cosine does not stay at ``eta_min``: it climbs back towards the
initial lr (period ``2 * T_max``). Found as ``T_max=num_epochs`` stepped every batch
(ivadomed#57) and as the ``lrplot init`` template with ``total_step`` raised and its
``T_max`` left as it was (issue 14).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding
from lrplot.lint.registry import check
from lrplot.lint.text import lr, share, steps

# The climb must undo at least this share of the fall: T_max one or two steps short of the
# run rises by ~1e-5 of the range in its last step, which is harmless.
RISE_SHARE = 0.01


@check("LR001", "CosineAnnealingLR whose T_max is shorter than its part of the run: the lr climbs back up")
def cosine_climbs_back(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.all_windows():
        t_max = window.keyword("T_max") if window.name == "CosineAnnealingLR" else None
        if not isinstance(t_max, int) or t_max <= window.start or window.last <= t_max:
            continue
        bottom = window.step_at(t_max)
        for group in ctx.groups:
            values = ctx.lr(group)
            low = float(values[bottom])
            drop = float(np.max(values[window.first_step : bottom + 1])) - low
            after = values[bottom : window.stop_step]
            climb = float(np.max(after)) - low
            if drop <= 0 or climb < RISE_SHARE * drop:
                continue
            rising = bottom + int(np.argmax(after > low))
            suggestion, fix = ctx.length_fix(window, "T_max", window.end)
            resumed = f" (resumed at {window.start})" if window.start else ""
            yield ctx.finding(
                "LR001",
                step=rising,
                group=group,
                key_path=window.key_path("T_max"),
                message=(
                    f"CosineAnnealingLR's T_max is {steps(t_max)} but its part of the run takes it to "
                    f"{steps(window.end)}{resumed}: the lr reaches {lr(low)} at step "
                    f"{steps(bottom)} and climbs "
                    f"back from step {steps(rising)}, to {lr(low + climb)} ({share(climb, drop)} "
                    "of the way back)"
                ),
                suggestion=f"{suggestion}; for restarts on purpose use CosineAnnealingWarmRestarts",
                fix=fix,
            )
