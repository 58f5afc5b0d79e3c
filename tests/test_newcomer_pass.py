"""Issue 30, a newcomer's second pass: sweep titles, the automatic log axis, --yscale, -q,
--xlim, the terminal chart without colour, several configs in one figure, check by position,
CI hooks."""

from __future__ import annotations

import numpy as np

import lrplot
from lrplot.render.layout import choose_yscale
from tests.conftest import ROOT

MIXED = """
total_step: 200
curves:
  - label: AdamW 5e-5
    optimizer: {name: AdamW, lr: 5.0e-5}
    scheduler: {name: CosineAnnealingLR, T_max: 200}
  - label: SGD 1.0
    scheduler: {name: CosineAnnealingLR, T_max: 200}
"""
STARTER_SWEEP = ["optimizer.lr=1e-4,3e-4", "scheduler.schedulers.1.eta_min=0,1e-5"]


def _starter(sweeps: list[str] | None = None, sets: list[str] | None = None) -> lrplot.Result:
    from lrplot.commands.templates import TEMPLATES

    _, text = TEMPLATES["warmup-cosine"]
    return lrplot.simulate(lrplot.loads(text, sweeps=sweeps or [], sets=sets or []))


def _title_and_legend(result: lrplot.Result) -> tuple[str, list[str]]:
    fig = lrplot.figure(result)
    legend = fig.axes[0].get_legend()
    return fig._suptitle.get_text(), [text.get_text() for text in legend.get_texts()]


def test_a_sweep_title_does_not_repeat_the_config_title() -> None:
    path = ROOT / "configs/schedulers/cosine_annealing_lr.yaml"
    config = lrplot.load(path, sweeps=["scheduler.T_max=100,125,150"])
    title, legend = _title_and_legend(lrplot.simulate(config))
    assert (title, legend) == ("CosineAnnealingLR", ["T_max=100", "T_max=125", "T_max=150"])


def test_a_templated_label_is_not_cut_mid_phrase_into_the_title() -> None:
    title, legend = _title_and_legend(_starter(STARTER_SWEEP))
    assert title == "Warmup + cosine" and legend[0] == "AdamW, peak 0.0001 (eta_min=0)"


def test_decays_to_zero_swept_over_lr_and_floor_keep_a_linear_axis() -> None:
    assert choose_yscale(_starter(STARTER_SWEEP)) == ("linear", None)


def test_a_schedule_flattened_for_most_of_the_run_gets_a_log_axis() -> None:
    text = "total_step: 100\ncurves:\n  - scheduler: {name: MultiStepLR, milestones: [20, 40, 60]}\n"
    assert choose_yscale(lrplot.simulate(lrplot.loads(text)))[0] == "log"


def test_yscale_option_overrides_the_config(write_config, cli, tmp_path) -> None:
    config = write_config(MIXED + "plot: {yscale: linear}\n")
    result = cli("plot", config, "-o", str(tmp_path / "m.png"), "--yscale", "auto")
    assert "lrplot: warning:" in result.stderr and "log y axis" in result.stderr


def test_yscale_option_refuses_other_values(write_config, cli) -> None:
    result = cli("plot", write_config(MIXED), "--yscale", "symlog")
    assert result.exit_code == 2 and "'symlog' is not one of 'linear', 'log', 'auto'" in result.stderr


def test_quiet_silences_the_log_axis_note(write_config, cli, tmp_path) -> None:
    result = cli("plot", write_config(MIXED), "-o", str(tmp_path / "m.png"), "-q")
    assert result.exit_code == 0 and result.stderr == ""


def test_a_reversed_xlim_is_refused(write_config, cli) -> None:
    result = cli("plot", write_config(MIXED), "--xlim", "150:20")
    assert result.exit_code == 2 and "'150:20': the first step must come before the last" in result.stderr


def test_a_reversed_plot_xlim_in_a_config_is_refused_at_its_line(write_config, cli) -> None:
    result = cli("plot", write_config("plot: {xlim: [150, 20]}\n" + MIXED))
    assert (
        result.exit_code == 2 and "config.yaml:1: plot.xlim: the first step must come before" in result.stderr
    )


def test_xlim_thins_by_the_visible_range() -> None:
    """A warmup of 500 steps in a 100,000-step run, shown alone, is drawn step by step."""
    text = (
        "total_step: 100000\nplot: {xlim: [0, 600]}\ncurves:\n"
        "  - scheduler: {name: LinearLR, start_factor: 0.001, total_iters: 500}\n"
    )
    fig = lrplot.figure(lrplot.simulate(lrplot.loads(text)))
    x = fig.axes[0].get_lines()[0].get_xdata()
    assert list(x[:501]) == list(range(501))


