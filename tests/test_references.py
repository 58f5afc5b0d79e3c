"""Reference logs as the real loggers write them (tests/fixtures/logs, recorded by record.py with
the real trainers): each logged value sits at the optimizer step whose lr it is, a log of the
planned run passes ``--strict``, a log of another schedule exits 1 naming the step where they
part, and the hints name a shift, a step factor or an lr factor."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.errors import LrplotError
from lrplot.plan.reference import FLOAT32_RTOL, LoggedLr, ReferenceLog, read_reference
from tests.conftest import FIXTURES

LOGS = FIXTURES / "logs"
HF, SPARSE, LIGHTNING = LOGS / "hf", LOGS / "hf_sparse", LOGS / "lightning"
MLRUNS_LIGHTNING = next((LIGHTNING / "mlruns").glob("*/*/meta.yaml")).parent
MLRUNS_HF = next((HF / "mlruns").glob("*/*/meta.yaml")).parent

# (log, the run it comes from, uses tensorboard)
LOGGED = {
    "trainer_state.json": (HF / "checkpoint-12" / "trainer_state.json", HF, False),
    "HF checkpoint folder": (HF / "checkpoint-12", HF, False),
    "HF output folder (newest checkpoint)": (HF, HF, False),
    "HF TensorBoard run": (HF / "runs", HF, True),
    "HF MLflow run": (MLRUNS_HF, HF, False),
    "HF sparse trainer_state": (SPARSE, SPARSE, False),
    "W&B export of the HF run": (LOGS / "wandb" / "export.csv", HF, False),
    "Lightning metrics.csv": (LIGHTNING / "csv" / "version_0" / "metrics.csv", LIGHTNING, False),
    "Lightning CSVLogger folder": (LIGHTNING / "csv", LIGHTNING, False),
    "Lightning TensorBoardLogger": (LIGHTNING / "tb", LIGHTNING, True),
    "Lightning MLFlowLogger run": (MLRUNS_LIGHTNING, LIGHTNING, False),
    "Lightning mlruns folder": (LIGHTNING / "mlruns", LIGHTNING, False),
}


def plan_of(run: Path) -> tuple[Path, list[str]]:
    """The config the run followed, and the CLI options that complete it."""
    if run == LIGHTNING:
        return LIGHTNING / "plan.yaml", []
    return run / "train.yaml", ["--dataset-size", "64"]


def used(run: Path) -> np.ndarray:
    return np.array(json.loads((run / "used.json").read_text())["lr"], dtype=np.float64)


@pytest.mark.parametrize("name", list(LOGGED))
def test_each_logged_value_is_the_lr_of_the_step_it_is_placed_at(name: str) -> None:
    log, run, tensorboard = LOGGED[name]
    if tensorboard:
        pytest.importorskip("tensorboard")
    reference = read_reference(str(log), Path.cwd(), ("reference",))
    truth = used(run)
    for series in reference.series:
        group = series.group if isinstance(series.group, int) else 0
        expected = truth[series.steps, group]
        if series.float32:
            expected = expected.astype(np.float32).astype(np.float64)
        assert series.lr.tolist() == expected.tolist(), series.name
    assert len(reference.series) == (2 if run == LIGHTNING else 1)


@pytest.mark.parametrize("name", list(LOGGED))
def test_a_log_of_the_planned_run_passes_strict(name: str, cli, tmp_path: Path) -> None:
    log, run, tensorboard = LOGGED[name]
    if tensorboard:
        pytest.importorskip("tensorboard")
    config, options = plan_of(run)
    result = cli("plot", config, *options, "--reference", log, "--strict", "--quiet", "--format", "csv",
                 "--out-dir", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.stderr


# For every log: a change to the plan it followed, and the first logged step where the log of
# the real run then parts from it (the step whose lr first differs, at the logged steps only).
OTHER_SCHEDULE = {
    "trainer_state.json": (("lr_scheduler_type: cosine", "lr_scheduler_type: linear"), 4),
    "HF checkpoint folder": (("warmup_steps: 3", "warmup_steps: 4"), 1),
    "HF output folder (newest checkpoint)": (("warmup_steps: 3", "warmup_steps: 2"), 1),
    "HF TensorBoard run": (("lr_scheduler_type: cosine", "lr_scheduler_type: linear"), 4),
    "HF MLflow run": (("max_steps: 12", "max_steps: 16"), 4),
    "HF sparse trainer_state": (("lr_scheduler_type: linear", "lr_scheduler_type: cosine"), 3),
    "W&B export of the HF run": (("max_steps: 12", "max_steps: 20"), 4),
    "Lightning metrics.csv": (("T_max: 12", "T_max: 14"), 2),
    "Lightning CSVLogger folder": (("eta_min: 0.001", "eta_min: 0.0001"), 2),
    "Lightning TensorBoardLogger": (("eta_min: 0.001", "eta_min: 0.002"), 2),
    "Lightning MLFlowLogger run": (("T_max: 12", "T_max: 11"), 2),
    "Lightning mlruns folder": (("lr: 0.01}", "lr: 0.02}"), 2),
}


def test_every_log_has_another_schedule_to_part_from() -> None:
    assert set(OTHER_SCHEDULE) == set(LOGGED)


@pytest.mark.parametrize("name", list(OTHER_SCHEDULE))
def test_a_log_of_another_schedule_exits_1_naming_the_step(name: str, cli, tmp_path: Path) -> None:
    log, run, tensorboard = LOGGED[name]
    change, step = OTHER_SCHEDULE[name]
    if tensorboard:
        pytest.importorskip("tensorboard")
    config, options = plan_of(run)
    other = tmp_path / config.name
    assert change[0] in config.read_text()
    other.write_text(config.read_text().replace(*change))
    result = cli("plot", other, *options, "--reference", log, "--strict", "--quiet", "--format", "csv",
                 "--out-dir", tmp_path)  # fmt: skip
    assert result.exit_code == 1, result.stderr
    assert f"differs from the plan at step {step}:" in result.stderr or (
        f"differs from the plan at step {step} (logged as step {step + 1})" in result.stderr
    )
    assert "planned " in result.stderr and "logged " in result.stderr


def test_without_strict_a_differing_log_is_a_warning_and_exit_0(cli, tmp_path: Path) -> None:
    other = tmp_path / "plan.yaml"
    other.write_text((LIGHTNING / "plan.yaml").read_text().replace("T_max: 12", "T_max: 14"))
    result = cli("plot", other, "--reference", LIGHTNING / "csv", "--format", "csv", "--out-dir", tmp_path)
    assert result.exit_code == 0
    assert (
        "lrplot: warning: " in result.stderr and "lr-SGD/pg1 differs from the plan at step 2" in result.stderr
    )


def simulate(config: Path, reference: dict[str, Any], **options: Any) -> Any:
    loaded = lrplot.loads(
        config.read_text(), name=config.name, sets=["reference=" + json.dumps(reference)], **options
    )
    return lrplot.simulate(loaded).curves[0]


def test_an_off_by_one_offset_is_reported_as_a_shift_of_one_step() -> None:
    curve = simulate(HF / "train.yaml", {"path": str(HF.resolve()), "offset": 0}, dataset_size=64)
    (divergence,) = curve.reference_divergences()
    assert divergence.step == 1 and divergence.planned == pytest.approx(1 / 30) and divergence.logged == 0.0
    assert (
        "shifted by 1 step" in divergence.hint
        and "give the reference offset: -1 (--set reference.offset=-1)" in divergence.hint
    )


def test_an_lr_scaled_by_a_constant_gets_the_factor_hint(tmp_path: Path) -> None:
    config = tmp_path / "train.yaml"
    config.write_text((HF / "train.yaml").read_text().replace("learning_rate: 0.1", "learning_rate: 0.025"))
    (divergence,) = simulate(config, {"path": str(HF.resolve())}, dataset_size=64).reference_divergences()
    assert "the log is the plan × 4 at every logged step" in divergence.hint


def test_the_hints_reach_the_command_line_and_name_their_option(cli, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    half = tmp_path / "train.yaml"
    half.write_text((HF / "train.yaml").read_text().replace("learning_rate: 0.1", "learning_rate: 0.05"))
    common = ["--dataset-size", "64", "--strict", "-q", "--format", "csv", "--out-dir", tmp_path]
    scaled = cli("plot", half, "--reference", HF / "runs", *common)  # float32 values: the factor still shows
    assert scaled.exit_code == 1 and "the log is the plan × 2 at every logged step" in scaled.stderr
    shifted = cli("plot", HF / "train.yaml", "--reference", HF, "--set", "reference.offset=0", *common)
    assert shifted.exit_code == 1 and "1 logged step lies past the plan's end" in shifted.stderr
    assert "give the reference offset: -1 (--set reference.offset=-1)" in shifted.stderr
    fixed = cli("plot", HF / "train.yaml", "--reference", HF, "--set", "reference.offset=-1", *common)
    assert fixed.exit_code == 0, fixed.stderr  # the form the hint names works


def test_a_plan_counting_twice_the_steps_gets_the_step_factor_hint(tmp_path: Path) -> None:
    config = tmp_path / "train.yaml"
    config.write_text((SPARSE / "train.yaml").read_text().replace("max_steps: 20", "max_steps: 40"))
    (divergence,) = simulate(config, {"path": str(SPARSE.resolve())}, dataset_size=64).reference_divergences()
    assert "the log's steps ×2" in divergence.hint


def test_a_sparse_log_is_compared_at_its_logged_steps_only() -> None:
    curve = simulate(SPARSE / "train.yaml", {"path": str(SPARSE.resolve())}, dataset_size=64)
    (comparison,) = curve.reference_comparisons()
    assert comparison.compared == 5 and comparison.divergence is None
    assert curve.reference.series[0].steps.tolist() == [3, 7, 11, 15, 19]  # global_step 4, 8, ... minus one


def test_lightning_param_groups_are_matched_by_order() -> None:
    curve = simulate(LIGHTNING / "plan.yaml", {"path": str(LIGHTNING / "csv")})
    assert [(c.series, c.group, c.divergence) for c in curve.reference_comparisons()] == [
        ("lr-SGD/pg1", 0, None),
        ("lr-SGD/pg2", 1, None),
    ]


def test_named_param_groups_are_matched_by_name(tmp_path: Path) -> None:
    (tmp_path / "metrics.csv").write_text("step,lr-AdamW/head,lr-AdamW/body\n0,0.5,0.25\n1,0.5,0.25\n")
    (tmp_path / "plan.yaml").write_text(
        "total_step: 3\ncurves:\n  - optimizer: {name: AdamW, param_groups: [{name: body, lr: 0.25}, {name: head, lr: 0.5}]}\n"
        "    scheduler: {name: ConstantLR, factor: 1.0}\n    reference: metrics.csv\n"
    )
    curve = lrplot.simulate(lrplot.load(tmp_path / "plan.yaml")).curves[0]
    assert [(c.series, c.group, c.divergence) for c in curve.reference_comparisons()] == [
        ("lr-AdamW/head", 1, None),
        ("lr-AdamW/body", 0, None),
    ]


def test_a_tag_chooses_one_series_and_tensorboard_compares_at_float32() -> None:
    pytest.importorskip("tensorboard")
    reference = read_reference(f"{LIGHTNING / 'tb'}", Path.cwd(), ("reference",))
    assert all(series.float32 for series in reference.series)
    assert reference.tolerance(reference.series[0]) == FLOAT32_RTOL
    chosen = read_reference({"path": str(LIGHTNING / "tb"), "tag": "lr-SGD/pg2"}, Path.cwd(), ("reference",))
    assert [s.name for s in chosen.series] == ["lr-SGD/pg2"] and chosen.series[0].group == 1


def test_the_figure_draws_the_log_and_marks_where_it_parts(tmp_path: Path) -> None:
    config = tmp_path / "plan.yaml"
    config.write_text((LIGHTNING / "plan.yaml").read_text().replace("T_max: 12", "T_max: 14"))
    figure = lrplot.figure(lrplot.simulate(lrplot.load(config, sets=[f"reference={LIGHTNING / 'csv'}"])))
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert "lightning / 0 (log)" in labels and "lightning / 1 (log)" in labels
    assert labels.count("log parts at step 2") == 1  # both groups part there: one legend entry
    crosses = [line for line in figure.axes[0].get_lines() if line.get_marker() == "X"]
    assert [(line.get_xdata()[0], line.get_ydata()[0]) for line in crosses] == [
        (2, 0.09336825748732973),
        (2, 0.009397114317029977),
    ]  # each where its group's log parts, at the logged value


def test_the_json_summary_of_a_divergence_has_what_a_finding_needs(tmp_path: Path) -> None:
    config = tmp_path / "plan.yaml"
    config.write_text((LIGHTNING / "plan.yaml").read_text().replace("T_max: 12", "T_max: 14"))
    curve = lrplot.simulate(lrplot.load(config, sets=[f"reference={LIGHTNING / 'csv'}"])).curves[0]
    record = curve.reference_divergences()[0].record()
    assert {"step", "logged_step", "planned", "logged", "rtol", "hint", "series", "group"} <= set(record)
    assert record["step"] == 2 and record["logged"] == 0.09336825748732973


def test_strict_in_a_real_process(tmp_path: Path) -> None:
    other = tmp_path / "plan.yaml"
    other.write_text((LIGHTNING / "plan.yaml").read_text().replace("T_max: 12", "T_max: 14"))
    done = subprocess.run(
        [sys.executable, "-m", "lrplot", "plot", str(other), "--reference", str(LIGHTNING / "csv"), "--strict",
         "--quiet", "--format", "csv", "--out-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "lr-SGD/pg1 differs from the plan at step 2" in done.stderr and "Traceback" not in done.stderr


# --- reference: in a config, --reference PATH:TAG, the Python API --------------------------------

# lrplot's own YAML for each recorded run (a foreign training config has no reference: key).
NATIVE = {
    HF: "total_step: 12\ncurves:\n  - optimizer: {name: AdamW, lr: 0.1}\n"
    "    scheduler: {name: transformers.get_scheduler, keywords: {name: cosine}, num_warmup_steps: 3,"
    " num_training_steps: 12}\n",
    SPARSE: "total_step: 20\ncurves:\n  - optimizer: {name: AdamW, lr: 0.1}\n"
    "    scheduler: {name: transformers.get_scheduler, keywords: {name: linear}, num_warmup_steps: 0,"
    " num_training_steps: 20}\n",
    LIGHTNING: (LIGHTNING / "plan.yaml").read_text(),
}


@pytest.mark.parametrize("name", list(LOGGED))
def test_reference_in_a_config_reads_every_kind_relative_to_the_config(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log, run, tensorboard = LOGGED[name]
    if tensorboard:
        pytest.importorskip("tensorboard")
    if run != LIGHTNING:
        pytest.importorskip("transformers")
    shutil.copytree(LOGS, tmp_path / "project" / "logs")
    config = tmp_path / "project" / "plan.yaml"
    config.write_text(
        NATIVE[run].rstrip("\n") + f"\n    reference: logs/{log.relative_to(LOGS).as_posix()}\n"
    )
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the path is the config's, not the working folder's
    curve = lrplot.simulate(lrplot.load(config)).curves[0]
    comparisons = curve.reference_comparisons()
    assert len(comparisons) == (2 if run == LIGHTNING else 1)
    assert all(c.compared >= 4 and c.divergence is None for c in comparisons), comparisons


def test_a_tag_on_the_command_line_chooses_the_series(cli, tmp_path: Path) -> None:
    other = tmp_path / "plan.yaml"  # pg1 parts from the log, pg2 does not
    other.write_text((LIGHTNING / "plan.yaml").read_text().replace("lr: 0.1}", "lr: 0.2}"))
    arguments = [
        "plot",
        other,
        "--strict",
        "--quiet",
        "--format",
        "csv",
        "--out-dir",
        tmp_path,
        "--reference",
    ]
    both = cli(*arguments, LIGHTNING / "csv")
    assert both.exit_code == 1 and "lr-SGD/pg1 differs" in both.stderr
    assert cli(*arguments, f"{LIGHTNING / 'csv'}:lr-SGD/pg2").exit_code == 0
    assert cli(*arguments, f"{LIGHTNING / 'csv'}:lr-SGD/pg1").exit_code == 1
    wandb = cli("plot", HF / "train.yaml", "--dataset-size", "64", "--strict", "--quiet", "--format", "csv",
                "--out-dir", tmp_path, "--reference", f"{LOGS / 'wandb' / 'export.csv'}:train/learning_rate")  # fmt: skip
    assert wandb.exit_code == 0, wandb.stderr  # a W&B export's "<run> - <key>" chosen by its key


def test_the_python_api_takes_references_as_the_command_line_does() -> None:
    loaded = lrplot.load(LIGHTNING / "plan.yaml", references=[f"{LIGHTNING / 'csv'}:lr-SGD/pg2"])
    (comparison,) = lrplot.simulate(loaded).curves[0].reference_comparisons()
    assert (comparison.series, comparison.group, comparison.divergence) == ("lr-SGD/pg2", 1, None)


def test_a_w_and_b_export_along_the_trainers_step_is_read_by_that_step(cli, tmp_path: Path) -> None:
    export = (LOGS / "wandb" / "export.csv").read_text()
    along = tmp_path / "export.csv"  # a chart drawn along train/global_step, with W&B's counter beside
    lines = export.splitlines()
    along.write_text(
        '"Step","train/global_step",' + lines[0].partition(",")[2] + "\n"
        + "".join(f'"{n}",{line}\n' for n, line in enumerate(lines[1:]))
    )  # fmt: skip
    result = cli("plot", HF / "train.yaml", "--dataset-size", "64", "--reference", along, "--strict", "-q",
                 "--format", "csv", "--out-dir", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.stderr


def test_a_plain_csv_is_taken_as_written_whatever_its_lr_column(tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_text("iteration,learning_rate\n" + "".join(
        f"{step},{float(lr)!r}\n" for step, lr in enumerate(used(LIGHTNING)[:, 0])
    ))  # fmt: skip
    loaded = lrplot.load(LIGHTNING / "plan.yaml", references=[str(tmp_path / "mine.csv")])
    reference = lrplot.simulate(loaded).curves[0].reference
    assert reference.offset == 0 and reference.steps.tolist() == list(range(12))
    assert lrplot.simulate(loaded).curves[0].reference_divergences() == []


def test_command_line_reference_errors_name_the_option_the_user_typed(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "odd.csv").write_text("iteration_no,lr\n0,0.1\n")
    result = cli(
        "plot", LIGHTNING / "plan.yaml", "--reference", "odd.csv", "--format", "csv", "--out-dir", "."
    )
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("lrplot: error: --reference odd.csv: curve 'lightning': ")
    assert "--set reference=" not in line and '"csv"' not in line and "name it with step:" not in line
    assert "columns: iteration_no, lr; name yours: --set reference.step=NAME (after --reference)" in line
    fixed = cli("plot", LIGHTNING / "plan.yaml", "--reference", "odd.csv", "--set", "reference.step=iteration_no",
                "--format", "csv", "--out-dir", ".")  # fmt: skip
    assert fixed.exit_code == 0, fixed.stderr  # the form the message names works
    (tmp_path / "loss.csv").write_text("step,loss\n0,1.0\n")
    result = cli(
        "plot", LIGHTNING / "plan.yaml", "--reference", "loss.csv:", "--format", "csv", "--out-dir", "."
    )
    assert result.exit_code == 2 and "--reference loss.csv:: curve" in result.stderr
    assert "name one: --reference PATH:TAG, or tag: TAG in the config's reference" in result.stderr


def test_the_json_summary_lists_where_each_log_parts(cli, tmp_path: Path) -> None:
    other = tmp_path / "plan.yaml"
    other.write_text((LIGHTNING / "plan.yaml").read_text().replace("T_max: 12", "T_max: 14"))
    result = cli("plot", other, "--reference", LIGHTNING / "csv", "--json", "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.stderr
    parted = json.loads(result.stdout)["log_divergences"]
    assert [(d["curve"], d["series"], d["step"], d["logged"]) for d in parted] == [
        ("lightning", "lr-SGD/pg1", 2, 0.09336825748732973),
        ("lightning", "lr-SGD/pg2", 2, 0.009397114317029977),
    ]
    agreeing = cli("plot", LIGHTNING / "plan.yaml", "--reference", LIGHTNING / "csv", "--json",
                   "-o", tmp_path / "out.csv")  # fmt: skip
    assert json.loads(agreeing.stdout)["log_divergences"] == []


# --- bad input: one line, exit 2 ---------------------------------------------------------------


def bad(cli, tmp_path: Path, reference: Path | str) -> Any:
    result = cli(
        "plot", LIGHTNING / "plan.yaml", "--reference", reference, "--format", "csv", "--out-dir", tmp_path
    )
    assert result.exit_code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    return result.stderr


def test_a_corrupt_event_file_is_refused(cli, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    source = next((LIGHTNING / "tb").glob("*/events.out.tfevents.*"))
    data = bytearray(source.read_bytes())
    data[60] ^= 0xFF
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / source.name).write_bytes(bytes(data))
    assert "a corrupt TensorBoard event file" in bad(cli, tmp_path, tmp_path / "run")


def test_an_event_file_cut_short_is_read_up_to_the_cut(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    source = next((LIGHTNING / "tb").glob("*/events.out.tfevents.*"))
    cut = tmp_path / source.name
    cut.write_bytes(source.read_bytes()[:-5])  # a run still writing its last record
    reference = read_reference(str(cut), tmp_path, ("reference",))
    assert reference.series[0].steps.tolist() == [2, 5, 8, 11][: len(reference.series[0].steps)]


def test_a_file_that_is_not_an_event_file_is_refused(cli, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    junk = tmp_path / "events.out.tfevents.1.host"
    junk.write_bytes(b"\x00\x01 not an event file \xff" * 20)
    assert "a corrupt TensorBoard event file" in bad(cli, tmp_path, junk)


def test_a_folder_with_no_lr_tag_is_refused(cli, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(MLRUNS_LIGHTNING, run)
    shutil.rmtree(run / "metrics" / "lr-SGD")
    message = bad(cli, tmp_path, run)
    assert "no lr tag or column" in message and "train_loss" in message


def test_a_folder_with_no_log_is_refused(cli, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "a folder with no log lrplot reads" in bad(cli, tmp_path, tmp_path / "empty")


def test_a_json_without_log_history_is_refused(cli, tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"global_step": 3}')
    assert "a JSON file without log_history" in bad(cli, tmp_path, tmp_path / "state.json")


def test_a_log_too_large_is_refused(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lrplot.plan.reference.log_limit", lambda: 100)
    assert "bytes" in bad(cli, tmp_path, HF / "checkpoint-12")


def test_an_event_folder_too_large_is_refused(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tensorboard")
    monkeypatch.setattr("lrplot.plan.reference.log_limit", lambda: 100)
    assert "too large" in bad(cli, tmp_path, LIGHTNING / "tb") or "exceed" in bad(
        cli, tmp_path, LIGHTNING / "tb"
    )


def test_an_unknown_tag_lists_the_lr_series(cli, tmp_path: Path) -> None:
    message = bad(cli, tmp_path, f"{LIGHTNING / 'csv'}:lr-Adam")
    assert "no lr series 'lr-Adam'" in message and "lr-SGD/pg1, lr-SGD/pg2" in message


def test_a_second_reference_is_refused_not_silently_dropped(cli, tmp_path: Path) -> None:
    result = cli("plot", LIGHTNING / "plan.yaml", "--reference", LIGHTNING / "csv", "--reference",
                 LIGHTNING / "tb", "--format", "csv", "--out-dir", tmp_path)  # fmt: skip
    assert result.exit_code == 2
    assert "--reference is given 2 times; a curve is compared with one log" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_broken_mlflow_metric_line_names_file_and_line(cli, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(MLRUNS_LIGHTNING, run)
    (run / "metrics" / "lr-SGD" / "pg1").write_text("1 0.1 0\n2 0.1\n")
    assert "pg1:2: not an MLflow metric line" in bad(cli, tmp_path, run)


def test_a_file_below_a_log_folder_is_named_as_the_config_names_it(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "project" / "logs" / "run"
    shutil.copytree(MLRUNS_LIGHTNING, run)
    (run / "metrics" / "lr-SGD" / "pg1").write_text("1 0.1 0\n2 0.1\n")
    config = tmp_path / "project" / "plan.yaml"
    config.write_text((LIGHTNING / "plan.yaml").read_text() + "    reference: logs/run\n")
    monkeypatch.chdir(tmp_path)
    result = cli("plot", "project/plan.yaml", "--format", "csv", "--out-dir", tmp_path)
    assert result.exit_code == 2
    assert (
        "project/plan.yaml:8: curve 'lightning': logs/run/metrics/lr-SGD/pg1:2: not an MLflow"
        in result.stderr
    )
    assert str(tmp_path) not in result.stderr


# --- the comparison itself -------------------------------------------------------------------------


def logged(steps: np.ndarray, values: np.ndarray, float32: bool = False) -> ReferenceLog:
    return ReferenceLog("log", [LoggedLr("lr", 0, steps, values, steps, float32)])


@settings(max_examples=60, deadline=None)
@given(
    shift=st.integers(1, 8) | st.integers(-8, -1),
    every=st.integers(1, 5),
    total=st.integers(60, 200),
)
def test_a_log_of_the_plan_shifted_by_k_is_reported_as_shift_k(shift: int, every: int, total: int) -> None:
    plan = 0.1 * (1 + np.cos(np.pi * np.arange(total) / total)) / 2 + 1e-4  # strictly decreasing
    steps = np.arange(20, total - 20, every)
    reference = logged(steps, plan[steps + shift])
    comparison = reference.comparison(plan, 0, 0, "0")
    assert comparison.divergence is not None and comparison.divergence.step == steps[0]
    assert f"shifted by {abs(shift)} step" in comparison.divergence.hint
    assert f"reference offset: {shift}" in comparison.divergence.hint


@settings(max_examples=60, deadline=None)
@given(total=st.integers(2, 300), every=st.integers(1, 7), data=st.data())
def test_a_log_of_the_plan_itself_agrees_at_float64_and_float32(total: int, every: int, data: Any) -> None:
    plan = np.array(data.draw(st.lists(st.floats(1e-8, 10.0), min_size=total, max_size=total)))
    steps = np.arange(0, total, every)
    assert logged(steps, plan[steps]).comparison(plan, 0, 0, "0").divergence is None
    stored = plan[steps].astype(np.float32).astype(np.float64)
    assert logged(steps, stored, float32=True).comparison(plan, 0, 0, "0").divergence is None


def nudged(value: float, ulps: int) -> float:
    stored = np.float32(value)
    for _ in range(ulps):
        stored = np.nextafter(stored, np.float32(1))
    return float(stored)


def test_a_float32_log_past_the_tolerance_differs_and_within_it_agrees() -> None:
    plan = np.array([0.1, 0.05, 0.025])  # 0.05 = 1.6 × 2**-5: 2**-22 relative is 3.2 of its ulps
    within = np.array([nudged(0.1, 0), nudged(0.05, 3), nudged(0.025, 0)])
    past = np.array([nudged(0.1, 0), nudged(0.05, 4), nudged(0.025, 0)])
    assert logged(np.arange(3), within, float32=True).comparison(plan, 0, 0, "0").divergence is None
    assert logged(np.arange(3), past, float32=True).comparison(plan, 0, 0, "0").divergence.step == 1


def test_config_reference_keys_are_checked() -> None:
    with pytest.raises(LrplotError, match="unknown key 'colum' in reference; valid keys: path, csv, tag"):
        read_reference({"path": "x.csv", "colum": "lr"}, Path.cwd(), ("reference",))
    with pytest.raises(LrplotError, match="reference offset should be a whole number"):
        read_reference({"path": "x.csv", "offset": 1.5}, Path.cwd(), ("reference",))


# --- the real trainers, live (the recordings above, made again in a temporary folder) ------------


def test_a_live_hugging_face_run_with_tensorboard_matches_exactly(tmp_path: Path, cli) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    pytest.importorskip("tensorboard")
    sys.path.insert(0, str(LOGS))
    try:
        import record
    finally:
        sys.path.remove(str(LOGS))
    out = record.huggingface(
        "hf", tmp_path, lr_scheduler_type="cosine_with_restarts", warmup_steps=2, max_steps=10, logging_steps=1,
        save_steps=10, report_to=["tensorboard"], lr_scheduler_kwargs={"num_cycles": 2},
    )  # fmt: skip
    config = tmp_path / "train.yaml"
    config.write_text(
        "learning_rate: 0.1\nlr_scheduler_type: cosine_with_restarts\nlr_scheduler_kwargs: {num_cycles: 2}\n"
        "warmup_steps: 2\nmax_steps: 10\nper_device_train_batch_size: 2\n"
    )
    for log in (out, out / "runs"):
        result = cli("plot", config, "--dataset-size", "64", "--reference", log, "--strict", "--quiet",
                     "--format", "csv", "--out-dir", tmp_path)  # fmt: skip
        assert result.exit_code == 0, result.stderr
    reference = read_reference(str(out), tmp_path, ("reference",))
    assert reference.series[0].lr.tolist() == used(out)[reference.series[0].steps, 0].tolist()
