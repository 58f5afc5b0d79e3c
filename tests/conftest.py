"""Shared helpers: run the CLI in-process, load YAML snippets, compare bit for bit."""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from lrplot.commands.app import app
from tests.refusals import SECRET

FIXTURES = Path(__file__).parent / "fixtures"
# The fuzzers' settings (tests/test_fuzz.py, test_fuzz_readers.py): LRPLOT_FUZZ_EXAMPLES=2000 for a long run.
EXAMPLES = int(os.environ.get("LRPLOT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    derandomize=os.environ.get("LRPLOT_FUZZ_EXAMPLES") is None,  # the default run is repeatable
)
# Python training configs are test data, read by lrplot as data: never import them.
collect_ignore_glob = ["fixtures/*"]  # real configs and test data, never collected or imported
ROOT = Path(__file__).parent.parent


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a dedented YAML snippet to tmp_path/name and return its path."""

    def write(text: str, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return write


def cli_runner() -> CliRunner:
    """Typer's test runner, whose results have ``stdout`` and ``stderr`` apart."""
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # a Typer on click < 8.2
    return CliRunner()


@pytest.fixture
def cli():
    """Invoke ``lrplot`` in-process; returns the runner's Result (exit_code, stdout, stderr)."""
    runner = cli_runner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return invoke


def same_bits(ours: np.ndarray, theirs: list[float]) -> bool:
    """Bit-for-bit equality (so 0.0 vs -0.0 and NaN payloads count)."""
    return ours.tobytes() == np.asarray(theirs, dtype=np.float64).tobytes()


def interruptible_child() -> None:
    """``preexec_fn`` for a child the test will interrupt: Ctrl-C (SIGINT) at its default.

    A shell starts background jobs with SIGINT ignored (``(pytest &)``, nohup), children
    inherit that, and Python then installs no KeyboardInterrupt handler: a test sending
    SIGINT would test the shell, not lrplot. A real terminal's lrplot has it at its default.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


_ROOT_TOOLING = {".pytest_cache", ".hypothesis", ".ruff_cache", ".coverage", "__pycache__"}


@pytest.fixture(autouse=True)
def _nothing_left_in_the_checkout():
    """A test writes into tmp_path only: an output left in the repository's root (a CLI run
    with a relative ``-o`` and no ``chdir``) would be picked up by the next ``git add -A``."""
    before = set(os.listdir(ROOT))
    yield
    added = sorted(set(os.listdir(ROOT)) - before - _ROOT_TOOLING)
    if added:
        for name in added:  # leave the next test a clean root, and say which test wrote what
            path = ROOT / name
            if path.is_file():
                path.unlink()
        pytest.fail(f"the test left {added} in the repository root", pytrace=False)


@pytest.fixture(autouse=True)
def _no_resolved_values_carried_over():
    """Values an earlier test resolved (``${oc.env:...}``) are named in its messages only: a
    CLI run is a process of its own, and so, here, is each test."""
    yield
    from lrplot.safe_text import forget_resolved

    forget_resolved()


@pytest.fixture
def run(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch):
    """Write files into tmp_path, run lrplot there (in-process) with a secret in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LRPLOT_TEST_SECRET", SECRET)

    def invoke(files: dict[str, str | bytes], *args: str):
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return cli(*args)

    return invoke


# A real ``lrplot`` process that says at exit whether torch was imported (for the torch-free paths).
_NOTING_TORCH = (
    "import atexit, runpy, sys; "
    "atexit.register(lambda: print('torch imported' if 'torch' in sys.modules else 'torch not imported', "
    "file=sys.stderr)); "
    "sys.argv = ['lrplot', *sys.argv[1:]]; runpy.run_module('lrplot', run_name='__main__')"
)


def lrplot_noting_torch(*args: object) -> subprocess.CompletedProcess[str]:
    """``lrplot ARGS`` in a fresh interpreter; its stderr ends in 'torch (not) imported'."""
    return subprocess.run(
        [sys.executable, "-c", _NOTING_TORCH, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
