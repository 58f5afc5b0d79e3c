"""Changing a config without editing it: ``--set``, ``--sweep``, ``sweep:`` and label templates.

All of these work on the plain YAML data, before validation, so whatever they produce is
checked exactly like a hand-written config. Each change remembers where it came from
(``--set scheduler.T_max=50`` or the ``sweep:`` line) so an error it causes points there.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from lrplot.errors import KeyPath, LrplotError, printable
from lrplot.limits import MAX_CURVES, check

# Top-level keys; anything else in --set is a curve key applied to every curve.
TOP_LEVEL_KEYS = (
    "title",
    "total_step",
    "epochs",
    "defaults",
    "curves",
    "plot",
    "sweep",
    "steps_per_epoch",
    "dataset_size",
    "batch_size",
    "drop_last",
    "interval",
    "lint",
)
# Keys that are both top-level and per-curve: --set changes them everywhere.
SHARED_KEYS = (
    "total_step",
    "epochs",
    "steps_per_epoch",
    "dataset_size",
    "batch_size",
    "drop_last",
    "interval",
)
# A run's length is total_step or epochs: setting one replaces the other at the same level.
_LENGTH_KEYS = {"total_step": "epochs", "epochs": "total_step"}


@dataclass
class Assignment:
    """One ``KEY=VALUE`` from the command line."""

    key: str
    value: Any
    text: str

    @property
    def parts(self) -> list[str | int]:
        return split_key(self.key, self.text)


@dataclass
class Origins:
    """Where changed keys came from, for error messages: key path → description."""

    by_path: dict[KeyPath, str | KeyPath] = field(default_factory=dict)

    def add(self, key_path: KeyPath, origin: str | KeyPath) -> None:
        """Record that ``key_path`` was set by ``origin``: a description, or the YAML key path that set it."""
        self.by_path.setdefault(tuple(key_path), origin)

    def find(self, key_path: KeyPath | None) -> str | KeyPath | None:
        if key_path is None:
            return None
        for end in range(len(key_path), 0, -1):
            origin = self.by_path.get(tuple(key_path[:end]))
            if origin is not None:
                return origin
        # A key the override created below this one (``--set optimizr.lr=...`` → optimizr).
        size = len(key_path)
        for path, origin in self.by_path.items():
            if size and path[:size] == tuple(key_path):
                return origin
        return None


def parse_value(text: str, where: str) -> Any:
    """A command-line value read as a YAML scalar or flow list (``0.1``, ``[30, 60]``, ``cos``)."""
    from lrplot.read.yaml_source import parse_yaml

    if text.strip() == "":
        return ""
    try:
        return parse_yaml(f"value: {text}", name=where).data["value"]
    except LrplotError as error:
        raise LrplotError(f"{where}: cannot read {text!r} as a YAML value ({error.message})") from None


def parse_assignment(text: str, option: str = "--set") -> Assignment:
    """``KEY=VALUE`` → :class:`Assignment`, refusing anything without a key."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise LrplotError(
            f"{option} {text!r}: expected KEY=VALUE with '=' and no spaces around it, "
            f"for example {option} {text.strip() or 'scheduler.T_max'}=50"
        )
    where = f"{option} {printable(text, 80)}"
    return Assignment(key=key.strip(), value=parse_value(raw, where), text=where)


def split_reference(text: str) -> tuple[str, str | None]:
    """``PATH[:TAG]`` → (path, tag): a colon splits off a tag unless the whole text is a path."""
    from pathlib import Path

    if not Path(text).exists() and ":" in text:
        path, _, tag = text.rpartition(":")
        return path, tag or None
    return text, None


def reference_assignment(text: str) -> Assignment:
    """``--reference PATH[:TAG]`` → every curve's ``reference``, remembered as that option.

    The path is made absolute as the user named it (relative to the working folder, not the
    config's, and ``/proc/self`` stays ``/proc/self`` for the read policy to refuse).
    """
    import os

    path, tag = split_reference(text)
    value: dict[str, str] = {"path": os.path.abspath(path)}
    if tag is not None:
        value["tag"] = tag
    return Assignment(key="reference", value=value, text=f"--reference {printable(text, 80)}")


def parse_sweep_option(text: str) -> Assignment:
    """``KEY=V1,V2,...`` → an assignment whose value is the list of values."""
    key, sep, raw = text.partition("=")
    where = f"--sweep {printable(text, 80)}"
    if not sep or not key.strip() or not raw.strip():
        raise LrplotError(f"--sweep {text!r}: expected KEY=V1,V2,..., for example scheduler.T_max=20,40,80")
    values = parse_value(f"[{raw}]", where)
    return Assignment(key=key.strip(), value=values, text=where)


