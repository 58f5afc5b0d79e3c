"""litgpt config_hub YAML: lrplot's reading of litgpt's training loops against verbatim litgpt code.

The oracles use litgpt's own functions, kept verbatim in tests/fixtures/litgpt (source and
commit noted there): ``get_lr`` (pretrain.py), ``get_lr_scheduler`` (finetune/lora.py) and
``TrainArgs`` (args.py), driven by loops written as litgpt's ``fit`` functions run
(Lightning-AI/litgpt at 26857050fe3ff627cd714fe92f5838f51a3d5efa: pretrain.py lines 321-363,
finetune/lora.py lines 200-202 and 318-367).
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, DistributedSampler

import lrplot
from lrplot.config.loading import from_source
from lrplot.read.yaml_source import YamlSource, load_yaml_file
from tests.conftest import FIXTURES

LITGPT = FIXTURES / "litgpt"
# litgpt's TrainArgs warns about warmup longer than max_steps; the random runs make such cases on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:`--train.lr_warmup_steps` should be less:UserWarning")


def verbatim(name: str) -> dict:
    """Execute one verbatim litgpt fixture and return its namespace."""
    path = LITGPT / name
    namespace: dict = {"math": math, "torch": torch, "warnings": __import__("warnings")}
    exec("from dataclasses import dataclass", namespace)
    exec(compile(ast.parse(path.read_text()), str(path), "exec"), namespace)
    return namespace


GET_LR = verbatim("pretrain_get_lr_2685705.txt")["get_lr"]
GET_LR_SCHEDULER = verbatim("finetune_get_lr_scheduler_2685705.txt")["get_lr_scheduler"]
TRAIN_ARGS = verbatim("args_train_args_2685705.txt")["TrainArgs"]
TRAIN_FIELDS = (
    "global_batch_size", "micro_batch_size", "lr_warmup_steps", "lr_warmup_fraction", "epochs",
    "max_tokens", "max_steps", "max_seq_length", "min_lr",
)  # fmt: skip


def train_args(data: dict) -> object:
    return TRAIN_ARGS(**{k: v for k, v in data["train"].items() if k in TRAIN_FIELDS})


def pretrain_lrs(data: dict, world: int, sequence: int) -> list[float]:
    """pretrain.py fit(): lr set before every iteration, the optimizer steps every G-th."""
    train = train_args(data)
    learning_rate = data["optimizer"]["init_args"]["lr"]
    max_tokens_per_device = train.max_tokens // world
    tokens_per_iter = train.micro_batch_size * sequence
    max_iters = max_tokens_per_device // tokens_per_iter
    warmup_iters = train.warmup_iters(world, 1, max_iters, None)
    accumulation = train.gradient_accumulation_iters(world, 1)
    used, iter_num = [], 0
    while iter_num < max_iters:  # `if state["iter_num"] >= max_iters: break`
        lr = GET_LR(learning_rate, iter_num, warmup_iters, max_iters, train.min_lr)
        iter_num += 1
        if iter_num % accumulation == 0:  # not is_accumulating: optimizer.step()
            used.append(lr)
    return used


def finetune_lrs(data: dict, world: int, dataset_size: int) -> list[float]:
    """finetune/lora.py setup() and fit(): SequentialLR stepped after every optimizer step."""
    train = train_args(data)
    dataset = range(dataset_size)
    sampler = DistributedSampler(dataset, num_replicas=world, rank=0) if world > 1 else None
    loader_length = len(DataLoader(dataset, batch_size=train.micro_batch_size, sampler=sampler))
    accumulation = train.gradient_accumulation_iters(world, 1)
    steps_per_epoch = loader_length // accumulation
    lr_max_steps = min(train.epochs * steps_per_epoch, (train.max_steps or float("inf")))
    optimizer = torch.optim.AdamW(
        [torch.nn.Parameter(torch.zeros(1))], lr=data["optimizer"]["init_args"]["lr"]
    )
    scheduler = GET_LR_SCHEDULER(optimizer, warmup_steps=train.lr_warmup_steps, max_steps=lr_max_steps)
    max_steps = train.max_steps or float("inf")
    used, step_count, iter_num, epoch, position = [], 0, 0, 0, 0
    while step_count < max_steps:
        iter_num += 1
        if position == loader_length:  # CycleIterator: a new pass over the loader
            position, epoch = 0, epoch + 1
        position += 1
        if epoch >= train.epochs:
            break
        if iter_num % accumulation == 0:
            used.append(optimizer.param_groups[0]["lr"])
            scheduler.step()
            step_count += 1
    return used


def lrplot_lrs(path: Path, **options) -> list[float]:
    return lrplot.simulate(lrplot.load(path, **options)).curves[0].groups[0].lr.tolist()


@pytest.mark.parametrize(
    ("name", "world", "sequence"),
    [
        ("pretrain_debug.yaml", 4, 512),
        ("pretrain_tinyllama.yaml", 8, 2048),
        ("pretrain_debug.yaml", 1, 512),
    ],
)
def test_pretrain_configs_match_litgpt(name: str, world: int, sequence: int) -> None:
    data = load_yaml_file(LITGPT / name).data
    if (
        name == "pretrain_tinyllama.yaml"
    ):  # 2.9 million optimizer steps of 16 iterations: the iteration loop would take minutes
        train = train_args(data)
        max_iters = (train.max_tokens // world) // (train.micro_batch_size * sequence)
        accumulation = train.gradient_accumulation_iters(world, 1)
        warmup = train.warmup_iters(world, 1, max_iters, None)
        expected = [
            GET_LR(4e-4, (s + 1) * accumulation - 1, warmup, max_iters, train.min_lr)
            for s in range(max_iters // accumulation)
        ]
    else:
        expected = pretrain_lrs(data, world, sequence)
    assert lrplot_lrs(LITGPT / name, world_size=world) == expected


@pytest.mark.parametrize(
    ("name", "world", "size"),
    [
        ("finetune_llama-3.2-1B_lora.yaml", None, 1900),
        ("finetune_phi-2_full.yaml", None, 52_002),
        ("finetune_tiny-llama_qlora.yaml", None, 1000),
        ("finetune_llama-3.2-1B_lora.yaml", 2, 1001),
    ],
)
def test_finetune_configs_match_litgpt(name: str, world: int | None, size: int) -> None:
    data = load_yaml_file(LITGPT / name).data
    expected = finetune_lrs(data, world or data["devices"], size)
    assert lrplot_lrs(LITGPT / name, world_size=world, dataset_size=size) == expected


@settings(max_examples=40, deadline=None)
@given(
    micro=st.integers(1, 4),
    accumulation=st.integers(1, 4),
    world=st.integers(1, 3),
    warmup=st.integers(1, 12),
    epochs=st.integers(1, 3),
    max_steps=st.one_of(st.none(), st.integers(1, 40)),
    size=st.integers(1, 120),
)
def test_random_finetune_runs_match_litgpt(
    micro, accumulation, world, warmup, epochs, max_steps, size
) -> None:
    data = {
        "checkpoint_dir": "checkpoints/x", "devices": world, "num_nodes": 1,
        "optimizer": {"class_path": "torch.optim.AdamW", "init_args": {"lr": 0.001}},
        "train": {"global_batch_size": micro * accumulation * world, "micro_batch_size": micro,
                  "lr_warmup_steps": warmup, "epochs": epochs, "max_steps": max_steps, "min_lr": 0.0},
    }  # fmt: skip
    try:
        expected = finetune_lrs(data, world, size)
    except ZeroDivisionError:  # CosineAnnealingLR with T_max 0 fails in torch, as in litgpt
        return
    if not expected:
        return
    config = from_source(YamlSource(data=data, name="lora.yaml"), dataset_size=size)
    assert lrplot.simulate(config).curves[0].groups[0].lr.tolist() == expected


@settings(max_examples=40, deadline=None)
@given(
    micro=st.integers(1, 4),
    accumulation=st.integers(1, 5),
    world=st.integers(1, 3),
    warmup=st.integers(0, 30),
    sequence=st.integers(1, 16),
    tokens=st.integers(1, 20_000),
    min_lr=st.sampled_from([0.0, 4e-5]),
)
def test_random_pretrain_runs_match_litgpt(
    micro, accumulation, world, warmup, sequence, tokens, min_lr
) -> None:
    data = {
        "model_name": "x", "devices": world, "num_nodes": 1,
        "optimizer": {"class_path": "torch.optim.AdamW", "init_args": {"lr": 4e-4}},
        "train": {"global_batch_size": micro * accumulation * world, "micro_batch_size": micro,
                  "lr_warmup_steps": warmup, "max_tokens": tokens, "max_seq_length": sequence, "min_lr": min_lr},
    }  # fmt: skip
    expected = pretrain_lrs(data, world, sequence)
    if not expected:
        return
    config = from_source(YamlSource(data=data, name="pretrain.yaml"))
    assert lrplot.simulate(config).curves[0].groups[0].lr.tolist() == expected


BAD = [
    ("finetune_llama-3.2-1B_lora.yaml", [], "give --dataset-size N", None),
    ("pretrain_tinyllama.yaml", [], "devices: auto uses every GPU", None),
    ("pretrain_microllama.yaml", ["--world-size", "8"], "leaves no full micro-batch", 41),
]


@pytest.mark.parametrize(("name", "options", "message", "line"), BAD)
def test_bad_litgpt_runs_fail_in_one_line(cli, tmp_path, name, options, message, line) -> None:
    result = cli("plot", LITGPT / name, *options, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"{name}:{line}: " in result.stderr if line else f"{name}: " in result.stderr


def test_bad_litgpt_values_point_at_their_line(cli, write_config) -> None:
    path = write_config(
        "checkpoint_dir: c\ndevices: 1\ntrain:\n  global_batch_size: 8\n  micro_batch_size: 1\n"
        "  lr_warmup_steps:\n  epochs: 2\n  min_lr: 0.0\noptimizer: AdamW\n",
        name="lora.yaml",
    )
    result = cli("plot", path, "--dataset-size", "100", "-o", path.with_suffix(".csv"))
    assert result.exit_code == 2
    assert (
        "lora.yaml:6: " in result.stderr
        and "train.lr_warmup_steps should be a positive integer" in result.stderr
    )


def test_notes_and_the_optimizer_default_lr(write_config) -> None:
    path = write_config(
        "checkpoint_dir: c\ndevices: 1\ntrain:\n  global_batch_size: 8\n  micro_batch_size: 2\n"
        "  lr_warmup_steps: 3\n  epochs: 2\n  min_lr: 0.0\noptimizer: AdamW\n",
        name="lora.yaml",
    )
    config = lrplot.load(path, dataset_size=40)
    assert any("torch's default, 0.001" in note for note in config.notes)
    assert any("train.min_lr is not used" in note for note in config.notes)
    assert config.curves[0].total_step == 10
