"""Positive identification: a file is drawn only when exactly one format claims it (issue 24).

A wrong curve looks exactly like a right one, so a file no format recognises, or that several
recognise, is refused in one line naming the closest formats and
``--config-format NAME``. Every real fixture of every format is claimed by its own format and
by no other; near-misses of each (a real file with another format's key added) are refused.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.formats import FORMATS, format_names, identify
from lrplot.formats.base import Converted
from tests.conftest import FIXTURES, ROOT

HYDRA = FIXTURES / "hydra"
MMENGINE = FIXTURES / "mmengine"
TORCHTUNE = sorted((FIXTURES / "torchtune").glob("*.yaml"))


def _files(folder: Path, *patterns: str) -> list[Path]:
    return sorted(path for pattern in patterns for path in folder.glob(pattern))


# Every real fixture of a format lrplot reads, by the format that must claim it alone.
OWN: dict[str, list[Path]] = {
    "huggingface": _files(FIXTURES / "huggingface", "*.yaml"),
    "axolotl": _files(FIXTURES / "huggingface" / "axolotl", "*.y*ml"),
    "deepspeed": _files(FIXTURES / "huggingface" / "deepspeed", "*.json"),
    "lightning": [*_files(FIXTURES / "lightning", "*.yaml"), FIXTURES / "forms" / "lightning_cli.yaml"],
    "litgpt": _files(FIXTURES / "litgpt", "*.yaml"),
    "timm": _files(FIXTURES / "timm", "*.y*ml"),
    "torchtitan": _files(FIXTURES / "torchtitan", "*.toml"),
    "nanogpt": _files(FIXTURES / "nanogpt" / "config", "*.py"),
    "torchtune": TORCHTUNE,
    "composer": _files(FIXTURES / "composer", "*.yaml"),
    "megatron": _files(FIXTURES / "megatron", "*.sh", "*.yaml"),
    "mmengine": [
        *_files(MMENGINE, "*/configs/[!_]*/**/*.py", "*/configs/_base_/schedules/*.py"),
        *_files(MMENGINE / "mmpretrain" / "mmpretrain", "configs/**/*.py"),
    ],
    "hydra": [
        FIXTURES / "forms" / "hydra_config.yaml",
        HYDRA / "lightning_hydra_template" / "configs" / "train.yaml",
        HYDRA / "lightning_hydra_template" / "configs" / "model" / "mnist.yaml",
        HYDRA / "lightning_hydra_template" / "configs" / "experiment" / "example.yaml",
        *_files(HYDRA / "autoware_ml" / "configs" / "tasks", "**/*.yaml"),
        *_files(HYDRA / "flash_attention" / "configs" / "experiment", "**/*.yaml"),
    ],
    "detectron2": _files(FIXTURES / "detectron2", "**/*.yaml"),
    "detectron2_lazy": [  # the configs, not the common/ files they import (no schedule of their own)
        path for path in _files(FIXTURES / "detectron2_lazy", "**/*.py") if "common" not in path.parts
    ],
    "fairseq": _files(FIXTURES / "fairseq", "**/*.yaml"),
    "nemo": [*_files(FIXTURES / "nemo", "*.yaml"), FIXTURES / "nemo" / "hifigan" / "hifigan.yaml"],
    "nemo_recipe": _files(FIXTURES / "nemo_recipe", "*.py"),
    "ultralytics": [
        FIXTURES / "ultralytics" / "default.yaml",
        *_files(FIXTURES / "ultralytics", "*/runs/**/*.yaml"),
        *_files(FIXTURES / "ultralytics" / "lint", "*.yaml"),
    ],
}
CASES = [(name, path) for name, paths in OWN.items() for path in paths]


def read(path: Path) -> Any:
    """The file's data as the loader reads it (never run: a .py file is read as data)."""
    suffix = path.suffix.lower()
    if suffix == ".sh":
        from lrplot.read.shell import load_shell_file

        return load_shell_file(path).data
    if suffix == ".py":
        from lrplot.read.python import read_python

        return read_python(path).data
    if suffix == ".toml":
        from lrplot.read.toml_source import load_toml_file

        return load_toml_file(path).data
    if suffix == ".json":
        from lrplot.read.json_source import load_config_file

        return load_config_file(path).data
    from lrplot.config.loading import _load_yaml  # as the loader reads it (a detectron2 base's tags)

    return _load_yaml(path).data


