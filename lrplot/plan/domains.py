"""What the torch-free planner may accept: certainly-valid value domains and stand-in classes.

A domain accepts a value only where torch's constructor certainly accepts it too (and its
steps certainly run); tests/test_free.py checks this against torch under random values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from lrplot.limits import finite

REQUIRED = object()  # a keyword torch's signature has no default for


class FreeClass:
    """Stands in for a torch class in a torch-free plan (``SchedulerPlan.cls``)."""

    kind: str = ""


@functools.cache
def stand_in(kind: str) -> type:
    return type(kind, (FreeClass,), {"kind": kind, "__module__": __name__})


class FreeScheduler(FreeClass):
    """A constructed scheduler's state, as torch would hold it: the fast engine continues it."""

    def __init__(self, kind: str, **state: Any) -> None:
        from lrplot.plan import releases

        self.kind = kind
        self.semantics = releases.current()  # the torch release whose formulas it follows
        self.__dict__.update(state)


def number(value: Any) -> bool:
    """A number a float holds finitely (``10**1000`` is refused, not an OverflowError)."""
    return finite(value)


def integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def at_least(low: float) -> Callable[[Any], bool]:
    return lambda value: number(value) and value >= low


def int_at_least(low: int) -> Callable[[Any], bool]:
    return lambda value: integer(value) and value >= low


def between(
    low: float, high: float, *, open_low: bool = False, open_high: bool = False
) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not number(value):
            return False
        above = value > low if open_low else value >= low
        below = value < high if open_high else value <= high
        return above and below

    return check


def last_epoch(value: Any) -> bool:
    return integer(value) and value >= -1


def betas_pair(value: Any) -> bool:
    unit = between(0.0, 1.0, open_high=True)
    return isinstance(value, list) and len(value) == 2 and all(unit(v) for v in value)


def boolean(value: Any) -> bool:
    return isinstance(value, bool)
