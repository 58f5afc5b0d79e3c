"""One child process measured: wall seconds, CPU seconds and peak RSS, for every benchmark here.

Peak RSS is ``wait4``'s ``ru_maxrss`` of that child alone (not of the benchmark's other
children); the child's stdout is dropped, and its stderr's tail is said when it fails.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChildUsage:
    wall: float  # seconds
    cpu: float  # user + system seconds
    rss: float  # peak resident set, MiB


def child_usage(command: list[str], cwd: str | Path, env: dict[str, str] | None = None) -> ChildUsage:
    """Run ``command`` to its end; a failing child ends the benchmark with its error."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        error = child.stderr.read().decode(errors="replace")[-500:] if child.stderr else ""
        raise SystemExit(f"failed: {' '.join(command)}: {error}")
    return ChildUsage(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
