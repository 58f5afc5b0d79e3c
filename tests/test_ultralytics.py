"""Ultralytics YOLO training args: the lr of every batch, bit for bit as the installed trainer's own statements set it.

The oracle (tests/ultralytics_oracle.py) executes the statements of the installed
ultralytics' ``BaseTrainer`` (``_setup_scheduler``, ``_get_warmup_iterations``, the warmup
block of ``_do_train``, ``_build_train_pipeline``'s accumulation, ``build_optimizer``'s
``auto`` choice) and ``build_dataloader``'s batch count, taken from its source.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import lrplot
from lrplot.formats import convert, format_module
from lrplot.formats.base import FormatOptions
from tests.conftest import FIXTURES, ROOT

if __import__("importlib").util.find_spec("ultralytics") is None:
    pytest.skip("ultralytics is not installed (pip install --no-deps ultralytics)", allow_module_level=True)

from tests.ultralytics_oracle import run

UL = FIXTURES / "ultralytics"
DEFAULTS = yaml.safe_load((UL / "default.yaml").read_text(encoding="utf-8"))

CASES = {
    "default.yaml as it is (auto -> AdamW, nc 10)": ({}, 800, 1),
    "SGD, cosine, 2 GPUs": (
        {"optimizer": "SGD", "cos_lr": True, "epochs": 6, "batch": 32, "lr0": 0.02},
        1000,
        2,
    ),
    "warmup longer than the run (capped)": ({"optimizer": "SGD", "epochs": 3, "warmup_epochs": 5.0}, 300, 1),
    "fractional warmup, RMSprop, no accumulation": (
        {"optimizer": "rmsprop", "epochs": 4, "warmup_epochs": 0.5, "batch": 64},
        1000,
        1,
    ),
    "no warmup, Adam": ({"optimizer": "Adam", "epochs": 3, "warmup_epochs": 0}, 200, 1),
    "auto -> MuSGD past 10000 iterations": ({"epochs": 2}, 330000, 8),
}


def _ours(overrides: dict, images: int, world: int, tmp_path: Path) -> tuple[lrplot.Config, object]:
    path = tmp_path / "args.yaml"
    path.write_text(yaml.safe_dump({**DEFAULTS, **overrides}), encoding="utf-8")
    config = lrplot.load(path, dataset_size=images, world_size=world)
    return config, lrplot.simulate(config, workers=1).curves[0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_batch_matches_the_installed_trainer(name: str, tmp_path: Path) -> None:
    overrides, images, world = CASES[name]
    theirs = run({**DEFAULTS, **overrides}, images, world)
    config, curve = _ours(overrides, images, world, tmp_path)
    assert curve.steps_per_epoch == theirs["nb"]
    assert config.derived["nw"] == theirs["nw"]
    ours = np.stack([group.lr for group in curve.groups], axis=1)
    assert ours.tolist() == theirs["lrs"]
    if config.curves[0].scheduler.keywords["momentum_warmup"]:
        momenta = np.stack([group.momentum for group in curve.groups], axis=1)
        assert momenta.tolist() == theirs["momenta"]


def test_bias_group_falls_from_warmup_bias_lr_while_the_others_rise(tmp_path: Path) -> None:
    _, curve = _ours({"optimizer": "SGD", "epochs": 5}, 1600, 1, tmp_path)
    weight, bn, bias = (group.lr for group in curve.groups)
    assert bias[0] == 0.1 and weight[0] == 0.0 == bn[0]
    assert bias[100] < bias[0] and weight[100] > 0
    assert [g.name for g in curve.groups] == ["weight", "bn", "bias"]


def test_the_fixture_plots_as_it_is_with_a_dataset_size(cli, tmp_path: Path) -> None:
    result = cli("plot", UL / "default.yaml", "--dataset-size", "5000", "-o", tmp_path / "u.csv", "-q")
    assert result.exit_code == 0, result.stderr
    rows = (tmp_path / "u.csv").read_text().splitlines()
    assert len(rows) == 1 + 3 * 100 * 313


BAD = [
    ({}, [], "give --dataset-size N (images in the train split) or --steps-per-epoch N"),
    ({}, ["--steps-per-epoch", "10"], "optimizer: auto picks by ceil(images / max(batch, nbs)) * epochs"),
    ({"batch": -1}, ["--dataset-size", "100"], "batch -1: AutoBatch"),
    ({"optimizer": "Lion"}, ["--dataset-size", "100"], "optimizer 'Lion' is not one of Ultralytics'"),
    ({"time": 1.5}, ["--dataset-size", "100"], "time: the trainer re-estimates epochs"),
    ({"epochs": 0}, ["--dataset-size", "100"], "epochs should be an integer >= 1"),
    (
        {"data": "missing_dataset.yaml"},
        ["--dataset-size", "100"],
        ":1: data: missing_dataset.yaml not found (looked beside the config, in the folders above it",
    ),
    ({"lr0": "fast", "optimizer": "SGD"}, ["--dataset-size", "100"], "lr0 should be a number"),
]


@pytest.mark.parametrize(("overrides", "options", "message"), BAD)
def test_bad_input_is_one_line_naming_the_key(
    cli, tmp_path: Path, overrides: dict, options: list, message: str
) -> None:
    path = tmp_path / "args.yaml"
    path.write_text(yaml.safe_dump({"lr0": 0.01, "lrf": 0.01, "warmup_bias_lr": 0.1, **overrides}))
    result = cli("plot", path, *options, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_auto_reads_nc_from_the_dataset_yaml(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("path: .\ntrain: images\nnames: {0: a, 1: b, 2: c, 3: d}\n")
    path = tmp_path / "args.yaml"
    path.write_text(yaml.safe_dump({**DEFAULTS, "data": "mine.yaml", "epochs": 3}))
    config = lrplot.load(path, dataset_size=100)
    assert config.curves[0].optimizer.keywords["lr"] == round(0.002 * 5 / (4 + 4), 6)
    builtin = tmp_path / "coco.yaml"
    builtin.write_text(
        yaml.safe_dump({**DEFAULTS, "data": "coco8.yaml", "epochs": 3})
    )  # ships with ultralytics
    assert lrplot.load(builtin, dataset_size=100).curves[0].optimizer.keywords["lr"] == round(0.01 / 84, 6)


WHEAT = UL / "wheat_weed"
WHEAT_ARGS = WHEAT / "runs" / "detect" / "train" / "args.yaml"


def test_a_real_runs_dataset_yaml_is_found_at_its_projects_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """args.yaml sits in runs/detect/train/; its data: cwfid.yaml (nc 2) at the root it ran from."""
    monkeypatch.chdir(WHEAT)
    config = lrplot.load(WHEAT_ARGS, dataset_size=1000)
    assert config.curves[0].optimizer.name == "AdamW"
    assert config.curves[0].optimizer.keywords["lr"] == round(0.002 * 5 / (4 + 2), 6)


def test_a_missing_dataset_yaml_is_one_line_naming_it(cli, tmp_path: Path) -> None:
    path = tmp_path / "args.yaml"
    path.write_bytes(WHEAT_ARGS.read_bytes())
    result = cli("plot", path, "--dataset-size", "1000", "-o", tmp_path / "x.png")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "args.yaml:4: data: cwfid.yaml not found" in lines[0], result.stderr
    assert "--file-for data=PATH" in lines[0] and not (tmp_path / "x.png").exists()
    named = cli("plot", path, "--dataset-size", "1000", "--file-for", f"data={WHEAT / 'cwfid.yaml'}",
                "-o", tmp_path / "x.csv")  # fmt: skip
    assert named.exit_code == 0, named.stderr


def test_ultralytics_claims_its_args_and_nothing_else() -> None:
    identify = format_module("lrplot.formats.ultralytics").identify
    assert identify(UL / "default.yaml", DEFAULTS).confident
    assert convert(DEFAULTS, FormatOptions(path=UL / "default.yaml", dataset_size=10)).form == "Ultralytics"
    assert identify(None, {"sched": "cosine", "epochs": 10, "lr": 0.1, "warmup_epochs": 3}).score == 0
    assert identify(None, {"SOLVER": {"BASE_LR": 0.1}}).score == 0


def test_cli_subprocess_plots_default_yaml(tmp_path: Path) -> None:
    out = tmp_path / "yolo.png"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(UL / "default.yaml"), "--dataset-size", "5000", "-o", str(out), "--quiet"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000


def test_the_figure_counts_epochs_on_its_top_axis_at_the_trainers_epoch_boundaries(tmp_path: Path) -> None:
    """Ultralytics counts its run in epochs: the top axis' whole-epoch ticks stand over the batch
    counts where the installed trainer's epochs begin (epoch e at e * nb batches)."""
    from tests.epoch_axis import drawn, epoch_axes, tick_steps

    overrides, images = {"optimizer": "SGD", "epochs": 7}, 1234
    theirs = run({**DEFAULTS, **overrides}, images, 1)
    _, curve = _ours(overrides, images, 1, tmp_path)
    result = lrplot.simulate(lrplot.load(tmp_path / "args.yaml", dataset_size=images), workers=1)
    axes = epoch_axes(drawn(result))
    assert len(axes) == 1  # the top panel only
    ticks, steps = tick_steps(*axes[0])
    assert ticks.tolist() == list(range(8)) and len(curve.groups[0].lr) == 7 * theirs["nb"]
    assert steps == pytest.approx([e * theirs["nb"] for e in range(8)], abs=1e-6 * theirs["nb"])


