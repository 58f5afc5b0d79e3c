"""Configs people already have (LightningCLI, Hydra), schedule factories, reference logs, API."""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as L

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import FIXTURES, same_bits

LIGHTNING = FIXTURES / "forms" / "lightning_cli.yaml"
HYDRA = FIXTURES / "forms" / "hydra_config.yaml"


def param() -> list[torch.nn.Parameter]:
    return [torch.nn.Parameter(torch.zeros(1))]


def test_lightning_cli_config_matches_torch_stepped_per_epoch() -> None:
    result = lrplot.simulate(lrplot.load(LIGHTNING, steps_per_epoch=7))
    curve = result.curves[0]
    assert curve.label == "AdamW + CosineAnnealingLR" and curve.total_step == 20 * 7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer = torch.optim.AdamW(param(), lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)
        scheduler = L.CosineAnnealingLR(optimizer, T_max=20, eta_min=1e-5, last_epoch=-1)
        expected = []
        for _epoch in range(20):
            for _batch in range(7):
                expected.append(optimizer.param_groups[0]["lr"])
            scheduler.step()
    assert same_bits(curve.groups[0].lr, expected)


def test_lightning_without_steps_per_epoch_draws_one_point_per_epoch_and_says_so() -> None:
    result = lrplot.simulate(lrplot.load(LIGHTNING))
    assert result.curves[0].total_step == 20
    assert any("one epoch" in note for note in result.warnings)


def test_hydra_config_matches_torch() -> None:
    config = lrplot.load(HYDRA, steps_per_epoch=5, sets=["metric='1.0 if step < 20 else 0.5'"])
    result = lrplot.simulate(config)
    curve = result.curves[0]
    assert curve.label == "Adam + ReduceLROnPlateau" and curve.total_step == 50
    optimizer = torch.optim.Adam(param(), lr=0.001, weight_decay=0.0)
    scheduler = L.ReduceLROnPlateau(optimizer, mode="min", factor=0.1, patience=10)
    expected = []
    for epoch in range(10):
        for _batch in range(5):
            expected.append(optimizer.param_groups[0]["lr"])
        step = epoch * 5 + 4  # the metric sees the step at which the epoch ends
        scheduler.step(1.0 if step < 20 else 0.5)
    assert same_bits(curve.groups[0].lr, expected)


def test_the_assumed_plateau_metric_goes_when_a_metric_is_given() -> None:
    # lint check LR011 tells the user (tests/test_lint.py); a given metric is not assumed
    assert lrplot.load(HYDRA).curves[0].metric_assumed
    assert not lrplot.load(HYDRA, sets=["metric='1.0'"]).curves[0].metric_assumed


def test_errors_in_a_converted_config_point_at_the_original_lines(tmp_path: Path) -> None:
    text = LIGHTNING.read_text().replace("    eta_min: 1.0e-05", "    eta_mn: 1.0e-05")
    path = tmp_path / "cli.yaml"
    path.write_text(text)
    with pytest.raises(LrplotError) as info:
        lrplot.simulate(lrplot.load(path))
    line = text.splitlines().index("    eta_mn: 1.0e-05") + 1
    assert str(info.value).startswith(f"{path}:{line}: curve 'AdamW + CosineAnnealingLR': scheduler")
    assert "no keyword 'eta_mn'" in str(info.value)


