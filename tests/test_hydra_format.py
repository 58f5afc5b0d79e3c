"""Hydra configs: composition, interpolation, refused resolvers, where errors point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("hydra")

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import FIXTURES

HYDRA = FIXTURES / "hydra"
TEMPLATE = HYDRA / "lightning_hydra_template" / "configs"
FRNET = HYDRA / "autoware_ml" / "configs" / "tasks" / "segmentation3d" / "frnet" / "hdl32e_nuscenes.yaml"
CALIBRATION = (
    HYDRA / "autoware_ml" / "configs" / "tasks" / "calibration_status" / "calibration_status_classifier"
)
FLASH = HYDRA / "flash_attention" / "configs" / "experiment" / "owt" / "gpt2s-flash.yaml"
# flash-attention's experiment computes its warm-up with its own `eval` resolver and uses apex.
FLASH_OPTIONS = (
    "--hydra-override", "optimizer=adamw",
    "--hydra-override", "train.scheduler.num_warmup_steps=4000",
)  # fmt: skip

COLLECTED = [
    (TEMPLATE / "train.yaml", ("--steps-per-epoch", "3")),
    (TEMPLATE / "train.yaml", ("--hydra-override", "experiment=example")),
    (TEMPLATE / "experiment" / "example.yaml", ()),
    (TEMPLATE / "model" / "mnist.yaml", ()),
    (CALIBRATION / "resnet18_nuscenes.yaml", ("--steps-per-epoch", "4")),
    (CALIBRATION / "resnet18_base.yaml", ()),
    (FRNET, ()),
    (FRNET.parent / "base.yaml", ()),
    (FLASH, FLASH_OPTIONS),
    (FIXTURES / "forms" / "hydra_config.yaml", ()),
]


@pytest.mark.parametrize(
    ("path", "options"), COLLECTED, ids=lambda v: getattr(v, "name", None) or " ".join(v)
)
def test_every_collected_config_plots_as_it_is(
    path: Path, options: tuple[str, ...], cli, tmp_path: Path
) -> None:
    result = cli("plot", path, *options, "-o", tmp_path / "out.csv", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.csv").read_text().startswith("curve,group,step,lr")


def lr_of(config) -> list[float]:
    return lrplot.simulate(config).curves[0].groups[0].lr.tolist()


def test_an_experiment_file_is_composed_as_its_primary_config_selects_it() -> None:
    direct = lrplot.load(TEMPLATE / "experiment" / "example.yaml", steps_per_epoch=2)
    primary = lrplot.load(TEMPLATE / "train.yaml", steps_per_epoch=2, hydra_overrides=["experiment=example"])
    assert direct.curves[0].optimizer.model_dump()["lr"] == 0.002  # the experiment's, over model/mnist.yaml's
    assert lr_of(direct) == lr_of(primary)
    assert any("composed as train.yaml with experiment=example" in note for note in direct.notes)
    assert any("colorlog is a Hydra plugin that is not installed" in note for note in direct.notes)


def test_interpolations_resolve_as_omegaconf_does(write_config) -> None:
    path = write_config(
        """
        trainer: {max_epochs: 12, warm: 3}
        base_lr: 0.5
        model:
          optimizer: {_target_: torch.optim.SGD, _partial_: true, lr: "${base_lr}"}
          scheduler:
            _target_: torch.optim.lr_scheduler.LinearLR
            _partial_: true
            total_iters: ${trainer.max_epochs}
            start_factor: ${oc.select:trainer.start,0.25}
            end_factor: ${..factor}
          factor: 1.0
        """
    )
    curve = lrplot.load(path).curves[0]
    assert curve.optimizer.model_dump()["lr"] == 0.5
    keywords = curve.scheduler.model_dump()
    assert (keywords["total_iters"], keywords["start_factor"], keywords["end_factor"]) == (12, 0.25, 1.0)
    assert curve.total_step == 12


def test_hydra_overrides_compose_a_single_file(write_config) -> None:
    path = FIXTURES / "forms" / "hydra_config.yaml"
    config = lrplot.load(
        path, steps_per_epoch=5, hydra_overrides=["trainer.max_epochs=4", "model.optimizer.lr=0.1"]
    )
    assert config.curves[0].total_step == 20 and config.curves[0].optimizer.model_dump()["lr"] == 0.1


def test_the_interval_a_config_states_is_used() -> None:
    config = lrplot.load(FRNET, hydra_overrides=["trainer.max_steps=50"])
    curve = config.curves[0]
    assert (curve.interval, curve.total_step) == ("step", 50)
    assert (
        curve.scheduler.model_dump()["total_steps"] == 50 and curve.scheduler.model_dump()["max_lr"] == 0.01
    )
    assert any("stepped per step, as model.scheduler_config.interval says" in note for note in config.notes)


def copy_template(tmp_path: Path) -> Path:
    shutil.copytree(TEMPLATE, tmp_path / "configs")
    return tmp_path / "configs"


def test_errors_point_at_the_file_that_set_the_value(tmp_path: Path) -> None:
    configs = copy_template(tmp_path)
    model = configs / "model" / "mnist.yaml"
    model.write_text(model.read_text().replace("  patience: 10", "  patiense: 10"))
    with pytest.raises(LrplotError, match="no keyword 'patiense'") as info:
        lrplot.simulate(lrplot.load(configs / "train.yaml"))
    line = model.read_text().splitlines().index("  patiense: 10") + 1
    assert info.value.where == f"{model}:{line}"


def test_a_value_from_an_override_points_at_the_override() -> None:
    with pytest.raises(LrplotError, match="no keyword 'patiense'") as info:
        lrplot.simulate(lrplot.load(TEMPLATE / "train.yaml", hydra_overrides=["+model.scheduler.patiense=3"]))
    assert info.value.where == "--hydra-override +model.scheduler.patiense=3"


def test_composed_files_are_reported_as_read() -> None:
    config = lrplot.load(TEMPLATE / "train.yaml")
    names = {path.relative_to(TEMPLATE.resolve()).as_posix() for path in config.reads}
    assert {"train.yaml", "model/mnist.yaml", "trainer/default.yaml"} <= names
    assert (TEMPLATE / "model" / "mnist.yaml").resolve() in config.dependencies()


def test_a_composition_error_is_one_line(cli, tmp_path: Path) -> None:
    result = cli(
        "plot", TEMPLATE / "train.yaml", "--hydra-override", "experiment=nope", "-o", tmp_path / "a.csv"
    )
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "Hydra cannot compose it: In 'train': Could not find 'experiment/nope'"
    )
    assert result.stderr.count("\n") == 1


ENV_CONFIG = """
trainer:
  max_epochs: ${oc.decode:${oc.env:LRPLOT_TEST_EPOCHS}}
