"""torchtitan TOML train configs: lrplot's copy of torchtitan's schedule against the verbatim original.

The oracle is ``build_lr_schedulers`` exactly as torchtitan wrote it (kept verbatim in
tests/fixtures/torchtitan, source and commit noted there), its ``LambdaLR`` stepped as
torchtitan's trainer does: ``optimizers.step()`` then ``lr_schedulers.step()``, ``training.steps`` times.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.config.loading import from_source
from lrplot.read.toml_source import parse_toml
from tests.conftest import FIXTURES

TITAN = FIXTURES / "torchtitan"
CONFIGS = sorted(TITAN.glob("*.toml"))
DEFAULTS = {
    "warmup_steps": 200,
    "total_steps": None,
    "decay_ratio": None,
    "decay_type": "linear",
    "min_lr_factor": 0.0,
}


def verbatim_build_lr_schedulers():
    """torchtitan's own function, from the fixture; its container returns the lr_lambda."""
    text = (TITAN / "build_lr_schedulers_238fa99.txt").read_text()
    namespace = {
        "functools": __import__("functools"),
        "math": __import__("math"),
        "logger": logging.getLogger("torchtitan-verbatim"),
        "OptimizersContainer": object,
        "LRSchedulerConfig": object,
        "LRSchedulersContainer": lambda optimizers, lr_lambda: lr_lambda,
    }
    exec(compile(ast.parse(text), str(TITAN / "build_lr_schedulers_238fa99.txt"), "exec"), namespace)
    return namespace["build_lr_schedulers"]


def torchtitan_lrs(lr: float, steps: int, **schedule) -> list[float]:
    settings_ = SimpleNamespace(**{**DEFAULTS, **schedule})
    lr_lambda = verbatim_build_lr_schedulers()(None, settings_, steps)
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    used = []
    for _ in range(steps):
        used.append(optimizer.param_groups[0]["lr"])  # the lr optimizers.step() uses
        scheduler.step()
    return used


def lrplot_lrs(path: Path) -> list[float]:
    return lrplot.simulate(lrplot.load(path)).curves[0].groups[0].lr.tolist()


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_real_configs_match_torchtitan_bit_for_bit(path: Path) -> None:
    data = parse_toml(path.read_text()).data
    schedule = dict(data.get("lr_scheduler", {}))
    if "lr_min" in schedule:
        schedule["min_lr_factor"] = schedule.pop("lr_min")
    expected = torchtitan_lrs(data["optimizer"]["lr"], data["training"]["steps"], **schedule)
    assert lrplot_lrs(path) == expected


@settings(max_examples=60, deadline=None)
@given(
    steps=st.integers(1, 300),
    warmup=st.integers(0, 320),
    ratio=st.one_of(st.none(), st.floats(0, 1)),
    decay=st.sampled_from(["linear", "sqrt", "cosine"]),
    factor=st.sampled_from([0.0, 0.1, 0.25]),
    total=st.one_of(st.none(), st.integers(1, 400)),
)
def test_random_schedules_match_torchtitan(steps, warmup, ratio, decay, factor, total) -> None:
    schedule = {"warmup_steps": warmup, "decay_ratio": ratio, "decay_type": decay, "min_lr_factor": factor}
    if total is not None:
        schedule["total_steps"] = total
    try:
        expected = torchtitan_lrs(3e-4, steps, **schedule)
    except AssertionError:  # torchtitan's own asserts (zero-length phases it reaches)
        return
    lines = [
        f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"'
        for k, v in schedule.items()
        if v is not None
    ]
    text = "[optimizer]\nlr = 3e-4\n[lr_scheduler]\n" + "\n".join(lines) + f"\n[training]\nsteps = {steps}\n"
    config = from_source(parse_toml(text, name="t.toml"))
    assert lrplot.simulate(config).curves[0].groups[0].lr.tolist() == expected


def test_toml_lines_point_at_keys() -> None:
    source = parse_toml((TITAN / "llama3_debug_model.toml").read_text(), name="x.toml")
    text = (TITAN / "llama3_debug_model.toml").read_text().splitlines()
    line = source.lines[("lr_scheduler", "decay_type")]
    assert text[line - 1].startswith("decay_type")
    source = parse_toml('a = """\n[b]\nc = 1\n"""\n[[d]]\ne = 1\n[[d]]\ne = 2\n"q.r".s = 3\n')
    assert ("b", "c") not in source.lines
    assert source.lines[("d", 1, "e")] == 8
    assert source.lines[("d", 1, "q.r", "s")] == 9
    assert source.data["d"][1] == {"e": 2, "q.r": {"s": 3}}


BAD = [
    (
        '[lr_scheduler]\ndecay_type = "exp"\n[training]\nsteps = 10\n',
        "lr_scheduler.decay_type should be one of linear, sqrt, cosine",
        2,
    ),
    (
        "[lr_scheduler]\nwarmup = 2\n[training]\nsteps = 10\n",
        "lr_scheduler.warmup is not an option of torchtitan's lr_scheduler",
        2,
    ),
    (
        "[lr_scheduler]\nwarmup_steps = 2\n[training]\nsteps = 0\n",
        "training.steps should be a positive integer",
        4,
    ),
    (
        "[lr_scheduler]\ndecay_ratio = 1.5\n[training]\nsteps = 10\n",
        "lr_scheduler.decay_ratio should be between 0 and 1",
        2,
    ),
    ("[lr_scheduler]\nwarmup_steps = 2\n[training\nsteps = 10\n", "invalid TOML", 3),
    ("[lr_scheduler]\nwarmup_steps = 2\nwarmup_steps = 3\n[training]\nsteps = 10\n", "invalid TOML", 3),
]


@pytest.mark.parametrize(("text", "message", "line"), BAD)
def test_bad_torchtitan_configs_fail_in_one_line(cli, write_config, text, message, line) -> None:
    path = write_config(text, name="train.toml")
    result = cli("plot", path, "-o", path.with_suffix(".csv"))
    assert result.exit_code == 2
    assert message in result.stderr
    assert f"train.toml:{line}: " in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_plots_a_torchtitan_toml_with_a_note_for_old_names(cli, tmp_path: Path) -> None:
    out = tmp_path / "titan.csv"
    result = cli("plot", TITAN / "llama4_debug_model_lr_min.toml", "-o", out)
    assert result.exit_code == 0, result.output
    assert "lr_min is the name torchtitan used before 2025-07-30" in result.stderr
    assert len(out.read_text().splitlines()) == 1 + 10


def test_warmup_longer_than_the_run_is_said_as_torchtitan_says_it(write_config) -> None:
    path = write_config("[lr_scheduler]\nwarmup_steps = 20\n[training]\nsteps = 10\n", name="t.toml")
    result = lrplot.simulate(lrplot.load(path))
    assert any("Warmup steps (20) exceed total steps (10)" in w for w in result.warnings)
    assert result.curves[0].groups[0].lr.tolist() == torchtitan_lrs(8e-4, 10, warmup_steps=20)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_random_text_as_toml_fails_cleanly_or_parses(text: str) -> None:
    from lrplot.errors import LrplotError

    try:
        source = parse_toml(text, name="r.toml")
    except LrplotError as error:
        assert str(error).startswith("r.toml") and "\n" not in str(error)
        return
    assert isinstance(source.data, dict)
