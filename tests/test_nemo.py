"""NeMo configs (issue 27): NeMo's own scheduler, stepped by a real Lightning ``Trainer.fit``.

The oracle (:func:`lightning_lrs`) is what a NeMo model does on a real Lightning run: the
config's ``model.optim.sched`` handed to NeMo's own ``prepare_lr_scheduler`` the way
``ModelPT.setup_optimization`` hands it (nemo/core/classes/modelPT.py 671-691 at 8cfedd7: the
``t_*`` keys read from the live ``Trainer``, or ``max_steps`` from it), with the real train
``DataLoader``, returned from ``configure_optimizers`` as ModelPT returns it, and the lr
recorded at every optimizer step.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.formats import identify
from lrplot.formats import nemo as nemo_format
from tests.conftest import FIXTURES, ROOT

pytest.importorskip("nemo")
pytest.importorskip("lightning")

import torch
from omegaconf import OmegaConf

from lrplot.plan.drivers.nemo import load_lr_scheduler
from tests.lightning_oracle import QUIET_TRAINER, Recorder

NEMO = FIXTURES / "nemo"
FIXTURE_CONFIGS = sorted(NEMO.glob("*.yaml"))


def _model(sched: dict[str, Any], lr: float, samples: int, batch_size: int, drop_last: bool) -> Any:
    from lightning.pytorch import LightningModule
    from torch.utils.data import DataLoader, TensorDataset

    class NemoLike(LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(1, 1)
            self.loader = DataLoader(
                TensorDataset(torch.ones(samples, 1)), batch_size=batch_size, drop_last=drop_last
            )

        def train_dataloader(self) -> Any:
            return self.loader

        def training_step(self, batch: Any, index: int) -> Any:
            if sched.get("name") == "ReduceLROnPlateau":  # the monitored metric: the lr the step uses
                lr_now = self.trainer.optimizers[0].param_groups[0]["lr"]
                self.log(sched.get("monitor", "loss"), lr_now, on_step=False, on_epoch=True)
            return self.layer(batch[0]).sum()

        def configure_optimizers(self) -> Any:
            optimizer = torch.optim.AdamW(self.parameters(), lr=lr)
            config = copy.deepcopy(sched)
            trainer = self.trainer
            if trainer.max_steps < 0:  # ModelPT.setup_optimization, word for word in effect
                config["t_max_epochs"] = trainer.max_epochs
                config["t_accumulate_grad_batches"] = trainer.accumulate_grad_batches
                config["t_limit_train_batches"] = trainer.limit_train_batches
                config["t_num_workers"] = trainer.num_devices * trainer.num_nodes
            else:
                config["max_steps"] = trainer.max_steps
            scheduler = load_lr_scheduler().prepare_lr_scheduler(
                optimizer=optimizer, scheduler_config=config, train_dataloader=self.loader
            )
            return [optimizer], [scheduler]

    return NemoLike()


def lightning_lrs(path: Path, samples: int) -> list[float]:
    """The lr of every optimizer step of a real ``Trainer.fit`` of the config's model."""
    from lightning.pytorch import Trainer

    config = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    sched = OmegaConf.to_container(OmegaConf.create(config)["model"]["optim"]["sched"], resolve=True)
    sched = {k: nemo_format._number(v) for k, v in sched.items()}
    lr = float(config["model"]["optim"]["lr"])
    train = config["trainer"]
    train_ds = config["model"].get("train_ds") or {}
    recorder = Recorder()
    trainer = Trainer(
        **QUIET_TRAINER,
        max_epochs=train.get("max_epochs"),
        max_steps=train.get("max_steps", -1) if train.get("max_steps") is not None else -1,
        accumulate_grad_batches=train.get("accumulate_grad_batches", 1),
        limit_val_batches=0,
        callbacks=[recorder],
    )
    model = _model(
        sched, lr, samples, int(train_ds.get("batch_size") or 1), bool(train_ds.get("drop_last", False))
    )
    trainer.fit(model)
    return recorder.lrs


def lrplot_lrs(path: Path, samples: int | None = None, world_size: int | None = 1) -> list[float]:
    config = lrplot.load(path, dataset_size=samples, world_size=world_size)
    return lrplot.simulate(config).curves[0].groups[0].lr.tolist()


