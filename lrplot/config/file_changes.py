"""Which ``--set``/``--sweep`` texts change the training config as written, and which lrplot's keys.

On a native lrplot config every key is lrplot's. On a training config a key is the file's own
(applied before translation, :mod:`lrplot.formats.file_sets`) when the file has its first
part, when Hydra's grammar marks it (``+key``, ``~key``, a defaults group), or when it is not
one of lrplot's keys; ``lrplot.KEY`` is always lrplot's key, set after translation; an
unprefixed lrplot key the file does not have (``total_step``, ``interval``, ``metric``) stays
lrplot's, as before. A sweep over the file's keys translates the file once per value and
draws the curves together.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lrplot.config.models import CurveSpec
from lrplot.errors import printable
from lrplot.formats import Converted, FormatOptions, chosen_format, convert
from lrplot.formats.file_sets import HYDRA_PREFIXES, OWN_PREFIX, FileSet
from lrplot.limits import MAX_CURVES, check
from lrplot.overrides import SHARED_KEYS, TOP_LEVEL_KEYS, parse_assignment, parse_value

LRPLOT_KEYS = frozenset((*TOP_LEVEL_KEYS, *CurveSpec.model_fields))


@dataclass
class Changes:
    """The command line's changes, split: lrplot's (texts without the prefix) and the file's."""

    own_sets: list[str] = field(default_factory=list)
    own_sweeps: list[str] = field(default_factory=list)
    file_sets: list[FileSet] = field(default_factory=list)
    file_sweeps: list[list[FileSet]] = field(default_factory=list)  # one list of values per key

    @property
    def total_step(self) -> int | None:
        """The run's length the user gave as lrplot's ``total_step`` (formats with no length ask for it)."""
        for text in reversed(self.own_sets):
            key, _, raw = text.partition("=")
            if key.strip() == "total_step":
                value = parse_value(raw, f"--set {printable(text, 80)}")
                return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
        return None


def split_changes(data: Any, sets: Iterable[str], sweeps: Iterable[str], options: FormatOptions) -> Changes:
    """Sort the texts into lrplot's and the file's (see the module's docstring)."""
    changes = Changes()
    module = chosen_format(data, replace(options, used_files=set()))
    if module is None or getattr(module, "TAKES_SETS", False):
        # a native config: every key is lrplot's, with or without the prefix; a format that
        # takes --set on its own keys itself (Megatron's arguments) reads the texts as given
        changes.own_sets = [_unprefixed(text) for text in sets]
        changes.own_sweeps = [_unprefixed(text) for text in sweeps]
        return changes
    hydra = getattr(module, "NAME", "") == "Hydra"
    names = _file_names(data, hydra, options.path)
    for text in sets:
        key, sep, raw = text.partition("=")
        key = key.strip()
        if key.startswith(OWN_PREFIX):
            changes.own_sets.append(_unprefixed(text))
        elif _is_file_key(key, names, hydra):
            shown = f"--set {printable(text.strip(), 80)}"
            if hydra:
                changes.file_sets.append(FileSet(key, raw, None, shown))
            else:
                assignment = parse_assignment(text)
                changes.file_sets.append(FileSet(assignment.key, raw, assignment.value, shown))
        else:
            changes.own_sets.append(text)
    for text in sweeps:
        key, sep, raw = text.partition("=")
        key = key.strip()
        if key.startswith(OWN_PREFIX):
            changes.own_sweeps.append(_unprefixed(text))
        elif _is_file_key(key, names, hydra) and sep and raw.strip():
            shown = f"--sweep {printable(text.strip(), 80)}"
            pieces = [piece.strip() for piece in raw.split(",")]
            values = [None] * len(pieces) if hydra else parse_value(f"[{raw}]", shown)
            if not hydra and len(values) != len(pieces):
                pieces = [str(value) for value in values]
            changes.file_sweeps.append(
                [
                    FileSet(key, piece, value, f"{shown} ({key}={piece})")
                    for piece, value in zip(pieces, values, strict=True)
                ]
            )
        else:
            changes.own_sweeps.append(text)
    return changes


