"""The ``lrplot`` command: parse options, call the Python API, map errors to exit codes.

Nothing else lives here. Exit codes: 0 ok, 1 a check found a difference, 2 a bad config
or usage. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lrplot.commands.errors import EXIT_OK, fail, interruptible
from lrplot.commands.options import (
    AllowImportOption,
    AllowReadOption,
    ConfigsArgument,
    DatasetSizeOption,
    EngineOption,
    ForceOption,
    FormatOption,
    HydraOverrideOption,
    IgnoreOption,
    JsonOption,
    OutDirOption,
    OutputOption,
    PlotAllowImportOption,
    PlotSetOption,
    PlotSweepOption,
    QuietOption,
    ReferenceOption,
    SelectOption,
    SetOption,
    StepsPerEpochOption,
    StrictOption,
    SweepOption,
    TermOption,
    WatchOption,
    WorkersOption,
    WorldSizeOption,
    XlimOption,
    finite_tolerance,
    reference_files,
    reference_sets,
    xlim_sets,
)
from lrplot.commands.plot import PlotRequest, plot_once
from lrplot.commands.usage import OneLineErrors
from lrplot.errors import LrplotError

if TYPE_CHECKING:
    pass


app = typer.Typer(
    name="lrplot",
    help=(
        "Plot exactly what torch.optim.lr_scheduler does: YAML optimizer + scheduler pairs "
        "are simulated with real torch objects and drawn or written as data."
    ),
    epilog="Exit status: 0 ok, 1 a check found a difference, 2 bad config or usage. "
    "Start with: lrplot init && lrplot plot lrplot.yaml",
    no_args_is_help=True,
    cls=OneLineErrors,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


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
    configs: ConfigsArgument,
    output: OutputOption = None,
    out_dir: OutDirOption = None,
    formats: FormatOption = None,
    set_values: PlotSetOption = None,
    sweep: PlotSweepOption = None,
    allow_import: PlotAllowImportOption = None,
    quiet: QuietOption = False,
    json_output: JsonOption = False,
    select: SelectOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    dataset_size: DatasetSizeOption = None,
    world_size: WorldSizeOption = None,
    hydra_override: HydraOverrideOption = None,
    reference: ReferenceOption = None,
    allow_read: AllowReadOption = None,
    force: ForceOption = False,
    engine: EngineOption = "auto",
    watch: WatchOption = False,
    workers: WorkersOption = None,
    term: TermOption = False,
    xlim: XlimOption = None,
    strict: StrictOption = False,
    ignore: IgnoreOption = None,
) -> None:
    """Simulate configs with real torch schedulers; write figures and/or CSV and print a summary."""
    request = PlotRequest(
        configs=configs,
        outputs=output or [],
        out_dir=out_dir,
        formats=formats or [],
        sets=[*(set_values or ()), *reference_sets(reference), *xlim_sets(xlim)],
        sweeps=sweep or [],
        select=select,
        steps_per_epoch=steps_per_epoch,
        dataset_size=dataset_size,
        world_size=world_size,
        hydra_overrides=hydra_override or [],
        allow_import=allow_import or [],
        allow_read=allow_read or [],
        read_files=reference_files(reference),
        quiet=quiet,
        json_output=json_output,
        force=force,
        workers=workers,
        engine=engine.lower(),
        term=term,
        strict=strict,
        ignore=ignore or [],
    )
    if output and Path("-") in output and (json_output or term):
        other = "--json" if json_output else "--term"
        fail(LrplotError(f"-o - writes the CSV to standard output, where {other} would go too; choose one"))
    if watch:
        from lrplot.commands.watch import watch as watch_files

        watch_files(configs, lambda: plot_once(request, exit_on_error=False, clear_screen=True))
        return
    with interruptible():
        plot_once(request, exit_on_error=True)


@app.command()
def validate(
    configs: Annotated[list[Path], typer.Argument(help="Config file(s) to check.", show_default=False)],
    set_values: SetOption = None,
    sweep: SweepOption = None,
    allow_import: AllowImportOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
    select: SelectOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    dataset_size: DatasetSizeOption = None,
    world_size: WorldSizeOption = None,
    hydra_override: HydraOverrideOption = None,
    strict: StrictOption = False,
    ignore: IgnoreOption = None,
    allow_read: AllowReadOption = None,
) -> None:
    """Check configs without drawing; list every problem as FILE:LINE: message (exit 2 if any),
    then simulate them and print the schedule checks' warnings (exit 1 with --strict)."""
    from lrplot.commands.validate import run_validate
    from lrplot.read.files import confining_reads

    with confining_reads(allow_read or ()):
        status = run_validate(
            configs, sets=set_values or (), sweeps=sweep or (), allow_imports=allow_import or (),
            select=select, steps_per_epoch=steps_per_epoch, dataset_size=dataset_size,
            world_size=world_size, hydra_overrides=hydra_override or (), ignore=ignore or (),
            quiet=quiet, strict=strict,
        )  # fmt: skip
    if status:
        raise typer.Exit(status)


