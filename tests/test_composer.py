"""llm-foundry YAMLs against Composer's own schedulers, driven as Composer's trainer drives them.

Composer's ``Trainer`` cannot be imported here (torchvision), so the oracle (:func:`trainer_lrs`)
is its ``_train_loop`` written out (composer/trainer/trainer.py in mosaicml 0.32.1, lines
2425-2562): the config loaded by OmegaConf as llm-foundry's train.py does, the scheduler class
from llm-foundry's registry names, ``compile_composer_scheduler`` on a real optimizer, a real
``DistributedSampler``/``DataLoader`` per llm-foundry's finetuning dataloader, and per batch:
``optimizer.step()`` (recording the lr it used), ``scheduler.step()``, ``to_next_batch``, the
``timestamp >= max_duration`` stop, and ``to_next_epoch`` after an exhausted loader.
"""

from __future__ import annotations

import datetime
import importlib.util
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.formats import composer as composer_format
from lrplot.read.yaml_source import parse_yaml
from tests.conftest import FIXTURES, ROOT

pytest.importorskip("omegaconf")
if importlib.util.find_spec("composer") is None:
    pytest.skip("Composer is not installed (pip install --no-deps mosaicml)", allow_module_level=True)

from lrplot.plan.drivers import composer as driver

FOUNDRY = FIXTURES / "composer"
FIXTURE_CONFIGS = sorted(FOUNDRY.glob("*.yaml"))


def trainer_lrs(path: Path, dataset_size: int, world_size: int = 1) -> list[float]:
    """The lr of every optimizer step of Composer's training loop on rank 0 (module docstring)."""
    import torch
    from omegaconf import OmegaConf
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    assert isinstance(cfg, dict)
    time = driver.time_module()
    module = driver.load_scheduler_module()
    arguments = dict(cfg["scheduler"])
    name = arguments.pop("name")
    scheduler = getattr(module, driver.FOUNDRY_NAMES.get(name, name))(**arguments)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["optimizer"]["lr"])
    gb = cfg["global_train_batch_size"]
    device = gb // world_size
    drop_last = cfg.get("train_loader", {}).get("drop_last", False)
    data = TensorDataset(torch.zeros(dataset_size, 2))
    sampler = DistributedSampler(data, num_replicas=world_size, rank=0, shuffle=False, drop_last=drop_last)
    loader = DataLoader(data, batch_size=device, sampler=sampler, drop_last=drop_last)
    state = SimpleNamespace(
        optimizers=[optimizer],
        max_duration=time.ensure_time(cfg["max_duration"], time.TimeUnit.EPOCH),
        timestamp=time.Timestamp(),
        dataloader_len=time.Time(len(loader), time.TimeUnit.BATCH),
    )
    compiled = module.compile_composer_scheduler(scheduler, state, 1.0)
    sequence = cfg.get("max_seq_len", 0)
    used = []
    while state.timestamp < state.max_duration:
        finished_early = False
        for (batch,) in loader:
            model(batch).sum().backward()
            used.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            optimizer.zero_grad()
            compiled.step()
            state.timestamp = state.timestamp.to_next_batch(
                samples=len(batch) * world_size,
                tokens=len(batch) * world_size * sequence,
                duration=datetime.timedelta(0),
            )
            if state.timestamp >= state.max_duration:
                finished_early = True
                break
        if not finished_early or state.dataloader_len == state.timestamp.batch_in_epoch:
            state.timestamp = state.timestamp.to_next_epoch()
    return used


def lrplot_lrs(path: Path, dataset_size: int | None = None, world_size: int | None = None) -> list[float]:
    config = lrplot.load(path, dataset_size=dataset_size, world_size=world_size)
    return lrplot.simulate(config).curves[0].groups[0].lr.tolist()


@pytest.mark.parametrize("path", FIXTURE_CONFIGS, ids=lambda p: p.stem)
@pytest.mark.parametrize(("dataset_size", "world_size"), [(10000, 8), (3333, 4)])
def test_fixture_yamls_match_composer_bit_for_bit(path: Path, dataset_size: int, world_size: int) -> None:
    assert lrplot_lrs(path, dataset_size, world_size) == trainer_lrs(path, dataset_size, world_size)


def test_a_batch_trains_with_the_lr_computed_after_the_previous_batch() -> None:
    """Composer steps the scheduler before the timestamp advances: batches 0 and 1 share lr(t=0)."""
    lrs = lrplot_lrs(FOUNDRY / "pretrain_testing.yaml")
    assert lrs[0] == lrs[1] == 0.0
    assert lrs[2] == pytest.approx(6e-4 / 100)
    assert max(lrs) == 6e-4 and lrs.index(6e-4) == 101


def test_batch_units_need_no_dataset_size() -> None:
    assert lrplot_lrs(FOUNDRY / "pretrain_mpt-125m.yaml") == trainer_lrs(
        FOUNDRY / "pretrain_mpt-125m.yaml", 999, 1
    )