def shortened(path: Path, tmp_path: Path, **trainer: Any) -> Path:
    """The real config with a shorter run (a real Lightning run of 1000 epochs is too long)."""
    data = yaml.safe_load(path.read_text())
    data["trainer"].update(trainer)
    out = tmp_path / path.name
    out.write_text(yaml.safe_dump(data))
    return out


EPOCH_BASED = [
    "citrinet_512.yaml",
    "conformer_ctc_bpe.yaml",
    "matchboxnet_3x1x64_v2.yaml",
    "squeezeformer_ctc_bpe.yaml",
]
RUNS = [(3, 1000, 1), (2, 999, 3), (4, 64, 1)]  # epochs, samples, accumulate_grad_batches


@pytest.mark.parametrize("name", EPOCH_BASED)
@pytest.mark.parametrize(("epochs", "samples", "accumulate"), RUNS)
def test_epoch_based_configs_match_a_real_lightning_run_bit_for_bit(
    tmp_path: Path, name: str, epochs: int, samples: int, accumulate: int
) -> None:
    path = shortened(NEMO / name, tmp_path, max_epochs=epochs, accumulate_grad_batches=accumulate)
    assert lrplot_lrs(path, samples) == lightning_lrs(path, samples)


@pytest.mark.parametrize(
    "name", ["bert_pretraining_from_preprocessed_config.yaml", "fast-conformer_aed.yaml"]
)
@pytest.mark.parametrize("max_steps", [300, 2501])
def test_step_based_configs_match_a_real_lightning_run_bit_for_bit(
    tmp_path: Path, name: str, max_steps: int
) -> None:
    path = shortened(NEMO / name, tmp_path, max_steps=max_steps, max_epochs=None)
    data = yaml.safe_load(path.read_text())
    data["model"].setdefault("train_ds", {})["batch_size"] = 4
    path.write_text(yaml.safe_dump(data))
    assert lrplot_lrs(path) == lightning_lrs(path, 4 * max_steps)


@pytest.mark.parametrize(
    "sched",
    [
        {"name": "WarmupHoldPolicy", "warmup_ratio": 0.1, "hold_steps": 20, "min_lr": 1e-5},
        {"name": "CosineAnnealing", "warmup_steps": 7, "constant_steps": 30, "min_lr": 1e-5},
        {"name": "PolynomialDecayAnnealing", "warmup_steps": 5, "power": 2.0, "cycle": True, "min_lr": 0.0},
        {"name": "T5InverseSquareRootAnnealing", "constant_steps": 10},
        {"name": "WarmupAnnealing", "warmup_ratio": 0.2, "min_lr": 0.0},
        {"name": "SquareAnnealing", "warmup_steps": 5, "min_lr": 1e-5},
        {"name": "NoamAnnealing", "d_model": 256, "warmup_steps": 10, "min_lr": 1e-6},
    ],
    ids=lambda s: s["name"],
)
def test_other_schedulers_match_a_real_lightning_run(tmp_path: Path, sched: dict[str, Any]) -> None:
    data = yaml.safe_load((NEMO / "citrinet_512.yaml").read_text())
    data["model"]["optim"]["sched"] = sched
    data["trainer"].update(max_epochs=2, accumulate_grad_batches=2)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    assert lrplot_lrs(path, 1300) == lightning_lrs(path, 1300)


@settings(max_examples=200, deadline=None)
@given(
    epochs=st.integers(1, 50), accumulate=st.integers(1, 9), workers=st.integers(1, 64),
    samples=st.integers(1, 10**7), batch=st.integers(1, 512), drop_last=st.booleans(),
    limit=st.one_of(st.integers(0, 1000), st.floats(0.0, 1.0)),
)  # fmt: skip
def test_run_length_is_nemos_compute_max_steps(
    epochs: int, accumulate: int, workers: int, samples: int, batch: int, drop_last: bool, limit: float
) -> None:
    real = load_lr_scheduler().compute_max_steps(
        epochs, accumulate, limit, workers, samples, batch, drop_last
    )
    assert (
        nemo_format.compute_max_steps(epochs, accumulate, limit, workers, samples, batch, drop_last) == real
    )


def test_world_size_divides_the_samples_as_nemo_does() -> None:
    path = NEMO / "conformer_ctc_bpe.yaml"  # trainer.devices -1: all the machine's GPUs
    config = lrplot.load(path, dataset_size=28539, world_size=8)
    assert config.curves[0].total_step == 1000 * 223  # ceil(ceil(28539 / 8) / 16) = 223 batches a GPU


