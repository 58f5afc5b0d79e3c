"""The command line is a Typer app: typed commands, choices in --help, shell completion,
and the start-up cost Typer would add (rich, pydantic adapters) kept out."""

from __future__ import annotations

import enum
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st

from lrplot.commands.app import app, command
from lrplot.commands.coercion import _converter
from lrplot.commands.options import Engine, OutputFormat
from lrplot.commands.values import positive_integer
from tests.conftest import ROOT, cli_runner

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m lrplot ARGS`` in a fresh process (this checkout first on the path)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "lrplot", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=120,
    )


def test_the_app_is_a_typer_app_with_every_command() -> None:
    assert isinstance(app, typer.Typer)
    assert list(command().commands) == ["plot", "validate", "check", "list", "init", "schema"]


def test_the_package_requires_typer_and_its_script_runs_the_typer_app() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(requirement.startswith("typer") for requirement in project["dependencies"])
    assert project["scripts"]["lrplot"] == "lrplot.__main__:main"
    installed = importlib.metadata.requires("lrplot") or []
    if not any(r.startswith("click") for r in installed):  # an install of this pyproject, not an older one
        assert any(r.startswith("typer") for r in installed)


@pytest.mark.parametrize(
    ("arguments", "choices"),
    [
        (["plot", "--help"], "--engine [auto|torch|fast]"),
        (["plot", "--help"], "-f, --format [png|svg|pdf|jpg|jpeg|webp|tif|tiff|csv]"),
    ],
)
def test_closed_choices_are_listed_in_help(arguments: list[str], choices: str) -> None:
    result = cli_runner().invoke(app, arguments, env={"COLUMNS": "80"})
    assert result.exit_code == 0 and choices in result.stdout


def test_a_value_outside_the_choices_is_one_line_naming_them(cli) -> None:
    result = cli("plot", "x.yaml", "--engine", "quick")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert (
        result.stderr
        == "lrplot: error: lrplot plot: --engine: 'quick' is not one of 'auto', 'torch', 'fast'\n"
    )


def test_a_nul_in_a_path_is_a_usage_error(cli) -> None:
    result = cli("plot", "a\x00.yaml")
    assert result.exit_code == 2
    assert result.stderr == "lrplot: error: lrplot plot: CONFIGS: a path cannot contain a NUL character\n"


def test_choices_are_case_insensitive(cli, tmp_path: Path) -> None:
    result = cli(
        "plot", ROOT / "configs/schedulers/step_lr.yaml", "--engine", "TORCH", "-o", tmp_path / "a.csv", "-q"
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "a.csv").read_text().startswith("curve,group,step,lr")


def test_bash_completion_completes_options_choices_and_commands() -> None:
    def complete(words: str) -> list[str]:
        cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
        done = run(env={"_LRPLOT_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword})
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("lrplot va") == ["validate"]
    assert complete("lrplot plot --eng") == ["--engine"]
    assert complete("lrplot plot --engine ") == ["auto", "torch", "fast"]
    assert "csv" in complete("lrplot plot -f ")


def test_show_completion_prints_the_script_for_the_shell() -> None:
    done = run("--show-completion", "bash")
    assert done.returncode == 0
    assert (
        "_LRPLOT_COMPLETE=complete_bash" in done.stdout
        and "complete -o default -F _lrplot_completion lrplot" in done.stdout
    )


def test_install_completion_writes_the_shells_own_files(tmp_path: Path) -> None:
    done = run("--install-completion", "bash", env={"HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    script = tmp_path / ".bash_completions" / "lrplot.sh"
    assert "_LRPLOT_COMPLETE=complete_bash" in script.read_text()
    assert str(script) in (tmp_path / ".bashrc").read_text()


def test_start_up_imports_neither_rich_nor_pydantic_adapters(tmp_path: Path) -> None:
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['lrplot', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('lrplot', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('rich', 'pydantic', 'typer._adapters', 'torch') if m in sys.modules))\n"
    )
    for arguments in (["--help"], ["plot", "--help"], ["init", "-o", "x.yaml"], ["plot", "--bogus"]):
        done = subprocess.run(
            [sys.executable, "-c", probe, *arguments], capture_output=True, text=True, cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
        )  # fmt: skip
        assert done.stdout.strip().splitlines()[-1] == "[]", (arguments, done.stderr)


class Colour(str, enum.Enum):
    red = "red"
    green = "green"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_plain_coercion_gives_typers_own_values(text: str) -> None:
    """What lrplot's converters make of a command-line word is what Typer's pydantic adapters make."""
    from pydantic import ValidationError
    from typer._adapters import try_build_adapter
    from typer.models import OptionInfo

    for annotation in (str, Path):
        adapter = try_build_adapter(annotation, OptionInfo())
        assert adapter is not None
        try:
            theirs = adapter.validate_python(text)
        except ValidationError:  # Typer refuses a NUL in a path (os.stat raises ValueError)
            with pytest.raises(typer.BadParameter):
                _converter(annotation, None, True)(text)
            continue
        assert _converter(annotation, None, True)(text) == theirs


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([*Engine, *OutputFormat]), st.booleans())
def test_plain_choices_match_typers(member: enum.Enum, upper: bool) -> None:
    text = member.value.upper() if upper else member.value
    assert _converter(type(member), None, False)(text) is member
    with pytest.raises(typer.BadParameter, match="is not one of"):
        _converter(type(member), None, True)(text + "x")


@given(st.integers(min_value=-(10**6), max_value=10**30))
def test_positive_integers_read_as_a_config_reads_them(number: int) -> None:
    for text in (str(number), f"{number}.0", f" {number} "):
        if number >= 1:
            assert positive_integer(text) == number
        else:
            with pytest.raises(typer.BadParameter, match="greater than or equal to 1"):
                positive_integer(text)
    with pytest.raises(typer.BadParameter, match="valid integer"):
        positive_integer(f"{number}.5")
