"""Every bound on what a config can cost, in one table (the README's security model lists it).

A config arrives from a pull request, so everything it controls that costs time, memory or
disk has a bound, checked where the data it bounds first appears and before the work it
would cause: bytes when a file is opened, curves before a sweep is expanded, values before
anything steps, pixels before a figure is made, integer sizes inside every expression
operation that can grow one. An overrun is one line naming the key; ``--force`` lifts the
bounds marked ``liftable`` (a long run or a poster-sized figure can be legitimate), never
the others (nothing legitimate needs them).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from lrplot.errors import KeyPath, LrplotError

# Files
MAX_CONFIG_BYTES = 2_000_000  # a config file, and every file a config includes
MAX_LOG_BYTES = 256 * 2**20  # a reference or metric log, a check snapshot
# YAML
MAX_YAML_NODES = 200_000  # values in one document, aliases counted each time they are used
MAX_YAML_DEPTH = 64
# Config data
MAX_STRING_CHARS = 10_000  # any string anywhere in a config
MAX_TEXT_CHARS = 300  # a title, a curve label, a param group name (drawn as text)
MAX_CURVES = 1_000  # curves of one config after sweeps are expanded
MAX_PARAM_GROUPS = 1_000  # param groups of one optimizer
MAX_SCHEDULERS = 100  # schedulers in one curve: nested, segments and side-by-side together
MAX_VALUES = 100_000_000  # values one config records: total_step x param groups, summed over curves
MEMORY_SHARE = 0.5  # of this machine's memory, for the values of one run
# Figures
MAX_FIGURE_PIXELS = 40_000_000  # width x height in pixels (plot.size x plot.dpi)
MAX_FIGURE_SIDE = 16_384  # pixels on either side
MIN_FIGURE_INCHES = 1.0
MAX_GRID_PANELS = 100  # plot.layout grid: one panel per curve
MAX_LINES = 1_000  # lines drawn in one figure (curves x param groups)
MAX_MATHTEXT_DEPTH = 20  # nested braces inside $...$ in a title or label
# Expressions
MAX_EXPRESSION_CHARS = 1_000
MAX_EXPRESSION_NODES = 300
MAX_LITERAL_DIGITS = 40
MAX_INT_BITS = 4_096  # every integer an expression computes (products and powers included)
MAX_ROUND_DIGITS = 400  # |ndigits| of round(x, ndigits)


@dataclass(frozen=True)
class Bound:
    """One bound as the README's security model lists it."""

    name: str
    value: float
    what: str
    liftable: bool = False

    @property
    def shown(self) -> str:
        """The value as the README writes it (``2,000,000``, ``268,435,456``, ``0.5``)."""
        return f"{self.value:,}" if isinstance(self.value, int) else f"{self.value:g}"


BOUNDS: tuple[Bound, ...] = (
    Bound("MAX_CONFIG_BYTES", MAX_CONFIG_BYTES, "bytes of a config file and of each file it includes"),
    Bound("MAX_LOG_BYTES", MAX_LOG_BYTES, "bytes of a reference or metric log, or a check snapshot", True),
    Bound("MAX_YAML_NODES", MAX_YAML_NODES, "values in one YAML document, aliases counted each time used"),
    Bound("MAX_YAML_DEPTH", MAX_YAML_DEPTH, "levels of nesting in a YAML document"),
    Bound("MAX_STRING_CHARS", MAX_STRING_CHARS, "characters of any string in a config"),
    Bound("MAX_TEXT_CHARS", MAX_TEXT_CHARS, "characters of a title, curve label or param group name"),
    Bound("MAX_CURVES", MAX_CURVES, "curves of one config after sweeps are expanded", True),
    Bound("MAX_PARAM_GROUPS", MAX_PARAM_GROUPS, "param groups of one optimizer", True),
    Bound("MAX_SCHEDULERS", MAX_SCHEDULERS, "schedulers in one curve (nested, segments, side by side)", True),
    Bound("MAX_VALUES", MAX_VALUES, "values one config records (total_step x param groups, summed)", True),
    Bound("MEMORY_SHARE", MEMORY_SHARE, "share of this machine's memory the values of a run may take", True),
    Bound("MAX_FIGURE_PIXELS", MAX_FIGURE_PIXELS, "pixels of a figure (plot.size x plot.dpi, squared)", True),
    Bound("MAX_FIGURE_SIDE", MAX_FIGURE_SIDE, "pixels on either side of a figure"),
    Bound("MIN_FIGURE_INCHES", MIN_FIGURE_INCHES, "inches on either side of a figure, at least (finite)"),
    Bound("MAX_GRID_PANELS", MAX_GRID_PANELS, "panels of a plot.layout: grid figure (one per curve)", True),
    Bound("MAX_LINES", MAX_LINES, "lines drawn in one figure (curves x param groups)", True),
    Bound("MAX_MATHTEXT_DEPTH", MAX_MATHTEXT_DEPTH, "nested braces inside $...$ in a title or label"),
    Bound("MAX_EXPRESSION_CHARS", MAX_EXPRESSION_CHARS, "characters of an expression"),
    Bound("MAX_EXPRESSION_NODES", MAX_EXPRESSION_NODES, "syntax nodes of an expression"),
    Bound("MAX_LITERAL_DIGITS", MAX_LITERAL_DIGITS, "digits of an integer literal in an expression"),
    Bound("MAX_INT_BITS", MAX_INT_BITS, "bits of any integer an expression computes (*, ** included)"),
    Bound("MAX_ROUND_DIGITS", MAX_ROUND_DIGITS, "|ndigits| of round(x, ndigits) in an expression"),
)


_LIFTED: ContextVar[bool] = ContextVar("lrplot_limits_lifted", default=False)


@contextmanager
def lifting(force: bool) -> Iterator[None]:
    """Within this block, the liftable bounds are lifted when ``force`` is true (``--force``)."""
    token = _LIFTED.set(_LIFTED.get() or force)
    try:
        yield
    finally:
        _LIFTED.reset(token)


def lifted() -> bool:
    """Whether ``--force`` lifted the liftable bounds for the work in progress."""
    return _LIFTED.get()


def log_limit() -> int:
    """Bytes a log may have: ``MAX_LOG_BYTES``, or no bound under ``--force``."""
    return 2**62 if lifted() else MAX_LOG_BYTES


def check(what: str, amount: int, limit: int, *, key_path: KeyPath | None = None, liftable: bool) -> None:
    """Raise the one-line overrun error when ``amount`` exceeds ``limit`` (unless lifted)."""
    if amount > limit and not (liftable and lifted()):
        raise over(what, amount, limit, key_path=key_path, liftable=liftable)


def over(
    what: str, amount: int, limit: int, *, key_path: KeyPath | None = None, liftable: bool
) -> LrplotError:
    """The one-line error for a bound overrun: ``what`` with the amount in its ``{}`` (or after
    it), the limit, and whether ``--force`` lifts it."""
    hint = "; --force lifts it" if liftable else ""
    text = what.replace("{}", f"{amount:,}") if "{}" in what else f"{what}: {amount:,}"
    return LrplotError(f"{text} (limit {limit:,}{hint})", key_path=key_path)


def finite_number(value: Any, what: str, *, minimum: float = 0.0, key_path: KeyPath | None = None) -> float:
    """A tolerance or size given by the user: a finite number >= ``minimum``, or a one-line error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LrplotError(
            f"{what} should be a finite number >= {minimum:g}, got {value!r}", key_path=key_path
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number < minimum:
        raise LrplotError(
            f"{what} should be a finite number >= {minimum:g}, got {value!r}", key_path=key_path
        )
    return number