def claimants(path: Path, data: Any) -> list[str]:
    """The formats (by --config-format name) that claim the file confidently."""
    return [module.__name__.rsplit(".", 1)[-1] for module, found in identify(path, data) if found.confident]


def test_every_format_has_fixtures_and_every_fixture_folder_is_covered() -> None:
    assert set(OWN) == set(format_names())
    assert all(len(paths) >= 2 for paths in OWN.values()), {k: len(v) for k, v in OWN.items()}


@pytest.mark.parametrize(("name", "path"), CASES, ids=[str(p.relative_to(FIXTURES)) for _, p in CASES])
def test_each_real_file_is_claimed_by_its_own_format_and_no_other(name: str, path: Path) -> None:
    assert claimants(path, read(path)) == [name]


def test_a_dataset_yaml_is_claimed_by_no_format() -> None:
    """The dataset YAML an Ultralytics run names is data for it, not a config of its own."""
    path = FIXTURES / "ultralytics" / "wheat_weed" / "cwfid.yaml"
    assert claimants(path, read(path)) == []


@pytest.mark.parametrize("path", TORCHTUNE, ids=lambda p: p.name)
def test_a_torchtune_recipe_is_drawn_as_torchtune_not_read_as_a_trainer_config(path: Path) -> None:
    """The issue's case: it was read as a Trainer config with num_train_epochs 3 filled in."""
    config = lrplot.load(path, dataset_size=1000, world_size=2)
    assert config.curves[0].scheduler.name == "lrplot.plan.drivers.torchtune.RecipeScheduler"
    assert "num_train_epochs" not in " ".join(config.notes)


def test_the_cli_draws_a_torchtune_recipe(cli, tmp_path: Path) -> None:
    result = cli("plot", TORCHTUNE[0], "--dataset-size", "1000", "-o", tmp_path / "out.png")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.png").stat().st_size > 0