@app.command()
def check(
    config: Annotated[Path, typer.Argument(help="Config to simulate.", show_default=False)],
    against: Annotated[
        Path,
        typer.Option(
            "--against", "-a", help="The committed CSV snapshot to compare with.", show_default=False
        ),
    ],
    update: Annotated[
        bool, typer.Option("--update", help="Rewrite the snapshot from the config instead.")
    ] = False,
    rtol: Annotated[
        float,
        typer.Option(
            "--rtol",
            help="Relative tolerance (default 0: bit-identical).",
            min=0.0,
            callback=finite_tolerance,
        ),
    ] = 0.0,
    atol: Annotated[
        float,
        typer.Option("--atol", help="Absolute tolerance (default 0).", min=0.0, callback=finite_tolerance),
    ] = 0.0,
    set_values: SetOption = None,
    sweep: SweepOption = None,
    allow_import: AllowImportOption = None,
    select: SelectOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    dataset_size: DatasetSizeOption = None,
    world_size: WorldSizeOption = None,
    hydra_override: HydraOverrideOption = None,
    allow_read: AllowReadOption = None,
) -> None:
    """Re-simulate a config and compare it with a CSV snapshot: exit 0 if identical, 1 with what changed."""
    from lrplot.commands.compare import run_check

    run_check(
        config, against, update=update, rtol=rtol, atol=atol, sets=set_values or (), sweeps=sweep or (),
        allow_imports=allow_import or (), select=select, steps_per_epoch=steps_per_epoch,
        dataset_size=dataset_size, world_size=world_size, allow_read=allow_read or (),
        hydra_overrides=hydra_override or (),
    )  # fmt: skip


@app.command("list")
def list_classes(
    name: Annotated[
        str | None,
        typer.Argument(help="Show one scheduler or optimizer in full.", show_default=False),
    ] = None,
) -> None:
    """List the schedulers and optimizers lrplot knows, with parameters read from torch's signatures."""
    from lrplot.commands.catalog import catalog, find

    try:
        if name is not None:
            entry = find(name)
            typer.echo(f"{entry.name}  ({entry.module}.{entry.name}, {entry.kind})")
            if entry.summary:
                typer.echo(f"\n{entry.summary}\n")
            for parameter in entry.parameters:
                default = "required" if parameter.default is None else f"default {parameter.default}"
                annotation = f": {parameter.annotation}" if parameter.annotation else ""
                typer.echo(f"  {parameter.name}{annotation}  ({default})")
            return
        entries = catalog()
    except LrplotError as error:
        fail(error)
    for kind in ("scheduler", "optimizer"):
        typer.echo(f"{kind}s:")
        for entry in (e for e in entries if e.kind == kind):
            shown = ", ".join(
                p.name if p.default is None else f"{p.name}={p.default}" for p in entry.parameters
            )
            typer.echo(f"  {entry.name}({shown})")


@app.command()
def init(
    template: Annotated[
        str | None,
        typer.Argument(
            help="Starter to write (default warmup-cosine); --list shows them all.", show_default=False
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write it.")] = Path("lrplot.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    list_templates: Annotated[bool, typer.Option("--list", help="List the templates and exit.")] = False,
) -> None:
    """Write a commented starter config that plots as it is."""
    import difflib

    from lrplot.commands.templates import DEFAULT_TEMPLATE, TEMPLATES, render

    if list_templates:
        for name, (description, _) in TEMPLATES.items():
            typer.echo(f"{name:15} {description}")
        return
    name = template or DEFAULT_TEMPLATE
    try:
        if name not in TEMPLATES:
            close = difflib.get_close_matches(name, list(TEMPLATES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LrplotError(f"no template {name!r}{hint}; templates: {', '.join(TEMPLATES)}")
        if output.exists() and not force:
            raise LrplotError(f"{output}: already exists; use --force to overwrite it")
        from lrplot.output import write_text_atomically

        write_text_atomically(output, render(name, str(output)))
    except LrplotError as error:
        fail(error)
    typer.echo(f"lrplot: wrote {output} ({name}); draw it with: lrplot plot {output}", err=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the config format (for editors with a YAML language server)."""
    from lrplot.config import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, sort_keys=False))


def main() -> None:
    """Console entry point; Ctrl-C ends quietly with the conventional status 130."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("lrplot: interrupted", err=True)
        sys.exit(130)
