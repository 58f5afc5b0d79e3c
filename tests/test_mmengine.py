"""OpenMMLab (mmengine) configs: real configs plot as they are, bit for bit as mmengine steps them.

The oracle is mmengine itself: ``Config.fromfile`` parses the same files (in the test
only; lrplot never runs a config), mmengine's scheduler classes are built and stepped by
hand exactly as ``ParamSchedulerHook`` steps them, and one test runs a real
``Runner.train()`` on CPU, recording the lr every iteration uses.
"""

from __future__ import annotations

import copy
import logging
import textwrap
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lrplot
from tests.conftest import FIXTURES

MM = FIXTURES / "mmengine"
# (config, dataset size, world size, iterations per epoch as mmengine's samplers make it)
CASES = [
    ("mmdetection/configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py", 1000, 8, 63),
    ("mmdetection/configs/rtmdet/rtmdet_l_8xb32-300e_coco.py", 1000, 8, 4),
    ("mmdetection/configs/rtmdet/rtmdet_s_8xb32-300e_coco.py", 1000, 8, 4),
    ("mmpretrain/configs/resnet/resnet50_8xb32_in1k.py", 100, 1, 4),
    ("mmpretrain/configs/swin_transformer/swin-tiny_16xb64_in1k.py", 200, 2, 2),
    ("mmpretrain/configs/swin_transformer/swin-large_8xb8_cub-384px.py", 50, 1, 7),
    ("mmpretrain/configs/mae/benchmarks/vit-base-p16_8xb2048-linear-coslr-90e_in1k.py", 5000, 1, 2),
    ("mmsegmentation/configs/segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py", None, None, None),
]
SEGFORMER_STEPS = 4000  # its 160k iterations cut short: the prefix is what is compared


def _simulate(path: Path, dataset_size: int | None, world_size: int | None, sets: list[str] = ()) -> Any:
    config = lrplot.load(path, dataset_size=dataset_size, world_size=world_size, sets=list(sets))
    return config, lrplot.simulate(config, workers=1)


def _by_hand(path: Path, epoch_length: int | None, steps: int, lr_scale: float = 1.0) -> list[list[float]]:
    """mmengine parses the config and its schedulers are stepped as ParamSchedulerHook steps them."""
    import torch
    from mmengine.config import Config
    from mmengine.optim import OptimWrapper
    from mmengine.registry import PARAM_SCHEDULERS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = Config.fromfile(str(path)).to_dict()
    spec = cfg["optim_wrapper"]["optimizer"]
    lrs = [spec["lr"]]
    for value in cfg["optim_wrapper"].get("paramwise_cfg", {}).get("custom_keys", {}).values():
        if value.get("lr_mult", 1) != 1:
            lrs.append(spec["lr"] * value["lr_mult"])
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr * lr_scale} for lr in lrs]
    wrapper = OptimWrapper(torch.optim.SGD(groups, lr=lrs[0]))
    train = cfg["train_cfg"]
    epochs = train.get("by_epoch", train.get("type") == "EpochBasedTrainLoop")
    max_epochs = train["max_epochs"] if epochs else 1
    max_iters = max_epochs * epoch_length if epochs else train["max_iters"]
    entries = cfg["param_scheduler"]
    schedulers = []
    for entry in entries if isinstance(entries, list) else [entries]:
        entry = copy.deepcopy(entry)
        entry.setdefault("end", max_epochs if entry.get("by_epoch", True) else max_iters)
        schedulers.append(
            PARAM_SCHEDULERS.build(entry, default_args={"optimizer": wrapper, "epoch_length": epoch_length})
        )
    recorded = []
    for iteration in range(steps):
        recorded.append([group["lr"] for group in wrapper.optimizer.param_groups])
        wrapper.step()
        for scheduler in schedulers:
            if not scheduler.by_epoch:
                scheduler.step()
        if epochs and (iteration + 1) % epoch_length == 0:
            for scheduler in schedulers:
                if scheduler.by_epoch:
                    scheduler.step()
    return recorded


