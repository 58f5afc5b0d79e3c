"""``lrplot plot --watch`` with real file changes, in a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ROOT, interruptible_child

GOOD = "total_step: 20\ncurves:\n  - {label: c, scheduler: {name: CosineAnnealingLR, T_max: %d}}\n"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_watch_replots_on_save_survives_a_broken_config_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(GOOD % 10)
    output = tmp_path / "out.csv"
    log = (tmp_path / "stderr.txt").open("w")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "lrplot", "plot", str(config), "-o", str(output), "--watch", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=env,
        cwd=tmp_path,
        preexec_fn=interruptible_child,
    )
    stderr = tmp_path / "stderr.txt"
    try:
        wait_for(lambda: "watching" in stderr.read_text(), "the first plot")
        first = output.read_text()
        config.write_text(GOOD % 15)
        wait_for(lambda: output.read_text() != first, "a re-plot after saving the config")
        second = output.read_text()
        config.write_text(
            "total_step: 20\ncurves:\n  - {label: c, scheduler: {name: CosineAnnealingLR, T_mx: 3}}\n"
        )
        wait_for(lambda: "no keyword 'T_mx'" in stderr.read_text(), "the broken config's error")
        assert process.poll() is None, "a broken config must not end --watch"
        assert output.read_text() == second, "a broken config must leave the output as it was"
        config.write_text(GOOD % 7)
        wait_for(lambda: output.read_text() not in (first, second), "recovery after the fix")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        log.close()
    text = stderr.read_text()
    assert process.returncode == 0, text
    assert "lrplot: stopped watching" in text
    assert "Traceback" not in text
