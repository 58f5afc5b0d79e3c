"""Coverage-guided fuzzing of the input surface with atheris (run by hand, it runs until stopped).

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/fuzz_config.py -max_total_time=600 -rss_limit_mb=4096 -timeout=30
    LRPLOT_FUZZ_SURFACE=python .venv/bin/python fuzz/fuzz_config.py ...   # one surface alone

The first input byte picks a surface (among those ``LRPLOT_FUZZ_SURFACE`` names, comma-separated;
all by default), the rest is the input:

- a config file (YAML, or TOML by its extension) through load → plan → simulate (short curves);
- a reference log and a metric log (CSV bytes) named by a fixed config, through plan;
- the file-reading policy: a file of a kind the input picks (regular, directory, FIFO,
  symlink to /proc or /dev, outside the allowed folders, over the byte limit), read confined;
- bounds: a config built from the input's numbers (sweep sizes, curves, param groups,
  figure size and dpi, total_step), which must be refused or stay within every bound;
- an expression with integer-heavy operators, evaluated at a step the input picks;
- ``python``: a Python config read as data (OpenMMLab- and nanoGPT-shaped programs from
  tests/fuzz_inputs.py, with the shapes that hung the reader, and the raw bytes as a ``.py``);
- ``omegaconf``: an OmegaConf/Hydra document with interpolations and resolvers, ``oc.env``
  allowed or not, of a variable holding a canary that no message may show;
- ``json``: DeepSpeed JSON with hostile numbers, and the raw bytes as a ``.json`` config;
- ``toml``: torchtitan TOML with hostile numbers, and the raw bytes as a ``.toml`` config;
- ``terminal``: labels, group names and titles of control and bidirectional characters
  through the summary table and the terminal chart, which must show none raw.

Anything but success or lrplot's own one-line error (or a content canary in a message, or
an integer beyond the bound, or a hang past ``-timeout``) is a crash. tests/test_fuzz*.py
cover the same ground with hypothesis in every test run.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["lrplot", "yaml"]):
    # The readers, formats and renderers are imported lazily by lrplot.load: import them here,
    # inside the instrumented block, or their branches give the fuzzer no coverage to follow.
    import importlib
    import pkgutil

    import yaml

    import lrplot
    import lrplot.config
    import lrplot.engines
    import lrplot.expressions
    import lrplot.formats
    import lrplot.limits
    import lrplot.overrides
    import lrplot.plan
    import lrplot.read.files
    import lrplot.read.logs
    from lrplot.errors import ExpressionError, LrplotError

    for _module in pkgutil.walk_packages(lrplot.__path__, "lrplot."):
        if not _module.name.startswith(("lrplot.commands", "lrplot.__main__")):
            importlib.import_module(_module.name)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import fuzz_inputs as inputs  # the generators the hypothesis tests use

FOLDER = Path(tempfile.mkdtemp(prefix="lrplot-fuzz-"))
os.environ[inputs.SECRET_ENV] = inputs.SECRET
OUTSIDE = Path(tempfile.mkdtemp(prefix="lrplot-fuzz-outside-"))
MAX_STEPS = 2_000
CANARY = "canary=" + "5e1f" * 10


def _config(data: bytes, suffix: str) -> None:
    path = FOLDER / f"c{suffix}"
    path.write_bytes(data)
    config = lrplot.load(path)
    if sum(curve.total_step for curve in config.curves) <= MAX_STEPS:
        lrplot.simulate(config, workers=1)


def _logs(data: bytes) -> None:
    (FOLDER / "log.csv").write_bytes(data + CANARY.encode())
    for text in (
        "total_step: 20\ncurves:\n  - scheduler: {name: StepLR, step_size: 3}\n    reference: log.csv\n",
        "total_step: 20\ncurves:\n  - scheduler: {name: ReduceLROnPlateau}\n"
        "    metric: {csv: log.csv, column: loss}\n",
    ):
        try:
            lrplot.plan.plan(lrplot.loads(text, base_dir=FOLDER, name="c.yaml"))
        except LrplotError as error:
            assert CANARY not in str(error), str(error)


def _reading(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    kind = provider.ConsumeIntInRange(0, 6)
    limit = provider.ConsumeIntInRange(0, 4096)
    content = provider.ConsumeBytes(4096) + CANARY.encode()
    for entry in FOLDER.iterdir():
        if entry.is_symlink() or not entry.is_dir():
            entry.unlink()
    names = {0: "r.csv", 1: ".", 2: "p.csv", 3: "l.csv", 4: "z.csv", 5: str(OUTSIDE / "o.csv"), 6: "../x.csv"}
    if kind == 0:
        (FOLDER / "r.csv").write_bytes(content)
    elif kind == 2:
        os.mkfifo(FOLDER / "p.csv")
    elif kind == 3:
        (FOLDER / "l.csv").symlink_to("/proc/self/environ")
    elif kind == 4:
        (FOLDER / "z.csv").symlink_to("/dev/zero")
    elif kind == 5:
        (OUTSIDE / "o.csv").write_bytes(content)
    cwd = os.getcwd()
    os.chdir(FOLDER)
    try:
        with lrplot.read.files.confining_reads():
            got = lrplot.read.files.read_bytes(names[kind], what="log", limit=limit, config_dir=FOLDER)
        assert kind == 0 and got == content and len(content) <= limit
    except LrplotError as error:
        assert CANARY not in str(error) and "\n" not in str(error)
        assert kind != 0 or len(content) > limit
    finally:
        os.chdir(cwd)


def _bounds(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    sweep = {
        f"scheduler.k{i}": list(range(provider.ConsumeIntInRange(1, 60)))
        for i in range(provider.ConsumeIntInRange(0, 6))
    }
    document = {
        "total_step": provider.ConsumeIntInRange(1, 10**12),
        "plot": {"size": [provider.ConsumeRegularFloat(), provider.ConsumeRegularFloat()],
                 "dpi": provider.ConsumeIntInRange(1, 1200)},
        "curves": [
            {"label": f"c{i}", "scheduler": {"name": "StepLR", "step_size": 1},
             "optimizer": {"param_groups": [{"lr": 0.1}] * provider.ConsumeIntInRange(1, 3)}}
            for i in range(provider.ConsumeIntInRange(1, 50))
        ],
    }  # fmt: skip
    if sweep:
        document["sweep"] = sweep
    config = lrplot.loads(yaml.safe_dump(document))
    limits = lrplot.limits
    assert len(config.curves) <= limits.MAX_CURVES
    values = sum(curve.total_step * len(curve.optimizer.param_groups or [{}]) for curve in config.curves)
    assert values <= limits.MAX_VALUES
    width, height = (side * config.plot.dpi for side in config.plot.size)
    assert (
        max(width, height) <= limits.MAX_FIGURE_SIDE + 1
        and width * height <= limits.MAX_FIGURE_PIXELS * 1.001
    )


def _expression(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    step = provider.ConsumeIntInRange(0, 10**9)
    source = provider.ConsumeUnicodeNoSurrogates(300)
    try:
        value = lrplot.expressions.compile_expression(source, ("step",))(step)
    except (ExpressionError, ArithmeticError, ValueError, TypeError):
        return
    if isinstance(value, int):
        assert value.bit_length() <= lrplot.limits.MAX_INT_BITS + 400, source


class ProviderPick:
    """A :class:`tests.fuzz_inputs.Pick` over atheris's FuzzedDataProvider."""

    def __init__(self, data: bytes) -> None:
        self.provider = atheris.FuzzedDataProvider(data)

    def index(self, count: int) -> int:
        return self.provider.ConsumeIntInRange(0, count - 1)

    def integer(self, low: int, high: int) -> int:
        return self.provider.ConsumeIntInRange(low, high)

    def text(self, size: int) -> str:
        return self.provider.ConsumeUnicode(size)


