"""LambdaLR with an lrplot expression vs the same curve with a native Python lambda.

Goal (issue: lrplot plot): a 1,000,000-step LambdaLR curve from an expression takes at most
1.5x the hand-written loop with a native lambda. Runs A B A B ... in one process and prints
medians and the ratio. Run by hand:  .venv/bin/python benchmarks/bench_expressions.py [steps]
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import torch

import lrplot
from lrplot.expressions import compile_expression

EXPRESSIONS = {
    "step % 40 / 100.": lambda step: step % 40 / 100.0,
    "max(0, 1 - step / 100)": lambda step: max(0, 1 - step / 100),
    "0.5 ** (step // 20)": lambda step: 0.5 ** (step // 20),
}


def hand_written(native, steps: int) -> list[float]:
    """The tutorial loop: list of floats, scheduler.step() each iteration."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, native)
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    return lrs


def with_lrplot(source: str, steps: int) -> object:
    config = lrplot.loads(
        f"total_step: {steps}\ncurves:\n  - scheduler: {{name: LambdaLR, lr_lambda: '{source}'}}\n"
    )
    return lrplot.simulate(config)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = 3
    warnings.simplefilter("ignore")
    print(f"torch {torch.__version__}, {steps:,} steps, {rounds} rounds (A B A B ...), median seconds")
    print(f"{'expression':28} {'native':>8} {'lrplot':>8} {'ratio':>6}")
    for source, native in EXPRESSIONS.items():
        hand_times, lrplot_times = [], []
        for _ in range(rounds):
            hand_times.append(timed(hand_written, native, steps))
            lrplot_times.append(timed(with_lrplot, source, steps))
        hand, ours = statistics.median(hand_times), statistics.median(lrplot_times)
        print(f"{source:28} {hand:8.3f} {ours:8.3f} {ours / hand:6.2f}")
    # The expression call alone, against the native lambda call alone.
    calls = 2_000_000
    print(f"\nexpression call alone, {calls:,} calls, ns per call")
    for source, native in EXPRESSIONS.items():
        compiled = compile_expression(source, ("step",)).function
        t_native = timed(lambda f=native: [f(i) for i in range(calls)]) / calls * 1e9
        t_ours = timed(lambda f=compiled: [f(i) for i in range(calls)]) / calls * 1e9
        print(f"{source:28} native {t_native:6.1f}  lrplot {t_ours:6.1f}  ratio {t_ours / t_native:5.2f}")


if __name__ == "__main__":
    main()