@pytest.mark.parametrize("path", FIXTURE_CONFIGS, ids=lambda p: p.stem)
def test_nemo_configs_are_claimed_by_nemo_alone(path: Path) -> None:
    claims = [found for _, found in identify(path, yaml.safe_load(path.read_text())) if found.confident]
    assert [found.format for found in claims] == ["NeMo"]


BAD = [
    ("citrinet_512.yaml", [], "give --dataset-size N", "max_steps"),
    ("conformer_ctc_bpe.yaml", ["--dataset-size", "100"], "give --world-size N", "devices"),
    ("citrinet_512.yaml", ["--set", "model.optim.sched.name=CosineAnealing"], "not one of NeMo's schedulers", "name"),
    ("fast-conformer_aed.yaml", ["--set", "model.optim.sched.name=ExponentialLR", "--set",
                                 "model.optim.sched.gamma=0.9"], "give --dataset-size N", "name"),
    ("citrinet_512.yaml", ["--set", "trainer.max_epochs=-1"], "never ends", "max_epochs"),
    ("citrinet_512.yaml", ["--dataset-size", "10", "--set", "model.train_ds.batch_size=64", "--set",
                           "model.train_ds.drop_last=true"], "0 optimizer steps", "batch_size"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "message", "key"), BAD)
def test_bad_configs_fail_in_one_line_naming_the_key(cli, tmp_path: Path, name, args, message, key) -> None:
    result = cli("plot", NEMO / name, "-o", tmp_path / "x.csv", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert key in result.stderr


def test_cli_draws_an_epoch_based_config_with_dataset_size(cli, tmp_path: Path) -> None:
    out = tmp_path / "n.csv"
    result = cli("plot", NEMO / "matchboxnet_3x1x64_v2.yaml", "--dataset-size", "20000", "-o", out)
    assert result.exit_code == 0, result.output
    rows = out.read_text().splitlines()[1:]
    assert len(rows) == 200 * 157  # ceil(20000 / 128) batches, 200 epochs


def test_a_real_subprocess_draws_a_nemo_figure(tmp_path: Path) -> None:
    out = tmp_path / "n.png"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(NEMO / "fast-conformer_aed.yaml"), "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_real_subprocess_refuses_an_epoch_config_without_dataset_size(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(NEMO / "squeezeformer_ctc_bpe.yaml"), "-o", str(tmp_path / "x.png")],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--dataset-size" in lines[0] and "squeezeformer_ctc_bpe.yaml:" in lines[0]


# The shape of NeMo's Megatron GPT config (NVIDIA/NeMo examples/nlp/language_modeling/conf/
# megatron_gpt_config.yaml; schedule keys as at 382c533, the defaults list as later revisions add it).
MEGATRON_GPT = """\
defaults:
  - _self_
  - optional tp_overlap@model.ub_tp_comm_overlap_cfg:
name: megatron_gpt
trainer: {devices: 1, num_nodes: 1, max_epochs: 1000, max_steps: 3000, accumulate_grad_batches: 1}
exp_manager:
  name: megatron_gpt
  checkpoint_callback_params:
    model_parallel_size: ${multiply:${model.tensor_model_parallel_size}, ${model.pipeline_model_parallel_size}}
model:
  micro_batch_size: 4
  global_batch_size: 8
  tensor_model_parallel_size: 1
  pipeline_model_parallel_size: 1
  optim:
    name: fused_adam
    lr: 2e-4
    betas: [0.9, 0.98]
    sched: {name: CosineAnnealing, warmup_steps: 500, constant_steps: 1000, min_lr: 2e-5}
"""


def test_a_megatron_config_with_a_defaults_list_is_nemos_alone_and_drawn(cli, tmp_path: Path) -> None:
    """Its ``defaults:`` made Hydra claim it too (refused as ambiguous); NeMo's registry-named
    schedule conflicts with Hydra's format, and an entry merged beside the schedule is left out."""
    path = tmp_path / "megatron_gpt_config.yaml"
    path.write_text(MEGATRON_GPT)
    claims = [found.format for _, found in identify(path, yaml.safe_load(MEGATRON_GPT)) if found.confident]
    assert claims == ["NeMo"]
    result = cli("plot", path, "-o", tmp_path / "g.csv")
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "g.csv").read_text().splitlines()) == 1 + 3000


