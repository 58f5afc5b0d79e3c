"""Simulating independent curves in parallel processes.

Curves share nothing, so long ones run one per core. Workers start from a forkserver that
has already imported torch (so each task skips the ~1-2 s import) and re-plan their curve
from the validated :class:`~lrplot.config.Curve`: compiled expressions are functions and
do not cross process boundaries, config data does. The values are bit-identical to a
serial run: the same torch code computes them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplot.errors import LrplotError

if TYPE_CHECKING:
    from lrplot.config import Config, Curve
    from lrplot.result import CurveResult


def _run_one(
    curve: Curve,
    base_dir: Path,
    allowed: Sequence[str],
    skip_dynamo: bool,
    engine: str,
    scope: Any = None,
    force: bool = False,
) -> tuple[Any, list[str]]:
    from lrplot.engines.stepping import run_curve
    from lrplot.limits import lifting
    from lrplot.plan.classes import skip_dynamo_import
    from lrplot.plan.plans import plan_curve
    from lrplot.read.files import ReadScope, in_scope

    if skip_dynamo:
        skip_dynamo_import()
    with in_scope(scope or ReadScope()), lifting(force):  # as the parent process reads
        result, notes, _ = run_curve(plan_curve(curve, base_dir=base_dir, allowed=allowed), engine=engine)
    return result, notes


def run_parallel(
    config: Config,
    allow_imports: Sequence[str],
    workers: int,
    progress: Callable[[int, int], None] | None,
    engine: str = "auto",
) -> list[tuple[CurveResult, list[str]]]:
    """Run every curve of ``config`` in up to ``workers`` processes, results in config order."""
    from lrplot.limits import lifted
    from lrplot.plan.classes import allowed_imports, dynamo_import_skipped
    from lrplot.read.files import read_scope

    allowed = allowed_imports(allow_imports)
    scope, force = read_scope(), lifted()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "lrplot.engines.stepping"])
    total = sum(curve.total_step for curve in config.curves)
    results: dict[int, tuple[CurveResult, list[str]]] = {}
    done = 0
    # Longest first, so the last curve to finish is a short one.
    order = sorted(range(len(config.curves)), key=lambda i: -config.curves[i].total_step)
    arguments = (allowed, dynamo_import_skipped(), engine, scope, force)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: dict[Any, int] = {}
        try:  # submitting starts the workers, so an interruption there is cleaned up too
            for i in order:
                futures[pool.submit(_run_one, config.curves[i], config.base_dir, *arguments)] = i
            for future in as_completed(futures):
                index = futures[future]
                try:
                    results[index] = future.result()
                except LrplotError as error:
                    raise config.locate(error) from None
                done += config.curves[index].total_step
                if progress is not None:
                    progress(done, total)
        except BaseException as error:
            for future in futures:
                future.cancel()
            if not isinstance(error, Exception):  # Ctrl-C, SIGTERM, SIGHUP: leave no process behind
                stop_processes(pool)
            raise
    return [results[i] for i in range(len(config.curves))]


def _children_of(parent: int | None) -> list[int]:
    """Processes whose parent is ``parent`` (Linux /proc; elsewhere none are found)."""
    if not parent:
        return []
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(parent):
            found.append(int(entry.parent.name))
    return found


def stop_processes(pool: ProcessPoolExecutor) -> None:
    """End the pool's workers now (not after their curves), then the forkserver this run
    started, so an interrupted run leaves no process behind. (The resource tracker exits by
    itself when this process does, once every process holding its pipe is gone; stopping it
    earlier would make it warn about the pool's semaphores, still in use here.)

    Workers are killed before the pool is shut down: shutting down releases the queues'
    semaphores, and a worker still starting would fail (with a traceback) to open them. Every
    child of the forkserver is a worker of this run, including one the pool had not recorded
    yet because the signal came while it was being started.
    """
    import contextlib
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pids = {p.pid for p in processes if p.pid} | set(_children_of(getattr(server, "_forkserver_pid", None)))
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=5)
    pool.shutdown(wait=False, cancel_futures=True)
    server_pid = getattr(server, "_forkserver_pid", None)
    if server_pid:  # it may be stuck reading a request the interrupted parent never finished
        with contextlib.suppress(OSError):
            os.kill(server_pid, signal.SIGKILL)
    stop = getattr(server, "_stop", None)
    if stop is not None:
        with contextlib.suppress(Exception):
            stop()
