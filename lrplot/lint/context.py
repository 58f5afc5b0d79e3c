"""What a check reads: one curve's config, plan, windows and simulated values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lrplot.config import Config
from lrplot.errors import KeyPath
from lrplot.facts import FileKey, Length
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

    @property
    def foreign(self) -> bool:
        """Whether the config is a training config lrplot translated (its fixes use the file's keys)."""
        return self.config.form != "lrplot"

    def file_key(self, key_path: KeyPath) -> FileKey | None:
        """Where a native key's number sits in the training config as written, if anywhere.

        What the format declared (``Converted.file_keys``), else the key's own origin, else the
        origin of the nearest node below the curve's scheduler or optimizer that the format
        copied whole (``lr_scheduler_kwargs``) with the rest of the path.
        """
        declared = self.config.file_keys.get(tuple(key_path))
        if isinstance(declared, FileKey):
            return declared
        by_path = self.config.origins.by_path
        for end in range(len(key_path), 3, -1):
            origin = by_path.get(tuple(key_path[:end]))
            if isinstance(origin, tuple):
                return FileKey((*origin, *key_path[end:]))
            if origin is not None:
                return None  # a --set or a derived number: no one key of the file holds it
        return None

    def addressed(self, fix: Fix | None) -> Fix | None:
        """``fix`` with the file's own key and number; None when no key of the file can hold it.

        A curve's run keys (``interval``, ``total_step``) are lrplot's: ``--set interval=epoch``
        applies to a training config as to lrplot's own (unprefixed while the file has no such key),
        unless the format declared the file's key for one (Megatron's ``train_iters``).
        """
        if fix is None or not self.foreign or fix.file_key is not None:
            return fix
        curve = ("curves", self.plan.curve.index)
        declared = self.config.file_keys.get(tuple(fix.key_path))
        if isinstance(declared, FileKey):
            return Fix(fix.key_path, fix.value, declared.path, declared.value_for(fix.value))
        if len(fix.key_path) == 3 and tuple(fix.key_path[:2]) == curve:
            if len(self.config.curves) != 1:
                return None
            name = str(fix.key_path[2])
            data = self.config.source.data if self.config.source is not None else None
            own = f"lrplot.{name}" if isinstance(data, dict) and name in data else name
            return Fix(fix.key_path, fix.value, (own,), fix.value)
        found = self.file_key(fix.key_path)
        if found is None:
            return None
        return Fix(fix.key_path, fix.value, found.path, found.value_for(fix.value))

    def key_name(self, key_path: KeyPath) -> str:
        """How the user's file names a native key (``warmup_steps``, ``param_scheduler[0].T_max``)."""
        return (self.addressed(Fix(key_path, None)) or Fix(key_path, None)).key_text()

    def shown(self, fix: Fix) -> str:
        """``KEY: VALUE`` as the user writes it in their file (a native keyword when none maps)."""
        return (self.addressed(fix) or fix).shown()

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
        """A finding whose fixes address the file as written; a fix no key of a training config
        can hold is not offered (the suggestion becomes ``fallback``)."""
        if self.foreign:
            wanted = fix
            fix = self.addressed(fix)
            alternatives = tuple(
                (text, found) for text, other in alternatives if (found := self.addressed(other)) is not None
            )
            if wanted is not None and fix is None:
                if alternatives:
                    (suggestion, fix), alternatives = alternatives[0], alternatives[1:]
                else:
                    suggestion = fallback or (
                        f"no key of this {self.config.form} file sets {wanted.key_path[-1]} on its own; "
                        f"see docs/lint.md ({check})"
                    )
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
            return f"set {self.shown(fix)}", fix
        if length.unit == "step" and length.per_unit == 1 and length.key is None:
            return self.length_fix(window, length.keyword, max(1, calls))
        value = length.written_for(calls)
        unit = f" ({length.unit}s)" if length.unit != "step" else ""
        fix = Fix(window.key_path(length.path), value)
        return f"set {self.shown(fix)}{unit}", fix

    def length_fix(self, window: Window, keyword: str | KeyPath, value: int) -> tuple[str, Fix]:
        """``set KEY: VALUE (or "EXPRESSION")`` and the fix that sets it, in the file's own keys."""
        driver = getattr(window.plan.cls, "lrplot_driver", False)  # its file cannot say "total_step"
        expression = None if driver or self.foreign else self.follow_run(window, value)
        fix = Fix(window.key_path(keyword), value)
        text = f"set {self.shown(fix)}" + (f' (or "{expression}", to follow the run)' if expression else "")
        return text, fix
