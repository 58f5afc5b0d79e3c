"""Numbers as the messages print them."""

from __future__ import annotations


def lr(value: float) -> str:
    """An lr, short: 3 significant digits.

    >>> lr(0.000299999), lr(1.0)
    ('0.0003', '1')
    """
    return f"{value:.3g}"


def steps(value: int) -> str:
    return f"{value:,}"


def share(part: float, whole: float) -> str:
    """``part`` as a percentage of ``whole``, never rounding a nonzero share to 0%.

    >>> share(1, 3), share(5, 5000), share(0, 10)
    ('33%', '0.1%', '0%')
    """
    if whole <= 0:
        return "0%"
    percent = 100 * part / whole
    if 0 < percent < 1:
        return f"{percent:.1g}%"
    return f"{percent:.0f}%"


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")
