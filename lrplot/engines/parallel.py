"""Simulating independent curves in parallel processes.

Curves share nothing, so long ones run one per core. Workers start from a forkserver that
has already imported torch (so each task skips the ~1-2 s import) and re-plan their curve
from the validated :class:`~lrplot.config.Curve`: compiled expressions are functions and
do not cross process boundaries, config data does. The values are bit-identical to a
serial run: the same torch code computes them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplot.errors import LrplotError

if TYPE_CHECKING:
    from lrplot.config import Config, Curve
    from lrplot.plan.plans import CurvePlan
    from lrplot.result import CurveResult


def _run_one(
    curve: Curve,
    decision: tuple[str, str | None, tuple[str, ...]],
    base_dir: Path,
    allowed: Sequence[str],
    skip_dynamo: bool,
    scope: Any = None,
    force: bool = False,
) -> tuple[Any, list[str]]:
    """One curve in a worker: planned again from its config data, run by the engine the
    parent's planner chose (``decision``: the engine, the line said about it, the records)."""
    from lrplot.engines.stepping import run_curve
    from lrplot.limits import lifting
    from lrplot.plan.classes import skip_dynamo_import
    from lrplot.plan.plans import plan_curve
    from lrplot.read.files import ReadScope, in_scope

    if skip_dynamo:
        skip_dynamo_import()
    with in_scope(scope or ReadScope()), lifting(force):  # as the parent process reads
        curve_plan = plan_curve(curve, base_dir=base_dir, allowed=allowed)
        curve_plan.engine, curve_plan.slow_reason, curve_plan.records = decision  # type: ignore[assignment]
        result, notes, _ = run_curve(curve_plan)
    return result, notes


def run_parallel(
    config: Config,
    allow_imports: Sequence[str],
    workers: int,
    progress: Callable[[int, int], None] | None,
    plans: Sequence[CurvePlan],
) -> list[tuple[CurveResult, list[str]]]:
    """Run every curve of ``config`` in up to ``workers`` processes, results in config order,
    each by the engine its plan (``plans``, one per curve) says."""
    from lrplot import torch_import
    from lrplot.limits import lifted
    from lrplot.plan.classes import allowed_imports, dynamo_import_skipped
    from lrplot.read.files import read_scope

    allowed = allowed_imports(allow_imports)
    scope, force = read_scope(), lifted()
    _stop_forkserver_at_exit()
    context = multiprocessing.get_context("forkserver")
    preload = ["torch", "lrplot.engines.stepping"]
    if torch_import.installed():  # the command line's: its workers' torch speaks as the command's
        preload.insert(0, "lrplot.engines.quiet_torch")
    context.set_forkserver_preload(preload)
    total = sum(curve.total_step for curve in config.curves)
    results: dict[int, tuple[CurveResult, list[str]]] = {}
    done = 0
    # Longest first, so the last curve to finish is a short one.
    order = sorted(range(len(config.curves)), key=lambda i: -config.curves[i].total_step)
    arguments = (config.base_dir, allowed, dynamo_import_skipped(), scope, force)
    decisions = [(p.engine, p.slow_reason, p.records) for p in plans]
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_ignore_interrupts)
    futures: dict[Any, int] = {}
    try:  # submitting starts the workers, so an interruption there is cleaned up too
        with _signals_deferred():  # submitting starts the workers: never interrupted half-way
            _start_forkserver()
            for i in order:
                futures[pool.submit(_run_one, config.curves[i], decisions[i], *arguments)] = i
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
        _end(pool, futures, interrupted=not isinstance(error, Exception))
        raise
    _end(pool, futures, interrupted=False)
    return [results[i] for i in range(len(config.curves))]


def _end(pool: ProcessPoolExecutor, futures: dict[Any, int], *, interrupted: bool) -> None:
    """Shut the pool down in order, however the run ends.

    Finished or failed (a curve's error): the curves not started are cancelled and the running
    ones waited for. Ctrl-C, SIGTERM or SIGHUP, also while waiting so: every process of the
    run is ended at once (:func:`stop_processes`), with further signals held off meanwhile,
    so the cleanup is never cut short and the pool's thread prints no traceback.
    """
    if not interrupted:
        for future in futures:
            future.cancel()
        try:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        except BaseException:  # a signal while waiting for the running curves
            with _signals_deferred(deliver=False):
                stop_processes(pool)
            raise
    with _signals_deferred(deliver=False):
        stop_processes(pool)


