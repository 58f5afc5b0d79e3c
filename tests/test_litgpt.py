"""litgpt config_hub YAML: lrplot's reading of litgpt's training loops against litgpt's values.

The expected lrs are golden data (tests/fixtures/litgpt/golden_*.json, see SOURCES.md there),
recorded by running litgpt's own functions at Lightning-AI/litgpt 26857050fe3ff627cd714fe92f5838f51a3d5efa:
``get_lr`` (pretrain.py) and ``get_lr_scheduler`` (finetune/lora.py) with ``TrainArgs`` (args.py),
driven by loops written as litgpt's ``fit`` functions run (pretrain.py lines 321-363,
finetune/lora.py lines 200-202 and 318-367), over the real configs here and a fixed grid of runs
(micro/global batch, world size, warmup, epochs vs max_steps, dataset size, tokens, min_lr).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.config.loading import from_source
from lrplot.read.yaml_source import YamlSource
from tests.conftest import FIXTURES
from tests.golden import check_source, golden_cases, recorded_steps

LITGPT = FIXTURES / "litgpt"
PRETRAIN = LITGPT / "golden_pretrain_get_lr.json"
FINETUNE = LITGPT / "golden_finetune_get_lr_scheduler.json"


def lrplot_lrs(config: Any) -> list[float]:
    return lrplot.simulate(config).curves[0].groups[0].lr.tolist()


@pytest.mark.parametrize("path", [PRETRAIN, FINETUNE], ids=lambda p: p.name)
def test_golden_files_name_their_source(path) -> None:
    check_source(path)


@pytest.mark.parametrize("case", golden_cases(PRETRAIN))
def test_pretrain_runs_match_litgpt_bit_for_bit(case: dict[str, Any]) -> None:
    if case.get("config"):
        config = lrplot.load(LITGPT / case["config"], world_size=case["world_size"])
    else:
        config = from_source(YamlSource(data=case["data"], name="pretrain.yaml"))
    assert recorded_steps(lrplot_lrs(config), case) == case["lr"]


@pytest.mark.parametrize("case", golden_cases(FINETUNE))
def test_finetune_runs_match_litgpt_bit_for_bit(case: dict[str, Any]) -> None:
    if case.get("config"):
        config = lrplot.load(
            LITGPT / case["config"], world_size=case["world_size"], dataset_size=case["dataset_size"]
        )
    else:
        config = from_source(
            YamlSource(data=case["data"], name="lora.yaml"), dataset_size=case["dataset_size"]
        )
    assert recorded_steps(lrplot_lrs(config), case) == case["lr"]


@settings(max_examples=40, deadline=None)
@given(
    micro=st.integers(1, 4),
    accumulation=st.integers(1, 4),
    world=st.integers(1, 3),
    warmup=st.integers(1, 12),
    epochs=st.integers(1, 3),
    size=st.integers(1, 120),
)
def test_random_finetune_runs_last_epochs_times_the_optimizer_steps_per_epoch(
    micro, accumulation, world, warmup, epochs, size
) -> None:
    """Properties that need no litgpt code: one optimizer step per `accumulation` micro-batches of
    this rank's share of the data over all epochs, a linear warmup from 0, never above the peak."""
    data = {
        "checkpoint_dir": "checkpoints/x", "devices": world, "num_nodes": 1,
        "optimizer": {"class_path": "torch.optim.AdamW", "init_args": {"lr": 0.001}},
        "train": {"global_batch_size": micro * accumulation * world, "micro_batch_size": micro,
                  "lr_warmup_steps": warmup, "epochs": epochs, "min_lr": 0.0},
    }  # fmt: skip
    per_rank = math.ceil(size / world) if world > 1 else size  # DistributedSampler pads to equal shares
    batches = math.ceil(per_rank / micro)  # the DataLoader's length
    steps = epochs * batches // accumulation  # litgpt counts iterations across epochs
    if epochs * (batches // accumulation) <= warmup:  # litgpt's cosine would get T_max <= 0
        return
    lrs = lrplot_lrs(from_source(YamlSource(data=data, name="lora.yaml"), dataset_size=size))
    assert len(lrs) == steps
    assert lrs[: warmup + 1] == pytest.approx([0.001 * i / warmup for i in range(warmup + 1)], rel=1e-12)
    assert all(-1e-15 <= v <= 0.001 * (1 + 1e-12) for v in lrs)


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
