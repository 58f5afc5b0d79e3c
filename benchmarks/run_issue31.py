"""Every figure issue 31 names, in one run, as one table (paired, fresh processes, this machine).

    PYTHONPATH=. nice python benchmarks/run_issue31.py                      # the current torch
    PYTHONPATH=. nice python benchmarks/run_issue31.py --python /work/torchvenvs/2.15.0/bin/python
    PYTHONPATH=. nice python benchmarks/run_issue31.py --quick              # without 10,000,000 steps

Each ``--python`` is measured in turn (the current interpreter when none is given), with this
checkout first on its path. Rows and their references, each ratio a median over rounds run
alternately (A B A B ..., one warm-up each, so a change of load hits both sides alike):

- the ``lrplot init`` starter plotted (PNG) and validated, and a 100-step literal
  CosineAnnealingLR config plotted and validated, against ``python -c "import torch"``;
- the literal config read, validated and computed (and drawn) by dependency_floor.py: not
  lrplot, so no target. Its validate is the least any command on typer, pydantic, pyyaml and
  numpy pays (what share of the short validate is lrplot's own); its plot is a plain
  matplotlib script without pyplot, which lrplot's plot runs below;
- 1,000,000 OneCycleLR steps plotted against the hand-written tutorial loop (import torch and
  pyplot, step, append ``param_groups[0]["lr"]``, ``plt.plot``, ``savefig``; the script of
  bench_torch_free.py);
- 10,000,000 CosineAnnealingLR steps against the same loop: wall time and peak RSS
  (``wait4``'s ``ru_maxrss`` of each process); as is (``-q``), without ``-q`` (the loop's
  ``T_max`` of a tenth of the run draws LR001, whose suggested fix is printed then, so lrplot
  verifies it by simulating all 10,000,000 steps again), and ``-q --ignore LR001``.

Children cache their bytecode as an installed package does (``PYTHONDONTWRITEBYTECODE`` is
dropped). The load average is printed: on a shared machine the ratios move with it (torch's
import is mostly disk and dynamic loading, lrplot's mostly CPU). Never run by the tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_torch_free import CONFIGS, HAND_WRITTEN
from children import child_usage

ROOT = Path(__file__).resolve().parent.parent
FLOOR = Path(__file__).resolve().parent / "dependency_floor.py"
FLOOR_VALIDATE = "floor: validate on lrplot's stack (not lrplot)"
FLOOR_PLOT = "floor: plot on lrplot's stack (not lrplot)"
LITERAL = "total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 100}\n"

# (row, reference, target time ratio, target RSS ratio or None)
SHORT = [
    ("starter plot", "import torch", 0.35, None),
    ("starter validate", "import torch", 0.2, None),
    ("100-step literal plot", "import torch", 0.3, None),
    ("100-step literal validate", "import torch", 0.15, None),
]


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["MPLBACKEND"] = "Agg"
    return env


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    used = child_usage(command, cwd, env)
    return used.wall, used.rss


def interleaved(commands: dict[str, list[str]], rounds: int, cwd: Path, env: dict[str, str]) -> dict:
    """Median seconds and the largest peak RSS of each command, the rounds run alternately."""
    for command in commands.values():  # warm-up: bytecode, font cache, page cache
        measure(command, cwd, env)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            runs[name].append(measure(command, cwd, env))
    return {
        name: (statistics.median(t for t, _ in done), max(r for _, r in done)) for name, done in runs.items()
    }


def torch_version(python: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True, env=env
    )
    return done.stdout.strip() or "?"


def run(python: str, rounds: int, long_rounds: int, quick: bool) -> list[tuple[str, ...]]:
    env = environment()
    version = torch_version(python, env)
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        lrplot = [python, "-m", "lrplot"]
        starter = [*lrplot, "init", "-o", "starter.yaml"]
        subprocess.run(starter, cwd=work, env=env, check=True, capture_output=True)
        (work / "literal.yaml").write_text(LITERAL)
        commands = {
            "import torch": [python, "-c", "import torch"],
            "starter plot": [*lrplot, "plot", "starter.yaml", "-o", "s.png", "-q"],
            "starter validate": [*lrplot, "validate", "starter.yaml", "-q"],
            "100-step literal plot": [*lrplot, "plot", "literal.yaml", "-o", "l.png", "-q"],
            "100-step literal validate": [*lrplot, "validate", "literal.yaml", "-q"],
            FLOOR_VALIDATE: [python, str(FLOOR), "validate", "literal.yaml"],
            FLOOR_PLOT: [python, str(FLOOR), "plot", "literal.yaml", "-o", "f.png"],
        }
        load = os.getloadavg()[0]
        short = interleaved(commands, rounds, work, env)
        reference = short["import torch"]
        for name, _, target, _ in SHORT:
            seconds, rss = short[name]
            rows.append(row(version, name, f"import torch {reference[0]:.2f} s", seconds, reference[0],
                            target, None, None, f"{load:.1f}"))  # fmt: skip
        for name in (FLOOR_VALIDATE, FLOOR_PLOT):  # not lrplot: what its rows stand on
            seconds, _ = short[name]
            rows.append(row(version, name, f"import torch {reference[0]:.2f} s", seconds, reference[0],
                            None, None, None, f"{load:.1f}"))  # fmt: skip
        (work / "hand.py").write_text(HAND_WRITTEN)
        cases = [("onecycle", 1_000_000, 0.1, None, ["-q"])]
        if not quick:
            cases.append(("cosine", 10_000_000, 0.08, 0.2, ["-q"]))
            # The loop's T_max (a tenth of the run) draws LR001. `-q` prints no finding, so its
            # suggested fix is not verified; printed (no -q), lrplot verifies it by simulating
            # the run again with it. --ignore LR001: the same figure without that check's work.
            cases.append(("cosine", 10_000_000, 0.08, 0.2, []))
            cases.append(("cosine", 10_000_000, 0.08, 0.2, ["-q", "--ignore", "LR001"]))
        for kind, steps, target, memory_target, extra in cases:
            (work / f"{kind}.yaml").write_text(CONFIGS[kind].format(steps=steps, t_max=steps // 10))
            load = os.getloadavg()[0]
            pair = {
                "lrplot": [*lrplot, "plot", f"{kind}.yaml", "-o", f"{kind}.png", *extra],
                "loop": [python, "hand.py", str(steps), kind, "hand.png"],
            }
            done = interleaved(pair, long_rounds, work, env)
            (seconds, rss), (loop_seconds, loop_rss) = done["lrplot"], done["loop"]
            name = f"{steps:,} {'OneCycleLR' if kind == 'onecycle' else 'CosineAnnealingLR'} steps"
            shown = [flag for flag in extra if flag != "-q"]
            if shown or not extra:
                name += f" ({' '.join(shown)})" if shown else " (no -q: the summary and verified fix printed)"
            rows.append(row(version, name, f"hand loop {loop_seconds:.2f} s", seconds, loop_seconds, target,
                            (rss, loop_rss), memory_target, f"{load:.1f}"))  # fmt: skip
    return rows


def row(
    version: str,
    name: str,
    reference: str,
    seconds: float,
    against: float,
    target: float | None,
    memory: tuple[float, float] | None,
    memory_target: float | None,
    load: str,
) -> tuple[str, ...]:
    ratio = seconds / against
    met = target is None or ratio <= target
    rss = "-"
    if memory is not None:
        rss = f"{memory[0]:.0f} / {memory[1]:.0f} MiB = {memory[0] / memory[1]:.2f}x"
        if memory_target is not None:
            rss += f" (<= {memory_target}x)"
            met = met and memory[0] / memory[1] <= memory_target
    bar = "-" if target is None else f"<= {target}x"
    verdict = "-" if target is None else "yes" if met else "NO"
    return (version, name, f"{seconds:.3f} s", reference, f"{ratio:.3f}x", bar, rss, verdict, load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="an interpreter with torch and lrplot's deps")
    parser.add_argument("--rounds", type=int, default=7, help="rounds of the short commands (default 7)")
    parser.add_argument("--long-rounds", type=int, default=3, help="rounds of the long runs (default 3)")
    parser.add_argument("--quick", action="store_true", help="skip the 10,000,000-step case")
    options = parser.parse_args()
    pythons = options.python or [sys.executable]
    when = time.strftime("%Y-%m-%d %H:%M")
    print(
        f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}, "
        f"{options.rounds} rounds (long runs {options.long_rounds}), medians, {when}"
    )
    header = ("torch", "case", "lrplot", "reference", "ratio", "target", "peak RSS", "met", "load")
    rows = []
    for python in pythons:
        rows += run(python, options.rounds, options.long_rounds, options.quick)
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for line in rows:
        print("| " + " | ".join(line) + " |", flush=True)


if __name__ == "__main__":
    main()