_DEFAULT_TEXT = (UL / "default.yaml").read_text(encoding="utf-8")
_RESUME_LINE = next(n for n, line in enumerate(_DEFAULT_TEXT.splitlines(), 1) if line.startswith("resume:"))


def _resumed(value: str) -> str:
    """default.yaml with its ``resume:`` line set to ``value`` (YAML)."""
    return "\n".join(
        f"resume: {value}" if line.startswith("resume:") else line for line in _DEFAULT_TEXT.splitlines()
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("true", "resume: true"),
        ("runs/detect/train/weights/last.pt", "resume: 'runs/detect/train/weights/last.pt'"),
    ],
)
def test_resume_is_refused_naming_file_line_key_and_value(run, value: str, shown: str) -> None:
    """check_resume replaces the args by the checkpoint's and resume_training starts at its
    epoch + 1: the file's schedule is not what runs."""
    result = run({"args.yaml": _resumed(value)}, "plot", "args.yaml", "--dataset-size", "5000", "-o", "c.png")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(
        f"lrplot: error: args.yaml:{_RESUME_LINE}: {shown}: the trainer takes its args and"
    )
    assert "--set resume=false" in line and "beside the weights" in line


def test_resume_false_or_empty_draws_and_set_resume_false_lifts_the_refusal(run) -> None:
    for value in ("false", "null", "''"):
        assert run({"a.yaml": _resumed(value)}, "validate", "a.yaml", "--dataset-size", "5000").exit_code == 0
    result = run(
        {"b.yaml": _resumed("true")}, "validate", "b.yaml", "--dataset-size", "5000", "--set", "resume=false"
    )
    assert result.exit_code == 0, result.stderr


def test_a_hostile_resume_path_is_shown_escaped_and_cut(run) -> None:
    result = run(
        {"h.yaml": _resumed('"w/\\e]0;pwned\\a' + "x" * 300 + '.pt"')},
        "validate",
        "h.yaml",
        "--dataset-size",
        "5",
    )
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b]0;pwned\\x07" in result.stderr and "x" * 100 not in result.stderr


def test_resume_refusal_in_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "args.yaml"
    path.write_text(_resumed("true"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "validate", str(path), "--dataset-size", "5000"],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"args.yaml:{_RESUME_LINE}: resume: true: the trainer takes its args" in done.stderr
    assert "Traceback" not in done.stderr
