"""Start-up shortcuts of the command line (issue 18) change no output.

The command line imports matplotlib without its property docs
(:mod:`lrplot.render.startup`) and prints the summary as plain text: the figures must be
the same bytes as the Python API draws with matplotlib imported the usual way, and the
table must keep its columns on any terminal width.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplot
from lrplot.render.table import _fold, _width, table

ROOT = Path(__file__).resolve().parent.parent

# Linear and log axes, a ×10⁻⁴ multiplier, momentum panels, a warmup inset, schedule marks.
CONFIGS = [
    "configs/cosine_annealing.yaml",
    "configs/llm_warmup_cosine.yaml",
    "configs/schedulers/one_cycle_lr.yaml",
    "configs/schedulers/cyclic_lr.yaml",
]

DRAW = """
import hashlib, io, json, sys
quick = sys.argv[1] == "quick"
if quick:
    from lrplot.render.startup import import_matplotlib_quickly
    assert import_matplotlib_quickly()
import lrplot
from lrplot.render.figure import figure, save_figure
digests = {}
for config in sys.argv[2:]:
    result = lrplot.simulate(lrplot.load(config))
    for fmt in ("png", "svg", "pdf"):
        stream = io.BytesIO()
        save_figure(figure(result), stream, fmt)
        digests[f"{config}.{fmt}"] = hashlib.sha256(stream.getvalue()).hexdigest()
import matplotlib.lines
digests["documented"] = "Supported properties" in (matplotlib.lines.Line2D.set.__doc__ or "")
print(json.dumps(digests))
"""


def _draw(mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", DRAW, mode, *(str(ROOT / c) for c in CONFIGS)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_figures_are_the_same_bytes_without_matplotlibs_property_docs() -> None:
    usual, quick = _draw("usual"), _draw("quick")
    assert usual.pop("documented") is True
    assert quick.pop("documented") is False  # the shortcut really ran
    assert quick == usual


def _python(code: str) -> str:
    """Run ``code`` in a fresh interpreter; its standard output."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_hooks_are_restored_for_classes_defined_later() -> None:
    code = (
        "from lrplot.render.startup import import_matplotlib_quickly\n"
        "assert import_matplotlib_quickly()\n"
        "import matplotlib.artist as artist\n"
        "class Later(artist.Artist):\n"
        "    def set_size(self, value):\n"
        "        '''Set the size.'''\n"
        "print('Supported properties' in Later.set.__doc__, 'size' in str(__import__('inspect').signature(Later.set)))\n"
        "assert not import_matplotlib_quickly()  # already imported: nothing to do\n"
    )
    assert _python(code).split() == ["True", "True"]


def test_the_command_line_takes_the_shortcut_and_draws_the_same_figure(tmp_path: Path) -> None:
    config = ROOT / "configs/llm_warmup_cosine.yaml"
    lrplot.write(lrplot.simulate(lrplot.load(config)), tmp_path / "api.png")
    code = (
        "import sys, matplotlib.lines\n"
        "from lrplot.commands.app import main\n"
        f"sys.argv = ['lrplot', 'plot', {str(config)!r}, '-o', {str(tmp_path / 'cli.png')!r}, '-q']\n"
        "try:\n    main()\nexcept SystemExit as end:\n    assert not end.code, end.code\n"
    )
    _python(code)  # matplotlib already imported by the caller: the shortcut steps aside
    assert (tmp_path / "cli.png").read_bytes() == (tmp_path / "api.png").read_bytes()
    code = (
        "import sys\n"
        "from lrplot.commands.app import main\n"
        f"sys.argv = ['lrplot', 'plot', {str(config)!r}, '-o', {str(tmp_path / 'cli2.png')!r}, '-q']\n"
        "try:\n    main()\nexcept SystemExit as end:\n    assert not end.code, end.code\n"
        "import matplotlib.lines\n"
        "print('Supported properties' in (matplotlib.lines.Line2D.set.__doc__ or ''))\n"
    )
    assert _python(code).split() == ["False"]  # the command line skipped the docs
    assert (tmp_path / "cli2.png").read_bytes() == (tmp_path / "api.png").read_bytes()


# The summary table.


