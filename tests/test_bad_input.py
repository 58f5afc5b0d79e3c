"""Every mistake a user can make: exit status 2, one line naming the culprit, no traceback,
and no output file left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOOD_CURVE = "  - scheduler: {name: StepLR, step_size: 10}\n"

BAD_CONFIGS: dict[str, tuple[str, list[str]]] = {
    "empty file": ("", ["config.yaml", "empty"]),
    "only a comment": ("# nothing here\n", ["config.yaml", "empty"]),
    "broken YAML": (
        "total_step: 10\ncurves:\n  - scheduler: {name: StepLR\n",
        ["config.yaml:4", "invalid YAML"],
    ),
    "python tag": (
        "total_step: !!python/object/apply:os.system ['echo pwned']\ncurves:\n" + GOOD_CURVE,
        ["config.yaml:1", "!!python/object/apply:os.system", "not allowed"],
    ),
    "python name tag": (
        "total_step: 10\ncurves:\n  - scheduler: {name: !!python/name:os.system }\n",
        ["config.yaml:3", "!!python/name:os.system"],
    ),
    "not a mapping": ("- 1\n- 2\n", ["must be a mapping"]),
    "no curves": ("total_step: 10\ncurves: []\n", ["config.yaml:2", "curves"]),
    "duplicate key": (
        "total_step: 10\ntotal_step: 20\ncurves:\n" + GOOD_CURVE,
        ["config.yaml:2", "duplicate key 'total_step'"],
    ),
    "unknown top-level key": (
        "total_steps: 10\ncurves:\n" + GOOD_CURVE,
        ["config.yaml:1", "unknown key 'total_steps'", "valid keys"],
    ),
    "unknown curve key": (
        "total_step: 10\ncurves:\n  - scheduler: {name: StepLR, step_size: 10}\n    lable: x\n",
        ["config.yaml:4", "unknown key 'lable'", "label"],
    ),
    "unknown optimizer": (
        "total_step: 10\ncurves:\n  - optimizer: {name: Adamw}\n    scheduler: {name: StepLR, step_size: 1}\n",
        ["config.yaml:3", "unknown optimizer 'Adamw'", "did you mean 'AdamW'"],
    ),
    "unknown scheduler": (
        "total_step: 10\ncurves:\n  - scheduler: {name: CosineAnealingLR, T_max: 3}\n",
        ["config.yaml:3", "unknown scheduler 'CosineAnealingLR'", "did you mean 'CosineAnnealingLR'"],
    ),
    "unknown scheduler keyword": (
        "total_step: 10\ncurves:\n  - scheduler:\n      name: CosineAnnealingLR\n      T_mx: 3\n",
        ["config.yaml:5", "no keyword 'T_mx'", "did you mean 'T_max'", "valid: T_max, eta_min, last_epoch"],
    ),
    "missing scheduler keyword": (
        "total_step: 10\ncurves:\n  - scheduler: {name: CosineAnnealingLR}\n",
        ["config.yaml:3", "needs keyword 'T_max'"],
    ),
    "ill-typed scheduler keyword": (
        "total_step: 10\ncurves:\n  - scheduler: {name: StepLR, step_size: ten}\n",
        ["config.yaml:3", "'step_size' should be int", "'ten'"],
    ),
    "ill-typed literal keyword": (
        "total_step: 10\ncurves:\n  - scheduler: {name: CyclicLR, base_lr: 0.1, max_lr: 1, mode: zigzag}\n",
        ["'mode' should be", "triangular", "'zigzag'"],
    ),
    "unknown optimizer keyword": (
        "total_step: 10\ncurves:\n  - optimizer: {name: SGD, momentun: 0.9}\n    scheduler: {name: StepLR, step_size: 1}\n",
        ["config.yaml:3", "optimizer SGD has no keyword 'momentun'", "did you mean 'momentum'"],
    ),
    "unknown param group key": (
        "total_step: 10\ncurves:\n  - optimizer: {param_groups: [{lrr: 0.1}]}\n    scheduler: {name: StepLR, step_size: 1}\n",
        ["config.yaml:3", "param group key 'lrr'", "valid: name, initial_lr, lr"],
    ),
    "unsafe lr_lambda": (
        "total_step: 10\ncurves:\n  - scheduler: {name: LambdaLR, lr_lambda: \"__import__('os').getcwd()\"}\n",
        ["config.yaml:3", "lr_lambda", "only direct calls of the allowed functions"],
    ),
    "bad lr_lambda syntax": (
        "total_step: 10\ncurves:\n  - scheduler: {name: LambdaLR, lr_lambda: 'step +'}\n",
        ["config.yaml:3", "not a valid expression"],
    ),
    "unbounded lr_lambda": (
        "total_step: 10\ncurves:\n  - scheduler: {name: LambdaLR, lr_lambda: '9 ** 9 ** 9 ** 9'}\n",
        ["config.yaml:3", "refused"],
    ),
    "lr_lambda list of the wrong length": (
        "total_step: 10\ncurves:\n  - scheduler: {name: LambdaLR, lr_lambda: ['0.9', '0.8']}\n",
        ["lists 2 expressions", "1 param group"],
    ),
    "lr_lambda failing while stepping": (
        "total_step: 20\ncurves:\n  - label: boom\n    scheduler: {name: LambdaLR, lr_lambda: '1 / (5 - step)'}\n",
        ["config.yaml:4", "curve 'boom'", "'1 / (5 - step)'", "step 4 to 5", "ZeroDivisionError"],
    ),
    "total_step zero": (
        "total_step: 0\ncurves:\n" + GOOD_CURVE,
        ["config.yaml:1", "total_step must be a positive integer, got 0"],
    ),
    "total_step negative": ("total_step: -5\ncurves:\n" + GOOD_CURVE, ["positive integer, got -5"]),
    "total_step fractional": ("total_step: 2.5\ncurves:\n" + GOOD_CURVE, ["positive integer, got 2.5"]),
    "total_step text": ("total_step: many\ncurves:\n" + GOOD_CURVE, ["positive integer, got 'many'"]),
    "total_step missing": ("curves:\n" + GOOD_CURVE, ["total_step is missing"]),
    "one cycle longer than total_steps": (
        "total_step: 150\ncurves:\n  - label: oc\n    optimizer: {momentum: 0.9}\n"
        "    scheduler: {name: OneCycleLR, max_lr: 1.0, total_steps: 100}\n",
        [
            "curve 'oc'",
            "a training loop of 150 iterations calls scheduler.step() 150 times",
            "needs total_steps >= 150",
            "total_steps=100",
            "set total_steps: 150",
        ],
    ),
    "one cycle one step short": (
        "total_step: 100\ncurves:\n  - label: oc\n    optimizer: {momentum: 0.9}\n"
        "    scheduler: {name: OneCycleLR, max_lr: 1.0, total_steps: 99}\n",
        ["a training loop of 100 iterations calls scheduler.step() 100 times", "total_steps=99"],
    ),
    "epochs without steps per epoch": (
        "epochs: 3\ncurves:\n" + GOOD_CURVE,
        ["config.yaml:1", "epochs: 3 needs steps_per_epoch"],
    ),
    "epochs and total_step together": (
        "epochs: 3\ntotal_step: 10\nsteps_per_epoch: 5\ncurves:\n" + GOOD_CURVE,
        ["give total_step or epochs, not both"],
    ),
    "top-level key typo": (
        "total_steps: 10\ncurves:\n" + GOOD_CURVE,
        ["config.yaml:1", "unknown key 'total_steps' in the top level (did you mean 'total_step'?)"],
    ),
    "curve key typo": (
        "total_step: 10\ncurves:\n" + GOOD_CURVE + "    lable: x\n",
        ["unknown key 'lable' in curves[0] (did you mean 'label'?)"],
    ),
    "torch raising during construction": (
        "total_step: 10\ncurves:\n  - label: seq\n    scheduler:\n      name: SequentialLR\n      milestones: [3, 5]\n"
        "      schedulers: [{name: StepLR, step_size: 1}, {name: StepLR, step_size: 2}]\n",
        ["config.yaml:4", "curve 'seq'", "torch raised ValueError", "milestones"],
    ),
    "cyclic momentum without momentum": (
        "total_step: 10\ncurves:\n  - label: cyc\n    optimizer: {name: Adagrad}\n"
        "    scheduler: {name: CyclicLR, base_lr: 0.1, max_lr: 1.0}\n",
        ["curve 'cyc'", "momentum"],
    ),
    "resume without initial_lr": (
        "total_step: 10\ncurves:\n  - label: resumed\n    scheduler: {name: CosineAnnealingLR, T_max: 5, last_epoch: 3}\n",
        ["curve 'resumed'", "initial_lr", "optimizer.initial_lr"],
    ),
    "plateau without metric": (
        "total_step: 10\ncurves:\n  - scheduler: {name: ReduceLROnPlateau}\n",
        ["config.yaml:3", "needs 'metric:'"],
    ),
    "metric on another scheduler": (
        "total_step: 10\ncurves:\n  - scheduler: {name: StepLR, step_size: 1}\n    metric: lr\n",
        ["config.yaml:4", "only used by ReduceLROnPlateau"],
    ),
    "metric log missing": (
        "total_step: 10\ncurves:\n  - scheduler: {name: ReduceLROnPlateau}\n    metric: {csv: nope.csv, column: loss}\n",
        ["metric log nope.csv", "no such file"],
    ),
    "import outside the allowed modules": (
        "total_step: 10\ncurves:\n  - scheduler: {name: os.system}\n",
        ["config.yaml:3", "outside the allowed modules", "--allow-import os"],
    ),
    "duplicate labels": (
        "total_step: 10\ncurves:\n  - {label: a, scheduler: {name: StepLR, step_size: 1}}\n"
        "  - {label: a, scheduler: {name: StepLR, step_size: 2}}\n",
        ["config.yaml:4", "share the label 'a'"],
    ),
    "composite without children": (
        "total_step: 10\ncurves:\n  - scheduler: {name: SequentialLR, milestones: []}\n",
        ["needs 'schedulers:'"],
    ),
    "YAML nested too deeply": (
        "total_step: " + "[" * 500 + "]" * 500 + "\ncurves:\n" + GOOD_CURVE,
        ["nested too deeply"],
    ),
    "total_step above the limit": (
        "total_step: 1e9\ncurves:\n" + GOOD_CURVE,
        ["config.yaml:1", "1,000,000,000 values", "limit 100,000,000", "--force"],
    ),
    "title that is broken mathtext": (
        "title: 'bad $\\frac{$ math'\ntotal_step: 5\ncurves:\n" + GOOD_CURVE,
        ["config.yaml:1", "title", "not valid matplotlib mathtext", "Expected \\frac"],
    ),
    "bad plot option": (
        "total_step: 10\nplot: {yscale: logarithmic}\ncurves:\n" + GOOD_CURVE,
        ["config.yaml:2", "plot.yscale"],
    ),
}


def assert_clean_failure(result, fragments: list[str]) -> None:
    output = result.output + (result.stderr if hasattr(result, "stderr") else "")
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    message = result.stderr.strip()
    assert message.startswith("lrplot: error: "), message
    assert len(message.splitlines()) == 1, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_refused_cleanly(case: str, tmp_path: Path, write_config, cli) -> None:
    text, fragments = BAD_CONFIGS[case]
    config = write_config(text)
    out_png, out_csv = tmp_path / "out.png", tmp_path / "out.csv"
    result = cli("plot", config, "-o", out_png, "-o", out_csv)
    assert_clean_failure(result, fragments)
    assert not out_png.exists() and not out_csv.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_missing_config_file(tmp_path: Path, cli) -> None:
    result = cli("plot", tmp_path / "absent.yaml", "-o", tmp_path / "x.png")
    assert_clean_failure(result, ["absent.yaml", "no such file"])


def test_config_that_is_a_directory(tmp_path: Path, cli) -> None:
    result = cli("plot", tmp_path, "-o", tmp_path / "x.png")
    assert_clean_failure(result, ["is a directory"])


def test_unknown_output_extension(write_config, tmp_path: Path, cli) -> None:
    config = write_config("total_step: 10\ncurves:\n" + GOOD_CURVE)
    result = cli("plot", config, "-o", tmp_path / "x.png", "-o", tmp_path / "x.gif")
    assert_clean_failure(result, ["x.gif", "unknown output format (.gif)", ".png, .svg, .pdf, .jpg"])
    assert not (tmp_path / "x.png").exists()


def test_output_folder_that_does_not_exist(write_config, tmp_path: Path, cli) -> None:
    config = write_config("total_step: 10\ncurves:\n" + GOOD_CURVE)
    result = cli("plot", config, "-o", tmp_path / "missing" / "x.png")
    assert_clean_failure(result, ["cannot write", "does not exist"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_output_folder_not_writable(write_config, tmp_path: Path, cli) -> None:
    config = write_config("total_step: 10\ncurves:\n" + GOOD_CURVE)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = cli("plot", config, "-o", locked / "x.png")
    assert_clean_failure(result, ["not writable"])


def test_refuses_to_write_over_its_own_config(write_config, cli) -> None:
    config = write_config("total_step: 10\ncurves:\n" + GOOD_CURVE, name="config.csv")
    before = config.read_bytes()
    result = cli("plot", config, "-o", config)
    assert_clean_failure(result, ["refusing to write over the input config"])
    assert config.read_bytes() == before


def test_bad_config_leaves_previous_outputs_untouched(write_config, tmp_path: Path, cli) -> None:
    previous = tmp_path / "figure.png"
    previous.write_bytes(b"previous figure")
    config = write_config("total_step: 10\ncurves:\n  - scheduler: {name: Nope}\n")
    result = cli("plot", config, "-o", previous)
    assert result.exit_code == 2
    assert previous.read_bytes() == b"previous figure"


def test_failure_while_rendering_writes_none_of_the_outputs(
    write_config, tmp_path: Path, cli, monkeypatch
) -> None:
    import lrplot.render.figure as figure_module

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "b.png"))

    monkeypatch.setattr(figure_module, "save_figure", broken)
    config = write_config("total_step: 10\ncurves:\n" + GOOD_CURVE)
    result = cli("plot", config, "-o", tmp_path / "a.csv", "-o", tmp_path / "b.png")
    assert_clean_failure(result, ["No space left on device"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["plot"], "lrplot plot: missing argument CONFIGS; see 'lrplot plot --help'"),
        (["plot", "--bogus", "x.yaml"], "lrplot plot: unknown option --bogus; see 'lrplot plot --help'"),
        (["plot", "--jsn", "x.yaml"], "unknown option --jsn (did you mean --json?)"),
        (
            ["plot", "--workers", "0", "x.yaml"],
            "lrplot plot: --workers: input should be greater than or equal to 1",
        ),
        (["plot", "-j", "many", "x.yaml"], "lrplot plot: --workers: input should be a valid integer"),
        (["check", "x.yaml"], "lrplot check: missing option --against"),
        (
            ["plto", "x.yaml"],
            "no command 'plto' (did you mean 'plot'?); commands: check, init, list, plot, schema, validate",
        ),
        (["x.yaml"], "no command 'x.yaml'; did you mean: lrplot plot x.yaml"),
        (["plot", "-o", "a.png", "--format"], "option '--format' requires an argument"),
    ],
)
def test_usage_errors_are_one_line_exit_2(cli, arguments: list[str], message: str) -> None:
    result = cli(*arguments)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("lrplot: error: ")
    assert message in result.stderr
    assert "╭" not in result.output and "Traceback" not in result.output


def test_show_is_not_guessed_as_json_or_sweep(cli) -> None:
    result = cli("plot", "--show", "x.yaml")
    assert result.exit_code == 2 and "did you mean" not in result.stderr


def test_lrplot_alone_prints_help_and_exits_0(cli) -> None:
    result = cli()
    assert result.exit_code == 0 and "plot" in result.output and "validate" in result.output


def test_space_instead_of_equals_in_set_names_the_set(cli, write_config, tmp_path: Path) -> None:
    config = write_config("total_step: 10\ncurves:\n" + GOOD_CURVE)
    result = cli("plot", "--set", "optimizer.lr", "1e-3", "-o", tmp_path / "x.png", config)
    assert_clean_failure(result, ["--set 'optimizer.lr': expected KEY=VALUE with '=' and no spaces"])


def test_usage_error_in_a_real_process_is_one_line() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", "--bogus"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr == "lrplot: error: lrplot plot: unknown option --bogus; see 'lrplot plot --help'\n"


def test_output_under_a_file_instead_of_a_folder(write_config, tmp_path: Path, cli) -> None:
    config = write_config("total_step: 10\ncurves:\n" + GOOD_CURVE)
    (tmp_path / "plain.txt").write_text("x")
    result = cli("plot", config, "-o", tmp_path / "plain.txt" / "x.png")
    assert_clean_failure(result, ["cannot write", "does not exist"])
