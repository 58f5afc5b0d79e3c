"""What a check reads: one curve's config, plan, windows and simulated values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lrplot.config import Config
from lrplot.errors import KeyPath
from lrplot.facts import Length
from lrplot.lint.finding import Finding, Fix, Severity
from lrplot.lint.windows import Window
from lrplot.plan import CurvePlan
from lrplot.result import CurveResult


@dataclass
class CurveContext:
    """One simulated curve with everything a check may read."""

    config: Config
    plan: CurvePlan
    result: CurveResult
    windows: list[Window]

    @property
    def label(self) -> str:
        return self.result.label

    @property
    def total_step(self) -> int:
        return self.result.total_step

    @property
    def steps_per_epoch(self) -> int | None:
        return self.plan.curve.steps_per_epoch

    @property
    def interval(self) -> str:
        return self.plan.curve.interval

    @property
    def groups(self) -> range:
        return range(len(self.result.groups))

    def lr(self, group: int) -> np.ndarray:
        return self.result.groups[group].lr

    def initial_lr(self, group: int) -> float:
        """The lr the group's optimizer was built with (what LambdaLR and LinearLR scale)."""
        source = self.plan.source or self.plan
        entry = source.groups[group] if group < len(source.groups) else {}
        return float(entry.get("initial_lr", entry.get("lr", source.optimizer_keywords.get("lr", 1.0))))

    def name_of(self, window: Window) -> str:
        """What messages call a window's schedule: its declared name, else its class's short name."""
        return window.facts.name or window.name

    def all_windows(self) -> Iterator[Window]:
        for window in self.windows:
            yield from window.walk()

    def curve_key(self, name: str) -> KeyPath:
        """A curve-level key (``interval``, ``total_step``) of this curve, for a fix."""
        return ("curves", self.plan.curve.index, name)

    def finding(
        self,
        check: str,
        *,
        step: int | None,
        message: str,
        suggestion: str,
        key_path: KeyPath | None,
        group: int | None = None,
        severity: Severity = "warning",
        fix: Fix | None = None,
        alternatives: tuple[tuple[str, Fix], ...] = (),
        fallback: str | None = None,
    ) -> Finding:
        return Finding(
            id=check,
            curve=self.label,
            group=self.result.groups[group].name if group is not None else None,
            step=step,
            message=message,
            suggestion=suggestion,
            severity=severity,
            key_path=key_path,
            where=self.config.where(key_path) if key_path is not None else None,
            fix=fix,
            alternatives=alternatives,
            fallback=fallback,
        )

    def follow_run(self, window: Window, value: int) -> str | None:
        """A window length as an expression in the run's numbers (``"total_step - 2000"``),
        when the window runs to the curve's end and ``value`` is its full length."""
        if not window.reaches_curve_end or window.end != value or self.plan.curve.segments:
            return None
        name = {"step": "total_step", "epoch": "epochs"}.get(self.interval)
        if name is None:
            return None
        before = window.clock.calls_before(window.first_step) - window.start
        if before == 0:
            return name
        return f"{name} - {before}" if before > 0 else f"{name} + {-before}"

    def fix_length(self, window: Window, length: Length, calls: int) -> tuple[str, Fix]:
        """``set KEYWORD: VALUE``, in the unit the length is written in, and the fix that sets it."""
        if length.fix_value is not None:
            fix = Fix(window.key_path(length.path), length.fix_value)
            return f"set {length.keyword}: {length.fix_value}", fix
        if length.unit == "step" and length.per_unit == 1 and length.key is None:
            return self.length_fix(window, length.keyword, max(1, calls))
        value = length.written_for(calls)
        unit = f" ({length.unit}s)" if length.unit != "step" else ""
        return f"set {length.keyword}: {value}{unit}", Fix(window.key_path(length.path), value)

    def length_fix(self, window: Window, keyword: str, value: int) -> tuple[str, Fix]:
        """``set KEYWORD: VALUE (or "EXPRESSION")`` and the fix that sets it."""
        driver = getattr(window.plan.cls, "lrplot_driver", False)  # its file cannot say "total_step"
        expression = None if driver else self.follow_run(window, value)
        text = f"set {keyword}: {value}" + (f' (or "{expression}", to follow the run)' if expression else "")
        return text, Fix(window.key_path(keyword), value)
