"""CosineAnnealingLR stepped a block of steps at a time: torch's doubles, bit for bit.

torch's ``CosineAnnealingLR.get_lr`` (torch/optim/lr_scheduler.py, 2.8 to 2.15) computes each
step from the previous lr::

    (1 + math.cos(math.pi * e / T_max)) / (1 + math.cos(math.pi * (e - 1) / T_max))
        * (lr - eta_min) + eta_min

or ``lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2`` where ``(e - 1 - T_max) %
(2 * T_max) == 0`` (a restart). The factor depends on the epoch only, so a block's factors are
computed on float64 arrays with torch's operations in torch's order (``math.cos`` itself,
mapped over the block, each cosine once: the previous step's is this one's). What needs the
previous lr:

- ``eta_min == 0`` (torch's default): ``f * (lr - 0.0) + 0.0`` is ``f * lr`` for every double
  but a product of -0.0, which ``+ 0.0`` turns into +0.0 (``x - 0.0 == x`` always; factors are
  finite and >= 0 here). So a stretch between restarts is a running product, which
  ``np.multiply.accumulate`` computes left to right with one rounding a step (numpy documents
  ``r[k] = op(r[k-1], A[k])``; its loop is sequential where input and output overlap), then
  ``+ 0.0`` on the whole array: torch's doubles in C, ~40x faster than the Python loop.
- any other ``eta_min``: the rounding of ``lr - eta_min`` and ``... + eta_min`` at every step
  makes it no product; the update runs in a generator that numpy's ``fromiter`` drains into a
  float64 array (the fastest exact Python form measured: ~10% under the append loop and
  list it replaces, and no list of Python floats per block).

A block where a factor's denominator is 0 away from a restart (torch raises
ZeroDivisionError there), or a T_max that is no positive int, runs :func:`run_cosine_steps`,
which fails at that step as torch does.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from lrplot.errors import StepFailed

Tick = Callable[[int], None] | None


def run_cosine(
    s: Any, lr: float, epoch: int, trace: array, steps: int, tick: Tick, chunk: int
) -> tuple[float, int]:
    """Fill ``trace[0:steps]`` with a one-group CosineAnnealingLR continued from ``lr`` at
    ``epoch`` (its ``last_epoch``); returns the lr and epoch after the last recorded step."""
    lrs, epoch = run_cosine_groups(s, [lr], epoch, [trace], steps, tick, chunk)
    return lrs[0], epoch


def run_cosine_groups(
    s: Any, lrs: list[float], epoch: int, traces: list[array], steps: int, tick: Tick, chunk: int
) -> tuple[list[float], int]:
    """:func:`run_cosine` for every param group: the factors depend on the epoch only, so each
    block's are computed once and applied to each group's lr (torch computes the same
    expression for each group); a restart adds each group's own ``base_lr`` term."""
    t_max, eta_min = s.T_max, s.eta_min
    lrs = list(lrs)
    if not isinstance(t_max, int) or isinstance(t_max, bool) or t_max <= 0:
        after = epoch
        for group, trace in enumerate(traces):  # the progress ticks with the last group
            ticking = tick if group == len(traces) - 1 else None
            lrs[group], after = run_cosine_steps(s, lrs[group], epoch, trace, 0, steps, ticking, chunk, group)
        return lrs, after
    cosine = math.cos(math.pi / t_max)
    restarts = [(base_lr - eta_min) * (1 - cosine) / 2 for base_lr in s.base_lrs]
    product = _is_positive_zero(eta_min)
    values = [np.frombuffer(trace, dtype=np.float64) for trace in traces]  # views: written in place
    last = steps - 1
    for start in range(0, steps, chunk):
        stop = min(start + chunk, last)
        epoch = _block(s, lrs, epoch, traces, values, start, stop, restarts, product, chunk)
        if stop == last:
            for trace, lr in zip(traces, lrs, strict=True):
                trace[last] = lr
        if tick is not None:
            tick(min(start + chunk, steps) - start)
    return lrs, epoch