optimizer: {_target_: torch.optim.SGD, lr: 0.1}
scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: "${now:%S}"}
"""


def test_oc_env_is_refused_with_the_culprit_and_how_to_allow_it(write_config, cli, monkeypatch) -> None:
    monkeypatch.setenv("LRPLOT_TEST_EPOCHS", "5")
    path = write_config(ENV_CONFIG.replace('"${now:%S}"', "2"))
    result = cli("plot", path, "-o", path.with_suffix(".csv"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr == (
        f"lrplot: error: {path}:2: trainer.max_epochs: resolver 'oc.env' reads the environment and is refused; "
        "allow it with --allow-import oc.env (or LRPLOT_ALLOW_IMPORT=oc.env), "
        "or give the value: --hydra-override trainer.max_epochs=VALUE\n"
    )


def test_an_allowed_resolver_runs(write_config, monkeypatch) -> None:
    monkeypatch.setenv("LRPLOT_TEST_EPOCHS", "5")
    path = write_config(ENV_CONFIG.replace('"${now:%S}"', "2"))
    assert lrplot.load(path, allow_imports=["oc.env"]).curves[0].total_step == 5
    monkeypatch.setenv("LRPLOT_ALLOW_IMPORT", "oc")
    assert lrplot.load(path).curves[0].total_step == 5


def test_a_length_that_is_not_a_number_is_named(write_config, monkeypatch) -> None:
    monkeypatch.setenv("LRPLOT_TEST_EPOCHS", "5")
    text = ENV_CONFIG.replace("${oc.decode:${oc.env:LRPLOT_TEST_EPOCHS}}", "${oc.env:LRPLOT_TEST_EPOCHS}")
    path = write_config(text.replace('"${now:%S}"', "2"))
    with pytest.raises(
        LrplotError, match=r"trainer.max_epochs must be a whole number of epochs \(or -1\), got str '5'"
    ):
        lrplot.load(path, allow_imports=["oc.env"])


def test_hydras_clock_resolver_is_refused(write_config) -> None:
    path = write_config(ENV_CONFIG.replace("${oc.decode:${oc.env:LRPLOT_TEST_EPOCHS}}", "5"))
    with pytest.raises(
        LrplotError, match=r"scheduler.step_size: resolver 'now' reads the clock and is refused"
    ):
        lrplot.load(path)


def test_a_projects_own_resolver_is_refused_then_imported_when_allowed(write_config) -> None:
    path = write_config(
        ENV_CONFIG.replace("${oc.decode:${oc.env:LRPLOT_TEST_EPOCHS}}", "${lrplot_test_mul:2,3}").replace(
            '"${now:%S}"', "2"
        )
    )
    with pytest.raises(
        LrplotError, match="resolver 'lrplot_test_mul' is the project's own code and is refused"
    ):
        lrplot.load(path)
    config = lrplot.load(path, allow_imports=["tests.fixtures.hydra_resolvers"])
    assert config.curves[0].total_step == 6


def test_flash_attentions_eval_resolver_is_refused(cli, tmp_path: Path) -> None:
    result = cli("plot", FLASH, "-o", tmp_path / "a.csv")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    base = FLASH.parent / "base.yaml"
    line = (
        base.read_text().splitlines().index("    num_warmup_steps: ${eval:0.01 * ${trainer.max_steps}}") + 1
    )
    assert (
        f"{base.relative_to(Path.cwd())}:{line}: train.scheduler.num_warmup_steps: resolver 'eval'"
        in result.stderr
    )


def test_the_guard_leaves_omegaconf_as_it_was(write_config) -> None:
    from omegaconf import OmegaConf

    before = OmegaConf._get_resolver
    path = write_config(ENV_CONFIG)
    with pytest.raises(LrplotError):
        lrplot.load(path)
    assert OmegaConf._get_resolver is before or OmegaConf._get_resolver == before
    assert OmegaConf.create({"a": "${oc.env:HOME}"}).a  # OmegaConf's own users are unaffected


DOCS = Path(__file__).parent.parent / "docs" / "formats"


@pytest.mark.parametrize("doc", ["lightning.md", "hydra.md"])
def test_the_docs_commands_run(doc: str, cli, tmp_path: Path) -> None:
    import re
    import shlex

    text = (DOCS / doc).read_text()
    commands = [line for line in text.splitlines() if line.startswith("lrplot plot tests/fixtures/")]
    assert commands
    for command in commands:
        words = shlex.split(command)[2:]
        words[words.index("-o") + 1] = str(tmp_path / "out.csv")
        result = cli("plot", *words, "--quiet")
        assert result.exit_code == 0, result.stderr
    for example in re.findall(r"```text\n(lrplot: error: .*?)\n```", text):
        result = cli("plot", FLASH, "-o", tmp_path / "a.csv")
        shown = result.stderr.strip().split(": ", 3)[3]  # without "lrplot: error: <path>:<line>"
        assert example.split(": ", 3)[3] == shown


def test_a_stated_epoch_interval_with_max_steps_asks_for_the_epoch_length(write_config) -> None:
    path = write_config(
        """
        trainer: {max_steps: 100}
        model:
          optimizer: {_target_: torch.optim.SGD, lr: 0.1}
          scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: 2}
          scheduler_interval: epoch
        """
    )
    with pytest.raises(LrplotError, match="give --steps-per-epoch N") as info:
        lrplot.load(path)
    assert info.value.where == f"{path}:1"
    assert lrplot.load(path, steps_per_epoch=10).curves[0].interval == "epoch"


def test_a_notebooks_hydra_context_survives(tmp_path: Path) -> None:
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    with initialize_config_dir(config_dir=str(TEMPLATE.resolve()), version_base=None):
        before = GlobalHydra.instance().hydra
        lrplot.load(TEMPLATE / "train.yaml")
        assert GlobalHydra.instance().hydra is before


def test_dataset_size_gives_the_epoch_length_from_the_data_batch_size() -> None:
    config = lrplot.load(TEMPLATE / "experiment" / "example.yaml", dataset_size=55000)
    assert config.curves[0].steps_per_epoch == 860  # ceil(55000 / 64): the experiment's data.batch_size
    assert any("860 optimizer steps per epoch: 55000 samples" in note for note in config.notes)


def test_hydra_overrides_on_another_format_are_refused() -> None:
    lightning = FIXTURES / "lightning" / "torch_uncertainty_kitti_bts.yaml"
    with pytest.raises(
        LrplotError, match="--hydra-override applies to Hydra configs; this is a LightningCLI"
    ):
        lrplot.load(lightning, hydra_overrides=["trainer.max_epochs=3"])


def test_a_refused_resolver_in_a_real_process_is_one_line_and_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(FLASH), "-o", str(tmp_path / "a.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "resolver 'eval' is the project's own code and is refused" in done.stderr
    assert not (tmp_path / "a.csv").exists()


def test_hydra_reads_the_composed_files_through_the_reading_policy(tmp_path: Path, monkeypatch) -> None:
    """A group file that links outside the allowed folders is refused before Hydra parses it."""
    from hydra._internal.core_plugins.file_config_source import FileConfigSource
    from hydra._internal.sources_registry import SourcesRegistry
    from omegaconf import OmegaConf

    from lrplot.read.files import confining_reads

    configs = copy_template(tmp_path / "project")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    model = configs / "model" / "mnist.yaml"
    shutil.move(model, outside / "mnist.yaml")
    model.symlink_to(outside / "mnist.yaml")
    parsed: list[str] = []
    original_load = OmegaConf.load
    monkeypatch.setattr(
        OmegaConf, "load", lambda f: parsed.append(getattr(f, "name", "text")) or original_load(f)
    )
    monkeypatch.chdir(configs)
    with confining_reads(), pytest.raises(LrplotError) as info:
        lrplot.load(configs / "train.yaml")
    assert f"Hydra config {model} is outside the config's folder" in str(info.value)
    assert f"--allow-read {outside}" in str(info.value)
    assert not any("mnist" in name for name in parsed)  # never opened by Hydra itself
    restored = SourcesRegistry.instance().types["file"]  # Hydra's own class again
    assert (restored.__module__, restored.__name__) == (FileConfigSource.__module__, "FileConfigSource")
    with confining_reads([outside]):
        config = lrplot.load(configs / "train.yaml")
    assert (outside / "mnist.yaml").resolve() in {path.resolve() for path in config.dependencies()}


def test_a_composed_file_over_the_byte_cap_is_refused_unread(tmp_path: Path, monkeypatch) -> None:
    from omegaconf import OmegaConf

    from lrplot.limits import MAX_CONFIG_BYTES

    configs = copy_template(tmp_path)
    model = configs / "model" / "mnist.yaml"
    model.write_text(model.read_text() + "# " + "x" * MAX_CONFIG_BYTES + "\n")
    parsed: list[int] = []
    original_load = OmegaConf.load
    size = lambda f: len(f.getvalue()) if hasattr(f, "getvalue") else len(f.read()) + f.seek(0)  # noqa: E731
    monkeypatch.setattr(OmegaConf, "load", lambda f: parsed.append(size(f)) or original_load(f))
    with pytest.raises(LrplotError, match=r"model/mnist\.yaml") as info:
        lrplot.load(configs / "train.yaml")
    assert f"is too large (limit {MAX_CONFIG_BYTES:,} bytes)" in str(info.value)
    assert parsed and max(parsed) < MAX_CONFIG_BYTES  # the other groups were parsed, never that one
