"""When ``--engine auto`` steps torch it says so in one line, naming why (issue 31); validate
and check stay as light as plot (no torch._dynamo, no leak lines at exit)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import lrplot
from lrplot.plan import choice
from tests.conftest import ROOT

UNCOVERED = """\
total_step: 60
curves:
  - label: cyc
    optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
    scheduler: {name: CyclicLR, base_lr: 0.01, max_lr: 0.1, step_size_up: 10, scale_fn: "1 / (x + 1)"}
  - label: cyc2
    optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
    scheduler: {name: CyclicLR, base_lr: 0.01, max_lr: 0.1, step_size_up: 10, scale_fn: "1 / (x + 2)"}
  - scheduler: {name: CosineAnnealingLR, T_max: 60}
"""

# RMSprop: the torch-free planner declines, the fast engine continues torch's objects.
TORCH_PLANNED = """\
total_step: 40
curves:
  - label: rms
    optimizer: {name: RMSprop, lr: 0.1}
    scheduler: {name: CosineAnnealingLR, T_max: 20}
"""


def test_a_missing_attribute_makes_auto_step_torch_and_say_which(monkeypatch) -> None:
    monkeypatch.setitem(choice.READS, "CosineAnnealingLR", ("T_max", "_not_in_this_torch"))
    config = lrplot.loads(TORCH_PLANNED)
    result = lrplot.simulate(config)
    assert result.curves[0].engine == "torch"
    assert result.fallback == (
        "lrplot steps torch for curve 'rms': the fast engine reads "
        "CosineAnnealingLR._not_in_this_torch, which this torch lacks"
    )
    real = lrplot.simulate(config, engine="torch")
    assert result.curves[0].groups[0].lr.tobytes() == real.curves[0].groups[0].lr.tobytes()
    assert real.fallback is None  # asked for: nothing to explain


def test_a_covered_torch_planned_curve_has_no_fallback_line() -> None:
    result = lrplot.simulate(lrplot.loads(TORCH_PLANNED))
    assert result.curves[0].engine == "fast" and result.fallback is None


def test_plot_and_validate_say_it_once_unless_quiet(tmp_path, cli) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(UNCOVERED)
    line = (
        f"lrplot: {config}: lrplot steps torch for curve 'cyc' (and 1 more curve): "
        "the fast engine does not cover CyclicLR with a scale_fn"
    )
    for command in (("plot", config, "-o", tmp_path / "c.csv"), ("validate", config)):
        result = cli(*command)
        assert result.exit_code == 0, result.stderr
        assert result.stderr.splitlines().count(line) == 1, result.stderr
        quiet = cli(*command, "-q")
        assert quiet.exit_code == 0 and "steps torch" not in quiet.stderr


_PROBE = (
    "import atexit, runpy, sys; "
    "atexit.register(lambda: print('dynamo imported' if 'torch._dynamo' in sys.modules else "
    "'dynamo not imported', file=sys.stderr)); "
    "sys.argv = ['lrplot', *sys.argv[1:]]; runpy.run_module('lrplot', run_name='__main__')"
)


def _lrplot(python: str, *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-c", _PROBE, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={
            "PYTHONPATH": str(ROOT),
            "MPLBACKEND": "Agg",
            "PATH": "/usr/bin:/bin",
            "HOME": _HOME,  # matplotlib's font cache (~/.cache/matplotlib) not in the checkout
            "LRPLOT_CACHE_DIR": _CACHE,  # lrplot's cache (torch's parsed sources) not in the checkout
        },
    )


_CACHE = tempfile.mkdtemp(prefix="lrplot-cache-")
_HOME = tempfile.mkdtemp(prefix="lrplot-home-")


_PYTHONS = [sys.executable, *(str(p) for p in sorted(Path("/work/torchvenvs").glob("2.15*/bin/python")))]


@pytest.mark.parametrize("python", _PYTHONS, ids=lambda p: "this torch" if p == sys.executable else p)
def test_validate_and_check_import_no_dynamo_and_leave_no_leak_lines(python: str, tmp_path) -> None:
    """torch._dynamo costs over a second; on torch 2.15 it prints nanobind leak lines at exit."""
    config = tmp_path / "c.yaml"
    config.write_text(UNCOVERED)  # torch steps it: the heaviest path validate and check take
    snapshot = tmp_path / "s.csv"
    runs = [
        _lrplot(python, "validate", config),
        _lrplot(python, "check", config, "--against", snapshot, "--update"),
        _lrplot(python, "check", config, "--against", snapshot),
        _lrplot(python, "plot", config, "-o", tmp_path / "c.png"),
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
        assert "dynamo not imported" in run.stderr, run.stderr[-2000:]
        assert "leaked" not in run.stderr


@pytest.mark.parametrize(
    "config",
    [
        "tests/fixtures/lint/foreign/fairseq/polynomial_decay_ok.yaml",
        "tests/fixtures/nemo/matchboxnet_3x1x64_v2.yaml",
    ],
)
def test_a_curve_its_ecosystems_own_code_draws_gets_no_fallback_line(
    cli, tmp_path: Path, config: str
) -> None:
    """fairseq's and NeMo's schedules are stepped as their libraries' code by design: auto did
    not fall back from anything, so no 'lrplot steps torch' line (it named an internal class)."""
    result = cli("plot", ROOT / config, "--dataset-size", "2000", "-o", tmp_path / "c.csv")
    assert result.exit_code == 0, result.output
    assert "steps torch" not in result.stderr
    assert lrplot.simulate(lrplot.load(ROOT / config, dataset_size=2000)).fallback is None