def split_key(key: str, where: str) -> list[str | int]:
    """``curves.0.scheduler.T_max`` → ``["curves", 0, "scheduler", "T_max"]``."""
    parts: list[str | int] = []
    pieces = key.split(".")
    for position, part in enumerate(pieces):
        if part == "":
            raise LrplotError(f"{where}: empty part in key {key!r}")
        parts.append(int(part) if re.fullmatch(r"\d+", part) else part)
        if part == "sweep" and position + 1 < len(pieces):
            parts.append(".".join(pieces[position + 1 :]))  # sweep keys are dotted themselves
            break
    return parts


def set_path(data: Any, parts: list[str | int], value: Any, where: str, shown: str) -> None:
    """Set ``data[parts...] = value``, creating mappings on the way; lists are indexed."""
    current = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        reached = ".".join(str(p) for p in parts[:depth]) or "the config"
        if isinstance(current, list):
            if not isinstance(part, int):
                raise LrplotError(f"{where}: {reached} is a list; use an index, not {part!r}")
            if not 0 <= part < len(current):
                raise LrplotError(f"{where}: {reached} has {len(current)} entries, there is no index {part}")
            if last:
                current[part] = copy.deepcopy(value)
                return
            current = current[part]
            continue
        if not isinstance(current, dict):
            raise LrplotError(f"{where}: {reached} is {current!r}, not a mapping, so {shown} cannot be set")
        key = str(part)
        if last:
            current[key] = copy.deepcopy(value)
            return
        if key not in current or current[key] is None:
            current[key] = {}
        current = current[key]


def get_path(data: Any, parts: list[str | int]) -> tuple[bool, Any]:
    """``(found, value)`` for a dotted path into plain data."""
    current = data
    for part in parts:
        if isinstance(current, dict) and str(part) in current:
            current = current[str(part)]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            return False, None
    return True, current


def apply_sets(data: dict[str, Any], assignments: list[Assignment], origins: Origins) -> None:
    """Apply ``--set`` assignments: top-level keys at the top, anything else in every curve."""
    for assignment in assignments:
        parts = assignment.parts
        head = parts[0]
        if head in TOP_LEVEL_KEYS:
            if len(parts) == 1 and head in _LENGTH_KEYS:
                data.pop(_LENGTH_KEYS[head], None)
            set_path(data, parts, assignment.value, assignment.text, assignment.key)
            origins.add(tuple(parts), assignment.text)
        if head not in TOP_LEVEL_KEYS or head in SHARED_KEYS:
            curves = data.get("curves")
            if not isinstance(curves, list) or not curves:
                raise LrplotError(f"{assignment.text}: the config has no curves to set {assignment.key} in")
            for index, curve in enumerate(curves):
                if head in SHARED_KEYS and not (isinstance(curve, dict) and head in curve):
                    continue  # the top-level value reaches this curve already
                if len(parts) == 1 and head in _LENGTH_KEYS and isinstance(curve, dict):
                    curve.pop(_LENGTH_KEYS[head], None)
                set_path(curve, parts, assignment.value, assignment.text, assignment.key)
                origins.add(("curves", index, *parts), assignment.text)


def add_sweep(data: dict[str, Any], assignment: Assignment, origins: Origins) -> None:
    """Add a ``--sweep`` to the config's data: to the top-level ``sweep:`` (every curve), or,
    for ``curves.N.KEY`` (addressed as ``--set`` addresses it), to curve N's own ``sweep:``."""
    parts = split_key(assignment.key, assignment.text)
    target, key_path = data, ("sweep",)
    key = assignment.key
    if len(parts) > 2 and parts[0] == "curves" and isinstance(parts[1], int):
        curves = data.get("curves")
        count = len(curves) if isinstance(curves, list) else 0
        if parts[1] >= count:
            raise LrplotError(f"{assignment.text}: curves has {count} entries, there is no index {parts[1]}")
        target = curves[parts[1]]  # type: ignore[index]
        if not isinstance(target, dict):
            raise LrplotError(f"{assignment.text}: curves[{parts[1]}] is not a mapping")
        key = ".".join(str(part) for part in parts[2:])
        key_path = ("curves", parts[1], "sweep")
    if not isinstance(target.get("sweep"), dict):
        target["sweep"] = {}
    target["sweep"][key] = assignment.value
    origins.add((*key_path, key), assignment.text)


@dataclass
class Variant:
    """One expansion of a swept curve: the values it got, by dotted key."""

    values: dict[str, Any]