def _block(
    s: Any,
    lrs: list[float],
    epoch: int,
    traces: list[array],
    values: list[np.ndarray],
    start: int,
    stop: int,
    restarts: list[float],
    product: bool,
    chunk: int,
) -> int:
    """Steps ``start`` to ``stop`` (exclusive) of :func:`run_cosine_groups`, from ``lrs`` (updated
    in place) at ``epoch``; returns the epoch after them."""
    t_max, eta_min = s.T_max, s.eta_min
    period = 2 * t_max
    count = stop - start
    if count <= 0:
        return epoch
    ones = cosines_of(epoch, count, t_max) + 1  # 1 + cos(pi * e / T_max) for e = epoch .. epoch + count
    first_restart = epoch + 1 + (1 + t_max - (epoch + 1)) % period  # the first e >= epoch + 1
    positions = list(range(first_restart - epoch - 1, count, period))  # the restarts' block positions
    below = ones[:-1] == 0
    below[positions] = False
    if below.any():  # torch divides by zero in this block: step by step, failing where it does
        for group, trace in enumerate(traces):
            lrs[group], after = run_cosine_steps(s, lrs[group], epoch, trace, start, stop, None, chunk, group)
        return after
    with np.errstate(divide="ignore", invalid="ignore"):
        factors = ones[1:] / ones[:-1]
    for group, (lr, restart) in enumerate(zip(lrs, restarts, strict=True)):
        block = values[group][start:stop]
        done = 0
        for position in [*positions, count]:
            if position > done:
                stretch, out = factors[done:position], block[done:position]
                lr = _product(lr, stretch, out) if product else _affine(lr, stretch, eta_min, out)
            if position < count:
                block[position] = lr
                lr = lr + restart
            done = position + 1
        lrs[group] = lr
    return epoch + count


def _is_positive_zero(value: Any) -> bool:
    """``eta_min`` is 0 or +0.0 (-0.0 would turn a -0.0 lr into +0.0 before the product)."""
    return isinstance(value, (int, float)) and value == 0 and math.copysign(1.0, value) > 0


def _product(lr: float, factors: np.ndarray, out: np.ndarray) -> float:
    """``out[k]``: the lr before step k of ``lr = f * (lr - 0.0) + 0.0`` over ``factors``;
    returns the lr after the last."""
    count = len(factors)
    chain = np.empty(count + 1, dtype=np.float64)
    chain[0] = lr
    chain[1:] = factors
    np.multiply.accumulate(chain, out=chain)
    chain[1:] += 0.0  # -0.0 + 0.0 is +0.0, as torch's "+ eta_min" makes it; all else unchanged
    out[0] = lr
    out[1:] = chain[1:count]
    return float(chain[count])


def _affine(lr: float, factors: np.ndarray, eta_min: float, out: np.ndarray) -> float:
    """``out[k]``: the lr before step k of ``lr = f * (lr - eta_min) + eta_min`` (torch's
    operations in torch's order, one Python float operation each); returns the lr after the last."""
    count = len(factors)
    after = np.fromiter(_updates(lr, memoryview(factors), eta_min), dtype=np.float64, count=count)
    out[0] = lr
    out[1:] = after[: count - 1]
    return float(after[count - 1])  # the very double the last update made


def _updates(lr: float, factors: memoryview, eta_min: float) -> Iterator[float]:
    for factor in factors:
        lr = factor * (lr - eta_min) + eta_min
        yield lr


def cosines_of(first: int, count: int, t_max: int) -> np.ndarray:
    """``math.cos(math.pi * e / T_max)`` for e = first .. first + count, each as torch computes it
    (``math.pi * e`` then ``/ T_max``, one rounding each: e and T_max are exact as doubles)."""
    arguments = memoryview(math.pi * np.arange(first, first + count + 1, dtype=np.float64) / t_max)
    return np.fromiter(map(math.cos, arguments), dtype=np.float64, count=count + 1)


def run_cosine_steps(
    s: Any,
    lr: float,
    epoch: int,
    trace: array,
    first: int,
    end: int,
    tick: Tick,
    chunk: int,
    group: int = 0,
) -> tuple[float, int]:
    """CosineAnnealingLR step by step for param group ``group``, indices ``first`` to ``end``
    (the whole run's last index recorded too when ``end`` is ``len(trace)``).

    Same operations as ``_scalar_cosine_annealing_lr``; ``cos(pi * (epoch - 1) / t_max)`` is
    the previous step's ``cos(pi * epoch / t_max)`` (same integer, same double argument),
    so it is reused instead of computed twice.
    """
    t_max, eta_min, base_lr = s.T_max, s.eta_min, s.base_lrs[group]
    cos, pi = math.cos, math.pi
    period = 2 * t_max
    restart = (base_lr - eta_min) * (1 - cos(pi / t_max)) / 2
    cached_epoch, cached_cos = None, 0.0
    last = len(trace) - 1
    index = first
    try:
        for start in range(first, end, chunk):
            stop = min(start + chunk, last, end)
            for index in range(start, stop):
                trace[index] = lr
                epoch += 1
                if (epoch - 1 - t_max) % period == 0:
                    lr = lr + restart
                    continue
                current = cos(pi * epoch / t_max)
                previous = cached_cos if cached_epoch == epoch - 1 else cos(pi * (epoch - 1) / t_max)
                lr = (1 + current) / (1 + previous) * (lr - eta_min) + eta_min
                cached_epoch, cached_cos = epoch, current
            if stop == last:
                index = last
                trace[last] = lr
            if tick is not None:
                tick(min(start + chunk, end) - start)
    except Exception as exc:
        raise StepFailed(index, exc) from exc
    return lr, epoch