@pytest.fixture(scope="module")
def two_curves() -> object:
    text = """
    total_step: 50
    defaults: {optimizer: {name: SGD, lr: 0.1}}
    curves:
      - label: a rather long label that names every choice made for this particular curve
        scheduler: {name: StepLR, step_size: 10}
      - label: 短い
        scheduler: {name: CosineAnnealingLR, T_max: 50}
    """
    import textwrap

    return lrplot.simulate(lrplot.loads(textwrap.dedent(text)))


def test_table_keeps_numbers_in_columns_and_folds_long_labels(two_curves) -> None:
    wide = table(two_curves, title="run.yaml", width=200).splitlines()
    assert wide[0] == "run.yaml"
    assert wide[1].split() == [
        "curve",
        "first",
        "peak",
        "at",
        "step",
        "min",
        "final",
        "mean",
        "<10%",
        "peak",
        "at",
        "engine",
    ]
    assert len(wide) == 4  # title, header, two rows: nothing folded
    narrow = table(two_curves, width=90).splitlines()
    assert len(narrow) > 3  # the long label folded onto more lines
    assert all(_width(line) <= 90 for line in narrow)
    ends = {_width(line) for line in narrow if line.endswith(("fast", "torch", "no-torch"))}
    assert len(ends) == 1  # every row's last column ends at the same place
    first = next(i for i, line in enumerate(narrow) if line.startswith("a rather"))
    last = next(i for i, line in enumerate(narrow) if line.startswith("短い"))
    folded = " ".join(line.split("  ")[0].strip() for line in narrow[first:last])
    assert folded == "a rather long label that names every choice made for this particular curve"
    assert narrow[0].split()[0] == "curve" and "peak" in narrow[0] and "step" in "".join(narrow[1:first])


def test_table_bold_header_only_when_asked(two_curves) -> None:
    assert "\x1b[" not in table(two_curves)
    header = table(two_curves, bold=True).splitlines()[0]
    assert header.startswith("\x1b[1mcurve") and header.endswith("\x1b[0m")


def test_table_wide_characters_count_two_columns(two_curves) -> None:
    rows = table(two_curves, width=200).splitlines()
    cjk = next(line for line in rows if line.startswith("短い"))
    latin = next(line for line in rows if line.startswith("a rather"))
    assert _width(cjk) == _width(latin)


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Mn", "Me", "Cf"))),
    st.integers(2, 40),
)
def test_fold_fits_the_width_and_loses_only_the_spaces_it_cut_at(text: str, width: int) -> None:
    pieces = _fold(text, width)
    assert all(_width(piece) <= width for piece in pieces)
    joined = "".join(pieces)
    assert joined.replace(" ", "") == text.replace(" ", "")
    assert len(text) - len(joined) <= len(pieces) - 1  # at most one space dropped per cut


def test_a_linear_axis_needs_no_mathtext_and_writes_its_multiplier_in_unicode(monkeypatch) -> None:
    import io
    import textwrap

    import matplotlib.mathtext

    from lrplot.render.figure import figure, save_figure

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("mathtext parsed")

    monkeypatch.setattr(matplotlib.mathtext.MathTextParser, "parse", refuse)
    text = """
    total_step: 300
    curves:
      - optimizer: {name: AdamW, lr: 3.0e-4}
        scheduler:
          name: SequentialLR
          milestones: [10]
          schedulers:
            - {name: LinearLR, start_factor: 0.01, total_iters: 10}
            - {name: CosineAnnealingLR, T_max: 290}
    """
    fig = figure(lrplot.simulate(lrplot.loads(textwrap.dedent(text))))
    save_figure(fig, io.BytesIO(), "png")  # main axes and warmup inset, no mathtext
    offsets = [ax.yaxis.get_offset_text().get_text() for ax in fig.axes]
    assert offsets and all(text == "×10⁻⁴" for text in offsets), offsets


@pytest.mark.parametrize(
    ("scheduler", "expected"),
    [
        ("{name: ExponentialLR, gamma: 0.9}", {"10⁻¹", "10⁻³", "10⁻⁵"}),  # decades
        ("{name: LinearLR, start_factor: 0.4, total_iters: 50}", {"2×10⁻²", "4×10⁻²", "6×10⁻²"}),  # minor
    ],
)
def test_a_log_axis_needs_no_mathtext_and_labels_as_matplotlib_would(
    monkeypatch, scheduler, expected
) -> None:
    import io
    import textwrap

    import matplotlib.mathtext

    from lrplot.render.figure import figure, save_figure

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("mathtext parsed")

    monkeypatch.setattr(matplotlib.mathtext.MathTextParser, "parse", refuse)
    text = f"""
    total_step: 100
    plot: {{yscale: log}}
    curves:
      - optimizer: {{name: SGD, lr: 0.1}}
        scheduler: {scheduler}
    """
    fig = figure(lrplot.simulate(lrplot.loads(textwrap.dedent(text))))
    save_figure(fig, io.BytesIO(), "png")
    axis = fig.axes[0].yaxis
    labels = {
        t.get_text() for t in [*axis.get_majorticklabels(), *axis.get_minorticklabels()] if t.get_text()
    }
    assert expected <= labels, labels
    assert not any("$" in label for label in labels)


