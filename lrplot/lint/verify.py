"""A suggested fix is shown only once it is known to work: applied, re-simulated, re-linted.

A check proposes a fix from what it sees (``T_max: 1`` for a length that reads as steps); only
the simulation knows whether that removes the finding or trades it for another (a cosine that
now oscillates every step). Each finding's fix, then each of its ``alternatives``, is applied
to a copy of the curve, planned, simulated and linted again; the first that leaves neither this
finding nor any finding the curve did not have is the one printed. When none does, the finding
keeps its message and loses the numbers: its ``fallback`` says what to look at instead.

A curve that continues another's optimizer (``optimizer: {from: ...}``) cannot be simulated on
its own; its fixes are shown as proposed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from pydantic import BaseModel

from lrplot.config import Config
from lrplot.errors import KeyPath
from lrplot.lint.finding import Finding, Fix
from lrplot.plan import CurvePlan

Relint = Callable[[Config, CurvePlan, Any], list[Finding]]


def verified(
    config: Config,
    curve_plan: CurvePlan,
    found: list[Finding],
    relint: Relint,
    allow_imports: Sequence[str] = (),
) -> list[Finding]:
    """``found`` with each fix replaced by the first candidate that works, or dropped."""
    if curve_plan.source is not None or curve_plan.curve.members is not None:
        return found
    before = {(finding.id, finding.key_path) for finding in found}
    checked: dict[str, bool] = {}
    out = []
    for finding in found:
        candidates = [(finding.suggestion, finding.fix)] if finding.fix is not None else []
        candidates += list(finding.alternatives)
        if not candidates:
            out.append(finding)
            continue
        chosen = None
        for suggestion, fix in candidates:
            key = f"{finding.id} {finding.group} {fix.as_set()}"
            if key not in checked:
                checked[key] = _works(config, curve_plan, fix, finding, before, relint, allow_imports)
            if checked[key]:
                chosen = (suggestion, fix)
                break
        if chosen is None:
            fallback = finding.fallback or (
                f"no one-key change lrplot tried removes it; see docs/lint.md ({finding.id})"
            )
            out.append(replace(finding, suggestion=fallback, fix=None, alternatives=()))
        else:
            out.append(replace(finding, suggestion=chosen[0], fix=chosen[1], alternatives=()))
    return out


def _works(
    config: Config,
    curve_plan: CurvePlan,
    fix: Fix,
    finding: Finding,
    before: set[tuple[str, KeyPath | None]],
    relint: Relint,
    allow_imports: Sequence[str],
) -> bool:
    from lrplot.engines import simulate
    from lrplot.plan import plan

    curve = curve_plan.curve
    path = fix.key_path
    if len(path) < 3 or path[:2] != ("curves", curve.index):
        return False
    try:
        changed = curve.model_copy(deep=True)
        _set(changed, path[2:], fix.value)
        trial = config.model_copy(update={"curves": [changed]})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plans = plan(trial, allow_imports=allow_imports)
            result = simulate(trial, plans=plans)
        after = relint(trial, plans[0], result.curves[0])
    except Exception:
        return False
    for other in after:
        if (other.id, other.key_path) not in before and other.severity == "warning":
            # it trades this finding for another: another check, or this check at another key
            # (shortening a Megatron warmup that leaves the decay beyond the run)
            return False
        same_group = finding.group is None or other.group in (None, finding.group)
        # the same check at another key is another finding (two trainer warnings, one fixed)
        same_key = finding.key_path is None or other.key_path in (None, finding.key_path)
        if other.id == finding.id and other.severity == finding.severity and same_group and same_key:
            return False  # the finding is still there (a warning that became a note is gone)
    return True


def _set(target: Any, path: KeyPath, value: Any) -> None:
    """Set ``path`` below a curve model: model fields, a scheduler's keywords, dicts and lists."""
    *parents, last = path
    for part in parents:
        target = _child(target, part)
    if isinstance(target, BaseModel):
        if isinstance(last, str) and last in type(target).model_fields:
            setattr(target, last, value)
            return
        explicit = getattr(target, "keywords_", None)
        if isinstance(explicit, dict) and last in explicit:
            explicit[last] = value
            return
        extra = target.model_extra
        if extra is None:
            raise KeyError(last)
        extra[str(last)] = value
    elif isinstance(target, (dict, list)):
        target[last] = value  # type: ignore[index]
    else:
        raise KeyError(last)


def _child(target: Any, part: str | int) -> Any:
    if isinstance(target, BaseModel):
        if isinstance(part, str) and part in type(target).model_fields:
            return getattr(target, part)
        explicit = getattr(target, "keywords_", None)
        if isinstance(explicit, dict) and part in explicit:
            return explicit[part]
        return (target.model_extra or {})[part]
    return target[part]
