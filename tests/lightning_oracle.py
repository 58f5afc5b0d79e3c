"""A real Lightning run to compare lrplot with: Trainer.fit on CPU, the lr recorded at every step.

The lr is read in ``on_before_optimizer_step``, i.e. the lr each optimizer step really
uses. The optimizer and scheduler come from the config through LightningCLI/jsonargparse
(root ``optimizer``/``lr_scheduler``, or model init args typed ``OptimizerCallable``/
``LRSchedulerCallable``) or from Hydra's ``instantiate``; ``configure_optimizers``
returns them with the chosen ``interval``, as the projects' own modules do.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("lightning")

import torch
from lightning.pytorch import Callback, LightningDataModule, LightningModule, Trainer
from lightning.pytorch.cli import LightningCLI, LRSchedulerCallable, OptimizerCallable
from torch.utils.data import DataLoader, TensorDataset

QUIET_TRAINER = {
    "logger": False,
    "enable_checkpointing": False,
    "enable_progress_bar": False,
    "enable_model_summary": False,
    "num_sanity_val_steps": 0,
    "accelerator": "cpu",
    "devices": 1,
}
for _name in ("lightning.pytorch", "lightning.fabric", "lightning"):
    logging.getLogger(_name).setLevel(logging.ERROR)


class Recorder(Callback):
    """The lr of the first param group at every optimizer step."""

    def __init__(self) -> None:
        self.lrs: list[float] = []

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        self.lrs.append(optimizer.param_groups[0]["lr"])


class TinyData(LightningDataModule):
    """``batches`` training batches per epoch (or ``samples`` in batches of ``batch_size``)."""

    def __init__(self, batches: int = 3, samples: int | None = None, batch_size: int = 1) -> None:
        super().__init__()
        self.samples = samples if samples is not None else batches * batch_size
        self.batch_size = batch_size

    def train_dataloader(self) -> DataLoader:
        return DataLoader(TensorDataset(torch.ones(self.samples, 1)), batch_size=self.batch_size)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(TensorDataset(torch.ones(1, 1)), batch_size=1)


class TinyModel(LightningModule):
    """Optimizer and scheduler as init args (``model.init_args.*``) or from LightningCLI.

    ``val_losses[epoch]`` is logged as ``val/loss`` for a ReduceLROnPlateau to monitor.
    """

    def __init__(
        self,
        optimizer: OptimizerCallable | None = None,
        lr_scheduler: LRSchedulerCallable | None = None,
        interval: str = "epoch",
        val_losses: list[float] | None = None,
    ) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(1, 1)
        self.make_optimizer, self.make_scheduler = optimizer, lr_scheduler
        self.interval = interval
        self.val_losses = val_losses or []

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self.layer(batch[0]).sum() * 0.0

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        epoch = self.current_epoch
        self.log("val/loss", self.val_losses[epoch] if epoch < len(self.val_losses) else 1.0)

    def configure_optimizers(self) -> Any:
        assert self.make_optimizer is not None and self.make_scheduler is not None
        optimizer = self.make_optimizer(self.parameters())
        return lightning_config(optimizer, self.make_scheduler(optimizer), self.interval)


def lightning_config(optimizer: Any, scheduler: Any, interval: str) -> dict[str, Any]:
    """What a LightningModule's configure_optimizers returns, monitor included for a plateau."""
    config: dict[str, Any] = {"scheduler": scheduler, "interval": interval}
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        config["monitor"] = getattr(scheduler, "monitor", "val/loss")
    return {"optimizer": optimizer, "lr_scheduler": config}


def cli_with_interval(interval: str) -> type[LightningCLI]:
    """LightningCLI whose automatic configure_optimizers uses ``interval`` (pytorch-lightning #15340)."""

    class CLI(LightningCLI):
        @staticmethod
        def configure_optimizers(lightning_module: Any, optimizer: Any, lr_scheduler: Any = None) -> Any:
            return lightning_config(optimizer, lr_scheduler, interval)

    return CLI


def fit_cli(config: dict[str, Any] | list[str], *, interval: str = "epoch") -> list[float]:
    """LightningCLI parses ``config`` (a dict, or command-line args such as ``--config f fit``) and fits."""
    recorder = Recorder()
    run = isinstance(config, list)  # command-line args name a subcommand: LightningCLI runs it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cli = cli_with_interval(interval)(
            TinyModel,
            TinyData,
            args=config,
            run=run,
            save_config_callback=None,
            trainer_defaults={**QUIET_TRAINER, "callbacks": [recorder]},
        )
        if not run:
            cli.trainer.fit(cli.model, cli.datamodule)
    return recorder.lrs


def fit_module(module: LightningModule, *, batches: int, **trainer: Any) -> list[float]:
    """Trainer.fit of a ready module (Hydra: partials from ``instantiate``)."""
    recorder = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Trainer(**QUIET_TRAINER, callbacks=[recorder], **trainer).fit(module, TinyData(batches))
    return recorder.lrs


class PartialsModel(TinyModel):
    """A module built from factories, as lightning-hydra-template's modules use Hydra partials."""

    def __init__(
        self, optimizer: Callable, scheduler: Callable, interval: str, val_losses: Any = None
    ) -> None:
        super().__init__(None, None, interval, val_losses)
        self.make_optimizer, self.make_scheduler = optimizer, scheduler