def test_the_init_header_points_at_docs_config_md(tmp_path, cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("init").exit_code == 0
    header = (tmp_path / "lrplot.yaml").read_text().split("\n\n")[0]
    assert "docs/config.md" in header and "README" not in header and (ROOT / "docs/config.md").exists()


TWO = (
    "total_step: 100\ncurves:\n  - {label: a, scheduler: {name: StepLR, step_size: 10}}\n"
    "  - {label: b, scheduler: {name: CosineAnnealingLR, T_max: 100}}\n"
)


def test_sweep_addresses_one_curve_as_set_does() -> None:
    config = lrplot.loads(TWO, sweeps=["curves.1.scheduler.T_max=50,100"])
    assert [curve.label for curve in config.curves] == ["a", "b (T_max=50)", "b (T_max=100)"]


def test_sweep_of_a_curve_that_is_not_there_names_the_count(write_config, cli) -> None:
    result = cli("plot", write_config(TWO), "--sweep", "curves.2.scheduler.T_max=50,100")
    assert result.exit_code == 2 and "curves has 2 entries, there is no index 2" in result.stderr


def test_check_matches_a_templated_label_by_position_and_shows_the_change(tmp_path, cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("init").exit_code == 0
    assert cli("check", "lrplot.yaml", "--against", "snap.csv", "--update").exit_code == 0
    result = cli("check", "lrplot.yaml", "--against", "snap.csv", "--set", "optimizer.lr=3.1e-4")
    assert result.exit_code == 1 and "not in the config" not in result.stderr
    assert (
        "curve 'AdamW, peak 0.0003' is now 'AdamW, peak 0.00031' (matched by its position)" in result.stderr
    )
    assert "3e-07 in the snapshot, 3.1e-07 now (+3.33%; 10,000 step(s) differ)" in result.stderr


def test_check_still_names_a_curve_that_is_gone(write_config, cli, tmp_path) -> None:
    snapshot = str(tmp_path / "s.csv")
    assert cli("check", write_config(TWO), "--against", snapshot, "--update").exit_code == 0
    one = TWO.split("  - {label: b")[0]
    result = cli("check", write_config(one), "--against", snapshot)
    assert result.exit_code == 1 and "curve 'b': in the snapshot, not in the config" in result.stderr


def test_a_deepspeed_config_without_the_extra_names_the_extra(cli, monkeypatch, tmp_path) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "deepspeed", None)
    monkeypatch.setitem(sys.modules, "deepspeed.runtime.lr_schedules", None)
    config = ROOT / "tests/fixtures/huggingface/deepspeed/deepspeedexamples_qanet_ds_bsz512_warmup.json"
    result = cli("plot", config, "--set", "lrplot.total_step=100", "-o", str(tmp_path / "d.csv"))
    assert result.exit_code == 2 and "raised" not in result.stderr
    assert result.stderr.endswith("own classes: pip install 'lrplot[deepspeed]'\n")


FORKSERVER_PID = """
import multiprocessing.forkserver as forkserver
import sys

if __name__ == "__main__":
    from lrplot.commands.app import main

    sys.argv = ["lrplot", *sys.argv[1:]]
    try:
        main()
    except SystemExit:
        pass
    print(forkserver._forkserver._forkserver_pid)
"""


def test_the_forkserver_is_gone_when_lrplot_returns(write_config, tmp_path) -> None:
    """The pid is printed before exit; once the process has returned, so has the forkserver
    (reaped by lrplot itself, not by init a second later)."""
    import os
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(FORKSERVER_PID)
    config = write_config(TWO.replace("total_step: 100", "total_step: 2000"))
    out = tmp_path / "two.csv"
    process = subprocess.run(
        [sys.executable, str(script), "plot", str(config), "-o", str(out), "-q", "--engine", "torch", "--workers", "2"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert process.returncode == 0 and out.exists(), process.stderr
    pid = int(process.stdout.split()[-1])  # the forkserver ran: the pool was used
    assert not os.path.exists(f"/proc/{pid}")


OLD = "title: run\ntotal_step: 100\ncurves:\n  - {label: cosine, scheduler: {name: CosineAnnealingLR, T_max: 100}}\n"
NEW = OLD.replace("T_max: 100}", "T_max: 100}, optimizer: {lr: 0.5}}").replace("}}}", "}}")


def test_several_configs_go_into_one_figure_and_one_csv_labelled_by_file(tmp_path, cli) -> None:
    import csv

    (tmp_path / "old.yaml").write_text(OLD)
    (tmp_path / "new.yaml").write_text(NEW + "  - {label: step, scheduler: {name: StepLR, step_size: 10}}\n")
    figure, table = tmp_path / "both.png", tmp_path / "both.csv"
    result = cli("plot", tmp_path / "old.yaml", tmp_path / "new.yaml", "-o", str(figure), "-o", str(table))
    assert result.exit_code == 0, result.stderr
    with table.open() as handle:
        curves = list(dict.fromkeys(row["curve"] for row in csv.DictReader(handle)))
    assert curves == ["old: cosine", "new: cosine", "step"] and figure.stat().st_size > 0


def test_combined_configs_keep_their_own_values_and_common_title() -> None:
    from lrplot.result import combine

    old, new = (lrplot.simulate(lrplot.loads(text)) for text in (OLD, NEW))
    both = combine([old, new], ["old", "new"])
    assert both.title == "run" and float(both.curves[1].groups[0].lr[0]) == 0.5


def test_terminal_chart_without_colour_draws_each_curve_with_its_own_character() -> None:
    from lrplot.render.terminal import terminal_chart

    text = terminal_chart(_starter(STARTER_SWEEP), 100, 30, colour=False)
    lines = text.splitlines()
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    keys = [line.split()[0] for line in lines[bottom + 1 :] if line.startswith("  ") and "AdamW" in line]
    plot = "\n".join(lines[:bottom])
    assert len(set(keys)) == 4 and all(key in plot for key in keys)


def test_terminal_chart_legend_sits_under_the_chart() -> None:
    from lrplot.render.terminal import terminal_chart

    lines = terminal_chart(_starter(STARTER_SWEEP), 100, 30, colour=False).splitlines()
    legend = [line for line in lines if "AdamW" in line]
    assert len(legend) == 4 and lines[-4:] == legend


def test_the_hero_inset_has_no_box_edge_and_a_plain_title() -> None:
    fig = lrplot.figure(lrplot.simulate(lrplot.load(ROOT / "configs/llm_warmup_cosine.yaml")))
    ax = fig.axes[0]
    (inset,) = ax.child_axes
    assert inset.get_title() == "warmup, magnified" and inset.get_xlim() == (0.0, 3300.0)
    assert all(patch.get_linewidth() == 0 for patch in ax.patches)  # the band: no edge line


def test_zoom_connectors_never_cross_a_curve() -> None:
    from lrplot.render.figure import _occupancy

    fig = lrplot.figure(lrplot.simulate(lrplot.load(ROOT / "configs/llm_warmup_cosine.yaml")))
    ax = fig.axes[0]
    connectors = [line for line in ax.get_lines() if line.get_transform() == ax.transAxes]
    curves = [line for line in ax.get_lines() if line not in connectors]
    for line in connectors:
        line.remove()  # the occupancy of the curves alone
    occupancy = _occupancy(ax)
    assert connectors and curves
    for line in connectors:
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        points = zip(np.linspace(x0, x1, 60)[1:], np.linspace(y0, y1, 60)[1:], strict=True)
        assert all(occupancy.free(x, x, y, y) for x, y in points)


def test_the_legend_explains_the_lint_circles() -> None:
    text = "total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 50}\n"
    config = lrplot.loads(text)
    result = lrplot.simulate(config)
    from lrplot.lint import lint

    lint(config, result)
    legend = lrplot.figure(result).axes[0].get_legend()
    assert "schedule warning (see the summary)" in [t.get_text() for t in legend.get_texts()]


def _quick_start() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("## Quick start") : readme.index("## Your first config")]


def test_quick_start_installs_the_cpu_wheel_and_says_what_a_user_should_install() -> None:
    """The figure command pins the torch the tests pin (it must run where only the package
    registry is reachable); the prose says which torch lrplot needs, how to get the CPU wheel
    instead of PyPI's multi-GB CUDA default, and nothing about this project's machines."""
    quick = _quick_start()
    figure = quick.split("<!-- figure-command -->")[1].split("```")[1]
    assert "pip install torch==2.13.0" in figure
    assert "--index-url https://download.pytorch.org/whl/cpu" in quick
    assert "`torch>=2.2`" in quick and "CUDA build" in quick and "without" in quick
    assert "on disk" not in quick and "machines" not in quick


def test_quick_start_names_the_extra_the_hugging_face_example_asks_for(cli, monkeypatch, tmp_path) -> None:
    import re
    import shlex

    from lrplot.formats import trainer_rules

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"<!-- hf-command -->\s*```bash\n(.*?)\n```", readme, flags=re.S).group(1)
    monkeypatch.setattr(trainer_rules, "installed_transformers", lambda: None)
    monkeypatch.chdir(ROOT)
    arguments = shlex.split(command)[1:]
    arguments[arguments.index("-o") + 1] = str(tmp_path / "lr.png")
    result = cli(*arguments)
    assert result.exit_code == 2
    extra = re.search(r"pip install 'lrplot\[(\w+)\]'", result.stderr).group(1)
    assert f"pip install -e '.[{extra}]'" in _quick_start()


def test_a_typo_of_curves_is_named_at_its_line(write_config, cli) -> None:
    for typo in ("curvs", "Curves", "cruves", "curve"):
        config = write_config(TWO.replace("curves:", f"{typo}:"), name=f"{typo}.yaml")
        result = cli("plot", config, "-o", str(config.with_suffix(".csv")))
        assert result.exit_code == 2 and "--config-format" not in result.stderr
        assert result.stderr == (
            f"lrplot: error: {config}:2: unknown top-level key {typo!r} (did you mean 'curves'?): "
            "an lrplot config lists its curves under 'curves'\n"
        )


def test_a_file_with_no_key_like_curves_keeps_the_generic_refusal(write_config, cli) -> None:
    config = write_config(TWO.replace("curves:", "courses:"))
    result = cli("validate", config)
    assert (
        result.exit_code == 2
        and "did you mean" not in result.stderr
        and "--config-format NAME" in result.stderr
    )
