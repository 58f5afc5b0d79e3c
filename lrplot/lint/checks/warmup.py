"""LR019: a warmup that goes down: it starts far above the lr it warms up to.

A warmup rises to its peak. Ultralytics' trainer starts its bias group at ``warmup_bias_lr``
(0.1 by default) and interpolates it to that group's lr: with ``optimizer: AdamW, lr0: 0.001``
the bias lr "warms up" from 0.1 down to 0.001, starting 100x above its peak (ultralytics#7782;
the trainer's own ``optimizer: auto`` sets ``warmup_bias_lr`` to 0 for AdamW for this reason,
ultralytics#10130). timm's absolute ``warmup_lr`` above ``lr`` does the same. Reads the facts'
``lengths`` of shape ``warmup`` (where the warmup ends, and ``start_key``/``start_fix``, the
key that sets its start) and the simulated values, for every param group.

The threshold, START_RATIO = 20x: Ultralytics' default SGD setup (``lr0: 0.01``, the bias
group from 0.1, 10x) is YOLOv5's design, kept on purpose by its maintainers
(ultralytics/yolov5#4279, #12664), and YOLOv5's ``hyp.finetune.yaml`` starts 15.6x above
(``lr0: 0.0032``, ``warmup_bias_lr: 0.05``); both stay quiet.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check
from lrplot.lint.text import lr, steps

# A warmup that starts more than this many times above the lr it ends at goes down.
START_RATIO = 20.0


@check("LR019", "a warmup that goes down: the lr starts far above the peak it warms up to")
def warmup_falls(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.all_windows():
        for length in window.facts.lengths:
            if length.shape != "warmup" or not window.start <= 0 < length.value:
                continue
            end = window.step_at(length.value)  # the first step after the warmup's last interpolation
            if end >= window.stop_step:
                continue  # a warmup the run never finishes (LR003): no peak to compare with
            for group in ctx.groups:
                values = ctx.lr(group)
                start, reached = float(values[window.first_step]), float(values[end])
                # the peak it warms up to: target x the declared peak, else the group's lr (Ultralytics'
                # target moves with its per-epoch decay: the lr at the warmup's end is not the peak)
                top = window.facts.peak if window.facts.peak is not None else ctx.initial_lr(group)
                peak = top * (length.target if length.target is not None else 1.0)
                if not (peak > 0 and start > START_RATIO * peak and reached < start):
                    continue
                # the declared value, else an absolute start a hundredth of the peak
                value = length.start_fix if length.start_fix is not None else float(f"{peak / 100:.3g}")
                fix = Fix(window.key_path(length.start_key), value) if length.start_key else None
                suggestion = (
                    f"set {ctx.shown(fix)}, so that the warmup rises to its peak {lr(peak)}"
                    if fix
                    else f"start the warmup at or below its peak {lr(peak)}"
                )
                yield ctx.finding(
                    "LR019",
                    step=window.first_step,
                    group=group,
                    key_path=fix.key_path if fix else window.key_path(length.path),
                    message=(
                        "the lr falls during its declared warmup "
                        f"({ctx.name_of(window)}'s {ctx.key_name(window.key_path(length.path))}, to step "
                        f"{steps(end)}): starts at {lr(start)}, {start / peak:.3g}x its peak {lr(peak)}"
                    ),
                    suggestion=suggestion,
                    fix=fix,
                )
