"""What the Typer command line costs at start-up, and what lrplot's plain coercion saves.

Fresh processes, alternating, median of ROUNDS: `import torch` for scale, then `lrplot
--help`, `lrplot plot --help`, `lrplot init` and a typical plot, each twice: as shipped,
and with Typer's own value coercion (a pydantic TypeAdapter per parameter; the probe sets
``lrplot.commands.coercion.RuntimeParam = None`` so ``coerce_plainly`` changes nothing).
Run by hand:
    .venv/bin/python benchmarks/bench_typer.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 7
ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import sys, runpy\n"
    "if sys.argv[1] == 'typer-coercion':\n"
    "    import lrplot.commands.coercion as c; c.RuntimeParam = None\n"
    "sys.argv = ['lrplot', *sys.argv[2:]]\n"
    "try:\n    runpy.run_module('lrplot', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
)


def main() -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        config = str(ROOT / "configs" / "cosine_annealing.yaml")
        commands = {
            "lrplot --help": ["--help"],
            "lrplot plot --help": ["plot", "--help"],
            "lrplot init --force": ["init", "--force", "-o", os.path.join(folder, "x.yaml")],
            "lrplot plot cosine_annealing.yaml": ["plot", config, "-o", os.path.join(folder, "a.png"), "-q"],
        }
        runs: dict[str, list[float]] = {}
        for _ in range(ROUNDS):
            pairs = [("import torch", [python, "-c", "import torch"])]
            for name, arguments in commands.items():
                pairs.append((name, [python, "-c", PROBE, "plain", *arguments]))
                typer_own = [python, "-c", PROBE, "typer-coercion", *arguments]
                pairs.append((f"{name} (Typer's coercion)", typer_own))
            for name, arguments in pairs:
                start = time.perf_counter()
                subprocess.run(arguments, capture_output=True, cwd=folder, check=False)
                runs.setdefault(name, []).append(time.perf_counter() - start)
    torch = statistics.median(runs["import torch"])
    print(f"median of {ROUNDS} fresh processes, alternating; ratio to import torch")
    for name, times in runs.items():
        seconds = statistics.median(times)
        print(f"{name:48} {seconds * 1000:7.0f} ms  {seconds / torch:5.2f}x")


if __name__ == "__main__":
    main()
