"""Issue 17's classes of failure, several members each: what a config may read (and what is
never echoed), no output over an input, bounds checked before the work, one line instead of a
traceback, messages naming the real culprit. Each bad input: exit 2, one line, the culprit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import lrplot
from lrplot.errors import LrplotError
from tests.refusals import SECRET, refused

CURVE = "total_step: 10\ncurves:\n  - scheduler: {name: StepLR, step_size: 3}\n"
PLATEAU = "{name: ReduceLROnPlateau, patience: 1}"
LOG = "step,lr\n0,0.1\n1,0.1\n2,0.1\n3,0.01\n"


def curve(extra: str = "", scheduler: str = "{name: StepLR, step_size: 3}") -> str:
    return f"total_step: 10\ncurves:\n  - scheduler: {scheduler}\n{extra}"


# 1. What a config may read, and what is never echoed ----------------------------------------

PSEUDO_READS = {
    "reference in /proc": (curve("    reference: /proc/self/environ\n"), "reference log /proc/self/environ"),
    "reference with /./ and ..": (curve("    reference: /proc/./self/../self/environ\n"), "reference log"),
    "metric log in /proc": (
        curve("    metric: {csv: /proc/self/environ, column: loss}\n", PLATEAU),
        "metric log /proc/self/environ",
    ),
    "metric log /dev/zero": (curve("    metric: {csv: /dev/zero, column: loss}\n", PLATEAU), "/dev/zero"),
    "reference /dev/stdin": (curve("    reference: /dev/stdin\n"), "/dev/stdin"),
    "reference in /sys": (curve("    reference: /sys/kernel/notes\n"), "/sys/kernel/notes"),
}


@pytest.mark.parametrize("case", PSEUDO_READS)
def test_configs_never_read_proc_sys_or_dev(case: str, run) -> None:
    text, culprit = PSEUDO_READS[case]
    result = run({"c.yaml": text}, "plot", "c.yaml", "-o", "o.csv")
    refused(result, "c.yaml:4", culprit, "does not read from /proc, /sys or /dev")
    assert not Path("o.csv").exists()


def test_a_symlink_to_proc_is_refused_by_where_it_points(run, tmp_path: Path) -> None:
    (tmp_path / "env.csv").symlink_to("/proc/self/environ")
    result = run({"c.yaml": curve("    reference: env.csv\n")}, "plot", "c.yaml", "-o", "o.csv")
    refused(result, "c.yaml:4", "env.csv (-> /proc/", "does not read from /proc")


@pytest.mark.parametrize("named", ["/proc/self/environ", "/dev/zero", "link.yaml"])
def test_the_config_itself_is_read_under_the_same_policy(named: str, run, tmp_path: Path) -> None:
    (tmp_path / "link.yaml").symlink_to("/proc/self/environ")
    refused(run({}, "plot", named, "-o", "o.csv"), named, "/proc, /sys or /dev")
    result = run({}, "validate", named)
    assert result.exit_code == 2 and SECRET not in result.output and len(result.stderr.splitlines()) == 1


def test_reference_option_and_check_against_are_read_under_the_policy(run) -> None:
    refused(run({"c.yaml": CURVE}, "plot", "c.yaml", "-o", "o.csv", "--reference", "/proc/self/environ"),
            "/proc/self/environ")  # fmt: skip
    refused(
        run({"c.yaml": CURVE}, "check", "c.yaml", "--against", "/proc/self/environ"), "/proc/self/environ"
    )


ECHOES = {
    "a .env file as a reference log": (
        {"c.yaml": curve("    reference: secrets.env\n"), "secrets.env": f"API_TOKEN={SECRET}\n"},
        ["secrets.env", "no step column", "columns: (none that can be shown)"],
    ),
    "a reference cell that is not a number": (
        {"c.yaml": curve("    reference: log.csv\n"), "log.csv": f"step,lr\n0,0.1\n1,{SECRET}\n"},
        ["log.csv:3", "column 'lr' is not a number"],
    ),
    "a metric cell that is not a number": (
        {
            "c.yaml": curve("    metric: {csv: m.csv, column: loss}\n", PLATEAU),
            "m.csv": f"loss\n1\n{SECRET}\n",
        },
        ["m.csv:3", "column 'loss' is not a number"],
    ),
    "a header of secret-looking names": (
        {"c.yaml": curve("    reference: log.csv\n"), "log.csv": f"step,KEY={SECRET},{SECRET}\n0,1,2\n"},
        ["no lr tag or column", "other scalars: (none that can be shown) (and 2 more)"],
    ),
    "binary with NUL bytes": (
        {"c.yaml": curve("    reference: log.csv\n"), "log.csv": b"step,lr\n\x00" + SECRET.encode() + b"\n"},
        ["log.csv"],
    ),
}


@pytest.mark.parametrize("case", ECHOES)
def test_file_content_is_never_echoed(case: str, run) -> None:
    files, fragments = ECHOES[case]
    refused(run(files, "plot", "c.yaml", "-o", "o.csv"), "c.yaml:4", *fragments)


def test_a_snapshot_row_is_not_echoed(run) -> None:
    files = {"c.yaml": CURVE, "snap.csv": f"curve,group,step,lr\nStepLR,0,0,{SECRET}\n"}
    refused(run(files, "check", "c.yaml", "--against", "snap.csv"), "snap.csv:2", "not a number")


def test_five_hundred_long_column_names_make_a_short_line(run) -> None:
    header = ",".join(f"col{i}_" + "x" * 200 for i in range(500))
    message = refused(run({"c.yaml": curve("    reference: log.csv\n"), "log.csv": header + "\n1\n"},
                          "plot", "c.yaml", "-o", "o.csv"), "no step column")  # fmt: skip
    assert len(message) < 400


def test_configs_read_only_inside_their_folder_and_the_working_folder(run, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "log.csv").write_text(LOG)
    work = tmp_path / "work"
    files = {"work/c.yaml": curve("    reference: ../outside/log.csv\n")}
    os.chdir(work.parent)  # the working folder contains both: allowed
    assert run(files, "plot", "work/c.yaml", "-o", "work/o.csv").exit_code == 0
    work.joinpath("o.csv").unlink()
    os.chdir(work)  # now ../outside leaves both the config's folder and the working folder
    refused(run(files, "plot", "c.yaml", "-o", "o.csv"), "c.yaml:4", "outside the config's folder",
            f"--allow-read {outside}")  # fmt: skip
    assert run(files, "plot", "c.yaml", "-o", "o.csv", "--allow-read", str(outside)).exit_code == 0
    refused(run({"work/c.yaml": curve("    reference: /etc/passwd\n")}, "plot", "c.yaml", "-o", "o.csv"),
            "/etc/passwd is outside")  # fmt: skip


def test_allow_read_from_the_environment(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path.parent / f"{tmp_path.name}-logs"
    elsewhere.mkdir()
    (elsewhere / "log.csv").write_text(LOG)
    files = {"c.yaml": curve(f"    reference: {elsewhere / 'log.csv'}\n")}
    refused(run(files, "plot", "c.yaml", "-o", "o.csv"), "outside")
    monkeypatch.setenv("LRPLOT_ALLOW_READ", str(elsewhere))
    assert run(files, "plot", "c.yaml", "-o", "o.csv").exit_code == 0


def test_the_python_api_is_not_confined_but_still_refuses_proc(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text(LOG)
    config = lrplot.loads(curve(f"    reference: {tmp_path / 'log.csv'}\n"))
    assert lrplot.simulate(config).curves[0].reference is not None
    with pytest.raises(LrplotError, match="does not read from /proc"):
        lrplot.simulate(lrplot.loads(curve("    reference: /proc/self/environ\n")))


# 2. No output replaces a file the run reads -------------------------------------------------

REF = curve("    reference: log.csv\n")
MET = curve("    metric: {csv: metrics.csv, column: loss}\n", PLATEAU)
METRIC = "loss\n" + "1.0\n" * 20


def _link(kind: str):
    def make(tmp_path: Path) -> None:
        (os.link if kind == "hard" else os.symlink)(tmp_path / "log.csv", tmp_path / "alias.csv")

    return make


OVERWRITES = {
    "-o the reference log": ({"c.yaml": REF, "log.csv": LOG}, ["plot", "c.yaml", "-o", "log.csv"], None),
    "-o the metric log": ({"c.yaml": MET, "metrics.csv": METRIC}, ["plot", "c.yaml", "-o", "metrics.csv"], None),
    "-o sub/../log.csv": ({"c.yaml": REF, "log.csv": LOG, "sub/x": ""}, ["plot", "c.yaml", "-o", "sub/../log.csv"], None),
    "-o a hard link of the log": ({"c.yaml": REF, "log.csv": LOG}, ["plot", "c.yaml", "-o", "alias.csv"], _link("hard")),
    "-o a symlink to the log": ({"c.yaml": REF, "log.csv": LOG}, ["plot", "c.yaml", "-o", "alias.csv"], _link("sym")),
    "--out-dir . --format csv": ({"log.yaml": REF, "log.csv": LOG}, ["plot", "log.yaml", "-d", ".", "-f", "csv"], None),
    "one config's output is another's log": (
        {"log.yaml": CURVE, "b.yaml": curve("    reference: log.csv\n"), "log.csv": LOG},
        ["plot", "log.yaml", "b.yaml", "-d", ".", "-f", "csv"],
        None,
    ),
    "check --update over the reference log": (
        {"c.yaml": REF, "log.csv": LOG}, ["check", "c.yaml", "--against", "log.csv", "--update"], None,
    ),
    "--reference log.csv -o log.csv": (
        {"c.yaml": CURVE, "log.csv": LOG}, ["plot", "c.yaml", "--reference", "log.csv", "-o", "log.csv"], None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", OVERWRITES)
def test_no_output_replaces_a_file_the_run_reads(case: str, run, tmp_path: Path) -> None:
    files, args, setup = OVERWRITES[case]
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    if setup is not None:
        setup(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    refused(run({}, *args), "refusing to write over the input", "a file this run reads")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_the_python_api_refuses_to_write_over_a_log_it_read(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text(LOG)
    result = lrplot.simulate(lrplot.load(_write(tmp_path / "c.yaml", REF)))
    with pytest.raises(LrplotError, match="refusing to write over the input reference log"):
        lrplot.write(result, tmp_path / "log.csv")
    assert (tmp_path / "log.csv").read_text() == LOG


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# 3. Bounds checked before the work -----------------------------------------------------------

BOUNDS = {
    "a sweep of 10 keys x 10 values": (
        "total_step: 10\nsweep:\n" + "".join(f"  scheduler.k{i}: [0,1,2,3,4,5,6,7,8,9]\n" for i in range(10))
        + "curves:\n  - scheduler: {name: StepLR, step_size: 3}\n",
        ["c.yaml:2", "sweep makes 10,000,000,000 curves (limit 1,000; --force lifts it)"],
    ),
    "100 curves x a 1000-value sweep": (
        "total_step: 10\nsweep:\n  scheduler.step_size: [" + ",".join(map(str, range(1, 1001)))
        + "]\ncurves:\n" + "  - {scheduler: {name: StepLR, step_size: 3}}\n" * 100,
        ["c.yaml:2", "the config expands to 100,000 curves", "limit 1,000"],
    ),
    "1,001 plain curves": (
        "total_step: 10\ncurves:\n" + "  - {scheduler: {name: StepLR, step_size: 3}}\n" * 1001,
        ["c.yaml:2", "the config has 1,001 curves"],
    ),
    "round(1, -10 ** 9)": (
        curve(scheduler="{name: LambdaLR, lr_lambda: 'round(1, -10 ** 9)'}"),
        ["c.yaml:3", "round to (-1,000,000,000) digits refused (limit 400"],
    ),
    "a product of huge integers": (
        curve(scheduler="{name: LambdaLR, lr_lambda: '(9**1000) * (9**1000) * (9**1000) * step'}"),
        ["c.yaml:3", "a product of integers of about", "limit 4,096 bits"],
    ),
    "a product that grows at run time": (
        curve(scheduler="{name: LambdaLR, lr_lambda: '1 + 0 * ((step + 9**1000) * (step + 9**1000) * (step + 9**1000))'}"),
        ["c.yaml:3", "a product of integers", "limit 4,096 bits"],
    ),
    "plot size 54 x 54 at 1200 dpi": (
        CURVE.replace("curves:", "plot: {size: [54, 54], dpi: 1200}\ncurves:"),
        ["c.yaml:2", "64,800 pixels on a side (limit 16,384)"],
    ),
    "plot size 40 x 40 at 300 dpi": (
        CURVE.replace("curves:", "plot: {size: [40, 40], dpi: 300}\ncurves:"),
        ["c.yaml:2", "144,000,000 pixels (limit 40,000,000; --force lifts it)"],
    ),
    "a title of 100,000 characters": ('title: "' + "x" * 100_000 + '"\n' + CURVE, ["c.yaml:1", "title", "limit 10,000"]),
    "a title of 301 characters": ('title: "' + "x" * 301 + '"\n' + CURVE, ["c.yaml:1", "title is 301 characters long (limit 300)"]),
    "a label template of 30,000 milestones": (
        "total_step: 10\ncurves:\n  - label: '{scheduler.milestones}'\n    scheduler: {name: MultiStepLR, milestones: ["
        + ",".join(map(str, range(30000))) + "]}\n",
        ["c.yaml:3", "label is 198,890 characters long (limit 300)"],
    ),
    "1,001 param groups": (
        "total_step: 10\ncurves:\n  - optimizer: {param_groups: [" + ",".join(["{lr: 0.1}"] * 1001)
        + "]}\n    scheduler: {name: StepLR, step_size: 3}\n",
        ["c.yaml:3", "the optimizer has 1,001 param groups (limit 1,000"],
    ),
    "101 chained schedulers": (
        "total_step: 10\ncurves:\n  - scheduler:\n      name: ChainedScheduler\n      schedulers: ["
        + ",".join(["{name: ConstantLR, factor: 0.5, total_iters: 2}"] * 100) + "]\n",
        ["c.yaml:3", "the curve has 101 schedulers"],
    ),
    "5 swept curves of 50,000,000 steps": (
        "total_step: 50000000\nsweep: {scheduler.lr_lambda: ['1', '0.5', '0.25', '0.125', '2']}\n"
        "curves:\n  - scheduler: {name: LambdaLR, lr_lambda: '1'}\n",
        ["c.yaml:1", "the curves record 250,000,000 values", "summed over 5 curves", "limit 100,000,000"],
    ),
    "total_step 10 ** 30": (curve().replace("total_step: 10", "total_step: " + "1" + "0" * 30), ["c.yaml:1", "total_step is about 1.0e+30", "limit 9,007,199,254,740,992"]),
    "a grid of 101 panels": (
        "total_step: 10\nplot: {layout: grid}\nsweep: {scheduler.step_size: [" + ",".join(map(str, range(1, 102)))
        + "]}\ncurves:\n  - scheduler: {name: StepLR, step_size: 3}\n",
        ["c.yaml:2", "101 panels (limit 100; --force lifts it)"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", BOUNDS)
def test_bounds_are_checked_before_the_work(case: str, run) -> None:
    text, fragments = BOUNDS[case]
    refused(run({"c.yaml": text}, "plot", "c.yaml", "-o", "o.png"), *fragments)
    assert not Path("o.png").exists()


def test_force_lifts_a_liftable_bound_and_not_the_others(run) -> None:
    grid = BOUNDS["a grid of 101 panels"][0].replace("total_step: 10", "total_step: 2")
    assert run({"c.yaml": grid}, "plot", "c.yaml", "-o", "o.csv").exit_code == 0  # no figure: no panels
    refused(run({"c.yaml": grid}, "plot", "c.yaml", "-o", "o.png"), "panels")
    wide = BOUNDS["plot size 54 x 54 at 1200 dpi"][0]
    refused(run({"c.yaml": wide}, "plot", "c.yaml", "-o", "o.csv", "--force"), "pixels on a side")
    rounding = BOUNDS["round(1, -10 ** 9)"][0]
    refused(run({"c.yaml": rounding}, "plot", "c.yaml", "-o", "o.csv", "--force"), "round")


def test_a_log_above_the_byte_limit_is_refused_before_reading(run, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("lrplot.limits.MAX_LOG_BYTES", 64)
    log = "step,lr\n" + "".join(f"{i},0.1\n" for i in range(40))
    refused(run({"c.yaml": REF, "log.csv": log}, "plot", "c.yaml", "-o", "o.csv"),
            "c.yaml:4", "reference log log.csv", f"{len(log):,} bytes is too large (limit 64 bytes")  # fmt: skip
    forced = run({}, "plot", "c.yaml", "-o", "o.csv", "--force")
    assert forced.exit_code == 0, forced.output


# 4. One line, never a traceback --------------------------------------------------------------

TRACEBACKS = {
    "LightningCLI init_args that is a list": (
        "trainer: {max_steps: 10}\noptimizer: {class_path: torch.optim.SGD, init_args: [1, 2]}\n"
        "lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 3}}\n",
        ["c.yaml:2", "init_args must be a mapping of keywords"],
    ),
    "LightningCLI lr_scheduler without class_path": (
        "trainer: {max_steps: 10}\noptimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
        "lr_scheduler: {init_args: {step_size: 3}}\n",
        ["c.yaml:3", "lr_scheduler should be {class_path", "class_path is missing"],
    ),
    "a class_path that is a number": (
        "trainer: {max_steps: 10}\noptimizer: {class_path: 5}\n"
        "lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 3}}\n",
        ["c.yaml:2", "unknown optimizer '5'"],
    ),
    "plot.size negative": (CURVE.replace("curves:", "plot: {size: [-1, 5]}\ncurves:"), ["c.yaml:2", "plot.size"]),
    "plot.size infinite": (CURVE.replace("curves:", "plot: {size: [.inf, 5]}\ncurves:"), ["c.yaml:2", "finite"]),
    "plot.size NaN": (CURVE.replace("curves:", "plot: {size: [.nan, 5]}\ncurves:"), ["c.yaml:2", "finite"]),
    "plot.size zero": (CURVE.replace("curves:", "plot: {size: [0, 0]}\ncurves:"), ["c.yaml:2", ">= 1"]),
    "200 nested braces in $...$": (
        curve("    label: '$" + "{" * 200 + "x" + "}" * 200 + "$'\n"),
        ["c.yaml:4", "label: mathtext nested 100 levels deep (limit 20)"],  # {{ is a template's brace
    ),
    "100 nested square roots": (
        curve("    label: '$" + "\\sqrt{{" * 30 + "x" + "}}" * 30 + "$'\n"), ["c.yaml:4", "mathtext nested 30 levels"],
    ),
    "a broken mathtext label": (curve("    label: 'a $\\frac{$ b'\n"), ["c.yaml:4", "label", "not valid matplotlib mathtext"]),
    "an lr_lambda giving a complex number": (
        curve(scheduler="{name: LambdaLR, lr_lambda: '(-1.0) ** 0.5'}"), ["c.yaml:3", "complex number"],
    ),
    "a reference step of inf": ({"log.csv": "step,lr\n0,0.1\ninf,0.1\n"}, ["log.csv:3", "column 'step' is not a step"]),
    "a reference step of 1e300": ({"log.csv": "step,lr\n0,0.1\n1e300,0.1\n"}, ["log.csv:3", "is not a step"]),
    "a reference group that is a list": (
        curve("    reference: {csv: log.csv, group: [1]}\n"), ["c.yaml:4", "reference group should be"],
    ),
    "a reference field beyond the csv module's limit": ({"log.csv": "step,lr\n0," + "1" * 200_000 + "\n"}, ["not a readable CSV"]),
}  # fmt: skip


@pytest.mark.parametrize("case", TRACEBACKS)
def test_no_traceback_only_one_line(case: str, run) -> None:
    text, fragments = TRACEBACKS[case]
    files = (
        {"c.yaml": REF, "log.csv": LOG, **text}
        if isinstance(text, dict)
        else {"c.yaml": text, "log.csv": LOG}
    )
    refused(run(files, "plot", "c.yaml", "-o", "o.png"), *fragments)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--set", "label=\udcff"], "--set label=\\udcff"),
        (["--set", "plot.size=[1e308,1e308]"], "pixels on a side"),
        (
            ["--sweep", "scheduler.step_size=" + ",".join(map(str, range(1, 2002)))],
            "sweep makes 2,001 curves",
        ),
    ],
)
def test_command_line_values_fail_cleanly(args: list[str], fragment: str, run) -> None:
    message = refused(run({"c.yaml": CURVE}, "plot", "c.yaml", "-o", "o.png", *args), fragment)
    assert len(message) < 400


def test_lone_surrogates_in_data_from_any_reader_are_refused_with_their_key() -> None:
    from lrplot.config.validation import check_strings

    with pytest.raises(LrplotError, match=r"curves\[0\]\.label: text with a lone surrogate \(\\ud800\)"):
        check_strings({"curves": [{"label": "\ud800x"}]})
    with pytest.raises(LrplotError, match="a string of 10,001 characters"):
        check_strings({"title": "x" * 10_001})


def test_an_unexpected_exception_is_one_line_and_exit_2(run, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise ValueError("something deep inside\nwith a second line")

    monkeypatch.setattr("lrplot.engines.simulate", broken)
    refused(run({"c.yaml": CURVE}, "plot", "c.yaml", "-o", "o.csv"),
            "unexpected ValueError: something deep inside (a bug in lrplot")  # fmt: skip


def test_watch_reports_a_failing_save_and_goes_on(run, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from lrplot.commands.plot import PlotRequest, plot_once

    def broken(request):
        raise RecursionError("maximum recursion depth exceeded")

    Path("c.yaml").write_text(CURVE)
    monkeypatch.setattr("lrplot.commands.plot.run_plot", broken)
    read = plot_once(PlotRequest(configs=[Path("c.yaml")]), exit_on_error=False)
    assert read == []
    assert capsys.readouterr().err.startswith("lrplot: error: unexpected RecursionError")


# 5. Messages naming the real culprit; no leaked warnings -------------------------------------


def test_huge_and_zero_learning_rates_draw_with_a_note(run) -> None:
    text = ("total_step: 10\ncurves:\n  - {label: big, optimizer: {lr: 1.7e308}, scheduler: {name: StepLR, step_size: 3}}\n"
            "  - {label: zero, optimizer: {lr: 0}, scheduler: {name: StepLR, step_size: 3, gamma: 10}}\n")  # fmt: skip
    result = run({"c.yaml": text}, "plot", "c.yaml", "-o", "o.png", "-q")
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr and "title or label" not in result.stderr
    assert Path("o.png").stat().st_size > 0


@pytest.mark.parametrize("option", ["--rtol", "--atol"])
@pytest.mark.parametrize("value", ["nan", "-1"])
def test_check_tolerances_must_be_numbers_at_least_zero(option: str, value: str, run) -> None:
    result = run({"c.yaml": CURVE, "s.csv": "curve,group,step,lr\n"}, "check", "c.yaml", "--against", "s.csv",
                 option, value)  # fmt: skip
    refused(result, option)
    assert "Warning" not in result.stderr


@pytest.mark.parametrize("rtol", [".nan", ".inf", "-1", "'x'"])
def test_reference_rtol_must_be_finite(rtol: str, run) -> None:
    text = curve(f"    reference: {{csv: log.csv, rtol: {rtol}}}\n")
    refused(run({"c.yaml": text, "log.csv": LOG}, "plot", "c.yaml", "-o", "o.csv"),
            "c.yaml:4", "reference rtol should be a finite number >= 0")  # fmt: skip


def test_python_warnings_become_one_line_without_a_path(run, monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    import lrplot.engines

    real = lrplot.engines.simulate

    def noisy(*args, **kwargs):
        warnings.warn("overflow encountered in multiply", RuntimeWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr("lrplot.engines.simulate", noisy)
    result = run({"c.yaml": CURVE}, "plot", "c.yaml", "-o", "o.csv")  # -q leaves warnings out (test_quiet)
    assert result.exit_code == 0
    warned = [line for line in result.stderr.splitlines() if "overflow" in line]
    assert warned == ["lrplot: warning: overflow encountered in multiply"], result.stderr


# 6. Nothing created on disk when a run fails ------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        {"c.yaml": "total_step: 10\ncurves: []\n"},
        {"c.yaml": REF},  # its log is missing
        {"c.yaml": curve("    label: 'a $\\frac{$ b'\n")},  # fails while drawing
    ],
)
def test_out_dir_is_created_only_when_writing(files: dict[str, str], run) -> None:
    refused(run(files, "plot", "c.yaml", "--out-dir", "figures/new"), "c.yaml")
    assert not Path("figures").exists()
    assert run({"c.yaml": CURVE}, "plot", "c.yaml", "--out-dir", "figures/new").exit_code == 0
    assert Path("figures/new/c.png").exists()


def test_the_security_model_lists_every_bound_with_its_value() -> None:
    from lrplot.limits import BOUNDS
    from tests.conftest import ROOT

    rows = {
        cells[1].strip("` "): cells[2].strip()
        for line in (ROOT / "docs" / "security.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `MAX_") or line.startswith("| `MIN_") or line.startswith("| `MEMORY_")
        for cells in [line.split("|")]
    }
    for bound in BOUNDS:
        assert rows.get(bound.name) == bound.shown, f"docs/security.md: {bound.name} should be {bound.shown}"
    assert set(rows) == {bound.name for bound in BOUNDS}


def test_an_mmengine_base_file_is_read_under_the_policy(run, tmp_path: Path) -> None:
    """A ``_base_`` file is named by the config: confined like its logs, /proc never read."""
    elsewhere = tmp_path.parent / f"{tmp_path.name}-bases"
    elsewhere.mkdir()
    (elsewhere / "base.py").write_text("x = 1\n")
    config = f"_base_ = ['{elsewhere / 'base.py'}']\noptimizer = dict(type='SGD', lr=0.1)\n"
    refused(run({"configs/c.py": config}, "plot", "configs/c.py", "-o", "o.csv"),
            "configs/c.py:1", "_base_ file", "is outside the config's folder", "--allow-read")  # fmt: skip
    (tmp_path / "configs" / "env.py").symlink_to("/proc/self/environ")
    refused(
        run({"configs/d.py": "_base_ = ['env.py']\n"}, "plot", "configs/d.py", "-o", "o.csv"),
        "configs/d.py:1",
    )


def test_an_overflowing_lr_is_one_note_not_warnings_or_a_broken_figure(run) -> None:
    """1e308 then inf: drawn without it, summarised without numpy's overflow warning, not
    taken for a peak by the schedule checks."""
    text = "total_step: 10\ncurves:\n  - {optimizer: {lr: 1e308}, scheduler: {name: StepLR, step_size: 3, gamma: 10}}\n"
    result = run({"c.yaml": text}, "plot", "c.yaml", "-o", "o.png", "-o", "o.svg")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("lrplot: warning")]
    assert notes == ["lrplot: warning: curve 'StepLR': the lr is inf from step 3 (7 non-finite values); "
                     "the figure leaves them out, the CSV keeps them"]  # fmt: skip
