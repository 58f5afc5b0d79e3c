"""What a newcomer trips over: stdout CSV, colliding stems, epochs, per-group lists, the summary."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import torch
from torch.optim import lr_scheduler as L

import lrplot
from tests.conftest import ROOT, same_bits

GOOD = "total_step: 30\ncurves:\n  - {label: s, scheduler: {name: StepLR, step_size: 10}}\n"


def test_dash_output_writes_csv_to_stdout_and_the_summary_to_stderr(write_config, cli) -> None:
    config = write_config(GOOD)
    result = cli("plot", config, "-o", "-")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 30 and rows[0] == {"curve": "s", "group": "0", "step": "0", "lr": "1.0"}
    assert "peak at step" in result.stderr and "standard output" in result.stderr


def test_dash_output_in_a_real_pipe(write_config) -> None:
    config = write_config(GOOD)
    process = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(config), "-o", "-", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines()[0] == "curve,group,step,lr" and process.stderr == ""


def test_dash_output_with_json_is_refused(write_config, cli) -> None:
    result = cli("plot", write_config(GOOD), "-o", "-", "--json")
    assert result.exit_code == 2 and "where --json would go too" in result.stderr


def test_configs_sharing_a_stem_get_their_folder_names(tmp_path: Path, cli) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.yaml").write_text(GOOD)
    (tmp_path / "y.yaml").write_text(GOOD)
    out = tmp_path / "figs"
    configs = [tmp_path / "a" / "x.yaml", tmp_path / "b" / "x.yaml", tmp_path / "y.yaml"]
    result = cli("plot", *configs, "--out-dir", out, "--format", "csv", "-q")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a-x.csv", "b-x.csv", "y.csv"]


def test_every_shipped_config_plots_into_one_folder(tmp_path: Path, cli) -> None:
    configs = sorted((ROOT / "configs").glob("*.yaml")) + sorted(
        (ROOT / "configs" / "schedulers").glob("*.yaml")
    )
    result = cli("plot", *configs, "--out-dir", tmp_path, "--format", "csv", "-q")
    assert result.exit_code == 0, result.stderr
    assert len(list(tmp_path.iterdir())) == len(configs)


def test_epochs_set_the_length_from_steps_per_epoch() -> None:
    config = lrplot.loads(
        "epochs: 4\ndataset_size: 1000\nbatch_size: 32\ncurves:\n  - scheduler: {name: StepLR, step_size: 5}\n"
    )
    assert config.curves[0].total_step == 4 * 32  # ceil(1000 / 32) = 32 steps an epoch


def test_set_total_step_replaces_epochs() -> None:
    text = "epochs: 4\nsteps_per_epoch: 10\ncurves:\n  - scheduler: {name: StepLR, step_size: 5}\n"
    assert lrplot.loads(text, sets=["total_step=7"]).curves[0].total_step == 7
    assert (
        lrplot.loads(text.replace("epochs: 4", "total_step: 3"), sets=["epochs=2"]).curves[0].total_step == 20
    )


def test_summary_and_check_speak_in_epochs(write_config, cli, tmp_path: Path) -> None:
    config = write_config(
        "epochs: 3\nsteps_per_epoch: 100\ncurves:\n  - {label: s, scheduler: {name: StepLR, step_size: 150, gamma: 0.05}}\n"
    )
    result = cli("plot", config, "-o", tmp_path / "s.csv")
    assert "150 (ep 1.5)" in result.stdout
    changed = write_config(
        "epochs: 3\nsteps_per_epoch: 100\ncurves:\n  - {label: s, scheduler: {name: StepLR, step_size: 200, gamma: 0.05}}\n",
        name="changed.yaml",
    )
    result = cli("check", changed, "--against", tmp_path / "s.csv")
    assert result.exit_code == 1 and "differs first at step 150 (epoch 1.5)" in result.stderr


def test_peak_of_a_cosine_that_starts_at_its_peak_is_step_0() -> None:
    # With T_max 40 over 100 steps the cosine comes back to 1.0000000000000289 at step 80.
    result = lrplot.simulate(
        lrplot.loads("total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 40}\n")
    )
    assert result.curves[0].groups[0].lr.max() > 1.0
    assert lrplot.summary(result)[0]["peak_step"] == 0


def test_per_group_momentum_lists_match_torch() -> None:
    text = """
total_step: 50
curves:
  - label: oc
    optimizer: {name: SGD, momentum: 0.9, param_groups: [{lr: 0.1}, {lr: 0.01}]}
    scheduler: {name: OneCycleLR, max_lr: [0.1, 0.01], total_steps: 50, base_momentum: [0.8, 0.85], max_momentum: [0.9, 0.95]}
"""
    curve = lrplot.simulate(lrplot.loads(text)).curves[0]
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    optimizer = torch.optim.SGD(
        [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.01}], momentum=0.9
    )
    scheduler = L.OneCycleLR(
        optimizer, max_lr=[0.1, 0.01], total_steps=50, base_momentum=[0.8, 0.85], max_momentum=[0.9, 0.95]
    )
    lrs: list[list[float]] = [[], []]
    momenta: list[list[float]] = [[], []]
    for step in range(50):
        for i, group in enumerate(optimizer.param_groups):
            lrs[i].append(group["lr"])
            momenta[i].append(group["momentum"])
        if step < 49:
            scheduler.step()
    for i in range(2):
        assert same_bits(curve.groups[i].lr, lrs[i]) and same_bits(curve.groups[i].momentum, momenta[i])


def test_swalr_takes_one_swa_lr_per_group() -> None:
    text = "total_step: 20\ncurves:\n  - optimizer: {param_groups: [{lr: 0.1}, {lr: 0.01}]}\n    scheduler: {name: SWALR, swa_lr: [0.05, 0.005], anneal_epochs: 5}\n"
    curve = lrplot.simulate(lrplot.loads(text)).curves[0]
    assert curve.groups[0].lr[-1] == 0.05 and curve.groups[1].lr[-1] == 0.005
