"""Where a plot's peak memory goes: each phase's peak above what it started with (tracemalloc).

    PYTHONPATH=. nice python benchmarks/bench_memory.py CONFIG.yaml [lrplot plot options ...]

Runs ``lrplot plot CONFIG -o OUT.png [OPTIONS]`` in this process (add ``-q`` for the bar's
command; without it LR001's suggested fix is verified, a second simulation) with tracemalloc
on (numpy reports its arrays to it) and wraps the phases of a plot (simulate, lint's checks,
each fix's verification, the y-scale choice, drawing, writing): each prints its own peak
above the memory held when it began, nested phases indented, then the run's overall peak.
``ru_maxrss`` of the whole process (lrplot's imports included) is what
benchmarks/run_issue31.py measures; this says which phase sets it. Never run by the tests.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")

PHASES = [
    ("lrplot.engines", "simulate"),
    ("lrplot.lint", "lint"),
    ("lrplot.lint", "_run"),
    ("lrplot.lint.verify", "_works"),
    ("lrplot.render.layout", "choose_yscale"),
    ("lrplot.render.figure", "figure"),
    ("lrplot.render.figure", "reduce_for_drawing"),
    ("lrplot.render.figure", "save_figure"),
    ("lrplot.output", "write_outputs"),
]

MiB = 1 << 20
stack: list[int] = []  # the peak seen so far by each open phase (tracemalloc has one peak only)
highest = [0]  # the run's peak across every phase
lines: list[str] = []


def wrapped(name: str, function: Any) -> Any:
    @functools.wraps(function)
    def phase(*args: Any, **kwargs: Any) -> Any:
        current, peak = tracemalloc.get_traced_memory()
        if stack:
            stack[-1] = max(stack[-1], peak)
        stack.append(0)
        tracemalloc.reset_peak()
        index = len(lines)
        lines.append("")
        try:
            return function(*args, **kwargs)
        finally:
            _, inner = tracemalloc.get_traced_memory()
            inner = max(inner, stack.pop())
            highest[0] = max(highest[0], inner)
            depth = len(stack)
            lines[index] = (
                f"{'  ' * depth}{name}: +{(inner - current) / MiB:.1f} MiB (peak {inner / MiB:.1f})"
            )
            if stack:
                stack[-1] = max(stack[-1], inner)
            tracemalloc.reset_peak()

    return phase


def main() -> None:
    config, *options = sys.argv[1:]
    from lrplot.commands.app import command

    originals = {}
    for module_name, attribute in PHASES:
        module = importlib.import_module(module_name)
        function = getattr(module, attribute)
        originals[id(function)] = wrapped(f"{module_name}.{attribute}", function)
    for name, module in list(sys.modules.items()):  # every module that imported a phase by name
        if name.startswith("lrplot"):
            for attribute, value in list(vars(module).items()):
                if id(value) in originals:
                    setattr(module, attribute, originals[id(value)])

    with tempfile.TemporaryDirectory() as folder:
        tracemalloc.start()
        try:
            command().main(["plot", config, "-o", str(Path(folder) / "out.png"), *options], "lrplot")
        except SystemExit as done:
            if done.code:
                raise
        _, peak = tracemalloc.get_traced_memory()
        peak = max(peak, highest[0])
    print("\n".join(line for line in lines if line))
    print(f"after the imports, peak traced: {peak / MiB:.1f} MiB")


if __name__ == "__main__":
    main()
