"""The checks, by id: each module of :mod:`lrplot.lint.checks` registers its own."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lrplot.lint.context import CurveContext
from lrplot.lint.finding import Finding

Run = Callable[[CurveContext], Iterable[Finding]]

# One module per family of checks, imported on first use.
MODULES = (
    "cosine",
    "length",
    "zero",
    "jump",
    "cycles",
    "plateau",
    "lambdas",
    "bounds",
    "trainer",
    "reference",
    "period",
    "warmup",
)


@dataclass(frozen=True)
class Check:
    """A check: its stable id, what it looks for (one line) and the function that looks."""

    id: str
    title: str
    run: Run


_CHECKS: dict[str, Check] = {}


def check(check_id: str, title: str) -> Callable[[Run], Run]:
    """Register a check function under a stable id (``LR001``)."""

    def register(run: Run) -> Run:
        if check_id in _CHECKS and _CHECKS[check_id].run is not run:
            raise RuntimeError(f"two checks share the id {check_id}")
        _CHECKS[check_id] = Check(check_id, title, run)
        return run

    return register


def all_checks() -> dict[str, Check]:
    """Every check, in id order."""
    for name in MODULES:
        importlib.import_module(f"lrplot.lint.checks.{name}")
    return dict(sorted(_CHECKS.items()))
