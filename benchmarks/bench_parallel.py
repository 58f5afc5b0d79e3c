"""A sweep of long curves, serial vs parallel processes.

Goal (issue: compare schedules quickly): a sweep of 8 curves of 1,000,000 steps takes
clearly less than 8 times one curve on 2 cores. Prints wall times and ratios, and checks
the parallel values equal the serial ones bit for bit. Uses the torch engine, whose cost
per step is what makes processes worth starting (the fast engine is ~10x cheaper).
Run by hand:  .venv/bin/python benchmarks/bench_parallel.py [steps] [curves]
"""

from __future__ import annotations

import os
import sys
import time

import lrplot
from lrplot.plan.classes import skip_dynamo_import


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    skip_dynamo_import()
    values = ", ".join(str(0.05 * i) for i in range(count))
    config = lrplot.loads(
        f"total_step: {steps}\ncurves:\n  - scheduler: {{name: CosineAnnealingLR, T_max: 50000}}\n"
        f"    sweep: {{scheduler.eta_min: [{values}]}}\n"
    )
    one = lrplot.loads(
        f"total_step: {steps}\ncurves:\n  - scheduler: {{name: CosineAnnealingLR, T_max: 50000}}\n"
    )
    start = time.perf_counter()
    lrplot.simulate(one, workers=1, engine="torch")
    single = time.perf_counter() - start
    start = time.perf_counter()
    serial = lrplot.simulate(config, workers=1, engine="torch")
    serial_time = time.perf_counter() - start
    start = time.perf_counter()
    parallel = lrplot.simulate(config, engine="torch")  # automatic: one process per long curve
    parallel_time = time.perf_counter() - start
    same = all(
        a.groups[0].lr.tobytes() == b.groups[0].lr.tobytes()
        for a, b in zip(serial.curves, parallel.curves, strict=True)
    )
    cores = len(os.sched_getaffinity(0))
    print(f"{count} curves x {steps:,} steps, {cores} cores")
    print(f"one curve          {single:7.2f} s")
    print(f"serial sweep       {serial_time:7.2f} s  ({serial_time / single:4.2f} x one curve)")
    print(f"parallel sweep     {parallel_time:7.2f} s  ({parallel_time / single:4.2f} x one curve)")
    print(f"parallel / serial  {parallel_time / serial_time:7.2f}")
    print(f"bit-identical      {same}")


if __name__ == "__main__":
    main()
