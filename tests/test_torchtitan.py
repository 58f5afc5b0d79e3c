"""torchtitan TOML train configs: lrplot's copy of torchtitan's schedule against torchtitan's values.

The expected lrs are golden data (tests/fixtures/torchtitan/golden_build_lr_schedulers.json, see
SOURCES.md there): recorded by running torchtitan's own ``build_lr_schedulers`` (pytorch/torchtitan
at 238fa9953e4aec2a62582121564273d7cbb1e9f1), its ``LambdaLR`` stepped as torchtitan's trainer does
(``optimizers.step()`` then ``lr_schedulers.step()``, ``training.steps`` times), over the real
configs here and a fixed grid of schedules (warmup, decay ratio and type, min lr factor, total_steps).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.config.loading import from_source
from lrplot.errors import LrplotError
from lrplot.lint import lint
from lrplot.read.toml_source import parse_toml
from tests.conftest import FIXTURES
from tests.golden import check_source, golden_cases, recorded_steps

TITAN = FIXTURES / "torchtitan"
GOLDEN = TITAN / "golden_build_lr_schedulers.json"
CASES = golden_cases(GOLDEN)


def toml_text(lr: float, steps: int, schedule: dict[str, Any]) -> str:
    """A torchtitan train config with these [lr_scheduler] keys (None: key left out)."""
    lines = [
        f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v!r}" for k, v in schedule.items() if v is not None
    ]
    return (
        f"[optimizer]\nlr = {lr!r}\n[lr_scheduler]\n" + "\n".join(lines) + f"\n[training]\nsteps = {steps}\n"
    )


def lrplot_lrs(case: dict[str, Any]) -> list[float]:
    if case["config"]:
        config = lrplot.load(TITAN / case["config"])
    else:
        config = from_source(
            parse_toml(toml_text(case["base_lr"], case["steps"], case["schedule"]), name="t.toml")
        )
    return lrplot.simulate(config).curves[0].groups[0].lr.tolist()


def test_golden_file_names_its_source() -> None:
    check_source(GOLDEN)
    configs = {case.values[0]["config"] for case in CASES} - {None}
    assert configs == {p.name for p in TITAN.glob("*.toml")}  # every real config is recorded


@pytest.mark.parametrize("case", CASES)
def test_schedules_match_torchtitan_bit_for_bit(case: dict[str, Any]) -> None:
    if "raises" in case:  # torchtitan's own asserts stop such a run: lrplot refuses it in one line
        with pytest.raises(LrplotError) as error:
            lrplot_lrs(case)
        assert "\n" not in str(error.value)
        return
    assert recorded_steps(lrplot_lrs(case), case) == case["lr"]


@settings(max_examples=40, deadline=None)
@given(
    steps=st.integers(1, 300),
    warmup=st.integers(1, 320),
    ratio=st.one_of(st.none(), st.floats(0.05, 1)),
    decay=st.sampled_from(["linear", "sqrt", "cosine"]),
    factor=st.sampled_from([0.0, 0.1, 0.25]),
)
def test_random_schedules_warm_up_then_stay_between_floor_and_peak(
    steps, warmup, ratio, decay, factor
) -> None:
    """Properties of torchtitan's schedule that need no upstream code: a linear rise from lr/warmup
    while warming up, never above the peak, never below min_lr_factor * lr."""
    lr = 3e-4
    text = toml_text(lr, steps, {"warmup_steps": warmup, "decay_ratio": ratio, "decay_type": decay,
                                 "min_lr_factor": factor})  # fmt: skip
    lrs = lrplot.simulate(from_source(parse_toml(text, name="t.toml"))).curves[0].groups[0].lr.tolist()
    assert len(lrs) == steps
    rise = min(warmup, steps)
    assert lrs[:rise] == pytest.approx([lr * (i + 1) / rise for i in range(rise)], rel=1e-12)
    assert all(factor * lr * (1 - 1e-12) <= v <= lr * (1 + 1e-12) for v in lrs[rise:])


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
    config = lrplot.load(path)
    result = lrplot.simulate(config)
    (finding,) = [f for f in lint(config, result) if f.id == "LR016"]
    assert "Warmup steps (20) exceed total steps (10)" in finding.message
    assert finding.where is not None and finding.where.endswith("t.toml:2")
    golden = next(c.values[0] for c in CASES if c.id == "warmup-longer-than-run")
    assert (golden["base_lr"], golden["steps"], golden["schedule"]) == (8e-4, 10, {"warmup_steps": 20})
    assert result.curves[0].groups[0].lr.tolist() == golden["lr"]


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