@pytest.mark.parametrize(
    ("entry", "shown"),
    [("  - model: gpt_small\n", "model: gpt_small"), ("  - base_config\n", "base_config"),
     ("  - optim@model.optim: adam\n", "optim: adam"), ("  - trainer: ddp\n", "trainer: ddp"),
     ("  - cfg@_global_: y\n", "cfg: y")],
)  # fmt: skip
def test_a_defaults_entry_that_may_merge_into_the_schedule_is_refused_naming_it(
    cli, tmp_path: Path, entry: str, shown: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MEGATRON_GPT.replace("  - _self_\n", "  - _self_\n" + entry))
    result = cli("plot", path, "-o", tmp_path / "g.csv")
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"the defaults entry {shown!r} may merge into the schedule" in result.stderr
    assert f"is not in {tmp_path}" in result.stderr  # composed from the file's folder, where it is not
    assert "c.yaml:" in result.stderr
    assert not (tmp_path / "g.csv").exists()


EPOCH_STEPPED = [
    {"name": "ExponentialLR", "gamma": 0.7},
    {"name": "ReduceLROnPlateau", "factor": 0.5, "patience": 1, "monitor": "val_loss", "reduce_on_plateau": True},
    {"name": "ReduceLROnPlateau", "mode": "max", "factor": 0.3, "patience": 0, "cooldown": 1, "min_lr": 1e-4},
    {"name": "CyclicLR", "base_lr": 1e-4, "max_lr": 0.01, "step_size_up": 7, "mode": "triangular2"},
    {"name": "StepLR", "step_size": 9, "gamma": 0.5},
]  # fmt: skip


@pytest.mark.parametrize("sched", EPOCH_STEPPED, ids=lambda s: "-".join(map(str, s.values()))[:40])
@pytest.mark.parametrize(
    ("trainer", "samples"),
    [({"max_epochs": 6, "accumulate_grad_batches": 2}, 130), ({"max_steps": 50, "max_epochs": None}, 64),
     ({"max_steps": 500, "max_epochs": 4}, 99)],
)  # fmt: skip
def test_torchs_schedulers_are_stepped_as_nemo_returns_them(
    tmp_path: Path, sched: dict[str, Any], trainer: dict[str, Any], samples: int
) -> None:
    """ExponentialLR and ReduceLROnPlateau come back from prepare_lr_scheduler with interval
    'epoch' (the plateau with its monitor), CyclicLR and StepLR with 'step': a real Lightning run
    steps them so, and lrplot's curve is the same, for epoch- and step-limited runs."""
    data = yaml.safe_load((NEMO / "citrinet_512.yaml").read_text())
    data["model"]["optim"]["sched"] = sched
    data["model"]["train_ds"]["batch_size"] = 8
    data["trainer"].update(trainer)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    real = lightning_lrs(path, samples)
    assert lrplot_lrs(path, samples) == real
    assert len(set(real)) >= 2  # the schedule moved in the run


def test_nemos_epoch_schedulers_are_torchs_classes() -> None:
    """What the format draws as torch's classes is what NeMo's registry holds."""
    module = load_lr_scheduler()
    assert set(module.EPOCH_SCHEDULERS) == set(nemo_format.EPOCH_SCHEDULERS)
    for name, dotted in nemo_format.EPOCH_SCHEDULERS.items():
        assert module.AVAILABLE_SCHEDULERS[name] is getattr(
            torch.optim.lr_scheduler, dotted.rsplit(".", 1)[1]
        )
    assert set(module.AVAILABLE_SCHEDULERS) == set(nemo_format.SCHEDULERS)


def test_a_plateau_takes_the_given_metric_and_names_its_monitor(cli, tmp_path: Path) -> None:
    data = yaml.safe_load((NEMO / "citrinet_512.yaml").read_text())
    data["model"]["optim"]["sched"] = {"name": "ReduceLROnPlateau", "patience": 0, "monitor": "val_wer"}
    data["trainer"]["max_epochs"] = 4
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "p.csv"
    result = cli("plot", path, "--dataset-size", "320", "-o", out, "--set", "curves.0.metric=1 / (1 + step)")
    assert result.exit_code == 0, result.output
    assert "monitors 'val_wer'" in result.stderr
    lrs = [float(row.rsplit(",", 1)[1]) for row in out.read_text().splitlines()[1:]]
    assert len(lrs) == 4 * 10 and set(lrs) == {0.05}  # 320 / 32 steps an epoch; always improving
    bare = cli("plot", path, "--dataset-size", "320", "-o", tmp_path / "q.csv")
    assert bare.exit_code == 0 and "LR011" in bare.stderr


