"""A real transformers.Trainer on CPU is the oracle: lrplot's curve for a Trainer-style
config and a dataset of N examples must be the lr every optimizer step of the real run
used, bit for bit (epochs, batch size, gradient accumulation, max_steps, warmup, schedulers,
and DeepSpeed's scheduler block with "auto" values).

The lr is recorded by torch's global optimizer pre-step hook, i.e. exactly the value the
step used (a TrainerCallback.on_optimizer_step would be one step late under DeepSpeed,
whose engine steps optimizer and scheduler inside backward()).
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

import lrplot
from tests.conftest import FIXTURES, same_bits

pytestmark = pytest.mark.filterwarnings("ignore:OMP_NUM_THREADS:UserWarning")

transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")
torch = pytest.importorskip("torch")


class TinyModel(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(1, 1)

    def forward(self, x: Any, labels: Any) -> dict[str, Any]:
        return {"loss": torch.nn.functional.mse_loss(self.linear(x).squeeze(-1), labels)}


class TinyDataset(torch.utils.data.Dataset):
    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {"x": torch.tensor([index / 10]), "labels": torch.tensor(index / 10)}


def trainer_lrs(size: int, **arguments: Any) -> list[float]:
    """Train for real; the lr of param group 0 at each optimizer.step()."""
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    used: list[float] = []
    handle = register_optimizer_step_pre_hook(
        lambda optimizer, args, kwargs: used.append(float(optimizer.param_groups[0]["lr"]))
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            args = transformers.TrainingArguments(
                output_dir=tmp, use_cpu=True, report_to="none", save_strategy="no", logging_strategy="no",
                disable_tqdm=True, **arguments,
            )  # fmt: skip
            trainer = transformers.Trainer(model=TinyModel(), args=args, train_dataset=TinyDataset(size))
            trainer.train()
            assert trainer.state.global_step == len(used)
    finally:
        handle.remove()
    return used


def lrplot_lrs(config: dict[str, Any], size: int, name: str = "train.yaml") -> Any:
    loaded = lrplot.loads(yaml.safe_dump(config), name=name, dataset_size=size)
    return lrplot.simulate(loaded).curves[0].groups[0].lr


CASES = {
    "cosine, warmup ratio as warmup_steps, fractional epochs, accumulation remainder": (
        37, {"per_device_train_batch_size": 4, "gradient_accumulation_steps": 3, "num_train_epochs": 2.5,
             "learning_rate": 1e-3, "lr_scheduler_type": "cosine", "warmup_steps": 0.1},
    ),
    "linear, max_steps wins over epochs": (
        50, {"per_device_train_batch_size": 8, "max_steps": 9, "num_train_epochs": 1,
             "learning_rate": 3e-4, "warmup_steps": 2},
    ),
    "polynomial with lr_scheduler_kwargs": (
        23, {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 4, "num_train_epochs": 3,
             "learning_rate": 2e-4, "lr_scheduler_type": "polynomial", "warmup_steps": 0.2,
             "lr_scheduler_kwargs": {"power": 2.0, "lr_end": 1e-7}},
    ),
    "fewer batches than accumulation steps": (
        10, {"per_device_train_batch_size": 3, "gradient_accumulation_steps": 5, "num_train_epochs": 4,
             "learning_rate": 1e-3, "lr_scheduler_type": "constant_with_warmup", "warmup_steps": 2},
    ),
    "cosine_with_min_lr, drop_last": (
        29, {"per_device_train_batch_size": 4, "num_train_epochs": 1.5, "dataloader_drop_last": True,
             "learning_rate": 5e-4, "lr_scheduler_type": "cosine_with_min_lr",
             "lr_scheduler_kwargs": {"min_lr_rate": 0.1}, "warmup_steps": 0.15},
    ),
    "warmup_stable_decay, sgd": (
        40, {"per_device_train_batch_size": 4, "gradient_accumulation_steps": 2, "num_train_epochs": 3,
             "learning_rate": 0.1, "optim": "sgd", "lr_scheduler_type": "warmup_stable_decay",
             "warmup_steps": 3, "lr_scheduler_kwargs": {"num_decay_steps": 5}},
    ),
    "cosine_with_restarts, lr_scheduler_kwargs as a JSON string": (
        64, {"per_device_train_batch_size": 8, "num_train_epochs": 2, "learning_rate": 1e-3,
             "lr_scheduler_type": "cosine_with_restarts", "lr_scheduler_kwargs": '{"num_cycles": 2}'},
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_curve_is_the_lr_every_optimizer_step_of_a_real_trainer_run_used(case: str) -> None:
    size, arguments = CASES[case]
    expected = trainer_lrs(size, **arguments)
    ours = lrplot_lrs(arguments, size)
    assert len(ours) == len(expected) and same_bits(ours, expected)


def test_a_real_config_from_llama_factory_matches_a_real_run() -> None:
    text = (FIXTURES / "huggingface" / "llamafactory_qwen3_lora_sft.yaml").read_text()
    keys = ("per_device_train_batch_size", "gradient_accumulation_steps", "learning_rate",
            "num_train_epochs", "lr_scheduler_type")  # fmt: skip
    config = {key: yaml.safe_load(text)[key] for key in keys}
    config["warmup_steps"] = yaml.safe_load(text)["warmup_ratio"]  # as lrplot reads it on transformers 5.15+
    expected = trainer_lrs(45, **config)
    ours = lrplot.simulate(
        lrplot.load(FIXTURES / "huggingface" / "llamafactory_qwen3_lora_sft.yaml", dataset_size=45)
    )
    assert same_bits(ours.curves[0].groups[0].lr, expected)


@pytest.fixture
def single_process_deepspeed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A one-process DeepSpeed run on CPU (gloo); its shared-memory all-reduce op, a C++
    extension that takes minutes to compile and cannot change an lr, is skipped."""
    pytest.importorskip("deepspeed")
    import importlib

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for key, value in {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": "0",
                       "WORLD_SIZE": "1", "LOCAL_RANK": "0", "DS_ACCELERATOR": "cpu"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    importlib.import_module("deepspeed.comm.torch")
    monkeypatch.setattr(sys.modules["deepspeed.comm.torch"], "build_shm_op", lambda: None)
    yield
    # accelerate's singleton state and transformers' DeepSpeed config outlive the Trainer: a later
    # Trainer in this process would otherwise be built as a DeepSpeed one.
    from accelerate.state import AcceleratorState
    from transformers.integrations.deepspeed import unset_hf_deepspeed_config

    unset_hf_deepspeed_config()
    AcceleratorState._reset_state(reset_partial_state=True)


DEEPSPEED_CASES = {
    "WarmupDecayLR, every value auto (accelerate's template)": (
        "accelerate_zero_stage2_config.json",
        37, {"per_device_train_batch_size": 4, "num_train_epochs": 2, "learning_rate": 1e-3,
             "warmup_steps": 3},
    ),
    "WarmupLR with its default log warmup (transformers' test config)": (
        "transformers_ds_config_zero2.json",
        30, {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 2, "num_train_epochs": 1,
             "learning_rate": 5e-4,
             "warmup_steps": 0.5, "adam_beta1": 0.8},
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(DEEPSPEED_CASES))
def test_deepspeed_scheduler_block_matches_a_real_trainer_run_with_deepspeed(
    case: str, single_process_deepspeed: None, tmp_path: Any
) -> None:
    name, size, arguments = DEEPSPEED_CASES[case]
    ds_config = json.loads((FIXTURES / "huggingface" / "deepspeed" / name).read_text())
    ds_config["zero_optimization"] = {"stage": 0}  # no partitioning: it does not touch the lr
    ds_config.pop("fp16", None)  # CPU: no loss scaling, so no skipped steps
    ds_config.pop("bf16", None)
    if "optimizer" in ds_config:  # torch's AdamW rather than DeepSpeed's JIT-compiled one
        ds_config["optimizer"]["params"]["torch_adam"] = True
    (tmp_path / "ds.json").write_text(json.dumps(ds_config))
    expected = trainer_lrs(size, deepspeed=str(tmp_path / "ds.json"), **arguments)
    config = {**arguments, "deepspeed": "ds.json"}
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(config))
    ours = lrplot.simulate(lrplot.load(tmp_path / "train.yaml", dataset_size=size)).curves[0].groups[0].lr
    assert len(ours) == len(expected) and same_bits(ours, expected)


def engine_lrs(ds_config: dict[str, Any], steps: int) -> list[float]:
    """A real DeepSpeed engine trained for ``steps`` steps; group 0's lr at each optimizer.step()."""
    import deepspeed
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    config = {key: value for key, value in ds_config.items() if key not in ("train_batch_size", "fp16")}
    config.update(
        train_micro_batch_size_per_gpu=1, gradient_accumulation_steps=1, zero_optimization={"stage": 0}
    )
    config["optimizer"]["params"]["torch_adam"] = True
    model = TinyModel()
    engine, *_ = deepspeed.initialize(model=model, model_parameters=model.parameters(), config=config)
    used: list[float] = []
    handle = register_optimizer_step_pre_hook(
        lambda optimizer, args, kwargs: used.append(float(optimizer.param_groups[0]["lr"]))
    )
    try:
        for index in range(steps):
            engine.backward(engine(torch.tensor([[index / 10]]), torch.tensor([index / 10]))["loss"])
            engine.step()
    finally:
        handle.remove()
    return used


@pytest.mark.parametrize(
    "name", ["deepspeedexamples_qanet_ds_bsz512_warmup.json", "deepspeedexamples_qanet_ds_bsz512_1cycle.json"]
)
def test_a_deepspeed_json_alone_matches_a_real_deepspeed_engine(
    name: str, single_process_deepspeed: None
) -> None:
    path = FIXTURES / "huggingface" / "deepspeed" / name  # the first 250 of its 2,000+ steps
    ours = lrplot.simulate(lrplot.load(path, sets=["total_step=250"])).curves[0].groups[0].lr
    expected = engine_lrs(json.loads(path.read_text()), len(ours))
    assert same_bits(ours, expected)
