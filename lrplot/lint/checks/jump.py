"""LR007: SequentialLR children that do not meet.

At a SequentialLR milestone the next scheduler starts from the initial lr, wherever the
previous one got to. A warmup cut short by its milestone (salesforce/LAVIS#72: "it jumps to
the highest learning rate after finishing the first epoch"), or one ending at another lr
than the next schedule starts at, makes the lr jump there. A jump up after a decay that ran
its full length is a restart someone asked for; staircases (ConstantLR, StepLR,
MultiStepLR) and lambdas jump by design and are left alone. A decay with no declared end
(facts ``unbounded_decay``: ExponentialLR, StepLR, MultiplicativeLR) never "ran its course":
the next scheduler restarting from the initial lr undoes it (pytorch/pytorch#67586), so a
jump up after one is reported whatever follows it.

Facts read: ``lengths`` (a length beyond the milestone: the outgoing scheduler was cut),
``unbounded_decay``; the values around each milestone.
"""

from __future__ import annotations

from collections.abc import Iterator

from lrplot.lint.checks.length import _singular, lengths
from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding, Fix
from lrplot.lint.registry import check
from lrplot.lint.text import lr, steps
from lrplot.lint.windows import Window

# A change at the milestone this many times larger (or smaller) than the trend just before it.
JUMP_FACTOR = 1.5


@check("LR007", "a SequentialLR milestone where the lr jumps by more than 1.5x against its trend")
def boundary_jump(ctx: CurveContext) -> Iterator[Finding]:
    for window in ctx.all_windows():
        declared = window.facts.milestones
        if declared is None or not declared.hands_over:
            continue
        for index, (before, after) in enumerate(zip(window.children, window.children[1:], strict=False)):
            designed = before.facts.jumps_by_design or after.facts.jumps_by_design
            undone = before.facts.unbounded_decay and after.facts.plateau is None
            if not designed or undone:
                yield from _boundary(ctx, window, index, before, after, up_only=designed)


def _boundary(
    ctx: CurveContext, window: Window, index: int, before: Window, after: Window, up_only: bool = False
) -> Iterator[Finding]:
    at = after.first_step
    if at - 1 <= before.first_step or at >= window.stop_step:
        return
    cut = next((length for length in lengths(before) if length.value > before.calls), None)
    declared = window.facts.milestones
    if declared is None:
        return  # boundary_jump walks only schedules that hand over at milestones
    milestones = list(window.keyword(declared.keyword))
    composite = ctx.name_of(window)
    name_before, name_after = ctx.name_of(before), ctx.name_of(after)
    for group in ctx.groups:
        values = ctx.lr(group)
        last, new = float(values[at - 1]), float(values[at])
        trend = last - float(values[at - 2])
        expected = last + trend if last + trend > 0 else last
        if expected <= 0 or 1 / JUMP_FACTOR <= new / expected <= JUMP_FACTOR:
            continue
        unbounded = before.facts.unbounded_decay
        if up_only and new <= expected:
            continue  # a staircase stepping down: by design
        if new > expected and cut is None and last < float(values[before.first_step]) and not unbounded:
            continue  # a restart after a decay that ran its course
        if unbounded and new > expected and cut is None:
            cause = (
                f"{name_before} decays with no declared end and {composite} starts {name_after} from "
                f"the initial lr, not from where {name_before} left it (pytorch/pytorch#67586)"
            )
            initial = ctx.initial_lr(group)
            factor = round(last / initial, 6) if initial > 0 else None
            suggestion = (
                f"to continue the decay, make {name_after} start at {lr(last)}"
                + (f" ({factor:g} x the initial lr)" if factor else "")
                + f", or give the decay an end (a LinearLR or CosineAnnealingLR over {steps(before.calls)} "
                "steps) that the next scheduler starts from"
            )
            fix = None
            if after.facts.start_factor_key is not None and factor:
                fix = Fix(after.key_path(after.facts.start_factor_key), factor)
                suggestion = f"set {name_after}'s {ctx.shown(fix)}, where {name_before} ends"
        elif cut is not None:
            cause = (
                f"{name_before}'s {cut.keyword} is {steps(cut.value)} but the milestone ends it after "
                f"{steps(before.calls)} steps"
            )
            moved = [
                *milestones[:index],
                milestones[index] + cut.value - before.calls,
                *milestones[index + 1 :],
            ]
            fix = Fix(window.key_path(declared.path), moved)
            cut_fix = Fix(before.key_path(cut.path), before.calls)
            suggestion = f"set {ctx.shown(fix)} (or {ctx.shown(cut_fix)})"
        else:
            cause = f"{name_before} ends at {lr(last)} and {name_after} starts at {lr(new)}"
            suggestion = f"make {name_before} end where {name_after} starts"
            fix = None
            if before.facts.end_factor_key is not None and ctx.initial_lr(group) > 0:
                factor = round(new / ctx.initial_lr(group), 6)
                fix = Fix(before.key_path(before.facts.end_factor_key), factor)
                suggestion = f"set {name_before}'s {ctx.shown(fix)}, where {name_after} starts"
        yield ctx.finding(
            "LR007",
            step=at,
            group=group,
            key_path=window.key_path(declared.path),
            message=(
                f"at {composite}'s {_singular(declared.keyword, False)} {steps(milestones[index])} "
                f"(step {steps(at)}) the lr "
                "jumps from "
                f"{lr(last)} to {lr(new)} (x{new / expected:.2g} against its trend): {cause}"
            ),
            suggestion=suggestion,
            fix=fix,
        )
