"""What a bare command on lrplot's stack pays, beside issue 31's short rows.

    python benchmarks/dependency_floor.py validate literal.yaml
    python benchmarks/dependency_floor.py plot literal.yaml -o floor.png

Not lrplot: a two-command Typer app that imports what lrplot's ``validate`` and ``plot``
cannot do without, uses each once, and nothing more.

- typer builds the app and parses the options;
- pyyaml reads the file and one strict pydantic model with two fields validates it (lrplot's
  config contract is pydantic's; the model is built with plugins disabled, as lrplot's are);
- numpy computes 100 cosine values (lrplot's traces and checks are numpy arrays);
- ``plot`` also draws them as one line on a matplotlib ``Figure`` with the Agg canvas and saves
  a PNG of lrplot's default size (no pyplot, no legend, labels or grid).

It starts as lrplot's entry point does (garbage collector quiet, one OpenBLAS thread). For
``validate`` it is a floor: the difference between lrplot's command and this one is lrplot's own
work (its ~100 modules, its models, the plan, the engine, the linter). ``plot`` imports
matplotlib as a plain script does, with its artist docstrings generated; lrplot skips that
(lrplot/render/startup.py), so its plot runs below this one, which is the matplotlib-only
comparator the issue names rather than a floor. run_issue31.py runs both beside the rows they
stand by. Never run by the tests.
"""

from __future__ import annotations

import gc
import os

gc.disable()
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"

from pathlib import Path  # noqa: E402
from typing import Annotated  # noqa: E402

import numpy as np  # noqa: E402
import typer  # noqa: E402
import yaml  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field  # noqa: E402

app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)


class Config(BaseModel):
    """The two keys of the literal config, strictly typed as lrplot's own models are."""

    model_config = ConfigDict(strict=True, extra="forbid")
    total_step: int = Field(gt=0)
    curves: list[dict] = Field(min_length=1)


def cosine(path: Path) -> np.ndarray:
    config = Config.model_validate(yaml.safe_load(path.read_text()))
    steps = np.arange(config.total_step, dtype=np.float64)
    return 0.05 * (1 + np.cos(np.pi * steps / config.total_step))


@app.command()
def validate(config: Path) -> None:
    """Read, validate and compute the curve."""
    cosine(config)
    print(f"{config}: ok")


@app.command()
def plot(config: Path, output: Annotated[Path, typer.Option("-o")] = Path("floor.png")) -> None:
    """The same, drawn as one line and saved as a PNG."""
    values = cosine(config)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(figure)
    figure.add_subplot().plot(values)
    figure.savefig(output)
    print(f"wrote {output}")


if __name__ == "__main__":
    app()