def yaml_text(scheduler: dict[str, Any], max_duration: str, gb: int, drop_last: bool, seq: int = 128) -> str:
    lines = ["variables:", f"  max_seq_len: {seq}", "max_seq_len: ${variables.max_seq_len}", "scheduler:"]
    lines += [f"  {k}: {v}" for k, v in scheduler.items()]
    lines += [
        "optimizer:",
        "  name: decoupled_adamw",
        "  lr: 3.0e-4",
        "train_loader:",
        f"  drop_last: {drop_last}",
    ]
    lines += [
        f"max_duration: {max_duration}",
        f"global_train_batch_size: {gb}",
        "device_train_microbatch_size: 1",
    ]
    return "\n".join(lines) + "\n"


SCHEDULES = st.sampled_from(
    [
        {"name": "cosine_with_warmup", "alpha_f": 0.1},
        {"name": "linear_decay_with_warmup", "alpha_f": 0.0},
        {"name": "constant_with_warmup"},
        {"name": "PolynomialWithWarmupScheduler", "power": 2.0},
        {"name": "MultiStepWithWarmupScheduler", "milestones": "[0.5dur, 0.8dur]", "gamma": 0.5},
        {"name": "CosineAnnealingWarmRestartsScheduler", "t_0": "7ba", "t_mult": 2.0},
        {"name": "ExponentialScheduler", "gamma": 0.9, "decay_period": "1ep"},
    ]
)


@settings(max_examples=30, deadline=None)
@given(
    schedule=SCHEDULES,
    warmup=st.sampled_from(["0ba", "5ba", "0.1dur", "1ep", "64sp", "4096tok"]),
    duration=st.sampled_from(["60ba", "2ep", "3ep", "1000sp", "100000tok"]),
    world=st.sampled_from([1, 2, 4]),
    gb=st.sampled_from([8, 16, 32]),
    dataset=st.integers(40, 700),
    drop_last=st.booleans(),
)
def test_random_yamls_match_composer(
    tmp_path_factory, schedule, warmup, duration, world, gb, dataset, drop_last
):
    schedule = dict(schedule)
    if "WarmRestarts" not in schedule["name"] and "Exponential" not in schedule["name"]:
        schedule["t_warmup"] = warmup
    path = tmp_path_factory.mktemp("cp") / "train.yaml"
    path.write_text(yaml_text(schedule, duration, gb, drop_last))
    per_rank = dataset // world if drop_last else math.ceil(dataset / world)
    if (per_rank // (gb // world) if drop_last else 1) == 0:
        with pytest.raises(LrplotError, match="no full batch"):
            lrplot_lrs(path, dataset, world)
        return
    try:
        expected = trainer_lrs(path, dataset, world)
    except ValueError as composer_refused:  # Composer's own checks (warmup longer than the run, ...)
        with pytest.raises(LrplotError) as error:
            lrplot_lrs(path, dataset, world)
        assert str(composer_refused).splitlines()[0][:40] in str(error.value)
        return
    assert lrplot_lrs(path, dataset, world) == expected


def test_yamls_are_claimed_by_composer_only() -> None:
    for path in FIXTURE_CONFIGS:
        data = parse_yaml(path.read_text(), name=path.name).data
        claim = composer_format.identify(path, data)
        assert claim.confident and "max_duration" in claim.seen, path
    assert composer_format.identify(None, {"max_duration": 10, "scheduler": "cosine"}).score == 0.0
    assert not composer_format.identify(None, {"learning_rate": 1e-4, "max_steps": 10}).confident


BAD = [
    ("max_duration: 2ep", [], "give --dataset-size N", "max_duration"),
    ("max_duration: 10 batches", [], "max_duration should be a Composer time", "max_duration"),
    ("max_duration: 0.5dur", [], "cannot be in dur", "max_duration"),
    ("max_duration: 100ba\nworld: 1", ["--world-size", "3"], "not divisible by --world-size 3", "global_train_batch_size"),
]  # fmt: skip


@pytest.mark.parametrize(("duration", "args", "message", "key"), BAD)
def test_bad_yamls_fail_in_one_line_naming_the_key(cli, write_config, duration, args, message, key) -> None:
    text = yaml_text({"name": "cosine_with_warmup", "t_warmup": "10ba"}, "X", 16, True).replace(
        "max_duration: X", duration
    )
    path = write_config(text, name="train.yaml")
    result = cli("plot", path, "-o", path.with_suffix(".csv"), *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t.startswith(key))
    assert f"train.yaml:{line}" in result.stderr


def test_unknown_scheduler_names_the_valid_ones(cli, write_config) -> None:
    path = write_config(yaml_text({"name": "cosine_warmup"}, "10ba", 16, True), name="train.yaml")
    result = cli("plot", path, "-o", path.with_suffix(".csv"))
    assert result.exit_code == 2
    assert "cosine_with_warmup" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_real_subprocess_draws_a_foundry_figure(tmp_path: Path) -> None:
    import os

    out = tmp_path / "cp.png"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(FOUNDRY / "finetune_mpt-7b_dolly_sft.yaml"),
         "--dataset-size", "59310", "--world-size", "8", "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
