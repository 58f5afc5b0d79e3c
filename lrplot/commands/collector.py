"""A command line run's process settings: the garbage collector's pace and numpy's BLAS
threads (standard library only: imported first)."""

from __future__ import annotations

import gc
import os

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


def one_blas_thread() -> None:
    """numpy's OpenBLAS starts no worker threads in the command's process, unless the user chose.

    OpenBLAS (numpy's wheels) starts one worker thread per core when numpy is imported, each
    with its own buffer; lrplot's numpy work is elementwise (no matrix products), so they never
    run, yet starting them costs ~20 ms of CPU and more wall time on a busy machine (measured
    paired in fresh processes; ``benchmarks/bench_paired_trees.py``). OpenBLAS reads the variable
    once, when numpy loads it, so this must run before numpy is imported: the entry point
    calls it first. A value the user set is kept. Values are unchanged: BLAS threads never
    touch elementwise arithmetic (the figures are the same bytes, ``tests/test_startup.py``).
    The command line only; the Python API leaves the process as the user has it.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