HIFIGAN = NEMO / "hifigan" / "hifigan.yaml"  # defaults: model/generator, model/train_ds, model/validation_ds


def _hydra_composed(path: Path, overrides: list[str]) -> dict[str, Any]:
    """The config as NeMo's hydra_runner gets it: Hydra's compose API on the file's folder."""
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(path.parent.resolve()), version_base=None):
        config = compose(config_name=path.stem, overrides=overrides)
    return OmegaConf.to_container(config, resolve=True)


def test_a_config_with_defaults_over_the_schedule_is_composed_and_matches_a_real_run(tmp_path: Path) -> None:
    """hifigan.yaml's ``model/train_ds: train_ds`` merges into model.train_ds: composed by Hydra
    (not refused), its CosineAnnealing over trainer.max_steps (``${model.max_steps}``) is NeMo's,
    stepped by a real Lightning run of the composed config."""
    claims = [
        found.format for _, found in identify(HIFIGAN, yaml.safe_load(HIFIGAN.read_text())) if found.confident
    ]
    assert claims == ["NeMo"]
    composed = _hydra_composed(HIFIGAN, ["model.max_steps=700", "train_dataset=t", "validation_datasets=v"])
    assert composed["model"]["train_ds"]["dataloader_params"]["batch_size"] == 16  # from the group file
    composed["model"]["train_ds"]["batch_size"] = 1  # the oracle's loader: one step a sample
    flat = tmp_path / "composed.yaml"
    flat.write_text(yaml.safe_dump(composed))
    config = lrplot.load(HIFIGAN, sets=["model.max_steps=700"])
    assert config.curves[0].total_step == 700
    assert {"v1.yaml", "train_ds.yaml", "val_ds.yaml"} <= {path.name for path in config.reads}
    assert lrplot.simulate(config).curves[0].groups[0].lr.tolist() == lightning_lrs(flat, 700)


def test_a_composed_config_names_the_group_file_a_bad_value_came_from(cli, tmp_path: Path) -> None:
    folder = tmp_path / "hifigan"
    import shutil

    shutil.copytree(HIFIGAN.parent, folder)
    group = folder / "model" / "train_ds" / "train_ds.yaml"
    group.write_text(group.read_text() + "batch_size: many\n")
    result = cli("plot", folder / "hifigan.yaml", "--set", "trainer.max_steps=-1", "--set", "+trainer.max_epochs=2",
                 "--dataset-size", "100", "-o", tmp_path / "x.csv")  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"lrplot: error: {group}:14: ")  # the group file's own line
    assert "model.train_ds.batch_size should be an integer >= 1" in lines[0]


@pytest.mark.parametrize("gone", ["model/train_ds/train_ds.yaml", "model/generator/v1.yaml"])
def test_a_defaults_file_that_is_not_there_is_refused_only_when_it_may_reach_the_schedule(
    cli, tmp_path: Path, gone: str
) -> None:
    import shutil

    folder = tmp_path / "hifigan"
    shutil.copytree(HIFIGAN.parent, folder)
    (folder / gone).unlink()
    result = cli("plot", folder / "hifigan.yaml", "--set", "model.max_steps=50", "-o", tmp_path / "x.csv")
    if gone.startswith("model/train_ds"):
        assert result.exit_code == 2, result.output
        line = result.stderr.strip()
        assert "\n" not in line and f"{folder / 'hifigan.yaml'}:30: " in line  # the defaults entry
        assert f"its file model/train_ds/train_ds.yaml is not in {folder}" in line
    else:  # model.generator merges beside the schedule: drawn, saying what was left out
        assert result.exit_code == 0, result.output
        assert "composed without the defaults group model/generator: v1" in result.stderr
        assert len((tmp_path / "x.csv").read_text().splitlines()) == 1 + 50


def test_a_real_subprocess_composes_a_nemo_config(tmp_path: Path) -> None:
    out = tmp_path / "h.csv"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(HIFIGAN), "--set", "model.max_steps=300", "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(out.read_text().splitlines()) == 1 + 300
