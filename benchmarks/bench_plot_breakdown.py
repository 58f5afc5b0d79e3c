"""Where a typical ``lrplot plot`` spends its time (issue 18): imports by package, and phases.

Three views, each from fresh processes on this machine, medians (imports: minimum) of
``--rounds``:

1. wall time of ``lrplot plot CONFIG -o a.png`` next to ``python -c "import torch"`` and a
   hand-written matplotlib script drawing the same kind of figure (the floor lrplot's
   drawing sits on);
2. import time by top-level package (``python -X importtime``, self times summed), so a
   new dependency on the path shows up at once;
3. the phases inside the run (start-up and option parsing, load/plan/simulate/lint,
   building the figure, drawing and saving it).

Run by hand (never timed in tests):

    .venv/bin/python benchmarks/bench_plot_breakdown.py [--rounds 7] [CONFIG]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Children cache their bytecode as an installed package does (PYTHONDONTWRITEBYTECODE off).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

MATPLOTLIB_SCRIPT = """
import math
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
xs = range(100)
for e in (0.2, 0.5, 0.3, 0.4):
    plt.step(xs, [e + (1 - e) * (1 + math.cos(math.pi * i / 40)) / 2 for i in xs], label=str(e))
plt.legend(); plt.title("t"); plt.xlabel("step"); plt.ylabel("lr")
plt.savefig("b.png")
"""

PHASES = """
import sys, time
start = time.perf_counter()
marks = {}
import lrplot.commands.plot as plot
import lrplot.output as output
import lrplot.render.figure as figure
import lrplot.render.startup as startup

def timed(module, name):
    function = getattr(module, name)
    def wrapper(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            marks.setdefault(name, (begun - start, time.perf_counter() - begun))
    setattr(module, name, wrapper)

for module, name in (
    (plot, "run_plot"), (output, "write_outputs"), (figure, "figure"), (figure, "save_figure"),
    (startup, "import_matplotlib_quickly"),
):
    timed(module, name)
from lrplot.commands.app import main
sys.argv = ["lrplot", "plot", sys.argv[1], "-o", "a.png", "-q"]
try:
    main()
except SystemExit:
    pass
end = time.perf_counter() - start
run_start, run_took = marks["run_plot"]
write_start, _ = marks["write_outputs"]
_, figure_took = marks["figure"]
_, save_took = marks["save_figure"]
_, matplotlib_took = marks["import_matplotlib_quickly"]
work = write_start - run_start - matplotlib_took
print(f"{run_start:.4f} {work:.4f} {matplotlib_took:.4f} {figure_took:.4f} {save_took:.4f} {end:.4f}")
"""


def wall(args: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def import_times(args: list[str], cwd: str) -> dict[str, float]:
    """Self import time (ms) of each module, from ``-X importtime``."""
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=True)
    times = {}
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if found:
            times[found.group(2)] = int(found.group(1)) / 1000
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default=str(ROOT / "configs/cosine_annealing.yaml"))
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()
    python = sys.executable
    options.config = str(Path(options.config).resolve())
    plot = [python, "-m", "lrplot", "plot", options.config, "-o", "a.png"]
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "script.py").write_text(MATPLOTLIB_SCRIPT)
        wall(plot, folder)  # warm-up: bytecode and font caches written
        runs: dict[str, list[float]] = collections.defaultdict(list)
        for _ in range(options.rounds):  # interleaved, so load changes hit every side alike
            runs["lrplot plot"].append(wall(plot, folder))
            runs["import torch"].append(wall([python, "-c", "import torch"], folder))
            runs["matplotlib script"].append(wall([python, "script.py"], folder))
        torch_time = statistics.median(runs["import torch"])
        print(f"1. wall time, median of {options.rounds} (x import torch):")
        for name, times in runs.items():
            median = statistics.median(times)
            print(f"   {name:<20} {median:6.3f} s  {median / torch_time:5.2f}x")

        best: dict[str, float] = {}
        for _ in range(options.rounds):
            for module, ms in import_times([python, "-X", "importtime", *plot[1:]], folder).items():
                best[module] = min(ms, best.get(module, ms))
        packages: collections.Counter[str] = collections.Counter()
        for module, ms in best.items():
            top = module.split(".")[0]
            packages[".".join(module.split(".")[:2]) if top == "lrplot" else top] += ms
        total = sum(best.values())
        print(f"2. import time by package (ms, minimum of {options.rounds}; total {total:.0f} ms):")
        for name, ms in packages.most_common(20):
            print(f"   {ms:7.1f}  {name}")

        phases = []
        for _ in range(options.rounds):
            done = subprocess.run(
                [python, "-c", PHASES, options.config], cwd=folder, env=ENV, capture_output=True, text=True
            )
            phases.append([float(x) for x in done.stdout.splitlines()[-1].split()])
        names = ["start-up and options", "load, plan, simulate, lint", "import matplotlib"]
        names += ["build the figure", "draw and save", "total"]
        print(f"3. phases in the process (s, median of {options.rounds}; after the interpreter's start):")
        for index, name in enumerate(names):
            print(f"   {name:<28} {statistics.median(p[index] for p in phases):6.3f}")


if __name__ == "__main__":
    main()
