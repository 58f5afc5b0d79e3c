"""The CI-facing commands: check, validate, list, init, schema, and the docs/ci.md workflow."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from lrplot.commands.templates import TEMPLATES
from tests.conftest import ROOT

COSINE = "total_step: 50\ncurves:\n  - {label: cos, scheduler: {name: CosineAnnealingLR, T_max: 20}}\n"


def test_check_passes_against_its_own_snapshot(write_config, tmp_path: Path, cli) -> None:
    config = write_config(COSINE)
    snapshot = tmp_path / "snapshot.csv"
    assert cli("check", config, "--against", snapshot, "--update").exit_code == 0
    result = cli("check", config, "--against", snapshot)
    assert result.exit_code == 0 and "matches" in result.stderr


def test_check_reports_the_first_difference_and_exits_1(write_config, tmp_path: Path, cli) -> None:
    config = write_config(COSINE)
    snapshot = tmp_path / "snapshot.csv"
    cli("check", config, "--against", snapshot, "--update")
    changed = write_config(COSINE.replace("T_max: 20", "T_max: 21"), name="changed.yaml")
    result = cli("check", changed, "--against", snapshot)
    assert result.exit_code == 1
    report = result.stderr
    assert (
        "curve 'cos': lr differs first at step 1: 0.9938441702975689 in the snapshot, 0.9944154131125642 now"
        in report
    )
    assert "--update" in report


def test_check_tolerance(write_config, tmp_path: Path, cli) -> None:
    config = write_config(COSINE)
    snapshot = tmp_path / "snapshot.csv"
    cli("check", config, "--against", snapshot, "--update")
    nudged = ["--set", "optimizer.lr=1.0000000001"]
    assert cli("check", config, "--against", snapshot, *nudged).exit_code == 1
    assert cli("check", config, "--against", snapshot, *nudged, "--rtol", "1e-9").exit_code == 0
    assert cli("check", config, "--against", snapshot, *nudged, "--atol", "1e-9").exit_code == 0


def test_check_notices_curves_added_and_removed(write_config, tmp_path: Path, cli) -> None:
    config = write_config(COSINE)
    snapshot = tmp_path / "snapshot.csv"
    cli("check", config, "--against", snapshot, "--update")
    other = write_config(COSINE.replace("label: cos", "label: renamed"), name="o.yaml")
    result = cli("check", other, "--against", snapshot)
    assert result.exit_code == 1
    assert "curve 'cos': in the snapshot, not in the config" in result.stderr
    assert "curve 'renamed': new, not in the snapshot" in result.stderr


def test_check_without_snapshot_is_a_usage_error(write_config, tmp_path: Path, cli) -> None:
    result = cli("check", write_config(COSINE), "--against", tmp_path / "missing.csv")
    assert result.exit_code == 2 and "create it with --update" in result.stderr


def test_check_refuses_a_file_that_is_not_an_lrplot_csv(write_config, tmp_path: Path, cli) -> None:
    snapshot = tmp_path / "other.csv"
    snapshot.write_text("a,b\n1,2\n")
    result = cli("check", write_config(COSINE), "--against", snapshot)
    assert result.exit_code == 2 and "other.csv:1: not an lrplot CSV" in result.stderr


def test_validate_lists_every_problem_with_file_and_line(write_config, cli) -> None:
    config = write_config(
        "total_step: 10\ncurves:\n  - optimizer: {name: SGD, momentun: 0.9}\n"
        "    scheduler: {name: CosineAnnealingLR, T_mx: 3}\n"
        "  - scheduler: {name: LambdaLR, lr_lambda: 'step.real'}\n"
        "  - scheduler: {name: Steplr, step_size: 1}\n"
        "  - scheduler: {name: StepLR, step_size: 1}\n    colour: red\n"
    )
    result = cli("validate", config)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in lines] == ["3", "4", "4", "5", "6", "8"]
    assert all(line.startswith(str(config) + ":") for line in lines)
    assert "no keyword 'momentun'" in lines[0] and "no keyword 'T_mx'" in lines[1]
    assert "needs keyword 'T_max'" in lines[2] and "attribute access" in lines[3]
    assert "did you mean 'StepLR'" in lines[4] and "unknown key 'colour'" in lines[5]


def test_validate_ok(cli) -> None:
    configs = sorted(str(p) for p in (ROOT / "configs").rglob("*.yaml"))
    result = cli("validate", *configs)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count(": ok") == len(configs)


def test_validate_catches_what_only_torch_knows(write_config, cli) -> None:
    config = write_config(
        "total_step: 10\ncurves:\n  - scheduler:\n      name: SequentialLR\n      milestones: [1, 2]\n"
        "      schedulers: [{name: StepLR, step_size: 1}, {name: StepLR, step_size: 2}]\n"
    )
    result = cli("validate", config)
    assert result.exit_code == 2 and "config.yaml:3:" in result.stderr and "milestones" in result.stderr


def test_list_shows_every_scheduler_and_optimizer_with_defaults(cli) -> None:
    from lrplot.plan.classes import optimizer_classes, scheduler_classes

    output = cli("list").stdout
    for name in [*scheduler_classes(), *optimizer_classes()]:
        assert f"\n  {name}(" in output, name
    assert "CosineAnnealingLR(T_max, eta_min=0.0, last_epoch=-1)" in output


def test_list_one_shows_its_docstring_and_parameters(cli) -> None:
    output = cli("list", "cosineannealinglr").stdout
    assert output.startswith("CosineAnnealingLR  (torch.optim.lr_scheduler.CosineAnnealingLR, scheduler)")
    assert "cosine annealing schedule" in output
    assert "  T_max: int  (required)" in output


def test_list_unknown_name_suggests(cli) -> None:
    result = cli("list", "CosineAnealingLR")
    assert result.exit_code == 2 and "did you mean 'CosineAnnealingLR'" in result.stderr


def test_catalog_defaults_match_torch_signatures() -> None:
    import inspect

    from lrplot.commands.catalog import catalog
    from lrplot.plan.classes import scheduler_classes

    entries = {e.name: e for e in catalog(["torch"])}
    for name, cls in scheduler_classes().items():
        parameters = inspect.signature(cls).parameters
        for parameter in entries[name].parameters:
            default = parameters[parameter.name].default
            if parameter.default is None:
                assert default is inspect.Parameter.empty
            else:
                assert eval(parameter.default, {}) == default, (name, parameter.name)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_init_template_plots_as_it_is(template: str, tmp_path: Path, cli) -> None:
    target = tmp_path / f"{template}.yaml"
    assert cli("init", template, "-o", target).exit_code == 0
    assert "# yaml-language-server" in target.read_text()
    result = cli("plot", target, "-o", tmp_path / "out.png", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert cli("validate", target, "--quiet").exit_code == 0


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("init").exit_code == 0
    assert Path("lrplot.yaml").is_file()
    Path("lrplot.yaml").write_text("mine")
    refused = cli("init", "cosine")
    assert refused.exit_code == 2 and "already exists; use --force" in refused.stderr
    assert Path("lrplot.yaml").read_text() == "mine"
    assert cli("init", "cosine", "--force").exit_code == 0
    assert "CosineAnnealingLR" in Path("lrplot.yaml").read_text()


def test_init_unknown_template(cli) -> None:
    result = cli("init", "cosin")
    assert result.exit_code == 2 and "did you mean 'cosine'" in result.stderr


def test_schema_validates_the_shipped_configs_and_refuses_typos(cli) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(cli("schema").stdout)
    validator = jsonschema.Draft202012Validator(schema)
    for path in (ROOT / "configs").rglob("*.yaml"):
        validator.validate(yaml.safe_load(path.read_text()))
    bad = {"total_step": 10, "curves": [{"scheduler": {"name": "StepLR"}, "lable": "x"}]}
    assert list(validator.iter_errors(bad))


def test_commands_users_type_often_do_not_import_torch_or_matplotlib(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom lrplot.commands.app import app\n"
        "for args in (['--help'], ['list'], ['list', 'StepLR'], ['schema'], ['init', '-o', 'x.yaml']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0, args\n"
        "print(sorted(m for m in ('torch', 'matplotlib', 'numpy') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.stdout.strip() == "[]", result.stderr


def workflow_commands() -> list[str]:
    text = (ROOT / "docs" / "ci.md").read_text()
    return [
        line.strip()[len("run: ") :] for line in text.splitlines() if line.strip().startswith("run: lrplot ")
    ]


def test_docs_ci_workflow_commands_pass_on_this_repository(tmp_path: Path, monkeypatch, cli) -> None:
    commands = workflow_commands()
    assert commands, "docs/ci.md has no lrplot commands"
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "snapshots").mkdir()
    (tmp_path / "docs").mkdir()
    for config in sorted((ROOT / "configs").glob("*.yaml")):
        assert (
            cli(
                "check", f"configs/{config.name}", "--against", f"snapshots/{config.stem}.csv", "--update"
            ).exit_code
            == 0
        )
    for command in commands:
        words = shlex.split(command)
        expanded = []
        for word in words[1:]:
            expanded += (
                sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob(word)) if "*" in word else [word]
            )
        result = cli(*expanded)
        assert result.exit_code == 0, (command, result.stderr)
    # the workflow's loop: every config matches its snapshot
    for config in sorted((ROOT / "configs").glob("*.yaml")):
        result = cli("check", f"configs/{config.name}", "--against", f"snapshots/{config.stem}.csv")
        assert result.exit_code == 0, result.stderr
