"""LR012: an lr_lambda that returns the lr instead of a factor, or a factor far above 1.

LambdaLR multiplies the optimizer's lr by ``lr_lambda(step)``; a lambda that already
contains the lr applies it twice (lhoyer/MIC#60 from SDAT: "it produces 0.0001 instead of
0.01"; pytorch#78917). The Annotated Transformer's idiom, an optimizer lr of 1.0 with a
lambda that returns the lr itself, is fine and left alone.

Facts read: ``factor_function`` (the key of a user-written factor function) with
``factor_function_of`` ``initial`` (LambdaLR's ``lr_lambda``); the values over the window. A
factor of the previous step's lr (MultiplicativeLR) is left to LR006/LR015, which see where its
product goes. No foreign format supplies a factor function of its own: Hugging Face's schedules
are named, not written, and nanoGPT's ``get_lr`` returns the lr itself, drawn by its driver.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check
from lrplot.lint.text import lr, steps
from lrplot.result import blocks

LOW_FACTOR = 0.01
HIGH_FACTOR = 10.0


def _top_factor(values: np.ndarray, initial: float) -> tuple[float, int]:
    """``np.max`` and ``np.argmax`` of ``values / initial`` (NaN first, as numpy's), a block at a time.

    >>> _top_factor(np.array([0.5, 2.0, 2.0, 1.0]), 2.0)
    (1.0, 1)
    """
    top, at = float("-inf"), 0
    for part in blocks(values.size):
        factors = values[part] / initial
        index = int(np.argmax(factors))
        value = float(factors[index])
        if value != value:  # NaN: numpy's max and argmax stop at the first one
            return value, part.start + index
        if value > top or part.start == 0:
            top, at = value, part.start + index
    return top, at


@check("LR012", "an lr_lambda that never exceeds 0.01 (it returns the lr, not a factor) or exceeds 10")
def lambda_scale(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.all_windows():
        function = window.facts.factor_function
        if function is None or window.facts.factor_function_of != "initial" or not window.alone:
            continue
        for group in ctx.groups:
            initial = ctx.initial_lr(group)
            if not initial > 0:
                continue
            top, at = _top_factor(ctx.lr(group)[window.first_step : window.stop_step], initial)
            at += window.first_step
            if initial != 1.0 and 0 < top <= LOW_FACTOR:
                optimizer_lr = ("optimizer", "lr") if not ctx.plan.curve.optimizer.param_groups else None
                yield ctx.finding(
                    "LR012",
                    step=at,
                    group=group,
                    key_path=window.key_path(function),
                    message=(
                        f"{function[-1]} never returns more than {top:.3g} while the optimizer's lr is "
                        f"{lr(initial)}, "
                        f"so the lr stays at or below {lr(top * initial)}: the lambda looks like "
                        "it returns the lr, "
                        "not a factor"
                    ),
                    suggestion="return a factor of the optimizer's lr (leave the lr out of the lambda), "
                    "or set the optimizer's lr: 1.0",
                    fix=Fix(("curves", ctx.plan.curve.index, *optimizer_lr), 1.0) if optimizer_lr else None,
                )
            elif top > HIGH_FACTOR:
                yield ctx.finding(
                    "LR012",
                    step=at,
                    group=group,
                    key_path=window.key_path(function),
                    message=(
                        f"{function[-1]} returns up to {top:.3g} (at step {steps(at)}), so the lr reaches "
                        f"{lr(top * initial)}, {top:.3g} times the optimizer's lr"
                    ),
                    suggestion="cap the factor, e.g. min(1.0, step / warmup)",
                )
