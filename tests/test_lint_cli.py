"""Schedule checks on the command line: printed under the summary, in --json, --strict,
--ignore and lint: {ignore}, validate, the figure's markers and the summary's column."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import lrplot
from lrplot.engines import simulate
from lrplot.lint import all_checks, lint
from lrplot.plan import plan
from tests.conftest import FIXTURES, ROOT

SHORT_COSINE = """\
total_step: 100
curves:
  - label: short
    scheduler: {name: CosineAnnealingLR, T_max: 40}
  - label: fits
    scheduler: {name: CosineAnnealingLR, T_max: 100}
"""
HF = """\
total_step: 100
curves:
  - label: hf
    scheduler: {name: transformers.get_linear_schedule_with_warmup, num_warmup_steps: 10, num_training_steps: 100}
"""


def test_plot_prints_each_warning_as_one_line_with_file_line_and_step(
    write_config, tmp_path: Path, cli
) -> None:
    config = write_config(SHORT_COSINE)
    result = cli("plot", config, "-o", tmp_path / "a.png")
    assert result.exit_code == 0
    (line,) = [line for line in result.stderr.splitlines() if "[LR001]" in line]
    assert line.startswith(
        f"lrplot: warning [LR001]: {config}:4: curve 'short': CosineAnnealingLR's T_max is 40"
    )
    assert "climbs back from step 41" in line and line.endswith("use CosineAnnealingWarmRestarts")
    assert "warnings" in result.stdout  # the summary's column


def test_summary_counts_warnings_per_curve(write_config, tmp_path: Path, cli) -> None:
    payload = json.loads(cli("plot", write_config(SHORT_COSINE), "-o", tmp_path / "a.csv", "--json").stdout)
    assert [(row["curve"], row["warnings"]) for row in payload["curves"]] == [("short", 1), ("fits", 0)]


def test_json_lists_the_findings(write_config, tmp_path: Path, cli) -> None:
    config = write_config(SHORT_COSINE)
    payload = json.loads(cli("plot", config, "-o", tmp_path / "a.csv", "--json").stdout)
    (warning,) = payload["warnings"]
    assert set(warning) == {
        "id",
        "severity",
        "curve",
        "group",
        "step",
        "message",
        "suggestion",
        "where",
        "fix",
    }
    assert (warning["id"], warning["curve"], warning["group"], warning["step"]) == (
        "LR001",
        "short",
        None,
        41,
    )
    assert warning["where"] == f"{config}:4" and warning["fix"] == "curves.0.scheduler.T_max=100"


def test_strict_exits_1_on_a_warning_and_0_when_it_is_ignored(write_config, tmp_path: Path, cli) -> None:
    config = write_config(SHORT_COSINE)
    assert cli("plot", config, "-o", tmp_path / "a.png", "--strict").exit_code == 1
    assert (tmp_path / "a.png").is_file()  # the figure is written all the same
    assert cli("plot", config, "-o", tmp_path / "a.png", "--strict", "--ignore", "LR001").exit_code == 0


def test_notes_never_fail_strict(write_config, tmp_path: Path, cli) -> None:
    result = cli("plot", write_config(HF), "-o", tmp_path / "a.png", "--strict")
    assert result.exit_code == 0 and "lrplot: note [LR005]:" in result.stderr


def test_quiet_prints_warnings_only_when_strict_makes_them_fail(write_config, tmp_path: Path, cli) -> None:
    config = write_config(SHORT_COSINE)
    quiet = cli("plot", config, "-o", tmp_path / "a.png", "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    strict = cli("plot", config, "-o", tmp_path / "a.png", "-q", "--strict")
    assert strict.exit_code == 1 and strict.stderr.count("\n") == 1 and "[LR001]" in strict.stderr


def test_ignore_in_the_config_at_the_top_in_a_curve_and_in_defaults(
    write_config, tmp_path: Path, cli
) -> None:
    for text in (
        "lint: {ignore: [LR001]}\n" + SHORT_COSINE,
        SHORT_COSINE.replace("T_max: 40}", "T_max: 40}\n    lint: {ignore: [LR001]}"),
        "defaults: {lint: {ignore: [LR001]}}\n" + SHORT_COSINE,
    ):
        result = cli("plot", write_config(text), "-o", tmp_path / "a.png", "--strict")
        assert result.exit_code == 0 and "[LR001]" not in result.stderr, text


def test_an_unknown_id_is_an_error_naming_where_it_is_written(write_config, tmp_path: Path, cli) -> None:
    config = write_config("lint: {ignore: [LR001, LR13]}\n" + SHORT_COSINE)
    result = cli("plot", config, "-o", tmp_path / "a.png")
    assert result.exit_code == 2 and not (tmp_path / "a.png").exists()
    assert result.stderr.startswith(f"lrplot: error: {config}:1: unknown lint check 'LR13' (did you mean LR0")
    assert result.stderr.strip().endswith("checks: " + ", ".join(all_checks()))
    option = cli("plot", write_config(SHORT_COSINE), "-o", tmp_path / "a.png", "--ignore", "LR1")
    assert option.exit_code == 2 and option.stderr.startswith(
        "lrplot: error: --ignore LR1: unknown lint check"
    )


def test_validate_simulates_and_warns_without_drawing(write_config, tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = write_config(SHORT_COSINE)
    result = cli("validate", config)
    assert result.exit_code == 0 and list(tmp_path.glob("*.png")) == []
    assert "[LR001]" in result.stderr and result.stderr.strip().endswith(f"{config}: ok, 1 schedule warning")
    strict = cli("validate", config, "--strict")
    assert strict.exit_code == 1 and "ok" not in strict.stderr.splitlines()[-1]
    assert strict.stderr.strip().endswith(f"{config}: 1 schedule warning (fails --strict)")
    ignored = cli("validate", config, "--strict", "--ignore", "LR001")
    assert ignored.exit_code == 0 and ignored.stderr.strip().endswith(f"{config}: ok")


def test_validate_still_exits_2_on_a_problem_and_lints_nothing_then(write_config, cli) -> None:
    result = cli("validate", write_config(SHORT_COSINE.replace("T_max: 40", "T_mx: 40")), "--strict")
    assert result.exit_code == 2 and "[LR" not in result.stderr


def test_figure_marks_the_warned_step_and_stays_byte_reproducible(tmp_path: Path) -> None:
    config = lrplot.loads(SHORT_COSINE)
    plans = plan(config)
    result = simulate(config, plans=plans)
    lint(config, result, plans=plans)
    figure = lrplot.figure(result)
    marks = [line for line in figure.axes[0].lines if line.get_marker() == "o"]
    assert [(list(m.get_xdata()), m.get_label()) for m in marks] == [([41], "_nolegend_")]
    lrplot.write(result, [tmp_path / "a.png", tmp_path / "a.svg"])
    lrplot.write(result, [tmp_path / "b.png", tmp_path / "b.svg"])
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_a_marker_at_lr_0_is_left_out_on_a_log_axis() -> None:
    import warnings

    text = "total_step: 100\nplot: {yscale: log}\ncurves:\n  - scheduler: {name: PolynomialLR, total_iters: 60}\n"
    config = lrplot.loads(text)
    plans = plan(config)
    result = simulate(config, plans=plans)
    assert [(f.id, f.step) for f in lint(config, result, plans=plans)] == [("LR005", 60)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = lrplot.figure(result)
    assert [line for line in figure.axes[0].lines if line.get_marker() == "o"] == []


def test_an_unlinted_result_has_no_warnings_column(tmp_path: Path) -> None:
    result = lrplot.simulate(lrplot.loads(SHORT_COSINE))
    assert [row["warnings"] for row in lrplot.summary(result)] == [None, None]


def test_real_subprocess_strict_validate_fails_on_a_shipped_tutorial_config() -> None:
    command = [sys.executable, "-m", "lrplot", "validate", "--strict", "configs/cosine_annealing.yaml"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("lrplot: warning [LR001]: configs/cosine_annealing.yaml:") == 4
    assert "Traceback" not in result.stderr


def test_a_lint_fixture_on_the_command_line_reports_its_source_lines(cli, tmp_path: Path) -> None:
    fixture = FIXTURES / "lint" / "lr011_triggers.yaml"
    result = cli("plot", fixture, "-o", tmp_path / "a.csv", "--json")
    ids = [(w["id"], w["where"]) for w in json.loads(result.stdout)["warnings"]]
    assert ids == [("LR011", f"{fixture}:14"), ("LR011", f"{fixture}:20"), ("LR011", f"{fixture}:24")]
