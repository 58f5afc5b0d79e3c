"""The `lrplot init` starter and a 100-step literal config, plotted and validated, paired against
`python -c "import torch"` in the same run (issue 31's bar: starter plot <= 0.35x, validate
<= 0.2x; literal plot <= 0.3x, validate <= 0.15x).

    PYTHONPATH=. python benchmarks/bench_starter.py [--python PATH] [--rounds N]

Each command runs in a fresh interpreter, the rounds interleaved (torch, then each command),
and the median wall time of each is divided by torch's median. The load average is printed
beside the figures: on a shared machine they move with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LITERAL = """\
total_step: 100
curves:
  - scheduler: {name: CosineAnnealingLR, T_max: 100}
"""


def wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # children cache bytecode as an installed package does
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        lrplot = [args.python, "-m", "lrplot"]
        subprocess.run(
            [*lrplot, "init", "-o", str(work / "starter.yaml")], check=True, env=env, capture_output=True
        )
        (work / "literal.yaml").write_text(LITERAL)
        commands = {
            "import torch": [args.python, "-c", "import torch"],
            "starter plot": [*lrplot, "plot", str(work / "starter.yaml"), "-o", str(work / "s.png"), "-q"],
            "starter validate": [*lrplot, "validate", str(work / "starter.yaml"), "-q"],
            "literal plot": [*lrplot, "plot", str(work / "literal.yaml"), "-o", str(work / "l.png"), "-q"],
            "literal validate": [*lrplot, "validate", str(work / "literal.yaml"), "-q"],
        }
        for command in commands.values():  # warm the file cache
            wall(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                times[name].append(wall(command, env))
    reference = statistics.median(times["import torch"])
    load = os.getloadavg()[0]
    print(f"python {args.python}; load average {load:.2f}; {args.rounds} rounds")
    print(f"{'import torch':18} {reference:6.3f} s")
    for name in list(commands)[1:]:
        median = statistics.median(times[name])
        print(f"{name:18} {median:6.3f} s  {median / reference:5.2f}x import torch")


if __name__ == "__main__":
    main()
