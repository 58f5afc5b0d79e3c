"""The torch-free path against ``import torch`` and the hand-written tutorial loop (issue 18).

Every case runs paired, A B A B ..., in fresh processes on this machine, and reports the
median wall time of each side, their ratio, and peak RSS. Targets:

- a typical ``lrplot plot`` (built-in schedulers, 100-10,000 steps, PNG) <= 0.5x ``python -c "import torch"``
- ``lrplot validate`` of a typical config <= 0.5x ``python -c "import torch"``
- 1,000,000 OneCycleLR steps (PNG) <= 0.3x the hand-written tutorial loop (torch + pyplot)
- 10,000,000 CosineAnnealingLR steps (PNG) <= 0.15x the loop, peak RSS <= 0.3x

Run by hand (never timed in tests); the machine may be shared, so use several rounds:

    .venv/bin/python benchmarks/bench_torch_free.py --rounds 7
    .venv/bin/python benchmarks/bench_torch_free.py --quick        # skip 10,000,000 steps
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from children import child_usage

ROOT = Path(__file__).resolve().parent.parent
# Children compile and cache their bytecode as an installed package does, even where the
# shell sets PYTHONDONTWRITEBYTECODE (this workplace does: every run would recompile lrplot).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

HAND_WRITTEN = """
import sys
import torch
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

steps, kind, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
if kind == "cosine":
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps // 10, eta_min=0.01)
else:
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=steps)
lrs = []
for _ in range(steps):
    lrs.append(optimizer.param_groups[0]["lr"])
    scheduler.step()
plt.plot(range(steps), lrs)
plt.savefig(out)
"""

CONFIGS = {
    "cosine": "total_step: {steps}\ncurves:\n"
    "  - optimizer: {{name: SGD, lr: 0.1, momentum: 0.9}}\n"
    "    scheduler: {{name: CosineAnnealingLR, T_max: {t_max}, eta_min: 0.01}}\n",
    "onecycle": "total_step: {steps}\ncurves:\n"
    "  - optimizer: {{name: SGD, lr: 0.1, momentum: 0.9}}\n"
    "    scheduler: {{name: OneCycleLR, max_lr: 1.0, total_steps: {steps}}}\n",
}
TYPICAL = [
    "configs/cosine_annealing.yaml",
    "configs/schedulers/one_cycle_lr.yaml",
    "configs/schedulers/step_lr.yaml",
    "configs/llm_warmup_cosine.yaml",  # SequentialLR warmup + cosine, 100,000 steps (beyond "typical")
]


def measure(args: list[str], cwd: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    used = child_usage(args, cwd, ENV)
    return used.wall, used.rss


def paired(a: list[str], b: list[str], rounds: int, cwd: str) -> tuple[float, float, float, float]:
    """Median seconds and max RSS of a and b, run alternately."""
    runs_a, runs_b = [], []
    measure(a, cwd), measure(b, cwd)  # warm-up: bytecode and font caches written, files in the page cache
    for _ in range(rounds):
        runs_a.append(measure(a, cwd))
        runs_b.append(measure(b, cwd))
    return (
        statistics.median(t for t, _ in runs_a),
        statistics.median(t for t, _ in runs_b),
        max(r for _, r in runs_a),
        max(r for _, r in runs_b),
    )


def report(name: str, ours: tuple[float, float], theirs: tuple[float, float], target: str) -> None:
    ratio = ours[0] / theirs[0]
    rss = ours[1] / theirs[1]
    print(
        f"{name:<44} lrplot {ours[0]:7.3f} s {ours[1]:7.0f} MiB | reference {theirs[0]:7.3f} s "
        f"{theirs[1]:7.0f} MiB | time {ratio:5.2f}x  rss {rss:4.2f}x  (target {target})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="skip the 10,000,000-step case")
    options = parser.parse_args()
    python = sys.executable
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cpus, {options.rounds} paired rounds, medians"
    )
    with tempfile.TemporaryDirectory() as folder:
        import_torch = [python, "-c", "import torch"]
        for config in TYPICAL:
            plot = [python, "-m", "lrplot", "plot", str(ROOT / config), "-o", "a.png"]
            ours_t, theirs_t, ours_r, theirs_r = paired(plot, import_torch, options.rounds, folder)
            report(f"plot {config}", (ours_t, ours_r), (theirs_t, theirs_r), "<= 0.5x import torch")
        for config in TYPICAL[:2]:
            check = [python, "-m", "lrplot", "validate", str(ROOT / config)]
            ours_t, theirs_t, ours_r, theirs_r = paired(check, import_torch, options.rounds, folder)
            report(f"validate {config}", (ours_t, ours_r), (theirs_t, theirs_r), "<= 0.5x import torch")
        script = Path(folder) / "hand_written.py"
        script.write_text(HAND_WRITTEN)
        cases = [("onecycle", 1_000_000, "<= 0.3x loop")]
        if not options.quick:
            cases.append(("cosine", 10_000_000, "<= 0.15x loop, rss <= 0.3x"))
        for kind, steps, target in cases:
            config_path = Path(folder) / f"{kind}.yaml"
            config_path.write_text(CONFIGS[kind].format(steps=steps, t_max=steps // 10))
            plot = [python, "-m", "lrplot", "plot", str(config_path), "-o", "b.png", "-q"]
            loop = [python, str(script), str(steps), kind, "hand.png"]
            rounds = max(1, options.rounds // 2) if steps >= 10_000_000 else options.rounds
            ours_t, theirs_t, ours_r, theirs_r = paired(plot, loop, rounds, folder)
            report(f"{steps:,} {kind} steps", (ours_t, ours_r), (theirs_t, theirs_r), target)


if __name__ == "__main__":
    main()