def test_a_real_subprocess_validates_a_torchtune_recipe(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lrplot", "validate", str(TORCHTUNE[0]), "--dataset-size", "1000"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


# Near-misses: a real file of one format with a key distinctive for another added. No format
# may claim it: both are possible, so lrplot asks instead of guessing.
HF_FILE = FIXTURES / "huggingface" / "llamafactory_qwen3_lora_sft.yaml"
AXOLOTL_FILE = FIXTURES / "huggingface" / "axolotl" / "axolotl_btlm_ft.yml"
DS_FILE = FIXTURES / "huggingface" / "deepspeed" / "deepspeedexamples_qanet_ds_bsz512_warmup.json"
LITGPT_FILE = FIXTURES / "litgpt" / "pretrain_debug.yaml"
TIMM_FILE = FIXTURES / "timm" / "mobileone_s1_blog.yaml"
TITAN_FILE = FIXTURES / "torchtitan" / "llama3_debug_model.toml"
LIGHTNING_FILE = FIXTURES / "lightning" / "torch_uncertainty_cifar10_resnet18.yaml"
HYDRA_FILE = HYDRA / "lightning_hydra_template" / "configs" / "model" / "mnist.yaml"
DETECTRON2_FILE = FIXTURES / "detectron2" / "Base-RCNN-FPN.yaml"
LAZY_FILE = FIXTURES / "detectron2_lazy" / "configs" / "new_baselines" / "mask_rcnn_R_50_FPN_100ep_LSJ.py"
FAIRSEQ_FILE = FIXTURES / "fairseq" / "roberta" / "config" / "pretraining" / "base.yaml"
YOLO_FILE = FIXTURES / "ultralytics" / "wheat_weed" / "runs" / "detect" / "train" / "args.yaml"


def _with(path: Path, change: dict[str, Any]) -> tuple[Path, Any]:
    data = copy.deepcopy(read(path))
    for key, value in change.items():
        node = data
        *parents, last = key.split(".")
        for parent in parents:
            node = node[parent]
        node[last] = value
    return path, data


NEAR_MISSES = {
    "trainer config with axolotl's micro_batch_size": _with(HF_FILE, {"micro_batch_size": 2}),
    "axolotl config with the Trainer's lr_scheduler_type": _with(
        AXOLOTL_FILE, {"lr_scheduler_type": "cosine"}
    ),
    "DeepSpeed config with a Trainer learning_rate": _with(DS_FILE, {"learning_rate": 1e-4}),
    "litgpt config with a LightningCLI trainer": _with(LITGPT_FILE, {"trainer": {"max_steps": 10}}),
    "timm arguments with a nested table": _with(TIMM_FILE, {"data": {"root": "x"}}),
    "torchtitan optimizer as a Hydra node": _with(TITAN_FILE, {"optimizer._target_": "torch.optim.AdamW"}),
    "LightningCLI config with litgpt's train table": _with(
        LIGHTNING_FILE, {"train": {"max_tokens": 10, "micro_batch_size": 2, "lr_warmup_steps": 1}}
    ),
    "Hydra optimizer beside a LightningCLI node": _with(HYDRA_FILE, {"net": {"class_path": "x.Net"}}),
    "detectron2 config with an mmengine param_scheduler": _with(DETECTRON2_FILE, {"param_scheduler": []}),
    "detectron2 LazyConfig with nanoGPT's learning_rate": _with(LAZY_FILE, {"learning_rate": 6e-4}),
    "Ultralytics args with a Trainer's lr_scheduler_type": _with(YOLO_FILE, {"lr_scheduler_type": "cosine"}),
    "Ultralytics args with timm's sched": _with(YOLO_FILE, {"sched": "cosine"}),
    "fairseq config with a Hydra optimizer": _with(FAIRSEQ_FILE, {"optimizer._target_": "torch.optim.AdamW"}),
    "fairseq config with a LightningCLI trainer": _with(FAIRSEQ_FILE, {"trainer": {"max_steps": 10}}),
    "fairseq-like optimization alone": (Path("t.yaml"), {"optimization": {"lr": [0.1], "max_update": 10}}),
    "Trainer-like keys every trainer has": (Path("t.yaml"), {"learning_rate": 1e-4, "max_steps": 10}),
    "timm's sched with one other argument": (Path("t.yaml"), {"sched": "cosine", "epochs": 3}),
    "torchtitan sections in YAML": (Path("t.yaml"), {"training": {"steps": 3}, "optimizer": {"lr": 1.0}}),
}


@pytest.mark.parametrize("case", sorted(NEAR_MISSES))
def test_near_misses_are_claimed_by_no_format(case: str) -> None:
    path, data = NEAR_MISSES[case]
    assert claimants(path, data) == []


def test_each_near_miss_of_a_real_file_is_refused_and_names_the_conflict(tmp_path: Path) -> None:
    path = tmp_path / "sft.yaml"
    path.write_text(HF_FILE.read_text() + "\nmicro_batch_size: 2\n")
    with pytest.raises(LrplotError, match=r"conflicting: micro_batch_size") as caught:
        lrplot.load(path, dataset_size=100)
    assert "Hugging Face Trainer (has " in str(caught.value)


# Keys every trainer has (or that mean nothing alone): any mix of them is no one's.
GENERIC = ["learning_rate", "lr", "max_steps", "gradient_accumulation_steps", "epochs", "batch_size",
           "warmup_steps", "output_dir", "seed", "weight_decay", "model", "dataset", "optimizer", "device"]  # fmt: skip
VALUES = st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=False), st.text(max_size=8), st.booleans())


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(GENERIC), VALUES, min_size=1), st.sampled_from([".yaml", ".json"]))
def test_generic_keys_alone_are_never_claimed(data: dict[str, Any], suffix: str) -> None:
    assert claimants(Path(f"c{suffix}"), data) == []


def test_config_format_decides_for_a_near_miss(tmp_path: Path) -> None:
    path = tmp_path / "sft.yaml"
    path.write_text(HF_FILE.read_text() + "\nmicro_batch_size: 2\n")
    config = lrplot.load(path, dataset_size=100, config_format="huggingface")
    assert config.curves[0].optimizer.name == "AdamW"
    as_named = lrplot.load(path, dataset_size=100, config_format="Hugging Face Trainer")
    assert as_named.curves[0].optimizer.name == "AdamW"