def test_select_picks_a_native_config_inside_a_larger_file(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(
        "experiment:\n  schedule:\n    total_step: 10\n    curves:\n      - scheduler: {name: StepLR, step_sise: 2}\n"
    )
    with pytest.raises(LrplotError) as info:
        lrplot.load(path, select="experiment.schedule").curves[0]
        lrplot.simulate(lrplot.load(path, select="experiment.schedule"))
    assert str(info.value).startswith(f"{path}:5:")
    with pytest.raises(LrplotError, match=r"--select experiment.nope: no key 'nope'"):
        lrplot.load(path, select="experiment.nope")


def test_select_picks_hydra_nodes_under_a_subtree(tmp_path: Path) -> None:
    config = lrplot.load(HYDRA, select="model")
    assert config.curves[0].optimizer.name == "torch.optim.Adam"


def test_unknown_form_says_what_it_looked_for(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("model: {lr: 0.1}\n")
    with pytest.raises(LrplotError, match="no 'curves' list: no format lrplot reads claims it"):
        lrplot.load(path)


def test_cli_reads_a_training_config(tmp_path: Path, cli) -> None:
    result = cli("plot", LIGHTNING, "--steps-per-epoch", "10", "-o", tmp_path / "l.csv", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "l.csv").read_text().count("\n") == 1 + 200


transformers = pytest.importorskip("transformers")


def test_transformers_cosine_with_warmup_factory_matches_the_library() -> None:
    result = lrplot.simulate(
        lrplot.loads(
            "total_step: 300\ncurves:\n  - optimizer: {name: AdamW, lr: 5.0e-5}\n"
            "    scheduler: {name: transformers.get_cosine_schedule_with_warmup, num_warmup_steps: 30, "
            "num_training_steps: 300}\n"
        )
    )
    optimizer = torch.optim.AdamW(param(), lr=5e-5)
    scheduler = transformers.get_cosine_schedule_with_warmup(
        optimizer, num_warmup_steps=30, num_training_steps=300
    )
    expected = []
    for _ in range(300):
        expected.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    assert same_bits(result.curves[0].groups[0].lr, expected)


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("linear", {}),
        ("cosine", {}),
        ("cosine_with_restarts", {}),
        ("polynomial", {}),
        ("constant_with_warmup", {}),
        ("inverse_sqrt", {}),
        ("cosine_with_min_lr", {"min_lr_rate": 0.1}),
        ("warmup_stable_decay", {"num_decay_steps": 40}),
    ],
)
def test_transformers_get_scheduler_named_types(kind: str, extra: dict) -> None:
    specific = f", scheduler_specific_kwargs: {extra}" if extra else ""
    result = lrplot.simulate(
        lrplot.loads(
            "total_step: 200\ncurves:\n  - scheduler: {name: transformers.get_scheduler, "
            f"keywords: {{name: {kind}}}, num_warmup_steps: 20, num_training_steps: 200{specific}}}\n"
        )
    )
    optimizer = torch.optim.SGD(param(), lr=1.0)
    scheduler = transformers.get_scheduler(
        kind, optimizer, num_warmup_steps=20, num_training_steps=200, scheduler_specific_kwargs=extra or None
    )
    expected = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(200):
            expected.append(optimizer.param_groups[0]["lr"])
            scheduler.step()
    assert same_bits(result.curves[0].groups[0].lr, expected)


def test_other_transformers_names_stay_forbidden() -> None:
    with pytest.raises(LrplotError, match="outside the allowed modules"):
        lrplot.simulate(
            lrplot.loads("total_step: 5\ncurves:\n  - scheduler: {name: transformers.pipeline}\n")
        )


