"""What a simulation produced: plain data, float64 arrays per curve and param group.

This module sits between the engines that fill it and the renderers that draw it, and
imports nothing from either: a Result can be pickled, compared, written or drawn by
any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from lrplot.config import PlotOptions

# Passes over a whole trace (the linter's checks, the figure's scale and drawing) read it this
# many values at a time: a mask or filtered copy of a 10,000,000-step run would otherwise be as
# large as the run itself (docs/performance.md). A module constant, so tests can make it tiny.
BLOCK = 1 << 18


def blocks(size: int) -> Iterator[slice]:
    """Consecutive slices of ``BLOCK`` indices covering ``range(size)``.

    >>> [(s.start, s.stop) for s in blocks(5)] if BLOCK >= 5 else None
    [(0, 5)]
    """
    for start in range(0, size, BLOCK):
        yield slice(start, min(start + BLOCK, size))


def first_where(values: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> int | None:
    """The first index where ``test`` (an elementwise predicate) holds, else None; a block at a time.

    >>> first_where(np.array([3.0, -1.0, -2.0]), lambda block: block < 0)
    1
    """
    for part in blocks(values.size):
        hits = test(values[part])
        if hits.any():
            return part.start + int(np.argmax(hits))
    return None


def count_where(values: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> int:
    """How many values ``test`` holds for, a block at a time."""
    return sum(int(np.count_nonzero(test(values[part]))) for part in blocks(values.size))


def max_where(values: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> float | None:
    """The largest value ``test`` holds for (``np.max`` of ``values[test(values)]``), else None."""
    best = None
    for part in blocks(values.size):
        block = values[part]
        chosen = block[test(block)]
        if chosen.size:
            top = chosen.max()
            best = top if best is None else max(best, top)
    return None if best is None else float(best)


@dataclass
class GroupTrace:
    """One param group's recorded values, index = step."""

    name: str
    lr: np.ndarray
    momentum: np.ndarray | None = None
    weight_decay: np.ndarray | None = None


@dataclass(frozen=True)
class LintMark:
    """A lint finding as the renderers show it: a marker at ``step``, a count per curve.

    ``group`` None means every param group; ``step`` None means no single step.
    """

    id: str
    group: str | None
    step: int | None
    severity: str = "warning"


@dataclass
class CurveResult:
    """One simulated curve."""

    label: str
    total_step: int
    scheduler: str
    optimizer: str
    groups: list[GroupTrace]
    steps_per_epoch: int | None = None
    interval: str = "step"
    markers: list[int] = field(default_factory=list)
    reference: Any = None  # a reference.ReferenceLog drawn over this curve
    reference_group: int = 0
    reference_groups: list[int] = field(default_factory=lambda: [0])  # the group of each logged series
    engine: str = "torch"  # which engine computed the values: torch, fast or no-torch
    fallback: str | None = None  # why ``--engine auto`` stepped torch for this curve
    lint: list[LintMark] | None = None  # filled by lrplot.lint; None: not linted

    def warnings_for(self, group: str) -> int | None:
        """How many lint warnings concern a param group (None when the curve was not linted)."""
        if self.lint is None:
            return None
        return sum(1 for mark in self.lint if mark.severity == "warning" and mark.group in (None, group))

    def reference_comparisons(self) -> list[Any]:
        """Each logged lr series against its param group (reference.Comparison; [] without a log)."""
        if self.reference is None:
            return []
        return [
            self.reference.comparison(self.groups[group].lr, index, group, self.groups[group].name)
            for index, group in enumerate(self.reference_groups)
        ]

    def reference_divergences(self) -> list[Any]:
        """Where the log parts from the plan (reference.Divergence, one per series that does)."""
        return [c.divergence for c in self.reference_comparisons() if c.divergence is not None]

    @property
    def has_momentum(self) -> bool:
        return any(group.momentum is not None for group in self.groups)

    @property
    def has_weight_decay(self) -> bool:
        return any(group.weight_decay is not None for group in self.groups)


