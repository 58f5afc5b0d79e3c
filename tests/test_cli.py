"""The command line: outputs by extension, defaults, help, and a real subprocess."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

COSINE = """
title: Cosine
total_step: 50
curves:
  - label: "eta_min=0.2, fresh"
    scheduler: {name: CosineAnnealingLR, T_max: 20, eta_min: 0.2}
  - label: onecycle
    optimizer: {name: Adam}
    scheduler: {name: OneCycleLR, max_lr: 1.0, total_steps: 50}
"""


def test_writes_every_format_in_one_run(write_config, tmp_path: Path, cli) -> None:
    config = write_config(COSINE)
    outputs = [tmp_path / f"out.{ext}" for ext in ("png", "svg", "pdf", "csv")]
    result = cli("plot", config, *[arg for out in outputs for arg in ("-o", out)])
    assert result.exit_code == 0, result.output
    assert outputs[0].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert b"<svg" in outputs[1].read_bytes()[:400]
    assert outputs[2].read_bytes().startswith(b"%PDF")
    rows = list(csv.reader(outputs[3].open()))
    assert rows[0] == ["curve", "group", "step", "lr", "momentum"]
    assert rows[1][:3] == ["eta_min=0.2, fresh", "0", "0"]
    assert len(rows) == 1 + 2 * 50
    assert "2 curve(s), 100 steps" in result.stderr


def test_default_output_is_config_stem_png_in_current_folder(
    write_config, tmp_path: Path, cli, monkeypatch
) -> None:
    config = write_config(COSINE, name="my_schedule.yaml")
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    result = cli("plot", config)
    assert result.exit_code == 0, result.output
    assert (workdir / "my_schedule.png").read_bytes().startswith(b"\x89PNG")


def test_quiet_prints_nothing_on_success(write_config, tmp_path: Path, cli) -> None:
    result = cli("plot", write_config(COSINE), "-o", tmp_path / "a.csv", "--quiet")
    assert result.exit_code == 0
    assert result.output == "" and result.stderr == ""


def test_output_replaces_an_existing_file_atomically(write_config, tmp_path: Path, cli) -> None:
    target = tmp_path / "a.csv"
    target.write_text("old")
    assert cli("plot", write_config(COSINE), "-o", target).exit_code == 0
    assert target.read_text().startswith("curve,group,step,lr")
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_help_documents_exit_codes(cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    assert "0 ok, 1 a check found a difference, 2 bad config or usage" in result.output


def test_plot_help_lists_formats(cli) -> None:
    result = cli("plot", "--help")
    assert ".png .svg .pdf .jpg .webp .tif .csv" in " ".join(result.output.split())


def test_version(cli) -> None:
    from lrplot import __version__

    assert cli("--version").output.strip() == f"lrplot {__version__}"


def test_allow_import_lets_a_config_name_another_module(write_config, tmp_path: Path, cli) -> None:
    config = write_config(
        "total_step: 10\ncurves:\n  - scheduler: {name: torch.optim.lr_scheduler.StepLR, step_size: 2}\n"
        "    optimizer: {name: tests.fixtures.custom_optim.SlowSGD}\n"
    )
    refused = cli("plot", config, "-o", tmp_path / "a.csv")
    assert refused.exit_code == 2 and "--allow-import tests" in refused.stderr
    allowed = cli("plot", config, "-o", tmp_path / "a.csv", "--allow-import", "tests.fixtures")
    assert allowed.exit_code == 0, allowed.stderr


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "lrplot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def test_real_subprocess_draws_a_shipped_config_headless(tmp_path: Path) -> None:
    result = run(
        "plot",
        str(ROOT / "configs" / "cosine_annealing.yaml"),
        "-o",
        "cos.png",
        "-o",
        "cos.csv",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cos.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "cos.csv").read_text().count("\n") == 1 + 4 * 100


def test_real_subprocess_bad_config_exits_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("total_step: 10\ncurves:\n  - scheduler: {name: StepLR}\n")
    result = run("plot", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "lrplot: error: bad.yaml:3: curve 'StepLR': scheduler StepLR needs keyword 'step_size'"
    )
    assert not (tmp_path / "bad.png").exists()


def test_help_does_not_import_torch_or_matplotlib(tmp_path: Path) -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from lrplot.commands.app import app; "
        "CliRunner().invoke(app, ['--help']); CliRunner().invoke(app, ['plot', '--help']); "
        "print(sorted(m for m in ('torch', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.skipif(
    not (Path(sys.executable).parent / "lrplot").exists(), reason="console script not installed"
)
def test_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "lrplot"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("lrplot ")


def test_drawing_warnings_are_one_line_notes(write_config, tmp_path: Path, cli) -> None:
    config = write_config(
        "total_step: 5\nplot: {yscale: log}\ncurves:\n  - scheduler: {name: LambdaLR, lr_lambda: '0'}\n"
    )
    result = cli("plot", config, "-o", tmp_path / "a.png")
    assert result.exit_code == 0
    assert "lrplot: warning: figure: Data has no positive values" in result.stderr
    assert "Traceback" not in result.stderr and "UserWarning" not in result.stderr


def test_the_api_validate_lists_what_the_command_lists(write_config, cli) -> None:
    import lrplot

    good = write_config(
        "total_step: 5\ncurves:\n  - optimizer: {name: SGD, lr: 0.1}\n    scheduler: {name: StepLR, step_size: 2}\n",
        "good.yaml",
    )
    bad = write_config(
        "total_step: 5\ncurves:\n  - optimizer: {name: SGD, lr: 0.1}\n    scheduler: {name: StepLR, step_sise: 2}\n",
        "bad.yaml",
    )
    assert lrplot.validate(good) == []
    problems = [str(problem) for problem in lrplot.validate(bad)]
    assert problems and "has no keyword 'step_sise' (did you mean 'step_size'?)" in problems[0]
    result = cli("validate", bad)
    assert result.exit_code == 2
    listed = (result.stdout + result.stderr).splitlines()
    assert [line for line in listed if line] == problems  # the same lines, in the same order
