"""lrplot against the hand-written tutorial script, end to end, in fresh processes.

The reference every user has: import torch and matplotlib.pyplot, step the scheduler in a
Python loop appending ``optimizer.param_groups[0]['lr']`` to a list, ``plt.plot``,
``savefig``. Runs the two A B A B ... for the same figure and prints median wall time,
peak RSS and the ratio lrplot / hand-written, then the recording overhead of lrplot's
torch engine over a bare ``scheduler.step()`` loop. Run by hand:

    .venv/bin/python benchmarks/bench_vs_script.py                  # all cases, 3 rounds
    .venv/bin/python benchmarks/bench_vs_script.py --quick          # skip 10,000,000 steps
    .venv/bin/python benchmarks/bench_vs_script.py --only 10000000 --rounds 1
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from children import child_usage

HAND_WRITTEN = """
import sys
import torch
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

steps, kind, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
if kind == "cosine":
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps // 10 or 1, eta_min=0.1)
else:
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: epoch % 40 / 100.)
lrs = []
for _ in range(steps):
    lrs.append(optimizer.param_groups[0]["lr"])
    scheduler.step()
plt.plot(range(steps), lrs)
plt.savefig(out)
"""

CONFIG = {
    "cosine": "total_step: {steps}\ncurves:\n"
    "  - scheduler: {{name: CosineAnnealingLR, T_max: {t_max}, eta_min: 0.1}}\n",
    "lambda": "total_step: {steps}\ncurves:\n"
    "  - scheduler: {{name: LambdaLR, lr_lambda: 'step % 40 / 100.'}}\n",
}


def measure(args: list[str], cwd: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    used = child_usage(args, cwd)
    return used.wall, used.rss


def case(kind: str, steps: int, rounds: int, folder: str, engine: str) -> tuple[float, float, float, float]:
    script = Path(folder) / "hand_written.py"
    script.write_text(HAND_WRITTEN)
    config = Path(folder) / f"{kind}_{steps}.yaml"
    config.write_text(CONFIG[kind].format(steps=steps, t_max=steps // 10 or 1))
    hand, ours = [], []
    for _ in range(rounds):
        hand.append(measure([sys.executable, str(script), str(steps), kind, "hand.png"], folder))
        ours.append(
            measure(
                [
                    sys.executable,
                    "-m",
                    "lrplot",
                    "plot",
                    str(config),
                    "-o",
                    "lrplot.png",
                    "-q",
                    "--engine",
                    engine,
                ],
                folder,
            )
        )
    return (
        statistics.median(t for t, _ in hand),
        statistics.median(t for t, _ in ours),
        max(r for _, r in hand),
        max(r for _, r in ours),
    )


def recording_overhead(steps: int = 300_000, rounds: int = 7) -> float:
    """lrplot's torch-engine run over a bare scheduler.step() loop, same process.

    Interleaved rounds, best of each (timing noise on a small machine is ~10%).
    """
    import warnings

    import torch

    import lrplot
    from lrplot.plan.classes import skip_dynamo_import

    skip_dynamo_import()
    warnings.simplefilter("ignore")
    bare_times, ours_times = [], []
    config = lrplot.loads(CONFIG["cosine"].format(steps=steps, t_max=steps // 10))
    for _ in range(rounds):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps // 10, eta_min=0.1)
        start = time.perf_counter()
        for _ in range(steps - 1):
            scheduler.step()
        bare_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        lrplot.simulate(config, engine="torch", workers=1)
        ours_times.append(time.perf_counter() - start)
    return min(ours_times) / min(bare_times)


def main() -> None:
    quick = "--quick" in sys.argv
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    cases = [("cosine", 100), ("cosine", 1_000_000), ("lambda", 1_000_000)]
    if not quick:
        cases.append(("cosine", 10_000_000))
    if "--only" in sys.argv:
        only = int(sys.argv[sys.argv.index("--only") + 1])
        cases = [c for c in cases if c[1] == only]
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"median of {rounds}"
    )
    print(
        "| figure | steps | engine | hand-written | lrplot | time ratio | hand RSS | lrplot RSS | RSS ratio |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for kind, steps in cases:
            for engine in ("torch", "auto"):
                hand, ours, hand_rss, ours_rss = case(kind, steps, rounds, folder, engine)
                name = "CosineAnnealingLR" if kind == "cosine" else "LambdaLR"
                print(
                    f"| {name} | {steps:,} | {engine} | {hand:.2f} s | {ours:.2f} s | {ours / hand:.2f} "
                    f"| {hand_rss:.0f} MiB | {ours_rss:.0f} MiB | {ours_rss / hand_rss:.2f} |",
                    flush=True,
                )
    if "--only" not in sys.argv:
        print(
            f"\nrecording overhead of the torch engine over a bare step() loop: {recording_overhead():.3f}x"
        )


if __name__ == "__main__":
    main()
