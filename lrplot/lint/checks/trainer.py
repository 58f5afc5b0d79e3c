"""LR016: what the trainer itself warns about this schedule.

A trainer that adjusts a schedule it finds inconsistent, and logs that it did (torchtitan's
``Warmup steps (20) exceed total steps (10). Adjusting warmup steps to 10.``, in
``build_lr_schedulers``), declares the warning in its facts (``warnings``: message, the key it
is about, the value that silences it). lrplot reports it as a finding: ``validate`` shows it,
``--strict`` fails on it, ``--ignore LR016`` silences it. An adjustment the trainer makes
without a word (Ultralytics capping ``warmup_epochs`` before the last epoch) is declared too,
``printed`` False, and reported the same way, worded as what the trainer does; a warning only
another key silences carries its advice (``suggestion``). Reads only the fact ``warnings``.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check


@check("LR016", "the trainer's own warning about this schedule (torchtitan's warmup longer than the run)")
def trainer_warning(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.all_windows():
        for warning in window.facts.warnings:
            key = window.key_path(warning.key) if warning.key else window.key_path()
            fix = Fix(key, warning.fix_value) if warning.fix_value is not None else None
            advice = warning.suggestion or "change the schedule as it says"
            suggestion = f"set {ctx.shown(fix)}" if fix else advice
            says = "warns" if warning.printed else "adjusts it without a word"
            yield ctx.finding(
                "LR016",
                step=None,
                key_path=key,
                message=f"{ctx.name_of(window)} {says}: {warning.message.rstrip('.')}",
                suggestion=suggestion,
                fix=fix,
            )
