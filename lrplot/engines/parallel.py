"""Simulating independent curves in parallel processes.

Curves share nothing, so long ones run one per core. Workers start from a forkserver that
has already imported torch (so each task skips the ~1-2 s import) and re-plan their curve
from the validated :class:`~lrplot.config.Curve`: compiled expressions are functions and
do not cross process boundaries, config data does. The values are bit-identical to a
serial run: the same torch code computes them.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplot.errors import LrplotError

if TYPE_CHECKING:
    from lrplot.config import Config, Curve
    from lrplot.result import CurveResult


def _run_one(
    curve: Curve, base_dir: Path, allowed: Sequence[str], skip_dynamo: bool, engine: str
) -> tuple[Any, list[str]]:
    from lrplot.engines.stepping import run_curve
    from lrplot.plan.classes import skip_dynamo_import
    from lrplot.plan.plans import plan_curve

    if skip_dynamo:
        skip_dynamo_import()
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
    from lrplot.plan.classes import allowed_imports, dynamo_import_skipped

    allowed = allowed_imports(allow_imports)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "lrplot.engines.stepping"])
    total = sum(curve.total_step for curve in config.curves)
    results: dict[int, tuple[CurveResult, list[str]]] = {}
    done = 0
    # Longest first, so the last curve to finish is a short one.
    order = sorted(range(len(config.curves)), key=lambda i: -config.curves[i].total_step)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {
            pool.submit(
                _run_one, config.curves[i], config.base_dir, allowed, dynamo_import_skipped(), engine
            ): i
            for i in order
        }
        try:
            for future in as_completed(futures):
                index = futures[future]
                try:
                    results[index] = future.result()
                except LrplotError as error:
                    raise config.locate(error) from None
                done += config.curves[index].total_step
                if progress is not None:
                    progress(done, total)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return [results[i] for i in range(len(config.curves))]
