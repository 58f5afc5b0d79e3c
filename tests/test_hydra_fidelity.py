"""Hydra configs from public repositories against Hydra itself and a real ``Trainer.fit``.

The test composes each config with Hydra's compose API, builds the optimizer and scheduler
with ``hydra.utils.instantiate`` (as the projects' LightningModules do) and fits a tiny
model on CPU with the lr recorded at every optimizer step; lrplot reads the same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("hydra")
pytest.importorskip("lightning")

from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

import lrplot
from tests.conftest import FIXTURES, same_bits
from tests.lightning_oracle import PartialsModel, fit_module

HYDRA = FIXTURES / "hydra"
BATCHES = 3
PLUGINS = ["hydra/job_logging=default", "hydra/hydra_logging=default"]  # colorlog is not installed


def composed(root: Path, name: str, overrides: list[str]) -> Any:
    with initialize_config_dir(config_dir=str(root.resolve()), version_base=None):
        return compose(config_name=name, overrides=overrides)


def lrplot_lr(path: Path, overrides: list[str], *sets: str, steps_per_epoch: int | None = BATCHES) -> Any:
    config = lrplot.load(path, hydra_overrides=overrides, steps_per_epoch=steps_per_epoch, sets=list(sets))
    return lrplot.simulate(config).curves[0].groups[0].lr


def test_lightning_hydra_template_experiment_with_plateau_matches() -> None:
    """model.optimizer/model.scheduler partials; val/loss drops at epoch 3; patience 1."""
    root, overrides = HYDRA / "lightning_hydra_template" / "configs", ["model.scheduler.patience=1"]
    cfg = composed(root, "train", ["experiment=example", *overrides, *PLUGINS])
    losses = [1.0 if epoch < 3 else 0.5 for epoch in range(cfg.trainer.max_epochs)]
    module = PartialsModel(
        instantiate(cfg.model.optimizer), instantiate(cfg.model.scheduler), "epoch", losses
    )
    expected = fit_module(module, batches=BATCHES, max_epochs=cfg.trainer.max_epochs)
    assert len(expected) == 10 * BATCHES and min(expected) < max(expected)
    metric = f"metric='1.0 if step < {3 * BATCHES} else 0.5'"
    experiment = root / "experiment" / "example.yaml"
    assert same_bits(lrplot_lr(experiment, overrides, metric), expected)


@pytest.mark.parametrize("interval", ["epoch", "step"])
def test_autoware_nested_primary_matches(interval: str) -> None:
    """A primary config nested in its root, composed from /defaults/... entries."""
    root = HYDRA / "autoware_ml" / "configs"
    name = "tasks/calibration_status/calibration_status_classifier/resnet18_nuscenes"
    cfg = composed(root, name, [])
    module = PartialsModel(instantiate(cfg.model.optimizer), instantiate(cfg.model.scheduler), interval)
    expected = fit_module(module, batches=BATCHES, max_epochs=cfg.trainer.max_epochs)
    sets = ["interval=step"] if interval == "step" else []
    assert same_bits(lrplot_lr(root / f"{name}.yaml", [], *sets), expected)


def test_onecycle_from_interpolated_max_steps_and_lr_matches() -> None:
    """total_steps: ${trainer.max_steps}, max_lr: ${model.optimizer.lr}, interval step as the config says."""
    root = HYDRA / "autoware_ml" / "configs"
    name, overrides = "tasks/segmentation3d/frnet/hdl32e_nuscenes", ["trainer.max_steps=40"]
    cfg = composed(root, name, overrides)
    interval = cfg.model.scheduler_config.interval
    module = PartialsModel(instantiate(cfg.model.optimizer), instantiate(cfg.model.scheduler), interval)
    expected = fit_module(module, batches=BATCHES, max_steps=cfg.trainer.max_steps, max_epochs=-1)
    assert len(expected) == 40
    assert same_bits(lrplot_lr(root / f"{name}.yaml", overrides, steps_per_epoch=None), expected)


def test_flash_attention_transformers_warmup_matches() -> None:
    """train.optimizer/train.scheduler instantiated with the optimizer, stepped every step."""
    pytest.importorskip("transformers")
    root = HYDRA / "flash_attention" / "configs"
    overrides = ["optimizer=adamw", "train.scheduler.num_warmup_steps=5", "trainer.max_steps=30"]
    cfg = composed(root, "config", ["experiment=owt/gpt2s-flash", *overrides, *PLUGINS])
    module = PartialsModel(
        lambda params: instantiate(cfg.train.optimizer, params),
        lambda optimizer: instantiate(cfg.train.scheduler, optimizer),
        "step",
    )
    expected = fit_module(module, batches=BATCHES, max_steps=30, max_epochs=-1)
    path = root / "experiment" / "owt" / "gpt2s-flash.yaml"
    assert same_bits(lrplot_lr(path, overrides, steps_per_epoch=None), expected)