def test_config_format_refuses_a_format_whose_keys_the_file_lacks() -> None:
    with pytest.raises(LrplotError, match=r"--config-format huggingface: the file has none of Hugging Face"):
        lrplot.load(TORCHTUNE[0], config_format="huggingface")


def test_config_format_names_the_choices_for_an_unknown_name() -> None:
    with pytest.raises(LrplotError, match=r"--config-format torchtrain: not a format lrplot reads; one of: "):
        lrplot.load(TORCHTUNE[0], config_format="torchtrain")


def test_the_cli_option_reaches_the_formats(cli, tmp_path: Path) -> None:
    path = tmp_path / "sft.yaml"
    path.write_text(HF_FILE.read_text() + "\nmicro_batch_size: 2\n")
    refused = cli("validate", path, "--dataset-size", "100")
    assert refused.exit_code == 2 and "--config-format" in refused.stderr
    decided = cli("validate", path, "--dataset-size", "100", "--config-format", "huggingface")
    assert decided.exit_code == 0, decided.stderr


def _score_only(monkeypatch: pytest.MonkeyPatch, score: float) -> None:
    """A format module of the registry of before identification: NAME, score() and translate()."""
    module = types.ModuleType("lrplot.formats.legacy")
    module.NAME = "Legacy"  # type: ignore[attr-defined]
    module.score = lambda path, data: score  # type: ignore[attr-defined]
    module.translate = lambda target, options: Converted(  # type: ignore[attr-defined]
        data={"total_step": 3, "curves": [{"optimizer": {"name": "SGD", "lr": 0.1},
                                           "scheduler": {"name": "StepLR", "step_size": 1}}]},
        form="Legacy",
    )  # fmt: skip
    monkeypatch.setitem(sys.modules, "lrplot.formats.legacy", module)
    monkeypatch.setattr("lrplot.formats.FORMATS", (*FORMATS, "lrplot.formats.legacy"))