_MODULES_AT_EXIT = (
    "import atexit, gc, json, os, runpy, sys\n"
    "def report():\n"
    "    from lrplot.plan import releases  # imported by the command (here: none of it before it)\n"
    "    watched = ('matplotlib.pyplot', 'matplotlib', 'torch', 'rich', 'typer._adapters', *CUT)\n"
    "    print(json.dumps({'modules': [m for m in watched if m in sys.modules],\n"
    "                      'parsed': releases._parsed.cache_info().currsize,\n"
    "                      'threshold': gc.get_threshold()[0],\n"
    "                      'blas': os.environ.get('OPENBLAS_NUM_THREADS'),\n"
    "                      'threads': len(os.listdir('/proc/self/task')) if os.path.isdir('/proc/self/task') else None,\n"
    "                      }), file=sys.stderr)\n"
    "atexit.register(report)\n"
    "sys.argv = ['lrplot', *sys.argv[1:]]; runpy.run_module('lrplot', run_name='__main__')\n"
)
# What an lrplot-format config never needs (issue 31): Hydra's composition helpers, and the
# pydantic plugin a third-party package registers (_plugin_site installs one).
_CUT = ("lrplot.formats.hydra_compose", "lrplot.formats.hydra_missing", "probe_plugin")
_MODULES_AT_EXIT = _MODULES_AT_EXIT.replace("*CUT", ", ".join(map(repr, _CUT)))


def _plugin_site(tmp_path: Path) -> Path:
    """A folder holding a fake distribution that registers a pydantic plugin recording each model."""
    site = tmp_path / "site"
    info = site / "probe_plugin-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: probe-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nprobe = probe_plugin:plugin\n")
    (site / "probe_plugin.py").write_text(
        "seen = []\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, schema, schema_type, path, kind, config, settings):\n"
        "        seen.append(path.name)\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n"
    )
    return site