def translated(data: Any, changes: Changes, fresh: Any) -> Converted:
    """The translation with the file's changes; one translation per swept value, drawn together.

    ``fresh()`` gives a new :class:`FormatOptions` (a translation fills some of its fields).
    """
    base = tuple(changes.file_sets)
    if not changes.file_sweeps:
        return _marked(convert(data, _with(fresh(), base, changes)), base)
    size = 1
    for values in changes.file_sweeps:
        size *= len(values)
    check("--sweep on the file's keys makes {} translations", size, MAX_CURVES, liftable=True)
    parts = []
    for combo in itertools.product(*changes.file_sweeps):
        sets = (*base, *combo)
        parts.append((combo, _marked(convert(data, _with(fresh(), sets, changes)), sets)))
    return _together(parts)


def _with(options: FormatOptions, sets: tuple[FileSet, ...], changes: Changes) -> FormatOptions:
    options.file_sets = sets
    options.total_step = changes.total_step
    return options


def _marked(converted: Converted, sets: tuple[FileSet, ...]) -> Converted:
    """Keys translated from a key a --set changed point at that --set, not at the file's line."""
    for native, original in list(converted.origins.items()):
        if not isinstance(original, tuple):
            continue
        for change in sets:
            parts = change.parts
            if tuple(original[: len(parts)]) == parts:
                converted.origins[native] = change.shown
    return converted


def _together(parts: list[tuple[tuple[FileSet, ...], Converted]]) -> Converted:
    """The swept translations as one config: each curve labelled with its values, lengths its own."""
    first = parts[0][1]
    curves: list[Any] = []
    origins: dict[Any, Any] = {}
    notes: list[str] = []
    reads = []
    for combo, converted in parts:
        offset = len(curves)
        for index, curve in enumerate(converted.data.get("curves", [])):
            curve = copy.deepcopy(curve)
            for key in SHARED_KEYS:
                lengths = ("total_step", "epochs")
                if key in converted.data and key not in curve:
                    if key in lengths and any(length in curve for length in lengths):
                        continue
                    curve[key] = converted.data[key]
            values = ", ".join(f"{change.key}={change.raw.strip()}" for change in combo)
            curve["label"] = f"{curve.get('label') or f'curve {index}'} ({values})"
            curves.append(curve)
        for native, original in converted.origins.items():
            if len(native) > 1 and native[0] == "curves" and isinstance(native[1], int):
                origins[("curves", native[1] + offset, *native[2:])] = original
            elif offset == 0:
                origins[native] = original
        notes.extend(note for note in converted.notes if note not in notes)
        reads.extend(path for path in converted.reads if path not in reads)
    data = {key: value for key, value in first.data.items() if key not in SHARED_KEYS and key != "curves"}
    data["curves"] = curves
    return Converted(
        data=data, origins=origins, notes=notes, form=first.form, assumed_metric=first.assumed_metric,
        interval_note=first.interval_note, derived=first.derived, reads=reads, source=first.source,
    )  # fmt: skip


def _unprefixed(text: str) -> str:
    stripped = text.lstrip()
    return stripped[len(OWN_PREFIX) :] if stripped.startswith(OWN_PREFIX) else text


def _file_names(data: Any, hydra: bool, path: Path | None) -> set[str]:
    """The first parts of the file's own key paths (and, on Hydra, its config groups)."""
    names = {str(key) for key in data} if isinstance(data, dict) else set()
    if not hydra:
        return names
    from lrplot.formats.hydra_compose import find_primary, hydra_defaults  # Hydra's files only

    if path is not None:  # the config folder's groups: scheduler=cosine picks a file there
        primary = find_primary(path, data)
        folder = primary.root if primary is not None else path.parent
        with contextlib.suppress(OSError):
            names.update(entry.name for entry in itertools.islice(folder.iterdir(), 1000) if entry.is_dir())
    for entry in hydra_defaults(data) or []:
        if isinstance(entry, dict):
            for group in entry:
                name = str(group).removeprefix("override ").strip().lstrip("/")
                names.add(name.split("/")[0].split("@")[0])
    return names


def _is_file_key(key: str, names: set[str], hydra: bool) -> bool:
    if key.startswith(HYDRA_PREFIXES):
        return True
    head = key.split(".")[0]
    if hydra:
        head = head.split("/")[0].split("@")[0]
    if head in names:
        return True
    return head not in LRPLOT_KEYS