def test_a_module_with_only_score_is_still_a_format(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _score_only(monkeypatch, 0.9)
    path = tmp_path / "x.yaml"
    path.write_text("something: 1\n")
    assert lrplot.load(path).curves[0].scheduler.name == "StepLR"


def test_two_confident_claims_are_refused_naming_both(monkeypatch: pytest.MonkeyPatch) -> None:
    _score_only(monkeypatch, 0.9)
    with pytest.raises(
        LrplotError, match=r"several formats claim: .*Hugging Face Trainer .*Legacy"
    ) as caught:
        lrplot.load(HF_FILE, dataset_size=100)
    assert "--config-format huggingface or --config-format legacy" in str(caught.value)


# Cross-format near-misses written as users write them: each is claimed by the right format
# alone (a value) or by none (None), never drawn as another format.
NEMO_LIKE = {
    "name": "megatron_gpt_peft",
    "trainer": {"devices": 1, "max_steps": 100, "precision": "bf16"},
    "exp_manager": {"explicit_log_dir": None, "create_checkpoint_callback": True},
    "model": {
        "optim": {"name": "fused_adam", "lr": 1e-4, "sched": {"name": "CosineAnnealing", "warmup_steps": 50}}
    },
}
CROSS = {
    # torchtune's recipes read their own keys by name and would ignore the Trainer's, which decide
    # the schedule in a Trainer config: a mixed file, refused (--config-format torchtune draws it as
    # torchtune runs it, warning that those keys are not read)
    "torchtune recipe with Trainer keys": (
        _with(TORCHTUNE[0], {"lr_scheduler_type": "cosine", "num_train_epochs": 3, "warmup_ratio": 0.1}),
        None,
    ),
    "NeMo-like config (trainer + model.optim.sched)": ((Path("nemo.yaml"), NEMO_LIKE), "nemo"),
    "plain YAML with only lr": ((Path("lr.yaml"), {"lr": 0.1}), None),
    "fairseq Hydra YAML as written": ((FAIRSEQ_FILE, read(FAIRSEQ_FILE)), "fairseq"),
    "detectron2 yacs as written": ((DETECTRON2_FILE, read(DETECTRON2_FILE)), "detectron2"),
    "detectron2 LazyConfig as written": ((LAZY_FILE, read(LAZY_FILE)), "detectron2_lazy"),
    "Ultralytics args file as written": ((YOLO_FILE, read(YOLO_FILE)), "ultralytics"),
    "Composer YAML as written": ((OWN["composer"][0], read(OWN["composer"][0])), "composer"),
    # LLaMA-Factory's Megatron bridge (USE_MCA=1 at launch, not in the file): Trainer keys, but
    # Megatron-Core computes the schedule; refused, never drawn as a Trainer curve
    "LLaMA-Factory Megatron bridge config as written": (
        (
            FIXTURES / "unread" / "llamafactory" / "qwen3_moe_full.yaml",
            read(FIXTURES / "unread" / "llamafactory" / "qwen3_moe_full.yaml"),
        ),
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(CROSS))
def test_cross_format_near_misses_are_the_right_format_or_no_ones(case: str) -> None:
    (path, data), expected = CROSS[case]
    assert claimants(path, data) == ([expected] if expected else [])


@pytest.mark.parametrize("case", sorted(name for name, (_, expected) in CROSS.items() if expected is None))
def test_a_refused_near_miss_exits_2_naming_the_closest_formats(case: str, cli, tmp_path: Path) -> None:
    import yaml

    (_, data), _ = CROSS[case]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    result = cli("plot", path, "--dataset-size", "100", "-o", tmp_path / "a.csv")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "--config-format NAME" in result.stderr
    assert not (tmp_path / "a.csv").exists()


def _distinctive(name: str) -> tuple[Path, dict[str, Any]]:
    """A format's first fixture, cut to the top-level keys its identification rests on."""
    path = OWN[name][0]
    data = read(path)
    found = next(found for module, found in identify(path, data) if module.__name__.endswith(f".{name}"))
    heads = {key.split(".")[0] for key in found.seen}
    return path, {key: copy.deepcopy(value) for key, value in data.items() if key in heads}


MIXABLE = sorted(name for name in OWN if OWN[name][0].suffix in (".yaml", ".yml"))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(MIXABLE), st.sampled_from(MIXABLE), st.randoms(use_true_random=False))
def test_keys_of_two_formats_mixed_are_never_drawn_as_one_of_them(first: str, second: str, rng) -> None:
    if first == second:
        return
    path, ours = _distinctive(first)
    _, theirs = _distinctive(second)
    mixed = dict(read(path))
    added = rng.sample(sorted(theirs), k=max(1, len(theirs) // 2 + 1) if theirs else 0)
    for key in added:
        mixed[key] = theirs[key]
    if set(added) <= set(ours):
        return  # the same top-level keys: nothing of the other format's was added
    if set(ours) <= set(added):
        return  # every key of the first format's was replaced: the file is the second's alone
    assert claimants(path, mixed) not in ([first], [second])


def test_every_mix_of_two_formats_keys_is_claimed_by_no_format() -> None:
    """The property above, every combination: each format's first YAML fixture with each
    (more than half) subset of another's distinctive top-level keys. Before the mixed-file rule
    (lrplot.formats.conflicts), 1,157 of the 2,636 mixes this made were drawn as one of the two."""
    import itertools

    fixtures = {name: _distinctive(name) for name in MIXABLE}
    drawn, mixes = [], 0
    for first, second in itertools.permutations(MIXABLE, 2):
        path, ours = fixtures[first]
        theirs = fixtures[second][1]
        base = read(path)
        for added in itertools.combinations(sorted(theirs), len(theirs) // 2 + 1):
            if set(added) <= set(ours) or set(ours) <= set(added):
                continue
            mixes += 1
            found = claimants(path, {**base, **{key: theirs[key] for key in added}})
            if found:
                drawn.append((first, second, added, found))
    assert mixes > 2500 and not drawn, (mixes, drawn[:5])


# A real axolotl file with timm train.py's own arguments added: the mixed-file rule refuses it
# naming the keys and both formats; --config-format draws it as the named one, saying which keys
# of the other that format does not read.
TIMM_KEYS = "sched: cosine\nopt: sgd\nwarmup_lr: 0.0001\n"


def _axolotl_with_timm_keys(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.yml"
    path.write_text(AXOLOTL_FILE.read_text() + "\n" + TIMM_KEYS)
    return path


def test_a_mixed_file_is_refused_naming_the_keys_and_both_formats(tmp_path: Path) -> None:
    with pytest.raises(LrplotError) as caught:
        lrplot.load(_axolotl_with_timm_keys(tmp_path), dataset_size=100)
    message = str(caught.value)
    assert "with the keys of more than one format: axolotl (has micro_batch_size" in message
    assert "conflicting: opt, sched, ... (timm train.py's)" in message
    assert "timm train.py (has opt, sched, warmup_lr; " in message
    assert "--config-format NAME (axolotl or timm)" in message


def test_the_cli_refuses_a_mixed_file_in_one_line(cli, tmp_path: Path) -> None:
    result = cli("plot", _axolotl_with_timm_keys(tmp_path), "--dataset-size", "100", "-o", tmp_path / "a.csv")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize(
    ("chosen", "unread"),
    [
        ("axolotl", "timm train.py's opt, sched, warmup_lr"),
        ("timm", "axolotl's micro_batch_size, num_epochs"),
    ],
)
def test_a_chosen_format_names_the_other_formats_keys_it_does_not_read(
    chosen: str, unread: str, tmp_path: Path
) -> None:
    config = lrplot.load(_axolotl_with_timm_keys(tmp_path), dataset_size=1000, config_format=chosen)
    notes = [note for note in config.notes if "--config-format" in note]
    assert len(notes) == 1 and f"--config-format {chosen}: not read: {unread}" in notes[0], config.notes
    assert "may change the schedule" in notes[0]


def test_a_chosen_format_warns_on_the_cli_and_draws(cli, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    result = cli("plot", _axolotl_with_timm_keys(tmp_path), "--dataset-size", "100", "--config-format", "axolotl",
                 "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (
        "lrplot: warning: axolotl config: --config-format axolotl: not read: timm train.py's opt"
        in result.stderr
    )
    assert out.read_text().startswith("curve,group,step,lr")


def test_a_chosen_format_of_an_unmixed_file_has_no_such_note() -> None:
    config = lrplot.load(AXOLOTL_FILE, dataset_size=100, config_format="axolotl")
    assert not [note for note in config.notes if "--config-format" in note]


# The "compatible with" relation: each declaration names a real format and keys it claims,
# and each is needed (without it, a real fixture of the declaring format is refused).
COMPATIBLE = {"axolotl": AXOLOTL_FILE, "litgpt": LITGPT_FILE, "nemo": OWN["nemo"][1]}


def test_every_compatible_with_declaration_is_known_to_this_test() -> None:
    from lrplot.formats import format_module

    declaring = {name for name, module in format_names().items() if getattr(format_module(module),
                 "COMPATIBLE_WITH", None)}  # fmt: skip
    assert declaring == set(COMPATIBLE)


@pytest.mark.parametrize("name", sorted(COMPATIBLE))
def test_each_compatible_with_declaration_is_needed(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from lrplot.formats import format_module

    module = format_module(format_names()[name])
    path = COMPATIBLE[name]
    for other, keys in module.COMPATIBLE_WITH.items():
        assert other in format_names() and keys, (name, other)
    assert claimants(path, read(path)) == [name]
    monkeypatch.setattr(module, "COMPATIBLE_WITH", {})
    assert claimants(path, read(path)) == []


def test_a_compatible_key_is_read_by_the_format_that_declares_it() -> None:
    """axolotl reads the Trainer's warmup_ratio itself (0.1 in the file): the warmup follows it."""
    assert read(AXOLOTL_FILE)["warmup_ratio"] == 0.1
    assert lrplot.load(AXOLOTL_FILE, dataset_size=1000).curves[0].label == "axolotl cosine, warmup 100"
    changed = lrplot.load(AXOLOTL_FILE, dataset_size=1000, sets=["warmup_ratio=0.5"])
    assert changed.curves[0].label == "axolotl cosine, warmup 500"