def _modules_at_exit(tmp_path: Path, *args: str, blas: str | None = None) -> dict:
    """The watched modules in sys.modules at exit of a second ``lrplot ARGS`` (CONFIG: a literal config)."""
    config = tmp_path / "c.yaml"
    config.write_text("total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 100}\n")
    site = _plugin_site(tmp_path)  # a third-party pydantic plugin installed beside lrplot
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    env["LRPLOT_CACHE_DIR"] = str(tmp_path / "cache")
    env.pop("MPLBACKEND", None)
    env.pop("OPENBLAS_NUM_THREADS", None)
    if blas is not None:
        env["OPENBLAS_NUM_THREADS"] = blas  # no backend chosen: pyplot would pick one; lrplot needs none
    runs = [
        subprocess.run(
            [sys.executable, "-c", _MODULES_AT_EXIT, *[a.replace("CONFIG", str(config)) for a in args]],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=300,
        )
        for _ in range(2)  # the first run fills the sources cache
    ]
    assert runs[-1].returncode == 0, runs[-1].stderr
    return json.loads(runs[-1].stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_plot_draws_without_pyplot_or_torch(tmp_path: Path, suffix: str) -> None:
    seen = _modules_at_exit(tmp_path, "plot", "CONFIG", "-o", f"a.{suffix}", "-q")
    assert "matplotlib" in seen["modules"]  # it did draw
    assert not {"matplotlib.pyplot", "torch", "rich", *_CUT} & set(seen["modules"])
    assert (tmp_path / f"a.{suffix}").stat().st_size > 1000


def test_validate_imports_no_matplotlib_and_reads_torchs_sources_from_the_cache(tmp_path: Path) -> None:
    """validate: no matplotlib, torch, rich or Typer's pydantic adapters; torch's scheduler
    sources parsed on the first run only; the collector's threshold raised for the command."""
    from lrplot.commands.collector import COLLECTOR_THRESHOLDS

    seen = _modules_at_exit(tmp_path, "validate", "CONFIG", "-q")
    assert seen["modules"] == []
    assert seen["parsed"] == 0
    assert seen["threshold"] == COLLECTOR_THRESHOLDS[0]


# lrplot's own pydantic models are built without third-party validation plugins (lrplot.own_models).

_PROBE = """
import json, os, runpy, sys
command = sys.argv[1:]
if command:  # the command line, then the report at exit
    import atexit
    def report():
        print(json.dumps({"loaded": "probe_plugin" in sys.modules,
                          "variable": os.environ.get("PYDANTIC_DISABLE_PLUGINS")}), file=sys.stderr)
    atexit.register(report)
    sys.argv = ["lrplot", *command]
    runpy.run_module("lrplot", run_name="__main__")
import lrplot
config = lrplot.load(os.environ["PROBE_CONFIG"])
lrplot.simulate(config)
problems = lrplot.validate(os.environ["PROBE_CONFIG"])
loaded = "probe_plugin" in sys.modules
variable = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
from pydantic import BaseModel
class UserModel(BaseModel):
    x: int
UserModel(x=1)
import probe_plugin
print(json.dumps({"problems": len(problems), "loaded": loaded, "variable": variable, "seen": probe_plugin.seen}))
"""


def _probe(tmp_path: Path, *command: str, variable: str | None = None) -> dict:
    """Run lrplot (the API, or ``command``) beside a fake pydantic plugin that records each model it sees."""
    site = _plugin_site(tmp_path)
    config = tmp_path / "c.yaml"
    config.write_text("total_step: 100\ncurves:\n  - scheduler: {name: CosineAnnealingLR, T_max: 100}\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)]), "PROBE_CONFIG": str(config)}
    env["LRPLOT_CACHE_DIR"] = str(tmp_path / "cache")
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    if variable is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = variable
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *command], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((done.stdout if not command else done.stderr).strip().splitlines()[-1])


def test_lrplots_models_skip_pydantic_plugins_and_a_users_model_still_gets_them(tmp_path: Path) -> None:
    seen = _probe(tmp_path)
    assert seen["problems"] == 0
    assert seen["loaded"] is False  # load, simulate, validate: the plugin was never even imported
    assert seen["variable"] is None  # the environment is as it was
    assert seen["seen"] == ["UserModel"]  # the user's model, built afterwards, gets the plugin


def test_a_users_own_plugin_setting_is_put_back(tmp_path: Path) -> None:
    seen = _probe(tmp_path, variable="some_other_plugin")
    assert seen["variable"] == "some_other_plugin"
    assert seen["seen"] == ["UserModel"]  # only the named plugin is disabled, as pydantic reads it


def test_the_validate_command_loads_no_pydantic_plugin(tmp_path: Path) -> None:
    seen = _probe(tmp_path, "validate", str(tmp_path / "c.yaml"), "-q")
    assert seen == {"loaded": False, "variable": None}


def test_the_command_starts_no_blas_threads_and_keeps_a_users_choice(tmp_path: Path) -> None:
    seen = _modules_at_exit(tmp_path, "validate", "CONFIG", "-q")
    assert seen["blas"] == "1"
    if seen["threads"] is not None:
        assert seen["threads"] == 1  # numpy imported, and no OpenBLAS worker thread started
    assert _modules_at_exit(tmp_path, "validate", "CONFIG", "-q", blas="2")["blas"] == "2"


def test_the_entry_point_draws_the_same_bytes_as_the_api(tmp_path: Path) -> None:
    """``python -m lrplot`` (one BLAS thread, quiet collector, matplotlib's shortcut) against
    this process (numpy as the test runner imported it)."""
    for config in ("configs/schedulers/one_cycle_lr.yaml", "configs/llm_warmup_cosine.yaml"):
        lrplot.write(lrplot.simulate(lrplot.load(ROOT / config)), tmp_path / "api.png")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LRPLOT_CACHE_DIR": str(tmp_path / "cache")}
        env.pop("OPENBLAS_NUM_THREADS", None)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "lrplot",
                "plot",
                str(ROOT / config),
                "-o",
                str(tmp_path / "cli.png"),
                "-q",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert (tmp_path / "cli.png").read_bytes() == (tmp_path / "api.png").read_bytes(), config
