"""Stage 7: the schedule linter: Config + plans + Result → findings.

lrplot draws exactly what torch does; the linter says when that is almost certainly not
what the user meant: a cosine that climbs back up, a schedule that does not fit the run,
steps at lr 0, an underflowing lr, a jump at a SequentialLR milestone, cyclic schedules cut
short, a ReduceLROnPlateau that cannot act, a lambda that returns the lr. Every check reads
the scheduler names and keywords, the run's length and the *simulated* values, never a
second implementation of a scheduler. Ids, thresholds and sources: ``docs/lint.md``.

The findings go to the commands (printed under the summary, ``--json``, ``--strict``) and,
as plain marks on each :class:`~lrplot.result.CurveResult`, to the renderers (a marker at
the step, a count in the summary table).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from lrplot.config import Config
from lrplot.errors import KeyPath, LrplotError
from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import Check, all_checks
from lrplot.lint.verify import verified
from lrplot.lint.windows import windows_of
from lrplot.plan import CurvePlan
from lrplot.result import CurveResult, LintMark, Result

__all__ = ["Check", "Finding", "Fix", "all_checks", "lint"]


def lint(
    config: Config,
    result: Result,
    *,
    plans: Sequence[CurvePlan] | None = None,
    ignore: Iterable[str] = (),
    allow_imports: Sequence[str] = (),
    verify: bool = True,
) -> list[Finding]:
    """Every finding for a simulated config, in curve order; marks them on ``result``.

    ``verify``: re-simulate each suggested fix and keep it only when it removes its finding
    without creating another (:mod:`lrplot.lint.verify`).

    ``ignore`` silences check ids (the command line's ``--ignore``), as do ``lint: {ignore:
    [...]}`` at the top level of the config and in a curve. ``plans`` are the config's
    plans when the caller has them (else they are made again, with ``allow_imports``).
    An unknown id is an error: a typo must not silence nothing quietly.
    """
    checks = all_checks()
    ignored = set(ignore)
    _known(ignored, checks, None)
    if plans is None:
        from lrplot.plan import plan

        plans = plan(config, allow_imports=allow_imports)
    findings: list[Finding] = []
    for curve_plan, curve_result in zip(plans, result.curves, strict=True):
        curve = curve_plan.curve
        for check_id, key_path in curve.lint_ignore.items():
            _known({check_id}, checks, key_path, config)

        def relint(trial: Config, trial_plan: CurvePlan, trial_result: CurveResult) -> list[Finding]:
            return _run(checks, ignored, trial, trial_plan, trial_result)

        found = _run(checks, ignored, config, curve_plan, curve_result)
        if verify:
            found = verified(config, curve_plan, found, relint, allow_imports)
        curve_result.lint = [LintMark(f.id, f.group, f.step, f.severity) for f in found]
        findings.extend(found)
    return findings


def _run(
    checks: dict[str, Check], ignored: set[str], config: Config, curve_plan: CurvePlan, result: CurveResult
) -> list[Finding]:
    """Every finding of one curve, merged across param groups."""
    context = CurveContext(config, curve_plan, result, windows_of(curve_plan))
    silenced = ignored | set(curve_plan.curve.lint_ignore)
    found = [
        finding
        for check_id, check in checks.items()
        if check_id not in silenced
        for finding in check.run(context)
    ]
    return _one_for_all_groups(found, len(result.groups))


def _known(
    ids: set[str], checks: dict[str, Check], key_path: KeyPath | None, config: Config | None = None
) -> None:
    for check_id in sorted(ids):
        if check_id not in checks:
            import difflib

            close = difflib.get_close_matches(str(check_id), list(checks), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            named = (
                f"unknown lint check {check_id!r}" if key_path else f"--ignore {check_id}: unknown lint check"
            )
            error = LrplotError(f"{named}{hint}; checks: {', '.join(checks)}", key_path=key_path)
            raise config.locate(error) if config is not None else error


def _one_for_all_groups(found: list[Finding], group_count: int) -> list[Finding]:
    """One finding instead of one per param group when every group has the same one."""
    if group_count == 1:
        return [replace(finding, group=None) for finding in found]
    same: dict[tuple[str, int | None, str], list[Finding]] = {}
    for finding in found:
        same.setdefault((finding.id, finding.step, finding.message), []).append(finding)
    merged: list[Finding] = []
    for group in same.values():
        if len(group) == group_count and all(finding.group is not None for finding in group):
            merged.append(replace(group[0], group=None))
        else:
            merged.extend(group)
    return merged
