"""Properties of the newer readers under random input (issue 26): Python configs read as data,
OmegaConf documents with resolvers, DeepSpeed JSON, torchtitan TOML, and terminal text.

Each input either loads (and, when short, simulates) or is refused in one line of lrplot's
own; never another exception, a hang (each example runs under an alarm), a message holding
the value ``${oc.env:...}`` resolved to, or a raw control or bidirectional character on the
terminal. The inputs come from tests/fuzz_inputs.py, which fuzz/fuzz_config.py feeds to
atheris for longer, coverage-guided runs. LRPLOT_FUZZ_EXAMPLES=2000 for a longer run here.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrplot
from lrplot.commands.app import app
from tests import fuzz_inputs as inputs
from tests.conftest import FUZZ, cli_runner

MAX_STEPS = 2_000  # simulate what is short; longer configs are only loaded
SECONDS = 30  # one example, loaded and simulated: far more than any takes


class DrawPick:
    """A :class:`tests.fuzz_inputs.Pick` drawing from hypothesis."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def index(self, count: int) -> int:
        return self.data.draw(st.integers(0, count - 1))

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def text(self, size: int) -> str:
        return self.data.draw(st.text(max_size=size))


@contextlib.contextmanager
def bounded(seconds: int = SECONDS) -> Iterator[None]:
    """A hang fails the example (SIGALRM) instead of the whole run."""

    def expired(_signum: int, _frame: object) -> None:
        raise AssertionError(f"no end after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def secret_in_the_environment() -> Iterator[None]:
    before = os.environ.get(inputs.SECRET_ENV)
    os.environ[inputs.SECRET_ENV] = inputs.SECRET
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(inputs.SECRET_ENV, None)
        else:
            os.environ[inputs.SECRET_ENV] = before


def load_and_run(path: Path, **options: object) -> None:
    """Load; simulate and summarise when short (the table shows labels: no canary, nothing raw)."""
    from lrplot.render.table import table

    config = lrplot.load(path, **options)
    if sum(curve.total_step for curve in config.curves) <= MAX_STEPS:
        text = table(lrplot.simulate(config, workers=1))
        assert inputs.SECRET not in text and inputs.UNSAFE.search(text) is None


def written(text: str, name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="lrplot-fuzz-"))
    path = folder / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


@FUZZ
@given(st.data())
def test_random_python_configs_read_as_data_cleanly_or_refuse(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["mmengine", "nanogpt", "detectron2_lazy"]))
    path = written(
        inputs.python_config(DrawPick(data), kind), "train_gpt.py" if kind == "nanogpt" else "c.py"
    )
    with bounded():
        inputs.outcome(lambda: load_and_run(path, steps_per_epoch=3))


@FUZZ
@given(st.data())
def test_random_omegaconf_documents_never_show_a_resolved_value(data: st.DataObject) -> None:
    pytest.importorskip("omegaconf")
    path = written(inputs.omegaconf_config(DrawPick(data)), "config.yaml")
    allowed = data.draw(st.sampled_from([[], ["oc.env"], ["oc"]]))
    with secret_in_the_environment(), bounded():
        inputs.outcome(lambda: load_and_run(path, allow_imports=allowed, steps_per_epoch=3))


@FUZZ
@given(st.data())
def test_random_deepspeed_json_reads_cleanly_or_refuses(data: st.DataObject) -> None:
    path = written(inputs.deepspeed_config(DrawPick(data)), "ds_config.json")
    options = data.draw(st.sampled_from([{}, {"sets": ["lrplot.total_step=50"]}]))
    with bounded():
        inputs.outcome(lambda: load_and_run(path, **options))


@FUZZ
@given(st.data())
def test_random_torchtitan_toml_reads_cleanly_or_refuses(data: st.DataObject) -> None:
    path = written(inputs.torchtitan_config(DrawPick(data)), "train.toml")
    with bounded():
        inputs.outcome(lambda: load_and_run(path))


@FUZZ
@given(st.data())
def test_random_labels_reach_the_terminal_escaped_from_every_command(data: st.DataObject) -> None:
    pick = DrawPick(data)
    label, group, title = (inputs.hostile_text(pick) for _ in range(3))
    text = (
        f"title: {json.dumps(title)}\ntotal_step: 12\ncurves:\n  - label: {json.dumps(label)}\n"
        "    scheduler: {name: StepLR, step_size: 3}\n    optimizer:\n      param_groups:\n"
        f"        - {{lr: 0.1, name: {json.dumps(group)}}}\n        - {{lr: 0.2}}\n"
    )
    path = written(text, "c.yaml")
    command = data.draw(st.sampled_from([[], ["--term"], ["-o", str(path.with_suffix(".csv"))], ["--json"]]))
    with bounded(), contextlib.chdir(path.parent):  # a plain `plot` writes c.png where it runs
        result = cli_runner().invoke(app, ["plot", str(path), *command])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    for stream in (result.stdout, result.stderr):
        assert inputs.UNSAFE.search(stream) is None, repr(stream[:400])