_STOP_REGISTERED: list[bool] = []


def _stop_forkserver_at_exit() -> None:
    """Stop the forkserver (which holds torch) when this process exits, and wait for it.

    Left alone it notices its parent is gone only later and outlives ``lrplot`` by a second
    or more, holding memory after the command has returned. It stays up while this process
    runs, so the next run (``--watch``, a notebook) starts its workers without importing
    torch again. atexit runs handlers last-registered first: this one before
    multiprocessing's own clean-up, registered when the module was imported.
    """
    if not _STOP_REGISTERED:
        import atexit

        atexit.register(stop_forkserver)
        _STOP_REGISTERED.append(True)


def stop_forkserver() -> None:
    """Ask the forkserver this process started to exit and reap it (nothing if none runs)."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    if getattr(server, "_forkserver_pid", None) is None:
        return
    with contextlib.suppress(Exception):  # an exit path: never a traceback of its own
        server._stop()  # type: ignore[union-attr]  # closes its "alive" pipe, then waitpid


def _start_forkserver() -> None:
    """Start the forkserver with Ctrl-C blocked, so its import of torch cannot be interrupted.

    It ignores SIGINT only once its preloads are imported; a terminal's Ctrl-C reaches every
    process of the job, and one that came while the forkserver was still importing torch (the
    first seconds of a run, longer on a busy machine) printed a KeyboardInterrupt traceback
    from it. The signal mask is inherited across fork and exec: the forkserver starts with
    SIGINT blocked and drops it when it sets SIGINT to ignored. lrplot's own SIGINT stays
    pending meanwhile (blocked, not ignored) and is delivered when the mask is restored.
    """
    from multiprocessing import forkserver

    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ignore_interrupts() -> None:
    """A worker leaves Ctrl-C to lrplot: a terminal sends SIGINT to every process of the job,
    and a worker waiting for its next curve would die with a KeyboardInterrupt traceback; the
    main process ends the workers itself (:func:`stop_processes`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _signals_deferred(deliver: bool = True) -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block ends, then deliver the first one
    (``deliver=False``: drop them, for the cleanup of a run a signal is already ending).

    Starting a worker is a conversation with the forkserver (which may still be importing
    torch); a signal in the middle of it leaves a half-started worker that fails with a
    traceback of its own, or a forkserver waiting for the rest of a request.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            number = getattr(signal, name)
            previous[number] = signal.signal(number, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        if pending and deliver:
            signal.raise_signal(pending[0])  # now handled as usual: KeyboardInterrupt, Terminated


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
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    server_pid = getattr(server, "_forkserver_pid", None)
    if server_pid:  # frozen first, so it forks no worker while they are being counted
        with contextlib.suppress(OSError):
            os.kill(server_pid, signal.SIGSTOP)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pids = {p.pid for p in processes if p.pid} | set(_children_of(server_pid))
    for pid in [*pids, *([server_pid] if server_pid else [])]:  # the forkserver too: it may be
        with contextlib.suppress(OSError):  # stuck on a request the parent never finished
            os.kill(pid, signal.SIGKILL)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=5)
    # The pool's own thread sees its workers gone and fails their futures (BrokenProcessPool);
    # it is waited for before the futures are cancelled: setting an exception on a future
    # cancelled meanwhile raises InvalidStateError in that thread, a traceback on stderr. A
    # worker killed while sending its curve leaves half a message in the results pipe, which
    # that thread would wait on forever (this process holds the pipe's other end): closed.
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        with contextlib.suppress(Exception):
            writer.close()
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        with contextlib.suppress(Exception):
            manager.join(timeout=5)
    pool.shutdown(wait=False, cancel_futures=True)
    queue = getattr(pool, "_call_queue", None)
    if queue is not None:  # its feeder thread must not hold this process up at exit
        with contextlib.suppress(Exception):
            queue.cancel_join_thread()
    stop = getattr(server, "_stop", None)
    if stop is not None:
        with contextlib.suppress(Exception):
            stop()
