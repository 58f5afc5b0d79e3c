"""torchtune recipe configs against torchtune's own code, driven as its recipes drive it.

The oracle (:func:`recipe_lrs`) is the recipe's loop on a tiny model: the config loaded by
OmegaConf (as ``tune run`` does), the optimizer, a ``DistributedSampler`` over the data-parallel
ranks and a ``DataLoader(drop_last=True)`` (the base classes of torchtune's stateful ones),
``steps_per_epoch = len(dataloader) // gradient_accumulation_steps`` capped by
``max_steps_per_epoch``, the scheduler from torchtune's real ``config.instantiate`` with
``num_training_steps`` and ``last_epoch``, then per batch ``backward``, and every
``gradient_accumulation_steps`` batches ``optimizer.step()`` then ``lr_scheduler.step()``
(recipes/full_finetune_single_device.py and lora_finetune_single_device.py at v0.6.1,
a6290a5b40758f13bca61c386bc8756a49ef417e). The lr each ``optimizer.step()`` used is recorded.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.formats import torchtune as torchtune_format
from lrplot.read.yaml_source import parse_yaml
from tests.conftest import FIXTURES, ROOT

pytest.importorskip("omegaconf")
if importlib.util.find_spec("torchtune") is None:
    pytest.skip("torchtune is not installed (pip install --no-deps torchtune)", allow_module_level=True)

TUNE = FIXTURES / "torchtune"
FIXTURE_CONFIGS = sorted(TUNE.glob("*.yaml"))


def installed_configs() -> list[Path]:
    """Every recipe config the installed torchtune wheel ships that has an optimizer and epochs."""
    spec = importlib.util.find_spec("recipes")
    if spec is None or not spec.submodule_search_locations:
        return []
    found = []
    for path in sorted(Path(spec.submodule_search_locations[0], "configs").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if (
            "\noptimizer:" in text
            and "\nepochs:" in text
            and "ppo" not in path.stem
            and "grpo" not in path.stem
        ):
            found.append(path)
    return found


def _instantiate() -> Any:
    from lrplot.plan.drivers.unexecuted import register_unexecuted

    register_unexecuted("torchtune")
    register_unexecuted("torchtune.config")
    return importlib.import_module("torchtune.config._instantiate").instantiate


def recipe_lrs(path: Path, dataset_size: int, world_size: int = 1) -> list[float]:
    """The lr of every optimizer step of the recipe's loop on rank 0 (see the module docstring)."""
    import torch
    from omegaconf import OmegaConf
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    cfg = OmegaConf.load(path)
    model = torch.nn.Linear(2, 1)
    lr = float(cfg.optimizer.lr)
    component = cfg.optimizer._component_
    optimizer_class = (
        getattr(torch.optim, component.rsplit(".", 1)[-1]) if component.startswith("torch.") else None
    )
    optimizer = (optimizer_class or torch.optim.AdamW)(model.parameters(), lr=lr)
    replicas = (
        world_size // cfg.get("tensor_parallel_dim", 1) if "full_finetune" in _recipe(path) else world_size
    )
    data = TensorDataset(torch.randn(dataset_size, 2))
    sampler = DistributedSampler(data, num_replicas=replicas, rank=0, shuffle=False)
    loader = DataLoader(data, batch_size=cfg.batch_size, sampler=sampler, drop_last=True)
    accumulation = cfg.get("gradient_accumulation_steps", 1)
    steps_per_epoch = len(loader) // accumulation
    limit = cfg.get("max_steps_per_epoch")
    if limit is not None and limit < steps_per_epoch:
        steps_per_epoch = limit
    scheduler = None
    if cfg.get("lr_scheduler") is not None:
        scheduler = _instantiate()(
            cfg.lr_scheduler, optimizer, num_training_steps=cfg.epochs * steps_per_epoch, last_epoch=-1
        )
    used = []
    optimizer.zero_grad()
    for _epoch in range(cfg.epochs):
        for idx, (batch,) in enumerate(loader):
            model(batch).sum().backward()
            if (idx + 1) % accumulation == 0:
                used.append(optimizer.param_groups[0]["lr"])
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                if scheduler is not None:
                    scheduler.step()
            if (idx + 1) // accumulation == limit:
                break
    return used


def _recipe(path: Path) -> str:
    """The recipe a config's header says to run (``tune run <recipe> --config ...``)."""
    text = path.read_text(encoding="utf-8")
    start = text.find("tune run ")
    words = text[start:].split() if start >= 0 else []
    names = [w for w in words[2:6] if not w.startswith("-") and "=" not in w]
    return names[0] if names else ""


def lrplot_lrs(path: Path, dataset_size: int, world_size: int | None = None) -> list[float]:
    config = lrplot.load(path, dataset_size=dataset_size, world_size=world_size)
    return lrplot.simulate(config).curves[0].groups[0].lr.tolist()


RUNS = [(2000, 1), (3001, 2), (777, 3)]


@pytest.mark.parametrize("path", FIXTURE_CONFIGS, ids=lambda p: p.stem)
@pytest.mark.parametrize(("dataset_size", "world_size"), RUNS)
def test_fixture_recipes_match_torchtune_bit_for_bit(path: Path, dataset_size: int, world_size: int) -> None:
    assert lrplot_lrs(path, dataset_size, world_size) == recipe_lrs(path, dataset_size, world_size)