def write_lightning_log(path: Path, lrs: list[float], every: int = 5) -> None:
    """Lightning CSVLogger style: lr rows every `every` steps, other metrics on rows of their own."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["epoch", "step", "lr-SGD", "train_loss", "val_loss"])
        for step in range(0, len(lrs), every):
            writer.writerow([step // 50, step, repr(lrs[step]), "", ""])
            writer.writerow([step // 50, step, "", 0.5, ""])
        writer.writerow([1, 49, "", "", 0.3])


def test_reference_log_that_agrees(tmp_path: Path) -> None:
    text = "total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 100}\n"
    truth = lrplot.simulate(lrplot.loads(text)).curves[0].groups[0].lr.tolist()
    write_lightning_log(tmp_path / "metrics.csv", truth)
    result = lrplot.simulate(lrplot.loads(text, sets=[f"reference={tmp_path / 'metrics.csv'}"]))
    row = lrplot.summary(result)[0]
    assert row["reference_max_diff"] == 0.0 and row["reference_first_disagreement"] is None
    assert len(result.curves[0].reference.steps) == 20


def test_reference_log_that_disagrees_reports_the_first_step(tmp_path: Path) -> None:
    text = "total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 100}\n"
    truth = lrplot.simulate(lrplot.loads(text)).curves[0].groups[0].lr.tolist()
    logged = [v if i < 40 else v * 0.9 for i, v in enumerate(truth)]
    write_lightning_log(tmp_path / "metrics.csv", logged)
    config = tmp_path / "c.yaml"
    config.write_text(
        text.replace("T_max: 100}", "T_max: 100}\n    reference: {csv: metrics.csv, column: lr-SGD}")
    )
    row = lrplot.summary(lrplot.simulate(lrplot.load(config)))[0]
    assert row["reference_first_disagreement"] == 40
    assert row["reference_max_diff"] == pytest.approx(
        max(abs(a - b) for a, b in zip(truth, logged, strict=True))
    )


def test_reference_from_the_command_line_is_drawn_dashed(tmp_path: Path, write_config, cli) -> None:
    config = write_config("total_step: 50\ncurves:\n  - scheduler: {name: StepLR, step_size: 10}\n")
    (tmp_path / "wandb.csv").write_text("Step,train/lr\n0,1.0\n10,0.1\n20,0.01\n")
    result = cli("plot", config, "--reference", f"{tmp_path / 'wandb.csv'}", "-o", tmp_path / "a.png")
    assert result.exit_code == 0, result.stderr
    assert "log differs at" in result.stdout and "agrees" in result.stdout
    fig = lrplot.figure(lrplot.simulate(lrplot.load(config, sets=[f"reference={tmp_path / 'wandb.csv'}"])))
    logged = [line for line in fig.axes[0].get_lines() if line.get_label().endswith("(log)")]
    assert len(logged) == 1 and logged[0].get_label() == "StepLR (log)" and logged[0].get_linestyle() == "--"


def test_reference_with_several_lr_columns_asks_to_choose(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("step,lr-AdamW,lr-SGD\n0,1,2\n")
    with pytest.raises(
        LrplotError, match=r"several lr series \(lr-AdamW, lr-SGD\); choose one: --reference PATH:TAG"
    ):
        lrplot.simulate(
            lrplot.loads(
                f"total_step: 5\ncurves:\n  - scheduler: {{name: StepLR, step_size: 1}}\n    reference: {tmp_path / 'm.csv'}\n"
            )
        )


def test_tensorboard_export_columns(tmp_path: Path) -> None:
    (tmp_path / "tb.csv").write_text("Wall time,Step,Value\n1.0,0,1.0\n2.0,1,0.1\n")
    result = lrplot.simulate(
        lrplot.loads(
            f"total_step: 5\ncurves:\n  - scheduler: {{name: StepLR, step_size: 1}}\n    reference: {tmp_path / 'tb.csv'}\n"
        )
    )
    assert lrplot.summary(result)[0]["reference_first_disagreement"] is None


def test_python_api_round_trip(tmp_path: Path) -> None:
    result = lrplot.simulate(lrplot.load("configs/schedulers/one_cycle_lr.yaml"))
    records = result.to_records()
    assert records[0] == {
        "curve": "cos",
        "group": "0",
        "step": 0,
        "lr": result.curves[0].groups[0].lr[0],
        "momentum": 0.95,
    }
    text = lrplot.to_csv(result)
    assert text.splitlines()[0] == "curve,group,step,lr,momentum"
    lrplot.to_csv(result, tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text() == text
    stream = io.StringIO()
    lrplot.to_csv(result, stream)
    assert stream.getvalue() == text
    assert isinstance(result.curves[0].groups[0].lr, np.ndarray)
    from matplotlib.figure import Figure

    assert isinstance(lrplot.figure(result), Figure)
