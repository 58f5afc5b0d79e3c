"""The README and docs cannot rot: their commands, YAML, CSV, error and API examples are executed here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import lrplot
from lrplot.errors import LrplotError
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
ALL_TEXT = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)


def fenced_blocks(language: str) -> list[str]:
    """Fenced blocks of one language in the README and every docs page."""
    return re.findall(rf"```{language}\n(.*?)```", ALL_TEXT, flags=re.S)


def command_after(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\s*```bash\n(.*?)\n```", README, flags=re.S)
    assert match, f"README has no {marker} block"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "test-command" in ci
    assert "pytest" in command_after("test-command")


def test_figure_command_names_a_shipped_config() -> None:
    command = command_after("figure-command")
    config = re.search(r"lrplot plot (\S+)", command).group(1)
    assert (ROOT / config).is_file()


@pytest.mark.parametrize("block", [b for b in fenced_blocks("yaml") if "curves:" in b])
def test_yaml_examples_simulate(block: str) -> None:
    result = lrplot.simulate(lrplot.loads(block))
    assert result.curves


def test_csv_example_is_real_output(tmp_path: Path) -> None:
    example = next(b for b in fenced_blocks("text") if b.startswith("curve,group,step"))
    lrplot.write(lrplot.simulate(lrplot.load(ROOT / "configs" / "cosine_annealing.yaml")), tmp_path / "c.csv")
    produced = (tmp_path / "c.csv").read_text().splitlines()
    for line in example.strip().splitlines()[1:]:
        assert line in produced


def test_error_example_is_the_real_message() -> None:
    example = next(b for b in fenced_blocks("text") if b.startswith("lrplot: error:")).strip()
    text = "total_step: 10\ncurves:\n  - label: cosine\n    scheduler:\n      T_mx: 40\n      name: CosineAnnealingLR\n"
    with pytest.raises(LrplotError) as info:
        lrplot.simulate(lrplot.loads(text, name="configs/x.yaml"))
    assert example == f"lrplot: error: {info.value}"


def test_readme_fits_a_first_read() -> None:
    assert README.count("\n") < 150


def test_cli_reference_is_current() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "tools" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == module.reference(), "docs/cli.md is stale: run .venv/bin/python tools/cli_reference.py"


def test_doc_links_point_at_files() -> None:
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_python_api_example_runs(tmp_path: Path, monkeypatch) -> None:
    block = next(b for b in re.findall(r"```python\n(.*?)```", README, flags=re.S) if "lrplot.load(" in b)
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "cosine.png").is_file() and (tmp_path / "cosine.csv").is_file()


def readme_plot_commands() -> list[str]:
    commands = []
    for block in fenced_blocks("bash"):
        for line in block.splitlines():
            # commands on the repository's own configs run here; others name the user's files
            if line.startswith("lrplot plot configs/"):
                commands.append(line.split("  #", 1)[0])
    return commands


@pytest.mark.parametrize("command", readme_plot_commands())
def test_readme_plot_commands_run(command: str, tmp_path: Path, monkeypatch, cli) -> None:
    import shlex

    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    import glob

    words = [
        match
        for word in shlex.split(command)[1:]
        for match in (sorted(glob.glob(word)) if "*" in word else [word])
    ]
    result = cli(*words, "--quiet")
    assert result.exit_code == 0, result.stderr
