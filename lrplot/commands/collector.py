"""The garbage collector's pace for a command line run (standard library only: imported first)."""

from __future__ import annotations

import gc

# mypy's main() raises the first threshold the same way, for the same reason.
COLLECTOR_THRESHOLDS = (200_000, 30, 30)


def quiet_collector() -> None:
    """Let the cyclic garbage collector wait for 200,000 new objects instead of 700.

    Start-up creates hundreds of thousands of long-lived objects (the classes, functions and
    schemas of numpy, pydantic, typer, matplotlib): with the default threshold the collector
    runs ~100 times during a ``validate`` and ~200 during a ``plot``, each pass walking objects
    that all survive, ~10% of the command's time (measured with ``gc.callbacks``). With this
    threshold a typical command runs no collection at all; a long ``watch`` or a large run
    still collects its cycles every 200,000 allocations, so memory stays bounded. The command
    line only (``main`` and ``python -m lrplot``): the Python API leaves the collector as the
    user's process has it.
    """
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
