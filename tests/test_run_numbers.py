"""Scheduler keywords that follow the run: ``T_max: "total_step - 2000"`` and friends."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from tests.conftest import ROOT

WARMUP_COSINE = """\
total_step: 10000
curves:
  - label: run
    optimizer: {{name: AdamW, lr: 3.0e-4}}
    scheduler:
      name: SequentialLR
      milestones: [{warmup}]
      schedulers:
        - {{name: LinearLR, start_factor: 1.0e-3, total_iters: {warmup}}}
        - {{name: CosineAnnealingLR, T_max: {t_max}, eta_min: 3.0e-5}}
"""


def lrs(text: str, sets: tuple[str, ...] = ()) -> bytes:
    return lrplot.simulate(lrplot.loads(text, sets=list(sets))).curves[0].groups[0].lr.tobytes()


def test_an_expression_gives_the_very_values_of_the_number_it_stands_for() -> None:
    written = WARMUP_COSINE.format(warmup=500, t_max='"total_step - 500"')
    assert lrs(written) == lrs(WARMUP_COSINE.format(warmup=500, t_max=9500))


def test_set_total_step_keeps_a_following_keyword_consistent() -> None:
    written = WARMUP_COSINE.format(warmup=500, t_max='"total_step - 500"')
    numbers = WARMUP_COSINE.format(warmup=500, t_max=99500)
    assert lrs(written, ("total_step=100000",)) == lrs(numbers, ("total_step=100000",))


def test_sweeping_total_step_gives_each_curve_its_own_length() -> None:
    text = 'total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: "total_step"}\n'
    result = lrplot.simulate(lrplot.loads(text, sweeps=["total_step=100,300"]))
    assert [curve.total_step for curve in result.curves] == [100, 300]
    assert all(curve.groups[0].lr[-1] < 1e-3 for curve in result.curves)  # each ends near eta_min


def test_epoch_numbers_and_list_items(write_config) -> None:
    text = """\
    total_step: 1000
    steps_per_epoch: 50
    curves:
      - label: e
        scheduler: {name: MultiStepLR, milestones: ["steps_per_epoch * 5", "epochs * 50 // 2", 900]}
    """
    config = lrplot.load(write_config(text))
    from lrplot.plan import plan

    (curve_plan,) = plan(config)
    assert curve_plan.segments[0].scheduler.keywords["milestones"] == [250, 500, 900]


def test_string_keywords_keep_their_text() -> None:
    text = """\
total_step: 100
curves:
  - label: plateau
    scheduler: {name: ReduceLROnPlateau, mode: "min", threshold_mode: "rel", patience: "total_step // 10"}
    metric: "1.0"
  - label: one cycle
    optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
    scheduler: {name: OneCycleLR, max_lr: "0.1", total_steps: "total_step", anneal_strategy: "cos"}
  - label: hf
    scheduler: {name: transformers.get_scheduler, keywords: {name: cosine}, num_warmup_steps: "total_step // 10", num_training_steps: "total_step"}
"""
    from lrplot.plan import plan

    plans = plan(lrplot.loads(text))
    keywords = [p.segments[0].scheduler.keywords for p in plans]
    assert keywords[0] == {"mode": "min", "threshold_mode": "rel", "patience": 10}
    assert keywords[1] == {"max_lr": 0.1, "total_steps": 100, "anneal_strategy": "cos"}
    assert keywords[2] == {"name": "cosine", "num_warmup_steps": 10, "num_training_steps": 100}


def test_a_number_written_as_text_still_reads_as_that_number() -> None:
    text = 'total_step: 100\ncurves:\n  - scheduler: {name: StepLR, step_size: "30", gamma: "0.5"}\n'
    numbers = "total_step: 100\ncurves:\n  - scheduler: {name: StepLR, step_size: 30, gamma: 0.5}\n"
    assert lrs(text) == lrs(numbers)


def test_bad_expressions_are_one_line_errors_with_exit_2(write_config, cli) -> None:
    cases = {
        '"total_step / 3"': "T_max 'total_step / 3' gives 33.333333333333336, but T_max takes a whole number; "
        "wrap it in int(...) or round(...)",
        '"steps_per_epoch * 2"': "T_max 'steps_per_epoch * 2' uses steps_per_epoch, but this curve has no "
        "steps_per_epoch (give steps_per_epoch, or dataset_size with batch_size)",
        '"forty"': "scheduler CosineAnnealingLR keyword 'T_max' should be int or an expression in total_step, "
        "steps_per_epoch, epochs, got 'forty' (unknown name 'forty'",
        '"__import__(1)"': "keyword 'T_max' should be int or an expression",
    }
    for value, fragment in cases.items():
        config = write_config(
            f"total_step: 100\ncurves:\n  - scheduler: {{name: CosineAnnealingLR, T_max: {value}}}\n"
        )
        result = cli("plot", config, "-o", config.with_suffix(".png"))
        assert result.exit_code == 2, value
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"lrplot: error: {config}:3: curve 'CosineAnnealingLR': "), line
        assert fragment in line, line


def test_validate_reports_an_expression_error_with_its_set(write_config, cli) -> None:
    config = write_config(
        'total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: "total_step"}\n'
    )
    result = cli("validate", config, "--set", 'scheduler.T_max="total_step * 1.5 + 0.5"')
    assert result.exit_code == 2
    assert result.stderr.startswith('--set scheduler.T_max="total_step * 1.5 + 0.5": ')


def test_the_warmup_cosine_template_follows_total_step(tmp_path, cli) -> None:
    path = tmp_path / "lrplot.yaml"
    assert cli("init", "-o", path).exit_code == 0
    assert '"total_step - 500"' in path.read_text()
    result = cli("plot", path, "--set", "total_step=100000", "-o", tmp_path / "a.png", "--strict")
    assert result.exit_code == 0, result.stderr


@settings(max_examples=25, deadline=None)
@given(total=st.integers(600, 5000), warmup=st.integers(1, 500))
def test_following_and_written_lengths_agree_bit_for_bit(total: int, warmup: int) -> None:
    follows = WARMUP_COSINE.format(warmup='"total_step // 10"', t_max='"total_step - total_step // 10"')
    written = WARMUP_COSINE.format(warmup=total // 10, t_max=total - total // 10)
    assert lrs(follows, (f"total_step={total}",)) == lrs(written, (f"total_step={total}",))


def test_schema_allows_lint_options() -> None:
    import json

    import jsonschema

    from lrplot.config import json_schema

    schema = json_schema()
    config = {
        "total_step": 10,
        "lint": {"ignore": ["LR001"]},
        "curves": [{"scheduler": {"name": "StepLR"}, "lint": {"ignore": ["LR005"]}}],
    }
    jsonschema.validate(config, schema)
    assert "lint" in json.dumps(schema["properties"])
    assert (ROOT / "docs" / "lint.md").is_file()
