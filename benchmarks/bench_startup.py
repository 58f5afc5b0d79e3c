"""Start-up cost of the commands users type often, which must not import torch or matplotlib.

Prints median wall time of `lrplot --help`, `list`, `list NAME`, `schema` and `init` in a
fresh process, next to `python -c "import torch"` and `import matplotlib.pyplot` for scale,
and which heavy modules each command imported. Run by hand:
    .venv/bin/python benchmarks/bench_startup.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = 5
PROBE = (
    "import sys, runpy\n"
    "sys.argv = ['lrplot', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('lrplot', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "heavy = [m for m in ('torch', 'matplotlib', 'numpy') if m in sys.modules]\n"
    "print('heavy modules:', heavy or 'none', file=sys.stderr)\n"
)


def timed(args: list[str], cwd: str) -> tuple[float, str]:
    times, last = [], ""
    for _ in range(ROUNDS):
        start = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, cwd=cwd)
        times.append(time.perf_counter() - start)
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return statistics.median(times), last


def main() -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        rows = [
            ("python -c pass", [python, "-c", "pass"]),
            ("import torch", [python, "-c", "import torch"]),
            ("import matplotlib.pyplot", [python, "-c", "import matplotlib.pyplot"]),
            ("lrplot --help", [python, "-c", PROBE, "--help"]),
            ("lrplot list", [python, "-c", PROBE, "list"]),
            ("lrplot list OneCycleLR", [python, "-c", PROBE, "list", "OneCycleLR"]),
            ("lrplot schema", [python, "-c", PROBE, "schema"]),
            (
                "lrplot init --force",
                [python, "-c", PROBE, "init", "--force", "-o", os.path.join(folder, "x.yaml")],
            ),
        ]
        print(f"median of {ROUNDS} fresh processes")
        for name, args in rows:
            seconds, note = timed(args, folder)
            note = note if note.startswith("heavy") else ""
            print(f"{name:26} {seconds * 1000:7.0f} ms  {note}")


if __name__ == "__main__":
    main()