@pytest.mark.parametrize(("name", "dataset_size", "world_size", "epoch_length"), CASES)
def test_real_configs_match_mmengine_stepped_by_hand(
    name: str, dataset_size: int | None, world_size: int | None, epoch_length: int | None
) -> None:
    path = MM / name
    sets = [f"total_step={SEGFORMER_STEPS}"] if dataset_size is None else []
    _, result = _simulate(path, dataset_size, world_size, sets)
    curve = result.curves[0]
    assert curve.steps_per_epoch == epoch_length
    ours = np.stack([group.lr for group in curve.groups], axis=1).tolist()
    assert ours == _by_hand(path, epoch_length, curve.total_step)


def test_epoch_length_follows_world_size_batch_size_and_drop_last() -> None:
    # mae: batch_size 2048 with drop_last=True; 10000 samples over 2 processes: 5000 // 2048
    config = lrplot.load(MM / CASES[6][0], dataset_size=10000, world_size=2)
    assert config.curves[0].steps_per_epoch == 2 and config.curves[0].total_step == 90 * 2
    # faster-rcnn: batch_size 2, no drop_last: ceil(ceil(117266 / 8) / 2), the 7330 of mmdet's logs
    config = lrplot.load(MM / CASES[0][0], dataset_size=117266, world_size=8)
    assert config.curves[0].steps_per_epoch == 7330 and config.curves[0].total_step == 12 * 7330


