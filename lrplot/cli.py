"""The ``lrplot`` command: parse options, call the Python API, map errors to exit codes.

Nothing else lives here. Exit codes: 0 ok, 1 a check found a difference, 2 a bad config
or usage. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from lrplot.errors import LrplotError

EXIT_OK = 0
EXIT_DIFFERENCE = 1
EXIT_USAGE = 2

app = typer.Typer(
    name="lrplot",
    help=(
        "Plot exactly what torch.optim.lr_scheduler does: YAML optimizer + scheduler pairs "
        "are simulated with real torch objects and drawn or written as data."
    ),
    epilog="Exit status: 0 ok, 1 a check found a difference, 2 bad config or usage.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _fail(error: LrplotError) -> NoReturn:
    typer.echo(f"lrplot: error: {error}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _version(value: bool) -> None:
    if value:
        from lrplot import __version__

        typer.echo(f"lrplot {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Plot exactly what torch.optim.lr_scheduler does to your learning rate."""


@app.command()
def plot(
    config: Annotated[
        Path,
        typer.Argument(
            help="YAML config describing the curves (see the README's reference).", show_default=False
        ),
    ],
    output: Annotated[
        list[Path] | None,
        typer.Option(
            "--output",
            "-o",
            help="Output file; the format follows the extension: .png .svg .pdf .csv. "
            "Repeat for several. Default: <config stem>.png in the current folder.",
            show_default=False,
        ),
    ] = None,
    allow_import: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-import",
            help="Let the config name classes from this module prefix (beyond torch.optim). "
            "Repeatable; also LRPLOT_ALLOW_IMPORT=a,b.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Simulate a config's curves with real torch schedulers and write figures and/or CSV."""
    from lrplot.build import skip_dynamo_import
    from lrplot.config import load
    from lrplot.output import check_outputs, write_outputs
    from lrplot.simulation import simulate

    outputs = list(output) if output else [Path(f"{config.stem}.png")]
    try:
        check_outputs(outputs, inputs=[config])
        skip_dynamo_import()
        result = simulate(load(config), allow_imports=allow_import or ())
        with warnings.catch_warnings(record=True) as drawing_warnings:
            warnings.simplefilter("always")
            write_outputs(result, outputs)
    except LrplotError as error:
        _fail(error)
    notes = [*result.warnings, *dict.fromkeys(f"figure: {w.message}" for w in drawing_warnings)]
    for note in notes:
        typer.echo(f"lrplot: warning: {note}", err=True)
    if not quiet:
        steps = sum(curve.total_step for curve in result.curves)
        written = ", ".join(str(path) for path in outputs)
        typer.echo(f"lrplot: {len(result.curves)} curve(s), {steps:,} steps -> {written}", err=True)


def main() -> None:
    """Console entry point; Ctrl-C ends quietly with the conventional status 130."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("lrplot: interrupted", err=True)
        sys.exit(130)
