"""``--set`` and ``--sweep`` on a training config's own keys, applied before it is translated.

A user changes a litgpt ``train.max_tokens`` or a DeepSpeed
``scheduler.params.warmup_num_steps`` as the file writes it, and the change goes through the
same translation as the file (so the Trainer's rules see a ``--set warmup_ratio=0.1``). On a
Hydra config the text goes to Hydra itself as an override (``scheduler=cosine``, ``+key=1``,
``~key``: Hydra's own grammar). lrplot's own keys are ``lrplot.KEY`` (:data:`OWN_PREFIX`),
which no training config's key path can be, since lrplot's keys are not the file's.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from lrplot.errors import KeyPath, LrplotError

OWN_PREFIX = "lrplot."
HYDRA_PREFIXES = ("++", "+", "~")


@dataclass(frozen=True)
class FileSet:
    """One change to the file's own key path: its key, the value text as typed, the value read."""

    key: str
    raw: str
    value: Any
    shown: str  # "--set train.max_tokens=1000", for errors and the summary

    @property
    def parts(self) -> KeyPath:
        """``param_scheduler.0.end`` -> ``("param_scheduler", 0, "end")``."""
        return tuple(int(part) if part.isdigit() else part for part in self.key.split("."))

    @property
    def hydra(self) -> str:
        """The override as Hydra reads it (``key=value`` as typed)."""
        return f"{self.key}={self.raw}" if not self.key.startswith("~") or self.raw else self.key


def apply_file_sets(data: Any, sets: tuple[FileSet, ...], form: str) -> tuple[Any, list[str]]:
    """A copy of ``data`` with ``sets`` applied, and one summary line for each change."""
    if not sets:
        return data, []
    data = copy.deepcopy(data)
    lines = []
    for change in sets:
        if change.key.startswith(HYDRA_PREFIXES):
            raise LrplotError(
                f"{change.shown}: '+' and '~' are Hydra's override grammar; this is a {form} config"
            )
        parts = change.parts
        before, had = _replace(data, parts, change)
        shown_before = f"the file has {_short(before)}" if had else "a key the file does not have"
        lines.append(f"{change.shown} applied to the file before translating it ({shown_before})")
    return data, lines


def _replace(data: Any, parts: KeyPath, change: FileSet) -> tuple[Any, bool]:
    """Set ``parts`` to the value; mappings on the way must exist (a new key at the end is added)."""
    current = data
    for depth, part in enumerate(parts):
        reached = ".".join(str(p) for p in parts[:depth]) or "the file"
        last = depth == len(parts) - 1
        if isinstance(current, list):
            if not isinstance(part, int) or not 0 <= part < len(current):
                raise LrplotError(
                    f"{change.shown}: {reached} is a list of {len(current)} entries, no {part!r} in it"
                )
        elif isinstance(current, dict):
            part = str(part) if str(part) in current or not isinstance(part, int) else part
            if part not in current:
                near = _near(part, current)
                if not last or near:
                    missing = ".".join(map(str, parts[: depth + 1]))
                    raise LrplotError(f"{change.shown}: the file has no {missing}{near}")
        else:
            raise LrplotError(f"{change.shown}: {reached} is a value, not a mapping, in the file")
        if last:
            had = part in current if isinstance(current, dict) else True
            before = current[part] if had else None
            current[part] = copy.deepcopy(change.value)
            return before, had
        current = current[part]
    raise LrplotError(f"{change.shown}: no key to set")


def _near(part: Any, mapping: dict[Any, Any]) -> str:
    """``; did you mean warmup_ratio?`` when a key of the mapping is a near spelling of ``part``.

    A new key the file does not have is added (a Trainer key the file leaves at its default);
    one a letter or two from a key the file has is a typo, refused, since it would change nothing.
    """
    import difflib

    from lrplot.errors import printable

    keys = [str(key) for key in mapping]
    close = difflib.get_close_matches(str(part), keys, n=1, cutoff=0.8)
    return f"; did you mean {printable(close[0], 60)}?" if close else ""


def _short(value: Any) -> str:
    from lrplot.errors import printable

    return printable(repr(value) if isinstance(value, str) else str(value), 40)