def _file(text: str, name: str, **options: object) -> None:
    """Load a generated file; simulate and tabulate it when short (no canary, nothing raw)."""
    from lrplot.render.table import table

    path = FOLDER / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    config = lrplot.load(path, **options)
    if sum(curve.total_step for curve in config.curves) <= MAX_STEPS:
        shown = table(lrplot.simulate(config, workers=1))
        assert inputs.SECRET not in shown and not inputs.UNSAFE.search(shown), shown


def _python(data: bytes) -> None:
    if data[:1] == b"\0":  # the raw bytes as a config
        _config(data[1:], ".py")
        return
    pick = ProviderPick(data)
    kind = "mmengine" if pick.index(2) else "nanogpt"
    name = "c.py" if kind == "mmengine" else "train.py"
    text = inputs.python_config(pick, kind)
    inputs.outcome(lambda: _file(text, name, steps_per_epoch=3))


def _omegaconf(data: bytes) -> None:
    pick = ProviderPick(data)
    allowed = ([], ["oc.env"], ["oc"])[pick.index(3)]
    text = inputs.omegaconf_config(pick)
    inputs.outcome(lambda: _file(text, "config.yaml", allow_imports=allowed, steps_per_epoch=3))


def _json(data: bytes) -> None:
    if data[:1] == b"\0":
        _config(data[1:], ".json")
        return
    pick = ProviderPick(data)
    sets = (["lrplot.total_step=50"],) if pick.index(2) else ((),)
    text = inputs.deepspeed_config(pick)
    inputs.outcome(lambda: _file(text, "ds_config.json", sets=sets[0]))


def _toml(data: bytes) -> None:
    if data[:1] == b"\0":
        _config(data[1:], ".toml")
        return
    pick = ProviderPick(data)
    inputs.outcome(lambda: _file(inputs.torchtitan_config(pick), "train.toml"))


def _terminal(data: bytes) -> None:
    import numpy as np

    from lrplot.render.table import table
    from lrplot.render.terminal import terminal_chart
    from lrplot.result import CurveResult, GroupTrace, Result

    pick = ProviderPick(data)
    label, group, title = (inputs.hostile_text(pick) for _ in range(3))
    traces = [GroupTrace(group, np.linspace(1.0, 0.1, 50)), GroupTrace("0", np.linspace(0.5, 0.2, 50))]
    result = Result([CurveResult(label, 50, "StepLR", "SGD", traces)], title=title)
    chart = terminal_chart(result, pick.integer(30, 200), pick.integer(12, 40), colour=False)
    for text in (table(result, title=title, width=pick.integer(1, 300)), chart):
        assert not inputs.UNSAFE.search(text), repr(text[:300])


NAMED_SURFACES = {
    "yaml": lambda data: _config(data, ".yaml"),
    "toml_bytes": lambda data: _config(data, ".toml"),
    "logs": _logs,
    "reading": _reading,
    "bounds": _bounds,
    "expression": _expression,
    "python": _python,
    "omegaconf": _omegaconf,
    "json": _json,
    "toml": _toml,
    "terminal": _terminal,
}
_CHOSEN = [name.strip() for name in os.environ.get("LRPLOT_FUZZ_SURFACE", "").split(",") if name.strip()]
SURFACES = tuple(NAMED_SURFACES[name] for name in (_CHOSEN or NAMED_SURFACES))


def one_input(data: bytes) -> None:
    if not data:
        return
    try:
        SURFACES[data[0] % len(SURFACES)](data[1:])
    except LrplotError as error:
        assert "\n" not in str(error), str(error)
        assert inputs.SECRET not in str(error), str(error)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