@pytest.mark.parametrize("path", installed_configs(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_config_torchtune_ships_matches_its_recipe(path: Path) -> None:
    """Configs lrplot never collected: the installed wheel's own recipes/configs."""
    world = 1 if "single_device" in path.stem else 8
    assert lrplot_lrs(path, 1234, world) == recipe_lrs(path, 1234, world)


def test_installed_wheel_ships_configs_to_check() -> None:
    assert len(installed_configs()) > 50


def recipe_text(schedule: dict[str, Any] | None, **keys: Any) -> str:
    lines = ["optimizer:", "  _component_: torch.optim.AdamW", "  lr: 3e-4", "  fused: True"]
    if schedule is not None:
        lines += [
            "lr_scheduler:",
            "  _component_: torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup",
        ]
        lines += [f"  {k}: {v}" for k, v in schedule.items()]
    lines += ["model:", "  _component_: torchtune.models.llama3_2.llama3_2_1b"]
    lines += [f"{k}: {'null' if v is None else v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None)
@given(
    dataset=st.integers(1, 600),
    batch=st.integers(1, 9),
    accumulation=st.integers(1, 6),
    epochs=st.integers(1, 3),
    warmup=st.integers(0, 40),
    cycles=st.sampled_from([0.5, 1.0, 0.25, 2]),
    limit=st.one_of(st.none(), st.integers(1, 30)),
    world=st.integers(1, 4),
)
def test_random_recipes_match_torchtune(
    tmp_path_factory, dataset, batch, accumulation, epochs, warmup, cycles, limit, world
) -> None:
    path = tmp_path_factory.mktemp("tt") / "x_lora_single_device.yaml"
    path.write_text(
        recipe_text(
            {"num_warmup_steps": warmup, "num_cycles": cycles},
            batch_size=batch,
            gradient_accumulation_steps=accumulation,
            epochs=epochs,
            max_steps_per_epoch=limit,
        )
    )
    per_epoch = math.ceil(dataset / world) // batch // accumulation
    if limit is not None:
        per_epoch = min(per_epoch, limit)
    if per_epoch == 0:
        with pytest.raises(LrplotError, match="0 optimizer steps per epoch"):
            lrplot_lrs(path, dataset, world)
        return
    expected = recipe_lrs(path, dataset, world)
    assert len(expected) == epochs * per_epoch
    assert lrplot_lrs(path, dataset, world) == expected


def test_max_steps_per_epoch_without_dataset_size_is_taken_with_a_note() -> None:
    path = TUNE / "llama3_1_8B_lora_dpo_single_device.yaml"
    result = lrplot.simulate(lrplot.load(path))
    assert any("max_steps_per_epoch 1000 taken as the steps per epoch" in w for w in result.warnings)
    lrs = result.curves[0].groups[0].lr.tolist()
    assert len(lrs) == 1000
    assert lrs == recipe_lrs(path, 1000 * 4 * 8)


def test_torchtune_configs_are_not_claimed_by_other_formats() -> None:
    for path in FIXTURE_CONFIGS:
        data = parse_yaml(path.read_text(), name=path.name).data
        claim = torchtune_format.identify(path, data)
        assert claim.confident, path
        assert "optimizer._component_" in claim.seen
    hydra_like = {
        "optimizer": {"_target_": "torch.optim.AdamW", "lr": 1e-3},
        "lr_scheduler": {"_target_": "x"},
    }
    assert not torchtune_format.identify(None, hydra_like).confident
    trainer = {"learning_rate": 1e-4, "gradient_accumulation_steps": 2, "num_train_epochs": 3}
    assert torchtune_format.identify(None, trainer).score == 0.0


BAD = [
    ({"num_warmup_steps": 10}, {"epochs": 1, "batch_size": 4}, [], "give --dataset-size N", None),
    ({"num_warmup_steps": 10}, {"epochs": 0, "batch_size": 4}, ["--dataset-size", "100"], "epochs should be", "epochs"),
    ({"num_warmup_steps": 10}, {"epochs": 1, "batch_size": 64}, ["--dataset-size", "10"], "0 optimizer steps", "batch_size"),
    ({"warmup": 10}, {"epochs": 1, "batch_size": 4}, ["--dataset-size", "100"], "unexpected keyword argument 'warmup'", "lr_scheduler"),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "keys", "args", "message", "key"), BAD)
def test_bad_recipes_fail_in_one_line_naming_the_key(
    cli, write_config, schedule, keys, args, message, key
) -> None:
    path = write_config(recipe_text(schedule, **keys), name="r.yaml")
    result = cli("plot", path, "-o", path.with_suffix(".csv"), *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    if key is not None:
        line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith(key))
        assert f"r.yaml:{line}" in result.stderr


def test_cli_draws_a_distributed_recipe_with_world_size(cli, tmp_path: Path) -> None:
    out = tmp_path / "tt.csv"
    path = TUNE / "llama3_1_8B_lora.yaml"
    result = cli("plot", path, "--dataset-size", "52002", "--world-size", "8", "-o", out)
    assert result.exit_code == 0, result.output
    rows = out.read_text().splitlines()[1:]
    assert len(rows) == 406  # ceil(52002 / 8) = 6501 samples a rank, 3250 batches of 2, 406 steps of 8
    assert [float(r.split(",")[3]) for r in rows] == recipe_lrs(path, 52002, 8)


def test_a_real_subprocess_draws_a_recipe_figure(tmp_path: Path) -> None:
    out = tmp_path / "tt.png"
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(TUNE / "llama3_2_3B_lora_single_device.yaml"),
         "--dataset-size", "5000", "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
