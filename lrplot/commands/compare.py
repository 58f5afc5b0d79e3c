"""Comparing a fresh simulation with a committed CSV snapshot (``lrplot check``).

CI keeps a snapshot of each schedule; a change to a config, to lrplot or to torch that moves
any value shows up as a short report naming the curve, the first differing step and the
old and new values. Exact by default: the CSV is repr-exact, so equal means bit-identical.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lrplot.errors import LrplotError, printable
from lrplot.render.data import HEADER
from lrplot.result import Result, epoch_of

if TYPE_CHECKING:
    from lrplot.config.options import LoadOptions

Key = tuple[str, str]


@dataclass
class Series:
    """One curve/group of a snapshot or a result: lr and (optionally) momentum by step."""

    lr: np.ndarray
    momentum: np.ndarray | None
    steps_per_epoch: int | None = None


def run_check(
    config: Path,
    against: Path,
    options: LoadOptions,
    *,
    update: bool,
    rtol: float,
    atol: float,
    allow_read: Sequence[Path],
) -> None:
    """``lrplot check``: simulate, then compare with the snapshot (or rewrite it with --update)."""
    from lrplot.commands.errors import EXIT_DIFFERENCE, fail, interruptible
    from lrplot.commands.terminal import say
    from lrplot.commands.toolkit import Exit
    from lrplot.config import load
    from lrplot.engines import simulate
    from lrplot.output import check_outputs, write_outputs
    from lrplot.plan import plan
    from lrplot.read.files import confining_reads, recording

    with interruptible(), recording(), confining_reads(allow_read):
        try:
            if update:
                check_outputs([against], inputs=[config])
            if against.suffix.lower() != ".csv":
                raise LrplotError(f"{printable(str(against))}: a snapshot is a .csv file")
            loaded = load(config, options=options)
            snapshot = None if update else read_snapshot(against)
            plans = plan(loaded, allow_imports=options.allow_imports, force=options.force, skip_dynamo=True)
            result = simulate(loaded, allow_imports=options.allow_imports, force=options.force, plans=plans)
            if update:
                write_outputs([(result, [against])])
        except LrplotError as error:
            fail(error)
    if snapshot is None:
        rows = sum(curve.total_step * len(curve.groups) for curve in result.curves)
        say(f"lrplot: updated {against} ({rows:,} rows)", err=True)
        return
    templated = {curve.label for curve in loaded.curves if curve.label_templated}
    differences = compare(result, snapshot, rtol=rtol, atol=atol, templated=templated)
    if not differences:
        say(f"lrplot: {config} matches {against}", err=True)
        return
    say(f"lrplot: {config} differs from {against}:", err=True)
    for line in differences[:20]:
        say(f"  {line}", err=True)
    if len(differences) > 20:
        say(f"  ... and {len(differences) - 20} more", err=True)
    say(f"  (to accept the change: lrplot check {config} --against {against} --update)", err=True)
    raise Exit(EXIT_DIFFERENCE)


def read_snapshot(path: Path) -> dict[Key, Series]:
    """Parse a CSV written by lrplot; refuse anything else with the offending line (never its content).

    Read under :mod:`lrplot.read.files`' policy: a regular file, at most ``MAX_LOG_BYTES``.
    """
    from lrplot.limits import log_limit
    from lrplot.read.files import open_text

    if not path.exists() and not path.is_symlink():
        raise LrplotError(f"{printable(str(path))}: no such snapshot; create it with --update")
    shown = printable(str(path))
    columns: dict[Key, tuple[list[float], list[float | None]]] = {}
    try:
        with open_text(path, limit=log_limit()) as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or tuple(header[:4]) != HEADER:
                raise LrplotError(
                    f"{shown}:1: not an lrplot CSV (expected header {','.join(HEADER)}[,momentum])"
                )
            with_momentum = len(header) > 4 and header[4] == "momentum"
            for row in reader:
                line = reader.line_num
                if len(row) < 4:
                    raise LrplotError(f"{shown}:{line}: expected {len(header)} columns, got {len(row)}")
                key = (row[0], row[1])
                lrs, momenta = columns.setdefault(key, ([], []))
                try:
                    step = int(row[2])
                    lr = float(row[3])
                    momentum = float(row[4]) if with_momentum and len(row) > 4 and row[4] != "" else None
                except ValueError:
                    raise LrplotError(
                        f"{shown}:{line}: not a number in column step, lr or momentum"
                    ) from None
                if step != len(lrs):
                    raise LrplotError(f"{shown}:{line}: step out of order (expected {len(lrs)})")
                lrs.append(lr)
                momenta.append(momentum)
    except csv.Error as exc:
        raise LrplotError(f"{shown}: not a readable CSV: {printable(str(exc).split(':')[0], 80)}") from None
    snapshot = {}
    for key, (lrs, momenta) in columns.items():
        has_momentum = any(m is not None for m in momenta)
        momentum = np.array([math.nan if m is None else m for m in momenta]) if has_momentum else None
        snapshot[key] = Series(lr=np.array(lrs, dtype=np.float64), momentum=momentum)
    return snapshot


def result_series(result: Result) -> dict[Key, Series]:
    return {
        (curve.label, group.name): Series(
            lr=group.lr, momentum=group.momentum, steps_per_epoch=curve.steps_per_epoch
        )
        for curve in result.curves
        for group in curve.groups
    }


def compare(
    result: Result,
    snapshot: dict[Key, Series],
    *,
    rtol: float = 0.0,
    atol: float = 0.0,
    templated: Collection[str] = (),
) -> list[str]:
    """One line per difference between a result and a snapshot (empty when they agree).

    Curves are matched by label; a curve whose label is ``templated`` from its values
    ("AdamW, peak {optimizer.lr}") and changed with them is matched by its position instead,
    when the curve at the same position in the snapshot has no match either, so the report
    shows the values that moved rather than one curve gone and another new.
    """
    now = result_series(result)
    renamed = _matched_by_position(list(snapshot), list(now), templated)
    differences = []
    for key in snapshot:
        if key not in now and key not in renamed.values():
            differences.append(f"{_name(key)}: in the snapshot, not in the config")
    for key, series in now.items():
        old_key = renamed.get(key, key)
        old = snapshot.get(old_key)
        if old is None:
            differences.append(f"{_name(key)}: new, not in the snapshot")
            continue
        if old_key != key:
            differences.append(f"{_name(old_key)} is now {key[0]!r} (matched by its position)")
        per_epoch = series.steps_per_epoch
        differences += _compare_values(key, "lr", old.lr, series.lr, rtol, atol, per_epoch)
        if (old.momentum is None) != (series.momentum is None):
            state = "now recorded" if series.momentum is not None else "no longer recorded"
            differences.append(f"{_name(key)}: momentum is {state}")
        elif old.momentum is not None and series.momentum is not None:
            differences += _compare_values(
                key, "momentum", old.momentum, series.momentum, rtol, atol, per_epoch
            )
    return differences


def _matched_by_position(old: list[Key], new: list[Key], templated: Collection[str]) -> dict[Key, Key]:
    """New key → old key for templated series that match by nothing but their position (same
    group, neither label found on the other side), when both sides hold as many series."""
    if len(old) != len(new):
        return {}
    old_set, new_set = set(old), set(new)
    return {
        new_key: old_key
        for old_key, new_key in zip(old, new, strict=True)
        if new_key[0] in templated
        and old_key not in new_set
        and new_key not in old_set
        and old_key[1] == new_key[1]
    }


def _compare_values(
    key: Key,
    what: str,
    old: np.ndarray,
    new: np.ndarray,
    rtol: float,
    atol: float,
    steps_per_epoch: int | None = None,
) -> list[str]:
    found = []
    common = min(len(old), len(new))
    if len(old) != len(new):
        found.append(f"{_name(key)}: {len(new):,} steps, the snapshot has {len(old):,}")
    with np.errstate(all="ignore"):  # inf - inf is a difference, not a warning
        if math.isinf(rtol) or math.isinf(atol):  # lax, and valid: every finite value matches
            a, b = new[:common], old[:common]
            same = (np.isfinite(a) & np.isfinite(b)) | (a == b) | (np.isnan(a) & np.isnan(b))
        elif rtol or atol:
            same = np.isclose(new[:common], old[:common], rtol=rtol, atol=atol, equal_nan=True)
        else:
            same = (new[:common] == old[:common]) | (np.isnan(new[:common]) & np.isnan(old[:common]))
    if not same.all():
        step = int(np.argmin(same))
        count = int((~same).sum())
        found.append(
            f"{_name(key)}: {what} differs first at step {step}{epoch_of(step, steps_per_epoch)}: "
            f"{float(old[step])!r} in the snapshot, "
            f"{float(new[step])!r} now ({_change(float(old[step]), float(new[step]))}"
            f"{count:,} step(s) differ)"
        )
    return found


def _change(old: float, new: float) -> str:
    """The relative change, where it is a number: ``+3.33%; `` (or ``x40; `` past tenfold)."""
    if not (math.isfinite(old) and math.isfinite(new)) or old == 0:
        return ""
    if abs(new - old) > 10 * abs(old):
        return f"x{new / old:.3g}; "
    return f"{100 * (new - old) / abs(old):+.3g}%; "


def _name(key: Key) -> str:
    curve, group = key
    return f"curve {curve!r}" + (f" group {group!r}" if group != "0" else "")