def sweep_size(sweep: Any, key_path: KeyPath) -> int:
    """How many curves a ``sweep:`` mapping makes, counted without building them (so a
    10 x 10 x ... sweep is refused at once, not after filling memory with its product).

    >>> sweep_size({"a": [1, 2], "b": [3, 4, 5]}, ()), sweep_size({"a": [1, 2], "b": [3, 4], "zip": True}, ())
    (6, 2)
    """
    if sweep is None:
        return 1
    keys, lists, paired = _sweep_lists(sweep, key_path)
    if paired:
        lengths = {len(values) for values in lists}
        if len(lengths) > 1:
            shown = ", ".join(f"{k}: {len(v)}" for k, v in zip(keys, lists, strict=True))
            raise LrplotError(
                f"sweep with zip: true needs lists of one length, got {shown}", key_path=key_path
            )
        return len(lists[0])
    return math.prod(len(values) for values in lists)


def sweep_variants(sweep: Any, key_path: KeyPath) -> list[Variant]:
    """The curves a ``sweep:`` mapping expands to: a cartesian product, or pairs with ``zip: true``.

    >>> [v.values for v in sweep_variants({"a": [1, 2], "b": [3, 4], "zip": True}, ())]
    [{'a': 1, 'b': 3}, {'a': 2, 'b': 4}]
    >>> len(sweep_variants({"a": [1, 2], "b": [3, 4, 5]}, ()))
    6
    """
    if sweep is None:
        return [Variant(values={})]
    size = sweep_size(sweep, key_path)
    check("sweep makes {} curves", size, MAX_CURVES, key_path=key_path, liftable=True)
    keys, lists, paired = _sweep_lists(sweep, key_path)
    combos = zip(*lists, strict=True) if paired else itertools.product(*lists)
    return [Variant(values=dict(zip(keys, combo, strict=True))) for combo in combos]


def _sweep_lists(sweep: Any, key_path: KeyPath) -> tuple[list[str], list[list[Any]], bool]:
    """A sweep's keys, their value lists and whether they pair up (``zip: true``), checked."""
    if not isinstance(sweep, dict):
        raise LrplotError(
            "sweep must map dotted keys to lists of values, e.g. {scheduler.eta_min: [0.0, 0.2]}",
            key_path=key_path,
        )
    paired = sweep.get("zip", False)
    if not isinstance(paired, bool):
        raise LrplotError(f"sweep zip must be true or false, got {paired!r}", key_path=(*key_path, "zip"))
    keys = [k for k in sweep if k != "zip"]
    lists = []
    for key in keys:
        values = sweep[key]
        if not isinstance(values, list) or not values:
            raise LrplotError(
                f"sweep {key} must be a non-empty list of values, got {values!r}", key_path=(*key_path, key)
            )
        lists.append(values)
    if not keys:
        raise LrplotError("sweep names no keys", key_path=key_path)
    return keys, lists, paired


_TEMPLATE = re.compile(r"\{([^{}]*)\}")


def render_label(template: str, curve: dict[str, Any], key_path: KeyPath) -> str:
    """Fill ``{dotted.key}`` fields from the curve's own values; ``{{`` and ``}}`` are braces.

    >>> render_label("eta_min={scheduler.eta_min}", {"scheduler": {"eta_min": 0.2}}, ())
    'eta_min=0.2'
    """
    if "{" not in template and "}" not in template:
        return template
    pieces = re.split(r"(\{\{|\}\})", template)
    out = []
    for piece in pieces:
        if piece in ("{{", "}}"):
            out.append(piece[0])
            continue

        def fill(match: re.Match[str]) -> str:
            key = match.group(1).strip()
            found, value = get_path(curve, split_key(key, "label")) if key else (False, None)
            if not found:
                raise LrplotError(
                    f"label template {template!r} names {key!r}, which this curve does not set",
                    key_path=(*key_path, "label"),
                )
            return format_value(value)

        out.append(_TEMPLATE.sub(fill, piece))
    return "".join(out)


def format_value(value: Any) -> str:
    """A value as it reads in a label: ``0.2``, ``[30, 60]``, ``cos``."""
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe_variant(values: dict[str, Any]) -> str:
    """``eta_min=0.2, T_max=40``: swept values named by their last key part where unambiguous."""
    short = [key.rsplit(".", 1)[-1] for key in values]
    names = [s if short.count(s) == 1 else key for s, key in zip(short, values, strict=True)]
    return ", ".join(f"{name}={format_value(v)}" for name, v in zip(names, values.values(), strict=True))
