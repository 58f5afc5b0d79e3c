"""The installed TrainingArguments' own checks on the schedule keys run first (issue 24).

lrplot reads ``SchedulerType`` and ``OptimizerNames`` from the installed transformers' source
(the format layer does not import it); each verdict is compared with a real
``TrainingArguments`` built from the same value.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.formats.trainer_args import TrainerArgs, scheduler_type
from lrplot.formats.trainer_checks import check_trainer_args, enum_values
from tests.conftest import FIXTURES

transformers = pytest.importorskip("transformers")
from transformers.trainer_utils import SchedulerType  # noqa: E402
from transformers.training_args import OptimizerNames  # noqa: E402

VERSION = transformers.__version__
NEAR = [
    "cosinee",
    "Cosine",
    "cosine ",
    "linear_with_warmup",
    "adamw",
    "AdamW",
    "adam",
    "adamw_torch_fusedd",
    "",
]


def real_verdict(field_name: str, value: str) -> bool:
    """Does a real TrainingArguments accept ``value`` for ``field_name``?"""
    try:
        transformers.TrainingArguments(output_dir="unused", report_to="none", **{field_name: value})
    except ValueError:
        return False
    return True


def our_verdict(field_name: str, value: str) -> bool:
    """Does lrplot accept it (its own refusal of the metric-driven schedules included: the real
    one refuses them without an eval strategy, lrplot with one too)?"""
    args = TrainerArgs()
    setattr(args, field_name, value)
    args.keys[field_name] = (field_name,)
    try:
        check_trainer_args(args, VERSION)
        scheduler_type(args)
    except LrplotError:
        return False
    return True


def test_the_values_are_the_installed_enums() -> None:
    assert enum_values("SchedulerType", "trainer_utils.py") == tuple(item.value for item in SchedulerType)
    assert enum_values("OptimizerNames", "training_args.py") == tuple(item.value for item in OptimizerNames)


@pytest.mark.parametrize("field_name", ["lr_scheduler_type", "optim"])
def test_every_verdict_is_the_real_training_arguments(field_name: str) -> None:
    enum = SchedulerType if field_name == "lr_scheduler_type" else OptimizerNames
    for value in [*(item.value for item in enum), *NEAR]:
        assert our_verdict(field_name, value) == real_verdict(field_name, value), value


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=24))
def test_any_name_is_judged_as_the_real_training_arguments_judges_it(value: str) -> None:
    for field_name in ("lr_scheduler_type", "optim"):
        assert our_verdict(field_name, value) == real_verdict(field_name, value)


def test_a_name_the_file_lacks_is_not_checked() -> None:
    check_trainer_args(TrainerArgs(optim="not-a-name"), VERSION)  # the default, never from the file


def test_the_cli_refuses_an_unknown_optim_in_one_line(cli, write_config, tmp_path) -> None:
    path = write_config(
        """
        learning_rate: 2.0e-5
        per_device_train_batch_size: 4
        max_steps: 100
        optim: adamw_fooo
        """
    )
    result = cli("plot", path, "-o", tmp_path / "out.png")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "config.yaml:4" in lines[0] and f"transformers {VERSION} refuses optim 'adamw_fooo'" in lines[0]
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("path", sorted((FIXTURES / "huggingface").glob("*.yaml")), ids=lambda p: p.stem)
def test_the_real_configs_pass(path) -> None:
    try:
        lrplot.load(path, dataset_size=1000)
    except LrplotError as error:  # a referenced file elsewhere in its repository is not this test's
        assert "refuses" not in str(error), error
