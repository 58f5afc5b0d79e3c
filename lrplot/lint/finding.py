"""What a check reports: one :class:`Finding` per problem, with the step and the fix."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from lrplot.errors import KeyPath

Severity = Literal["warning", "note"]


_BARE = re.compile(r"[0-9]+(\.[0-9]+)?[a-z]+")  # a number and its unit: 319ba, 0.1dur, 2ep


def _bare(text: str) -> bool:
    """Whether ``text`` is a number with a unit suffix (YAML reads it as a string, unquoted)."""
    return bool(_BARE.fullmatch(text)) and not re.fullmatch(r"[0-9.]+e[0-9]*", text)


@dataclass(frozen=True)
class Fix:
    """The suggested fix as one config change: the value a key should get.

    ``key_path`` and ``value`` address lrplot's config (what re-simulation applies);
    ``file_key`` and ``file_value``, when set, are the same change as the training config
    writes it (its own key path and number: what the user pastes). ``file_key`` None on a
    native lrplot config: its keys are the file's.

    >>> Fix(("curves", 0, "scheduler", "T_max"), 98000).as_set()
    'curves.0.scheduler.T_max=98000'
    >>> fix = Fix(("curves", 0, "scheduler", "num_warmup_steps"), 200, ("warmup_steps",), 200)
    >>> fix.as_set(), fix.shown()
    ('warmup_steps=200', 'warmup_steps: 200')
    >>> Fix(("curves", 0, "scheduler", "x"), 3, ("param_scheduler", 1, "T_max"), 3).shown()
    'param_scheduler[1].T_max: 3'
    """

    key_path: KeyPath
    value: Any
    file_key: KeyPath | None = None
    file_value: Any = None

    @property
    def written(self) -> Any:
        """The value as the file writes it."""
        return self.file_value if self.file_key is not None else self.value

    def as_set(self) -> str:
        """The fix as a ``--set KEY=VALUE`` argument, in the file's own key grammar."""
        path = self.file_key if self.file_key is not None else self.key_path
        return f"{'.'.join(str(part) for part in path)}={self.value_text()}"

    def value_text(self) -> str:
        """The value as ``--set`` and the suggestion both write it (``1.0``, ``epoch``, ``[8, 11]``).

        A string is written bare when YAML (the grammar of ``--set``) reads it back as that
        string: Composer's ``319ba``, as its files write a time.

        >>> Fix(("t_warmup",), "319ba").value_text(), Fix(("x",), "1e3").value_text()
        ('319ba', '"1e3"')
        """
        value = self.written
        if isinstance(value, str) and (value.isidentifier() or _bare(value)):
            return value
        return json.dumps(value)

    def key_text(self) -> str:
        """The key as a reader finds it in the file: ``param_scheduler[1].T_max``, or the keyword."""
        if self.file_key is None:
            return str(self.key_path[-1])
        shown = ""
        for part in self.file_key:
            shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else str(part))
        return shown

    def shown(self) -> str:
        """``KEY: VALUE`` as the file writes it."""
        return f"{self.key_text()}: {self.value_text()}"


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
