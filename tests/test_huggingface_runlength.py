"""The run's length for W processes, checked against the Trainer's and accelerate's own code.

A W-process run cannot start here, but its arithmetic can: accelerate's
``prepare_data_loader(num_processes=W)`` gives the dataloader one process of that run
sees, and the installed ``Trainer.set_initial_training_values`` and
``TrainingArguments.get_warmup_steps`` turn it into steps, as they do in the real run.
"""

from __future__ import annotations

import tempfile
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.formats import trainer_rules

transformers = pytest.importorskip("transformers")
accelerate_data_loader = pytest.importorskip("accelerate.data_loader")
torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore:OMP_NUM_THREADS:UserWarning")


def process_loader(size: int, batch: int, world: int, drop_last: bool, index: int = 0) -> Any:
    loader = torch.utils.data.DataLoader(list(range(size)), batch_size=batch, drop_last=drop_last)
    return accelerate_data_loader.prepare_data_loader(
        loader, num_processes=world, process_index=index, put_on_device=False
    )


@pytest.fixture(scope="module")
def trainer() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        args = transformers.TrainingArguments(output_dir=tmp, use_cpu=True, report_to="none")
        yield transformers.Trainer(model=torch.nn.Linear(1, 1), args=args)


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 400),
    batch=st.integers(1, 16),
    world=st.integers(1, 8),
    drop_last=st.booleans(),
    index=st.integers(0, 7),
)
def test_batches_per_process_are_accelerates(
    size: int, batch: int, world: int, drop_last: bool, index: int
) -> None:
    if drop_last and size // batch < world:
        return  # no process gets a full batch: lrplot refuses that run with one line
    loader = process_loader(size, batch, world, drop_last, index % world)
    assert trainer_rules.dataloader_length(size, batch, world, drop_last) == len(loader)


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(1, 300),
    batch=st.integers(1, 8),
    world=st.integers(1, 8),
    accumulation=st.integers(1, 6),
    epochs=st.sampled_from([1, 2, 3, 0.5, 1.5, 2.25]),
    max_steps=st.sampled_from([-1, -1, 7, 40]),
    warmup=st.sampled_from([0, 3, 0.1, 0.25, 0.5]),
    drop_last=st.booleans(),
)
def test_steps_and_warmup_are_the_trainers_for_a_w_process_run(
    trainer: Any, size: int, batch: int, world: int, accumulation: int, epochs: float,
    max_steps: int, warmup: float, drop_last: bool,
) -> None:  # fmt: skip
    if drop_last and size // batch < world:
        return
    arguments = {
        "per_device_train_batch_size": batch, "gradient_accumulation_steps": accumulation,
        "num_train_epochs": epochs, "max_steps": max_steps, "warmup_steps": warmup,
        "dataloader_drop_last": drop_last, "learning_rate": 1e-3,
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        args = transformers.TrainingArguments(output_dir=tmp, use_cpu=True, report_to="none", **arguments)
    values = trainer.set_initial_training_values(args, process_loader(size, batch, world, drop_last))
    _, per_epoch, _, _, _, _, total = values
    config = lrplot.loads(yaml.safe_dump(arguments), name="train.yaml", dataset_size=size, world_size=world)
    assert config.derived["steps_per_epoch"] == per_epoch
    assert config.derived["total_steps"] == total == config.curves[0].total_step
    assert config.derived["warmup_steps"] == args.get_warmup_steps(total)
    assert config.derived["effective_batch"] == batch * accumulation * world


def test_the_installed_version_picks_its_own_rules() -> None:
    rules = trainer_rules.rules_for(transformers.__version__)
    with tempfile.TemporaryDirectory() as tmp:
        args = transformers.TrainingArguments(output_dir=tmp, warmup_steps=0.1, report_to="none")
    assert trainer_rules.warmup_steps(0.1, None, 37, rules) == args.get_warmup_steps(37)


@pytest.mark.parametrize(
    ("version", "per_epoch", "warmup"),
    [
        ("4.48.3", 2, 5),  # floor (issue #36297); warmup_steps > 0 wins over warmup_ratio
        ("4.52.0", 3, 5),  # ceil since PR #37923
        ("5.3.0", 3, 2),  # warmup_ratio replaces warmup_steps (deprecated alias, 5.0-5.14)
        ("5.24.0", 3, 5),  # warmup_ratio removed in 5.15: warmup_steps as given
    ],
)
def test_rules_follow_each_versions_source(version: str, per_epoch: int, warmup: int) -> None:
    rules = trainer_rules.rules_for(version)
    assert trainer_rules.update_steps_per_epoch(5, 2, rules) == per_epoch
    ratio = None if rules.warmup == "5.x" else 0.1
    assert trainer_rules.warmup_steps(5, ratio, 15, rules) == warmup
