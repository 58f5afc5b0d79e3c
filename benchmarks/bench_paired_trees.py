"""The same short commands from two checkouts, paired in one run: what a change cut.

    git archive main | tar -x -C /tmp/before       # or any other checkout
    python benchmarks/bench_paired_trees.py /tmp/before .                      # 11 rounds
    python benchmarks/bench_paired_trees.py /tmp/before . --python /path/to/venv/bin/python

Rows: the ``lrplot init`` starter and a 100-step literal CosineAnnealingLR config, validated
and plotted (PNG), each run from BEFORE and AFTER (``PYTHONPATH`` set to the checkout) in
fresh processes, the two alternating (A B, then B A, ...) with ``python -c "import torch"``
once a round. Printed per row: the median wall time and the median CPU time (user + system,
``wait4``) of each side, and the wall ratios against ``import torch``. On a shared machine
the wall times move with the load; CPU time moves much less, so a cut shows there first.
Both checkouts should sit on the same file system; children cache their bytecode. Never run
by the tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from children import child_usage

LITERAL = "total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 100}\n"
ROWS = {
    "literal validate": ["validate", "literal.yaml", "-q"],
    "literal plot": ["plot", "literal.yaml", "-o", "l.png", "-q"],
    "starter validate": ["validate", "starter.yaml", "-q"],
    "starter plot": ["plot", "starter.yaml", "-o", "s.png", "-q"],
}


def run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process."""
    used = child_usage(command, cwd, env)
    return used.wall, used.cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the checkout before the change")
    parser.add_argument("after", type=Path, help="the checkout after it")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--python", default=sys.executable, help="the interpreter (torch and lrplot's deps)")
    args = parser.parse_args()
    base = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    base["MPLBACKEND"] = "Agg"
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    envs = {name: {**base, "PYTHONPATH": str(tree)} for name, tree in trees.items()}
    lrplot = [args.python, "-m", "lrplot"]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "literal.yaml").write_text(LITERAL)
        subprocess.run([*lrplot, "init", "-o", "starter.yaml"], cwd=work, env=envs["after"], check=True)
        for name in trees:  # warm-up: bytecode, font cache, page cache
            for row in ROWS.values():
                run([*lrplot, *row], work, envs[name])
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        torch: list[float] = []
        load = os.getloadavg()[0]
        for index in range(args.rounds):
            torch.append(run([args.python, "-c", "import torch"], work, base)[0])
            for row, command in ROWS.items():
                for name in trees if index % 2 == 0 else list(trees)[::-1]:
                    times.setdefault((row, name), []).append(run([*lrplot, *command], work, envs[name]))
    reference = statistics.median(torch)
    print(f"{args.python}: import torch {reference:.3f} s, {args.rounds} rounds, load {load:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| case | before wall | after wall | before CPU | after CPU | CPU change | x import torch (wall) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in ROWS:
        (wall_b, cpu_b), (wall_a, cpu_a) = (
            tuple(statistics.median(x[i] for x in times[(row, name)]) for i in (0, 1)) for name in trees
        )
        print(f"| {row} | {wall_b:.3f} s | {wall_a:.3f} s | {cpu_b:.3f} s | {cpu_a:.3f} s | "
              f"{1e3 * (cpu_a - cpu_b):+.0f} ms ({100 * (cpu_a / cpu_b - 1):+.1f}%) | "
              f"{wall_b / reference:.3f}x -> {wall_a / reference:.3f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