@dataclass
class Result:
    """What a simulation produced: arrays per curve and group, plus how to draw them."""

    curves: list[CurveResult]
    title: str | None = None
    plot: PlotOptions = field(default_factory=PlotOptions)
    warnings: list[str] = field(default_factory=list)
    derived: dict[str, Any] = field(default_factory=dict)  # a training config's run-length numbers

    @property
    def has_momentum(self) -> bool:
        return any(curve.has_momentum for curve in self.curves)

    @property
    def fallback(self) -> str | None:
        """One line: which curves ``--engine auto`` stepped torch for, and why (the first's
        reason), or None when none was. The commands print it unless ``--quiet``."""
        fell_back = [curve for curve in self.curves if curve.fallback]
        if not fell_back:
            return None
        first = fell_back[0]
        reason = "the fast engine " + first.fallback.removeprefix("it ").split(" (it covers ", 1)[0]  # type: ignore[union-attr]
        more = len(fell_back) - 1
        others = f" (and {more} more curve{'s' if more > 1 else ''})" if more else ""
        return f"lrplot steps torch for curve {first.label!r}{others}: {reason}"

    @property
    def has_weight_decay(self) -> bool:
        return any(curve.has_weight_decay for curve in self.curves)

    @property
    def steps_per_epoch(self) -> int | None:
        """The curves' common steps_per_epoch, if they all share one (for an epoch axis)."""
        values = {curve.steps_per_epoch for curve in self.curves}
        return values.pop() if len(values) == 1 else None

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per curve, group and step: the CSV's rows as Python values."""
        rows = []
        for curve in self.curves:
            for group in curve.groups:
                momenta = group.momentum.tolist() if group.momentum is not None else None
                for step, lr in enumerate(group.lr.tolist()):
                    row: dict[str, Any] = {"curve": curve.label, "group": group.name, "step": step, "lr": lr}
                    if momenta is not None:
                        row["momentum"] = momenta[step]
                    rows.append(row)
        return rows


def combine(results: Sequence[Result], names: Sequence[str]) -> Result:
    """Several configs' results as one, for one figure or CSV comparing them (old and new
    training config): every curve in order, a label two configs share prefixed with the
    name of each config that has it (``old: cosine``, ``new: cosine``), so the legend and
    the CSV's ``curve`` column tell them apart. The title is the configs' common one, or
    their titles side by side when each has one; the first config's ``plot:`` options draw the figure.

    >>> one = Result([CurveResult("cos", 2, "CosineAnnealingLR", "SGD", [])], title="A")
    >>> two = Result([CurveResult("cos", 2, "CosineAnnealingLR", "SGD", [])], title="B")
    >>> both = combine([one, two], ["old", "new"])
    >>> [curve.label for curve in both.curves], both.title
    (['old: cos', 'new: cos'], 'A vs B')
    """
    counts: dict[str, int] = {}
    for result in results:
        for label in {curve.label for curve in result.curves}:
            counts[label] = counts.get(label, 0) + 1
    curves = [
        replace(curve, label=f"{name}: {curve.label}" if counts[curve.label] > 1 else curve.label)
        for result, name in zip(results, names, strict=True)
        for curve in result.curves
    ]
    titles = list(dict.fromkeys(result.title for result in results))
    title = None if None in titles or "" in titles else " vs ".join(titles)  # type: ignore[arg-type]
    return Result(
        curves=curves,
        title=title,
        plot=results[0].plot,
        warnings=[warning for result in results for warning in result.warnings],
        derived=results[0].derived if len(results) == 1 else {},
    )


def epoch_of(step: int, steps_per_epoch: int | None) -> str:
    """`` (epoch E)`` for a step when the run has epochs, else nothing: a user thinks in epochs.

    Step ``s`` runs in epoch ``s // steps_per_epoch`` (epochs count from 0, like steps).

    >>> epoch_of(450, 100), epoch_of(450, None)
    (' (epoch 4.5)', '')
    """
    if not steps_per_epoch:
        return ""
    return f" (epoch {step / steps_per_epoch:g})"
