"""Comparing schedules quickly: sweeps, overrides, summaries, many configs, parallel runs."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

import lrplot
from lrplot.errors import LrplotError
from lrplot.render.figure import reduce_for_drawing
from lrplot.render.table import summarize

BASE = """
total_step: 60
curves:
  - label: "eta_min={scheduler.eta_min}"
    scheduler: {name: CosineAnnealingLR, T_max: 20}
    sweep: {scheduler.eta_min: [0.0, 0.2, 0.5]}
  - scheduler: {name: StepLR, step_size: 10}
"""


def labels(config) -> list[str]:
    return [curve.label for curve in config.curves]


def test_sweep_expands_the_curve_it_is_written_in() -> None:
    config = lrplot.loads(BASE)
    assert labels(config) == ["eta_min=0.0", "eta_min=0.2", "eta_min=0.5", "StepLR"]
    assert [c.scheduler.keywords["eta_min"] for c in config.curves[:3]] == [0.0, 0.2, 0.5]


def test_several_sweep_keys_make_the_product() -> None:
    config = lrplot.loads(
        "total_step: 5\ncurves:\n  - scheduler: {name: StepLR}\n"
        "    sweep: {scheduler.step_size: [1, 2], scheduler.gamma: [0.1, 0.5, 0.9]}\n"
    )
    assert len(config.curves) == 6
    assert labels(config)[:2] == ["StepLR (step_size=1, gamma=0.1)", "StepLR (step_size=1, gamma=0.5)"]


def test_zip_pairs_the_sweep_keys() -> None:
    config = lrplot.loads(
        "total_step: 5\ncurves:\n  - scheduler: {name: StepLR}\n"
        "    sweep: {scheduler.step_size: [1, 2], scheduler.gamma: [0.1, 0.5], zip: true}\n"
    )
    assert [(c.scheduler.keywords["step_size"], c.scheduler.keywords["gamma"]) for c in config.curves] == [
        (1, 0.1),
        (2, 0.5),
    ]


def test_zip_with_unequal_lengths_is_refused() -> None:
    with pytest.raises(
        LrplotError, match=r"lists of one length, got scheduler.step_size: 2, scheduler.gamma: 3"
    ):
        lrplot.loads(
            "total_step: 5\ncurves:\n  - scheduler: {name: StepLR}\n"
            "    sweep: {scheduler.step_size: [1, 2], scheduler.gamma: [0.1, 0.5, 0.9], zip: true}\n"
        )


def test_top_level_sweep_expands_every_curve() -> None:
    config = lrplot.loads(
        "total_step: 5\nsweep: {optimizer.lr: [0.1, 1.0]}\ncurves:\n"
        "  - scheduler: {name: StepLR, step_size: 1}\n  - scheduler: {name: ExponentialLR, gamma: 0.9}\n"
    )
    assert labels(config) == [
        "StepLR (lr=0.1)",
        "StepLR (lr=1.0)",
        "ExponentialLR (lr=0.1)",
        "ExponentialLR (lr=1.0)",
    ]


def test_label_template_without_the_swept_key_still_names_it() -> None:
    config = lrplot.loads(
        "total_step: 5\ncurves:\n  - label: cosine\n    scheduler: {name: CosineAnnealingLR, T_max: 5}\n"
        "    sweep: {scheduler.eta_min: [0.0, 0.1]}\n"
    )
    assert labels(config) == ["cosine (eta_min=0.0)", "cosine (eta_min=0.1)"]


def test_label_template_fills_any_curve_value() -> None:
    config = lrplot.loads(
        "total_step: 5\ncurves:\n  - label: '{optimizer.name} T_max={scheduler.T_max} {{literal}}'\n"
        "    optimizer: {name: Adam}\n    scheduler: {name: CosineAnnealingLR, T_max: 5}\n"
    )
    assert labels(config) == ["Adam T_max=5 {literal}"]


def test_label_template_naming_a_missing_key_is_refused() -> None:
    with pytest.raises(LrplotError, match=r"names 'scheduler.T_min', which this curve does not set"):
        lrplot.loads(
            "total_step: 5\ncurves:\n  - {label: 'x={scheduler.T_min}', scheduler: {name: CosineAnnealingLR, T_max: 5}}\n"
        )


def test_set_overrides_top_level_per_curve_and_every_curve() -> None:
    config = lrplot.loads(
        BASE,
        sets=[
            "total_step=30",
            "curves.1.scheduler.step_size=3",
            "scheduler.gamma=0.5",
            "curves.0.sweep.scheduler.eta_min=[0.1]",
        ],
    )
    assert [c.total_step for c in config.curves] == [30, 30]
    assert config.curves[1].scheduler.keywords == {"step_size": 3, "gamma": 0.5}
    assert config.curves[0].scheduler.keywords["eta_min"] == 0.1


def test_set_total_step_reaches_curves_with_their_own() -> None:
    config = lrplot.loads(
        "total_step: 10\ncurves:\n  - {scheduler: {name: StepLR, step_size: 1}, total_step: 4}\n",
        sets=["total_step=7"],
    )
    assert config.curves[0].total_step == 7


def test_set_parses_yaml_values() -> None:
    config = lrplot.loads(
        "total_step: 10\ncurves:\n  - scheduler: {name: MultiStepLR, milestones: [1]}\n",
        sets=["scheduler.milestones=[3, 6]", "optimizer.lr=1e-3"],
    )
    assert config.curves[0].scheduler.keywords["milestones"] == [3, 6]
    assert config.curves[0].optimizer.keywords["lr"] == 0.001


def test_sweep_option_works_like_a_sweep_block() -> None:
    config = lrplot.loads(
        "total_step: 5\ncurves:\n  - scheduler: {name: MultiStepLR, milestones: [1]}\n",
        sweeps=["scheduler.milestones=[1, 3],[2]", "scheduler.gamma=0.1,0.5"],
    )
    assert [(c.scheduler.keywords["milestones"], c.scheduler.keywords["gamma"]) for c in config.curves] == [
        ([1, 3], 0.1),
        ([1, 3], 0.5),
        ([2], 0.1),
        ([2], 0.5),
    ]


@pytest.mark.parametrize(
    ("sets", "sweeps", "message"),
    [
        (
            ["scheduler.T_mx=5"],
            [],
            "--set scheduler.T_mx=5: curve 'eta_min=0.0': scheduler CosineAnnealingLR has no keyword 'T_mx' (did you mean 'T_max'?)",
        ),
        (
            ["optimizr.lr=0.1"],
            [],
            "--set optimizr.lr=0.1: unknown key 'optimizr' in curves[0] (did you mean 'optimizer'?); valid keys: label",
        ),
        (["curves.7.label=x"], [], "--set curves.7.label=x: curves has 2 entries, there is no index 7"),
        (["nonsense"], [], "--set 'nonsense': expected KEY=VALUE"),
        (["total_step=soon"], [], "--set total_step=soon: total_step must be a positive integer, got 'soon'"),
        (["title.x=1"], [], "--set title.x=1: title should be a valid string"),
        (
            ["curves.0.scheduler.T_max.x=1"],
            [],
            "--set curves.0.scheduler.T_max.x=1: curves.0.scheduler.T_max is 20, not a mapping",
        ),
        (
            [],
            ["scheduler.eta_mn=1,2"],
            "--sweep scheduler.eta_mn=1,2: curve 'eta_min=0.0 (eta_mn=1)': scheduler CosineAnnealingLR has no keyword 'eta_mn'",
        ),
        ([], ["scheduler.T_max"], "--sweep 'scheduler.T_max': expected KEY=V1,V2"),
    ],
)
def test_override_mistakes_name_the_option(sets, sweeps, message) -> None:
    with pytest.raises(LrplotError) as info:
        lrplot.simulate(lrplot.loads(BASE, sets=sets, sweeps=sweeps))
    assert str(info.value).startswith(message), str(info.value)


def test_summary_numbers() -> None:
    result = lrplot.simulate(
        lrplot.loads(
            "total_step: 100\ncurves:\n  - scheduler: {name: LambdaLR, lr_lambda: 'min(1, (step + 1) / 10) * 0.9 ** max(0, step - 9)'}\n"
        )
    )
    row = summarize(result)[0]
    lr = result.curves[0].groups[0].lr
    assert row.first == lr[0] == 0.1
    assert (row.peak, row.peak_step) == (1.0, 9)
    assert row.min == lr.min() and row.final == lr[-1] and row.mean == lr.mean()
    assert row.below_10pct_step == 9 + 22  # 0.9 ** 22 < 0.1 <= 0.9 ** 21


def test_cli_prints_a_table_and_json(write_config, tmp_path: Path, cli) -> None:
    config = write_config(BASE)
    table = cli("plot", config, "-o", tmp_path / "a.csv")
    assert "peak at step" in table.stdout and "eta_min=0.2" in table.stdout
    data = json.loads(cli("plot", config, "-o", tmp_path / "a.csv", "--json").stdout)
    assert [row["curve"] for row in data["curves"]] == ["eta_min=0.0", "eta_min=0.2", "eta_min=0.5", "StepLR"]
    assert set(data["curves"][0]) >= {
        "first",
        "peak",
        "peak_step",
        "min",
        "final",
        "mean",
        "below_10pct_step",
    }
    quiet = cli("plot", config, "-o", tmp_path / "a.csv", "--quiet")
    assert quiet.stdout == "" and quiet.stderr == ""


def test_cli_sweep_option_needs_no_file_edit(tmp_path: Path, cli) -> None:
    from tests.conftest import ROOT

    result = cli(
        "plot",
        ROOT / "configs/schedulers/cosine_annealing_lr.yaml",
        "--sweep",
        "scheduler.T_max=20,40,80",
        "-o",
        tmp_path / "t.csv",
    )
    assert result.exit_code == 0, result.stderr
    assert {line.split(",")[0] for line in (tmp_path / "t.csv").read_text().splitlines()[1:]} == {
        "CosineAnnealingLR (T_max=20)",
        "CosineAnnealingLR (T_max=40)",
        "CosineAnnealingLR (T_max=80)",
    }


def test_many_configs_in_one_run_to_an_out_dir(write_config, tmp_path: Path, cli) -> None:
    first = write_config(BASE, name="first.yaml")
    second = write_config(
        "total_step: 5\ncurves:\n  - scheduler: {name: ExponentialLR, gamma: 0.5}\n", name="second.yaml"
    )
    out = tmp_path / "figures"
    result = cli("plot", first, second, "--out-dir", out, "-f", "png", "-f", "csv", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["first.csv", "first.png", "second.csv", "second.png"]


def test_many_configs_with_one_bad_write_nothing(write_config, tmp_path: Path, cli) -> None:
    good = write_config(BASE, name="good.yaml")
    bad = write_config("total_step: 5\ncurves:\n  - scheduler: {name: Nope}\n", name="bad.yaml")
    out = tmp_path / "figures"
    result = cli("plot", good, bad, "--out-dir", out)
    assert result.exit_code == 2 and "bad.yaml:3" in result.stderr
    assert not out.exists()  # --out-dir is created only when the outputs are written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "x.png", "--format", "csv"], "use either -o/--output, or --out-dir/--format"),
        (["--format", "gif"], "--format: 'gif' is not one of 'png', 'svg', 'pdf'"),
    ],
)
def test_output_option_mistakes(args, message, write_config, cli) -> None:
    config = write_config(BASE)
    second = write_config(BASE, name="other.yaml")
    result = cli("plot", config, *[str(second) if a == "SECOND" else a for a in args])
    assert result.exit_code == 2 and message in result.stderr


def test_no_progress_bar_when_not_a_terminal(write_config, tmp_path: Path, cli) -> None:
    config = write_config("total_step: 500000\ncurves:\n  - scheduler: {name: StepLR, step_size: 1000}\n")
    result = cli("plot", config, "-o", tmp_path / "a.png")
    assert "simulating" not in result.stderr and "\x1b[" not in result.stderr


def test_parallel_run_equals_serial_bit_for_bit() -> None:
    config = lrplot.loads(
        "total_step: 3000\nsweep: {optimizer.lr: [0.5, 1.0]}\ncurves:\n"
        "  - scheduler: {name: CosineAnnealingLR, T_max: 700}\n"
        "  - scheduler: {name: LambdaLR, lr_lambda: '0.999 ** step'}\n"
    )
    serial = lrplot.simulate(config, workers=1)
    parallel = lrplot.simulate(config, workers=2)
    assert [c.label for c in serial.curves] == [c.label for c in parallel.curves]
    for a, b in zip(serial.curves, parallel.curves, strict=True):
        assert a.groups[0].lr.tobytes() == b.groups[0].lr.tobytes()


def test_parallel_errors_keep_their_location() -> None:
    config = lrplot.loads(
        "total_step: 50\ncurves:\n  - {label: ok, scheduler: {name: StepLR, step_size: 5}}\n"
        "  - {label: boom, scheduler: {name: LambdaLR, lr_lambda: '1 / (20 - step)'}}\n",
        name="p.yaml",
    )
    with pytest.raises(LrplotError) as info:
        lrplot.simulate(config, workers=2)
    assert str(info.value).startswith("p.yaml:4: curve 'boom': expression '1 / (20 - step)' failed")


@pytest.mark.parametrize("length", [10, 1_000, 123_457, 2_000_000])
def test_reduced_drawing_keeps_every_columns_min_and_max(length: int) -> None:
    rng = np.random.default_rng(length)
    values = np.cumsum(rng.normal(size=length))
    x, y = reduce_for_drawing(values, 400)
    columns = 800
    if length <= 4 * columns:
        assert np.array_equal(y, values)
        return
    edges = np.linspace(0, length, columns + 1).astype(int)
    for start, stop in itertools.pairwise(edges):
        inside = (x >= start) & (x < stop)
        assert y[inside].min() == values[start:stop].min()
        assert y[inside].max() == values[start:stop].max()
    assert len(x) == 4 * columns
