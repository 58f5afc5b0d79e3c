"""LightningCLI configs: where the nodes are found, what is dropped, what the notes say, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import FIXTURES

LIGHTNING = FIXTURES / "lightning"
INIT_ARGS = LIGHTNING / "modelgenerator_mean_ribosome_load.yaml"


@pytest.mark.parametrize("path", sorted(LIGHTNING.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_collected_config_plots_as_it_is(path: Path, cli, tmp_path: Path) -> None:
    result = cli("plot", path, "--steps-per-epoch", "3", "-o", tmp_path / "out.csv", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.csv").read_text().startswith("curve,group,step,lr")


def test_model_init_args_nodes_are_found_with_the_top_level_trainer() -> None:
    config = lrplot.load(INIT_ARGS, steps_per_epoch=4)
    curve = config.curves[0]
    assert curve.label == "AdamW + LinearLR" and curve.total_step == 70 * 4
    line = INIT_ARGS.read_text().splitlines().index("        total_iters: 5000") + 1
    assert config.where(("curves", 0, "scheduler", "total_iters")) == f"{INIT_ARGS}:{line}"


def test_verbose_is_dropped_with_a_note() -> None:
    config = lrplot.load(INIT_ARGS, steps_per_epoch=4)
    assert "verbose" not in config.curves[0].scheduler.model_dump()
    assert any("dropped verbose=True from LinearLR" in note for note in config.notes)


def test_the_interval_note_says_how_to_choose_and_goes_once_chosen() -> None:
    notes = lrplot.load(INIT_ARGS, steps_per_epoch=4).notes
    assert any('"interval": "step"' in n and "--set interval=step" in n for n in notes)
    chosen = lrplot.load(INIT_ARGS, steps_per_epoch=4, sets=["interval=step"])
    assert chosen.curves[0].interval == "step"
    assert not any("--set interval=step" in n for n in chosen.notes)


def test_short_plateau_name_is_lightnings_class_and_its_monitor_is_noted() -> None:
    config = lrplot.load(LIGHTNING / "terratorch_sen1floods11_vit.yaml", steps_per_epoch=2)
    scheduler = config.curves[0].scheduler
    assert scheduler.name == "torch.optim.lr_scheduler.ReduceLROnPlateau"
    assert "monitor" not in scheduler.model_dump()
    assert any("monitors 'val/loss'" in note for note in config.notes)


def test_fixed_model_class_bare_class_path_and_dict_kwargs(write_config) -> None:
    path = write_config(
        """
        trainer: {max_epochs: 4}
        model:
          hidden: 8
          optimizer: torch.optim.Adam
          scheduler:
            class_path: StepLR
            init_args: {step_size: 2}
            dict_kwargs: {gamma: 0.5}
        """
    )
    curve = lrplot.load(path, steps_per_epoch=2).curves[0]
    assert curve.optimizer.name == "torch.optim.Adam"
    assert (curve.scheduler.name, curve.scheduler.model_dump()["gamma"]) == ("StepLR", 0.5)
    config = lrplot.load(path, steps_per_epoch=2, sets=["optimizer.lr=0.001"])
    assert lrplot.simulate(config).curves[0].groups[0].lr.tolist() == [0.001] * 4 + [0.0005] * 4
    notes = lrplot.load(path, steps_per_epoch=2).notes
    assert any("Adam has no lr in the config: drawn with lr 1.0" in note for note in notes)


def test_several_optimizers_become_one_curve_each_paired_by_name(write_config) -> None:
    path = write_config(
        """
        trainer: {max_steps: 10}
        model:
          class_path: my.Tagger
          init_args:
            encoder_optimizer: {class_path: torch.optim.Adam, init_args: {lr: 1.0e-5}}
            classifier_optimizer: {class_path: torch.optim.Adam, init_args: {lr: 1.0e-3}}
            classifier_scheduler: {class_path: ExponentialLR, init_args: {gamma: 0.9}}
            encoder_scheduler: {class_path: LinearLR, init_args: {total_iters: 5}}
        """
    )
    curves = lrplot.load(path).curves
    assert [c.label for c in curves] == ["encoder: Adam + LinearLR", "classifier: Adam + ExponentialLR"]


def fit_wrapped(write_config) -> Path:
    return write_config(
        """
        fit:
          trainer: {max_epochs: 6}
          model:
            class_path: my.Model
            init_args:
              optimizer: {class_path: SGD, init_args: {lr: 0.1}}
              lr_scheduler: {class_path: StepLR, init_args: {step_size: 2}}
        test:
          ckpt_path: best
        """
    )


def test_a_fit_subcommand_body_is_read_with_its_own_trainer(write_config) -> None:
    assert lrplot.load(fit_wrapped(write_config), steps_per_epoch=5).curves[0].total_step == 30


@pytest.mark.parametrize("select", ["fit", "fit.model", "fit.model.init_args"])
def test_select_keeps_the_trainer_beside_the_nodes(write_config, select: str) -> None:
    config = lrplot.load(fit_wrapped(write_config), select=select, steps_per_epoch=5)
    assert config.curves[0].total_step == 30


def test_max_steps_and_max_epochs_stop_at_whichever_comes_first(write_config) -> None:
    text = (
        "trainer: {{max_epochs: 10, max_steps: {}}}\noptimizer: {{class_path: SGD, init_args: {{lr: 1}}}}\n"
    )
    text += "lr_scheduler: {{class_path: StepLR, init_args: {{step_size: 1}}}}\n"
    assert lrplot.load(write_config(text.format(25)), steps_per_epoch=4).curves[0].total_step == 25
    assert lrplot.load(write_config(text.format(500)), steps_per_epoch=4).curves[0].total_step == 40


def test_no_length_means_lightnings_default_of_1000_epochs(write_config) -> None:
    path = write_config(
        "optimizer: {class_path: SGD, init_args: {lr: 1}}\n"
        "lr_scheduler: {class_path: StepLR, init_args: {step_size: 1}}\n"
    )
    config = lrplot.load(path)
    assert config.curves[0].total_step == 1000
    assert any("Lightning's default, 1000 epochs" in note for note in config.notes)


def test_an_optimizer_without_a_scheduler_is_named(write_config, cli) -> None:
    path = write_config("trainer: {max_epochs: 3}\noptimizer:\n  class_path: torch.optim.Adam\n")
    with pytest.raises(LrplotError, match="has an optimizer but no lr_scheduler") as info:
        lrplot.load(path)
    assert info.value.where == f"{path}:2"
    result = cli("plot", path, "-o", path.with_suffix(".csv"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


def test_a_bad_keyword_points_at_its_line_under_model_init_args(tmp_path: Path) -> None:
    text = INIT_ARGS.read_text().replace("        end_factor: 0.1", "        end_factr: 0.1")
    path = tmp_path / "cli.yaml"
    path.write_text(text)
    with pytest.raises(LrplotError, match="no keyword 'end_factr'") as info:
        lrplot.simulate(lrplot.load(path, steps_per_epoch=2))
    assert info.value.where == f"{path}:{text.splitlines().index('        end_factr: 0.1') + 1}"


def test_the_command_runs_in_a_real_process(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(INIT_ARGS), "--steps-per-epoch", "2", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "dropped verbose=True" in done.stderr and out.read_text().count("\n") == 1 + 140


def test_dataset_size_without_a_batch_size_asks_for_steps_per_epoch(write_config) -> None:
    path = write_config(
        "trainer: {max_epochs: 3}\noptimizer: {class_path: SGD, init_args: {lr: 1}}\n"
        "lr_scheduler: {class_path: StepLR, init_args: {step_size: 1}}\n"
    )
    with pytest.raises(LrplotError, match=r"--dataset-size needs the batch size.*give --steps-per-epoch N"):
        lrplot.load(path, dataset_size=1000)
