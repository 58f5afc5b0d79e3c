"""What a check reports: one :class:`Finding` per problem, with the step and the fix."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from lrplot.errors import KeyPath

Severity = Literal["warning", "note"]


@dataclass(frozen=True)
class Fix:
    """The suggested fix as one config change: the value a key should get.

    >>> Fix(("curves", 0, "scheduler", "T_max"), 98000).as_set()
    'curves.0.scheduler.T_max=98000'
    """

    key_path: KeyPath
    value: Any

    def as_set(self) -> str:
        """The fix as a ``--set KEY=VALUE`` argument."""
        key = ".".join(str(part) for part in self.key_path)
        value = (
            self.value
            if isinstance(self.value, str) and self.value.isidentifier()
            else json.dumps(self.value)
        )
        return f"{key}={value}"


@dataclass(frozen=True)
class Finding:
    """One thing a schedule very likely gets wrong, found by check ``id``.

    ``group`` is None when the finding holds for every param group (or there is one);
    ``step`` is None when the problem has no single step (a milestone never reached).
    ``key_path`` names the config key to change, ``where`` its ``file:line``; ``fix`` is
    the suggestion as one config change, when it is one, shown only once re-simulating the
    curve with it applied removed the finding without creating another (:mod:`lrplot.lint.verify`).
    """

    id: str
    curve: str
    group: str | None
    step: int | None
    message: str
    suggestion: str
    severity: Severity = "warning"
    key_path: KeyPath | None = None
    where: str | None = None
    fix: Fix | None = None
    # Other fixes to try, in order, when ``fix`` does not survive re-simulation (lint.verify),
    # and what to say when none does. Neither is printed: only the fix that works is.
    alternatives: tuple[tuple[str, Fix], ...] = ()
    fallback: str | None = None

    def line(self) -> str:
        """The line the commands print under the summary.

        >>> finding = Finding("LR001", "c", None, 41, "it climbs back", "set T_max: 100", where="x.yaml:4")
        >>> print(finding.line())
        lrplot: warning [LR001]: x.yaml:4: curve 'c': it climbs back; set T_max: 100
        """
        where = f"{self.where}: " if self.where else ""
        group = f" (group {self.group})" if self.group is not None else ""
        return (
            f"lrplot: {self.severity} [{self.id}]: {where}curve {self.curve!r}{group}: "
            f"{self.message}; {self.suggestion}"
        )

    def record(self) -> dict[str, Any]:
        """The finding as ``--json`` prints it."""
        return {
            "id": self.id,
            "severity": self.severity,
            "curve": self.curve,
            "group": self.group,
            "step": self.step,
            "message": self.message,
            "suggestion": self.suggestion,
            "where": self.where,
            "fix": self.fix.as_set() if self.fix else None,
        }
