"""LightningCLI configs from public repositories against a real ``Trainer.fit``, bit for bit.

Each config's optimizer and scheduler nodes are handed to LightningCLI (jsonargparse parses
them as it parses the file) and a tiny model is fitted on CPU with the lr recorded at every
optimizer step; lrplot reads the whole file as it is. Both intervals: Lightning's default
(epoch) and ``"interval": "step"`` (``--set interval=step``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("lightning")
pytest.importorskip("jsonargparse")

import lrplot
from lrplot.read.yaml_source import load_yaml_file
from tests.conftest import FIXTURES, same_bits
from tests.lightning_oracle import fit_cli

LIGHTNING = FIXTURES / "lightning"
BATCHES = 3  # optimizer steps per epoch in every run here


def nodes(path: Path) -> tuple[str, dict[str, Any]]:
    """Where the file keeps its optimizer/scheduler (``""`` top, ``"model"`` init args) and them."""
    data = load_yaml_file(path).data
    if "optimizer" in data:
        return "", {key: data[key] for key in ("optimizer", "lr_scheduler")}
    arguments = data["model"]["init_args"]
    return "model", {key: arguments[key] for key in ("optimizer", "lr_scheduler")}


def without_verbose(node: dict[str, Any]) -> dict[str, Any]:
    """torch 2.13 (and so jsonargparse) refuses ``verbose``; lrplot drops it with a note."""
    init_args = {k: v for k, v in (node.get("init_args") or {}).items() if k != "verbose"}
    return {**node, "init_args": init_args}


def lightning_run(path: Path, interval: str, **model: Any) -> list[float]:
    where, found = nodes(path)
    found = {key: without_verbose(value) for key, value in found.items()}
    trainer = load_yaml_file(path).data["trainer"]
    config: dict[str, Any] = {
        "trainer": {key: trainer[key] for key in ("max_epochs", "max_steps") if key in trainer},
        "data": {"batches": BATCHES},
        "model": model,
    }
    if where == "model":
        config["model"] = {**model, **found, "interval": interval}
    else:
        config.update(found)
    return fit_cli(config, interval=interval)


def lrplot_curve(path: Path, *sets: str) -> Any:
    config = lrplot.load(path, steps_per_epoch=BATCHES, sets=list(sets))
    return lrplot.simulate(config).curves[0].groups[0].lr


SCHEDULES = [
    "modelgenerator_mean_ribosome_load.yaml",  # model.init_args, LinearLR with verbose: true
    "modelgenerator_rna_ss_prediction.yaml",  # model.init_args, LinearLR
    "terratorch_forestnet_timm.yaml",  # top level, class_path: CosineAnnealingLR (short name)
    "torch_uncertainty_cifar10_resnet18.yaml",  # top level, MultiStepLR
    "torch_uncertainty_kitti_bts.yaml",  # top level, PolynomialLR
]


@pytest.mark.parametrize("interval", ["epoch", "step"])
@pytest.mark.parametrize("name", SCHEDULES)
def test_real_configs_match_trainer_fit(name: str, interval: str) -> None:
    path = LIGHTNING / name
    expected = lightning_run(path, interval)
    sets = ["interval=step"] if interval == "step" else []
    assert same_bits(lrplot_curve(path, *sets), expected)


PLATEAUS = ["terratorch_sen1floods11_vit.yaml", "terratorch_prithvi_burnscars.yaml"]


@pytest.mark.parametrize("name", PLATEAUS)
def test_plateau_with_monitor_matches_trainer_fit(name: str) -> None:
    """``class_path: ReduceLROnPlateau`` with ``monitor: val/loss``, stepped after validation."""
    path = LIGHTNING / name
    drop = 7  # val/loss falls from 1.0 to 0.5 at epoch 7, then stays: the scheduler reduces after patience
    max_epochs = load_yaml_file(path).data["trainer"]["max_epochs"]
    losses = [1.0 if epoch < drop else 0.5 for epoch in range(max_epochs)]
    expected = lightning_run(path, "epoch", val_losses=losses)
    # lrplot's metric sees the step at which each epoch ends
    metric = f"metric='1.0 if step < {drop * BATCHES} else 0.5'"
    assert same_bits(lrplot_curve(path, metric), expected)


def fit_subcommand_config(tmp_path: Path) -> Path:
    """A real config's nodes under ``fit:``, as ``main.py --config cfg.yaml fit`` reads them."""
    import yaml

    source = LIGHTNING / "torch_uncertainty_cifar10_resnet18.yaml"
    data = load_yaml_file(source).data
    body = {
        "trainer": {"max_epochs": 30},
        "data": {"batches": BATCHES},
        "optimizer": data["optimizer"],
        "lr_scheduler": data["lr_scheduler"],
    }
    path = tmp_path / "fit.yaml"
    path.write_text(f"# nodes of {source.name} under a subcommand\n" + yaml.safe_dump({"fit": body}))
    return path


def test_a_fit_subcommand_config_matches_lightningcli_running_it(tmp_path: Path) -> None:
    path = fit_subcommand_config(tmp_path)
    expected = fit_cli(["--config", str(path), "fit"])
    assert len(expected) == 30 * BATCHES
    assert same_bits(lrplot_curve(path), expected)


def test_accumulation_and_max_steps_cut_as_lightning_does(tmp_path: Path) -> None:
    """5 batches with accumulate_grad_batches=2 are 3 optimizer steps; max_steps ends mid-epoch."""
    data = load_yaml_file(LIGHTNING / "torch_uncertainty_kitti_bts.yaml").data
    config = {
        "optimizer": data["optimizer"],
        "lr_scheduler": data["lr_scheduler"],
        "trainer": {"max_epochs": 50, "max_steps": 40, "accumulate_grad_batches": 2},
        "data": {"batches": 5},
    }
    expected = fit_cli(config)
    assert len(expected) == 40
    import yaml

    path = tmp_path / "cli.yaml"
    path.write_text(yaml.safe_dump(config))
    result = lrplot.simulate(lrplot.load(path, steps_per_epoch=3))
    assert same_bits(result.curves[0].groups[0].lr, expected)


@pytest.mark.parametrize(("accumulate", "limit"), [(3, None), (1, 0.5), (2, 4)])
def test_dataset_size_gives_the_steps_per_epoch_lightning_runs(
    tmp_path: Path, accumulate: int, limit: Any
) -> None:
    """50 samples in batches of 4 are 13 batches; accumulation and limit_train_batches as Lightning counts."""
    import yaml

    data = load_yaml_file(LIGHTNING / "torch_uncertainty_cifar10_resnet18.yaml").data
    trainer: dict[str, Any] = {"max_epochs": 30, "accumulate_grad_batches": accumulate}
    if limit is not None:
        trainer["limit_train_batches"] = limit
    config = {
        "optimizer": data["optimizer"],
        "lr_scheduler": data["lr_scheduler"],
        "trainer": trainer,
        "data": {"samples": 50, "batch_size": 4},
    }
    expected = fit_cli(config)
    path = tmp_path / "cli.yaml"
    path.write_text(yaml.safe_dump(config))
    result = lrplot.simulate(lrplot.load(path, dataset_size=50))
    assert same_bits(result.curves[0].groups[0].lr, expected)