def test_errors_point_at_the_base_file_that_set_the_value(cli, tmp_path: Path) -> None:
    result = cli("plot", MM / CASES[0][0], "-o", tmp_path / "x.png")
    assert result.exit_code == 2
    assert (
        "_base_/schedules/schedule_1x.py:3: this OpenMMLab config counts epochs: give --dataset-size N"
        in (result.stderr)
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_lr_multipliers_become_param_groups(cli, tmp_path: Path) -> None:
    result = cli("plot", MM / CASES[7][0], "--set", "total_step=10", "-o", tmp_path / "seg.csv", "-q")
    assert result.exit_code == 0, result.stderr
    rows = (tmp_path / "seg.csv").read_text().splitlines()
    assert rows[1].split(",")[1:] == ["default", "0", "6e-11"]
    assert rows[11].split(",")[1:] == ["head (lr_mult 10.0)", "0", "6e-10"]


def _write(tmp_path: Path, text: str, name: str = "config.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


RUNNER_CONFIG = """
    optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.08, momentum=0.9))
    param_scheduler = [
        dict(type='LinearLR', start_factor=0.01, by_epoch=True, end=2, convert_to_iter_based=True),
        dict(type='MultiStepLR', by_epoch=True, milestones=[3, 5], gamma=0.5, begin=1),
        dict(type='ExponentialLR', gamma=0.97, by_epoch=False, begin=25),
    ]
    train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6)
    auto_scale_lr = dict(enable=True, base_batch_size=16)
    train_dataloader = dict(batch_size=4, drop_last=True)
"""


def _real_runner(tmp_path: Path, text: str) -> list[dict[str, Any]]:
    """Train a tiny model with mmengine's real Runner on 23 samples; param group 0 at every iteration."""
    import torch
    from mmengine.hooks import Hook
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Tiny(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(1, 1)

        def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
            loss = self.layer(torch.stack(list(inputs))).pow(2).mean()
            return {"loss": loss} if mode == "loss" else loss

    class Record(Hook):
        def __init__(self) -> None:
            self.groups: list[dict[str, Any]] = []

        def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
            group = runner.optim_wrapper.param_groups[0]
            self.groups.append({k: copy.copy(v) for k, v in group.items() if k != "params"})

    class Samples(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 23

        def __getitem__(self, index: int) -> dict[str, Any]:
            return {"inputs": torch.tensor([float(index)])}

    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(text), namespace)  # the test's own config, to hand it to mmengine
    record = Record()
    runner = Runner(
        model=Tiny(),
        work_dir=str(tmp_path / "work"),
        train_dataloader=dict(
            dataset=Samples(),
            sampler=dict(type="DefaultSampler", shuffle=False),
            batch_size=4,
            drop_last=True,
        ),
        optim_wrapper=namespace["optim_wrapper"],
        param_scheduler=namespace["param_scheduler"],
        train_cfg=namespace["train_cfg"],
        auto_scale_lr=namespace.get("auto_scale_lr"),
        custom_hooks=[record],
        default_hooks=dict(param_scheduler=dict(type="ParamSchedulerHook"), logger=None, checkpoint=None),
        log_level="ERROR",
    )
    logging.getLogger("mmengine").setLevel(logging.ERROR)
    runner.train()
    return record.groups


def test_a_real_runner_train_uses_the_same_lr_every_iteration(tmp_path: Path) -> None:
    path = _write(tmp_path, RUNNER_CONFIG)
    lrs = [group["lr"] for group in _real_runner(tmp_path, RUNNER_CONFIG)]
    _, result = _simulate(path, dataset_size=23, world_size=None)
    assert len(lrs) == 6 * (23 // 4) == result.curves[0].total_step
    assert result.curves[0].groups[0].lr.tolist() == lrs
    assert lrs[0] == 0.08 * 4 / 16 * 0.01  # auto_scale_lr: world 1 x batch 4 / 16
    assert result.curves[0].groups[0].momentum is None  # no scheduler changes it: no panel


MOMENTUM_CONFIG = """
    optim_wrapper = dict(optimizer=dict({optimizer}))
    param_scheduler = [
        dict(type='CosineAnnealingLR', T_max=6, by_epoch=True, convert_to_iter_based=True),
        dict(type='CosineAnnealingMomentum', T_max=6, eta_min=0.85, by_epoch=True, convert_to_iter_based=True),
        dict(type='LinearParamScheduler', param_name='weight_decay', start_factor=1.0, end_factor=0.1,
             by_epoch=False),
    ]
    train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6)
    train_dataloader = dict(batch_size=4, drop_last=True)
"""


@pytest.mark.parametrize(
    ("optimizer", "key"),
    [("type='SGD', lr=0.1, momentum=0.95, weight_decay=0.01", "momentum"),
     ("type='AdamW', lr=0.001, betas=(0.95, 0.999), weight_decay=0.05", "betas")],
)  # fmt: skip
def test_momentum_and_weight_decay_schedulers_are_recorded_as_a_real_runner_sees_them(
    tmp_path: Path, optimizer: str, key: str
) -> None:
    text = MOMENTUM_CONFIG.replace("{optimizer}", optimizer)
    groups = _real_runner(tmp_path, text)
    _, result = _simulate(_write(tmp_path, text), dataset_size=23, world_size=None)
    traced = result.curves[0].groups[0]
    assert traced.lr.tolist() == [group["lr"] for group in groups]
    first = [group[key][0] if key == "betas" else group[key] for group in groups]
    assert traced.momentum is not None and traced.momentum.tolist() == first
    assert min(first) < first[0]  # it really moved
    assert traced.weight_decay is not None
    assert traced.weight_decay.tolist() == [group["weight_decay"] for group in groups]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n"
            "param_scheduler = [dict(type='CosineAnnealingLR', T_mx=10)]\n"
            "train_cfg = dict(by_epoch=False, max_iters=20)\n",
            "config.py:2: curve 'SGD + CosineAnnealingLR': param_scheduler[0]: CosineAnnealingLR has no "
            "keyword 'T_mx' (did you mean 'T_max'?)",
        ),
        (
            "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n"
            "param_scheduler = [dict(type='QuadraticWarmupLR', end=5, by_epoch=False)]\n"
            "train_cfg = dict(by_epoch=False, max_iters=20)\n",
            "config.py:2: curve 'SGD + QuadraticWarmupLR': param_scheduler[0]: 'QuadraticWarmupLR' is not one "
            "of mmengine's schedulers",
        ),
        (
            "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n"
            "param_scheduler = [dict(type='LinearLR', begin=5, end=5, by_epoch=False)]\n"
            "train_cfg = dict(by_epoch=False, max_iters=20)\n",
            "config.py:2: param_scheduler[0]: end (5) should be larger than begin (5)",
        ),
        (
            "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n"
            "param_scheduler = []\ntrain_cfg = dict(type='IterBasedTrainLoop', by_epoch=False, max_iters=20)\n",
            "config.py:3: train_cfg has both type and by_epoch (mmengine refuses it too)",
        ),
        (
            "import os\noptim_wrapper = dict(optimizer=dict(type='SGD', lr=float(os.environ['LR'])))\n"
            "param_scheduler = []\ntrain_cfg = dict(by_epoch=False, max_iters=20)\n",
            "config.py:2: optim_wrapper.optimizer.lr cannot be read: uses the imported os.environ, which lrplot "
            "does not import",
        ),
        (
            "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\nparam_scheduler = []\n"
            "train_cfg = dict(by_epoch=False, max_iters=20)\n"
            "default_hooks = dict(param_scheduler=dict(type='YOLOv5ParamSchedulerHook', lr_factor=0.01))\n",
            "config.py:4: default_hooks.param_scheduler is YOLOv5ParamSchedulerHook, which computes the lr",
        ),
        (
            "optimizer = dict(type='SGD', lr=0.02)\nlr_config = dict(policy='step', step=[8, 11])\n"
            "runner = dict(type='EpochBasedRunner', max_epochs=12)\n",
            "config.py:2: an OpenMMLab 1.x (mmcv) config (lr_config/runner)",
        ),
        (
            "_base_ = './missing.py'\noptim_wrapper = dict(optimizer=dict(lr=0.1))\n",
            "config.py:1: _base_ file './missing.py' not found",
        ),
        (
            "from mmengine.config import read_base\nwith read_base():\n    from .base import *\n",
            "config.py:2: mmengine's new-style config (with read_base(): ...) is not read yet",
        ),
    ],
)
def test_bad_configs_are_one_line_with_their_line_and_exit_2(
    cli, tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    result = cli("plot", path, "-o", tmp_path / "out.png")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bases_merge_with_delete_and_base_references(tmp_path: Path) -> None:
    _write(
        tmp_path,
        """
        lr = 0.1
        gamma = 0.5
        optim_wrapper = dict(optimizer=dict(type='SGD', lr=lr, momentum=0.9, nesterov=True))
        param_scheduler = [dict(type='StepLR', step_size=2, by_epoch=False)]
        train_cfg = dict(by_epoch=False, max_iters=6)
        """,
        "base.py",
    )
    path = _write(
        tmp_path,
        """
        _base_ = './base.py'
        optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=_base_.lr * 2))
        param_scheduler = [dict(type='StepLR', step_size=_base_.train_cfg.max_iters // 3,
                                gamma={{_base_.gamma}}, by_epoch=False)]
        """,
    )
    config, result = _simulate(path, None, None)
    assert config.curves[0].optimizer.name == "AdamW"
    assert result.curves[0].groups[0].lr.tolist() == [0.2, 0.2, 0.1, 0.1, 0.05, 0.05]
    assert config.where(("curves", 0, "optimizer", "lr")).endswith("config.py:3")


def test_a_loader_a_statement_may_have_changed_is_not_read_and_the_message_says_what_else_works(
    cli, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\nparam_scheduler = []\n"
        "train_cfg = dict(by_epoch=True, max_epochs=2)\ntrain_dataloader = dict(batch_size=2)\n"
        "patch(train_dataloader)\n",
    )
    result = cli("plot", path, "--dataset-size", "10", "-o", tmp_path / "out.png")
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "config.py:5: train_dataloader cannot be read: a bare expression at line 5, which lrplot does not "
        "run; give --steps-per-epoch N instead"
    )
    result = cli("plot", path, "--steps-per-epoch", "3", "-o", tmp_path / "out.csv", "-q")
    assert result.exit_code == 0 and len((tmp_path / "out.csv").read_text().splitlines()) == 1 + 2 * 3
