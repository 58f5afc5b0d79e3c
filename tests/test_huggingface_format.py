"""Trainer-style, axolotl and DeepSpeed configs: detection, translation, notes, and every
mistake as one line with exit status 2. Real configs from public repositories live in
tests/fixtures/huggingface/ (source at the top of each YAML file, SOURCES.md for JSON)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import FIXTURES

pytest.importorskip("transformers")
HF = FIXTURES / "huggingface"
TRAINER_FIXTURES = sorted(HF.glob("*.yaml"))
AXOLOTL_FIXTURES = sorted((HF / "axolotl").glob("*.y*ml"))


def test_every_fixture_names_its_source() -> None:
    for path in [*TRAINER_FIXTURES, *AXOLOTL_FIXTURES]:
        assert path.read_text().startswith("# Source: https://github.com/"), path.name
    listed = (HF / "deepspeed" / "SOURCES.md").read_text()
    for path in (HF / "deepspeed").glob("*.json"):
        assert f"| {path.name} |" in listed


@pytest.mark.parametrize("path", TRAINER_FIXTURES + AXOLOTL_FIXTURES, ids=lambda p: p.name)
def test_real_configs_plot_with_a_dataset_size(path: Path) -> None:
    config = lrplot.load(path, dataset_size=1000, world_size=2)
    result = lrplot.simulate(config)
    assert config.curves[0].total_step == config.derived["total_steps"] == len(result.curves[0].groups[0].lr)
    assert config.derived["examples"] == 1000 and config.derived["world_size"] == 2
    assert 0 < result.curves[0].groups[0].lr.max() <= 1e-3


@pytest.mark.parametrize(
    ("name", "form"),
    [
        ("llamafactory_qwen3_lora_sft.yaml", "Hugging Face Trainer"),
        ("handbook_zephyr_dpo_config_full.yaml", "Hugging Face Trainer"),
        ("trl_cli_example_config.yaml", "Hugging Face Trainer"),
        ("axolotl/axolotl_llama3_3b_qat_fsdp2.yaml", "axolotl"),
    ],
)
def test_the_form_is_detected(name: str, form: str) -> None:
    assert lrplot.load(HF / name, dataset_size=64).title.endswith(f"({form})")


def test_llama_factory_run_length_and_warmup_are_the_trainers() -> None:
    config = lrplot.load(HF / "llamafactory_qwen3_lora_sft.yaml", dataset_size=1000, world_size=2)
    # 1000 examples, batch 1, 2 processes: 500 batches; accumulation 8: ceil(500 / 8) = 63 per epoch
    assert config.derived["steps_per_epoch"] == 63 and config.derived["total_steps"] == 189
    assert config.derived["warmup_steps"] == math.ceil(189 * 0.1)
    scheduler = config.curves[0].scheduler
    assert scheduler.name == "transformers.get_scheduler"
    assert scheduler.keywords == {
        "name": "cosine", "num_warmup_steps": 19, "num_training_steps": 189, "scheduler_specific_kwargs": {},
    }  # fmt: skip


def test_lr_scheduler_kwargs_reach_get_scheduler() -> None:
    config = lrplot.load(HF / "handbook_smollm3_sft.yaml", dataset_size=100)
    keywords = config.curves[0].scheduler.keywords
    assert keywords["name"] == "cosine_with_min_lr"
    assert keywords["scheduler_specific_kwargs"] == {"min_lr_rate": 0.1}


def test_max_steps_needs_no_dataset_size(write_config) -> None:
    path = write_config(
        "learning_rate: 1.0e-4\nmax_steps: 50\nwarmup_steps: 0.1\nlr_scheduler_type: linear\n"
    )
    config = lrplot.load(path)
    assert config.curves[0].total_step == 50 and config.derived["warmup_steps"] == 5
    assert config.derived["rule"] == "max_steps"


def test_warmup_ratio_on_transformers_5_15_and_later_is_read_as_a_ratio_with_a_note() -> None:
    config = lrplot.load(HF / "handbook_zephyr_sft_config_full.yaml", dataset_size=320)
    assert any("warmup_ratio was removed in transformers 5.15" in note for note in config.notes)
    assert config.derived["warmup_steps"] == math.ceil(config.derived["total_steps"] * 0.1)


def test_8bit_and_paged_optimizers_are_drawn_as_torch_adamw_with_a_note() -> None:
    config = lrplot.load(HF / "llamafactory_mod_llama3_full_sft.yaml", dataset_size=100)
    assert config.curves[0].optimizer.name == "AdamW"
    assert any("optim paged_adamw_8bit drawn as torch AdamW" in note for note in config.notes)


def test_the_deepspeed_file_a_config_names_is_read() -> None:
    config = lrplot.load(HF / "llamafactory_qwen3_full_sft.yaml", dataset_size=100)
    assert HF / "examples" / "deepspeed" / "ds_z3_config.json" in config.reads


def test_a_deepspeed_file_without_scheduler_keeps_the_trainers(tmp_path: Path) -> None:
    (tmp_path / "ds.json").write_text((HF / "deepspeed" / "llamafactory_ds_z3_config.json").read_text())
    (tmp_path / "train.yaml").write_text("learning_rate: 1.0e-5\nnum_train_epochs: 1\ndeepspeed: ds.json\n")
    config = lrplot.load(tmp_path / "train.yaml", dataset_size=80)
    assert config.curves[0].scheduler.name == "transformers.get_scheduler"
    assert tmp_path / "ds.json" in config.dependencies()


def test_deepspeed_auto_values_are_filled_from_the_training_args(tmp_path: Path) -> None:
    (tmp_path / "ds.json").write_text((HF / "deepspeed" / "accelerate_zero_stage2_config.json").read_text())
    (tmp_path / "train.yaml").write_text(
        "learning_rate: 2.0e-5\nnum_train_epochs: 2\nper_device_train_batch_size: 4\nwarmup_steps: 0.1\n"
        "deepspeed: ds.json\n"
    )
    config = lrplot.load(tmp_path / "train.yaml", dataset_size=100)
    keywords = config.curves[0].scheduler.keywords
    assert keywords["type"] == "WarmupDecayLR"
    assert keywords["arguments"] == {
        "warmup_min_lr": 0, "warmup_max_lr": 2e-5, "warmup_num_steps": 5, "total_num_steps": 50,
    }  # fmt: skip
    assert any("warms up on a log curve" in note for note in config.notes)


def test_axolotl_cosine_min_lr_ratio_one_is_constant_after_warmup() -> None:
    config = lrplot.load(HF / "axolotl" / "axolotl_llama3_3b_qat_fsdp2.yaml", dataset_size=640)
    lr = lrplot.simulate(config).curves[0].groups[0].lr
    # cosine_constant_lr_ratio 0 is falsy in axolotl: get_cosine_schedule_with_min_lr(ratio 1.0)
    warmup = config.derived["warmup_steps"]
    assert config.curves[0].scheduler.keywords["schedule"] == "cosine_min_lr"
    assert (lr[warmup:] == 2e-5).all() and lr[0] == 0.0


def test_axolotl_warmup_ratio_rounds_down_unlike_transformers(write_config) -> None:
    path = write_config(
        "base_model: x\nlearning_rate: 1.0e-3\nmicro_batch_size: 2\nnum_epochs: 1\nwarmup_ratio: 0.1\n"
    )
    config = lrplot.load(path, dataset_size=58)  # ceil(58 / 2) = 29 steps; int(2.9) = 2 warmup steps
    assert config.derived["total_steps"] == 29 and config.derived["warmup_steps"] == 2


@pytest.mark.parametrize(
    ("extra", "schedule"),
    [
        ("lr_scheduler: rex\ncosine_min_lr_ratio: 0.1\n", "rex"),
        ("lr_quadratic_warmup: true\n", "cosine_quadratic_warmup"),
        ("cosine_min_lr_ratio: 0.1\ncosine_constant_lr_ratio: 0.8\n", "cosine_warmup_decay_constant"),
    ],
)
def test_axolotl_schedules_beyond_transformers_run(write_config, extra: str, schedule: str) -> None:
    path = write_config("base_model: x\nlearning_rate: 1.0e-3\nnum_epochs: 2\nwarmup_steps: 5\n" + extra)
    config = lrplot.load(path, dataset_size=60)
    assert config.curves[0].scheduler.keywords["schedule"] == schedule
    lr = lrplot.simulate(config).curves[0].groups[0].lr
    assert len(lr) == 120 and lr.max() <= 1e-3


def test_axolotl_one_cycle_is_torchs_one_cycle_lr(write_config) -> None:
    path = write_config(
        "base_model: x\nlearning_rate: 1.0e-3\nlr_scheduler: one_cycle\nwarmup_steps: 10\nmax_steps: 100\n"
    )
    config = lrplot.load(path, dataset_size=60)
    keywords = config.curves[0].scheduler.keywords
    assert config.curves[0].scheduler.name == "OneCycleLR"
    assert keywords == {"max_lr": 1e-3, "total_steps": 100, "pct_start": 0.1, "anneal_strategy": "cos"}


def test_a_deepspeed_warmup_lr_alone_needs_a_length_from_the_user(cli) -> None:
    """WarmupLR holds its lr after warmup: no length was ever in the file, so none is made up."""
    path = HF / "deepspeed" / "deepspeedexamples_qanet_ds_bsz512_warmup.json"
    result = cli("validate", path)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "deepspeedexamples_qanet_ds_bsz512_warmup.json:" in lines[0]
    assert "DeepSpeed WarmupLR holds its lr after warmup" in lines[0]
    assert "--set lrplot.total_step=N" in lines[0]


def test_a_deepspeed_json_alone_is_drawn_with_deepspeeds_class() -> None:
    pytest.importorskip("deepspeed")
    path = HF / "deepspeed" / "deepspeedexamples_qanet_ds_bsz512_warmup.json"
    config = lrplot.load(path, sets=["lrplot.total_step=2000"])
    assert lrplot.load(path, sets=["total_step=2000"]).curves[0].total_step == 2000  # the file has none
    lr = lrplot.simulate(config).curves[0].groups[0].lr
    assert config.curves[0].total_step == 2000
    assert lr[0] == lr[1] == 0.0 and lr[-1] == 0.001  # log warmup: log(0 + 1) = 0 at both first steps
    assert lr[2] == pytest.approx(0.001 * math.log(2) / math.log(1000))


def test_a_deepspeed_json_with_one_cycle_plots() -> None:
    pytest.importorskip("deepspeed")
    path = HF / "deepspeed" / "deepspeedexamples_qanet_ds_bsz512_1cycle.json"
    with pytest.raises(LrplotError, match="OneCycle has a decay phase with no end"):
        lrplot.load(path)
    config = lrplot.load(path, sets=["lrplot.total_step=20000"])
    lr = lrplot.simulate(config).curves[0].groups[0].lr
    assert lr.max() == pytest.approx(0.015) and lr[0] == pytest.approx(0.004)


BAD = {
    "no dataset size for an epoch-based run": (
        "train.yaml", "learning_rate: 1.0e-4\nnum_train_epochs: 3\n", [],
        ["train.yaml:2", "give --dataset-size N"],
    ),
    "a batch size that is not an integer": (
        "train.yaml", "learning_rate: 1.0e-4\nper_device_train_batch_size: 2.5\nmax_steps: 10\n", [],
        ["train.yaml:2", "per_device_train_batch_size must be an integer, got 2.5"],
    ),
    "a learning rate that is not a number": (
        "train.yaml", "learning_rate: fast\nmax_steps: 10\nlr_scheduler_type: linear\n", [],
        ["train.yaml:1", "learning_rate must be a number, got 'fast'"],
    ),
    "reduce_lr_on_plateau needs metrics": (
        "train.yaml", "lr_scheduler_type: reduce_lr_on_plateau\nmax_steps: 10\n", [],
        ["train.yaml:1", "evaluation metric"],
    ),
    "max_steps 0": (
        "train.yaml", "lr_scheduler_type: linear\nmax_steps: 0\n", ["--dataset-size", "10"],
        ["train.yaml:2", "max_steps: 0"],
    ),
    "an unknown scheduler type": (
        "train.yaml", "lr_scheduler_type: cosin\nmax_steps: 10\n", [],
        ["train.yaml", "cosin"],
    ),
    "DeepSpeed auto values alone": (
        "ds.json", (HF / "deepspeed" / "transformers_ds_config_zero2.json").read_text(), [],
        ["ds.json:28", "warmup_min_lr, warmup_max_lr, warmup_num_steps are \"auto\"", "deepspeed: key"],
    ),
    "DeepSpeed parameter of another class": (
        "ds.json", json.dumps({"scheduler": {"type": "WarmupCosineLR", "params": {
            "warmup_max_lr": 1e-3, "total_num_steps": 10}}}, indent=1), [],
        ["ds.json:5", "warmup_max_lr is not a parameter of WarmupCosineLR"],
    ),
    "broken JSON": ("ds.json", '{"scheduler": {"type": "WarmupLR",\n "params": {]}}', [], ["ds.json:2", "invalid JSON"]),
    "axolotl without a dataset size": (
        "axolotl.yaml", "base_model: x\nlearning_rate: 1.0e-4\nnum_epochs: 1\n", [],
        ["axolotl.yaml:3", "axolotl computes the run's length", "--dataset-size"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_mistakes_are_one_line_with_exit_status_2(cli, tmp_path: Path, case: str) -> None:
    name, text, options, expected = BAD[case]
    (tmp_path / name).write_text(text)
    result = cli("plot", tmp_path / name, "-o", tmp_path / "out.png", *options)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("lrplot: error")]
    assert len(lines) == 1 and "Traceback" not in result.output
    for fragment in expected:
        assert fragment in lines[0], lines[0]
    assert not (tmp_path / "out.png").exists()


def test_the_trainer_refuses_deepspeed_values_that_differ_and_so_does_lrplot(tmp_path: Path) -> None:
    ds = {"scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 100, "warmup_max_lr": "auto"}}}
    (tmp_path / "ds.json").write_text(json.dumps(ds))
    (tmp_path / "train.yaml").write_text(
        "learning_rate: 1.0e-4\nlr_scheduler_type: linear\nmax_steps: 50\ndeepspeed: ds.json\n"
    )
    with pytest.raises(LrplotError, match=r"warmup_num_steps=100 vs warmup_steps=1.*set them to \"auto\""):
        lrplot.load(tmp_path / "train.yaml")


def test_cli_prints_the_run_and_json_carries_it(cli, tmp_path: Path) -> None:
    path = HF / "llamafactory_qwen3_lora_sft.yaml"
    result = cli("plot", path, "-o", tmp_path / "lr.csv", "--dataset-size", "1000", "--world-size", "2")
    assert result.exit_code == 0, result.output
    assert "run: examples 1,000, processes 2, effective batch 16" in result.stdout
    assert "total optimizer steps 189" in result.stdout
    result = cli("plot", path, "-o", tmp_path / "lr2.csv", "--dataset-size", "1000", "--json")
    run = json.loads(result.stdout)["run"]
    assert run["total_steps"] == 375 and run["transformers"]


def test_validate_takes_the_dataset_size(cli) -> None:
    path = HF / "trl_cli_example_config.yaml"
    assert cli("validate", path).exit_code == 2
    assert cli("validate", path, "--dataset-size", "100").exit_code == 0


def test_a_real_subprocess_plots_a_trainer_config(tmp_path: Path) -> None:
    out = tmp_path / "lr.png"
    result = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(HF / "handbook_zephyr_sft_config_full.yaml"),
         "--dataset-size", "5000", "--world-size", "8", "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0 and "total optimizer steps 40" in result.stdout


def test_readme_command_prints_the_run_line_the_docs_show(cli, tmp_path: Path, monkeypatch) -> None:
    import re
    import shlex

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    command = re.search(r"<!-- hf-command -->\s*```bash\n(.*?)\n```", readme, flags=re.S).group(1)
    page = (ROOT / "docs" / "formats" / "huggingface.md").read_text()
    assert command in page
    shown = re.search(r"```text\n(run: .*?)\n```", page, flags=re.S).group(1)
    monkeypatch.chdir(ROOT)
    arguments = shlex.split(command)[1:]
    arguments[arguments.index("-o") + 1] = str(tmp_path / "lr.png")
    result = cli(*arguments)
    assert result.exit_code == 0 and shown in result.stdout.replace("\n", " ")
