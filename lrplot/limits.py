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
MAX_COUNT = 2**53  # any count: total_step, epochs, steps, steps per epoch, dataset and batch sizes
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
# Foreign configs
MAX_HYDRA_DEFAULTS = 100  # entries in the defaults lists of one Hydra composition, all files together
MAX_PYTHON_NODES = 100_000  # syntax nodes of a Python config (its nesting: MAX_YAML_DEPTH)
MAX_PYTHON_VALUES = 200_000  # values one name of a Python config holds, repeated references counted
MAX_PYTHON_ITEMS = 100_000  # items (or characters) of one value a Python config computes ([0] * n)
# The terminal (COLUMNS and LINES come from the environment)
MIN_CHART_COLUMNS = 30  # columns the --term chart needs
MAX_CHART_COLUMNS = 1_000  # columns the --term chart is drawn in, at most
MAX_CHART_LINES = 40  # rows of the --term chart (LINES above it draws 40 rows)


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
    Bound("MAX_COUNT", MAX_COUNT, "any count a config gives (total_step, epochs, steps, sizes): 2**53"),
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
    Bound(
        "MAX_ROUND_DIGITS", MAX_ROUND_DIGITS, "|ndigits| of round(x, ndigits): expressions, Python configs"
    ),
    Bound("MAX_HYDRA_DEFAULTS", MAX_HYDRA_DEFAULTS, "defaults-list entries of one Hydra composition"),
    Bound("MAX_PYTHON_NODES", MAX_PYTHON_NODES, "syntax nodes of a Python config"),
    Bound("MAX_PYTHON_VALUES", MAX_PYTHON_VALUES, "values one name of a Python config holds"),
    Bound("MAX_PYTHON_ITEMS", MAX_PYTHON_ITEMS, "items (or characters) of a value a Python config computes"),
    Bound("MIN_CHART_COLUMNS", MIN_CHART_COLUMNS, "terminal columns (COLUMNS) the --term chart needs"),
    Bound("MAX_CHART_COLUMNS", MAX_CHART_COLUMNS, "terminal columns (COLUMNS) the --term chart is drawn in"),
    Bound("MAX_CHART_LINES", MAX_CHART_LINES, "rows of the --term chart (a larger LINES draws this many)"),
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
    text = what.replace("{}", amount_text(amount)) if "{}" in what else f"{what}: {amount_text(amount)}"
    return LrplotError(f"{text} (limit {limit:,}{hint})", key_path=key_path)


def amount_text(amount: float) -> str:
    """An amount for a message, short however large: ``1,200``, ``about 2.5e+301``, ``inf``.

    >>> amount_text(1200), amount_text(25 * 10**300), amount_text(10**1000), amount_text(float("inf"))
    ('1,200', 'about 2.5e+301', 'about 1.0e+1000', 'inf')
    """
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        return str(amount)
    if isinstance(amount, float):
        if not math.isfinite(amount):
            return str(amount)
        return f"{amount:,.6g}" if abs(amount) < 1e15 else f"about {amount:.1e}"
    if abs(amount) < 10**15:
        return f"{amount:,}"
    if amount.bit_length() <= 1_000:  # within a float's range
        return f"about {float(amount):.1e}"
    shift = abs(amount).bit_length() - 53  # log10 from the top 53 bits: no huge str() or float()
    exponent = math.log10(abs(amount) >> shift) + shift * math.log10(2)
    whole = math.floor(exponent)
    return f"about {'-' if amount < 0 else ''}{10 ** (exponent - whole):.1f}e+{whole}"


def finite(value: Any) -> bool:
    """A number a float can hold finitely (``10**1000`` cannot: ``math.isfinite`` would overflow).

    >>> finite(3), finite(1e300), finite(10**1000), finite(float("nan")), finite(True)
    (True, True, False, False, False)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _got(value: Any) -> str:
    """A config value inside a message: a number short however large, anything else by repr."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return amount_text(value)
    return repr(value)


def in_range(
    value: Any, what: str, *, key_path: KeyPath | None = None, count: bool = True, where: str | None = None
) -> None:
    """The one check every numeric key of every reader passes: a finite number, and for a
    ``count`` (steps, epochs, sizes) at most ``MAX_COUNT``. ``what`` names the key as its file
    writes it (``training.steps``); anything but a number is left to the caller's own check."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if count and (isinstance(value, int) or finite(value)) and abs(value) > MAX_COUNT:
        raise LrplotError(
            f"{what} is {amount_text(value)}: no run is that long (limit {MAX_COUNT:,})",
            key_path=key_path,
            where=where,
        )
    if not finite(value):  # NaN, inf, and an integer no float holds (10**1000)
        message = f"{what} must be a finite number, got {_got(value)}"
        raise LrplotError(message, key_path=key_path, where=where)


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
